// EventBridge archives and replays, driven by @aws-sdk/client-eventbridge and client-sqs against a real server:
// the archive CRUD and its errors, what PutEvents copies into archives, and replays of a time window back to
// the bus (all rules or FilterArns), with their state machine, filters and errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CancelReplayCommand,
  CreateArchiveCommand,
  CreateEventBusCommand,
  DeleteArchiveCommand,
  DescribeArchiveCommand,
  type DescribeArchiveCommandOutput,
  DescribeReplayCommand,
  type DescribeReplayCommandOutput,
  type EventBridgeClient,
  ListArchivesCommand,
  ListReplaysCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  type ReplayState,
  StartReplayCommand,
  UpdateArchiveCommand,
} from '@aws-sdk/client-eventbridge';
import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ACCOUNT, arnOf, REGION } from '../helpers/account.js';
import { sleep } from '../helpers/process.js';
import { eventBridgeClient, startTestServer, type TestServer } from '../helpers/server.js';
import { counts, createQueue, rejectsWith } from '../helpers/sqs.js';

const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
const archiveArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:archive/${name}`;
const replayArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:replay/${name}`;
const DEFAULT_BUS_ARN = busArn('default');

interface Body {
  id: string;
  source: string;
  detail: { n: number; group?: string };
  'replay-name'?: string;
}

/** A server, an EventBridge client and its SQS client for the tests of one describe block. */
function serverForBlock() {
  const state: { t?: TestServer; eb?: EventBridgeClient } = {};
  before(async () => {
    state.t = await startTestServer();
    state.eb = eventBridgeClient(state.t.server.url);
  });
  after(async () => {
    state.eb?.destroy();
    await state.t?.stop();
  });
  return {
    eb: (): EventBridgeClient => {
      assert.ok(state.eb, 'server not started');
      return state.eb;
    },
    sqs: (): SQSClient => {
      assert.ok(state.t, 'server not started');
      return state.t.sqs;
    },
  };
}

/** PutEvents in calls of 10 entries, `concurrency` calls at a time; every entry must be accepted. */
async function putAll(eb: EventBridgeClient, entries: PutEventsRequestEntry[], concurrency = 8): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const chunk = entries.slice(next, next + 10);
      next += 10;
      const out = await eb.send(new PutEventsCommand({ Entries: chunk }));
      assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.Entries));
      for (const entry of out.Entries ?? []) {
        assert.ok(entry.EventId);
        ids.push(entry.EventId);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

const entry = (Source: string, n: number, extra: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source,
  DetailType: 'Test',
  Detail: JSON.stringify({ n }),
  ...extra,
});

function describeArchive(eb: EventBridgeClient, ArchiveName: string): Promise<DescribeArchiveCommandOutput> {
  return eb.send(new DescribeArchiveCommand({ ArchiveName }));
}

function describeReplay(eb: EventBridgeClient, ReplayName: string): Promise<DescribeReplayCommandOutput> {
  return eb.send(new DescribeReplayCommand({ ReplayName }));
}

