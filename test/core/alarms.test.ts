// CloudWatch metric alarm evaluation. Rules: the CloudWatch user guide's "Alarm evaluation", "Configuring how
// CloudWatch alarms treat missing data" (both example tables, encoded row by row below) and "Avoiding premature
// transitions to alarm state"; PutMetricAlarm's limits; StateReason texts as CloudWatch writes them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type AlarmConfig,
  AlarmConfigError,
  type AlarmState,
  COMPARISON_OPERATORS,
  type ComparisonOperator,
  type Evaluation,
  evaluateAlarm,
  evaluationWindow,
  formatStateReasonData,
  javaDouble,
  TREAT_MISSING_DATA,
  type TreatMissingData,
  validateAlarmConfig,
} from '../../src/core/alarms.js';

const STATES: AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
const NOW = Date.UTC(2026, 10, 25, 10, 6, 17, 250);
const BREACHING_VALUE = 12;
const OK_VALUE = 5;

function config(overrides: Partial<AlarmConfig> = {}): AlarmConfig {
  return {
    period: 60,
    evaluationPeriods: 3,
    threshold: 10,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    ...overrides,
  };
}

/** `0` within the threshold, `X` breaching, `-` missing; oldest first, over the window evaluated at NOW. */
function run(cfg: AlarmConfig, pattern: string, current: AlarmState = 'OK', statistic?: string): Evaluation {
  const marks = pattern.split(/\s+/);
  const { periods } = evaluationWindow(cfg, NOW);
  assert.equal(marks.length, periods.length, 'pattern must cover the evaluation range');
  const datapoints = periods.map((timestamp, i) => {
    const mark = marks[i];
    const value = mark === 'X' ? BREACHING_VALUE : mark === '0' ? OK_VALUE : undefined;
    return { timestamp, value };
  });
  return evaluateAlarm(cfg, datapoints, current, NOW, statistic);
}

type Expected = AlarmState | 'RETAIN';
interface Row {
  datapoints: string;
  missing: Expected;
  ignore: Expected;
  breaching: Expected;
  notBreaching: Expected;
}

