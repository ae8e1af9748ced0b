/**
 * Statistic sets: what CloudWatch keeps of the values of one metric in one period. Sample count, sum,
 * minimum and maximum are exact; percentiles come from a log-scale histogram whose buckets are 1% wide
 * (a value's bucket holds the values within 1% of it), so a percentile is within 1% of a value that was
 * recorded. A set that received a PutMetricData `StatisticValues` has no distribution, and percentiles
 * are not available for it, as in CloudWatch.
 */
export interface StatSet {
  n: number;
  sum: number;
  min: number;
  max: number;
  /** Histogram bucket → count; absent once a statistic set without values was added. */
  h?: Record<string, number> | undefined;
}

/** Relative width of a histogram bucket. */
export const HISTOGRAM_PRECISION = 0.01;
const LOG_BASE = Math.log1p(HISTOGRAM_PRECISION);

export function emptyStats(): StatSet {
  return { n: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, h: {} };
}

/** The histogram bucket of a value: 0 for zero, ±(1 + floor(log(|v|)/log(1.01)) + offset) by sign. */
export function bucketOf(value: number): string {
  if (value === 0) return '0';
  const index = Math.floor(Math.log(Math.abs(value)) / LOG_BASE);
  return value > 0 ? `p${index}` : `n${index}`;
}

/** The value a bucket stands for: the middle of its range. */
export function bucketValue(bucket: string): number {
  if (bucket === '0') return 0;
  const index = Number(bucket.slice(1));
  const low = Math.exp(index * LOG_BASE);
  const middle = low * (1 + HISTOGRAM_PRECISION / 2);
  return bucket.startsWith('p') ? middle : -middle;
}

export function addValue(stats: StatSet, value: number, count = 1): StatSet {
  if (count <= 0) return stats;
  const h = stats.h ? { ...stats.h } : undefined;
  if (h) {
    const b = bucketOf(value);
    h[b] = (h[b] ?? 0) + count;
  }
  return {
    n: stats.n + count,
    sum: stats.sum + value * count,
    min: Math.min(stats.min, value),
    max: Math.max(stats.max, value),
    h,
  };
}

export function addStatisticSet(
  stats: StatSet,
  set: { SampleCount: number; Sum: number; Minimum: number; Maximum: number },
): StatSet {
  return {
    n: stats.n + set.SampleCount,
    sum: stats.sum + set.Sum,
    min: Math.min(stats.min, set.Minimum),
    max: Math.max(stats.max, set.Maximum),
    h: undefined,
  };
}

export function mergeStats(a: StatSet, b: StatSet): StatSet {
  let h: Record<string, number> | undefined;
  if (a.h && b.h) {
    h = { ...a.h };
    for (const [bucket, count] of Object.entries(b.h)) h[bucket] = (h[bucket] ?? 0) + count;
  }
  return { n: a.n + b.n, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), h };
}

/** Start of the period holding `ms`, periods aligned to the epoch (CloudWatch aligns them to the clock). */
export function bucketStart(ms: number, periodSeconds: number): number {
  const period = periodSeconds * 1000;
  return Math.floor(ms / period) * period;
}
