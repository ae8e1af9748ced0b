// Metric math (GetMetricData expressions). Rules: the CloudWatch user guide ("Using math expressions with CloudWatch
// metrics": syntax, the function table, comparison operators and IF, whose worked tables are encoded here).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  evaluateMetricMath,
  type MathQuery,
  type MathResult,
  MetricMathError,
  parseExpression,
  type TimeSeries,
  validateMetricMath,
} from '../../../src/core/metrics/math.js';

// Monday 5 January 2026, five 1-minute periods.
const T0 = Date.UTC(2026, 0, 5, 9, 0);
const MINUTE = 60_000;
const RANGE = { startMs: T0, endMs: T0 + 5 * MINUTE, periodSeconds: 60 };
const GRID = [0, 1, 2, 3, 4].map((i) => T0 + i * MINUTE);

type Column = (number | undefined)[];

/** A series on the grid; undefined marks a period without a point. */
function ts(values: Column): TimeSeries {
  const points = values.flatMap((v, i) => (v === undefined ? [] : [[GRID[i] as number, v] as const]));
  return { timestamps: points.map(([t]) => t), values: points.map(([, v]) => v) };
}

/** A series back on the grid. */
function column(series: TimeSeries): Column {
  const at = new Map(series.timestamps.map((t, i) => [t, series.values[i]]));
  return GRID.map((t) => at.get(t));
}

const metric = (id: string, values: Column, periodSeconds = 60): MathQuery => ({
  id,
  periodSeconds,
  series: ts(values),
});

const METRICS = [
  metric('m1', [30, 20, 0, 0, undefined]),
  metric('m2', [20, undefined, 20, undefined, 5]),
  metric('errors4xx', [1, 2, 3, 4, 5]),
  metric('errors5xx', [10, undefined, 30, undefined, 50]),
];

function run(expression: string, metrics: MathQuery[] = METRICS): MathResult {
  const result = evaluateMetricMath([...metrics, { id: 'e1', expression }], RANGE).get('e1');
  assert.ok(result);
  return result;
}

/** The single series an expression gives, on the grid. */
function one(expression: string, metrics?: MathQuery[]): Column {
  const result = run(expression, metrics);
  assert.equal(result.type, 'series', expression);
  return column(result.series as TimeSeries);
}

/** Each series of the array an expression gives, on the grid. */
function many(expression: string, metrics?: MathQuery[]): Column[] {
  const result = run(expression, metrics);
  assert.equal(result.type, 'array', expression);
  return (result.series as TimeSeries[]).map(column);
}

/** A scalar expression's value, read through TIME_SERIES. */
const scalar = (expression: string): number | undefined => one(`TIME_SERIES(${expression})`)[0];

function fails(queries: MathQuery[], message: string | RegExp): void {
  assert.throws(
    () => evaluateMetricMath(queries, RANGE),
    (e: unknown) =>
      e instanceof MetricMathError && (typeof message === 'string' ? e.message === message : message.test(e.message)),
  );
}

const failsExpr = (expression: string, message: string | RegExp) =>
  fails([...METRICS, { id: 'e1', expression }], message);