const TREATMENTS: (keyof Omit<Row, 'datapoints'>)[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

function checkRow(m: number, row: Row): void {
  for (const treat of TREATMENTS) {
    const cfg = config({ evaluationPeriods: 3, datapointsToAlarm: m, treatMissingData: treat });
    const expected = row[treat];
    for (const current of STATES) {
      const want = expected === 'RETAIN' ? current : expected;
      assert.equal(run(cfg, row.datapoints, current).state, want, `${row.datapoints} ${treat} from ${current}`);
    }
  }
}

describe('the documented missing-data tables (N = 3, evaluation range 5)', () => {
  // "Datapoints to Alarm and Evaluation Periods are both 3."
  const threeOfThree: Row[] = [
    { datapoints: '0 - X - X', missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' },
    { datapoints: '0 - - - -', missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' },
    {
      datapoints: '- - - - -',
      missing: 'INSUFFICIENT_DATA',
      ignore: 'RETAIN',
      breaching: 'ALARM',
      notBreaching: 'OK',
    },
    { datapoints: '0 X X - X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
    { datapoints: '- - X - -', missing: 'ALARM', ignore: 'RETAIN', breaching: 'ALARM', notBreaching: 'OK' },
  ];
  // "Datapoints to Alarm is only 2 while Evaluation Periods is 3."
  const twoOfThree: Row[] = [
    { datapoints: '0 - X - X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
    { datapoints: '0 0 X 0 X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
    { datapoints: '0 - X - -', missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' },
    { datapoints: '- - - - 0', missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' },
    { datapoints: '- - - X -', missing: 'ALARM', ignore: 'RETAIN', breaching: 'ALARM', notBreaching: 'OK' },
  ];
  for (const row of threeOfThree) test(`3 of 3: ${row.datapoints}`, () => checkRow(3, row));
  for (const row of twoOfThree) test(`2 of 3: ${row.datapoints}`, () => checkRow(2, row));

  test('the premature-alarm examples: a breaching datapoint too recent to alarm on alone', () => {
    // "the alarm does not go immediately into ALARM state when the data is either - - - - X or - - - X -"
    const cfg = config({ datapointsToAlarm: 3 });
    assert.equal(run(cfg, '- - - - X').state, 'INSUFFICIENT_DATA');
    assert.equal(run(cfg, '- - - X -').state, 'INSUFFICIENT_DATA');
    assert.equal(run(cfg, '- - - X 0').state, 'OK');
    assert.equal(run(cfg, '- - X - 0').state, 'OK');
    assert.equal(run(config({ treatMissingData: 'ignore' }), '- - - - X', 'ALARM').state, 'ALARM');
    assert.equal(run(config({ treatMissingData: 'ignore' }), '- - - - X', 'OK').state, 'OK');
    // Rows of the guide's earlier edition: an older lone breaching point still alarms; 2 of 3 needs it 2 periods old.
    assert.equal(run(cfg, 'X - - - -').state, 'ALARM');
    assert.equal(run(config({ datapointsToAlarm: 2 }), '- - - - X').state, 'INSUFFICIENT_DATA');
  });

  test('with enough real datapoints the treatment is never consulted, however far back they are', () => {
    for (const treat of TREAT_MISSING_DATA) {
      assert.equal(run(config({ treatMissingData: treat }), 'X X - X -').state, 'ALARM', treat);
      assert.equal(run(config({ treatMissingData: treat }), 'X 0 X - -').state, 'OK', treat);
    }
  });

  test('breaching counts a missing period as breaching only as often as needed', () => {
    // "the next time this alarm is evaluated, if the data is still missing it will go to ALARM"
    const cfg = config({ treatMissingData: 'breaching' });
    assert.equal(run(cfg, '0 - - - -').state, 'OK');
    assert.equal(run(cfg, '- - - - -').state, 'ALARM');
  });
});

describe('M out of N without missing data', () => {
  test('ALARM from M breaching datapoints anywhere in the last N, OK below that', () => {
    const cfg = config({ evaluationPeriods: 5, datapointsToAlarm: 3 });
    assert.equal(run(cfg, '0 0 X 0 X 0 X').state, 'ALARM');
    assert.equal(run(cfg, 'X X X 0 X 0 0').state, 'OK');
    assert.equal(run(cfg, '0 0 0 0 0 0 0', 'ALARM').state, 'OK');
  });

  test('property: the state is ALARM iff at least M of the last N values breach', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            m: fc.integer({ min: 1, max: n }),
            extra: fc.integer({ min: 0, max: 4 }),
            values: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n + 4, maxLength: n + 4 }),
            operator: fc.constantFrom(...COMPARISON_OPERATORS),
            threshold: fc.integer({ min: -2, max: 2 }),
            treat: fc.constantFrom(...TREAT_MISSING_DATA),
            current: fc.constantFrom(...STATES),
          }),
        ),
        ({ n, m, extra, values, operator, threshold, treat, current }) => {
          const cfg = config({
            evaluationPeriods: n,
            datapointsToAlarm: m,
            comparisonOperator: operator,
            threshold,
            treatMissingData: treat,
          });
          const range = values.slice(0, n + extra);
          const datapoints = range.map((value, i) => ({ timestamp: i * 60_000, value }));
          const breaching = range.slice(-n).filter((v) => oracle(operator, v, threshold)).length;
          const result = evaluateAlarm(cfg, datapoints, current, NOW);
          assert.equal(result.state, breaching >= m ? 'ALARM' : 'OK');
          assert.equal(result.reasonData.evaluatedDatapoints.length, n);
        },
      ),
    );
  });

  test('property: ignore decides as missing does, except that it keeps its state where missing would not decide', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            m: fc.integer({ min: 1, max: n }),
            marks: fc.array(fc.constantFrom<number | undefined>(OK_VALUE, BREACHING_VALUE, undefined), {
              minLength: n + 2,
              maxLength: n + 2,
            }),
            current: fc.constantFrom(...STATES),
          }),
        ),
        ({ n, m, marks, current }) => {
          const datapoints = marks.map((value, i) => ({ timestamp: i * 60_000, value }));
          const missing = evaluateAlarm(
            config({ evaluationPeriods: n, datapointsToAlarm: m }),
            datapoints,
            current,
            NOW,
          );
          const ignore = evaluateAlarm(
            config({ evaluationPeriods: n, datapointsToAlarm: m, treatMissingData: 'ignore' }),
            datapoints,
            current,
            NOW,
          );
          const realBreaching = datapoints.filter((d) => d.value === BREACHING_VALUE).length;
          const real = datapoints.filter((d) => d.value !== undefined).length;
          const undecided = real < n && realBreaching === real && realBreaching < m;
          assert.equal(ignore.state, undecided ? current : missing.state);
          if (missing.state === 'INSUFFICIENT_DATA') assert.ok(undecided);
        },
      ),
    );
  });
});

function oracle(operator: ComparisonOperator, value: number, threshold: number): boolean {
  if (operator === 'GreaterThanOrEqualToThreshold') return value >= threshold;
  if (operator === 'GreaterThanThreshold') return value > threshold;
  if (operator === 'LessThanThreshold') return value < threshold;
  return value <= threshold;
}

