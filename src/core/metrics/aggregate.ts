/**
 * Statistic sets: what is kept of one metric's values in one period (pure: no I/O, no clock; times are epoch ms).
 *
 * Sample count, sum, minimum and maximum are exact (the sum up to floating-point rounding). For percentiles and the
 * other extended statistics a set also keeps the distribution of its values, bounded in size:
 *
 * - While it holds at most {@link EXACT_LIMIT} distinct non-zero values, it keeps each of them with its count, and
 *   every statistic is exact (most periods of most metrics stay in this form).
 * - Past that it keeps a log-bucketed histogram. Bucket `i` holds the positive values in (γ^(i-1), γ^i] with
 *   γ = (1 + α) / (1 - α), and stands for the value 2γ^i / (γ + 1), which is within a relative error
 *   α = {@link RELATIVE_ACCURACY} (0.5%) of every value in the bucket. So a percentile is then within 0.5% of the
 *   exact nearest-rank percentile of the recorded values (see statistics.ts).
 * - At most {@link MAX_BUCKETS} non-empty buckets are kept. Past that the lowest buckets are folded into the lowest
 *   one kept, which needs values spread over more than 2048 buckets, a ratio of at least γ^2048 ≈ 8·10^8 between
 *   the largest and smallest non-zero values; the folded values then read as that bucket's value, so low percentiles
 *   lose precision and high ones keep it.
 * - Zeros are counted apart, exactly, in both forms.
 * - Which form a set is in, and the histogram's folding, depend only on the values it holds, never on the order
 *   they were added or sets merged in: rollups are associative.
 * - Both forms are sorted lists of [value or bucket index, count] pairs: JSON-safe (sets are stored as JSON), and
 *   merged in one pass.
 *
 * As CloudWatch documents ("Requirements to use percentiles, trimmed mean, and some other statistics"), a set has no
 * distribution — and percentiles are unavailable for its period — once it holds a negative value, or a statistic set
 * (PutMetricData `StatisticValues`) other than one of identical values (Minimum equal to Maximum) or of one value
 * (SampleCount 1). Merging with such a set drops the distribution too.
 */

/** Most distinct non-zero values a set keeps exactly before it turns to a histogram. */
export const EXACT_LIMIT = 128;
/** Relative error of a histogram bucket's value (α). */
export const RELATIVE_ACCURACY = 0.005;
/** Most histogram buckets kept per set. */
export const MAX_BUCKETS = 2048;

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

/** [key, count] pairs ascending by key, counts positive. */
export type Counts = [number, number][];

export type Distribution =
  /** Every distinct non-zero value with its count. */
  | { zero: number; exact: Counts }
  /** Bucket index (see {@link bucketIndex}) with how many values fell in the bucket. */
  | { zero: number; buckets: Counts };

export interface StatSet {
  sampleCount: number;
  sum: number;
  /** Meaningless while sampleCount is 0 (kept at 0 rather than ±Infinity so the set survives JSON). */
  min: number;
  max: number;
  /** The distribution of the values; absent when percentiles are unavailable for this set. */
  values?: Distribution | undefined;
}

/** PutMetricData `StatisticValues`. */
export interface StatisticSetInput {
  SampleCount: number;
  Sum: number;
  Minimum: number;
  Maximum: number;
}

export function emptyStats(): StatSet {
  return { sampleCount: 0, sum: 0, min: 0, max: 0, values: { zero: 0, exact: [] } };
}

/** The histogram bucket of a positive value. */
export function bucketIndex(value: number): number {
  return Math.ceil(Math.log(value) / LOG_GAMMA);
}

/** The value a bucket stands for: the point of its range with the smallest worst-case relative error. */
export function bucketValue(index: number): number {
  return (2 * GAMMA ** index) / (GAMMA + 1);
}

/** The range of values a bucket holds, (low, high]. */
export function bucketRange(index: number): { low: number; high: number } {
  return { low: GAMMA ** (index - 1), high: GAMMA ** index };
}

function withExtremes(stats: StatSet, count: number, sum: number, min: number, max: number): StatSet {
  const first = stats.sampleCount === 0;
  return {
    sampleCount: stats.sampleCount + count,
    sum: stats.sum + sum,
    min: first ? min : Math.min(stats.min, min),
    max: first ? max : Math.max(stats.max, max),
  };
}

/** Adds `count` to the pair of `key` in a sorted list, returning a new list. */
function addCount(list: Counts, key: number, count: number): Counts {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as [number, number])[0] < key) lo = mid + 1;
    else hi = mid;
  }
  const found = list[lo];
  const pair: [number, number] = [key, found && found[0] === key ? found[1] + count : count];
  return [...list.slice(0, lo), pair, ...list.slice(found && found[0] === key ? lo + 1 : lo)];
}

/** Two sorted lists as one, the counts of equal keys added. */
function mergeCounts(a: Counts, b: Counts): Counts {
  const out: Counts = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x && (!y || x[0] < y[0])) {
      out.push(x);
      i++;
    } else if (y && (!x || y[0] < x[0])) {
      out.push(y);
      j++;
    } else if (x && y) {
      out.push([x[0], x[1] + y[1]]);
      i++;
      j++;
    }
  }
  return out;
}

/**
 * Folds the lowest buckets into the lowest one kept, when there are more than {@link MAX_BUCKETS}. The result is the
 * same whatever order buckets arrive in: the lowest kept bucket only moves up as buckets are added, and folding into
 * a bucket and then folding that one up lands where folding straight up would.
 */
