// Coalescing in switchyard/client's consumer against a real server: stock updates of one SKU published through
// EventBridge reach the handler as one call with the newest version; older versions than one applied are deleted
// unhandled; a failed call brings the whole group back; shutdown releases what waits in a window; messages waiting
// in a window keep their visibility. Real time throughout.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import {
  type CatalogueDetail,
  type Consumer,
  consume,
  createProducer,
  type EventEnvelope,
  INVENTORY_SOURCE,
  InventoryAdjusted,
  type ReceivedEvent,
} from '../../src/client/index.js';
import { sampleDetail } from '../helpers/catalogue.js';
import { stoppedAfterEach } from '../helpers/consumers.js';
import { eventBridgeClient, testServerForFile } from '../helpers/server.js';
import { sqsHelpers, uniq } from '../helpers/sqs.js';
import { waitFor } from '../helpers/wait.js';

const t = testServerForFile();
const { createQueue, queueArnOf, counts } = sqsHelpers(() => t.sqs);

const consumers = stoppedAfterEach();
const ebClients: { destroy(): void }[] = [];
after(() => {
  for (const c of ebClients) c.destroy();
});

type Stock = ReceivedEvent<CatalogueDetail<'InventoryAdjusted'>>;

/** A stock update of SKU-`sku` at `version`, with `available` standing for the state the version carries. */
function stock(sku: number, version: number): CatalogueDetail<'InventoryAdjusted'> {
  return { ...sampleDetail('InventoryAdjusted', sku, version), sellerId: 'seller-1', available: version * 10 };
}

/** The SQS body EventBridge would deliver for a stock update. */
function body(detail: CatalogueDetail<'InventoryAdjusted'>): string {
  const e: EventEnvelope = {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Inventory Adjusted',
    source: INVENTORY_SOURCE,
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  };
  return JSON.stringify(e);
}

async function sendBodies(QueueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: bodies.slice(i, i + 10).map((MessageBody, k) => ({ Id: `m${i + k}`, MessageBody })),
      }),
    );
    assert.deepEqual(out.Failed ?? [], []);
  }
}

async function emptied(queueUrl: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    'the queue empty',
    async () => {
      const c = await counts(queueUrl);
      return c.visible === 0 && c.notVisible === 0;
    },
    timeoutMs,
  );
}

/** A consumer of stock updates that coalesces by SKU, recording each handler call's SKU and version. */
async function stockConsumer(
  queueUrl: string,
  options: { windowMs: number; fail?: (e: Stock) => boolean; concurrency?: number; waitTimeSeconds?: number },
): Promise<{ consumer: Consumer; calls: { sku: string; version: number; available: number }[]; errors: Error[] }> {
  const calls: { sku: string; version: number; available: number }[] = [];
  const consumer = consume({
    client: t.sqs,
    queueUrl,
    waitTimeSeconds: options.waitTimeSeconds ?? 1,
    concurrency: options.concurrency ?? 10,
    retry: { baseDelaySeconds: 1, jitter: 'none' },
    event: InventoryAdjusted,
    coalesce: { windowMs: options.windowMs },
    handler: async (e) => {
      calls.push({ sku: e.detail.sku, version: e.detail.version, available: e.detail.available });
      if (options.fail?.(e)) throw new Error('the marketplace API is down');
    },
  });
  consumers.track(consumer);
  const errors: Error[] = [];
  consumer.on('error', (error) => errors.push(error));
  await consumer.start();
  return { consumer, calls, errors };
}

