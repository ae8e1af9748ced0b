// switchyard/client producer without a server: entry sizes, batching, backoff, retries and settling, against a
// scripted PutEvents client.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import fc from 'fast-check';
import { z } from 'zod';
import {
  CATALOGUE,
  createProducer,
  defineEvent,
  EntryTooLargeError,
  EventValidationError,
  entrySize,
  InventoryAdjusted,
  MAX_BATCH_BYTES,
  OrderCreated,
  ProducerClosedError,
  type ProducerEvents,
  PublishError,
  type PutEventsSender,
} from '../../src/client/index.js';
import { backoffDelay, fitsInBatch, isRetryableCallError, planBatches } from '../../src/client/producer.js';
import { sampleDetail } from '../helpers/catalogue.js';

type EntryResult = { EventId?: string; ErrorCode?: string; ErrorMessage?: string };

type Respond = (entries: PutEventsRequestEntry[], call: number) => EntryResult[] | Error;

/**
 * A PutEvents client that records every call's entries and answers with `respond` (by call number, from 1): entry
 * results, or an error to throw. By default every entry succeeds.
 */
class FakeEventBridge implements PutEventsSender {
  calls: PutEventsRequestEntry[][] = [];
  private next = 0;
  private readonly respond: Respond;

  constructor(respond: Respond = (entries) => entries.map(() => ({}))) {
    this.respond = respond;
  }

  async send(command: PutEventsCommand) {
    const entries = command.input.Entries ?? [];
    this.calls.push(entries);
    const answer = this.respond(entries, this.calls.length);
    if (answer instanceof Error) throw answer;
    const results = answer.map((r) => (r.ErrorCode ? r : { EventId: r.EventId ?? `event-${++this.next}` }));
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }
}

/** An error like the SDK throws for a failed call. */
function sdkError(name: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });
}

/** Everything a producer emits, in order. */
function record(producer: ReturnType<typeof createProducer>) {
  const seen: { [E in keyof ProducerEvents]: ProducerEvents[E][] } = { batch: [], retry: [], error: [] };
  producer.on('batch', (e) => seen.batch.push(e));
  producer.on('retry', (e) => seen.retry.push(e));
  producer.on('error', (e) => seen.error.push(e));
  return seen;
}

const inventory = (n: number, version = 1) => sampleDetail('InventoryAdjusted', n, version);
const noWait = { random: () => 0, baseDelayMs: 1 };

describe('entrySize: AWS PutEvents entry size formula', () => {
  test('UTF-8 bytes of Source, DetailType, Detail and each resource, 14 for Time; bus and trace header free', () => {
    const entry: PutEventsRequestEntry = {
      Source: 'shop', // 4
      DetailType: 'Größe', // 7 bytes in UTF-8
      Detail: '{"a":"€"}', // 11 bytes
      Resources: ['arn:1', '🚚'], // 5 + 4
      EventBusName: 'a-long-bus-name-that-does-not-count',
      TraceHeader: 'Root=1-abc',
    };
    assert.equal(entrySize(entry), 4 + 7 + 11 + 5 + 4);
    assert.equal(entrySize({ ...entry, Time: new Date() }), 4 + 7 + 11 + 5 + 4 + 14);
    assert.equal(entrySize({}), 0);
  });

  test('property: equals the sum of the byte lengths', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.array(fc.string({ unit: 'binary' })),
        fc.boolean(),
        (source, detailType, detail, resources, timed) => {
          const entry = { Source: source, DetailType: detailType, Detail: detail, Resources: resources };
          const bytes = [source, detailType, detail, ...resources].reduce((n, s) => n + Buffer.from(s).length, 0);
          assert.equal(entrySize(timed ? { ...entry, Time: new Date(0) } : entry), bytes + (timed ? 14 : 0));
        },
      ),
    );
  });
});

