// Statistic sets: exact extremes and sums, a bounded histogram, rollups by merging, periods aligned to the clock.
// Rules: the CloudWatch user guide ("CloudWatch statistics definitions", "Requirements to use percentiles …").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  addStatisticSet,
  addValue,
  bucketIndex,
  bucketRange,
  bucketStart,
  bucketValue,
  type Counts,
  EXACT_LIMIT,
  emptyStats,
  MAX_BUCKETS,
  mergeStats,
  RELATIVE_ACCURACY,
  type StatSet,
  statsOfValues,
} from '../../../src/core/metrics/aggregate.js';

const of = (values: number[]): StatSet => values.reduce((s, v) => addValue(s, v), emptyStats());

/** A set's distribution as [value or bucket index, count] pairs, and which form it is in. */
function form(s: StatSet): { exact: boolean; counts: Counts } | undefined {
  if (!s.values) return undefined;
  return 'exact' in s.values ? { exact: true, counts: s.values.exact } : { exact: false, counts: s.values.buckets };
}
const countOf = (s: StatSet, key: number): number | undefined => form(s)?.counts.find(([k]) => k === key)?.[1];
const distinct = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

/** Merges sets in a grouping chosen by `splits`: a random binary tree over the list. */
function mergeTree(sets: StatSet[], splits: number[]): StatSet {
  if (sets.length === 0) return emptyStats();
  if (sets.length === 1) return sets[0] as StatSet;
  const cut = 1 + ((splits[0] ?? 0) % (sets.length - 1));
  const rest = splits.slice(1);
  return mergeStats(mergeTree(sets.slice(0, cut), rest), mergeTree(sets.slice(cut), rest));
}

describe('bucketStart', () => {
  const at = (h: number, m: number, s = 0, ms = 0) => Date.UTC(2026, 0, 1, h, m, s, ms);

  test('periods start on the clock: the minute, five minutes, the hour, the day', () => {
    assert.equal(bucketStart(at(10, 7, 31, 250), 60), at(10, 7));
    assert.equal(bucketStart(at(10, 7, 31), 300), at(10, 5));
    assert.equal(bucketStart(at(10, 7, 31), 3600), at(10, 0));
    assert.equal(bucketStart(at(10, 7, 31), 86400), at(0, 0));
    assert.equal(bucketStart(at(10, 7, 31, 999), 1), at(10, 7, 31));
    assert.equal(bucketStart(at(10, 7, 37), 10), at(10, 7, 30));
  });

  test('a time on a boundary starts its own period; the instant before belongs to the previous one', () => {
    assert.equal(bucketStart(at(10, 5), 300), at(10, 5));
    assert.equal(bucketStart(at(10, 5) - 1, 300), at(10, 0));
  });

  test('every time lies in [start, start + period) of an epoch-aligned period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.constantFrom(1, 5, 10, 30, 60, 300, 3600, 86400),
        (ms, period) => {
          const start = bucketStart(ms, period);
          assert.ok(start <= ms && ms < start + period * 1000);
          assert.equal(start % (period * 1000), 0);
        },
      ),
    );
  });

  test('a period that is not a positive number is a programming error', () => {
    assert.throws(() => bucketStart(0, 0), RangeError);
    assert.throws(() => bucketStart(0, -60), RangeError);
    assert.throws(() => bucketStart(0, Number.NaN), RangeError);
  });
});