test('coalescing: 30 stock updates of one SKU published through EventBridge make one handler call, the newest', async () => {
  const name = uniq('coalesce-eb');
  const queueUrl = await createQueue(name, { VisibilityTimeout: '30' });
  const eb = eventBridgeClient(t.server.url);
  ebClients.push(eb);
  await eb.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: [INVENTORY_SOURCE] }) }));
  await eb.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'q', Arn: await queueArnOf(queueUrl) }] }));

  // 20 s long polls: the one receive loop holds every slot while it polls a quiet queue, so a closed window's group
  // runs in time only because polls end when the next window closes.
  const { consumer, calls, errors } = await stockConsumer(queueUrl, { windowMs: 1500, waitTimeSeconds: 20 });
  const coalescedEvents: { key: string; version: number; superseded: number }[] = [];
  consumer.on('coalesced', (info) =>
    coalescedEvents.push({ key: info.key, version: info.version, superseded: info.superseded.length }),
  );
  const producer = createProducer({ client: eb });
  // A flash sale: SKU-1's stock changes 30 times, out of order; SKU-2 changes once.
  const versions = Array.from({ length: 30 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  await Promise.all([
    ...versions.map((v) => producer.publish(InventoryAdjusted, stock(1, v))),
    producer.publish(InventoryAdjusted, stock(2, 1)),
  ]);
  await producer.close();

  await waitFor('both SKUs applied', () => calls.length >= 2, 10_000);
  await emptied(queueUrl);
  assert.deepEqual(
    calls.sort((a, b) => a.sku.localeCompare(b.sku)),
    [
      { sku: 'SKU-1', version: 30, available: 300 },
      { sku: 'SKU-2', version: 1, available: 10 },
    ],
  );
  const stats = consumer.stats();
  assert.equal(stats.handled, 2);
  assert.equal(stats.coalesced, 29, '29 downstream calls saved');
  assert.equal(stats.skipped, 0);
  assert.equal(stats.coalescing, 0);
  assert.deepEqual(coalescedEvents, [{ key: 'inventory:amazon-de/seller-1/SKU-1', version: 30, superseded: 29 }]);
  assert.deepEqual(errors, []);
});

test('coalescing: a version not above the one applied is deleted unhandled; a newer one is handled', async () => {
  const queueUrl = await createQueue(uniq('coalesce-stale'), { VisibilityTimeout: '30' });
  const { consumer, calls } = await stockConsumer(queueUrl, { windowMs: 200 });
  const skipped: { version: number; applied: number }[] = [];
  consumer.on('skipped', (info) => skipped.push({ version: info.version, applied: info.applied }));
  await sendBodies(queueUrl, [body(stock(7, 5))]);
  await waitFor('version 5 applied', () => calls.length === 1, 5000);
  await emptied(queueUrl);
  // Late deliveries of older versions, and the same version again: nothing to send downstream.
  await sendBodies(queueUrl, [body(stock(7, 3)), body(stock(7, 5))]);
  await emptied(queueUrl);
  await sendBodies(queueUrl, [body(stock(7, 6))]);
  await waitFor('version 6 applied', () => calls.length === 2, 5000);
  await emptied(queueUrl);
  assert.deepEqual(
    calls.map((c) => c.version),
    [5, 6],
  );
  assert.deepEqual(
    skipped.sort((a, b) => a.version - b.version),
    [
      { version: 3, applied: 5 },
      { version: 5, applied: 5 },
    ],
  );
  assert.equal(consumer.stats().skipped, 2);
});

test('coalescing: when the call fails the whole group comes back together and is applied once, newest', async () => {
  const queueUrl = await createQueue(uniq('coalesce-fail'), { VisibilityTimeout: '30' });
  let failures = 0;
  const { consumer, calls } = await stockConsumer(queueUrl, {
    windowMs: 300,
    fail: () => {
      failures += 1;
      return failures === 1;
    },
  });
  await sendBodies(
    queueUrl,
    [1, 2, 3, 4].map((v) => body(stock(3, v))),
  );
  await waitFor('applied after the retry', () => calls.length === 2, 10_000);
  await emptied(queueUrl);
  // All four came back after the same backoff: the retry applied the newest once, and the others were coalesced with
  // it or, arriving just after it was applied, skipped.
  assert.deepEqual(
    calls.map((c) => c.version),
    [4, 4],
  );
  const stats = consumer.stats();
  assert.equal(stats.failed, 1);
  assert.equal(stats.retried, 1);
  assert.equal(stats.handled, 1);
  assert.equal(stats.coalesced + stats.skipped, 3);
});