describe('batching decisions', () => {
  const limits = { maxBatchEntries: 10, maxBatchBytes: 1000 };

  test('fitsInBatch: by count and by bytes; an empty batch takes anything', () => {
    assert.equal(fitsInBatch({ count: 9, bytes: 0 }, 1, limits), true);
    assert.equal(fitsInBatch({ count: 10, bytes: 0 }, 1, limits), false);
    assert.equal(fitsInBatch({ count: 1, bytes: 600 }, 400, limits), true);
    assert.equal(fitsInBatch({ count: 1, bytes: 600 }, 401, limits), false);
    assert.equal(fitsInBatch({ count: 0, bytes: 0 }, 5000, limits), true);
  });

  test('planBatches: 25 small entries make 10 + 10 + 5; bytes split earlier', () => {
    assert.deepEqual(
      planBatches(Array(25).fill(1), limits).map((b) => b.length),
      [10, 10, 5],
    );
    assert.deepEqual(planBatches([400, 400, 400, 100, 999, 1], limits), [
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });

  test('property: batches keep order, respect both limits (unless one entry alone) and are greedy', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1500 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 2000 }),
        (sizes, maxBatchEntries, maxBatchBytes) => {
          const batches = planBatches(sizes, { maxBatchEntries, maxBatchBytes });
          assert.deepEqual(
            batches.flat(),
            sizes.map((_, i) => i),
          );
          batches.forEach((batch, b) => {
            const bytes = batch.reduce((n, i) => n + (sizes[i] ?? 0), 0);
            assert.ok(batch.length >= 1 && batch.length <= maxBatchEntries);
            assert.ok(bytes <= maxBatchBytes || batch.length === 1);
            const next = batches[b + 1]?.[0];
            if (next !== undefined) {
              assert.equal(
                fitsInBatch({ count: batch.length, bytes }, sizes[next] ?? 0, { maxBatchEntries, maxBatchBytes }),
                false,
              );
            }
          });
        },
      ),
    );
  });
});

describe('backoffDelay: exponential with full jitter', () => {
  const options = { baseDelayMs: 50, maxDelayMs: 5000 };

  test('from 0 up to base · 2^(attempt-1), capped', () => {
    assert.equal(
      backoffDelay(1, options, () => 0),
      0,
    );
    assert.equal(
      backoffDelay(1, options, () => 0.999999),
      50,
    );
    assert.equal(
      backoffDelay(3, options, () => 0.999999),
      200,
    );
    assert.equal(
      backoffDelay(30, options, () => 0.999999),
      5000,
    );
    assert.equal(
      backoffDelay(3, options, () => 0.5),
      100,
    );
  });

  test('property: a whole number of ms within [0, min(max, base · 2^(attempt-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseDelayMs, maxDelayMs, r) => {
          const delay = backoffDelay(attempt, { baseDelayMs, maxDelayMs }, () => r);
          assert.ok(Number.isInteger(delay));
          assert.ok(delay >= 0 && delay <= Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)), `${delay}`);
        },
      ),
    );
  });
});

test('isRetryableCallError: throttling, server faults and network errors only', () => {
  assert.equal(isRetryableCallError(sdkError('ThrottlingException', 400)), true);
  assert.equal(isRetryableCallError(sdkError('InternalException', 500)), true);
  assert.equal(isRetryableCallError(sdkError('UnknownError', 503)), true);
  assert.equal(isRetryableCallError(sdkError('Whatever', 400, { $retryable: {} })), true);
  assert.equal(isRetryableCallError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), true);
  assert.equal(isRetryableCallError(sdkError('ValidationException', 400)), false);
  assert.equal(isRetryableCallError(sdkError('AccessDeniedException', 403)), false);
  assert.equal(isRetryableCallError(new Error('boom')), false);
  assert.equal(isRetryableCallError('ThrottlingException'), false);
});

