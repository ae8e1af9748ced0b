// Statistics of a statistic set, and statistic names and units. Rules: the CloudWatch user guide ("CloudWatch
// statistics definitions") and the API reference (GetMetricStatistics, GetMetricData, StandardUnit).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  addStatisticSet,
  addValue,
  EXACT_LIMIT,
  emptyStats,
  RELATIVE_ACCURACY,
  type StatSet,
} from '../../../src/core/metrics/aggregate.js';
import {
  InvalidStatisticError,
  isMetricUnit,
  isPercentileStatistic,
  isStandardStatistic,
  METRIC_UNITS,
  parseStatistic,
  STANDARD_STATISTICS,
  statisticValue,
} from '../../../src/core/metrics/statistics.js';

const of = (values: number[]): StatSet => values.reduce((s, v) => addValue(s, v), emptyStats());
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const stat = (s: StatSet, name: string) => statisticValue(s, name) as number;

/** Within the histogram's relative accuracy of `expected` (plus rounding). */
function near(actual: number | undefined, expected: number, what = ''): void {
  assert.ok(actual !== undefined, `${what}: no value`);
  const slack = Math.abs(expected) * RELATIVE_ACCURACY * (1 + 1e-9) + 1e-9;
  assert.ok(Math.abs(actual - expected) <= slack, `${what}: ${actual} is not within 0.5% of ${expected}`);
}

// ---- oracles over the sorted values ---------------------------------------------------------------

function exactPercentile(sorted: number[], hundredths: number): number {
  if (hundredths === 0) return sorted[0] as number;
  if (hundredths === 10000) return sorted[sorted.length - 1] as number;
  return sorted[Math.ceil((hundredths * sorted.length) / 10000) - 1] as number;
}

/** Trimmed statistics with percentage bounds: value i occupies the slot [i, i+1) of the line, cut at a% and b%. */
function exactTrimmed(sorted: number[], lowPercent: number, highPercent: number) {
  const n = sorted.length;
  const from = (lowPercent / 100) * n;
  const to = (highPercent / 100) * n;
  let ts = 0;
  sorted.forEach((v, i) => {
    const overlap = Math.min(i + 1, to) - Math.max(i, from);
    if (overlap > 0) ts += overlap * v;
  });
  const tc = to - from;
  const first = sorted[Math.floor(from)] as number;
  const last = sorted[Math.ceil(to) - 1] as number;
  return { ts, tc, tm: ts / tc, wm: (ts + from * first + (n - to) * last) / n };
}

describe('standard statistics', () => {
  test('are exact', () => {
    const s = of([3, 5, 1, 10, 0.5]);
    assert.deepEqual(
      STANDARD_STATISTICS.map((name) => [name, statisticValue(s, name)]),
      [
        ['SampleCount', 5],
        ['Average', 3.9],
        ['Sum', 19.5],
        ['Minimum', 0.5],
        ['Maximum', 10],
      ],
    );
  });

  test('come from statistic sets and negative values as well', () => {
    const s = addStatisticSet(of([-4]), { SampleCount: 3, Sum: 30, Minimum: 2, Maximum: 20 });
    assert.deepEqual(
      ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'].map((n) => stat(s, n)),
      [4, 26, 6.5, -4, 20],
    );
  });

  test('an empty set has a count and a sum of 0 and nothing else', () => {
    const s = emptyStats();
    assert.equal(statisticValue(s, 'SampleCount'), 0);
    assert.equal(statisticValue(s, 'Sum'), 0);
    for (const name of ['Average', 'Minimum', 'Maximum', 'p50', 'tm90', 'PR(:1)']) {
      assert.equal(statisticValue(s, name), undefined, name);
    }
  });
});

