/**
 * CloudWatch statistics of a statistic set, and the validation of statistic names and units.
 *
 * Definitions from the CloudWatch user guide ("CloudWatch statistics definitions"):
 *
 * - SampleCount, Sum, Average (Sum / SampleCount), Minimum, Maximum: exact.
 * - `pNN` / `pNN.NN` (up to two decimals, p0 to p100): the nearest-rank percentile, the smallest recorded value with
 *   at least NN% of the values at or below it. Exact while the set keeps its values exactly (up to 128 distinct
 *   ones, see aggregate.ts); from its histogram past that, within 0.5% of the exact one. p0 and p100 are always the
 *   exact Minimum and Maximum.
 * - Trimmed mean `TM(a:b)`, winsorized mean `WM(a:b)`, trimmed count `TC(a:b)`, trimmed sum `TS(a:b)`: bounds are both
 *   percentages (`TM(10%:90%)`) or both values (`TM(150:1000)`), either may be left out, and lowercase one-number
 *   forms (`tm99`) mean `TM(:99%)`. `IQM` is `TM(25%:75%)`. Percentile rank `PR(a:b)` takes values only and answers
 *   the percentage of values in range. Value bounds exclude the lower and include the upper bound.
 *
 *   The values are taken, in order, as a line of unit-width slots, and percentage bounds cut that line at a% and b%
 *   of the count — so a cut may fall inside a value's slot and count that value in part. That is how CloudWatch's
 *   trimmed count can be "a decimal value rather than an integer … an interpolated approximation". Winsorizing with
 *   percentage bounds replaces what lies outside the cut by the first and last value kept; with value bounds, it
 *   clamps values to the bounds.
 *
 *   Precision: exact while the set keeps its values exactly. From a histogram, trimmed sums and means are within 0.5%
 *   of the same computation over the exact values; with value bounds, values equal to a bound are placed exactly,
 *   but values just above a bound (within 1% of it) may be counted as at or below it.
 * - These extended statistics need the set's distribution. Where it has none (negative values, or statistic sets of
 *   unknown values — see aggregate.ts), CloudWatch does not give them, and {@link statisticValue} answers undefined.
 */
import { bucketRange, bucketValue, type StatSet } from './aggregate.js';

export const STANDARD_STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type StandardStatistic = (typeof STANDARD_STATISTICS)[number];

/** CloudWatch's `StandardUnit` enumeration (PutMetricData, GetMetricStatistics, PutMetricAlarm `Unit`). */
export const METRIC_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;
export type MetricUnit = (typeof METRIC_UNITS)[number];

export function isMetricUnit(unit: string): unit is MetricUnit {
  return (METRIC_UNITS as readonly string[]).includes(unit);
}

export function isStandardStatistic(name: string): name is StandardStatistic {
  return (STANDARD_STATISTICS as readonly string[]).includes(name);
}

/** A statistic name that is not one CloudWatch accepts. */
export class InvalidStatisticError extends Error {
  override readonly name = 'InvalidStatisticError';
  constructor(readonly statistic: string) {
    super(`${statistic} is not a valid statistic.`);
  }
}

export interface StatisticBound {
  value: number;
  percent: boolean;
}

export type TrimmedStatisticKind = 'TM' | 'WM' | 'TC' | 'TS';

export type Statistic =
  | { type: 'standard'; name: StandardStatistic }
  /** `hundredths` of a percent, so that p99.99 is the integer 9999 and ranks come out exact. */
  | { type: 'percentile'; hundredths: number }
  | { type: 'trimmed'; kind: TrimmedStatisticKind; lower?: StatisticBound; upper?: StatisticBound }
  | { type: 'rank'; lower?: number; upper?: number };

const PERCENTILE = /^p(100(?:\.0{1,2})?|\d{1,2}(?:\.\d{1,2})?)$/;
const NUMBER = String.raw`\d+(?:\.\d{1,10})?`;
const SHORT_TRIMMED = new RegExp(`^(tm|wm|tc|ts)(${NUMBER})$`);
const RANGE = new RegExp(`^(TM|WM|TC|TS|PR)\\((?:(${NUMBER})(%?))?:(?:(${NUMBER})(%?))?\\)$`);

