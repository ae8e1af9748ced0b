// Autoscaling in switchyard/client's consumer against a real server: a backlog (a flash sale) raises the concurrency
// towards the maximum, never past it; an empty queue brings it back to the minimum; a trickle keeps it low.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { type ConsumerEvents, consume } from '../../src/client/index.js';
import { stoppedAfterEach } from '../helpers/consumers.js';
import { sleep } from '../helpers/process.js';
import { testServerForFile } from '../helpers/server.js';
import { sqsHelpers, uniq } from '../helpers/sqs.js';
import { waitFor } from '../helpers/wait.js';

const t = testServerForFile();
const { createQueue, counts } = sqsHelpers(() => t.sqs);

const consumers = stoppedAfterEach();

async function sendMany(QueueUrl: string, n: number): Promise<void> {
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < n; i += 10) {
    const Entries = Array.from({ length: Math.min(10, n - i) }, (_, k) => ({ Id: `m${k}`, MessageBody: `${i + k}` }));
    calls.push(t.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries })));
  }
  await Promise.all(calls);
}

/** A consumer whose handler takes `handlerMs`, recording the most handlers seen running at once. */
async function scalingConsumer(queueUrl: string, handlerMs: number) {
  let running = 0;
  const seen = { peak: 0, handled: 0 };
  const changes: ConsumerEvents['concurrency'][0][] = [];
  const consumer = consume({
    client: t.sqs,
    queueUrl,
    waitTimeSeconds: 1,
    concurrency: { min: 1, max: 20, intervalMs: 250, targetDrainSeconds: 1, scaleDownAfter: 2 },
    handler: async () => {
      running += 1;
      seen.peak = Math.max(seen.peak, running);
      await sleep(handlerMs);
      running -= 1;
      seen.handled += 1;
    },
  });
  consumer.on('concurrency', (info) => changes.push(info));
  const errors: Error[] = [];
  consumer.on('error', (error) => errors.push(error));
  consumers.track(consumer);
  await consumer.start();
  return { consumer, seen, changes, errors };
}

test('autoscaling: a backlog scales the concurrency up to the maximum, never past it; idle brings it back down', async () => {
  const queueUrl = await createQueue(uniq('scale'), { VisibilityTimeout: '30' });
  // 600 messages of 50 ms: one handler would take 30 s; the policy wants them gone in about a second.
  await sendMany(queueUrl, 600);
  const { consumer, seen, changes, errors } = await scalingConsumer(queueUrl, 50);
  assert.equal(consumer.stats().concurrency, 1, 'it starts at the minimum');
  await waitFor('the backlog handled', () => seen.handled === 600, 20_000);
  const up = changes.filter((c) => c.to > c.from);
  assert.ok(up.length > 0, 'the concurrency went up');
  assert.ok(Math.max(...changes.map((c) => c.to)) === 20, `it reached the maximum: ${JSON.stringify(changes)}`);
  assert.ok(seen.peak > 10, `${seen.peak} handlers ran at once at the peak`);
  assert.ok(seen.peak <= 20, `${seen.peak} handlers ran at once: more than the maximum`);
  // Every rise came from a reading with a backlog.
  for (const c of up) assert.ok((c.backlog ?? 0) > 0, `a rise without a backlog: ${JSON.stringify(c)}`);
  // Nothing waiting: halving after two low readings in a row, 20 → 10 → 5 → 3 → 2 → 1.
  await waitFor('back at the minimum', () => consumer.stats().concurrency === 1, 10_000);
  const down = changes.filter((c) => c.to < c.from);
  for (const c of down) assert.ok(c.to >= Math.ceil(c.from / 2), `dropped by more than half: ${JSON.stringify(c)}`);
  const c = await counts(queueUrl);
  assert.equal(c.visible + c.notVisible, 0);
  assert.deepEqual(errors, []);
});

test('autoscaling: a trickle that one handler keeps up with does not scale up', async () => {
  const queueUrl = await createQueue(uniq('trickle'), { VisibilityTimeout: '30' });
  const { consumer, seen, changes } = await scalingConsumer(queueUrl, 5);
  for (let i = 0; i < 15; i++) {
    await sendMany(queueUrl, 1);
    await sleep(100);
  }
  await waitFor('the trickle handled', () => seen.handled === 15, 5000);
  // A reading may catch a message sent while the one slot was busy (on a loaded machine, say): one more handler for
  // a moment is allowed, and it must be given back within two low readings.
  await waitFor(`back at one handler: ${JSON.stringify(changes)}`, () => consumer.stats().concurrency === 1, 2000);
  assert.ok(
    changes.every((c) => c.to <= 2),
    `changes: ${JSON.stringify(changes)}`,
  );
});
