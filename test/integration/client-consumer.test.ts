// switchyard/client's consumer against a real server: the concurrency bound, heartbeats across two consumers,
// retry backoff, dead-lettering (by maxReceiveCount, by PermanentError, by invalid events), partial batch failure,
// graceful shutdown, and receive errors. Real time throughout: SQS's timers are real.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import {
  type Consumer,
  type ConsumerEvents,
  consume,
  type MessageContext,
  PermanentError,
  type PermanentFailureReason,
  permanent,
} from '../../src/client/consumer.js';
import { defineEvent, type EventEnvelope } from '../../src/client/events.js';
import { MemoryIdempotencyStore } from '../../src/client/idempotency.js';
import { stoppedAfterEach } from '../helpers/consumers.js';
import { sleep } from '../helpers/process.js';
import { sqsClient, testServerForFile } from '../helpers/server.js';
import { sqsHelpers, uniq } from '../helpers/sqs.js';
import { waitFor } from '../helpers/wait.js';

const t = testServerForFile();
const { createQueue, queueArnOf, counts } = sqsHelpers(() => t.sqs);

/** Every consumer a test starts, stopped after it (bounded) whatever happened. */
const consumers = stoppedAfterEach();
after(() => {
  for (const c of clients) c.destroy();
});
const clients: SQSClient[] = [];

/** Starts a consumer, recording its `error` events; it is stopped after the test. */
async function started(
  consumer: Consumer,
): Promise<{ consumer: Consumer; errors: { error: Error; operation: string }[] }> {
  consumers.track(consumer);
  const errors: { error: Error; operation: string }[] = [];
  consumer.on('error', (error, info) => errors.push({ error, operation: info.operation }));
  await consumer.start();
  return { consumer, errors };
}

/** Sends bodies "0".."n-1", ten to a SendMessageBatch. */
async function sendNumbered(QueueUrl: string, n: number, extra: (i: number) => object = () => ({})): Promise<void> {
  for (let i = 0; i < n; i += 10) {
    const out = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: Math.min(10, n - i) }, (_, k) => ({
          Id: `m${i + k}`,
          MessageBody: String(i + k),
          ...extra(i + k),
        })),
      }),
    );
    assert.deepEqual(out.Failed ?? [], []);
  }
}

/** A client of its own on the test server that records every call it makes: command name and input. */
function recordingClient(): { client: SQSClient; calls: { command: string; input: Record<string, unknown> }[] } {
  const client = sqsClient(t.server.url);
  clients.push(client);
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: context.commandName ?? '', input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client, calls };
}

/** A queue with a dead-letter queue after `maxReceiveCount` receives. */
async function queueWithDlq(
  prefix: string,
  maxReceiveCount: number,
  attributes: Record<string, string> = {},
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlqUrl = await createQueue(uniq(`${prefix}-dlq`));
  const deadLetterTargetArn = await queueArnOf(dlqUrl);
  const queueUrl = await createQueue(uniq(prefix), {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount }),
    ...attributes,
  });
  return { queueUrl, dlqUrl };
}

async function receiveAll(QueueUrl: string, max = 10): Promise<Message[]> {
  const { Messages = [] } = await t.sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: max, WaitTimeSeconds: 0, VisibilityTimeout: 30 }),
  );
  return Messages;
}

/** Collects the `permanent_failure` events of a consumer. */
function permanentFailures(consumer: Consumer): ConsumerEvents['permanent_failure'][0][] {
  const out: ConsumerEvents['permanent_failure'][0][] = [];
  consumer.on('permanent_failure', (info) => out.push(info));
  return out;
}

