// sqs-consumer (BBC) against a real server: retries through visibility timeouts, heartbeats under load,
// partial batch acknowledgement and terminateVisibilityTimeout.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Message, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { sleep } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sqsHelpers } from '../helpers/sqs.js';
import { waitFor } from '../helpers/wait.js';

let t: TestServer;
const consumers: Consumer[] = [];

before(async () => {
  t = await startTestServer();
});

after(async () => {
  for (const c of consumers) c.stop({ abort: true });
  await t.stop();
});

/** `queueCounts` gives the approximate counts as strings, as the server wrote them. */
const { createQueue, countAttributes: queueCounts } = sqsHelpers(() => t.sqs);

/** Sends bodies "0".."n-1" with SendMessageBatch, 10 batches at a time; returns MessageId by number. */
async function sendNumbered(QueueUrl: string, n: number): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  const batches: number[][] = [];
  for (let i = 0; i < n; i += 10) batches.push(Array.from({ length: Math.min(10, n - i) }, (_, k) => i + k));
  for (let b = 0; b < batches.length; b += 10) {
    await Promise.all(
      batches.slice(b, b + 10).map(async (batch) => {
        const out = await t.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl,
            Entries: batch.map((i) => ({ Id: `m${i}`, MessageBody: String(i) })),
          }),
        );
        assert.deepEqual(out.Failed ?? [], []);
        for (const ok of out.Successful ?? []) ids.set(Number(ok.Id?.slice(1)), ok.MessageId as string);
      }),
    );
  }
  assert.equal(ids.size, n);
  return ids;
}

/** Stops consumers and waits until their polls and handlers have finished (bounded). */
async function stopAll(list: Consumer[]): Promise<void> {
  await Promise.all(
    list.map(
      (c) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            c.stop({ abort: true });
            resolve();
          }, 15_000);
          c.once('stopped', () => {
            clearTimeout(timer);
            resolve();
          });
          c.stop();
        }),
    ),
  );
}

interface Delivery {
  at: number;
  receiveCount: number;
  firstReceiveAt: number;
  messageId: string;
  outcome: 'threw' | 'unacked' | 'acked';
}

function record(deliveries: Map<number, Delivery[]>, m: Message, outcome: Delivery['outcome']): Delivery {
  const n = Number(m.Body);
  const d: Delivery = {
    at: Date.now(),
    receiveCount: Number(m.Attributes?.ApproximateReceiveCount),
    firstReceiveAt: Number(m.Attributes?.ApproximateFirstReceiveTimestamp),
    messageId: m.MessageId as string,
    outcome,
  };
  const list = deliveries.get(n) ?? [];
  list.push(d);
  deliveries.set(n, list);
  return d;
}

