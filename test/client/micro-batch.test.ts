import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroBatcher } from '../../src/client/micro-batch.js';

/** A batcher whose `send` records its batches and answers each item doubled. */
function doubling(maxBatch: number, lingerMs: number) {
  const batches: { items: number[]; group: string }[] = [];
  const batcher = new MicroBatcher<number, number>({
    maxBatch,
    lingerMs,
    send: async (items, group) => {
      batches.push({ items, group });
      return items.map((n) => n * 2);
    },
  });
  return { batcher, batches };
}

describe('MicroBatcher', () => {
  test('items added in one turn go out together, in batches of maxBatch, each caller getting its own outcome', async () => {
    const { batcher, batches } = doubling(3, 0);
    const outcomes = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => batcher.add(n)));
    assert.deepEqual(outcomes, [2, 4, 6, 8, 10, 12, 14]);
    assert.deepEqual(
      batches.map((b) => b.items),
      [[1, 2, 3], [4, 5, 6], [7]],
    );
  });

  test('groups never share a batch', async () => {
    const { batcher, batches } = doubling(10, 0);
    await Promise.all([batcher.add(1, 'a'), batcher.add(2, 'b'), batcher.add(3, 'a')]);
    assert.deepEqual(batches, [
      { items: [1, 3], group: 'a' },
      { items: [2], group: 'b' },
    ]);
  });

  test('lingerMs collects items added a little later; a full batch does not wait', async () => {
    const { batcher, batches } = doubling(3, 20);
    const first = batcher.add(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = batcher.add(2);
    assert.deepEqual(await Promise.all([first, second]), [2, 4]);
    assert.deepEqual(
      batches.map((b) => b.items),
      [[1, 2]],
    );
    batches.length = 0;
    const full = [4, 5, 6].map((n) => batcher.add(n));
    assert.deepEqual(
      batches.map((b) => b.items),
      [[4, 5, 6]],
      'sent at once, before the linger ran out',
    );
    await Promise.all(full);
  });

  test('a failing send rejects every item of its batch, and only those', async () => {
    const batcher = new MicroBatcher<number, number>({
      maxBatch: 2,
      lingerMs: 0,
      send: async (items) => {
        if (items.includes(3)) throw new Error('boom');
        return items;
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.add(n)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'rejected'],
    );
    const wrongCount = new MicroBatcher<number, number>({ maxBatch: 5, lingerMs: 0, send: async () => [1] });
    await assert.rejects(Promise.all([wrongCount.add(1), wrongCount.add(2)]), /a batch of 2 items got 1 outcomes/);
    assert.throws(() => new MicroBatcher({ maxBatch: 0, lingerMs: 0, send: async () => [] }), RangeError);
  });
});