test('concurrency: 50 messages with concurrency 5 never run more than 5 handlers at once, each message once', async () => {
  const queueUrl = await createQueue(uniq('cc'));
  await sendNumbered(queueUrl, 50);

  // A client of its own, to see every ReceiveMessage the consumer makes.
  const { client, calls } = recordingClient();

  let active = 0;
  let maxActive = 0;
  const handled = new Map<string, number>();
  const { consumer, errors } = await started(
    consume({
      client,
      queueUrl,
      concurrency: 5,
      waitTimeSeconds: 1,
      handler: async (message: Message) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(20 + Math.random() * 40);
        handled.set(message.Body ?? '', (handled.get(message.Body ?? '') ?? 0) + 1);
        active -= 1;
      },
    }),
  );
  await waitFor('50 handled', () => consumer.stats().handled === 50, 10_000);
  await waitFor('the queue to empty', async () => (await counts(queueUrl)).notVisible === 0, 5000);

  assert.equal(maxActive, 5, 'the limit is reached and never exceeded');
  assert.equal(handled.size, 50);
  assert.ok(
    [...handled.values()].every((n) => n === 1),
    'each message handled once',
  );
  const asked = calls.filter((c) => c.command === 'ReceiveMessageCommand').map((c) => c.input.MaxNumberOfMessages);
  assert.ok(
    asked.length > 0 && asked.every((n) => typeof n === 'number' && n >= 1 && n <= 5),
    `receives asked for ${asked.join(',')}`,
  );
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
  const s = consumer.stats();
  assert.equal(s.inFlight, 0);
  assert.equal(s.concurrency, 5);
  assert.equal(s.latencyMs.samples, 50);
  assert.ok((s.latencyMs.p50 ?? 0) >= 20 && (s.latencyMs.p99 ?? 0) >= (s.latencyMs.p50 ?? 0));
  assert.deepEqual(errors, []);
});

test('heartbeat: a handler running 10× the visibility timeout is never handed to a second consumer', async () => {
  const queueUrl = await createQueue(uniq('hb'), { VisibilityTimeout: '2' });
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'slow' }));

  // 2 s rather than 1 s: at 1 s a heartbeat that a loaded machine delays by some 500 ms lets the message go.
  const HANDLER_MS = 20_000;
  const calls: { consumer: string; receiveCount: number }[] = [];
  let done = false;
  const handlerOf = (name: string) => async (_m: Message, ctx: MessageContext) => {
    calls.push({ consumer: name, receiveCount: ctx.receiveCount });
    await sleep(HANDLER_MS);
    done = true;
  };
  const a = await started(consume({ client: t.sqs, queueUrl, waitTimeSeconds: 1, handler: handlerOf('a') }));
  const heartbeats: { visibilityTimeout: number; elapsedMs: number }[] = [];
  a.consumer.on('heartbeat', ({ visibilityTimeout, elapsedMs }) => heartbeats.push({ visibilityTimeout, elapsedMs }));
  await waitFor('the first consumer to take the message', () => calls.length === 1, 5000);
  // The second consumer long-polls the queue (1 s at a time) for as long as the handler runs, and after.
  const recorded = recordingClient();
  const b = await started(consume({ client: recorded.client, queueUrl, waitTimeSeconds: 1, handler: handlerOf('b') }));

  await waitFor('the handler to finish', () => done, HANDLER_MS + 5000);
  await waitFor('the first handling to settle', () => a.consumer.stats().handled >= 1, 3000);
  await sleep(500); // room for the delete, and for a duplicate delivery to show

  assert.deepEqual(calls, [{ consumer: 'a', receiveCount: 1 }], 'handled once, by the first consumer');
  assert.deepEqual([a.consumer.stats().handled, a.consumer.stats().inFlight], [1, 0]);
  assert.equal(b.consumer.stats().handled + b.consumer.stats().failed + b.consumer.stats().inFlight, 0);
  const polls = recorded.calls.filter((c) => c.command === 'ReceiveMessageCommand').length;
  assert.ok(polls >= 10, `the second consumer polled only ${polls} times`);
  // A third of 2 s: a heartbeat every ~667 ms (~30 in 20 s), each setting the 2 s timeout again, to the handler's end.
  assert.ok(heartbeats.length >= 15, `only ${heartbeats.length} heartbeats`);
  assert.ok(heartbeats.every((h) => h.visibilityTimeout === 2));
  const lastAt = heartbeats.at(-1)?.elapsedMs ?? 0;
  assert.ok(lastAt >= HANDLER_MS - 2000, `the last heartbeat ${lastAt} ms after the receive`);
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test('a message the consumer still handles, received again by it, is not run twice; the newest handle deletes it', async () => {
  // No heartbeats and a 1 s visibility timeout: the message comes back to this same consumer while its handler runs.
  const queueUrl = await createQueue(uniq('again'), { VisibilityTimeout: '1' });
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'slow' }));
  const calls: number[] = [];
  const recorded = recordingClient();
  const { consumer, errors } = await started(
    consume({
      client: recorded.client,
      queueUrl,
      waitTimeSeconds: 1,
      concurrency: 2,
      heartbeatIntervalSeconds: 0,
      handler: async (_m: Message, ctx: MessageContext) => {
        calls.push(ctx.receiveCount);
        await sleep(3500);
      },
    }),
  );
  await waitFor('handled', () => consumer.stats().handled === 1, 10_000);
  await waitFor('deleted', async () => (await counts(queueUrl)).notVisible === 0, 3000);
  assert.deepEqual(calls, [1], 'the handler ran once');
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
  // It was received again meanwhile (at least twice more in 3.5 s), and the delete used the newest receipt handle.
  const receipts = recorded.calls.filter((c) => c.command === 'ReceiveMessageCommand').length;
  assert.ok(receipts >= 3, `${receipts} receives`);
  assert.deepEqual(errors, []);
  assert.equal(consumer.stats().inFlight, 0);
});