test('sqs-consumer: 1,000 messages, failures retried after the visibility timeout, each succeeds once', async () => {
  const N = 1000;
  const VT = 2;
  const failsFirst = (n: number) => n % 7 === 0;
  const QueueUrl = await createQueue('consumer-retry', { VisibilityTimeout: String(VT) });
  const ids = await sendNumbered(QueueUrl, N);

  const deliveries = new Map<number, Delivery[]>();
  const successes = new Map<number, number>();
  const processedIds = new Map<number, string>();
  const processingErrors: number[] = [];
  const errors: Error[] = [];
  const group: Consumer[] = [];
  for (let i = 0; i < 3; i++) {
    const c = Consumer.create({
      queueUrl: QueueUrl,
      sqs: t.sqs,
      batchSize: 10,
      waitTimeSeconds: 1,
      pollingCompleteWaitTimeMs: 10_000,
      messageSystemAttributeNames: ['All'],
      handleMessage: async (m) => {
        const d = record(deliveries, m, 'acked');
        if (failsFirst(Number(m.Body)) && d.receiveCount === 1) {
          d.outcome = 'threw';
          throw new Error(`planned failure of ${m.Body}`);
        }
        return m;
      },
    });
    c.on('message_processed', (m) => {
      const n = Number(m.Body);
      successes.set(n, (successes.get(n) ?? 0) + 1);
      processedIds.set(n, m.MessageId as string);
    });
    c.on('processing_error', (_err, m) => processingErrors.push(Number(m.Body)));
    c.on('error', (err) => errors.push(err));
    group.push(c);
    consumers.push(c);
  }
  const started = Date.now();
  for (const c of group) c.start();
  try {
    await waitFor('every message to succeed', () => successes.size === N, 30_000);
  } finally {
    await stopAll(group);
  }
  const elapsed = Date.now() - started;

  assert.deepEqual(
    errors.map((e) => e.message),
    [],
    'no SQS errors (receive, delete) reached the consumers',
  );
  const expectedFailures = [...Array(N).keys()].filter(failsFirst);
  assert.deepEqual(
    [...processingErrors].sort((a, b) => a - b),
    expectedFailures,
    'each planned failure happened exactly once',
  );
  for (let n = 0; n < N; n++) {
    assert.equal(successes.get(n), 1, `message ${n} succeeded ${successes.get(n) ?? 0} times`);
    assert.equal(processedIds.get(n), ids.get(n), `message ${n} kept its MessageId`);
    const list = deliveries.get(n) ?? [];
    for (const d of list) assert.equal(d.messageId, ids.get(n));
    // Receive counts go 1, 2, ... and the first-receive time never changes.
    assert.deepEqual(
      list.map((d) => d.receiveCount),
      list.map((_, i) => i + 1),
      `message ${n} receive counts`,
    );
    assert.ok(
      list.every((d) => d.firstReceiveAt === list[0]?.firstReceiveAt),
      `message ${n} ApproximateFirstReceiveTimestamp changed`,
    );
    if (failsFirst(n)) {
      assert.ok(list.length >= 2, `failed message ${n} was retried (seen ${list.length} times)`);
      assert.deepEqual(
        list.map((d) => d.outcome),
        ['threw', 'acked'],
        `message ${n} outcomes`,
      );
      const [failed, retried] = list as [Delivery, Delivery];
      // The failing receive happened at firstReceiveAt (server time); the retry is not visible before VT after it.
      assert.ok(
        retried.at - failed.firstReceiveAt >= VT * 1000,
        `message ${n} came back ${retried.at - failed.firstReceiveAt} ms after the failing receive (< ${VT * 1000})`,
      );
    } else {
      assert.equal(list.length, 1, `message ${n} delivered ${list.length} times`);
    }
  }
  assert.deepEqual(await queueCounts(QueueUrl), { visible: '0', notVisible: '0', delayed: '0' });
  assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
});

interface BatchCall {
  command: 'ChangeMessageVisibilityBatchCommand' | 'DeleteMessageBatchCommand';
  sentAt: number;
  answeredAt: number;
  entries: { Id: string; VisibilityTimeout?: number }[];
  successful: string[];
  failed: { Id: string; Code?: string; Message?: string }[];
}

/** Records every visibility/delete batch call made through `sqs` with its per-entry answer. */
function observeBatches(sqs: SQSClient, calls: BatchCall[]): () => void {
  const name = `observe-batches-${Math.random()}`;
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName;
      if (command !== 'ChangeMessageVisibilityBatchCommand' && command !== 'DeleteMessageBatchCommand') {
        return next(args);
      }
      const sentAt = Date.now();
      const result = await next(args);
      const input = args.input as { Entries?: { Id: string; VisibilityTimeout?: number }[] };
      const output = result.output as {
        Successful?: { Id?: string }[];
        Failed?: { Id?: string; Code?: string; Message?: string }[];
      };
      calls.push({
        command,
        sentAt,
        answeredAt: Date.now(),
        entries: input.Entries ?? [],
        successful: (output.Successful ?? []).map((e) => e.Id as string),
        failed: (output.Failed ?? []).map((e) => ({
          Id: e.Id as string,
          ...(e.Code !== undefined ? { Code: e.Code } : {}),
          ...(e.Message !== undefined ? { Message: e.Message } : {}),
        })),
      });
      return result;
    },
    { step: 'initialize', name },
  );
  return () => sqs.middlewareStack.remove(name);
}

