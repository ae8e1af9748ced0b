import type { Clock } from '../core/clock.js';
import { AwsError } from '../core/errors.js';
import {
  addStatisticSet,
  addValue,
  bucketStart,
  emptyStats,
  mergeStats,
  type StatSet,
} from '../core/metrics/aggregate.js';
import {
  isMetricUnit,
  isPercentileStatistic,
  isStandardStatistic,
  statisticValue,
} from '../core/metrics/statistics.js';
import type { MetricSeriesKey, NewMetricBucket, Store } from '../store/types.js';

/** Datapoints one GetMetricStatistics call may return (CloudWatch's limit). */
export const MAX_DATAPOINTS = 1440;
/** Metric data entries per PutMetricData (CloudWatch's limit). */
export const MAX_METRIC_DATA = 1000;
const HIGH_RESOLUTION_PERIODS = [1, 5, 10, 30];

export interface Dimension {
  Name: string;
  Value: string;
}

export interface MetricDatum {
  MetricName?: string;
  Dimensions?: Dimension[];
  Timestamp?: number;
  Value?: number;
  StatisticValues?: { SampleCount?: number; Sum?: number; Minimum?: number; Maximum?: number };
  Values?: number[];
  Counts?: number[];
  Unit?: string;
  StorageResolution?: number;
}

export interface MetricsServiceOptions {
  store: Store;
  clock: Clock;
  /** How often recorded values are written out. @defaultValue 5000 */
  flushMs?: number;
  /** Days 1-minute data is kept (CloudWatch keeps it 15 days). @defaultValue 15 */
  retentionDays?: number;
  /** Hours 1-second data is kept (CloudWatch keeps it 3 hours). @defaultValue 3 */
  highResolutionHours?: number;
}

export interface MetricsContext {
  accountId: string;
}

const invalid = (message: string) => new AwsError('CloudWatchInvalidParameterValue', message);
const missing = (name: string) => new AwsError('CloudWatchMissingParameter', `The parameter ${name} is required.`);

/** Dimensions as the series key stores them: sorted by name. */
export function canonicalDimensions(dimensions: readonly Dimension[] = []): string {
  const sorted = [...dimensions].map((d) => ({ Name: d.Name, Value: d.Value }));
  sorted.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return JSON.stringify(sorted);
}

function checkDimensions(dimensions: readonly Dimension[] | undefined, where: string): void {
  if (!dimensions) return;
  if (dimensions.length > 30) throw invalid(`${where}: at most 30 dimensions are allowed.`);
  const names = new Set<string>();
  for (const d of dimensions) {
    if (typeof d.Name !== 'string' || d.Name.length < 1 || d.Name.length > 255) {
      throw invalid(`${where}: a dimension name must be 1 to 255 characters long.`);
    }
    if (typeof d.Value !== 'string' || d.Value.length < 1 || d.Value.length > 1024) {
      throw invalid(`${where}: the value of dimension ${d.Name} must be 1 to 1024 characters long.`);
    }
    if (names.has(d.Name)) throw invalid(`${where}: dimension ${d.Name} is given twice.`);
    names.add(d.Name);
  }
}

function checkNamespace(namespace: string | undefined): string {
  if (namespace === undefined || namespace === '') throw missing('Namespace');
  if (namespace.length > 255 || !/^[^:].*$/.test(namespace)) {
    throw invalid(`The value ${namespace} for parameter Namespace is not valid.`);
  }
  return namespace;
}

/**
 * CloudWatch metrics: PutMetricData, GetMetricStatistics and ListMetrics over statistic sets kept per
 * series and period (1 minute, and 1 second for high-resolution data). Recording aggregates in memory and
 * writes out in batches every `flushMs`, so the hot path of the queues pays a map update, not a write;
 * PutMetricData answers once its data is written, like every other acknowledged write here.
 */