describe('percentiles', () => {
  test('within 0.5% of the exact nearest-rank percentile', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 20 }), fc.constant(0)),
          { minLength: 1, maxLength: 300 },
        ),
        fc.integer({ min: 0, max: 10000 }),
        (values, hundredths) => {
          const sorted = [...values].sort((a, b) => a - b);
          const name = `p${(hundredths / 100).toFixed(2)}`;
          near(statisticValue(of(values), name), exactPercentile(sorted, hundredths), name);
        },
      ),
    );
  });

  test(`exact while a set holds at most ${EXACT_LIMIT} distinct values`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e9, noNaN: true }), { minLength: 1, maxLength: EXACT_LIMIT }),
        fc.integer({ min: 0, max: 10000 }),
        (values, hundredths) => {
          const sorted = [...values].sort((a, b) => a - b);
          const name = `p${(hundredths / 100).toFixed(2)}`;
          assert.equal(statisticValue(of(values), name), exactPercentile(sorted, hundredths), name);
        },
      ),
    );
  });

  test('Counts weight values as if repeated', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 5 })), { minLength: 1 }),
        fc.integer({ min: 1, max: 99 }),
        (pairs, p) => {
          const weighted = pairs.reduce((s, [v, c]) => addValue(s, v, c), emptyStats());
          const repeated = pairs.flatMap(([v, c]) => Array<number>(c).fill(v));
          assert.equal(statisticValue(weighted, `p${p}`), statisticValue(of(repeated), `p${p}`));
        },
      ),
    );
  });

  test('p0 and p100 are the exact extremes; p95 of 1..100 is 95', () => {
    const s = of(range(1, 100).map((v) => v * 1.0037));
    assert.equal(stat(s, 'p0'), 1.0037);
    assert.equal(stat(s, 'p100'), 100 * 1.0037);
    assert.equal(stat(s, 'p100.00'), 100 * 1.0037);
    near(stat(of(range(1, 100)), 'p95'), 95);
    near(stat(of(range(1, 100)), 'p99.5'), 100);
    near(stat(of(range(1, 1000)), 'p99.9'), 999);
  });

  test('a single value, however it came, is every percentile exactly', () => {
    const one = of([42.42]);
    const set = addStatisticSet(emptyStats(), { SampleCount: 7, Sum: 7 * 3.3, Minimum: 3.3, Maximum: 3.3 });
    for (const p of ['p1', 'p50', 'p99.99']) {
      assert.equal(stat(one, p), 42.42);
      assert.equal(stat(set, p), 3.3);
    }
  });

  test('not available for a statistic set of unknown values, or when any value is negative', () => {
    const set = addStatisticSet(of([1]), { SampleCount: 4, Sum: 20, Minimum: 2, Maximum: 8 });
    const negative = of([5, -0.5, 7]);
    for (const name of ['p50', 'p0', 'p100', 'tm90', 'IQM', 'wm90', 'tc90', 'ts90', 'PR(:5)', 'TM(1:10)']) {
      assert.equal(statisticValue(set, name), undefined, name);
      assert.equal(statisticValue(negative, name), undefined, name);
    }
    assert.equal(statisticValue(negative, 'Minimum'), -0.5);
  });
});

describe('trimmed statistics', () => {
  test("the guide's examples", () => {
    const ten = of(range(1, 10));
    near(stat(ten, 'tm90'), 5, 'tm90 drops the highest 10%');
    near(stat(ten, 'TM(:90%)'), 5, 'the same, long form');
    near(stat(of(range(1, 100)), 'TM(2%:98%)'), 50.5, 'TM(2%:98%)');
    assert.equal(stat(of([100, 150, 160, 1000, 1001]), 'TM(150:1000)'), 580, 'TM(150:1000) keeps (150, 1000]');
    near(stat(of(range(1, 8)), 'IQM'), 4.5, 'IQM is TM(25%:75%)');
    near(stat(ten, 'WM(10%:90%)'), 5.5, 'WM(10%:90%) moves 1 up to 2 and 10 down to 9');
    near(stat(of(range(1, 100)), 'wm98'), (range(1, 98).reduce((a, b) => a + b) + 2 * 98) / 100, 'wm98');
    assert.equal(stat(of([100, 300, 301, 2000, 2001]), 'PR(:300)'), 40, 'PR(:300): 300 or less');
    assert.equal(stat(of([100, 300, 301, 2000, 2001]), 'PR(100:2000)'), 60, 'PR(100:2000): (100, 2000]');
    assert.equal(stat(of([0.005, 0.01, 0.03, 0.031]), 'TC(0.005:0.030)'), 2, 'TC: 0.005 exclusive, 0.030 inclusive');
    near(stat(ten, 'TS(80%:)'), 19, 'TS(80%:) keeps the top 20%');
    near(stat(ten, 'ts90'), 45, 'ts90');
    assert.equal(stat(ten, 'tc90'), 9);
  });

  test('a cut inside a value counts it in part, so a trimmed count can be fractional', () => {
    const fifteen = of(range(1, 15));
    assert.equal(stat(fifteen, 'tc90'), 13.5);
    near(stat(fifteen, 'ts90'), range(1, 13).reduce((a, b) => a + b) + 0.5 * 14);
  });

  test('no trimming gives the exact sum and mean, from a histogram too', () => {
    const values = range(1, 500).map((i) => i * 1.37 + 0.01);
    const s = of(values);
    assert.ok(s.values && 'buckets' in s.values);
    assert.equal(stat(s, 'TS(0%:100%)'), s.sum);
    assert.equal(stat(s, 'tm100'), s.sum / 500);
    assert.equal(stat(s, 'TC(:1000000000)'), 500);
  });

  test('percentage bounds: within 0.5% of the same statistic over the exact values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 1, max: 100 }),
        (values, a, b) => {
          fc.pre(a < b);
          const s = of(values);
          const exact = exactTrimmed(
            [...values].sort((x, y) => x - y),
            a,
            b,
          );
          const bounds = `(${a}%:${b}%)`;
          assert.ok(Math.abs(stat(s, `TC${bounds}`) - exact.tc) <= 1e-9 * values.length, 'TC');
          near(stat(s, `TS${bounds}`), exact.ts, `TS${bounds}`);
          near(stat(s, `TM${bounds}`), exact.tm, `TM${bounds}`);
          near(stat(s, `WM${bounds}`), exact.wm, `WM${bounds}`);
        },
      ),
    );
  });

  test('value bounds: exact counts for integers below 100 (one per bucket), sums within 0.5%', () => {
    // Far above every bound, enough distinct values to make some sets histograms.
    const far = range(1, 130).map((i) => 10_000 + i * 7.5);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 200 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 120 }),
        (small, histogram, a, b) => {
          fc.pre(a < b);
          const values = histogram ? [...small, ...far] : small;
          const s = of(values);
          const kept = values.filter((v) => v > a && v <= b);
          const bounds = `(${a}:${b})`;
          assert.equal(stat(s, `TC${bounds}`), kept.length, `TC${bounds}`);
          assert.ok(Math.abs(stat(s, `PR${bounds}`) - (100 * kept.length) / values.length) < 1e-9, `PR${bounds}`);
          near(
            stat(s, `TS${bounds}`),
            kept.reduce((x, y) => x + y, 0),
            `TS${bounds}`,
          );
          if (kept.length > 0) near(stat(s, `TM${bounds}`), kept.reduce((x, y) => x + y, 0) / kept.length);
          else assert.equal(statisticValue(s, `TM${bounds}`), undefined);
          const clamped = values.map((v) => Math.min(b, Math.max(a, v)));
          near(stat(s, `WM${bounds}`), clamped.reduce((x, y) => x + y, 0) / values.length, `WM${bounds}`);
        },
      ),
    );
  });

  test('a one-sided value bound', () => {
    const s = of([1, 5, 10, 50]);
    assert.equal(stat(s, 'TC(5:)'), 2);
    assert.equal(stat(s, 'PR(:5)'), 50);
    assert.equal(stat(s, 'PR(:0.5)'), 0);
    assert.equal(stat(s, 'PR(50:)'), 0);
    near(stat(s, 'WM(:10)'), (1 + 5 + 10 + 10) / 4);
  });
});