test('sqs-consumer batches: heartbeats keep slow batches invisible, partial acks and failed batches retry', async (ctx) => {
  const N = 150;
  const VT = 2; // consumer visibilityTimeout; handlers take longer than this, so only heartbeats keep them hidden
  const HANDLER_MS = 2600;
  const throwsFirst = (n: number) => n % 13 === 0; // the whole batch fails on its first delivery
  const skipsFirst = (n: number) => n % 11 === 0 && !throwsFirst(n); // left unacknowledged once
  const QueueUrl = await createQueue('consumer-heartbeat', { VisibilityTimeout: '30' });
  const ids = await sendNumbered(QueueUrl, N);

  const calls: BatchCall[] = [];
  const unobserve = observeBatches(t.sqs, calls);
  const deliveries = new Map<number, Delivery[]>();
  const successes = new Map<number, number>();
  const errors: unknown[] = [];
  let thrownBatches = 0;
  const group: Consumer[] = [];
  for (let i = 0; i < 5; i++) {
    const c = Consumer.create({
      queueUrl: QueueUrl,
      sqs: t.sqs,
      batchSize: 10,
      waitTimeSeconds: 1,
      visibilityTimeout: VT,
      heartbeatInterval: 0.5,
      terminateVisibilityTimeout: true,
      pollingCompleteWaitTimeMs: 10_000,
      messageSystemAttributeNames: ['All'],
      handleMessageBatch: async (messages) => {
        const ds = messages.map((m) => record(deliveries, m, 'acked'));
        if (messages.some((m, i) => throwsFirst(Number(m.Body)) && ds[i]?.receiveCount === 1)) {
          for (const d of ds) d.outcome = 'threw';
          thrownBatches += 1;
          throw new Error('planned batch failure');
        }
        await sleep(HANDLER_MS);
        return messages.filter((m, i) => {
          const skip = skipsFirst(Number(m.Body)) && ds[i]?.receiveCount === 1;
          if (skip && ds[i]) ds[i].outcome = 'unacked';
          return !skip;
        });
      },
    });
    c.on('message_processed', (m) => {
      const n = Number(m.Body);
      successes.set(n, (successes.get(n) ?? 0) + 1);
    });
    c.on('error', (err, m) => {
      // The planned failures arrive here too (batch handlers report through `error`).
      if (!(err.message.includes('planned batch failure') && Array.isArray(m))) errors.push(err);
    });
    group.push(c);
    consumers.push(c);
  }
  for (const c of group) c.start();
  try {
    await waitFor('every message to succeed', () => successes.size === N, 35_000);
  } finally {
    await stopAll(group);
    unobserve();
  }

  assert.deepEqual(errors, [], 'no SQS errors reached the consumers');
  assert.ok(thrownBatches > 0, 'some batches failed as planned');
  for (let n = 0; n < N; n++) {
    assert.equal(successes.get(n), 1, `message ${n} succeeded ${successes.get(n) ?? 0} times`);
    const list = deliveries.get(n) ?? [];
    const outcomes = list.map((d) => d.outcome);
    // Every delivery but the last was a planned failure: a heartbeat that failed to extend the
    // visibility would show up as an extra delivery after (or during) a successful one.
    assert.equal(outcomes[outcomes.length - 1], 'acked', `message ${n}: ${outcomes.join(',')}`);
    assert.ok(
      outcomes.slice(0, -1).every((o) => o !== 'acked'),
      `message ${n} was redelivered although acknowledged: ${outcomes.join(',')}`,
    );
    assert.deepEqual(
      list.map((d) => d.receiveCount),
      list.map((_, i) => i + 1),
      `message ${n} receive counts`,
    );
    for (const d of list) assert.equal(d.messageId, ids.get(n));
    if (throwsFirst(n) || skipsFirst(n)) assert.ok(list.length >= 2, `message ${n} was retried`);
  }

  const heartbeats = calls.filter(
    (c) => c.command === 'ChangeMessageVisibilityBatchCommand' && c.entries[0]?.VisibilityTimeout === VT,
  );
  const terminations = calls.filter(
    (c) => c.command === 'ChangeMessageVisibilityBatchCommand' && c.entries[0]?.VisibilityTimeout === 0,
  );
  const deletes = calls.filter((c) => c.command === 'DeleteMessageBatchCommand');
  ctx.diagnostic(
    `${heartbeats.length} heartbeats (${heartbeats.reduce((n, c) => n + c.failed.length, 0)} entries raced a delete), ` +
      `${thrownBatches} failed batches, ${deletes.length} delete batches`,
  );
  assert.ok(heartbeats.length >= 10, `expected many heartbeats, saw ${heartbeats.length}`);
  assert.equal(terminations.length, thrownBatches, 'one ChangeMessageVisibilityBatch(0) per failed batch');
  for (const call of [...terminations, ...deletes]) {
    assert.deepEqual(call.failed, [], `${call.command} entries failed`);
    assert.equal(call.successful.length, call.entries.length);
  }
  // sqs-consumer 14 ignores per-entry failures, so check them here. A heartbeat racing the delete of
  // its own batch may find the message gone; any other failure means a heartbeat was refused.
  const deleteRequested = new Map<string, number>();
  for (const d of deletes)
    for (const e of d.entries) deleteRequested.set(e.Id, Math.min(d.sentAt, deleteRequested.get(e.Id) ?? Infinity));
  for (const hb of heartbeats) {
    for (const f of hb.failed) {
      const deletedAt = deleteRequested.get(f.Id);
      assert.ok(
        deletedAt !== undefined && deletedAt <= hb.answeredAt,
        `heartbeat for ${f.Id} failed (${f.Code}: ${f.Message}) although its message was not being deleted`,
      );
    }
    assert.equal(hb.successful.length + hb.failed.length, hb.entries.length);
  }
  assert.deepEqual(await queueCounts(QueueUrl), { visible: '0', notVisible: '0', delayed: '0' });
});

