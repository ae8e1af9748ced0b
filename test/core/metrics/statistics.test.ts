import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  addStatisticSet,
  addValue,
  bucketStart,
  emptyStats,
  HISTOGRAM_PRECISION,
  mergeStats,
  type StatSet,
} from '../../../src/core/metrics/aggregate.js';
import { statisticValue } from '../../../src/core/metrics/statistics.js';

const of = (values: number[]) => values.reduce((s, v) => addValue(s, v), emptyStats());

test('standard statistics are exact', () => {
  const s = of([3, 5, 1, 10]);
  assert.deepEqual(
    ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'].map((n) => statisticValue(s, n)),
    [4, 19, 4.75, 1, 10],
  );
  assert.equal(statisticValue(addValue(emptyStats(), 2, 3), 'Sum'), 6);
});

test('percentiles are within the histogram precision of the nearest-rank value', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 99 }),
      (values, p) => {
        const sorted = [...values].sort((a, b) => a - b);
        const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
        const got = statisticValue(of(values), `p${p}`) as number;
        assert.ok(Math.abs(got - exact) <= Math.abs(exact) * HISTOGRAM_PRECISION + 1e-9, `p${p}: ${got} vs ${exact}`);
      },
    ),
  );
});

test('merging in any grouping equals adding every value', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 20 }), { maxLength: 6 }),
      (groups) => {
        const merged = groups.map(of).reduce((a, b) => mergeStats(a, b), emptyStats());
        const all = of(groups.flat());
        const pick = (s: StatSet) => [s.n, s.sum, s.min, s.max, JSON.stringify(Object.entries(s.h ?? {}).sort())];
        assert.deepEqual(pick(merged), pick(all));
      },
    ),
  );
});

test('a statistic set has no percentiles; periods align to the epoch', () => {
  const s = addStatisticSet(of([1]), { SampleCount: 4, Sum: 20, Minimum: 2, Maximum: 8 });
  assert.equal(statisticValue(s, 'SampleCount'), 5);
  assert.equal(statisticValue(s, 'p50'), undefined);
  assert.equal(bucketStart(Date.UTC(2026, 0, 1, 10, 7, 31), 300), Date.UTC(2026, 0, 1, 10, 5));
  assert.throws(() => statisticValue(s, 'Median'));
});