test('a message made visible again at once is a new delivery to another receive loop, not one still held', async () => {
  // Retries without backoff on a 30 s visibility timeout: each failure makes the message visible at once, and one of
  // the consumer's ten waiting long polls takes it, often before the visibility change's answer is back.
  const queueUrl = await createQueue(uniq('again-new'), { VisibilityTimeout: '30' });
  await sendNumbered(queueUrl, 5);
  const attempts = new Map<string, number>();
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 5,
      concurrency: 10,
      batchSize: 1,
      retry: { baseDelaySeconds: 0 },
      handler: async (m: Message) => {
        const n = (attempts.get(m.Body ?? '') ?? 0) + 1;
        attempts.set(m.Body ?? '', n);
        if (n <= 3) throw new Error(`attempt ${n} fails`);
      },
    }),
  );
  // Taken for still held, a message would sit out its 30 s visibility timeout.
  await waitFor('all five handled on their fourth attempt', () => consumer.stats().handled === 5, 10_000);
  assert.deepEqual([...attempts.values()], [4, 4, 4, 4, 4]);
  assert.equal(consumer.stats().retried, 15);
  assert.deepEqual(errors, []);
});

test('retry: a handler failing twice is retried after growing backoffs, then deleted', async () => {
  const queueUrl = await createQueue(uniq('retry'), { VisibilityTimeout: '30' });
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'flaky' }));

  const attempts: { at: number; receiveCount: number }[] = [];
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 5,
      retry: { baseDelaySeconds: 1, maxDelaySeconds: 4, jitter: 'none' },
      handler: async (_m: Message, ctx: MessageContext) => {
        attempts.push({ at: Date.now(), receiveCount: ctx.receiveCount });
        if (attempts.length <= 2) throw new Error(`attempt ${attempts.length} fails`);
      },
    }),
  );
  const retries: number[] = [];
  const processingErrors: string[] = [];
  consumer.on('retry', (info) => retries.push(info.delaySeconds));
  consumer.on('processing_error', (error) => processingErrors.push((error as Error).message));

  await waitFor('the third attempt to succeed', () => consumer.stats().handled === 1, 10_000);
  await waitFor('the delete', () => consumer.stats().inFlight === 0, 3000);

  assert.deepEqual(
    attempts.map((a) => a.receiveCount),
    [1, 2, 3],
  );
  const [a1, a2, a3] = attempts.map((a) => a.at) as [number, number, number];
  const gap1 = a2 - a1;
  const gap2 = a3 - a2;
  // Hidden 1 s after the first failure, 2 s after the second (the queue's own timeout is 30 s).
  assert.ok(gap1 >= 900 && gap1 < 2500, `first gap ${gap1} ms`);
  assert.ok(gap2 >= 1900 && gap2 < 3500, `second gap ${gap2} ms`);
  assert.ok(gap2 > gap1, `gaps ${gap1} then ${gap2} ms: not growing`);
  assert.deepEqual(retries, [1, 2]);
  assert.deepEqual(processingErrors, ['attempt 1 fails', 'attempt 2 fails']);
  const s = consumer.stats();
  assert.deepEqual([s.handled, s.failed, s.retried, s.deadLettered], [1, 2, 2, 0]);
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
  assert.deepEqual(errors, []);
});