test('sqs-consumer terminateVisibilityTimeout: a failed batch is received again at once, not after the timeout', async () => {
  const VT = 20;
  const QueueUrl = await createQueue('consumer-terminate', { VisibilityTimeout: '30' });
  const ids = await sendNumbered(QueueUrl, 5);
  const deliveries = new Map<number, Delivery[]>();
  const successes = new Set<number>();
  const errors: unknown[] = [];
  const c = Consumer.create({
    queueUrl: QueueUrl,
    sqs: t.sqs,
    batchSize: 10,
    waitTimeSeconds: 1,
    visibilityTimeout: VT,
    terminateVisibilityTimeout: true,
    pollingCompleteWaitTimeMs: 5000,
    messageSystemAttributeNames: ['All'],
    handleMessageBatch: async (messages) => {
      const ds = messages.map((m) => record(deliveries, m, 'acked'));
      if (ds.some((d) => d.receiveCount === 1)) {
        for (const d of ds) d.outcome = 'threw';
        throw new Error('planned batch failure');
      }
      return messages;
    },
  });
  consumers.push(c);
  c.on('message_processed', (m) => successes.add(Number(m.Body)));
  c.on('error', (err) => {
    if (!err.message.includes('planned batch failure')) errors.push(err);
  });
  c.start();
  try {
    await waitFor('the failed batch to be processed', () => successes.size === 5, 8000);
  } finally {
    await stopAll([c]);
  }
  assert.deepEqual(errors, []);
  for (let n = 0; n < 5; n++) {
    const list = deliveries.get(n) ?? [];
    assert.deepEqual(
      list.map((d) => d.outcome),
      ['threw', 'acked'],
    );
    const [failed, retried] = list as [Delivery, Delivery];
    assert.equal(retried.messageId, ids.get(n));
    assert.ok(
      retried.at - failed.at < 5000,
      `message ${n} came back after ${retried.at - failed.at} ms; the ${VT} s timeout was not terminated`,
    );
  }
  assert.deepEqual(await queueCounts(QueueUrl), { visible: '0', notVisible: '0', delayed: '0' });
});