/**
 * Parses any statistic CloudWatch accepts where "any CloudWatch statistic or extended statistic" may be given
 * (GetMetricData `MetricStat.Stat`, metric alarms). GetMetricStatistics takes only the standard ones in `Statistics`
 * and only percentiles in `ExtendedStatistics`: check those with {@link isStandardStatistic} and
 * {@link isPercentileStatistic}.
 */
export function parseStatistic(name: string): Statistic {
  if (isStandardStatistic(name)) return { type: 'standard', name };
  if (name === 'IQM') {
    return { type: 'trimmed', kind: 'TM', lower: { value: 25, percent: true }, upper: { value: 75, percent: true } };
  }
  const percentile = PERCENTILE.exec(name);
  if (percentile) return { type: 'percentile', hundredths: Math.round(Number(percentile[1]) * 100) };
  const short = SHORT_TRIMMED.exec(name);
  if (short) {
    const value = Number(short[2]);
    if (!(value > 0 && value <= 100)) throw new InvalidStatisticError(name);
    return { type: 'trimmed', kind: short[1]?.toUpperCase() as TrimmedStatisticKind, upper: { value, percent: true } };
  }
  const range = RANGE.exec(name);
  if (!range) throw new InvalidStatisticError(name);
  const [, kind, low, lowPercent, high, highPercent] = range;
  const lower = low === undefined ? undefined : { value: Number(low), percent: lowPercent === '%' };
  const upper = high === undefined ? undefined : { value: Number(high), percent: highPercent === '%' };
  if (!lower && !upper) throw new InvalidStatisticError(name);
  // The documented forms are all-percentages or all-values; a mix is refused rather than guessed at.
  if (lower && upper && lower.percent !== upper.percent) throw new InvalidStatisticError(name);
  for (const bound of [lower, upper]) if (bound?.percent && bound.value > 100) throw new InvalidStatisticError(name);
  if (lower && upper && !(lower.value < upper.value)) throw new InvalidStatisticError(name);
  if (kind === 'PR') {
    if (lower?.percent || upper?.percent) throw new InvalidStatisticError(name);
    return { type: 'rank', ...(lower && { lower: lower.value }), ...(upper && { upper: upper.value }) };
  }
  return { type: 'trimmed', kind: kind as TrimmedStatisticKind, ...(lower && { lower }), ...(upper && { upper }) };
}

/** Whether `name` is a percentile, the only extended statistic GetMetricStatistics and alarms' ExtendedStatistic take. */
export function isPercentileStatistic(name: string): boolean {
  return PERCENTILE.test(name);
}

/**
 * A value of the distribution, or a histogram bucket's (kept within the set's exact extremes), with how many values
 * it stands for. `low` is the exclusive lower edge of a bucket's range; undefined for an exact value.
 */
interface Slot {
  value: number;
  count: number;
  low?: number;
}

function slots(stats: StatSet): Slot[] | undefined {
  const values = stats.values;
  if (!values || stats.sampleCount === 0) return undefined;
  const out: Slot[] = [];
  if (values.zero > 0) out.push({ value: 0, count: values.zero });
  if ('exact' in values) {
    for (const [value, count] of values.exact) out.push({ value, count });
    return out;
  }
  for (const [index, count] of values.buckets) {
    const value = Math.min(stats.max, Math.max(stats.min, bucketValue(index)));
    out.push({ value, count, low: bucketRange(index).low });
  }
  return out;
}

function total(line: Slot[]): number {
  return line.reduce((n, s) => n + s.count, 0);
}

/**
 * How many values are at most `bound`. A bucket the bound falls inside counts as wholly at or below it, so that a
 * value equal to a bound is always on the right side of it (integer data and integer bounds are the common case);
 * the values in that bucket above the bound, within 1% of it, are the ones that can be misplaced.
 */
function massAtOrBelow(stats: StatSet, line: Slot[], bound: number): number {
  if (bound < stats.min) return 0;
  let mass = 0;
  for (const slot of line) {
    const below = bound >= stats.max || (slot.low === undefined ? slot.value <= bound : bound > slot.low);
    if (below) mass += slot.count;
  }
  return mass;
}

/** The sum of the values between two cuts of the line. */
function integrate(line: Slot[], from: number, to: number): number {
  let start = 0;
  let sum = 0;
  for (const slot of line) {
    const end = start + slot.count;
    const overlap = Math.min(end, to) - Math.max(start, from);
    if (overlap > 0) sum += overlap * slot.value;
    start = end;
  }
  return sum;
}

