/**
 * CloudWatch metric alarm evaluation (pure: no I/O, no clock; times are epoch milliseconds passed in).
 *
 * Rules, from the CloudWatch user guide ("Alarm evaluation", "Configuring how CloudWatch alarms treat missing data",
 * "Avoiding premature transitions to alarm state") and PutMetricAlarm:
 *
 * - Each evaluation looks at an *evaluation range* longer than EvaluationPeriods (N), so that datapoints missing
 *   from the newest periods can be made up from older ones. AWS does not publish the range's length; its worked
 *   examples use 5 periods for N = 3, and we use N + 2 for every alarm (see {@link EVALUATION_RANGE_EXTRA_PERIODS}).
 * - Real datapoints R >= N: the newest N real datapoints are evaluated, wherever they sit in the range, and
 *   TreatMissingData plays no part. ALARM when at least DatapointsToAlarm (M) of them breach, otherwise OK.
 * - R < N: every real datapoint in the range is evaluated and N - R missing ones are filled in, newest first:
 *   - `breaching` / `notBreaching`: the filled ones count as breaching / not breaching; ALARM iff >= M breach.
 *   - `missing`: ALARM when >= M real ones breach; OK when any real one does not breach; ALARM when all the real ones
 *     breach and the oldest is at least M periods old (the "premature alarm" rule); otherwise INSUFFICIENT_DATA.
 *   - `ignore`: as `missing`, except that the premature rule does not fire and, instead of INSUFFICIENT_DATA, the
 *     alarm keeps its current state (AWS's tables list "Retain current state" for both).
 *   Both documented tables (3 of 3 and 2 of 3, range 5) are encoded as tests in test/core/alarms.test.ts.
 * - Anomaly-detection operators (which compare against a band, not a threshold) are refused by
 *   {@link validateAlarmConfig}; this module evaluates static thresholds only.
 * - AWS/DynamoDB alarms always behave as `ignore` on AWS; that depends on the namespace, which is the caller's to apply.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export const COMPARISON_OPERATORS = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/** Band operators of anomaly-detection alarms; refused by {@link validateAlarmConfig}. */
export const ANOMALY_DETECTION_OPERATORS = [
  'LessThanLowerOrGreaterThanUpperThreshold',
  'LessThanLowerThreshold',
  'GreaterThanUpperThreshold',
] as const;

export const TREAT_MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'] as const;
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number];

export interface AlarmConfig {
  /** Seconds: 10, 20, 30 or a multiple of 60. */
  period: number;
  evaluationPeriods: number;
  /** Defaults to evaluationPeriods. */
  datapointsToAlarm?: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  /** Defaults to 'missing'. */
  treatMissingData?: TreatMissingData;
}

/** One period of the evaluation range; `value` undefined (or NaN) when the period has no datapoint. */
export interface AlarmDatapoint {
  /** Start of the period, epoch milliseconds. */
  timestamp: number;
  value: number | undefined;
  sampleCount?: number;
}

export interface EvaluatedDatapoint {
  timestamp: string;
  sampleCount?: number;
  /** Absent for a missing datapoint that was filled in or counted as unknown. */
  value?: number;
}

/** CloudWatch's StateReasonData, as an object; {@link formatStateReasonData} renders it as AWS does. */
export interface StateReasonData {
  version: '1.0';
  queryDate: string;
  /** Timestamp of the oldest real datapoint evaluated; absent when none was. */
  startDate?: string;
  statistic?: string;
  period: number;
  /** Values of the real datapoints evaluated, oldest first. */
  recentDatapoints: number[];
  threshold: number;
  /** The N datapoints evaluated, newest first. */
  evaluatedDatapoints: EvaluatedDatapoint[];
}

export interface Evaluation {
  state: AlarmState;
  reason: string;
  reasonData: StateReasonData;
}

/** Periods the evaluation range holds beyond EvaluationPeriods (AWS's examples: range 5 for N = 3). */
export const EVALUATION_RANGE_EXTRA_PERIODS = 2;

export const MAX_EVALUATION_SECONDS_SHORT_PERIOD = 86_400;
export const MAX_EVALUATION_SECONDS = 604_800;

export class AlarmConfigError extends Error {
  override readonly name = 'AlarmConfigError';
  readonly code = 'ValidationError';
}