test('dead-letter queue: an always-failing message lands there after maxReceiveCount 2 receives', async () => {
  const { queueUrl, dlqUrl } = await queueWithDlq('dlq', 2, { VisibilityTimeout: '30' });
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));

  const receiveCounts: number[] = [];
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 2,
      retry: { baseDelaySeconds: 1, maxDelaySeconds: 4 },
      handler: async (_m: Message, ctx: MessageContext) => {
        receiveCounts.push(ctx.receiveCount);
        throw new Error('always');
      },
    }),
  );
  const gaveUp = permanentFailures(consumer);

  await waitFor('the DLQ to hold it', async () => (await counts(dlqUrl)).visible === 1, 8000);
  const [moved] = await receiveAll(dlqUrl);
  assert.equal(moved?.Body, 'poison');
  assert.deepEqual(receiveCounts, [1, 2]);
  assert.deepEqual(
    gaveUp.map((g) => [g.reason, g.receiveCount, g.deadLetterQueue]),
    [['max_receives', 2, true]],
  );
  const s = consumer.stats();
  assert.deepEqual([s.handled, s.failed, s.retried, s.deadLettered], [0, 2, 1, 1]);
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
  assert.deepEqual(errors, []);
});

test('PermanentError: dead-letters without backoff waits and without running the handler again', async () => {
  // Any backoff would be 30 s; maxReceiveCount 4 leaves three receives to go through after the failure.
  const { queueUrl, dlqUrl } = await queueWithDlq('perm', 4, { VisibilityTimeout: '30' });
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'unprocessable' }));

  let calls = 0;
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 2,
      retry: { baseDelaySeconds: 30, maxDelaySeconds: 30, jitter: 'none' },
      handler: async () => {
        calls += 1;
        throw permanent(new TypeError('cannot ever work'));
      },
    }),
  );
  const gaveUp = permanentFailures(consumer);
  await waitFor('the first attempt', () => calls === 1, 5000);
  const failedAt = Date.now();

  await waitFor('the DLQ to hold it', async () => (await counts(dlqUrl)).visible === 1, 4000);
  assert.ok(Date.now() - failedAt < 4000);
  const [moved] = await receiveAll(dlqUrl);
  assert.equal(moved?.Body, 'unprocessable');
  assert.equal(calls, 1, 'the handler ran once');
  assert.deepEqual(
    gaveUp.map((g) => [g.reason, g.deadLetterQueue]),
    [['permanent_error', true]],
  );
  const error = gaveUp[0]?.error;
  assert.ok(error instanceof PermanentError && error.code === 'PERMANENT_FAILURE');
  assert.ok(error.cause instanceof TypeError && error.message === 'cannot ever work');
  const s = consumer.stats();
  assert.deepEqual([s.failed, s.retried, s.deadLettered], [1, 0, 1]);
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
  assert.deepEqual(errors, []);
});

test('PermanentError without a dead-letter queue: hidden for maxDelaySeconds, not handed straight back', async () => {
  // With its own 1 s timeout the message would be back within a second; the consumer hides it for 60 s.
  const queueUrl = await createQueue(uniq('perm-nodlq'), { VisibilityTimeout: '1' });
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'stuck' }));

  let calls = 0;
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 1,
      retry: { baseDelaySeconds: 1, maxDelaySeconds: 60 },
      handler: async () => {
        calls += 1;
        throw new PermanentError('never');
      },
    }),
  );
  const gaveUp = permanentFailures(consumer);
  await waitFor('the give-up', () => gaveUp.length === 1, 5000);
  await sleep(2500);

  assert.equal(calls, 1);
  assert.deepEqual(
    gaveUp.map((g) => [g.reason, g.deadLetterQueue]),
    [['permanent_error', false]],
  );
  const s = consumer.stats();
  assert.deepEqual([s.failed, s.retried, s.deadLettered, s.inFlight], [1, 0, 0, 0]);
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 1, delayed: 0 });
  assert.deepEqual(errors, []);
});

