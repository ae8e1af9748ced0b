import type { Clock } from '../core/clock.js';
import { AwsError } from '../core/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import {
  addStatisticSet,
  addValue,
  bucketStart,
  emptyStats,
  mergeStats,
  roundStartTime,
  type StatSet,
  statsOfValues,
} from '../core/metrics/aggregate.js';
import {
  isMetricUnit,
  isPercentileStatistic,
  isStandardStatistic,
  statisticValue,
} from '../core/metrics/statistics.js';
import type { MetricSeriesKey, NewMetricBucket, Store } from '../store/types.js';
import { type GetMetricDataInput, getMetricData } from './get-metric-data.js';
import {
  canonicalDimensions,
  checkDimensions,
  checkNamespace,
  type Dimension,
  decodeToken,
  encodeToken,
  hasInvalidCharacters,
  invalid,
  isValidPeriod,
  type MetricRef,
  missing,
} from './metric-input.js';

/** Datapoints one GetMetricStatistics call may return (CloudWatch's limit). */
export const MAX_DATAPOINTS = 1440;
/** Metric data entries per PutMetricData (CloudWatch's limit). */
export const MAX_METRIC_DATA = 1000;

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
  /** How long each resolution is kept; CloudWatch's periods by default. */
  retention?: Pick<
    Limits,
    | 'metricSecondRetentionHours'
    | 'metricMinuteRetentionDays'
    | 'metricFiveMinuteRetentionDays'
    | 'metricHourRetentionDays'
  >;
}

/**
 * The resolutions data is kept at, in seconds. Every value is added to the 1-minute, 5-minute and 1-hour buckets
 * as it is flushed (and to the 1-second ones for high-resolution data), so the rollups cost one more upsert per
 * series and flush rather than a pass over stored data, and each resolution expires on its own schedule.
 */
export const RESOLUTIONS = [1, 60, 300, 3600] as const;
export const STANDARD_RESOLUTIONS = [60, 300, 3600] as const;

/** A bucket being recorded: its set so far, and the values observed since, by value, not yet folded in. */
interface PendingBucket extends Omit<NewMetricBucket, 'stats'> {
  set: StatSet;
  raw: Map<number, number> | undefined;
}

export interface MetricsContext {
  accountId: string;
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
  /** Milliseconds each resolution is kept, finest first, in the order of {@link RESOLUTIONS}. */
  private readonly retentionMs: readonly number[];
  /** Per series, its buckets being recorded. */
  private pending = new Map<string, Map<string, PendingBucket>>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: MetricsServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.flushMs = options.flushMs ?? 5000;
    const retention = options.retention ?? DEFAULT_LIMITS;
    this.retentionMs = [
      retention.metricSecondRetentionHours * 3_600_000,
      retention.metricMinuteRetentionDays * 86_400_000,
      retention.metricFiveMinuteRetentionDays * 86_400_000,
      retention.metricHourRetentionDays * 86_400_000,
    ];
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

  /** Records a statistic set (or anything `add` folds in) of a series, in memory until the next flush. */
  record(
    series: MetricSeriesKey,
    at: number,
    unit: string,
    highResolution: boolean,
    add: (set: StatSet) => StatSet,
  ): void {
    const buckets = this.bucketsOf(series);
    for (const resolution of highResolution ? RESOLUTIONS : STANDARD_RESOLUTIONS) {
      const entry = this.entry(buckets, series, resolution, at, unit);
      entry.set = add(entry.set);
    }
  }

  /**
   * Records `count` observations of `value`: the hot path of the server's own metrics. The value is counted in a map
   * and folded into the statistic set at the flush, so a record costs a few map updates whatever the distribution
   * already holds. `resolutions` lets a gauge sampled every few seconds feed the 1-second buckets with each sample and
   * the coarser ones with one sample a minute, as AWS reports such gauges.
   */
  recordValue(
    series: MetricSeriesKey,
    at: number,
    unit: string,
    value: number,
    count = 1,
    resolutions: readonly number[] = STANDARD_RESOLUTIONS,
  ): void {
    const buckets = this.bucketsOf(series);
    for (const resolution of resolutions) {
      const entry = this.entry(buckets, series, resolution, at, unit);
      entry.raw ??= new Map();
      entry.raw.set(value, (entry.raw.get(value) ?? 0) + count);
    }
  }

  /** The pending buckets of a series, keyed by resolution, start and unit. */
  private bucketsOf(series: MetricSeriesKey): Map<string, PendingBucket> {
    // NUL cannot occur in a namespace or metric name that passed validation, so the fields cannot run together.
    const key = `${series.accountId}\0${series.namespace}\0${series.name}\0${series.dimensions}`;
    let buckets = this.pending.get(key);
    if (!buckets) {
      buckets = new Map();
      this.pending.set(key, buckets);
    }
    return buckets;
  }

  /** The pending bucket of a series, resolution, time and unit, created empty. */
  private entry(
    buckets: Map<string, PendingBucket>,
    series: MetricSeriesKey,
    resolution: number,
    at: number,
    unit: string,
  ): PendingBucket {
    const start = bucketStart(at, resolution);
    const key = `${resolution}:${start}:${unit}`;
    let entry = buckets.get(key);
    if (!entry) {
      entry = { series, resolution, start, unit, set: emptyStats(), raw: undefined };
      buckets.set(key, entry);
    }
    return entry;
  }