test('coalescing: messages waiting in a window keep their visibility past the timeout, and stop() releases them', async () => {
  const queueUrl = await createQueue(uniq('coalesce-hold'), { VisibilityTimeout: '1' });
  const { consumer, calls, errors } = await stockConsumer(queueUrl, { windowMs: 60_000 });
  await sendBodies(
    queueUrl,
    [1, 2, 3].map((v) => body(stock(4, v))),
  );
  await waitFor('all three in the window', () => consumer.stats().coalescing === 3, 5000);
  // Three visibility timeouts later nobody else could have received them: heartbeats kept them hidden.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const other = await t.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  assert.equal(other.Messages?.length ?? 0, 0, 'another consumer received a message waiting in a window');
  assert.equal(consumer.stats().inFlight, 3);
  await consumer.stop();
  assert.deepEqual(calls, []);
  const c = await counts(queueUrl);
  assert.equal(c.visible, 3, 'stop() made the messages in the window visible again at once');
  assert.equal(consumer.stats().released, 3);
  assert.deepEqual(errors, []);
});

test('coalescing: concurrency bounds the calls, not the messages waiting in windows', async () => {
  const queueUrl = await createQueue(uniq('coalesce-many'), { VisibilityTimeout: '30' });
  // 40 SKUs, 3 versions each; a concurrency of 2 would hold only 2 messages if waiting ones kept their slots.
  const bodies = [1, 2, 3].flatMap((v) => Array.from({ length: 40 }, (_, sku) => body(stock(100 + sku, v))));
  await sendBodies(queueUrl, bodies);
  let running = 0;
  let peak = 0;
  const calls: { sku: string; version: number }[] = [];
  const consumer = consume({
    client: t.sqs,
    queueUrl,
    waitTimeSeconds: 1,
    concurrency: 2,
    event: InventoryAdjusted,
    coalesce: { windowMs: 3000 },
    handler: async (e) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      calls.push({ sku: e.detail.sku, version: e.detail.version });
      running -= 1;
    },
  });
  consumers.track(consumer);
  await consumer.start();
  // Had the waiting messages kept their slots, two at a time would each wait out a 3 s window: 3 minutes in all.
  await waitFor(
    'every message settled',
    () => {
      const s = consumer.stats();
      return s.handled + s.coalesced + s.skipped === 120;
    },
    15_000,
  );
  await emptied(queueUrl);
  assert.ok(peak <= 2, `${peak} handlers ran at once`);
  const last = new Map(calls.map((c) => [c.sku, c.version]));
  assert.equal(last.size, 40);
  assert.deepEqual(new Set(last.values()), new Set([3]), 'every SKU ends at its newest version');
  // All three versions of a SKU arrive within its window unless the machine is very slow: 40 calls, at most 60.
  assert.ok(calls.length <= 60, `${calls.length} handler calls for 120 messages about 40 SKUs`);
});

test('coalescing: refused on a FIFO queue and with a batch handler; a key function is needed for raw messages', () => {
  const base = { client: t.sqs, coalesce: { windowMs: 10 } };
  assert.throws(
    () => consume({ ...base, queueUrl: 'http://x/000000000000/q.fifo', event: InventoryAdjusted, handler: () => {} }),
    /standard queues/,
  );
  assert.throws(
    // @ts-expect-error coalesce goes with a per-message handler only
    () => consume({ ...base, queueUrl: 'http://x/000000000000/q', batchHandler: () => {} }),
    /batchHandler/,
  );
  assert.throws(() => consume({ ...base, queueUrl: 'http://x/000000000000/q', handler: () => {} }), /key/);
});