describe('parsing and precedence', () => {
  test('the tree of an expression', () => {
    assert.deepEqual(parseExpression('m1 + m2 * 2'), {
      type: 'binary',
      op: '+',
      left: { type: 'ref', id: 'm1' },
      right: {
        type: 'binary',
        op: '*',
        left: { type: 'ref', id: 'm2' },
        right: { type: 'number', value: 2 },
      },
    });
    assert.deepEqual(parseExpression('SUM([m1, METRICS("x")])'), {
      type: 'call',
      name: 'SUM',
      args: [
        {
          type: 'array',
          items: [
            { type: 'ref', id: 'm1' },
            { type: 'call', name: 'METRICS', args: [{ type: 'string', value: 'x' }] },
          ],
        },
      ],
    });
    assert.deepEqual(parseExpression('FILL(m1, REPEAT)'), {
      type: 'call',
      name: 'FILL',
      args: [
        { type: 'ref', id: 'm1' },
        { type: 'keyword', name: 'REPEAT' },
      ],
    });
  });

  test('arithmetic binds as usual; ^ binds tightest and to the right', () => {
    const cases: [string, number][] = [
      ['1 + 2 * 3', 7],
      ['(1 + 2) * 3', 9],
      ['10 - 4 - 3', 3],
      ['8 / 4 / 2', 1],
      ['2 ^ 3 ^ 2', 512],
      ['-2 ^ 2', -4],
      ['(-2) ^ 2', 4],
      ['2 ^ -1', 0.5],
      ['- - 3', 3],
      ['-5 * 2', -10],
      ['1.5e2 + .5', 150.5],
      ['2 * 3 ^ 2', 18],
    ];
    for (const [expression, value] of cases) assert.equal(scalar(expression), value, expression);
  });

  test('comparisons bind looser than arithmetic, AND tighter than OR', () => {
    const cases: [string, number][] = [
      ['1 + 2 > 2', 1],
      ['1 + 2 > 2 * 2', 0],
      ['1 < 2 AND 3 < 2', 0],
      ['1 < 2 && 3 > 2', 1],
      ['1 OR 0 AND 0', 1],
      ['(1 OR 0) AND 0', 0],
      ['0 || 0', 0],
      ['1 == 1 && 2 != 3', 1],
      ['2 <= 2', 1],
      ['2 >= 3', 0],
      ['-1 AND 2', 1],
    ];
    for (const [expression, value] of cases) assert.equal(scalar(expression), value, expression);
  });

  test('syntax errors', () => {
    const cases: [string, RegExp][] = [
      ['1 +', /^Unexpected end of expression$/],
      ['(m1', /^Expected '\)' but found end of expression$/],
      ['m1 m2', /^Unexpected 'm2' at position 4$/],
      ['m1 $ 2', /^Unexpected character '\$' at position 4$/],
      ['METRICS("x)', /^Unterminated string at position 9$/],
      ['SUM(m1,', /^Unexpected end of expression$/],
      ['+m1', /^Unexpected '\+' at position 1$/],
      ['', /^Unexpected end of expression$/],
    ];
    for (const [expression, message] of cases) {
      assert.throws(
        () => parseExpression(expression),
        (e: unknown) => e instanceof MetricMathError && message.test(e.message),
        expression,
      );
    }
  });

  test('functions are uppercase; Ids lowercase-first', () => {
    failsExpr('avg(m1)', 'Error in expression e1 [Unrecognized function avg: functions are uppercase]');
    failsExpr('Avg(m1)', 'Error in expression e1 [Unrecognized function Avg]');
    failsExpr('NOPE(m1)', 'Error in expression e1 [Unrecognized function NOPE]');
    failsExpr('M1 + 1', 'Error in expression e1 [Unrecognized identifier M1: Ids start with a lowercase letter]');
  });
});

