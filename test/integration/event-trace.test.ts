// The event trace (the console's Event trace page) against a real server: what routing, the delivery worker and the
// queues record of an event's path, in order, and that it outlives a restart.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeReplayCommand,
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { parseLimitOverrides } from '../../src/core/limits.js';
import type { TraceStep } from '../../src/services/event-trace-service.js';
import { eventBridgeClient, startTestServer, type TestServer, tempDataDir } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;

/** A local port nothing listens on: an HTTP target there fails with CONNECTION_FAILURE. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('event trace', () => {
  const dataDir = tempDataDir('switchyard-trace-');
  let t: TestServer;
  let eb: EventBridgeClient;
  const urls = new Map<string, string>();

  const start = async () => {
    t = await startTestServer({
      dataDir,
      limits: parseLimitOverrides(['deliveryRetryBaseMillis=20', 'httpTargetTimeoutMillis=300']),
    });
    eb = eventBridgeClient(t.server.url);
  };
  const stop = async () => {
    eb.destroy();
    await t.stop();
  };
  before(start);
  after(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const trace = async (eventId: string) => (await t.server.eventTrace.trace(ACCOUNT, eventId)).steps;
  const names = (steps: TraceStep[]) => steps.map((s) => s.step);
  /** Waits until the trace of the event holds `count` steps, and returns them. */
  const traceOf = (eventId: string, count: number) =>
    waitFor(`${count} trace steps of ${eventId}`, async () => {
      const steps = await trace(eventId);
      return steps.length >= count ? steps : undefined;
    });

  async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
    const url = (await t.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl as string;
    urls.set(name, url);
    return url;
  }

  async function rule(name: string, detailType: string, targets: Target[], bus?: string): Promise<void> {
    await eb.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: bus,
        EventPattern: JSON.stringify({ source: ['trace.test'], 'detail-type': [detailType] }),
      }),
    );
    const out = await eb.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: targets }));
    assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.FailedEntries));
  }

  async function put(detailType: string, bus?: string): Promise<string> {
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [{ Source: 'trace.test', DetailType: detailType, Detail: '{"n":1}', EventBusName: bus }],
      }),
    );
    assert.equal(out.FailedEntryCount, 0);
    return out.Entries?.[0]?.EventId as string;
  }

  async function receiveOne(url: string, visibility = 0): Promise<Message | undefined> {
    const out = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, VisibilityTimeout: visibility }),
    );
    return out.Messages?.[0];
  }

  let firstEvent = '';
  let firstSteps: TraceStep[] = [];

  test('PutEvents to a queue target, two receives and the delete, in order', async () => {
    const url = await createQueue('trace-orders');
    await rule('trace-orders', 'order', [{ Id: 'q', Arn: queueArn('trace-orders') }]);
    firstEvent = await put('order');

    const first = await receiveOne(url);
    const second = await receiveOne(url);
    assert.ok(first && second);
    assert.equal(first.MessageId, second.MessageId);
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle }));

    const steps = await trace(firstEvent);
    assert.deepEqual(names(steps), ['ingested', 'matched', 'invoked', 'received', 'received', 'deleted']);
    const [ingested, matched, invoked, received1, received2, deleted] = steps;
    assert.deepEqual(ingested?.detail, {
      bus: 'default',
      source: 'trace.test',
      detailType: 'order',
      via: 'put-events',
      matchedRules: 1,
    });
    assert.deepEqual(matched?.detail, {
      bus: 'default',
      rule: 'trace-orders',
      ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/trace-orders`,
    });
    assert.deepEqual(invoked?.detail, {
      rule: 'trace-orders',
      targetId: 'q',
      targetArn: queueArn('trace-orders'),
      kind: 'queue',
      outcome: 'queued',
      queue: 'trace-orders',
      messageId: first.MessageId,
    });
    assert.deepEqual(received1?.detail, { queue: 'trace-orders', messageId: first.MessageId, receiveCount: 1 });
    assert.deepEqual(received2?.detail, { queue: 'trace-orders', messageId: first.MessageId, receiveCount: 2 });
    assert.deepEqual(deleted?.detail, { queue: 'trace-orders', messageId: first.MessageId });
    assert.ok(
      steps.every((s, i) => i === 0 || s.at >= (steps[i - 1]?.at ?? 0)),
      'times never go back',
    );
    firstSteps = steps;
  });

  test('dead-lettered by maxReceiveCount, redriven by a move task, received again and deleted in a batch', async () => {
    await createQueue('trace-redrive-dlq');
    const url = await createQueue('trace-redrive', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: queueArn('trace-redrive-dlq'), maxReceiveCount: 1 }),
    });
    await rule('trace-redrive', 'poison', [{ Id: 'q', Arn: queueArn('trace-redrive') }]);
    const eventId = await put('poison');

    const first = await receiveOne(url);
    assert.ok(first);
    assert.equal(await receiveOne(url), undefined, 'the second receive dead-letters it');
    await t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queueArn('trace-redrive-dlq') }));
    await traceOf(eventId, 6);
    const again = await waitFor('the redriven message', () => receiveOne(url, 30));
    assert.notEqual(again.MessageId, first.MessageId, 'a redriven message is a new message');
    const batch = await t.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', ReceiptHandle: again.ReceiptHandle }] }),
    );
    assert.equal(batch.Successful?.length, 1);

    const steps = await trace(eventId);
    assert.deepEqual(names(steps), [
      'ingested',
      'matched',
      'invoked',
      'received',
      'dead-lettered',
      'moved',
      'received',
      'deleted',
    ]);
    assert.deepEqual(steps[4]?.detail, {
      queue: 'trace-redrive',
      messageId: first.MessageId,
      dlq: 'trace-redrive-dlq',
      receiveCount: 1,
    });
    assert.deepEqual(steps[5]?.detail, {
      queue: 'trace-redrive-dlq',
      messageId: first.MessageId,
      to: 'trace-redrive',
      newMessageId: again.MessageId,
      by: 'move-task',
    });
    assert.deepEqual(steps[6]?.detail, { queue: 'trace-redrive', messageId: again.MessageId, receiveCount: 1 });
    assert.deepEqual(steps[7]?.detail, { queue: 'trace-redrive', messageId: again.MessageId });
  });

  test('an HTTP target that cannot be reached: the failed delivery, its dead-letter message and its receive', async () => {
    const dlqUrl = await createQueue('trace-http-dlq');
    const port = await closedPort();
    const targetArn = `http://127.0.0.1:${port}/hook`;
    await rule('trace-http', 'webhook', [
      {
        Id: 'h',
        Arn: targetArn,
        RetryPolicy: { MaximumRetryAttempts: 0 },
        DeadLetterConfig: { Arn: queueArn('trace-http-dlq') },
      },
    ]);
    const eventId = await put('webhook');
    const steps = await traceOf(eventId, 5);
    assert.deepEqual(names(steps), ['ingested', 'matched', 'invoked', 'delivery-failed', 'target-dead-lettered']);
    assert.deepEqual(steps[2]?.detail, {
      rule: 'trace-http',
      targetId: 'h',
      targetArn,
      kind: 'http',
      outcome: 'scheduled',
    });
    const failed = steps[3]?.detail;
    assert.equal(failed?.targetArn, targetArn);
    assert.equal(failed?.attempt, 1);
    assert.equal(failed?.code, 'CONNECTION_FAILURE');
    assert.equal(failed?.nextAttemptAt, undefined, 'no retry is left');
    const deadLettered = steps[4]?.detail;
    assert.equal(deadLettered?.dlq, 'trace-http-dlq');

    const message = await waitFor('the dead-letter message', () => receiveOne(dlqUrl, 30));
    assert.equal(message.MessageId, deadLettered?.messageId);
    const withReceive = await traceOf(eventId, 6);
    assert.deepEqual(withReceive[5], {
      at: withReceive[5]?.at,
      step: 'received',
      detail: { queue: 'trace-http-dlq', messageId: message.MessageId, receiveCount: 1 },
    });
  });

  test('a bus target: delivered, then routed on the next bus', async () => {
    await eb.send(new CreateEventBusCommand({ Name: 'trace-next' }));
    await createQueue('trace-next-q');
    await rule('trace-next-q', 'hop', [{ Id: 'q', Arn: queueArn('trace-next-q') }], 'trace-next');
    await rule('trace-hop', 'hop', [{ Id: 'b', Arn: busArn('trace-next') }]);
    const eventId = await put('hop');
    const steps = await traceOf(eventId, 7);
    assert.deepEqual(names(steps), ['ingested', 'matched', 'invoked', 'delivered', 'ingested', 'matched', 'invoked']);
    assert.equal(steps[2]?.detail.kind, 'bus');
    assert.equal(steps[3]?.detail.targetArn, busArn('trace-next'));
    assert.equal(steps[4]?.detail.bus, 'trace-next');
    assert.equal(steps[4]?.detail.via, 'bus-target');
    assert.equal(steps[6]?.detail.outcome, 'queued');
  });

  test('an event that matches no rule is still found: ingested, matching nothing', async () => {
    const eventId = await put('nobody-listens');
    const steps = await traceOf(eventId, 1);
    assert.deepEqual(
      steps.map((s) => [s.step, s.detail]),
      [
        [
          'ingested',
          { bus: 'default', source: 'trace.test', detailType: 'nobody-listens', via: 'put-events', matchedRules: 0 },
        ],
      ],
    );
    assert.deepEqual(await trace('no-such-event'), []);
  });

  test('a replayed event keeps its id and is ingested again, via the replay', async () => {
    await createQueue('trace-replayed');
    await rule('trace-replayed', 'replayed', [{ Id: 'q', Arn: queueArn('trace-replayed') }]);
    await eb.send(
      new CreateArchiveCommand({
        ArchiveName: 'trace-archive',
        EventSourceArn: busArn('default'),
        EventPattern: JSON.stringify({ 'detail-type': ['replayed'] }),
      }),
    );
    const startedAt = Date.now();
    const eventId = await put('replayed');
    assert.deepEqual(names(await trace(eventId)), ['ingested', 'matched', 'invoked']);
    assert.deepEqual((await trace(eventId))[0]?.detail.archives, ['trace-archive']);
    await eb.send(
      new StartReplayCommand({
        ReplayName: 'trace-replay',
        EventSourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/trace-archive`,
        EventStartTime: new Date(startedAt - 60_000),
        EventEndTime: new Date(Date.now() + 1000),
        Destination: { Arn: busArn('default') },
      }),
    );
    await waitFor('the replay to complete', async () => {
      const out = await eb.send(new DescribeReplayCommand({ ReplayName: 'trace-replay' }));
      return out.State === 'COMPLETED';
    });
    const steps = await trace(eventId);
    assert.deepEqual(names(steps), ['ingested', 'matched', 'invoked', 'ingested', 'matched', 'invoked']);
    assert.equal(steps[3]?.detail.via, 'replay');
    assert.equal(steps[3]?.detail.replayName, 'trace-replay');
    assert.equal(steps[3]?.detail.archives, undefined, 'a replay is not archived again');
    assert.equal(steps[5]?.detail.outcome, 'queued');
  });

  test('the trace outlives a restart on the same data directory', async () => {
    assert.ok(firstEvent);
    await stop();
    await start();
    assert.deepEqual(await trace(firstEvent), firstSteps);
  });
});

describe('event trace off (traceRetentionSeconds 0)', () => {
  let t: TestServer;
  let eb: EventBridgeClient;
  before(async () => {
    t = await startTestServer({ traceRetentionSeconds: 0 });
    eb = eventBridgeClient(t.server.url);
  });
  after(async () => {
    eb.destroy();
    await t.stop();
  });

  test('nothing is recorded', async () => {
    const url = (await t.sqs.send(new CreateQueueCommand({ QueueName: 'untraced' }))).QueueUrl as string;
    await eb.send(new PutRuleCommand({ Name: 'untraced', EventPattern: JSON.stringify({ source: ['trace.off'] }) }));
    await eb.send(new PutTargetsCommand({ Rule: 'untraced', Targets: [{ Id: 'q', Arn: queueArn('untraced') }] }));
    const out = await eb.send(
      new PutEventsCommand({ Entries: [{ Source: 'trace.off', DetailType: 'x', Detail: '{}' }] }),
    );
    const eventId = out.Entries?.[0]?.EventId as string;
    const message = await waitFor('the message', async () => {
      const received = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
      return received.Messages?.[0];
    });
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    assert.equal(t.server.eventTrace.enabled, false);
    assert.deepEqual((await t.server.eventTrace.trace(ACCOUNT, eventId)).steps, []);
  });
});