test('partial batch failure: only the ids the batch handler reports failed are retried', async () => {
  const queueUrl = await createQueue(uniq('batch'), { VisibilityTimeout: '30' });
  await sendNumbered(queueUrl, 8);

  const attempts = new Map<string, number>();
  const batchSizes: number[] = [];
  const { client, calls } = recordingClient();
  const { consumer, errors } = await started(
    consume({
      client,
      queueUrl,
      waitTimeSeconds: 2,
      retry: { baseDelaySeconds: 1, maxDelaySeconds: 1, jitter: 'none' },
      batchHandler: async (items) => {
        batchSizes.push(items.length);
        const failed: string[] = [];
        for (const item of items) {
          const body = item.input.Body ?? '';
          const n = (attempts.get(body) ?? 0) + 1;
          attempts.set(body, n);
          if ((body === '2' || body === '5') && n === 1) failed.push(item.messageId);
        }
        return { failed };
      },
    }),
  );

  await waitFor('all 8 handled', () => consumer.stats().handled === 8, 8000);
  await waitFor('the deletes', () => consumer.stats().inFlight === 0, 3000);
  assert.deepEqual(
    [...attempts.entries()].sort(([a], [b]) => Number(a) - Number(b)),
    [
      ['0', 1],
      ['1', 1],
      ['2', 2],
      ['3', 1],
      ['4', 1],
      ['5', 2],
      ['6', 1],
      ['7', 1],
    ],
  );
  assert.ok(batchSizes[0] !== undefined && batchSizes[0] > 1, `batches of ${batchSizes.join(',')}`);
  // The first batch's successes are deleted together, in one DeleteMessageBatch.
  const deleteBatches = calls.filter((c) => c.command === 'DeleteMessageBatchCommand');
  assert.ok(deleteBatches.length >= 1, 'no DeleteMessageBatch');
  const deleted =
    deleteBatches.reduce((n, c) => n + (c.input.Entries as unknown[]).length, 0) +
    calls.filter((c) => c.command === 'DeleteMessageCommand').length;
  assert.equal(deleted, 8);
  const s = consumer.stats();
  assert.deepEqual([s.handled, s.failed, s.retried], [8, 2, 2]);
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
  assert.deepEqual(errors, []);
});

test('shutdown: unstarted messages are visible again at once; stop() waits for the handler under way', async () => {
  // A FIFO receive brings the group's five messages at once; they run one after the other, so four wait unstarted.
  const queueUrl = await createQueue(`${uniq('stop')}.fifo`, {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'true',
    VisibilityTimeout: '30',
  });
  await sendNumbered(queueUrl, 5, () => ({ MessageGroupId: 'g' }));

  const started_: string[] = [];
  let finishedAt = 0;
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      concurrency: 5,
      waitTimeSeconds: 5,
      handler: async (message: Message) => {
        started_.push(message.Body ?? '');
        await sleep(2500);
        finishedAt = Date.now();
      },
    }),
  );
  await waitFor('the first handler', () => started_.length === 1, 5000);
  assert.equal(consumer.stats().inFlight, 5, 'one receive brought the whole group');

  const stopping = consumer.stop().then(() => Date.now());
  assert.equal(consumer.running, false);
  // While the first handler still runs, the other four are back: visible, not in flight.
  await waitFor(
    'the release',
    async () => {
      const c = await counts(queueUrl);
      return c.visible === 4 && c.notVisible === 1;
    },
    1000,
  );
  assert.equal(finishedAt, 0, 'the handler is still running');

  const stoppedAt = await stopping;
  assert.ok(finishedAt > 0 && stoppedAt >= finishedAt, 'stop() resolved after the handler finished');
  assert.deepEqual(started_, ['0']);
  const s = consumer.stats();
  assert.deepEqual([s.handled, s.released, s.inFlight], [1, 4, 0]);
  // The group goes on with the next message at once (not 30 s later), in order.
  const rest = await receiveAll(queueUrl);
  assert.deepEqual(
    rest.map((m) => m.Body),
    ['1', '2', '3', '4'],
  );
  assert.deepEqual(errors, []);
});

