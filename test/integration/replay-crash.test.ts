// A replay survives a crash: SIGKILL the server (durability full) while a replay of an archive into a rule
// with a queue target is RUNNING, restart it on the same data and check that the replay resumes to COMPLETED
// and that the queue holds every archived event exactly once: each batch is committed with the replay's
// progress, so none is lost at the kill and none is replayed twice after it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  CreateArchiveCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import Database from 'better-sqlite3';
import { ACCOUNT, arnOf, REGION } from '../helpers/account.js';
import { serverProcesses, sleep } from '../helpers/process.js';
import { eventBridgeClient } from '../helpers/server.js';
import { depth, drain } from '../helpers/sqs.js';

const { dataDir: newDataDir, serve } = serverProcesses();

/** Archived events: enough that the replay (100 per batch) runs long enough to be killed in the middle. */
const TOTAL = 3000;
const CONCURRENCY = 16;
const REPLAY = 'crash-replay';
const BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
const ARCHIVE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:archive/crash-archive`;

async function replayState(eb: EventBridgeClient): Promise<string | undefined> {
  return (await eb.send(new DescribeReplayCommand({ ReplayName: REPLAY }))).State;
}

/**
 * What the data directory says about the replay after the kill: its stored state and how many archived events
 * lie past its stored progress. Read from the file because the restarted server resumes the replay at once.
 */
function storedProgress(dataDir: string): { state: string; remaining: number } {
  const db = new Database(path.join(dataDir, 'switchyard.db'), { readonly: true });
  try {
    const replay = db
      .prepare<[string], { state: string; archive_id: number; after_time: number | null; after_seq: number | null }>(
        'SELECT state, archive_id, after_time, after_seq FROM event_replays WHERE name = ?',
      )
      .get(REPLAY);
    assert.ok(replay, 'the replay is stored');
    const remaining = db
      .prepare<[number, number, number, number], { n: number }>(
        'SELECT COUNT(*) AS n FROM archived_events WHERE archive_id = ? AND (time > ? OR (time = ? AND seq > ?))',
      )
      .get(replay.archive_id, replay.after_time ?? -1, replay.after_time ?? -1, replay.after_seq ?? -1);
    return { state: replay.state, remaining: remaining?.n ?? 0 };
  } finally {
    db.close();
  }
}

test('a replay killed mid-way resumes after the restart: every archived event replayed exactly once', async () => {
  const dataDir = newDataDir('switchyard-replaycrash-');
  let server = await serve(dataDir);
  let eb = eventBridgeClient(server.url);

  await eb.send(new CreateArchiveCommand({ ArchiveName: 'crash-archive', EventSourceArn: BUS_ARN }));
  const from = new Date(Date.now() - 1000);
  const archived = new Set<string>();
  let next = 0;
  const putter = async () => {
    while (next < TOTAL) {
      const first = next;
      next += 10;
      const Entries = Array.from({ length: Math.min(10, TOTAL - first) }, (_, i) => ({
        Source: 'crash.replay',
        DetailType: 'Tick',
        Detail: JSON.stringify({ n: first + i }),
      }));
      const out = await eb.send(new PutEventsCommand({ Entries }));
      assert.equal(out.FailedEntryCount, 0);
      for (const entry of out.Entries ?? []) {
        assert.ok(entry.EventId);
        archived.add(entry.EventId);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, putter));
  assert.equal(archived.size, TOTAL);
  assert.equal((await eb.send(new DescribeArchiveCommand({ ArchiveName: 'crash-archive' }))).EventCount, TOTAL);

  // The rule comes after the archiving, so that the queue holds replayed events only and its depth is the
  // replay's progress.
  const url = (await server.sqs.send(new CreateQueueCommand({ QueueName: 'replay-crash' }))).QueueUrl ?? '';
  assert.ok(url);
  await eb.send(new PutRuleCommand({ Name: 'crash-rule', EventPattern: '{"source":["crash.replay"]}' }));
  const targets = await eb.send(
    new PutTargetsCommand({ Rule: 'crash-rule', Targets: [{ Id: 'q', Arn: arnOf('replay-crash') }] }),
  );
  assert.equal(targets.FailedEntryCount, 0);

  await eb.send(
    new StartReplayCommand({
      ReplayName: REPLAY,
      EventSourceArn: ARCHIVE_ARN,
      EventStartTime: from,
      EventEndTime: new Date(),
      Destination: { Arn: BUS_ARN },
    }),
  );
  // Killed a third of the way in, so that there are committed batches before the kill and many after it.
  let seen = { state: 'STARTING' as string | undefined, visible: 0 };
  for (;;) {
    const [state, { visible }] = await Promise.all([replayState(eb), depth(server.sqs, url)]);
    seen = { state, visible };
    if (state === 'RUNNING' && visible >= TOTAL / 3 && visible < TOTAL) break;
    assert.ok(
      state === 'STARTING' || state === 'RUNNING',
      `the replay ended (${state}, ${visible} messages) before it could be killed: raise TOTAL`,
    );
  }
  await server.stop('SIGKILL');
  eb.destroy();

  const stored = storedProgress(dataDir);
  assert.equal(stored.state, 'RUNNING', 'killed while the replay was running');
  assert.ok(
    stored.remaining > 0 && stored.remaining < TOTAL,
    `${stored.remaining} of ${TOTAL} events left to replay at the kill (${seen.visible} seen in the queue)`,
  );

  server = await serve(dataDir);
  eb = eventBridgeClient(server.url);
  const deadline = Date.now() + 30_000;
  let state = await replayState(eb);
  while (state !== 'COMPLETED') {
    assert.ok(state === 'STARTING' || state === 'RUNNING', `the replay resumed to ${state}`);
    assert.ok(Date.now() < deadline, `replay still ${state} 30 s after the restart`);
    await sleep(50);
    state = await replayState(eb);
  }

  const messages = await drain(server.sqs, url, { VisibilityTimeout: 600, max: 2 * TOTAL + 10 });
  const copies = new Map<string, number>();
  for (const message of messages) {
    const body = JSON.parse(message.Body ?? '') as { id: string; 'replay-name'?: string };
    assert.equal(body['replay-name'], REPLAY, 'only replayed events reach the queue');
    copies.set(body.id, (copies.get(body.id) ?? 0) + 1);
  }
  assert.deepEqual(
    [...copies].filter(([, n]) => n > 1),
    [],
    'no event is replayed twice',
  );
  assert.equal(copies.size, TOTAL, 'every archived event is replayed');
  assert.deepEqual(
    [...archived].filter((id) => !copies.has(id)),
    [],
    'the replayed ids are the archived ids',
  );
  assert.equal(messages.length, TOTAL);
  // Replayed events are not archived again, before or after the restart.
  assert.equal((await eb.send(new DescribeArchiveCommand({ ArchiveName: 'crash-archive' }))).EventCount, TOTAL);
  eb.destroy();
  await server.stop('SIGTERM');
});