/** The value in the slot just after (`after`) or just before a cut of the line. */
function valueAtCut(line: Slot[], cut: number, after: boolean): number {
  let start = 0;
  for (const slot of line) {
    const end = start + slot.count;
    if (after ? cut < end : cut <= end) return slot.value;
    start = end;
  }
  return line[line.length - 1]?.value ?? 0;
}

function percentileOf(stats: StatSet, line: Slot[], hundredths: number): number {
  if (hundredths === 0) return stats.min;
  if (hundredths === 10000) return stats.max;
  const rank = (hundredths * total(line)) / 10000;
  let seen = 0;
  for (const slot of line) {
    seen += slot.count;
    if (seen >= rank) return slot.value;
  }
  return stats.max;
}

function cutAt(stats: StatSet, line: Slot[], bound: StatisticBound | undefined, otherwise: number): number {
  if (!bound) return otherwise;
  return bound.percent ? (bound.value / 100) * total(line) : massAtOrBelow(stats, line, bound.value);
}

function trimmed(
  stats: StatSet,
  line: Slot[],
  kind: TrimmedStatisticKind,
  lower: StatisticBound | undefined,
  upper: StatisticBound | undefined,
): number | undefined {
  const n = total(line);
  if (kind === 'WM' && !(lower?.percent || upper?.percent)) {
    // Value bounds: clamp every value into [lower, upper].
    const low = lower?.value ?? Number.NEGATIVE_INFINITY;
    const high = upper?.value ?? Number.POSITIVE_INFINITY;
    return line.reduce((s, slot) => s + slot.count * Math.min(high, Math.max(low, slot.value)), 0) / n;
  }
  const from = cutAt(stats, line, lower, 0);
  const to = Math.max(from, cutAt(stats, line, upper, n));
  const count = to - from;
  // Summing the kept slots errs by up to 0.5% of the kept sum; subtracting the trimmed ones from the exact total
  // errs by up to 0.5% of the trimmed sum. Taking whichever part is smaller keeps the error within 0.5% of the
  // kept sum, and makes an untrimmed range exact.
  const kept = integrate(line, from, to);
  const cut = integrate(line, 0, from) + integrate(line, to, n);
  const sum = cut < kept ? stats.sum - cut : kept;
  switch (kind) {
    case 'TC':
      return count;
    case 'TS':
      return sum;
    case 'TM':
      return count > 0 ? sum / count : undefined;
    case 'WM': {
      if (count <= 0) return undefined;
      const low = from > 0 ? from * valueAtCut(line, from, true) : 0;
      const high = n - to > 0 ? (n - to) * valueAtCut(line, to, false) : 0;
      return (sum + low + high) / n;
    }
  }
}

/**
 * The value of a statistic for a set; undefined when CloudWatch would have none: an extended statistic of a set
 * without a distribution, any statistic but SampleCount and Sum of an empty set, a mean of nothing.
 *
 * @throws InvalidStatisticError for a name CloudWatch does not accept.
 */
export function statisticValue(stats: StatSet, statistic: string | Statistic): number | undefined {
  const parsed = typeof statistic === 'string' ? parseStatistic(statistic) : statistic;
  if (parsed.type === 'standard') {
    switch (parsed.name) {
      case 'SampleCount':
        return stats.sampleCount;
      case 'Sum':
        return stats.sum;
      case 'Average':
        return stats.sampleCount > 0 ? stats.sum / stats.sampleCount : undefined;
      case 'Minimum':
        return stats.sampleCount > 0 ? stats.min : undefined;
      case 'Maximum':
        return stats.sampleCount > 0 ? stats.max : undefined;
    }
  }
  const line = slots(stats);
  if (!line || line.length === 0) return undefined;
  switch (parsed.type) {
    case 'percentile':
      return percentileOf(stats, line, parsed.hundredths);
    case 'rank': {
      const n = total(line);
      const below = parsed.lower === undefined ? 0 : massAtOrBelow(stats, line, parsed.lower);
      const upTo = parsed.upper === undefined ? n : massAtOrBelow(stats, line, parsed.upper);
      return (100 * Math.max(0, upTo - below)) / n;
    }
    case 'trimmed':
      return trimmed(stats, line, parsed.kind, parsed.lower, parsed.upper);
  }
}