  /** Writes out what has been recorded, in one transaction. */
  flush(): Promise<void> {
    const previous = this.flushing ?? Promise.resolve();
    const next = previous.then(async () => {
      if (this.pending.size === 0) return;
      const batch: PendingBucket[] = [];
      for (const buckets of this.pending.values()) {
        for (const { raw, ...bucket } of buckets.values()) {
          batch.push({ ...bucket, set: raw ? mergeStats(bucket.set, statsOfValues(raw)) : bucket.set, raw: undefined });
        }
      }
      this.pending = new Map();
      try {
        await this.store.writeMetricBuckets(
          batch.map(({ set, raw: _, ...bucket }) => ({ ...bucket, stats: JSON.stringify(set) })),
          (stored, added) => JSON.stringify(mergeStats(JSON.parse(stored) as StatSet, JSON.parse(added) as StatSet)),
        );
      } catch (error) {
        // Put back, merged with anything recorded meanwhile, for the next flush.
        for (const written of batch) {
          const entry = this.entry(
            this.bucketsOf(written.series),
            written.series,
            written.resolution,
            written.start,
            written.unit,
          );
          entry.set = mergeStats(written.set, entry.set);
        }
        throw error;
      }
    });
    this.flushing = next.catch(() => undefined);
    return next;
  }

  /** Deletes what each resolution no longer keeps, a bounded slice per call. */
  async expire(): Promise<void> {
    const now = this.clock.now();
    for (const [i, resolution] of RESOLUTIONS.entries()) {
      await this.store.expireMetricBuckets(resolution, now - (this.retentionMs[i] ?? 0), 10_000);
    }
  }

  /**
   * The resolution to read a period from: the finest that divides the period and still holds data as old as
   * `fromMs`; failing that, the finest that holds such data at all (its datapoints are then coarser than asked,
   * as CloudWatch's are for old data).
   */
  private resolutionFor(fromMs: number, periodSeconds: number): number {
    const age = this.clock.now() - fromMs;
    // Only high-resolution series have 1-second buckets: a period of a minute or more reads the others.
    const kept = RESOLUTIONS.filter((r, i) => (r >= 60 || periodSeconds < 60) && age <= (this.retentionMs[i] ?? 0));
    return kept.find((r) => periodSeconds % r === 0) ?? kept[0] ?? 3600;
  }

  /**
   * A metric's statistic sets per period, oldest first, over [fromMs, toMs) with periods counted from `fromMs` as
   * CloudWatch rounds it ({@link roundStartTime}); periods without data are absent.
   * `unit`, when given, keeps only data recorded with that unit. Flushes first, so that what was recorded is read.
   */
  async periodStats(
    accountId: string,
    metric: MetricRef,
    range: { fromMs: number; toMs: number; periodSeconds: number; unit?: string | undefined },
  ): Promise<{ start: number; set: StatSet; unit: string }[]> {
    await this.flush();
    const series = await this.store.findMetricSeries({
      accountId,
      namespace: metric.namespace,
      name: metric.name,
      dimensions: canonicalDimensions(metric.dimensions),
    });
    if (!series) return [];
    const { toMs, periodSeconds } = range;
    const first = roundStartTime(range.fromMs, periodSeconds, this.clock.now());
    const periodMs = periodSeconds * 1000;
    const buckets = await this.store.metricBuckets(series.id, {
      resolution: this.resolutionFor(first, periodSeconds),
      fromMs: first,
      toMs,
      unit: range.unit,
    });
    const byPeriod = new Map<number, { set: StatSet; unit: string }>();
    for (const bucket of buckets) {
      const start = first + Math.floor((bucket.start - first) / periodMs) * periodMs;
      const set = JSON.parse(bucket.stats) as StatSet;
      const current = byPeriod.get(start);
      byPeriod.set(start, {
        set: current ? mergeStats(current.set, set) : set,
        unit: current && current.unit !== bucket.unit ? 'None' : bucket.unit,
      });
    }
    return [...byPeriod].sort(([a], [b]) => a - b).map(([start, entry]) => ({ start, ...entry }));
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
      if (hasInvalidCharacters(datum.MetricName)) {
        throw invalid(`${where}.MetricName holds a character that is not valid in XML.`);
      }
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
    if (!isValidPeriod(period, [1, 5, 10, 30])) {
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
    const first = roundStartTime(from, period, this.clock.now());
    const count = Math.ceil((to - first) / periodMs);
    if (count > MAX_DATAPOINTS) {
      throw new AwsError(
        'CloudWatchInvalidParameterCombination',
        `You have requested up to ${count} datapoints, which exceeds the limit of ${MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
      );
    }
    const Datapoints: Record<string, unknown>[] = [];
    const metric = { namespace, name: input.MetricName, dimensions: input.Dimensions ?? [] };
    for (const { start, set, unit: u } of await this.periodStats(ctx.accountId, metric, {
      fromMs: from,
      toMs: to,
      periodSeconds: period,
      unit,
    })) {
      const point: Record<string, unknown> = { Timestamp: start / 1000, Unit: u === '' ? 'None' : u };
      for (const s of statistics) point[s] = statisticValue(set, s);
      if (extended.length > 0) {
        point.ExtendedStatistics = Object.fromEntries(extended.map((s) => [s, statisticValue(set, s)]));
      }
      Datapoints.push(point);
    }
    return { Label: input.MetricName, Datapoints };
  }

  /** GetMetricData (see get-metric-data.ts). */
  getMetricData(ctx: MetricsContext, input: GetMetricDataInput) {
    return getMetricData(this, ctx, input, this.clock.now());
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
    const afterId =
      input.NextToken === undefined
        ? undefined
        : decodeToken<{ after: number }>(input.NextToken, (v) => Number.isInteger(v.after) && (v.after as number) >= 0)
            .after;
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
      ...(series.length > limit && last ? { NextToken: encodeToken({ after: last.id }) } : {}),
    };
  }
}
