// switchyard/client idempotency: the in-memory store's window, its bound and its eviction order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_IDEMPOTENCY_MAX_ENTRIES,
  DEFAULT_IDEMPOTENCY_WINDOW_MS,
  type IdempotencyStore,
  MemoryIdempotencyStore,
} from '../../src/client/idempotency.js';

/** A hand-driven clock. */
function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    set(value: number) {
      t = value;
    },
    advance(ms: number) {
      t += ms;
    },
  };
}

describe('MemoryIdempotencyStore', () => {
  test('defaults to a 24-hour window and 100000 entries', () => {
    const store = new MemoryIdempotencyStore();
    assert.equal(store.windowMs, 86_400_000);
    assert.equal(DEFAULT_IDEMPOTENCY_WINDOW_MS, 86_400_000);
    assert.equal(store.maxEntries, 100_000);
    assert.equal(DEFAULT_IDEMPOTENCY_MAX_ENTRIES, 100_000);
  });

  test('holds a key once it is put, and only that key', async () => {
    const store: IdempotencyStore = new MemoryIdempotencyStore({ now: clock().now });
    assert.equal(await store.has('evt-1'), false);
    await store.put('evt-1', 1000);
    assert.equal(await store.has('evt-1'), true);
    assert.equal(await store.has('evt-2'), false);
  });

  test('a key is held until the window ends, and is gone at its edge exactly', async () => {
    const c = clock(5_000);
    const store = new MemoryIdempotencyStore({ windowMs: 500, now: c.now });
    await store.put('evt-1'); // the store's window: held while now < 5500
    c.set(5_499);
    assert.equal(await store.has('evt-1'), true);
    c.set(5_500);
    assert.equal(await store.has('evt-1'), false);
    assert.equal(store.size, 0);
  });

  test('the ttl given to put wins over the window', async () => {
    const c = clock(0);
    const store = new MemoryIdempotencyStore({ windowMs: 10_000, now: c.now });
    await store.put('short', 100);
    await store.put('long');
    c.set(99);
    assert.equal(await store.has('short'), true);
    c.set(100);
    assert.equal(await store.has('short'), false);
    assert.equal(await store.has('long'), true);
    c.set(10_000);
    assert.equal(await store.has('long'), false);
  });

  test('putting a key again starts its window again', async () => {
    const c = clock(0);
    const store = new MemoryIdempotencyStore({ windowMs: 100, now: c.now });
    await store.put('evt-1');
    c.set(80);
    await store.put('evt-1');
    c.set(150);
    assert.equal(await store.has('evt-1'), true);
    c.set(180);
    assert.equal(await store.has('evt-1'), false);
  });

  test('expired keys are dropped lazily, from the oldest, without a timer', async () => {
    const c = clock(0);
    const store = new MemoryIdempotencyStore({ windowMs: 100, now: c.now });
    await store.put('a');
    c.set(10);
    await store.put('b');
    c.set(20);
    await store.put('c');
    assert.equal(store.size, 3);
    c.set(110); // a and b expired, c not
    assert.equal(store.size, 1);
    assert.equal(await store.has('c'), true);
  });

  test('a key that expires behind a longer-lived one is gone at its edge too', async () => {
    const c = clock(0);
    const store = new MemoryIdempotencyStore({ now: c.now });
    await store.put('long', 1000);
    await store.put('short', 100);
    c.set(99);
    assert.equal(await store.has('short'), true);
    c.set(100);
    assert.equal(await store.has('short'), false);
    assert.equal(await store.has('long'), true);
    assert.equal(store.size, 1, 'dropped when looked up');
  });

  test('holds at most maxEntries keys, evicting the oldest put first', async () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 3, now: clock().now });
    for (const key of ['a', 'b', 'c', 'd']) await store.put(key);
    assert.equal(store.size, 3);
    assert.deepEqual(await Promise.all(['a', 'b', 'c', 'd'].map((k) => store.has(k))), [false, true, true, true]);
  });

  test('a key put again counts as the newest for eviction', async () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 3, now: clock().now });
    for (const key of ['a', 'b', 'c', 'a', 'd']) await store.put(key);
    assert.deepEqual(await Promise.all(['a', 'b', 'c', 'd'].map((k) => store.has(k))), [true, false, true, true]);
  });

  test('the bound holds whatever the number of puts', async () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 1000, now: clock().now });
    for (let i = 0; i < 50_000; i += 1) {
      await store.put(`evt-${i}`);
      if (i % 997 === 0) assert.ok(store.size <= 1000, `size ${store.size} after ${i + 1} puts`);
    }
    assert.equal(store.size, 1000);
    assert.equal(await store.has('evt-48999'), false);
    assert.equal(await store.has('evt-49000'), true);
    assert.equal(await store.has('evt-49999'), true);
  });

  test('delete forgets a key; a ttl of 0 forgets it too; clear forgets all', async () => {
    const store = new MemoryIdempotencyStore({ now: clock().now });
    await store.put('a');
    await store.put('b');
    await store.put('c');
    await store.delete('a');
    assert.equal(await store.has('a'), false);
    await store.put('b', 0);
    assert.equal(await store.has('b'), false);
    assert.equal(await store.has('c'), true);
    store.clear();
    assert.equal(store.size, 0);
    assert.equal(await store.has('c'), false);
  });

  test('rejects nonsensical options and ttls', async () => {
    assert.throws(() => new MemoryIdempotencyStore({ windowMs: 0 }), RangeError);
    assert.throws(() => new MemoryIdempotencyStore({ windowMs: Number.NaN }), RangeError);
    assert.throws(() => new MemoryIdempotencyStore({ maxEntries: 0 }), RangeError);
    assert.throws(() => new MemoryIdempotencyStore({ maxEntries: 2.5 }), RangeError);
    const store = new MemoryIdempotencyStore();
    await assert.rejects(store.put('a', -1), RangeError);
    await assert.rejects(store.put('a', Number.NaN), RangeError);
    assert.equal(await store.has('a'), false);
  });

  test('uses Date.now when no clock is given', async () => {
    const store = new MemoryIdempotencyStore({ windowMs: 60_000 });
    await store.put('a');
    assert.equal(await store.has('a'), true);
    await store.put('b', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await store.has('b'), false);
  });

  test('property: agrees with a model of a window and an oldest-first bound', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('has' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(op, { maxLength: 80 }),
        async (windowMs, maxEntries, ops) => {
          const c = clock(0);
          const store = new MemoryIdempotencyStore({ windowMs, maxEntries, now: c.now });
          // The model: keys in the order last put, with the time of that put.
          let model: { key: string; at: number }[] = [];
          for (const o of ops) {
            if (o.kind === 'advance') {
              c.advance(o.ms);
            } else if (o.kind === 'put') {
              const key = `k${o.key}`;
              model = model.filter((e) => e.key !== key && c.now() < e.at + windowMs);
              model.push({ key, at: c.now() });
              model = model.slice(-maxEntries);
              await store.put(key);
            } else {
              const key = `k${o.key}`;
              const expected = model.some((e) => e.key === key && c.now() < e.at + windowMs);
              assert.equal(await store.has(key), expected, `has(${key}) at ${c.now()}`);
            }
            assert.equal(store.size, model.filter((e) => c.now() < e.at + windowMs).length);
          }
        },
      ),
    );
  });
});