describe('statistic names', () => {
  const valid = [
    ...STANDARD_STATISTICS,
    'p0',
    'p0.0',
    'p9',
    'p50',
    'p99.9',
    'p99.99',
    'p100',
    'p100.00',
    'tm99',
    'tm99.5',
    'wm98',
    'tc90',
    'ts90',
    'tm100',
    'IQM',
    'TM(10%:90%)',
    'TM(:95%)',
    'TM(10%:)',
    'TM(0.0000000001%:99.9999999999%)',
    'TM(150:1000)',
    'TC(0.005:0.030)',
    'TS(80%:)',
    'WM(10%:90%)',
    'PR(:300)',
    'PR(100:2000)',
    'PR(100:)',
  ];
  const invalid = [
    '',
    'average',
    'Avg',
    'Median',
    'P99',
    'p',
    'p101',
    'p100.01',
    'p99.999',
    'p-1',
    'p1e2',
    'p 50',
    'tm0',
    'tm101',
    'TM10',
    'tm(10%:90%)',
    'iqm',
    'IQM(1:2)',
    'TM()',
    'TM(:)',
    'TM(90%:10%)',
    'TM(5:5)',
    'TM(101%:)',
    'TM(10%:500)',
    'TM(1.12345678901:2)',
    'TM(-1:2)',
    'PR(10%:20%)',
    'PR(:)',
    'XX(1:2)',
  ];

  test('every documented form parses', () => {
    for (const name of valid) assert.doesNotThrow(() => parseStatistic(name), name);
    assert.deepEqual(parseStatistic('p99.99'), { type: 'percentile', hundredths: 9999 });
    assert.deepEqual(parseStatistic('tm99'), { type: 'trimmed', kind: 'TM', upper: { value: 99, percent: true } });
    assert.deepEqual(parseStatistic('IQM'), parseStatistic('TM(25%:75%)'));
    assert.deepEqual(parseStatistic('PR(100:)'), { type: 'rank', lower: 100 });
  });

  test('anything else is an InvalidStatisticError, also from statisticValue', () => {
    for (const name of invalid) {
      assert.throws(
        () => parseStatistic(name),
        (e: unknown) => e instanceof InvalidStatisticError && e.statistic === name,
        JSON.stringify(name),
      );
    }
    assert.throws(() => statisticValue(of([1]), 'Median'), InvalidStatisticError);
  });

  test('GetMetricStatistics takes standard names in Statistics and percentiles in ExtendedStatistics', () => {
    assert.ok(isStandardStatistic('SampleCount'));
    assert.ok(!isStandardStatistic('p99'));
    assert.ok(isPercentileStatistic('p99.5'));
    assert.ok(isPercentileStatistic('p0.0'));
    assert.ok(!isPercentileStatistic('tm99'));
    assert.ok(!isPercentileStatistic('Average'));
  });
});

describe('units', () => {
  test("CloudWatch's StandardUnit enumeration", () => {
    assert.equal(METRIC_UNITS.length, 27);
    for (const unit of ['Seconds', 'Microseconds', 'Bytes/Second', 'Terabits/Second', 'Count/Second', 'None']) {
      assert.ok(isMetricUnit(unit), unit);
    }
    for (const unit of ['count', 'Second', 'Kibibytes', 'Count/Minute', '']) assert.ok(!isMetricUnit(unit), unit);
  });
});
