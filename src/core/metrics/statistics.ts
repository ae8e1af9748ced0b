import { bucketValue, type StatSet } from './aggregate.js';

/** A statistic CloudWatch cannot compute for this set (a percentile of data put as a statistic set). */
export class StatisticUnavailableError extends Error {
  override readonly name = 'StatisticUnavailableError';
}

/**
 * A statistic of a set: SampleCount, Sum, Average, Minimum, Maximum, or a percentile `pNN` / `pNN.NN`
 * (nearest rank over the histogram, clamped to the set's exact minimum and maximum). Returns undefined for
 * a percentile the set has no distribution for.
 */
export function statisticValue(stats: StatSet, name: string): number | undefined {
  switch (name) {
    case 'SampleCount':
      return stats.n;
    case 'Sum':
      return stats.sum;
    case 'Average':
      return stats.n === 0 ? 0 : stats.sum / stats.n;
    case 'Minimum':
      return stats.min;
    case 'Maximum':
      return stats.max;
  }
  const percentile = /^p(\d{1,2}(?:\.\d{1,2})?|100)$/.exec(name);
  if (!percentile) throw new StatisticUnavailableError(`Unknown statistic ${name}.`);
  if (!stats.h || stats.n === 0) return undefined;
  const p = Number(percentile[1]);
  if (p === 0) return stats.min;
  if (p === 100) return stats.max;
  const buckets = Object.entries(stats.h)
    .map(([bucket, count]) => ({ value: bucketValue(bucket), count }))
    .sort((a, b) => a.value - b.value);
  const rank = Math.ceil((p / 100) * stats.n);
  let seen = 0;
  for (const { value, count } of buckets) {
    seen += count;
    if (seen >= rank) return Math.min(stats.max, Math.max(stats.min, value));
  }
  return stats.max;
}