test('shutdown: stop() aborts the long poll under way, and a handler past the deadline keeps its message', async () => {
  const idleUrl = await createQueue(uniq('idle'));
  const idle = await started(consume({ client: t.sqs, queueUrl: idleUrl, waitTimeSeconds: 20, handler: () => {} }));
  await sleep(300); // the 20 s long poll is under way
  const t0 = Date.now();
  await idle.consumer.stop();
  assert.ok(Date.now() - t0 < 1000, `stop() took ${Date.now() - t0} ms`);
  // No poll outlives stop(): a message sent afterwards stays in the queue. (Sent a moment later: a message that
  // arrives while the server has not yet seen the client hang up can still go to the aborted poll, on AWS too.)
  await sleep(200);
  await t.sqs.send(new SendMessageCommand({ QueueUrl: idleUrl, MessageBody: 'after' }));
  assert.deepEqual(
    (await receiveAll(idleUrl)).map((m) => m.Body),
    ['after'],
  );

  const slowUrl = await createQueue(uniq('slow'), { VisibilityTimeout: '30' });
  await t.sqs.send(new SendMessageCommand({ QueueUrl: slowUrl, MessageBody: 'slow' }));
  let signal: AbortSignal | undefined;
  let finished = false;
  const slow = await started(
    consume({
      client: t.sqs,
      queueUrl: slowUrl,
      waitTimeSeconds: 2,
      handler: async (_m: Message, ctx: MessageContext) => {
        signal = ctx.signal;
        await sleep(2000);
        finished = true;
      },
    }),
  );
  const stopped: ConsumerEvents['stopped'][0][] = [];
  slow.consumer.on('stopped', (info) => stopped.push(info));
  await waitFor('the handler', () => signal !== undefined, 5000);
  const t1 = Date.now();
  await slow.consumer.stop({ timeoutMs: 300 });
  assert.ok(Date.now() - t1 < 1000, `stop() took ${Date.now() - t1} ms`);
  assert.deepEqual(stopped, [{ timedOut: true, abandoned: 1 }]);
  assert.equal(signal?.aborted, true);
  assert.equal(finished, false);
  await waitFor('the abandoned handler to end', () => finished, 3000);
  await sleep(200);
  // Neither deleted nor released: it comes back when its 30 s end.
  assert.deepEqual(await counts(slowUrl), { visible: 0, notVisible: 1, delayed: 0 });
  assert.equal(slow.consumer.stats().handled, 0);
  assert.deepEqual([...idle.errors, ...slow.errors], []);
});

test('handleSignals: SIGTERM or SIGINT stops the consumer gracefully, once; the listeners go with it', async () => {
  const queueUrl = await createQueue(uniq('signals'));
  const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
  const { consumer } = await started(
    consume({ client: t.sqs, queueUrl, waitTimeSeconds: 20, handleSignals: true, handler: () => {} }),
  );
  assert.deepEqual(
    { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') },
    { term: before.term + 1, int: before.int + 1 },
  );
  const stopped = new Promise<ConsumerEvents['stopped'][0]>((resolve) => consumer.on('stopped', resolve));
  // What Node runs on SIGTERM (a real signal would also reach the test runner's own listeners).
  const onTerm = process.listeners('SIGTERM').at(-1);
  assert.ok(onTerm);
  const t0 = Date.now();
  onTerm('SIGTERM');
  assert.equal(consumer.running, false);
  assert.deepEqual(await stopped, { timedOut: false, abandoned: 0 });
  assert.ok(Date.now() - t0 < 1000, 'the 20 s long poll was aborted');
  assert.deepEqual({ term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') }, before);
});

const OrderPlaced = defineEvent({
  source: 'shop.orders',
  detailType: 'OrderPlaced',
  schema: z.object({ orderId: z.string(), total: z.number() }),
});
const OrderShipped = defineEvent({
  source: 'shop.orders',
  detailType: 'OrderShipped',
  schema: z.object({ orderId: z.string(), carrier: z.string() }),
});

/** The envelope EventBridge delivers to an SQS target. */
function envelope(detailType: string, detail: unknown, source = 'shop.orders'): string {
  const e: EventEnvelope = {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': detailType,
    source,
    account: '000000000000',
    time: '2024-05-01T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
  return JSON.stringify(e);
}

test('event: bodies are parsed and validated; an invalid one is a permanent failure, dead-lettered', async () => {
  const { queueUrl, dlqUrl } = await queueWithDlq('ev', 2, { VisibilityTimeout: '30' });
  const bodies = [
    envelope('OrderPlaced', { orderId: 'o-1', total: 42 }),
    envelope('OrderPlaced', { orderId: 'o-2', total: 'lots' }), // fails the schema
    'not json at all',
    envelope('OrderShipped', { orderId: 'o-3', carrier: 'ups' }), // another kind
  ];
  for (const MessageBody of bodies) await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }));

  const seen: { orderId: string; total: number; receiveCount: number }[] = [];
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 2,
      retry: { baseDelaySeconds: 30, maxDelaySeconds: 30 },
      event: OrderPlaced,
      handler: async (event, ctx) => {
        seen.push({ orderId: event.detail.orderId, total: event.detail.total, receiveCount: ctx.receiveCount });
      },
    }),
  );
  const gaveUp = permanentFailures(consumer);

  await waitFor('three in the DLQ', async () => (await counts(dlqUrl)).visible === 3, 6000);
  assert.deepEqual(seen, [{ orderId: 'o-1', total: 42, receiveCount: 1 }]);
  assert.deepEqual(
    gaveUp.map((g) => [g.message.Body, g.reason, (g.error as Error).name]).sort(),
    [
      [bodies[1], 'invalid_event', 'EventValidationError'],
      [bodies[2], 'invalid_event', 'EnvelopeError'],
      [bodies[3], 'unmatched_event', 'EventTypeMismatchError'],
    ].sort() as [string, PermanentFailureReason, string][],
  );
  const s = consumer.stats();
  assert.deepEqual([s.handled, s.failed, s.retried, s.deadLettered], [1, 3, 0, 3]);
  assert.deepEqual((await receiveAll(dlqUrl)).map((m) => m.Body).sort(), [bodies[1], bodies[2], bodies[3]].sort());
  assert.deepEqual(errors, []);
});