describe('producer', () => {
  test('batches by count: 25 events go in three calls of 10, 10 and 5, each resolving with its own event id', async () => {
    const client = new FakeEventBridge();
    const producer = createProducer({ client });
    const seen = record(producer);
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, n) => producer.publish(InventoryAdjusted, inventory(n))),
    );
    assert.deepEqual(
      client.calls.map((c) => c.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      seen.batch.map((b) => b.size),
      [10, 10, 5],
    );
    assert.equal(
      seen.batch[0]?.bytes,
      client.calls[0]?.reduce((n, e) => n + entrySize(e), 0),
    );
    assert.equal(new Set(results.map((r) => r.eventId)).size, 25);
    // In order: the n-th result is the n-th entry's.
    assert.deepEqual(JSON.parse(client.calls[2]?.[4]?.Detail ?? '').sku, 'SKU-24');
    assert.equal(results[24]?.eventId, 'event-25');
    await producer.close();
  });

  test('batches by bytes, by AWS formula', async () => {
    const client = new FakeEventBridge();
    const one = entrySize(InventoryAdjusted.entry(inventory(1)));
    const producer = createProducer({ client, maxBatchBytes: one * 3 + 2 });
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => producer.publish(InventoryAdjusted, inventory(n))));
    assert.deepEqual(
      client.calls.map((c) => c.length),
      [3, 3, 1],
    );
  });

  test('a batch that is not full waits lingerMs, then goes', async () => {
    const client = new FakeEventBridge();
    const producer = createProducer({ client, lingerMs: 40 });
    const started = Date.now();
    const done = producer.publish(InventoryAdjusted, inventory(1));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(client.calls.length, 0, 'not sent before lingerMs');
    await done;
    assert.ok(Date.now() - started >= 35, 'sent after lingerMs');
    assert.equal(client.calls.length, 1);
  });

  test('flush sends at once; close flushes, then refuses with ProducerClosedError', async () => {
    const client = new FakeEventBridge();
    const producer = createProducer({ client, lingerMs: 60_000 });
    const a = producer.publish(InventoryAdjusted, inventory(1));
    await producer.flush();
    assert.equal(client.calls.length, 1);
    assert.match((await a).eventId, /^event-/);
    const b = producer.publish(InventoryAdjusted, inventory(2));
    await producer.close();
    assert.equal(client.calls.length, 2);
    await b;
    await assert.rejects(producer.publish(InventoryAdjusted, inventory(3)), (e: unknown) => {
      assert.ok(e instanceof ProducerClosedError);
      assert.equal(e.code, 'PRODUCER_CLOSED');
      return true;
    });
    assert.equal(client.calls.length, 2);
  });

  test('an invalid event rejects at once with EventValidationError and is never sent', async () => {
    const client = new FakeEventBridge();
    const producer = createProducer({ client });
    await assert.rejects(producer.publish(InventoryAdjusted, { ...inventory(1), available: -5 }), EventValidationError);
    await producer.flush();
    assert.equal(client.calls.length, 0);
  });

  test('publishMany validates everything first: one invalid event queues none', async () => {
    const client = new FakeEventBridge();
    const producer = createProducer({ client });
    await assert.rejects(
      producer.publishMany([
        { definition: InventoryAdjusted, detail: inventory(1) },
        { definition: OrderCreated, detail: { ...sampleDetail('OrderCreated'), lines: [] } },
      ]),
      EventValidationError,
    );
    await producer.flush();
    assert.equal(client.calls.length, 0);
    const results = await producer.publishMany([
      { definition: InventoryAdjusted, detail: inventory(1) },
      {
        definition: CATALOGUE.ReturnRefunded,
        detail: sampleDetail('ReturnRefunded'),
        options: { eventBusName: 'returns' },
      },
    ]);
    assert.equal(results.length, 2);
    assert.deepEqual(
      client.calls.map((c) => c.map((e) => e.EventBusName)),
      [[undefined, 'returns']],
    );
  });

  test('eventBusName applies to events published without one', async () => {
    const client = new FakeEventBridge();
    const producer = createProducer({ client, eventBusName: 'shop' });
    await Promise.all([
      producer.publish(InventoryAdjusted, inventory(1)),
      producer.publish(InventoryAdjusted, inventory(2), { eventBusName: 'other' }),
    ]);
    assert.deepEqual(
      client.calls[0]?.map((e) => e.EventBusName),
      ['shop', 'other'],
    );
  });

  test('an entry over 256 KB (Time counted) rejects with EntryTooLargeError; one of exactly 256 KB goes alone', async () => {
    const Blob = defineEvent({ source: 'test.blobs', detailType: 'Blob', schema: z.object({ data: z.string() }) });
    // 'test.blobs' + 'Blob' + '{"data":""}' is 25 bytes.
    const blob = (bytes: number) => ({ data: 'x'.repeat(bytes - 25) });
    const client = new FakeEventBridge();
    const producer = createProducer({ client, maxBatchBytes: 1000 });
    const tooLarge = (size: number) => (e: unknown) => {
      assert.ok(e instanceof EntryTooLargeError);
      assert.equal(e.code, 'ENTRY_TOO_LARGE');
      assert.equal(e.size, size);
      return true;
    };
    await assert.rejects(producer.publish(Blob, blob(MAX_BATCH_BYTES + 1)), tooLarge(MAX_BATCH_BYTES + 1));
    await assert.rejects(
      producer.publish(Blob, blob(MAX_BATCH_BYTES - 13), { time: new Date(0) }),
      tooLarge(MAX_BATCH_BYTES + 1),
    );
    await Promise.all([
      producer.publish(InventoryAdjusted, inventory(1)),
      producer.publish(Blob, blob(MAX_BATCH_BYTES)),
      producer.publish(Blob, blob(MAX_BATCH_BYTES - 14), { time: new Date(0) }),
    ]);
    const small = entrySize(InventoryAdjusted.entry(inventory(1)));
    assert.deepEqual(
      client.calls.map((c) => c.map(entrySize)),
      [[small], [MAX_BATCH_BYTES], [MAX_BATCH_BYTES]],
    );
  });

  test('retries only the entries that failed for a retryable reason, with backoff, and reports it', async () => {
    const client = new FakeEventBridge((entries, call) =>
      entries.map((_, i) =>
        call === 1 && i === 1
          ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
          : call === 1 && i === 2
            ? { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }
            : {},
      ),
    );
    const producer = createProducer({ client, random: () => 0.5, baseDelayMs: 20 });
    const seen = record(producer);
    const results = await Promise.all([0, 1, 2, 3].map((n) => producer.publish(InventoryAdjusted, inventory(n))));
    assert.deepEqual(
      client.calls.map((c) => c.map((e) => JSON.parse(e.Detail ?? '').sku)),
      [
        ['SKU-0', 'SKU-1', 'SKU-2', 'SKU-3'],
        ['SKU-1', 'SKU-2'],
      ],
    );
    assert.deepEqual(seen.retry, [{ attempt: 1, delayMs: 10, count: 2 }]);
    assert.deepEqual(seen.batch, [{ size: 4, bytes: client.calls[0]?.reduce((n, e) => n + entrySize(e), 0) }]);
    assert.equal(new Set(results.map((r) => r.eventId)).size, 4);
    assert.equal(seen.error.length, 0);
  });

  test('a non-retryable entry error rejects that event with PublishError; the others resolve', async () => {
    const client = new FakeEventBridge((entries) =>
      entries.map((e) =>
        e.Source === 'aws.fake'
          ? { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' }
          : {},
      ),
    );
    const producer = createProducer({ client, ...noWait });
    const seen = record(producer);
    const Forged = {
      ...InventoryAdjusted,
      entry: (d: Parameters<typeof InventoryAdjusted.entry>[0]) => ({
        ...InventoryAdjusted.entry(d),
        Source: 'aws.fake',
      }),
    };
    const good = producer.publish(InventoryAdjusted, inventory(1));
    const bad = producer.publish(Forged, inventory(2));
    await assert.rejects(bad, (e: unknown) => {
      assert.ok(e instanceof PublishError);
      assert.equal(e.code, 'PUBLISH_FAILED');
      assert.equal(e.errorCode, 'NotAuthorizedForSourceException');
      assert.equal(e.errorMessage, 'Not authorized for the source.');
      assert.equal(e.attempts, 1);
      return true;
    });
    assert.match((await good).eventId, /^event-/);
    assert.equal(client.calls.length, 1, 'not retried');
    assert.equal(seen.error.length, 1);
    assert.equal(seen.error[0]?.errorCode, 'NotAuthorizedForSourceException');
  });

  test('a retryable whole-call failure is retried; a non-retryable one rejects every event with its cause', async () => {
    const throttled = new FakeEventBridge((_, call) =>
      call === 1 ? sdkError('ThrottlingException', 400) : _.map(() => ({})),
    );
    const p1 = createProducer({ client: throttled, ...noWait });
    const seen = record(p1);
    await Promise.all([p1.publish(InventoryAdjusted, inventory(1)), p1.publish(InventoryAdjusted, inventory(2))]);
    assert.equal(throttled.calls.length, 2);
    assert.deepEqual(seen.retry, [{ attempt: 1, delayMs: 0, count: 2 }]);

    const cause = sdkError('AccessDeniedException', 403);
    const denied = new FakeEventBridge(() => cause);
    const p2 = createProducer({ client: denied, ...noWait });
    const all = [p2.publish(InventoryAdjusted, inventory(1)), p2.publish(InventoryAdjusted, inventory(2))];
    for (const p of all) {
      await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof PublishError);
        assert.equal(e.errorCode, 'AccessDeniedException');
        assert.equal(e.cause, cause);
        return true;
      });
    }
    assert.equal(denied.calls.length, 1);
  });

  test('gives up after maxAttempts with the last error code', async () => {
    const client = new FakeEventBridge((entries) =>
      entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' })),
    );
    const producer = createProducer({ client, maxAttempts: 3, random: () => 0.999, baseDelayMs: 4, maxDelayMs: 6 });
    const seen = record(producer);
    await assert.rejects(producer.publish(InventoryAdjusted, inventory(1)), (e: unknown) => {
      assert.ok(e instanceof PublishError);
      assert.equal(e.errorCode, 'ThrottlingException');
      assert.equal(e.attempts, 3);
      return true;
    });
    assert.equal(client.calls.length, 3);
    assert.deepEqual(
      seen.retry.map((r) => [r.attempt, r.delayMs]),
      [
        [1, 4],
        [2, 6],
      ],
    );
    assert.equal(seen.error.length, 1);

    const down = new FakeEventBridge(() => sdkError('InternalException', 500));
    const p2 = createProducer({ client: down, maxAttempts: 2, ...noWait });
    await assert.rejects(p2.publish(InventoryAdjusted, inventory(1)), {
      name: 'PublishError',
      errorCode: 'InternalException',
      attempts: 2,
    });
    assert.equal(down.calls.length, 2);
  });

  test('a listener that throws does not stop events from settling', async () => {
    const producer = createProducer({ client: new FakeEventBridge() });
    producer.on('batch', () => {
      throw new Error('listener bug');
    });
    assert.match((await producer.publish(InventoryAdjusted, inventory(1))).eventId, /^event-/);
  });

  test('rejects nonsensical options', () => {
    const client = new FakeEventBridge();
    assert.throws(() => createProducer({ client, maxBatchEntries: 11 }), RangeError);
    assert.throws(() => createProducer({ client, maxBatchEntries: 0 }), RangeError);
    assert.throws(() => createProducer({ client, maxBatchBytes: MAX_BATCH_BYTES + 1 }), RangeError);
    assert.throws(() => createProducer({ client, maxAttempts: 0 }), RangeError);
    assert.throws(() => createProducer({ client, lingerMs: -1 }), RangeError);
  });
});