describe('comparison operators at and around the threshold', () => {
  const cases: [ComparisonOperator, below: AlarmState, at: AlarmState, above: AlarmState][] = [
    ['GreaterThanOrEqualToThreshold', 'OK', 'ALARM', 'ALARM'],
    ['GreaterThanThreshold', 'OK', 'OK', 'ALARM'],
    ['LessThanThreshold', 'ALARM', 'OK', 'OK'],
    ['LessThanOrEqualToThreshold', 'ALARM', 'ALARM', 'OK'],
  ];
  for (const [operator, below, at, above] of cases) {
    test(operator, () => {
      const cfg = config({ evaluationPeriods: 1, threshold: 0.1, comparisonOperator: operator });
      const { periods } = evaluationWindow(cfg, NOW);
      const state = (value: number) =>
        evaluateAlarm(
          cfg,
          periods.map((timestamp) => ({ timestamp, value })),
          'INSUFFICIENT_DATA',
          NOW,
        ).state;
      assert.equal(state(0.1 - 1e-9), below);
      assert.equal(state(0.1), at);
      assert.equal(state(0.1 + 1e-9), above);
    });
  }

  test('a NaN value counts as a missing datapoint', () => {
    const cfg = config({ evaluationPeriods: 1 });
    const { periods } = evaluationWindow(cfg, NOW);
    const result = evaluateAlarm(
      cfg,
      periods.map((timestamp) => ({ timestamp, value: Number.NaN })),
      'OK',
      NOW,
    );
    assert.equal(result.state, 'INSUFFICIENT_DATA');
  });
});

describe('evaluationWindow', () => {
  test('the newest period is the last complete one, ending on a whole minute; N + 2 periods', () => {
    const at = (h: number, m: number, s = 0) => Date.UTC(2026, 10, 25, h, m, s);
    const window = evaluationWindow(config(), NOW);
    assert.deepEqual(window.periods, [at(10, 1), at(10, 2), at(10, 3), at(10, 4), at(10, 5)]);
    assert.equal(window.start, at(10, 1));
    assert.equal(window.end, at(10, 6));

    // AWS: a 300-second alarm queried at 08:18:46 evaluated the period starting 08:13:00.
    const fiveMinutes = evaluationWindow(
      config({ period: 300, evaluationPeriods: 1 }),
      Date.UTC(2023, 2, 3, 8, 18, 46),
    );
    assert.deepEqual(fiveMinutes.periods, [
      Date.UTC(2023, 2, 3, 8, 3),
      Date.UTC(2023, 2, 3, 8, 8),
      Date.UTC(2023, 2, 3, 8, 13),
    ]);

    const highResolution = evaluationWindow(config({ period: 10, evaluationPeriods: 2 }), NOW);
    assert.deepEqual(highResolution.periods, [at(10, 5, 30), at(10, 5, 40), at(10, 5, 50), at(10, 6, 0)]);
    assert.equal(highResolution.end, at(10, 6, 10));
  });

  test('evaluateAlarm refuses a range shorter than N or out of order', () => {
    const cfg = config();
    assert.throws(() => evaluateAlarm(cfg, [{ timestamp: 0, value: 1 }], 'OK', NOW), RangeError);
    const backwards = [2, 1, 0].map((i) => ({ timestamp: i * 60_000, value: 1 }));
    assert.throws(() => evaluateAlarm(cfg, backwards, 'OK', NOW), RangeError);
  });
});