function collapse(buckets: Counts): Counts {
  const cut = buckets.length - MAX_BUCKETS;
  if (cut <= 0) return buckets;
  let folded = 0;
  for (let i = 0; i < cut; i++) folded += (buckets[i] as [number, number])[1];
  const [index, count] = buckets[cut] as [number, number];
  return [[index, count + folded], ...buckets.slice(cut + 1)];
}

function bucketsOf(values: Distribution): Counts {
  if ('buckets' in values) return values.buckets;
  const out: Counts = [];
  for (const [value, count] of values.exact) {
    // Ascending values give non-decreasing indices, so equal indices are neighbours.
    const index = bucketIndex(value);
    const last = out[out.length - 1];
    if (last && last[0] === index) last[1] += count;
    else out.push([index, count]);
  }
  return collapse(out);
}

/** An exact list, or the histogram of it once it holds too many values. */
function fromExact(zero: number, exact: Counts): Distribution {
  return exact.length <= EXACT_LIMIT ? { zero, exact } : { zero, buckets: bucketsOf({ zero, exact }) };
}

function addToDistribution(values: Distribution, value: number, count: number): Distribution {
  if (value === 0) return { ...values, zero: values.zero + count };
  if ('exact' in values) return fromExact(values.zero, addCount(values.exact, value, count));
  return { zero: values.zero, buckets: collapse(addCount(values.buckets, bucketIndex(value), count)) };
}

function mergeDistributions(a: Distribution, b: Distribution): Distribution {
  const zero = a.zero + b.zero;
  if ('exact' in a && 'exact' in b) return fromExact(zero, mergeCounts(a.exact, b.exact));
  return { zero, buckets: collapse(mergeCounts(bucketsOf(a), bucketsOf(b))) };
}

/**
 * Adds `count` observations of `value` (PutMetricData `Value`, or one of `Values` with its `Counts` entry).
 * A count that is not positive adds nothing: CloudWatch's `Counts` give how many times each value occurred.
 */
export function addValue(stats: StatSet, value: number, count = 1): StatSet {
  if (!(count > 0) || !Number.isFinite(value)) return stats;
  const next = withExtremes(stats, count, value * count, value, value);
  if (stats.values && value >= 0) next.values = addToDistribution(stats.values, value, count);
  return next;
}

/**
 * Adds a statistic set. Its values are unknown, so the distribution survives only when the set says what they
 * were: all equal (Minimum = Maximum), or a single one (SampleCount 1, whose value is its Sum).
 */
export function addStatisticSet(stats: StatSet, set: StatisticSetInput): StatSet {
  if (!(set.SampleCount > 0)) return stats;
  const next = withExtremes(stats, set.SampleCount, set.Sum, set.Minimum, set.Maximum);
  const known = set.Minimum === set.Maximum ? set.Minimum : set.SampleCount === 1 ? set.Sum : undefined;
  if (stats.values && known !== undefined && known >= 0 && set.Minimum >= 0) {
    next.values = addToDistribution(stats.values, known, set.SampleCount);
  }
  return next;
}

/** The set of the values of both sets, as for rolling 1-second periods up into 60-second ones. */
export function mergeStats(a: StatSet, b: StatSet): StatSet {
  if (b.sampleCount === 0 && b.values) return a;
  if (a.sampleCount === 0 && a.values) return b;
  const next = withExtremes(a, b.sampleCount, b.sum, b.min, b.max);
  if (a.values && b.values) next.values = mergeDistributions(a.values, b.values);
  return next;
}

/**
 * Start of the period holding `ms`. CloudWatch aligns periods to the clock (a 5-minute period starts at :00, :05,
 * …; a 1-hour one on the hour), which for periods that divide a day is alignment to the epoch.
 */
export function bucketStart(ms: number, periodSeconds: number): number {
  if (!(periodSeconds > 0) || !Number.isFinite(periodSeconds)) {
    throw new RangeError(`period must be a positive number of seconds, got ${periodSeconds}`);
  }
  const period = periodSeconds * 1000;
  return Math.floor(ms / period) * period;
}

const DAY_MS = 86_400_000;

/**
 * A query's StartTime as CloudWatch rounds it before cutting the range into periods (GetMetricData and
 * GetMetricStatistics): down to the minute when it is less than 15 days old, to 5 minutes up to 63 days, to the hour
 * beyond; for periods under a minute, down to a multiple of the period. Periods then follow one another from there,
 * so a 5-minute query from 12:32 has periods at 12:32, 12:37, … (not at 12:30, 12:35).
 */
export function roundStartTime(startMs: number, periodSeconds: number, nowMs: number): number {
  if (periodSeconds < 60) return bucketStart(startMs, periodSeconds);
  const age = nowMs - startMs;
  return bucketStart(startMs, age > 63 * DAY_MS ? 3600 : age > 15 * DAY_MS ? 300 : 60);
}

/**
 * The set of observations given as value → count (as a recorder buffers them between two flushes). Building the set
 * once from all of them costs a sort, where adding them one by one to a set would copy its distribution each time.
 */
export function statsOfValues(observations: ReadonlyMap<number, number>): StatSet {
  const exact: Counts = [];
  let zero = 0;
  let sampleCount = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let negative = false;
  for (const [value, count] of observations) {
    if (!(count > 0) || !Number.isFinite(value)) continue;
    sampleCount += count;
    sum += value * count;
    if (value < min) min = value;
    if (value > max) max = value;
    if (value === 0) zero += count;
    else if (value > 0) exact.push([value, count]);
    else negative = true;
  }
  if (sampleCount === 0) return emptyStats();
  exact.sort((a, b) => a[0] - b[0]);
  const stats: StatSet = { sampleCount, sum, min, max };
  // As addValue does: a negative value leaves the distribution out (percentiles cover non-negative data only).
  if (!negative) stats.values = fromExact(zero, exact);
  return stats;
}