describe('statistic sets', () => {
  test('count, sum and extremes are exact; Counts weight a value', () => {
    const s = addValue(of([3, 5, 1, 10]), 2, 3);
    assert.equal(s.sampleCount, 7);
    assert.equal(s.sum, 25);
    assert.equal(s.min, 1);
    assert.equal(s.max, 10);
    assert.deepEqual(form(s), {
      exact: true,
      counts: [
        [1, 1],
        [2, 3],
        [3, 1],
        [5, 1],
        [10, 1],
      ],
    });
  });

  test('a count that is not positive, or a value that is not finite, adds nothing', () => {
    const s = of([4]);
    assert.deepEqual(addValue(s, 9, 0), s);
    assert.deepEqual(addValue(s, 9, -2), s);
    assert.deepEqual(addValue(s, Number.NaN), s);
  });

  test('zeros are counted apart from the buckets', () => {
    const s = of([0, 0, 3]);
    assert.equal(s.values?.zero, 2);
    assert.deepEqual(form(s)?.counts, [[3, 1]]);
    const many = of([0, ...distinct(EXACT_LIMIT + 1)]);
    assert.equal(many.values?.zero, 1);
    assert.equal(form(many)?.exact, false);
  });

  test('a set survives JSON (it is stored as JSON), empty or not', () => {
    for (const s of [emptyStats(), of([0, 1.5, 2e9])]) {
      const back = JSON.parse(JSON.stringify(s)) as StatSet;
      assert.deepEqual(back, s);
      assert.deepEqual(mergeStats(back, of([7])), mergeStats(s, of([7])));
    }
  });

  test('a negative value drops the distribution: CloudWatch has no percentiles for such data', () => {
    const s = addValue(of([1, 2]), -1);
    assert.equal(s.values, undefined);
    assert.equal(s.min, -1);
    assert.equal(addValue(s, 5).values, undefined);
    assert.equal(mergeStats(of([1]), s).values, undefined);
  });

  test('statistic sets keep the distribution only when their values are known', () => {
    const same = addStatisticSet(of([1]), { SampleCount: 4, Sum: 20, Minimum: 5, Maximum: 5 });
    assert.equal(same.sampleCount, 5);
    assert.equal(countOf(same, 5), 4);
    const single = addStatisticSet(emptyStats(), { SampleCount: 1, Sum: 7, Minimum: 7, Maximum: 7 });
    assert.equal(countOf(single, 7), 1);
    const spread = addStatisticSet(of([1]), { SampleCount: 4, Sum: 20, Minimum: 2, Maximum: 8 });
    assert.deepEqual([spread.sampleCount, spread.sum, spread.min, spread.max], [5, 21, 1, 8]);
    assert.equal(spread.values, undefined);
    const negative = addStatisticSet(emptyStats(), { SampleCount: 2, Sum: -6, Minimum: -3, Maximum: -3 });
    assert.equal(negative.values, undefined);
    assert.deepEqual(addStatisticSet(of([1]), { SampleCount: 0, Sum: 0, Minimum: 0, Maximum: 0 }), of([1]));
  });

  test("a bucket's value is within the relative accuracy of every value in its range", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), (v) => {
        const index = bucketIndex(v);
        const { low, high } = bucketRange(index);
        assert.ok(low * (1 - 1e-12) <= v && v <= high * (1 + 1e-12));
        assert.ok(Math.abs(bucketValue(index) - v) <= v * RELATIVE_ACCURACY * (1 + 1e-9));
      }),
    );
  });
});

describe('mergeStats', () => {
  test('the empty set is neutral on either side', () => {
    const s = of([2, 4]);
    assert.deepEqual(mergeStats(emptyStats(), s), s);
    assert.deepEqual(mergeStats(s, emptyStats()), s);
  });

  test('merging in any grouping equals adding every value (integers: exact)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -5, max: 100_000 }), { maxLength: 20 }), { maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        (groups, splits) => {
          const all = of(groups.flat());
          const sets = groups.map(of);
          assert.deepEqual(mergeTree(sets, splits), all);
          assert.deepEqual(
            sets.reduceRight((acc, s) => mergeStats(s, acc), emptyStats()),
            all,
          );
        },
      ),
    );
  });

  test('with doubles, the same up to rounding of the sum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 20 }), { maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        (groups, splits) => {
          const all = of(groups.flat());
          const merged = mergeTree(groups.map(of), splits);
          assert.ok(Math.abs(merged.sum - all.sum) <= 1e-9 * Math.max(1, Math.abs(all.sum)));
          assert.deepEqual({ ...merged, sum: 0 }, { ...all, sum: 0 });
        },
      ),
    );
  });

  test('1-second sets roll up into a 60-second set', () => {
    const seconds = [0, 1, 59].map((s) => of([s, s + 100]));
    const minute = seconds.reduce((a, b) => mergeStats(a, b), emptyStats());
    assert.deepEqual(minute, of([0, 100, 1, 101, 59, 159]));
  });
});