describe('StateReason and StateReasonData', () => {
  test('ALARM, M out of N set explicitly', () => {
    const result = run(config({ datapointsToAlarm: 3 }), '0 - X X X', 'OK', 'Maximum');
    assert.equal(
      result.reason,
      'Threshold Crossed: 3 out of the last 3 datapoints [12.0 (25/11/26 10:05:00), 12.0 (25/11/26 10:04:00), ' +
        '12.0 (25/11/26 10:03:00)] were greater than or equal to the threshold (10.0) ' +
        '(minimum 3 datapoints for OK -> ALARM transition).',
    );
    assert.deepEqual(result.reasonData, {
      version: '1.0',
      queryDate: '2026-11-25T10:06:17.250+0000',
      startDate: '2026-11-25T10:03:00.000+0000',
      statistic: 'Maximum',
      period: 60,
      recentDatapoints: [12, 12, 12],
      threshold: 10,
      evaluatedDatapoints: [
        { timestamp: '2026-11-25T10:05:00.000+0000', value: 12 },
        { timestamp: '2026-11-25T10:04:00.000+0000', value: 12 },
        { timestamp: '2026-11-25T10:03:00.000+0000', value: 12 },
      ],
    });
  });

  test('OK lists the datapoints within the threshold and the minimum for ALARM -> OK (N - M + 1)', () => {
    const result = run(
      config({ datapointsToAlarm: 2, comparisonOperator: 'GreaterThanThreshold' }),
      '- - X 0 0',
      'ALARM',
    );
    assert.equal(
      result.reason,
      'Threshold Crossed: 2 out of the last 3 datapoints [5.0 (25/11/26 10:05:00), 5.0 (25/11/26 10:04:00)] ' +
        'were not greater than the threshold (10.0) (minimum 2 datapoints for ALARM -> OK transition).',
    );
  });

  test('alarms without DatapointsToAlarm get the shorter wording', () => {
    const cfg = config({ evaluationPeriods: 1, comparisonOperator: 'LessThanThreshold', threshold: 1 });
    const { periods } = evaluationWindow(cfg, NOW);
    const at = (value: number) =>
      evaluateAlarm(
        cfg,
        periods.map((timestamp) => ({ timestamp, value })),
        'OK',
        NOW,
      ).reason;
    assert.equal(at(0), 'Threshold Crossed: 1 datapoint [0.0 (25/11/26 10:05:00)] was less than the threshold (1.0).');
    assert.equal(
      at(3.5),
      'Threshold Crossed: 1 datapoint [3.5 (25/11/26 10:05:00)] was not less than the threshold (1.0).',
    );
  });

  test('filled-in datapoints', () => {
    assert.equal(
      run(config({ treatMissingData: 'breaching' }), '- - - - -').reason,
      'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].',
    );
    assert.equal(
      run(config({ evaluationPeriods: 1, treatMissingData: 'notBreaching' }), '- - -').reason,
      'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
    );
    assert.equal(
      run(config({ treatMissingData: 'breaching' }), '0 - - - -').reason,
      'Threshold Crossed: 1 datapoint [5.0 (25/11/26 10:01:00)] was not greater than or equal to the threshold (10.0) ' +
        'and 2 missing datapoints were treated as [Breaching].',
    );
    const noSupport = run(config({ datapointsToAlarm: 2, treatMissingData: 'breaching' }), '- - - - 0');
    assert.equal(noSupport.state, 'ALARM');
    assert.equal(
      noSupport.reason,
      'Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching].',
    );
    assert.deepEqual(noSupport.reasonData.evaluatedDatapoints, [
      { timestamp: '2026-11-25T10:05:00.000+0000', value: 5 },
      { timestamp: '2026-11-25T10:04:00.000+0000' },
      { timestamp: '2026-11-25T10:03:00.000+0000' },
    ]);
  });

  test('INSUFFICIENT_DATA and ignore', () => {
    const insufficient = run(config(), '- - - - -', 'OK', 'Average');
    assert.equal(insufficient.reason, 'Insufficient Data: 3 datapoints were unknown.');
    assert.deepEqual(insufficient.reasonData, {
      version: '1.0',
      queryDate: '2026-11-25T10:06:17.250+0000',
      statistic: 'Average',
      period: 60,
      recentDatapoints: [],
      threshold: 10,
      evaluatedDatapoints: [
        { timestamp: '2026-11-25T10:05:00.000+0000' },
        { timestamp: '2026-11-25T10:04:00.000+0000' },
        { timestamp: '2026-11-25T10:03:00.000+0000' },
      ],
    });
    assert.equal(run(config(), '- - - - X').reason, 'Insufficient Data: 2 datapoints were unknown.');
    const kept = run(config({ treatMissingData: 'ignore' }), '- - - - -', 'ALARM');
    assert.equal(kept.state, 'ALARM');
    assert.match(kept.reason, /stays ALARM/);
  });

  test('sampleCount is reported for real datapoints', () => {
    const cfg = config({ evaluationPeriods: 1 });
    const { periods } = evaluationWindow(cfg, NOW);
    const result = evaluateAlarm(
      cfg,
      periods.map((timestamp) => ({ timestamp, value: 3, sampleCount: 3 })),
      'INSUFFICIENT_DATA',
      NOW,
      'Sum',
    );
    assert.deepEqual(result.reasonData.evaluatedDatapoints, [
      { timestamp: '2026-11-25T10:05:00.000+0000', sampleCount: 3, value: 3 },
    ]);
    assert.equal(
      formatStateReasonData(result.reasonData),
      '{"version":"1.0","queryDate":"2026-11-25T10:06:17.250+0000","startDate":"2026-11-25T10:05:00.000+0000",' +
        '"statistic":"Sum","period":60,"recentDatapoints":[3.0],"threshold":10.0,' +
        '"evaluatedDatapoints":[{"timestamp":"2026-11-25T10:05:00.000+0000","sampleCount":3.0,"value":3.0}]}',
    );
  });

  test('numbers are written as Java writes doubles', () => {
    assert.equal(javaDouble(12), '12.0');
    assert.equal(javaDouble(-5), '-5.0');
    assert.equal(javaDouble(0), '0.0');
    assert.equal(javaDouble(0.0666851903306472), '0.0666851903306472');
    assert.equal(javaDouble(0.001), '0.001');
    assert.equal(javaDouble(0.0001), '1.0E-4');
    assert.equal(javaDouble(9_999_999), '9999999.0');
    assert.equal(javaDouble(10_000_000), '1.0E7');
    assert.equal(javaDouble(123_456_789.5), '1.234567895E8');
  });
});