/** Polls DescribeReplay until the replay is in `state` (failing on any other final state). */
async function replayReaches(
  eb: EventBridgeClient,
  name: string,
  state: ReplayState,
  timeoutMs = 20_000,
): Promise<DescribeReplayCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await describeReplay(eb, name);
    if (out.State === state) return out;
    const final = ['COMPLETED', 'CANCELLED', 'FAILED'];
    if (out.State && final.includes(out.State)) {
      assert.fail(`replay ${name} ended ${out.State} (${out.StateReason ?? ''}), expected ${state}`);
    }
    if (Date.now() > deadline) assert.fail(`replay ${name} still ${out.State} after ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Receives (and hides) every message of a queue until two receives in a row come back empty. */
async function receiveAll(sqs: SQSClient, QueueUrl: string): Promise<Body[]> {
  const all: Message[] = [];
  let empty = 0;
  while (empty < 2) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600, WaitTimeSeconds: 0 }),
    );
    empty = Messages.length === 0 ? empty + 1 : 0;
    all.push(...Messages);
  }
  return all.map((m) => JSON.parse(m.Body ?? '') as Body);
}

/** Waits until the queue holds `n` visible messages (queue targets are written in the routing transaction). */
async function queueHolds(sqs: SQSClient, QueueUrl: string, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { visible } = await counts(sqs, QueueUrl);
    if (visible === n) return;
    if (Date.now() > deadline) assert.fail(`queue holds ${visible} messages, expected ${n}`);
    await sleep(20);
  }
}

describe('EventBridge archives', () => {
  const { eb } = serverForBlock();

  test('CreateArchive on the default bus and on a custom bus, DescribeArchive and the events they count', async () => {
    const before = Date.now();
    const all = await eb().send(
      new CreateArchiveCommand({ ArchiveName: 'arc-all', EventSourceArn: DEFAULT_BUS_ARN, Description: 'everything' }),
    );
    assert.equal(all.ArchiveArn, archiveArn('arc-all'));
    assert.equal(all.State, 'ENABLED');
    assert.ok(all.CreationTime instanceof Date);
    assert.ok(all.CreationTime.getTime() >= before - 1000 && all.CreationTime.getTime() <= Date.now() + 1000);

    const pattern = JSON.stringify({ source: ['arc.orders'], 'detail-type': ['Test'] });
    await eb().send(
      new CreateArchiveCommand({
        ArchiveName: 'arc-orders',
        EventSourceArn: DEFAULT_BUS_ARN,
        EventPattern: pattern,
        RetentionDays: 7,
      }),
    );
    const busOut = await eb().send(new CreateEventBusCommand({ Name: 'arc-bus' }));
    assert.equal(busOut.EventBusArn, busArn('arc-bus'));
    const custom = await eb().send(
      new CreateArchiveCommand({ ArchiveName: 'arc-custom', EventSourceArn: busArn('arc-bus') }),
    );
    assert.equal(custom.ArchiveArn, archiveArn('arc-custom'));

    const fresh = await describeArchive(eb(), 'arc-all');
    assert.equal(fresh.ArchiveArn, archiveArn('arc-all'));
    assert.equal(fresh.ArchiveName, 'arc-all');
    assert.equal(fresh.EventSourceArn, DEFAULT_BUS_ARN);
    assert.equal(fresh.Description, 'everything');
    assert.equal(fresh.EventPattern, undefined);
    assert.equal(fresh.State, 'ENABLED');
    assert.equal(fresh.RetentionDays, 0);
    assert.equal(fresh.EventCount, 0);
    assert.equal(fresh.SizeBytes, 0);
    assert.equal(fresh.CreationTime?.getTime(), all.CreationTime.getTime());

    const orders = await describeArchive(eb(), 'arc-orders');
    assert.equal(orders.EventPattern, pattern);
    assert.equal(orders.RetentionDays, 7);
    assert.equal(orders.Description, undefined);
    assert.equal((await describeArchive(eb(), 'arc-custom')).EventSourceArn, busArn('arc-bus'));

    // 3 matching the pattern, 2 not, all on the default bus; 4 on the custom bus.
    await putAll(eb(), [
      entry('arc.orders', 1),
      entry('arc.orders', 2),
      entry('arc.orders', 3),
      entry('arc.other', 4),
      entry('arc.orders', 5, { DetailType: 'Other' }),
    ]);
    await putAll(
      eb(),
      [1, 2, 3, 4].map((n) => entry('arc.custom', n, { EventBusName: 'arc-bus' })),
    );

    const afterAll = await describeArchive(eb(), 'arc-all');
    assert.equal(afterAll.EventCount, 5);
    // Each archived event is a whole event envelope: well over 100 bytes.
    assert.ok((afterAll.SizeBytes ?? 0) > 5 * 100, `SizeBytes ${afterAll.SizeBytes}`);
    const afterOrders = await describeArchive(eb(), 'arc-orders');
    assert.equal(afterOrders.EventCount, 3);
    assert.ok((afterOrders.SizeBytes ?? 0) > 3 * 100);
    assert.ok((afterOrders.SizeBytes ?? 0) < (afterAll.SizeBytes ?? 0));
    const afterCustom = await describeArchive(eb(), 'arc-custom');
    assert.equal(afterCustom.EventCount, 4);

    // SizeBytes grows with later events.
    await putAll(eb(), [entry('arc.orders', 6)]);
    const grown = await describeArchive(eb(), 'arc-orders');
    assert.equal(grown.EventCount, 4);
    assert.ok((grown.SizeBytes ?? 0) > (afterOrders.SizeBytes ?? 0));
  });

  test('ListArchives: NamePrefix, EventSourceArn, State, Limit and NextToken', async () => {
    await eb().send(new CreateEventBusCommand({ Name: 'page-bus' }));
    for (const name of ['page-c', 'page-a', 'page-b']) {
      await eb().send(new CreateArchiveCommand({ ArchiveName: name, EventSourceArn: busArn('page-bus') }));
    }
    const names = (archives: { ArchiveName?: string }[] | undefined) => (archives ?? []).map((a) => a.ArchiveName);

    const first = await eb().send(new ListArchivesCommand({ NamePrefix: 'page-', Limit: 2 }));
    assert.deepEqual(names(first.Archives), ['page-a', 'page-b']);
    assert.ok(first.NextToken);
    const second = await eb().send(
      new ListArchivesCommand({ NamePrefix: 'page-', Limit: 2, NextToken: first.NextToken }),
    );
    assert.deepEqual(names(second.Archives), ['page-c']);
    assert.equal(second.NextToken, undefined);

    const entryOut = first.Archives?.[0];
    assert.equal(entryOut?.EventSourceArn, busArn('page-bus'));
    assert.equal(entryOut?.State, 'ENABLED');
    assert.equal(entryOut?.EventCount, 0);
    assert.equal(entryOut?.SizeBytes, 0);
    assert.equal(entryOut?.RetentionDays, 0);
    assert.ok(entryOut?.CreationTime instanceof Date);

    const byBus = await eb().send(new ListArchivesCommand({ EventSourceArn: busArn('page-bus') }));
    assert.deepEqual(names(byBus.Archives), ['page-a', 'page-b', 'page-c']);
    const onDefault = names((await eb().send(new ListArchivesCommand({ EventSourceArn: DEFAULT_BUS_ARN }))).Archives);
    assert.ok(onDefault.includes('arc-all'));
    assert.ok(!onDefault.some((n) => n?.startsWith('page-')));

    const enabled = await eb().send(new ListArchivesCommand({ NamePrefix: 'page-', State: 'ENABLED' }));
    assert.deepEqual(names(enabled.Archives), ['page-a', 'page-b', 'page-c']);
    const disabled = await eb().send(new ListArchivesCommand({ NamePrefix: 'page-', State: 'DISABLED' }));
    assert.deepEqual(names(disabled.Archives), []);
    assert.deepEqual(names((await eb().send(new ListArchivesCommand({ NamePrefix: 'no-such-prefix' }))).Archives), []);

    await rejectsWith(eb().send(new ListArchivesCommand({ Limit: 0 })), 'ValidationException');
    await rejectsWith(eb().send(new ListArchivesCommand({ NextToken: 'not a token' })), 'ValidationException');
  });

  test('UpdateArchive: a new pattern applies to later events; Description and RetentionDays change', async () => {
    await eb().send(
      new CreateArchiveCommand({
        ArchiveName: 'upd',
        EventSourceArn: DEFAULT_BUS_ARN,
        EventPattern: '{"source":["upd.x"]}',
      }),
    );
    await putAll(eb(), [entry('upd.x', 1), entry('upd.y', 2)]);
    assert.equal((await describeArchive(eb(), 'upd')).EventCount, 1);

    const out = await eb().send(
      new UpdateArchiveCommand({
        ArchiveName: 'upd',
        EventPattern: '{"source":["upd.y"]}',
        Description: 'now y',
        RetentionDays: 3,
      }),
    );
    assert.equal(out.ArchiveArn, archiveArn('upd'));
    assert.equal(out.State, 'ENABLED');
    assert.ok(out.CreationTime instanceof Date);

    await putAll(eb(), [entry('upd.x', 3), entry('upd.y', 4), entry('upd.y', 5)]);
    const described = await describeArchive(eb(), 'upd');
    assert.equal(described.EventCount, 3, 'one x before the update, two y after it');
    assert.equal(described.EventPattern, '{"source":["upd.y"]}');
    assert.equal(described.Description, 'now y');
    assert.equal(described.RetentionDays, 3);

    // An update without a pattern keeps the pattern.
    await eb().send(new UpdateArchiveCommand({ ArchiveName: 'upd', Description: 'still y' }));
    const kept = await describeArchive(eb(), 'upd');
    assert.equal(kept.EventPattern, '{"source":["upd.y"]}');
    assert.equal(kept.Description, 'still y');
    assert.equal(kept.RetentionDays, 3);

    await rejectsWith(
      eb().send(new UpdateArchiveCommand({ ArchiveName: 'upd', EventPattern: '{"source":"upd.y"}' })),
      'InvalidEventPatternException',
    );
    await rejectsWith(
      eb().send(new UpdateArchiveCommand({ ArchiveName: 'no-such-archive', Description: 'x' })),
      'ResourceNotFoundException',
    );
  });

  test('DeleteArchive: gone from Describe and List, its events with it', async () => {
    await eb().send(new CreateArchiveCommand({ ArchiveName: 'del', EventSourceArn: DEFAULT_BUS_ARN }));
    await putAll(eb(), [entry('del.app', 1), entry('del.app', 2)]);
    assert.equal((await describeArchive(eb(), 'del')).EventCount, 2);

    assert.deepEqual((await eb().send(new DeleteArchiveCommand({ ArchiveName: 'del' }))).$metadata.httpStatusCode, 200);
    await rejectsWith(describeArchive(eb(), 'del'), 'ResourceNotFoundException');
    const listed = await eb().send(new ListArchivesCommand({ NamePrefix: 'del' }));
    assert.deepEqual(listed.Archives ?? [], []);
    await rejectsWith(eb().send(new DeleteArchiveCommand({ ArchiveName: 'del' })), 'ResourceNotFoundException');

    // PutEvents still works without the archive, and a new archive of the same name starts empty.
    await putAll(eb(), [entry('del.app', 3)]);
    await eb().send(new CreateArchiveCommand({ ArchiveName: 'del', EventSourceArn: DEFAULT_BUS_ARN }));
    assert.equal((await describeArchive(eb(), 'del')).EventCount, 0);
    await eb().send(new DeleteArchiveCommand({ ArchiveName: 'del' }));
  });

  test('archive errors', async () => {
    await rejectsWith(
      eb().send(new CreateArchiveCommand({ ArchiveName: 'arc-all', EventSourceArn: DEFAULT_BUS_ARN })),
      'ResourceAlreadyExistsException',
    );
    await rejectsWith(describeArchive(eb(), 'no-such-archive'), 'ResourceNotFoundException');
    await rejectsWith(
      eb().send(new DeleteArchiveCommand({ ArchiveName: 'no-such-archive' })),
      'ResourceNotFoundException',
    );
    for (const EventPattern of ['{"source":"not-an-array"}', '{', '[]', '{"detail":{"n":[{"numeric":[">"]}]}}']) {
      await rejectsWith(
        eb().send(
          new CreateArchiveCommand({ ArchiveName: 'bad-pattern', EventSourceArn: DEFAULT_BUS_ARN, EventPattern }),
        ),
        'InvalidEventPatternException',
        undefined,
        400,
      );
    }
    await rejectsWith(
      eb().send(new CreateArchiveCommand({ ArchiveName: 'no-bus', EventSourceArn: busArn('no-such-bus') })),
      'ResourceNotFoundException',
    );
    for (const ArchiveName of ['bad name', 'bad/name', 'x'.repeat(49)]) {
      await rejectsWith(
        eb().send(new CreateArchiveCommand({ ArchiveName, EventSourceArn: DEFAULT_BUS_ARN })),
        'ValidationException',
      );
    }
    await rejectsWith(
      eb().send(new CreateArchiveCommand({ ArchiveName: 'not-a-bus', EventSourceArn: arnOf('some-queue') })),
      'ValidationException',
    );
    await rejectsWith(
      eb().send(new CreateArchiveCommand({ ArchiveName: 'neg', EventSourceArn: DEFAULT_BUS_ARN, RetentionDays: -1 })),
      'ValidationException',
    );
    // None of the failed calls left an archive behind.
    const names = ((await eb().send(new ListArchivesCommand({}))).Archives ?? []).map((a) => a.ArchiveName);
    for (const name of ['bad-pattern', 'no-bus', 'not-a-bus', 'neg']) assert.ok(!names.includes(name), name);
  });
});

describe('EventBridge archive quota', () => {
  const { eb } = serverForBlock();

  test('an account has at most 10 archives', async () => {
    for (let i = 0; i < 10; i++) {
      await eb().send(new CreateArchiveCommand({ ArchiveName: `quota-${i}`, EventSourceArn: DEFAULT_BUS_ARN }));
    }
    await rejectsWith(
      eb().send(new CreateArchiveCommand({ ArchiveName: 'quota-10', EventSourceArn: DEFAULT_BUS_ARN })),
      'LimitExceededException',
    );
    await eb().send(new DeleteArchiveCommand({ ArchiveName: 'quota-0' }));
    await eb().send(new CreateArchiveCommand({ ArchiveName: 'quota-10', EventSourceArn: DEFAULT_BUS_ARN }));
  });
});

describe('EventBridge replays', () => {
  const { eb, sqs } = serverForBlock();
  const BUS = 'replay-bus';
  const ARCHIVE = 'replay-archive';
  let ruleA = '';
  let queueA = '';
  let queueB = '';
  /** The target of a rule that excludes replayed events, as AWS suggests, with "replay-name" exists false. */
  let queueLive = '';
  /** Event ids of the three groups put around the window [t1, t2). */
  const groups: Record<'early' | 'inside' | 'late', string[]> = { early: [], inside: [], late: [] };
  let t1 = new Date(0);
  let t2 = new Date(0);

  before(async () => {
    await eb().send(new CreateEventBusCommand({ Name: BUS }));
    queueA = await createQueue(sqs(), 'replay-a');
    queueB = await createQueue(sqs(), 'replay-b');
    const pattern = '{"source":["replay.app"]}';
    ruleA =
      (await eb().send(new PutRuleCommand({ Name: 'rule-a', EventBusName: BUS, EventPattern: pattern }))).RuleArn ?? '';
    assert.equal(ruleA, `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/rule-a`);
    await eb().send(new PutRuleCommand({ Name: 'rule-b', EventBusName: BUS, EventPattern: pattern }));
    queueLive = await createQueue(sqs(), 'replay-live');
    await eb().send(
      new PutRuleCommand({
        Name: 'rule-live',
        EventBusName: BUS,
        EventPattern: '{"source":["replay.app"],"replay-name":[{"exists":false}]}',
      }),
    );
    for (const [Rule, queue] of [
      ['rule-a', 'replay-a'],
      ['rule-b', 'replay-b'],
      ['rule-live', 'replay-live'],
    ] as const) {
      const out = await eb().send(
        new PutTargetsCommand({ Rule, EventBusName: BUS, Targets: [{ Id: 'q', Arn: arnOf(queue) }] }),
      );
      assert.equal(out.FailedEntryCount, 0);
    }
    await eb().send(new CreateArchiveCommand({ ArchiveName: ARCHIVE, EventSourceArn: busArn(BUS) }));

    // The window is on archive (ingestion) time, so the groups are separated in real time.
    const put = (group: keyof typeof groups, n: number) =>
      putAll(
        eb(),
        Array.from({ length: n }, (_, i) => ({
          Source: 'replay.app',
          DetailType: 'Test',
          Detail: JSON.stringify({ n: i, group }),
          EventBusName: BUS,
        })),
      );
    groups.early = await put('early', 5);
    await sleep(30);
    t1 = new Date();
    await sleep(30);
    groups.inside = await put('inside', 25);
    await sleep(30);
    t2 = new Date();
    await sleep(30);
    groups.late = await put('late', 5);

    // The originals reach every queue without replay-name.
    for (const queue of [queueA, queueB, queueLive]) {
      const bodies = await receiveAll(sqs(), queue);
      assert.equal(bodies.length, 35);
      assert.ok(bodies.every((b) => b['replay-name'] === undefined));
    }
    assert.equal((await describeArchive(eb(), ARCHIVE)).EventCount, 35);
  });

  test('a replay of a time window reaches all rules of the bus with replay-name, and only the window', async () => {
    const started = await eb().send(
      new StartReplayCommand({
        ReplayName: 'window',
        Description: 'the inside group',
        EventSourceArn: archiveArn(ARCHIVE),
        EventStartTime: t1,
        EventEndTime: t2,
        Destination: { Arn: busArn(BUS) },
      }),
    );
    assert.equal(started.ReplayArn, replayArn('window'));
    assert.equal(started.State, 'STARTING');
    assert.ok(started.ReplayStartTime instanceof Date);

    const done = await replayReaches(eb(), 'window', 'COMPLETED');
    assert.equal(done.ReplayName, 'window');
    assert.equal(done.ReplayArn, replayArn('window'));
    assert.equal(done.Description, 'the inside group');
    assert.equal(done.EventSourceArn, archiveArn(ARCHIVE));
    assert.deepEqual(done.Destination, { Arn: busArn(BUS) });
    assert.equal(done.EventStartTime?.getTime(), t1.getTime());
    assert.equal(done.EventEndTime?.getTime(), t2.getTime());
    assert.equal(done.ReplayStartTime?.getTime(), started.ReplayStartTime.getTime());
    assert.ok(done.ReplayEndTime instanceof Date);
    assert.ok(done.ReplayEndTime.getTime() >= started.ReplayStartTime.getTime());
    // The last replayed event is the last of the inside group: in the window.
    const last = done.EventLastReplayedTime?.getTime() ?? 0;
    assert.ok(last >= t1.getTime() && last < t2.getTime(), `EventLastReplayedTime ${done.EventLastReplayedTime}`);

    for (const queue of [queueA, queueB]) {
      await queueHolds(sqs(), queue, groups.inside.length);
      const bodies = await receiveAll(sqs(), queue);
      assert.deepEqual(bodies.map((b) => b.id).sort(), [...groups.inside].sort(), 'the same event ids, once each');
      for (const body of bodies) {
        assert.equal(body['replay-name'], 'window');
        assert.equal(body.source, 'replay.app');
        assert.equal(body.detail.group, 'inside');
      }
    }
    // A rule can tell replayed events apart by their replay-name.
    assert.deepEqual(await receiveAll(sqs(), queueLive), []);
    // Replayed events are not archived again.
    assert.equal((await describeArchive(eb(), ARCHIVE)).EventCount, 35);
  });

  test('Destination.FilterArns limits a replay to the rules listed', async () => {
    await eb().send(
      new StartReplayCommand({
        ReplayName: 'only-a',
        EventSourceArn: archiveArn(ARCHIVE),
        EventStartTime: new Date(t1.getTime() - 60_000),
        EventEndTime: t1,
        Destination: { Arn: busArn(BUS), FilterArns: [ruleA] },
      }),
    );
    const done = await replayReaches(eb(), 'only-a', 'COMPLETED');
    assert.deepEqual(done.Destination, { Arn: busArn(BUS), FilterArns: [ruleA] });

    await queueHolds(sqs(), queueA, groups.early.length);
    const bodies = await receiveAll(sqs(), queueA);
    assert.deepEqual(bodies.map((b) => b.id).sort(), [...groups.early].sort());
    assert.ok(bodies.every((b) => b['replay-name'] === 'only-a'));
    // rule-b matches the same events but is not in FilterArns.
    await sleep(300);
    assert.deepEqual(await receiveAll(sqs(), queueB), []);
  });

  test('a replay ending in the future covers the events archived before it started', async () => {
    await eb().send(
      new StartReplayCommand({
        ReplayName: 'to-now',
        EventSourceArn: archiveArn(ARCHIVE),
        EventStartTime: t2,
        EventEndTime: new Date(Date.now() + 3_600_000),
        Destination: { Arn: busArn(BUS), FilterArns: [ruleA] },
      }),
    );
    await replayReaches(eb(), 'to-now', 'COMPLETED');
    await queueHolds(sqs(), queueA, groups.late.length);
    const bodies = await receiveAll(sqs(), queueA);
    assert.deepEqual(bodies.map((b) => b.id).sort(), [...groups.late].sort());
  });

  test('a replay of an empty window completes with nothing replayed', async () => {
    const start = new Date(t2.getTime() - 20);
    await eb().send(
      new StartReplayCommand({
        ReplayName: 'empty',
        EventSourceArn: archiveArn(ARCHIVE),
        EventStartTime: start,
        EventEndTime: t2,
        Destination: { Arn: busArn(BUS) },
      }),
    );
    const done = await replayReaches(eb(), 'empty', 'COMPLETED');
    assert.equal(done.EventLastReplayedTime, undefined);
    await sleep(300);
    assert.deepEqual(await receiveAll(sqs(), queueA), []);
    assert.deepEqual(await receiveAll(sqs(), queueB), []);
  });

  test('ListReplays: NamePrefix, State and EventSourceArn', async () => {
    const names = (replays: { ReplayName?: string }[] | undefined) => (replays ?? []).map((r) => r.ReplayName);
    const all = await eb().send(new ListReplaysCommand({}));
    assert.deepEqual(names(all.Replays), ['empty', 'only-a', 'to-now', 'window']);
    const window = all.Replays?.find((r) => r.ReplayName === 'window');
    assert.equal(window?.EventSourceArn, archiveArn(ARCHIVE));
    assert.equal(window?.State, 'COMPLETED');
    assert.equal(window?.EventStartTime?.getTime(), t1.getTime());
    assert.equal(window?.EventEndTime?.getTime(), t2.getTime());
    assert.ok(window?.ReplayStartTime instanceof Date);
    assert.ok(window?.ReplayEndTime instanceof Date);
    assert.ok(window?.EventLastReplayedTime instanceof Date);

    assert.deepEqual(names((await eb().send(new ListReplaysCommand({ NamePrefix: 'o' }))).Replays), ['only-a']);
    assert.deepEqual(names((await eb().send(new ListReplaysCommand({ State: 'COMPLETED' }))).Replays), [
      'empty',
      'only-a',
      'to-now',
      'window',
    ]);
    assert.deepEqual(names((await eb().send(new ListReplaysCommand({ State: 'RUNNING' }))).Replays), []);
    assert.deepEqual(
      names((await eb().send(new ListReplaysCommand({ EventSourceArn: archiveArn(ARCHIVE) }))).Replays),
      ['empty', 'only-a', 'to-now', 'window'],
    );
    assert.deepEqual(
      names((await eb().send(new ListReplaysCommand({ EventSourceArn: archiveArn('other-archive') }))).Replays),
      [],
    );
    const page = await eb().send(new ListReplaysCommand({ Limit: 3 }));
    assert.deepEqual(names(page.Replays), ['empty', 'only-a', 'to-now']);
    assert.ok(page.NextToken);
    const rest = await eb().send(new ListReplaysCommand({ Limit: 3, NextToken: page.NextToken }));
    assert.deepEqual(names(rest.Replays), ['window']);
    assert.equal(rest.NextToken, undefined);
  });

  test('replay errors', async () => {
    const valid = {
      EventSourceArn: archiveArn(ARCHIVE),
      EventStartTime: t1,
      EventEndTime: t2,
      Destination: { Arn: busArn(BUS) },
    };
    await rejectsWith(eb().send(new CancelReplayCommand({ ReplayName: 'window' })), 'IllegalStatusException');
    await rejectsWith(
      eb().send(new CancelReplayCommand({ ReplayName: 'no-such-replay' })),
      'ResourceNotFoundException',
    );
    await rejectsWith(describeReplay(eb(), 'no-such-replay'), 'ResourceNotFoundException');
    await rejectsWith(
      eb().send(new StartReplayCommand({ ReplayName: 'window', ...valid })),
      'ResourceAlreadyExistsException',
    );
    await rejectsWith(
      eb().send(new StartReplayCommand({ ReplayName: 'cross-bus', ...valid, Destination: { Arn: DEFAULT_BUS_ARN } })),
      'ValidationException',
      /Cross event bus replay/,
    );
    await rejectsWith(
      eb().send(new StartReplayCommand({ ReplayName: 'same-times', ...valid, EventEndTime: t1 })),
      'ValidationException',
    );
    await rejectsWith(
      eb().send(new StartReplayCommand({ ReplayName: 'reversed', ...valid, EventStartTime: t2, EventEndTime: t1 })),
      'ValidationException',
    );
    await rejectsWith(
      eb().send(new StartReplayCommand({ ReplayName: 'no-archive', ...valid, EventSourceArn: archiveArn('nope') })),
      'ResourceNotFoundException',
    );
    await rejectsWith(
      eb().send(
        new StartReplayCommand({ ReplayName: 'no-bus', ...valid, Destination: { Arn: busArn('no-such-bus') } }),
      ),
      'ResourceNotFoundException',
    );
    await rejectsWith(
      eb().send(
        new StartReplayCommand({
          ReplayName: 'other-rule',
          ...valid,
          Destination: { Arn: busArn(BUS), FilterArns: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/default-rule`] },
        }),
      ),
      'ValidationException',
    );
    await rejectsWith(
      eb().send(
        new StartReplayCommand({
          ReplayName: 'missing-rule',
          ...valid,
          Destination: { Arn: busArn(BUS), FilterArns: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/nope`] },
        }),
      ),
      'ResourceNotFoundException',
    );
    await rejectsWith(eb().send(new StartReplayCommand({ ReplayName: 'bad name', ...valid })), 'ValidationException');
    // None of the failed calls left a replay behind.
    const names = ((await eb().send(new ListReplaysCommand({}))).Replays ?? []).map((r) => r.ReplayName);
    assert.deepEqual(names, ['empty', 'only-a', 'to-now', 'window']);
  });

  test('a replay on the default bus, limited to a rule by its default-bus ARN', async () => {
    const queue = await createQueue(sqs(), 'default-replay-q');
    const rule = await eb().send(new PutRuleCommand({ Name: 'dflt-rule', EventPattern: '{"source":["dflt.app"]}' }));
    assert.equal(rule.RuleArn, `arn:aws:events:${REGION}:${ACCOUNT}:rule/dflt-rule`);
    await eb().send(new PutRuleCommand({ Name: 'dflt-other', EventPattern: '{"source":["dflt.app"]}' }));
    await eb().send(
      new PutTargetsCommand({ Rule: 'dflt-rule', Targets: [{ Id: 'q', Arn: arnOf('default-replay-q') }] }),
    );
    const otherQueue = await createQueue(sqs(), 'default-other-q');
    await eb().send(
      new PutTargetsCommand({ Rule: 'dflt-other', Targets: [{ Id: 'q', Arn: arnOf('default-other-q') }] }),
    );
    await eb().send(
      new CreateArchiveCommand({
        ArchiveName: 'dflt-archive',
        EventSourceArn: DEFAULT_BUS_ARN,
        EventPattern: '{"source":["dflt.app"]}',
      }),
    );
    const from = new Date(Date.now() - 1000);
    const ids = await putAll(eb(), [entry('dflt.app', 1), entry('dflt.app', 2), entry('dflt.other', 3)]);
    assert.equal((await describeArchive(eb(), 'dflt-archive')).EventCount, 2);
    assert.equal((await receiveAll(sqs(), queue)).length, 2);
    assert.equal((await receiveAll(sqs(), otherQueue)).length, 2);

    await eb().send(
      new StartReplayCommand({
        ReplayName: 'default-bus',
        EventSourceArn: archiveArn('dflt-archive'),
        EventStartTime: from,
        EventEndTime: new Date(),
        Destination: { Arn: DEFAULT_BUS_ARN, FilterArns: [rule.RuleArn ?? ''] },
      }),
    );
    const done = await replayReaches(eb(), 'default-bus', 'COMPLETED');
    assert.deepEqual(done.Destination, { Arn: DEFAULT_BUS_ARN, FilterArns: [rule.RuleArn] });
    await queueHolds(sqs(), queue, 2);
    const bodies = await receiveAll(sqs(), queue);
    assert.deepEqual(bodies.map((b) => b.id).sort(), ids.slice(0, 2).sort());
    assert.ok(bodies.every((b) => b['replay-name'] === 'default-bus'));
    await sleep(300);
    assert.deepEqual(await receiveAll(sqs(), otherQueue), []);
  });

  test('CancelReplay of a running replay: CANCELLING, then CANCELLED with part of the archive replayed', async () => {
    const bus = 'cancel-bus';
    await eb().send(new CreateEventBusCommand({ Name: bus }));
    const queue = await createQueue(sqs(), 'cancel-q');
    await eb().send(new PutRuleCommand({ Name: 'all', EventBusName: bus, EventPattern: '{"source":["cancel.app"]}' }));
    await eb().send(
      new PutTargetsCommand({ Rule: 'all', EventBusName: bus, Targets: [{ Id: 'q', Arn: arnOf('cancel-q') }] }),
    );
    await eb().send(new CreateArchiveCommand({ ArchiveName: 'cancel-archive', EventSourceArn: busArn(bus) }));
    const TOTAL = 2000;
    const from = new Date(Date.now() - 1000);
    await putAll(
      eb(),
      Array.from({ length: TOTAL }, (_, i) => entry('cancel.app', i, { EventBusName: bus })),
      16,
    );
    // The originals stay in the queue: whatever is above TOTAL came from the replay.
    await queueHolds(sqs(), queue, TOTAL);

    await eb().send(
      new StartReplayCommand({
        ReplayName: 'to-cancel',
        EventSourceArn: archiveArn('cancel-archive'),
        EventStartTime: from,
        EventEndTime: new Date(),
        Destination: { Arn: busArn(bus) },
      }),
    );
    const cancelled = await eb().send(new CancelReplayCommand({ ReplayName: 'to-cancel' }));
    assert.equal(cancelled.ReplayArn, replayArn('to-cancel'));
    assert.equal(cancelled.State, 'CANCELLING');
    const right = await describeReplay(eb(), 'to-cancel');
    assert.ok(right.State === 'CANCELLING' || right.State === 'CANCELLED', right.State);

    const done = await replayReaches(eb(), 'to-cancel', 'CANCELLED');
    assert.ok(done.ReplayEndTime instanceof Date);
    await rejectsWith(eb().send(new CancelReplayCommand({ ReplayName: 'to-cancel' })), 'IllegalStatusException');
    await sleep(300);
    const replayed = (await counts(sqs(), queue)).visible - TOTAL;
    assert.ok(replayed >= 0 && replayed < TOTAL, `${replayed} of ${TOTAL} replayed before the cancel took effect`);
    assert.deepEqual(
      ((await eb().send(new ListReplaysCommand({ State: 'CANCELLED' }))).Replays ?? []).map((r) => r.ReplayName),
      ['to-cancel'],
    );
  });

  test('CancelReplay racing the end of a replay answers CANCELLING or IllegalStatusException, never a final state', async () => {
    const bus = 'race-bus';
    await eb().send(new CreateEventBusCommand({ Name: bus }));
    await eb().send(new CreateArchiveCommand({ ArchiveName: 'race-archive', EventSourceArn: busArn(bus) }));
    const from = new Date(Date.now() - 1000);
    await putAll(
      eb(),
      Array.from({ length: 150 }, (_, n) => entry('race.app', n, { EventBusName: bus })),
    );
    // A two-batch replay ends within a few milliseconds; cancels sent 0 to 5 ms after the start land in every
    // phase of it, including between its last batch and its completion.
    const answers: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const ReplayName = `race-${i}`;
      await eb().send(
        new StartReplayCommand({
          ReplayName,
          EventSourceArn: archiveArn('race-archive'),
          EventStartTime: from,
          EventEndTime: new Date(),
          Destination: { Arn: busArn(bus) },
        }),
      );
      await sleep(i % 6);
      let answer: string;
      try {
        answer = (await eb().send(new CancelReplayCommand({ ReplayName }))).State ?? 'no State';
      } catch (error) {
        answer = (error as Error).name;
      }
      answers[answer] = (answers[answer] ?? 0) + 1;
      const final = answer === 'CANCELLING' ? 'CANCELLED' : 'COMPLETED';
      await replayReaches(eb(), ReplayName, final);
    }
    const unexpected = Object.keys(answers).filter((a) => a !== 'CANCELLING' && a !== 'IllegalStatusException');
    assert.deepEqual(unexpected, [], `CancelReplay answers: ${JSON.stringify(answers)}`);
  });
});