test('events: each body goes to the definition it matches, typed; a kind none names is a permanent failure', async () => {
  const { queueUrl, dlqUrl } = await queueWithDlq('evs', 2, { VisibilityTimeout: '30' });
  const bodies = [
    envelope('OrderPlaced', { orderId: 'o-1', total: 5 }),
    envelope('OrderShipped', { orderId: 'o-1', carrier: 'dhl' }),
    envelope('ReturnOpened', { orderId: 'o-1' }),
  ];
  for (const MessageBody of bodies) await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }));

  const seen: string[] = [];
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 2,
      events: [OrderPlaced, OrderShipped],
      handler: async (event) => {
        if (OrderShipped.matches(event)) seen.push(`${event.detailType} ${event.detail.orderId}`);
        else seen.push(`${event.detailType} ${event.detail.orderId}`);
      },
    }),
  );
  const gaveUp = permanentFailures(consumer);
  await waitFor('the unknown kind in the DLQ', async () => (await counts(dlqUrl)).visible === 1, 6000);
  await waitFor('both handled', () => consumer.stats().handled === 2, 3000);
  assert.deepEqual(seen.sort(), ['OrderPlaced o-1', 'OrderShipped o-1']);
  assert.deepEqual(
    gaveUp.map((g) => [g.message.Body, g.reason]),
    [[bodies[2], 'unmatched_event']],
  );
  assert.deepEqual(errors, []);
});