describe('validateAlarmConfig', () => {
  const valid = { period: 60, evaluationPeriods: 3, threshold: 10, comparisonOperator: 'GreaterThanThreshold' };

  function invalid(input: unknown, message: RegExp): void {
    assert.throws(
      () => validateAlarmConfig(input),
      (e: unknown) => e instanceof AlarmConfigError && e.code === 'ValidationError' && message.test(e.message),
    );
  }

  test('accepts a valid config and keeps only its fields, defaults unset', () => {
    assert.deepEqual(validateAlarmConfig({ ...valid, extra: 1 }), valid);
    const full = { ...valid, datapointsToAlarm: 2, treatMissingData: 'notBreaching' as TreatMissingData };
    assert.deepEqual(validateAlarmConfig(full), full);
  });

  test('periods: 10, 20, 30 or a multiple of 60', () => {
    for (const period of [10, 20, 30, 60, 120, 3600]) {
      assert.equal(validateAlarmConfig({ ...valid, period }).period, period);
    }
    for (const period of [5, 15, 45, 90, 61])
      invalid({ ...valid, period }, /^Period must be 10, 20, 30 or a multiple of 60$/);
    invalid({ ...valid, period: 0 }, /Value '0' at 'period' failed to satisfy constraint/);
  });

  test('evaluationPeriods and datapointsToAlarm', () => {
    invalid({ ...valid, evaluationPeriods: 0 }, /Value '0' at 'evaluationPeriods'.*greater than or equal to 1/);
    invalid({ ...valid, evaluationPeriods: 1.5 }, /must be an integer/);
    invalid({ ...valid, datapointsToAlarm: 0 }, /at 'datapointsToAlarm'/);
    invalid({ ...valid, datapointsToAlarm: 4 }, /^DatapointsToAlarm must be less than or equal to EvaluationPeriods$/);
    assert.equal(validateAlarmConfig({ ...valid, datapointsToAlarm: 3 }).datapointsToAlarm, 3);
  });

  test('EvaluationPeriods * Period: one day below one-hour periods, seven days from one hour', () => {
    assert.ok(validateAlarmConfig({ ...valid, period: 60, evaluationPeriods: 1440 }));
    invalid(
      { ...valid, period: 60, evaluationPeriods: 1441 },
      /more than a day \(EvaluationPeriods \* Period must be <= 86400\)/,
    );
    invalid({ ...valid, period: 1800, evaluationPeriods: 49 }, /more than a day/);
    assert.ok(validateAlarmConfig({ ...valid, period: 3600, evaluationPeriods: 168 }));
    invalid({ ...valid, period: 3600, evaluationPeriods: 169 }, /more than a week .*<= 604800/);
  });

  test('operators, treatments, required fields', () => {
    invalid({ ...valid, comparisonOperator: 'Bigger' }, /Value 'Bigger' at 'comparisonOperator'.*enum value set/);
    invalid(
      { ...valid, comparisonOperator: 'GreaterThanUpperThreshold' },
      /Anomaly detection alarms are not supported/,
    );
    invalid({ ...valid, treatMissingData: 'Missing' }, /Supported values for TreatMissingData/);
    invalid({ ...valid, threshold: undefined }, /Value null at 'threshold'/);
    invalid({ ...valid, threshold: '10' }, /Invalid value "10" for threshold/);
    invalid({ ...valid, period: undefined }, /Value null at 'period'.*must not be null/);
    invalid({ ...valid, comparisonOperator: undefined }, /Value null at 'comparisonOperator'/);
    invalid(null, /must be an object/);
    for (const operator of COMPARISON_OPERATORS) {
      assert.equal(validateAlarmConfig({ ...valid, comparisonOperator: operator }).comparisonOperator, operator);
    }
  });
});