describe('arithmetic on time series', () => {
  test('a missing point counts as 0 between two series; a timestamp of either is in the result', () => {
    assert.deepEqual(one('m1 + m2'), [50, 20, 20, 0, 5]);
    assert.deepEqual(one('m1 - m2'), [10, 20, -20, 0, -5]);
    assert.deepEqual(one('m1 * m2'), [600, 0, 0, 0, 0]);
  });

  test('dividing by zero (a missing point included) drops the point', () => {
    assert.deepEqual(one('m2 / m1'), [20 / 30, 0, undefined, undefined, undefined]);
    assert.deepEqual(one('m1 / 0'), [undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual(one('m1 / 10'), [3, 2, 0, 0, undefined]);
  });

  test('a point that is not a finite number is dropped', () => {
    assert.deepEqual(one('(m1 - 25) ^ 0.5'), [5 ** 0.5, undefined, undefined, undefined, undefined]);
    assert.deepEqual(one('10 ^ (m1 * 100)'), [undefined, undefined, 1, 1, undefined]);
  });

  test('scalars apply to every point; unary minus negates', () => {
    assert.deepEqual(one('5 * m1'), [150, 100, 0, 0, undefined]);
    assert.deepEqual(one('100 - m2'), [80, undefined, 80, undefined, 95]);
    assert.deepEqual(one('-m2'), [-20, undefined, -20, undefined, -5]);
    assert.deepEqual(one('2 ^ m2 / 2 ^ 19'), [2, undefined, 2, undefined, 2 ** -14]);
  });

  test('an array is operated on series by series, keeping its labels', () => {
    assert.deepEqual(many('[m1, m2] * 2'), [
      [60, 40, 0, 0, undefined],
      [40, undefined, 40, undefined, 10],
    ]);
    assert.deepEqual(many('100 / [m2, errors4xx]'), [
      [5, undefined, 5, undefined, 20],
      [100, 50, 100 / 3, 25, 20],
    ]);
    assert.deepEqual(many('-[m1, m2] + m2'), [
      [-10, -20, 20, 0, 5],
      [0, undefined, 0, undefined, 0],
    ]);
    const labels = (run('METRICS("errors") * 100').series as TimeSeries[]).map((s) => s.label);
    assert.deepEqual(labels, ['errors4xx', 'errors5xx']);
    failsExpr('[m1] + [m2]', 'Error in expression e1 [The operator + cannot combine two arrays of time series]');
  });

  test('comparisons and logic, as in the guide', () => {
    // The guide's example: metric1 [30, 20, 0, 0], metric2 [20, -, 20, -].
    assert.deepEqual(one('m1 < m2').slice(0, 4), [0, 0, 1, 0]);
    assert.deepEqual(one('m1 >= 30').slice(0, 4), [1, 0, 0, 0]);
    assert.deepEqual(one('m1 > 15 AND m2 > 15').slice(0, 4), [1, 0, 0, 0]);
    assert.deepEqual(one('m1 > 15 OR m2 > 15'), [1, 1, 1, 0, 0]);
    assert.deepEqual(one('m1 == m2 || m1 != 0'), [1, 1, 0, 1, 0]);
  });
});

describe('functions', () => {
  test('SUM, AVG, MIN, MAX of one series are scalars', () => {
    assert.deepEqual(one('m1 - AVG(m1)'), [17.5, 7.5, -12.5, -12.5, undefined]);
    assert.deepEqual(one('m1 / SUM(m1)'), [0.6, 0.4, 0, 0, undefined]);
    assert.deepEqual(one('m2 - MIN(m2) + MAX(m2)'), [35, undefined, 35, undefined, 20]);
    assert.deepEqual(one('SUM([m1, m2]) / AVG(m2)'), [50 / 15, 20 / 15, 20 / 15, 0, 5 / 15]);
  });

  test('SUM, AVG, MIN, MAX of an array are one series; AVG counts a missing point as 0', () => {
    assert.deepEqual(one('SUM([m1, m2])'), [50, 20, 20, 0, 5]);
    assert.deepEqual(one('AVG([m1, m2])'), [25, 10, 10, 0, 2.5]);
    assert.deepEqual(one('MIN([m1, m2])'), [20, 20, 0, 0, 5]);
    assert.deepEqual(one('MAX([m1, m2])'), [30, 20, 20, 0, 5]);
    assert.deepEqual(one('SUM(METRICS("errors"))'), [11, 2, 33, 4, 55]);
    assert.deepEqual(one('SUM([METRICS("4xx"), METRICS("5xx")])'), [11, 2, 33, 4, 55]);
    assert.deepEqual(one('SUM(METRICS("none"))'), [undefined, undefined, undefined, undefined, undefined]);
    failsExpr('SUM(5)', 'Error in expression e1 [The function SUM takes a time series or an array of time series]');
  });

  test('ABS, CEIL, FLOOR, LOG, LOG10 work point by point', () => {
    const m = [metric('m1', [-1.5, 2.25, undefined, 100, 0])];
    assert.deepEqual(one('ABS(m1)', m), [1.5, 2.25, undefined, 100, 0]);
    assert.deepEqual(one('CEIL(m1)', m), [-1, 3, undefined, 100, 0]);
    assert.deepEqual(one('FLOOR(m1)', m), [-2, 2, undefined, 100, 0]);
    assert.deepEqual(one('LOG10(m1)', m), [undefined, Math.log10(2.25), undefined, 2, undefined]);
    assert.deepEqual(one('LOG(m1)', m), [undefined, Math.log(2.25), undefined, Math.log(100), undefined]);
    assert.deepEqual(many('ABS(METRICS("m"))', m), [[1.5, 2.25, undefined, 100, 0]]);
  });

  test('RATE, DIFF, DIFF_TIME use the previous point present, across gaps', () => {
    const m = [metric('m1', [0, 60, undefined, 240, 240])];
    assert.deepEqual(one('RATE(m1)', m), [undefined, 1, undefined, 1.5, 0]);
    assert.deepEqual(one('DIFF(m1)', m), [undefined, 60, undefined, 180, 0]);
    assert.deepEqual(one('DIFF_TIME(m1)', m), [undefined, 60, undefined, 120, 60]);
    assert.deepEqual(many('RATE([m1, m1 * 2])', m), [
      [undefined, 1, undefined, 1.5, 0],
      [undefined, 2, undefined, 3, 0],
    ]);
  });

  test('RUNNING_SUM adds up the points present', () => {
    assert.deepEqual(one('RUNNING_SUM(m2)'), [20, undefined, 40, undefined, 45]);
    assert.deepEqual(many('RUNNING_SUM([m1, m2])'), [
      [30, 50, 50, 50, undefined],
      [20, undefined, 40, undefined, 45],
    ]);
  });

  test('FILL with a number, a series, REPEAT or LINEAR', () => {
    const m = [metric('m1', [undefined, 10, undefined, undefined, 40]), metric('m2', [1, 2, 3, undefined, 5])];
    assert.deepEqual(one('FILL(m1, 0)', m), [0, 10, 0, 0, 40]);
    assert.deepEqual(one('FILL(m1, m2)', m), [1, 10, 3, undefined, 40]);
    assert.deepEqual(one('FILL(m1, MIN(m2))', m), [1, 10, 1, 1, 40]);
    assert.deepEqual(one('FILL(m1, REPEAT)', m), [undefined, 10, 10, 10, 40]);
    assert.deepEqual(one('FILL(m1, LINEAR)', m), [undefined, 10, 20, 30, 40]);
    assert.deepEqual(one('FILL(m1 * 2, LINEAR)', m), [undefined, 20, 40, 60, 80]);
    assert.deepEqual(many('FILL(METRICS(), 0)', m), [
      [0, 10, 0, 0, 40],
      [1, 2, 3, 0, 5],
    ]);
    const trailing = [metric('m1', [5, undefined, 7, undefined, undefined])];
    assert.deepEqual(one('FILL(m1, REPEAT)', trailing), [5, 5, 7, 7, 7]);
    assert.deepEqual(one('FILL(m1, LINEAR)', trailing), [5, 6, 7, undefined, undefined]);
    failsExpr(
      'FILL(m1, ASC)',
      'Error in expression e1 [The function FILL fills with a number, a time series, REPEAT or LINEAR]',
    );
    failsExpr('FILL(m1, [m2])', 'Error in expression e1 [The function FILL cannot fill with an array]');
  });

  describe('IF, as in the guide', () => {
    const m = [
      metric('metric1', [1, 1, 0, 0, undefined]),
      metric('metric2', [30, undefined, 0, 0, 30]),
      metric('metric3', [0, 0, 20, undefined, 20]),
    ];

    test('IF(metric1, metric2, metric3)', () => {
      assert.deepEqual(one('IF(metric1, metric2, metric3)', m), [30, 0, 20, undefined, undefined]);
    });

    test('IF(metric1, scalar2, metric3)', () => {
      assert.deepEqual(one('IF(metric1, 5, metric3)', m), [5, 5, 20, undefined, undefined]);
    });

    test('IF(metric1, metric2, scalar3)', () => {
      assert.deepEqual(one('IF(metric1, metric2, 5)', m), [30, 0, 5, 5, undefined]);
    });

    test('without a false branch a false condition drops the point', () => {
      assert.deepEqual(one('IF(metric1, metric2)', m), [30, 0, undefined, undefined, undefined]);
      assert.deepEqual(one('IF(metric2 < 10, metric2)', m), [undefined, undefined, 0, 0, undefined]);
      assert.deepEqual(one('IF(metric2 > 10, 1, 0)', m), [1, undefined, 0, 0, 1]);
    });

    test('a scalar condition picks a whole series, or nothing', () => {
      assert.deepEqual(one('IF(1, metric2, metric3)', m), [30, undefined, 0, 0, 30]);
      assert.deepEqual(one('IF(0, metric2, metric3)', m), [0, 0, 20, undefined, 20]);
      assert.deepEqual(one('IF(0, metric2)', m), [undefined, undefined, undefined, undefined, undefined]);
      assert.deepEqual(one('IF(MAX(metric1) > 0, metric3 * 2)', m), [0, 0, 40, undefined, 40]);
    });

    test('arrays are not taken', () => {
      fails(
        [...m, { id: 'e1', expression: 'IF(METRICS(), 1, 0)' }],
        'Error in expression e1 [The function IF takes numbers and time series]',
      );
    });
  });

  test('METRICS() is every metric query in order, expressions left out; METRICS("s") filters by Id', () => {
    const queries: MathQuery[] = [...METRICS, { id: 'e0', expression: 'm1 * 1000' }];
    assert.deepEqual(
      (run('METRICS()', queries).series as TimeSeries[]).map((s) => s.label),
      ['m1', 'm2', 'errors4xx', 'errors5xx'],
    );
    assert.deepEqual(many('METRICS("5xx")'), [[10, undefined, 30, undefined, 50]]);
    assert.deepEqual(many('METRICS("m")'), [
      [30, 20, 0, 0, undefined],
      [20, undefined, 20, undefined, 5],
    ]);
    assert.deepEqual(many("METRICS('nothing')"), []);
    failsExpr('METRICS(m1)', 'Error in expression e1 [The function METRICS takes a string]');
  });

  test('PERIOD is the period of a metric query', () => {
    const m = [metric('m1', [60, 120, undefined, 0, 30]), metric('m5', [300, 300, 300, 300, 300], 300)];
    assert.deepEqual(one('m1 / PERIOD(m1)', m), [1, 2, undefined, 0, 0.5]);
    assert.deepEqual(one('m5 / PERIOD(m5)', m), [1, 1, 1, 1, 1]);
    fails(
      [...m, { id: 'e0', expression: 'm1 * 2' }, { id: 'e1', expression: 'e0 / PERIOD(e0)' }],
      'Error in expression e1 [The function PERIOD takes the Id of a metric]',
    );
    fails([...m, { id: 'e1', expression: 'm1 / PERIOD(m1 * 2)' }], /PERIOD takes the Id of a metric/);
  });

  test('DATAPOINT_COUNT, METRIC_COUNT', () => {
    assert.deepEqual(one('SUM(m2) / DATAPOINT_COUNT(m2) + m2 * 0'), [15, undefined, 15, undefined, 15]);
    assert.deepEqual(one('DATAPOINT_COUNT(METRICS())'), [4, 2, 4, 2, 3]);
    assert.deepEqual(one('m1 / METRIC_COUNT(METRICS())'), [7.5, 5, 0, 0, undefined]);
  });

  test('FIRST, LAST, REMOVE_EMPTY, SLICE, SORT', () => {
    const m = [...METRICS, metric('empty', [undefined, undefined, undefined, undefined, undefined])];
    assert.deepEqual(one('FIRST(METRICS())', m), [30, 20, 0, 0, undefined]);
    assert.deepEqual(one('LAST(METRICS())', m), [undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual(one('LAST(REMOVE_EMPTY(METRICS()))', m), [10, undefined, 30, undefined, 50]);
    assert.equal(many('REMOVE_EMPTY(METRICS())', m).length, 4);
    assert.deepEqual(many('SLICE(METRICS(), 1, 3)', m), [
      [20, undefined, 20, undefined, 5],
      [1, 2, 3, 4, 5],
    ]);
    assert.equal(many('SLICE(METRICS(), 3)', m).length, 2);
    const order = (expression: string) => (run(expression, m).series as TimeSeries[]).map((s) => s.label);
    // Sums: m1 50, m2 45, errors4xx 15, errors5xx 90; empty has none and goes last.
    assert.deepEqual(order('SORT(METRICS(), SUM, DESC)'), ['errors5xx', 'm1', 'm2', 'errors4xx', 'empty']);
    assert.deepEqual(order('SORT(METRICS(), SUM, ASC)'), ['errors4xx', 'm2', 'm1', 'errors5xx', 'empty']);
    assert.deepEqual(order('SORT(METRICS(), MAX, DESC, 2)'), ['errors5xx', 'm1']);
    assert.deepEqual(order('SORT(METRICS(), MIN, ASC)'), ['m1', 'errors4xx', 'm2', 'errors5xx', 'empty']);
    failsExpr('SORT(METRICS(), MEDIAN, ASC)', /Unrecognized identifier MEDIAN/);
    failsExpr('SORT(METRICS(), AVG, UP)', /Unrecognized identifier UP/);
    failsExpr('SORT(METRICS(), AVG, REPEAT)', 'Error in expression e1 [The function SORT sorts ASC or DESC]');
    failsExpr('FIRST(m1)', 'Error in expression e1 [The function FIRST takes an array of time series]');
  });

  test('TIME_SERIES and the date functions fill the whole grid', () => {
    assert.deepEqual(one('TIME_SERIES(7)'), [7, 7, 7, 7, 7]);
    assert.deepEqual(one('TIME_SERIES(MAX(m1) * 2)'), [60, 60, 60, 60, 60]);
    assert.deepEqual(one('MINUTE(m2)'), [0, 1, 2, 3, 4]);
    assert.deepEqual(one('HOUR(m2)'), [9, 9, 9, 9, 9]);
    assert.deepEqual(one('DAY(m2)'), [1, 1, 1, 1, 1], 'Monday is 1');
    assert.deepEqual(one('DATE(m2)'), [5, 5, 5, 5, 5]);
    assert.deepEqual(one('MONTH(m2)'), [1, 1, 1, 1, 1]);
    assert.deepEqual(one('YEAR(m2)'), [2026, 2026, 2026, 2026, 2026]);
    assert.deepEqual(
      one('EPOCH(m2)'),
      GRID.map((t) => t / 1000),
    );
    // A true condition where m1 has no point gives 0, as the guide's IF table has it.
    assert.deepEqual(one('IF(DAY(m1) < 6, m1)'), [30, 20, 0, 0, 0]);
    const sunday = { startMs: Date.UTC(2026, 0, 11, 23, 58), endMs: Date.UTC(2026, 0, 12, 0, 1), periodSeconds: 60 };
    const days = evaluateMetricMath([metric('m1', []), { id: 'e1', expression: 'DAY(m1)' }], sunday).get('e1');
    assert.deepEqual(days?.series, {
      timestamps: [0, 1, 2].map((i) => sunday.startMs + i * MINUTE),
      values: [7, 7, 1],
      label: 'e1',
    });
  });

  test('refused functions and wrong arguments', () => {
    failsExpr('STDDEV(m1)', 'Error in expression e1 [Unsupported function STDDEV]');
    failsExpr('ANOMALY_DETECTION_BAND(m1)', 'Error in expression e1 [Unsupported function ANOMALY_DETECTION_BAND]');
    failsExpr(
      `SEARCH('{AWS/EC2,InstanceId} MetricName="CPUUtilization"', 'Average', 300)`,
      'Error in expression e1 [Unsupported function SEARCH]',
    );
    failsExpr('ABS(m1, m2)', 'Error in expression e1 [The function ABS takes 1 argument]');
    failsExpr('FILL(m1)', 'Error in expression e1 [The function FILL takes 2 arguments]');
    failsExpr('IF(m1)', 'Error in expression e1 [The function IF takes 2 to 3 arguments]');
    failsExpr('RATE(5)', 'Error in expression e1 [The function RATE takes a time series or an array of time series]');
    failsExpr('[m1, 5]', 'Error in expression e1 [An array holds time series only]');
    failsExpr(
      'm1 + "x"',
      'Error in expression e1 [The operator + takes numbers, time series or arrays of time series]',
    );
    failsExpr('ABS(REPEAT)', /The function ABS takes a number, a time series or an array of time series/);
  });
});

describe('queries', () => {
  test('an expression can use another expression', () => {
    const result = evaluateMetricMath(
      [...METRICS, { id: 'rate', expression: 'e0 * 100' }, { id: 'e0', expression: 'm2 / (m1 + m2)' }],
      RANGE,
    );
    const rate = result.get('rate')?.series as TimeSeries;
    assert.deepEqual(column(rate), [40, 0, 100, undefined, 100]);
    assert.equal(rate.label, 'rate');
    assert.deepEqual([...result.keys()], ['rate', 'e0'], 'in request order');
  });

  test("a series of an array built from expressions carries the expression's label", () => {
    const result = evaluateMetricMath(
      [
        { id: 'm1', label: 'Errors', periodSeconds: 60, series: ts([1, 2, 3, 4, 5]) },
        { id: 'e0', label: 'Doubled', expression: 'm1 * 2' },
        { id: 'e1', expression: '[e0, m1, RATE(m1)]' },
      ],
      RANGE,
    );
    const items = result.get('e1')?.series as TimeSeries[];
    assert.deepEqual(
      items.map((s) => s.label),
      ['Doubled', 'Errors', 'Errors'],
    );
  });

  test('a final result must be a time series or an array of them', () => {
    failsExpr(
      'AVG(m1)',
      'Error in expression e1 [The expression must return a time series or an array of time series]',
    );
    failsExpr('1 + 2', 'Error in expression e1 [The expression must return a time series or an array of time series]');
    failsExpr('"text"', /must return a time series/);
  });

  test('circular references are found before anything is evaluated', () => {
    fails(
      [
        { id: 'e1', expression: 'e2 + 1' },
        { id: 'e2', expression: 'e3 * 2' },
        { id: 'e3', expression: 'e1' },
      ],
      'Error in expression e1 [Circular reference: e1 -> e2 -> e3 -> e1]',
    );
    fails([...METRICS, { id: 'e1', expression: 'm1 + e1' }], 'Error in expression e1 [Circular reference: e1 -> e1]');
    fails(
      [...METRICS, { id: 'e1', expression: 'm1' }, { id: 'e2', expression: 'e3' }, { id: 'e3', expression: 'e2 + e1' }],
      'Error in expression e2 [Circular reference: e2 -> e3 -> e2]',
    );
  });

  test('every Id an expression names must be a query of the request', () => {
    failsExpr('m1 + m9', 'Error in expression e1 [Unrecognized identifier m9]');
  });

  test('Ids start with a lowercase letter, hold letters, digits and underscores, and are distinct', () => {
    for (const id of ['M1', '1m', '_m', 'm-1', 'm 1', '', 'x'.repeat(256)]) {
      assert.throws(
        () => validateMetricMath([{ id, expression: 'TIME_SERIES(1)' }]),
        (e: unknown) => e instanceof MetricMathError && e.message.startsWith(`Invalid Id ${id}:`),
        id,
      );
    }
    assert.doesNotThrow(() => validateMetricMath([{ id: 'errorRate_5xx', expression: 'TIME_SERIES(1)' }]));
    fails([metric('m1', []), metric('m1', [])], 'Duplicate Id m1');
  });

  test('validation alone needs no data', () => {
    const parsed = validateMetricMath([
      { id: 'm1', periodSeconds: 60 },
      { id: 'e1', expression: 'm1 * 2' },
    ]);
    assert.deepEqual([...parsed.keys()], ['e1']);
    assert.throws(
      () => validateMetricMath([{ id: 'e1', expression: 'm1 * ' }]),
      (e: unknown) =>
        e instanceof MetricMathError && e.message === 'Error in expression e1 [Unexpected end of expression]',
    );
  });

  test('points off the series, or not finite, in the input are cleaned up', () => {
    const messy = {
      id: 'm1',
      periodSeconds: 60,
      series: { timestamps: [GRID[2] as number, GRID[0] as number, GRID[1] as number], values: [3, 1, Number.NaN] },
    };
    assert.deepEqual(one('m1 + 0', [messy]), [1, undefined, 3, undefined, undefined]);
  });
});