test('receive errors are reported through `error` with growing pauses, never thrown; stop() still works', async () => {
  // Nothing listens on port 1: every call fails at once.
  const client = new SQSClient({
    endpoint: 'http://127.0.0.1:1',
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  clients.push(client);
  const { consumer, errors } = await started(
    consume({
      client,
      queueUrl: 'http://127.0.0.1:1/000000000000/nowhere',
      waitTimeSeconds: 20,
      handler: () => {},
    }),
  );
  await sleep(1500);
  const receives = errors.filter((e) => e.operation === 'receive').length;
  assert.equal(errors[0]?.operation, 'get_queue_attributes');
  // Pauses of 125-250, 250-500, 500-1000 ms: at least 2 and at most 4 receives in 1.5 s.
  assert.ok(receives >= 2 && receives <= 4, `${receives} receive errors in 1.5 s`);
  assert.equal(consumer.running, true);
  const t0 = Date.now();
  await consumer.stop();
  assert.ok(Date.now() - t0 < 500);
});

test('idempotency: an event delivered twice is handled once; the copy is deleted without a handler call', async () => {
  const queueUrl = await createQueue(uniq('idem'), { VisibilityTimeout: '30' });
  const first = envelope('OrderPlaced', { orderId: 'o-9', total: 7 });
  // EventBridge delivers at least once: the same event (same id) may reach the queue twice.
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: first }));
  const store = new MemoryIdempotencyStore({ windowMs: 60_000 });
  const handled: string[] = [];
  const duplicates: string[] = [];
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 1,
      event: OrderPlaced,
      idempotency: { store },
      handler: async (event) => {
        handled.push(event.detail.orderId);
      },
    }),
  );
  consumer.on('duplicate', (info) => duplicates.push(info.key));
  await waitFor('the first copy handled', () => handled.length === 1, 5000);
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: first }));
  // A different event about the same order is not a duplicate.
  await t.sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: envelope('OrderPlaced', { orderId: 'o-9', total: 8 }) }),
  );
  await waitFor('the copy skipped and the other handled', () => duplicates.length === 1 && handled.length === 2, 5000);
  await waitFor(
    'the queue empty',
    async () => {
      const c = await counts(queueUrl);
      return c.visible === 0 && c.notVisible === 0;
    },
    5000,
  );
  assert.deepEqual(handled, ['o-9', 'o-9']);
  const id = (JSON.parse(first) as { id: string }).id;
  assert.deepEqual(duplicates, [`${queueUrl}#event:${id}`]);
  assert.equal(await store.has(`${queueUrl}#event:${id}`), true);
  const s = consumer.stats();
  assert.deepEqual([s.handled, s.duplicates, s.failed], [2, 1, 0]);
  assert.deepEqual(errors, []);
});

test('idempotency: a store that fails is reported and the message handled anyway (at least once)', async () => {
  const queueUrl = await createQueue(uniq('idem-down'), { VisibilityTimeout: '30' });
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'hello' }));
  const broken = {
    has: async () => {
      throw new Error('store unreachable');
    },
    put: async () => {
      throw new Error('store unreachable');
    },
  };
  const bodies: (string | undefined)[] = [];
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 1,
      idempotency: { store: broken },
      handler: async (message) => {
        bodies.push(message.Body);
      },
    }),
  );
  await waitFor(
    'handled and deleted',
    async () => bodies.length === 1 && (await counts(queueUrl)).notVisible === 0,
    5000,
  );
  assert.deepEqual(bodies, ['hello']);
  assert.deepEqual(
    errors.map((e) => [e.operation, e.error.message]),
    [
      ['idempotency', 'store unreachable'],
      ['idempotency', 'store unreachable'],
    ],
  );
  assert.equal(consumer.stats().duplicates, 0);
});

test('idempotency on a FIFO queue: a skipped copy does not hold back the rest of its group', async () => {
  const queueUrl = await createQueue(`${uniq('idem-fifo')}.fifo`, { FifoQueue: 'true', VisibilityTimeout: '30' });
  const a = envelope('OrderPlaced', { orderId: 'o-a', total: 1 });
  const b = envelope('OrderPlaced', { orderId: 'o-b', total: 2 });
  const group = { MessageGroupId: 'seller-1' };
  await t.sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: a, MessageDeduplicationId: 'a1', ...group }),
  );
  const handled: string[] = [];
  const { consumer, errors } = await started(
    consume({
      client: t.sqs,
      queueUrl,
      waitTimeSeconds: 1,
      event: OrderPlaced,
      idempotency: { store: new MemoryIdempotencyStore() },
      handler: async (event) => {
        handled.push(event.detail.orderId);
      },
    }),
  );
  await waitFor('a handled', () => handled.length === 1, 5000);
  // The copy of a (another SQS dedup id: a redelivery by EventBridge, not a retried send) and b, one group.
  await t.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: [
        { Id: 'copy', MessageBody: a, MessageDeduplicationId: 'a2', ...group },
        { Id: 'b', MessageBody: b, MessageDeduplicationId: 'b1', ...group },
      ],
    }),
  );
  await waitFor('b handled', () => handled.length === 2, 5000);
  assert.deepEqual(handled, ['o-a', 'o-b']);
  const s = consumer.stats();
  assert.deepEqual([s.duplicates, s.released], [1, 0]);
  assert.deepEqual(errors, []);
});