export class MetricsService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly flushMs: number;
  private readonly retentionDays: number;
  private readonly highResolutionHours: number;
  private pending = new Map<string, NewMetricBucket & { set: StatSet }>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MetricsServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.flushMs = options.flushMs ?? 5000;
    this.retentionDays = options.retentionDays ?? 15;
    this.highResolutionHours = options.highResolutionHours ?? 3;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.flush()
        .then(() => this.expire())
        .catch(() => {
          // Kept in memory; the next flush writes it.
        });
    }, this.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Records one observation (or statistic set) of a series, in memory until the next flush. */
  record(
    series: MetricSeriesKey,
    at: number,
    unit: string,
    highResolution: boolean,
    add: (set: StatSet) => StatSet,
  ): void {
    for (const resolution of highResolution ? [1, 60] : [60]) {
      const start = bucketStart(at, resolution);
      const key = JSON.stringify([
        series.accountId,
        series.namespace,
        series.name,
        series.dimensions,
        resolution,
        start,
        unit,
      ]);
      const entry = this.pending.get(key);
      if (entry) entry.set = add(entry.set);
      else this.pending.set(key, { series, resolution, start, unit, stats: '', set: add(emptyStats()) });
    }
  }

  /** Writes out what has been recorded, in one transaction. */
  flush(): Promise<void> {
    const previous = this.flushing ?? Promise.resolve();
    const next = previous.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending];
      this.pending = new Map();
      try {
        await this.store.writeMetricBuckets(
          batch.map(([, { set, ...bucket }]) => ({ ...bucket, stats: JSON.stringify(set) })),
          (stored, added) => JSON.stringify(mergeStats(JSON.parse(stored) as StatSet, JSON.parse(added) as StatSet)),
        );
      } catch (error) {
        // Put back, merged with anything recorded meanwhile, for the next flush.
        for (const [key, entry] of batch) {
          const now = this.pending.get(key);
          this.pending.set(key, now ? { ...now, set: mergeStats(entry.set, now.set) } : entry);
        }
        throw error;
      }
    });
    this.flushing = next.catch(() => undefined);
    return next;
  }

  private async expire(): Promise<void> {
    const now = this.clock.now();
    await this.store.expireMetricBuckets(1, now - this.highResolutionHours * 3_600_000, 10_000);
    await this.store.expireMetricBuckets(60, now - this.retentionDays * 86_400_000, 10_000);
  }

  // ---- the API -----------------------------------------------------------------------------------

  async putMetricData(ctx: MetricsContext, input: { Namespace?: string; MetricData?: MetricDatum[] }) {
    const namespace = checkNamespace(input.Namespace);
    if (namespace.startsWith('AWS/')) {
      throw invalid(`The value ${namespace} for parameter Namespace is not valid: the AWS/ namespaces are reserved.`);
    }
    const data = input.MetricData;
    if (!data || data.length === 0) throw missing('MetricData');
    if (data.length > MAX_METRIC_DATA) throw invalid(`At most ${MAX_METRIC_DATA} MetricData entries are allowed.`);
    const now = this.clock.now();
    const records: (() => void)[] = [];
    data.forEach((datum, i) => {
      const where = `MetricData.member.${i + 1}`;
      if (!datum.MetricName) throw missing(`${where}.MetricName`);
      if (datum.MetricName.length > 255) throw invalid(`${where}.MetricName must be at most 255 characters long.`);
      checkDimensions(datum.Dimensions, where);
      const unit = datum.Unit ?? '';
      if (unit !== '' && !isMetricUnit(unit)) {
        throw invalid(`The value ${unit} for parameter ${where}.Unit is not valid.`);
      }
      const resolution = datum.StorageResolution ?? 60;
      if (resolution !== 1 && resolution !== 60) {
        throw invalid(`The value ${resolution} for parameter ${where}.StorageResolution is not valid: use 1 or 60.`);
      }
      const at = datum.Timestamp !== undefined ? Math.round(datum.Timestamp * 1000) : now;
      if (at < now - 14 * 86_400_000 || at > now + 2 * 3_600_000) {
        throw invalid(
          `The parameter ${where}.Timestamp must be within the last two weeks and no more than two hours ahead.`,
        );
      }
      const given = [datum.Value !== undefined, datum.StatisticValues !== undefined, datum.Values !== undefined];
      if (given.filter(Boolean).length !== 1) {
        throw new AwsError(
          'CloudWatchInvalidParameterCombination',
          `${where}: exactly one of Value, StatisticValues and Values must be given.`,
        );
      }
      let add: (set: StatSet) => StatSet;
      if (datum.Value !== undefined) {
        const value = datum.Value;
        if (!Number.isFinite(value)) throw invalid(`The value for parameter ${where}.Value is not a finite number.`);
        add = (set) => addValue(set, value);
      } else if (datum.StatisticValues !== undefined) {
        const s = datum.StatisticValues;
        if (s.SampleCount === undefined || s.Sum === undefined || s.Minimum === undefined || s.Maximum === undefined) {
          throw missing(`${where}.StatisticValues (SampleCount, Sum, Minimum and Maximum)`);
        }
        if (!(s.SampleCount > 0) || s.Minimum > s.Maximum) {
          throw invalid(`${where}.StatisticValues: SampleCount must be positive and Minimum at most Maximum.`);
        }
        const set = { SampleCount: s.SampleCount, Sum: s.Sum, Minimum: s.Minimum, Maximum: s.Maximum };
        add = (stats) => addStatisticSet(stats, set);
      } else {
        const values = datum.Values ?? [];
        const counts = datum.Counts;
        if (values.length > 150) throw invalid(`${where}.Values: at most 150 values are allowed.`);
        if (counts !== undefined && counts.length !== values.length) {
          throw new AwsError(
            'CloudWatchInvalidParameterCombination',
            `${where}: Counts must have as many entries as Values.`,
          );
        }
        if (!values.every(Number.isFinite)) throw invalid(`${where}.Values must be finite numbers.`);
        add = (set) => values.reduce((acc, value, j) => addValue(acc, value, counts?.[j] ?? 1), set);
      }
      const series = {
        accountId: ctx.accountId,
        namespace,
        name: datum.MetricName,
        dimensions: canonicalDimensions(datum.Dimensions),
      };
      records.push(() => this.record(series, at, unit, resolution === 1, add));
    });
    // All or nothing: nothing is recorded unless every entry is valid.
    for (const record of records) record();
    await this.flush();
    return {};
  }

  async getMetricStatistics(
    ctx: MetricsContext,
    input: {
      Namespace?: string;
      MetricName?: string;
      Dimensions?: Dimension[];
      StartTime?: number;
      EndTime?: number;
      Period?: number;
      Statistics?: string[];
      ExtendedStatistics?: string[];
      Unit?: string;
    },
  ) {
    const namespace = checkNamespace(input.Namespace);
    if (!input.MetricName) throw missing('MetricName');
    checkDimensions(input.Dimensions, 'Dimensions');
    if (input.StartTime === undefined) throw missing('StartTime');
    if (input.EndTime === undefined) throw missing('EndTime');
    if (input.Period === undefined) throw missing('Period');
    const period = input.Period;
    if (!Number.isInteger(period) || period < 1 || (period % 60 !== 0 && !HIGH_RESOLUTION_PERIODS.includes(period))) {
      throw invalid('The parameter Period must be 1, 5, 10, 30 or a multiple of 60.');
    }
    const statistics = input.Statistics ?? [];
    const extended = input.ExtendedStatistics ?? [];
    if (statistics.length + extended.length === 0) {
      throw new AwsError(
        'CloudWatchMissingParameter',
        'Either the Statistics or the ExtendedStatistics parameter must be given.',
      );
    }
    if (statistics.length > 0 && extended.length > 0) {
      throw new AwsError(
        'CloudWatchInvalidParameterCombination',
        'You must specify either Statistics or ExtendedStatistics, but not both.',
      );
    }
    for (const s of statistics) {
      if (!isStandardStatistic(s)) {
        throw invalid(`The value ${s} for parameter Statistics is not valid.`);
      }
    }
    if (extended.length > 10) throw invalid('At most 10 ExtendedStatistics are allowed.');
    for (const s of extended) {
      if (!isPercentileStatistic(s)) {
        throw invalid(`The value ${s} for parameter ExtendedStatistics is not valid.`);
      }
    }
    const unit = input.Unit;
    if (unit !== undefined && !isMetricUnit(unit)) {
      throw invalid(`The value ${unit} for parameter Unit is not valid.`);
    }
    const from = Math.round(input.StartTime * 1000);
    const to = Math.round(input.EndTime * 1000);
    if (from >= to) {
      throw invalid('The parameter StartTime must be less than the parameter EndTime.');
    }
    const periodMs = period * 1000;
    const first = bucketStart(from, period);
    const count = Math.ceil((to - first) / periodMs);
    if (count > MAX_DATAPOINTS) {
      throw new AwsError(
        'CloudWatchInvalidParameterCombination',
        `You have requested up to ${count} datapoints, which exceeds the limit of ${MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      );
    }
    await this.flush();
    const series = await this.store.findMetricSeries({
      accountId: ctx.accountId,
      namespace,
      name: input.MetricName,
      dimensions: canonicalDimensions(input.Dimensions),
    });
    const Datapoints: Record<string, unknown>[] = [];
    if (series) {
      const resolution = period < 60 ? 1 : 60;
      const buckets = await this.store.metricBuckets(series.id, { resolution, fromMs: first, toMs: to, unit });
      const byPeriod = new Map<number, { set: StatSet; unit: string }>();
      for (const bucket of buckets) {
        const start = bucketStart(bucket.start, period);
        const set = JSON.parse(bucket.stats) as StatSet;
        const current = byPeriod.get(start);
        byPeriod.set(start, {
          set: current ? mergeStats(current.set, set) : set,
          unit: current && current.unit !== bucket.unit ? 'None' : bucket.unit,
        });
      }
      for (const [start, { set, unit: u }] of [...byPeriod].sort(([a], [b]) => a - b)) {
        const point: Record<string, unknown> = { Timestamp: start / 1000, Unit: u === '' ? 'None' : u };
        for (const s of statistics) point[s] = statisticValue(set, s);
        if (extended.length > 0) {
          point.ExtendedStatistics = Object.fromEntries(extended.map((s) => [s, statisticValue(set, s)]));
        }
        Datapoints.push(point);
      }
    }
    return { Label: input.MetricName, Datapoints };
  }

  async listMetrics(
    ctx: MetricsContext,
    input: {
      Namespace?: string;
      MetricName?: string;
      Dimensions?: { Name: string; Value?: string }[];
      NextToken?: string;
      RecentlyActive?: string;
    },
  ) {
    if (input.RecentlyActive !== undefined && input.RecentlyActive !== 'PT3H') {
      throw invalid(`The value ${input.RecentlyActive} for parameter RecentlyActive is not valid: use PT3H.`);
    }
    let afterId: number | undefined;
    if (input.NextToken !== undefined) {
      afterId = Number(Buffer.from(input.NextToken, 'base64').toString('utf8'));
      if (!Number.isInteger(afterId) || afterId < 0)
        throw new AwsError('CloudWatchInvalidNextToken', 'The NextToken is not valid.');
    }
    await this.flush();
    const limit = 500;
    const series = await this.store.listMetricSeries(ctx.accountId, {
      namespace: input.Namespace,
      name: input.MetricName,
      dimensions: input.Dimensions,
      activeSince: input.RecentlyActive ? this.clock.now() - 3 * 3_600_000 : undefined,
      afterId,
      limit: limit + 1,
    });
    const page = series.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Metrics: page.map((s) => ({
        Namespace: s.namespace,
        MetricName: s.name,
        Dimensions: JSON.parse(s.dimensions) as Dimension[],
      })),
      ...(series.length > limit && last ? { NextToken: Buffer.from(String(last.id)).toString('base64') } : {}),
    };
  }
}