/** Whether `value` is on the alarming side of the threshold. */
export function breaches(operator: ComparisonOperator, threshold: number, value: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

/**
 * The periods an evaluation at `now` looks at, oldest first, each given by its start.
 *
 * The newest period is the last complete one, and periods end on a whole minute (on a multiple of the period for
 * 10/20/30-second alarms): AWS's StateReasonData shows a 300-second alarm queried at 08:18:46 evaluating the period
 * that starts at 08:13:00, not one aligned to 5 minutes. `end` is exclusive.
 */
export function evaluationWindow(config: AlarmConfig, now: number): { start: number; end: number; periods: number[] } {
  const periodMs = config.period * 1000;
  const alignMs = Math.min(config.period, 60) * 1000;
  const end = Math.floor(now / alignMs) * alignMs;
  const count = config.evaluationPeriods + EVALUATION_RANGE_EXTRA_PERIODS;
  const periods = Array.from({ length: count }, (_, i) => end - (count - i) * periodMs);
  return { start: end - count * periodMs, end, periods };
}

/**
 * When an alarm evaluated at `now` is evaluated next: at the next whole minute, or at the next multiple of the
 * period for 10, 20 and 30-second alarms (CloudWatch evaluates each alarm every minute, high-resolution alarms with
 * a shorter period every period). Always after `now`.
 */
export function nextEvaluationTime(period: number, now: number): number {
  const stepMs = Math.min(period, 60) * 1000;
  return (Math.floor(now / stepMs) + 1) * stepMs;
}

interface Slot {
  timestamp: number;
  value: number | undefined;
  sampleCount: number | undefined;
  /** 1 for the newest period of the range. */
  age: number;
}

type RealSlot = Slot & { value: number };

const isReal = (slot: Slot): slot is RealSlot => slot.value !== undefined;

/**
 * Evaluates the alarm over `datapoints`: one entry per period of the evaluation range, oldest first (as
 * {@link evaluationWindow} lists them). `current` is the alarm's state before this evaluation, kept by `ignore`.
 */
export function evaluateAlarm(
  config: AlarmConfig,
  datapoints: readonly AlarmDatapoint[],
  current: AlarmState,
  now: number,
  statistic?: string,
): Evaluation {
  const n = config.evaluationPeriods;
  const m = config.datapointsToAlarm ?? n;
  const treat = config.treatMissingData ?? 'missing';
  if (datapoints.length < n) {
    throw new RangeError(`The evaluation range has ${datapoints.length} periods; it needs at least ${n}.`);
  }
  for (let i = 1; i < datapoints.length; i++) {
    if ((datapoints[i]?.timestamp ?? 0) <= (datapoints[i - 1]?.timestamp ?? 0)) {
      throw new RangeError('Datapoints must be in increasing timestamp order, newest last.');
    }
  }
  const slots: Slot[] = datapoints.map((d, i) => ({
    timestamp: d.timestamp,
    value: d.value === undefined || Number.isNaN(d.value) ? undefined : d.value,
    sampleCount: d.sampleCount,
    age: datapoints.length - i,
  }));
  const real = slots.filter(isReal);
  const breach = (slot: RealSlot) => breaches(config.comparisonOperator, config.threshold, slot.value);
  const ctx: ReasonContext = { config, n, m, now, statistic };

  if (real.length >= n) {
    const evaluated = real.slice(-n);
    const breaching = evaluated.filter(breach).length;
    return decided(ctx, breaching >= m ? 'ALARM' : 'OK', evaluated, []);
  }

  // Fewer real datapoints than N: all of them count, and the newest missing periods make up the difference.
  const fill = n - real.length;
  const filled = slots.filter((s) => !isReal(s)).slice(-fill);
  const breaching = real.filter(breach).length;

  if (treat === 'breaching' || treat === 'notBreaching') {
    const total = breaching + (treat === 'breaching' ? fill : 0);
    return decided(ctx, total >= m ? 'ALARM' : 'OK', real, filled, treat);
  }
  if (breaching >= m) return decided(ctx, 'ALARM', real, filled);
  // A real datapoint within the threshold is evidence enough for OK: the tables' `0 - X - -` (2 of 3) and
  // `- - - - 0` rows stay OK although filling the gaps with breaching datapoints could reach M.
  if (breaching < real.length) return decided(ctx, 'OK', real, filled);
  // Only breaching datapoints, fewer than M. If the oldest has been there for M periods with nothing newer
  // contradicting it, M breaching periods in a row would have had time to arrive: that is the premature-alarm rule.
  // The tables show `ignore` retaining its state in exactly these rows.
  const oldest = real[0];
  if (treat === 'missing' && oldest !== undefined && oldest.age >= m) return decided(ctx, 'ALARM', real, filled);
  if (treat === 'missing') return unknown(ctx, 'INSUFFICIENT_DATA', real, filled);
  return unknown(ctx, current, real, filled);
}

interface ReasonContext {
  config: AlarmConfig;
  n: number;
  m: number;
  now: number;
  statistic: string | undefined;
}

const OPERATOR_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
const wasWere = (count: number) => (count === 1 ? 'was' : 'were');

/** An OK or ALARM outcome, explained by the real datapoints on the outcome's side of the threshold. */
function decided(
  ctx: ReasonContext,
  state: 'OK' | 'ALARM',
  real: readonly RealSlot[],
  filled: readonly Slot[],
  treat?: 'breaching' | 'notBreaching',
): Evaluation {
  const { config, n, m } = ctx;
  const alarming = state === 'ALARM';
  const matching = real.filter((s) => breaches(config.comparisonOperator, config.threshold, s.value) === alarming);
  const list = `[${matching
    .slice()
    .reverse()
    .map((s) => `${javaDouble(s.value)} (${reasonDate(s.timestamp)})`)
    .join(', ')}]`;
  const words = `${alarming ? '' : 'not '}${OPERATOR_WORDS[config.comparisonOperator]} the threshold (${javaDouble(config.threshold)})`;
  const k = matching.length;
  let reason: string;
  if (treat !== undefined) {
    const label = treat === 'breaching' ? 'Breaching' : 'NonBreaching';
    const missing = `${plural(filled.length, 'missing datapoint')} ${wasWere(filled.length)} treated as [${label}].`;
    if (k > 0) {
      reason = `Threshold Crossed: ${plural(k, 'datapoint')} ${list} ${wasWere(k)} ${words} and ${missing}`;
    } else {
      const received =
        real.length === 0 ? 'no datapoints were' : `${plural(real.length, 'datapoint')} ${wasWere(real.length)}`;
      reason = `Threshold Crossed: ${received} received for ${plural(n, 'period')} and ${missing}`;
    }
  } else if (config.datapointsToAlarm === undefined) {
    // Alarms created without DatapointsToAlarm get CloudWatch's older, shorter wording.
    reason = `Threshold Crossed: ${plural(k, 'datapoint')} ${list} ${wasWere(k)} ${words}.`;
  } else {
    const minimum = alarming ? m : n - m + 1;
    const transition = alarming ? 'OK -> ALARM' : 'ALARM -> OK';
    reason =
      `Threshold Crossed: ${k} out of the last ${real.length} datapoints ${list} ${wasWere(k)} ${words} ` +
      `(minimum ${plural(minimum, 'datapoint')} for ${transition} transition).`;
  }
  return { state, reason, reasonData: reasonData(ctx, real, filled) };
}

/** INSUFFICIENT_DATA, or `ignore` keeping the current state: too few datapoints to decide. */
function unknown(
  ctx: ReasonContext,
  state: AlarmState,
  real: readonly RealSlot[],
  filled: readonly Slot[],
): Evaluation {
  const count = `${plural(filled.length, 'datapoint')} ${wasWere(filled.length)} unknown`;
  // AWS records no reason when `ignore` keeps the state (nothing changes); this text is ours.
  const reason =
    ctx.config.treatMissingData === 'ignore'
      ? `Unchanged: ${count} and missing data is ignored, so the alarm stays ${state}.`
      : `Insufficient Data: ${count}.`;
  return { state, reason, reasonData: reasonData(ctx, real, filled) };
}

function reasonData(ctx: ReasonContext, real: readonly RealSlot[], filled: readonly Slot[]): StateReasonData {
  const evaluated = [...real, ...filled].sort((a, b) => b.timestamp - a.timestamp);
  const oldestReal = real[0];
  return {
    version: '1.0',
    queryDate: isoDate(ctx.now),
    ...(oldestReal === undefined ? {} : { startDate: isoDate(oldestReal.timestamp) }),
    ...(ctx.statistic === undefined ? {} : { statistic: ctx.statistic }),
    period: ctx.config.period,
    recentDatapoints: real.map((s) => s.value),
    threshold: ctx.config.threshold,
    evaluatedDatapoints: evaluated.map((s) => ({
      timestamp: isoDate(s.timestamp),
      ...(s.value !== undefined && s.sampleCount !== undefined ? { sampleCount: s.sampleCount } : {}),
      ...(s.value === undefined ? {} : { value: s.value }),
    })),
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `dd/MM/yy HH:mm:ss` in UTC, as in CloudWatch's StateReason. */
export function reasonDate(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `2024-10-26T18:59:00.000+0000`, as in CloudWatch's StateReasonData. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** A double as Java's Double.toString writes it (CloudWatch is a Java service): 12.0, 0.5, 1.0E-4, 1.5E7. */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e7) {
    const text = String(x);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa = '', exponent = '0'] = x.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** StateReasonData as the JSON string AWS returns, doubles in Java's notation (`"threshold":10.0`). */
export function formatStateReasonData(data: StateReasonData): string {
  const parts = [`"version":${JSON.stringify(data.version)}`, `"queryDate":${JSON.stringify(data.queryDate)}`];
  if (data.startDate !== undefined) parts.push(`"startDate":${JSON.stringify(data.startDate)}`);
  if (data.statistic !== undefined) parts.push(`"statistic":${JSON.stringify(data.statistic)}`);
  parts.push(
    `"period":${data.period}`,
    `"recentDatapoints":[${data.recentDatapoints.map(javaDouble).join(',')}]`,
    `"threshold":${javaDouble(data.threshold)}`,
  );
  const evaluated = data.evaluatedDatapoints.map((d) => {
    const fields = [`"timestamp":${JSON.stringify(d.timestamp)}`];
    if (d.sampleCount !== undefined) fields.push(`"sampleCount":${javaDouble(d.sampleCount)}`);
    if (d.value !== undefined) fields.push(`"value":${javaDouble(d.value)}`);
    return `{${fields.join(',')}}`;
  });
  parts.push(`"evaluatedDatapoints":[${evaluated.join(',')}]`);
  return `{${parts.join(',')}}`;
}

const isValidPeriod = (p: number) => p === 10 || p === 20 || p === 30 || (p >= 60 && p % 60 === 0);

function requiredInteger(record: Record<string, unknown>, key: string): number {
  const value = record[key];
  if (value === undefined || value === null) {
    throw new AlarmConfigError(
      `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return integer(value, key);
}

function integer(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new AlarmConfigError(
      `Invalid value ${JSON.stringify(value) ?? String(value)} for ${key}: must be an integer.`,
    );
  }
  if (value < 1) {
    throw new AlarmConfigError(
      `1 validation error detected: Value '${value}' at '${key}' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  }
  return value;
}

/** Checks a PutMetricAlarm-like config (camelCase keys); throws AlarmConfigError with AWS's ValidationError text. */
export function validateAlarmConfig(input: unknown): AlarmConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AlarmConfigError('The alarm configuration must be an object.');
  }
  const record = input as Record<string, unknown>;
  const period = requiredInteger(record, 'period');
  const evaluationPeriods = requiredInteger(record, 'evaluationPeriods');
  const datapointsToAlarm =
    record.datapointsToAlarm === undefined || record.datapointsToAlarm === null
      ? undefined
      : integer(record.datapointsToAlarm, 'datapointsToAlarm');

  const threshold = record.threshold;
  if (threshold === undefined || threshold === null) {
    throw new AlarmConfigError(
      "1 validation error detected: Value null at 'threshold' failed to satisfy constraint: Member must not be null",
    );
  }
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    throw new AlarmConfigError(`Invalid value ${JSON.stringify(threshold) ?? String(threshold)} for threshold.`);
  }

  const operator = record.comparisonOperator;
  if (operator === undefined || operator === null) {
    throw new AlarmConfigError(
      "1 validation error detected: Value null at 'comparisonOperator' failed to satisfy constraint: Member must not be null",
    );
  }
  if ((ANOMALY_DETECTION_OPERATORS as readonly unknown[]).includes(operator)) {
    throw new AlarmConfigError(
      `Anomaly detection alarms are not supported: ComparisonOperator ${String(operator)} needs a ThresholdMetricId.`,
    );
  }
  if (!(COMPARISON_OPERATORS as readonly unknown[]).includes(operator)) {
    throw new AlarmConfigError(
      `1 validation error detected: Value '${String(operator)}' at 'comparisonOperator' failed to satisfy constraint: ` +
        `Member must satisfy enum value set: [${[...COMPARISON_OPERATORS, ...ANOMALY_DETECTION_OPERATORS].join(', ')}]`,
    );
  }

  const treat = record.treatMissingData;
  if (treat !== undefined && treat !== null && !(TREAT_MISSING_DATA as readonly unknown[]).includes(treat)) {
    throw new AlarmConfigError(
      'Supported values for TreatMissingData are breaching, notBreaching, ignore, and missing.',
    );
  }

  if (!isValidPeriod(period)) throw new AlarmConfigError('Period must be 10, 20, 30 or a multiple of 60');
  if (datapointsToAlarm !== undefined && datapointsToAlarm > evaluationPeriods) {
    throw new AlarmConfigError('DatapointsToAlarm must be less than or equal to EvaluationPeriods');
  }
  const total = period * evaluationPeriods;
  if (period < 3600 && total > MAX_EVALUATION_SECONDS_SHORT_PERIOD) {
    throw new AlarmConfigError(
      `Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= ${MAX_EVALUATION_SECONDS_SHORT_PERIOD}).`,
    );
  }
  if (total > MAX_EVALUATION_SECONDS) {
    throw new AlarmConfigError(
      `Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= ${MAX_EVALUATION_SECONDS}).`,
    );
  }

  return {
    period,
    evaluationPeriods,
    ...(datapointsToAlarm === undefined ? {} : { datapointsToAlarm }),
    threshold,
    comparisonOperator: operator as ComparisonOperator,
    ...(treat === undefined || treat === null ? {} : { treatMissingData: treat as TreatMissingData }),
  };
}