describe('exact values, then a histogram', () => {
  test(`up to ${EXACT_LIMIT} distinct non-zero values are kept exactly, repeats and zeros aside`, () => {
    const s = of([...distinct(EXACT_LIMIT), ...distinct(EXACT_LIMIT), 0, 0]);
    assert.equal(form(s)?.exact, true);
    assert.equal(form(s)?.counts.length, EXACT_LIMIT);
    assert.equal(countOf(s, 77), 2);
  });

  test('one more distinct value turns the set into a histogram of all of them', () => {
    const s = of(distinct(EXACT_LIMIT + 1));
    assert.equal(form(s)?.exact, false);
    const buckets = form(s)?.counts ?? [];
    assert.equal(
      buckets.reduce((n, [, c]) => n + c, 0),
      EXACT_LIMIT + 1,
    );
    assert.deepEqual(
      buckets.map(([i]) => i),
      [...new Set(distinct(EXACT_LIMIT + 1).map(bucketIndex))],
    );
  });

  test('so does merging two exact sets whose values together are too many', () => {
    const a = of(distinct(100));
    const b = of(distinct(100, 51));
    assert.equal(form(a)?.exact, true);
    assert.equal(form(mergeStats(a, b))?.exact, false);
    assert.deepEqual(mergeStats(a, b), of([...distinct(100), ...distinct(100, 51)]));
    assert.equal(form(mergeStats(a, of(distinct(28, 101))))?.exact, true);
  });
});

describe('bounded histogram', () => {
  // γ^k for distinct k: every value in its own bucket.
  const spread = (ks: number[]) => ks.map((k) => bucketValue(k));

  test(`at most ${MAX_BUCKETS} buckets; the lowest fold into the lowest kept, counts preserved`, () => {
    const ks = Array.from({ length: MAX_BUCKETS + 500 }, (_, i) => i);
    const s = of(spread(ks));
    const buckets = form(s)?.counts ?? [];
    assert.equal(buckets.length, MAX_BUCKETS);
    assert.equal(
      buckets.reduce((n, [, c]) => n + c, 0),
      ks.length,
    );
    assert.deepEqual(buckets[0], [500, 501]);
    assert.deepEqual(buckets[buckets.length - 1], [MAX_BUCKETS + 499, 1]);
  });

  test('folding does not depend on the grouping of merges', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -3000, max: 3000 }), { minLength: MAX_BUCKETS - 50, maxLength: 2600 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        (ks, groupCount, splits) => {
          // A value per bucket, spread over the groups, merged in a random grouping.
          const values = spread(ks);
          const groups = Array.from({ length: groupCount }, (_, g) => values.filter((_, i) => i % groupCount === g));
          const merged = mergeTree(groups.map(of), splits);
          const all = of(values);
          assert.deepEqual({ ...merged, sum: 0 }, { ...all, sum: 0 });
          assert.ok(Math.abs(merged.sum - all.sum) <= 1e-9 * all.sum);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('statsOfValues', () => {
  test('builds the set that adding the same observations one by one builds, in any order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.oneof(fc.integer({ min: -5, max: 500 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
            fc.integer({ min: 1, max: 4 }),
          ),
          {
            maxLength: 400,
          },
        ),
        (observations) => {
          const counts = new Map<number, number>();
          let oneByOne = emptyStats();
          for (const [value, count] of observations) {
            counts.set(value, (counts.get(value) ?? 0) + count);
            oneByOne = addValue(oneByOne, value, count);
          }
          const built = statsOfValues(counts);
          assert.equal(built.sampleCount, oneByOne.sampleCount);
          assert.ok(Math.abs(built.sum - oneByOne.sum) <= 1e-6 * Math.max(1, Math.abs(oneByOne.sum)));
          if (oneByOne.sampleCount > 0) {
            assert.equal(built.min, oneByOne.min);
            assert.equal(built.max, oneByOne.max);
          }
          assert.deepEqual(built.values, oneByOne.values);
        },
      ),
    );
  });

  test('an empty map is the empty set', () => {
    assert.deepEqual(statsOfValues(new Map()), emptyStats());
  });
});
