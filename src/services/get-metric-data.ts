import { roundStartTime } from '../core/metrics/aggregate.js';
import {
  evaluateMetricMath,
  type MathQuery,
  type MathResult,
  MetricMathError,
  type MetricQueryData,
  type TimeSeries,
  validateMetricMath,
} from '../core/metrics/math.js';
import { InvalidStatisticError, isMetricUnit, parseStatistic, statisticValue } from '../core/metrics/statistics.js';
import {
  checkDimensions,
  checkNamespace,
  type Dimension,
  decodeToken,
  encodeToken,
  invalid,
  isValidPeriod,
  type MetricRef,
  missing,
  validation,
} from './metric-input.js';
import type { MetricsContext, MetricsService } from './metrics-service.js';

/**
 * GetMetricData: metric queries (MetricStat) read per period and statistic, math expressions evaluated over them by
 * the metric math core, results ordered and paged as CloudWatch does (ScanBy, MaxDatapoints, NextToken).
 */

/** Queries one GetMetricData request may hold (CloudWatch's limit). */
export const MAX_METRIC_DATA_QUERIES = 500;
/** Datapoints a page holds when MaxDatapoints is not given (CloudWatch's default). */
export const DEFAULT_MAX_DATAPOINTS = 100_800;
/** Periods under a minute that GetMetricData accepts for high-resolution data. */
const SUB_MINUTE_PERIODS = [1, 5, 10, 20, 30];

export interface MetricDataQueryInput {
  Id?: string;
  MetricStat?: {
    Metric?: { Namespace?: string; MetricName?: string; Dimensions?: Dimension[] };
    Period?: number;
    Stat?: string;
    Unit?: string;
  };
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  AccountId?: string;
}

export interface GetMetricDataInput {
  MetricDataQueries?: MetricDataQueryInput[];
  StartTime?: number;
  EndTime?: number;
  NextToken?: string;
  ScanBy?: string;
  MaxDatapoints?: number;
  LabelOptions?: { Timezone?: string };
}

export interface MetricDataResult {
  Id: string;
  Label: string;
  /** Epoch seconds, in the order ScanBy asks for. */
  Timestamps: number[];
  Values: number[];
  StatusCode: 'Complete' | 'PartialData';
  Messages: { Code: string; Value: string }[];
}

interface MetricStatQuery {
  id: string;
  label: string | undefined;
  returnData: boolean;
  metric: MetricRef;
  periodSeconds: number;
  stat: string;
  unit: string | undefined;
}

interface ExpressionQueryInput {
  id: string;
  label: string | undefined;
  returnData: boolean;
  expression: string;
  periodSeconds: number | undefined;
}

type Query = MetricStatQuery | ExpressionQueryInput;

function checkQuery(q: MetricDataQueryInput, i: number, accountId: string): Query {
  const where = `MetricDataQueries.member.${i + 1}`;
  if (q.Id === undefined || q.Id === '') throw missing(`${where}.Id`);
  if (q.Label !== undefined && q.Label.length > 1024) throw invalid(`${where}.Label must be at most 1024 characters.`);
  if (q.AccountId !== undefined && q.AccountId !== accountId) {
    throw validation(`${where}.AccountId ${q.AccountId} is not an account this server monitors.`);
  }
  const base = { id: q.Id, label: q.Label, returnData: q.ReturnData ?? true };
  if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
    throw validation(`Exactly one of MetricStat and Expression must be given in ${where}.`);
  }
  if (q.Expression !== undefined) {
    if (q.Expression.length < 1 || q.Expression.length > 2048) {
      throw invalid(`${where}.Expression must be 1 to 2048 characters long.`);
    }
    if (q.Period !== undefined && !isValidPeriod(q.Period, SUB_MINUTE_PERIODS)) {
      throw invalid(
        `The value ${q.Period} for parameter ${where}.Period is not valid: use 1, 5, 10, 20, 30 or a multiple of 60.`,
      );
    }
    return { ...base, expression: q.Expression, periodSeconds: q.Period };
  }
  const stat = q.MetricStat ?? {};
  const metric = stat.Metric;
  if (metric === undefined) throw missing(`${where}.MetricStat.Metric`);
  const namespace = checkNamespace(metric.Namespace, `${where}.MetricStat.Metric.Namespace`);
  if (!metric.MetricName) throw missing(`${where}.MetricStat.Metric.MetricName`);
  checkDimensions(metric.Dimensions, `${where}.MetricStat.Metric.Dimensions`);
  if (stat.Period === undefined) throw missing(`${where}.MetricStat.Period`);
  if (!isValidPeriod(stat.Period, SUB_MINUTE_PERIODS)) {
    throw invalid(
      `The value ${stat.Period} for parameter ${where}.MetricStat.Period is not valid: use 1, 5, 10, 20, 30 or a multiple of 60.`,
    );
  }
  if (stat.Stat === undefined || stat.Stat === '') throw missing(`${where}.MetricStat.Stat`);
  try {
    parseStatistic(stat.Stat);
  } catch (error) {
    if (error instanceof InvalidStatisticError) {
      throw invalid(`The value ${stat.Stat} for parameter ${where}.MetricStat.Stat is not valid.`);
    }
    throw error;
  }
  if (stat.Unit !== undefined && !isMetricUnit(stat.Unit)) {
    throw invalid(`The value ${stat.Unit} for parameter ${where}.MetricStat.Unit is not valid.`);
  }
  return {
    ...base,
    metric: { namespace, name: metric.MetricName, dimensions: metric.Dimensions ?? [] },
    periodSeconds: stat.Period,
    stat: stat.Stat,
    unit: stat.Unit,
  };
}

const isMetricStat = (q: Query): q is MetricStatQuery => 'metric' in q;

/** The request a NextToken belongs to: a token pages only the request it came from. */
function requestKey(input: GetMetricDataInput): string {
  return JSON.stringify([input.MetricDataQueries, input.StartTime, input.EndTime, input.ScanBy ?? null]);
}

export async function getMetricData(
  metrics: MetricsService,
  ctx: MetricsContext,
  input: GetMetricDataInput,
  nowMs: number,
): Promise<{ MetricDataResults: MetricDataResult[]; NextToken?: string; Messages: [] }> {
  const given = input.MetricDataQueries;
  if (!given || given.length === 0) throw missing('MetricDataQueries');
  if (given.length > MAX_METRIC_DATA_QUERIES) {
    throw invalid(`At most ${MAX_METRIC_DATA_QUERIES} MetricDataQueries are allowed; ${given.length} were given.`);
  }
  if (input.StartTime === undefined) throw missing('StartTime');
  if (input.EndTime === undefined) throw missing('EndTime');
  const from = Math.round(input.StartTime * 1000);
  const to = Math.round(input.EndTime * 1000);
  if (from >= to) throw invalid('The parameter StartTime must be less than the parameter EndTime.');
  const scanBy = input.ScanBy ?? 'TimestampDescending';
  if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') {
    throw invalid(
      `The value ${scanBy} for parameter ScanBy is not valid: use TimestampDescending or TimestampAscending.`,
    );
  }
  const maxDatapoints = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
  if (!Number.isInteger(maxDatapoints) || maxDatapoints < 1) {
    throw invalid(
      `The value ${maxDatapoints} for parameter MaxDatapoints is not valid: it must be a positive integer.`,
    );
  }
  const request = requestKey(input);
  const offset =
    input.NextToken === undefined
      ? 0
      : decodeToken<{ offset: number }>(
          input.NextToken,
          (t) => t.request === request && Number.isInteger(t.offset) && (t.offset as number) >= 0,
        ).offset;

  const queries = given.map((q, i) => checkQuery(q, i, ctx.accountId));
  const metricQueries = queries.filter(isMetricStat);
  const expressions = queries.filter((q): q is ExpressionQueryInput => !isMetricStat(q));
  const mathShape: (MathQuery | Omit<MetricQueryData, 'series'>)[] = queries.map((q) =>
    isMetricStat(q)
      ? { id: q.id, label: q.label, periodSeconds: q.periodSeconds }
      : { id: q.id, label: q.label, expression: q.expression },
  );
  try {
    // Before any data is read: bad Ids and expressions are the caller's error whatever the data.
    validateMetricMath(mathShape);
  } catch (error) {
    if (error instanceof MetricMathError) throw validation(error.message);
    throw error;
  }

  const fetched = new Map<string, TimeSeries>();
  for (const q of metricQueries) {
    const periods = await metrics.periodStats(ctx.accountId, q.metric, {
      fromMs: from,
      toMs: to,
      periodSeconds: q.periodSeconds,
      unit: q.unit,
    });
    const series: TimeSeries = { timestamps: [], values: [], label: q.label ?? q.metric.name };
    for (const { start, set } of periods) {
      const value = statisticValue(set, q.stat);
      if (value === undefined || !Number.isFinite(value)) continue;
      series.timestamps.push(start);
      series.values.push(value);
    }
    fetched.set(q.id, series);
  }

  let evaluated = new Map<string, MathResult>();
  if (expressions.length > 0) {
    const shortest = Math.min(...metricQueries.map((q) => q.periodSeconds));
    const periodSeconds =
      expressions.find((e) => e.periodSeconds !== undefined)?.periodSeconds ??
      (Number.isFinite(shortest) ? shortest : 60);
    const mathQueries: MathQuery[] = queries.map((q) =>
      isMetricStat(q)
        ? {
            id: q.id,
            label: q.label ?? q.metric.name,
            periodSeconds: q.periodSeconds,
            series: fetched.get(q.id) as TimeSeries,
          }
        : { id: q.id, label: q.label, expression: q.expression },
    );
    try {
      evaluated = evaluateMetricMath(mathQueries, {
        startMs: roundStartTime(from, periodSeconds, nowMs),
        endMs: to,
        periodSeconds,
      });
    } catch (error) {
      if (error instanceof MetricMathError) throw validation(error.message);
      throw error;
    }
  }

  // Every returned series, in request order; an expression that yields several series gives one result each.
  const all: { id: string; label: string; series: TimeSeries }[] = [];
  for (const q of queries) {
    if (!q.returnData) continue;
    if (isMetricStat(q)) {
      all.push({ id: q.id, label: q.label ?? q.metric.name, series: fetched.get(q.id) as TimeSeries });
      continue;
    }
    const result = evaluated.get(q.id);
    if (!result) continue;
    const members = result.type === 'series' ? [result.series] : result.series;
    for (const series of members) {
      const label =
        result.type === 'series' ? (q.label ?? q.id) : [q.label, series.label].filter(Boolean).join(' ') || q.id;
      all.push({ id: q.id, label, series });
    }
  }

  // Pages cut the results' points, taken result by result, into MaxDatapoints-sized slices.
  const results: MetricDataResult[] = [];
  let skip = offset;
  let room = maxDatapoints;
  let more = false;
  for (const { id, label, series } of all) {
    const order = series.timestamps.map((_, i) => i);
    if (scanBy === 'TimestampDescending') order.reverse();
    const taken = order.slice(Math.min(skip, order.length));
    skip = Math.max(0, skip - order.length);
    const page = taken.slice(0, room);
    room -= page.length;
    const partial = page.length < taken.length;
    if (partial) more = true;
    if (taken.length === 0 && order.length > 0) continue;
    results.push({
      Id: id,
      Label: label,
      Timestamps: page.map((i) => (series.timestamps[i] as number) / 1000),
      Values: page.map((i) => series.values[i] as number),
      StatusCode: partial ? 'PartialData' : 'Complete',
      Messages: [],
    });
  }
  const served = offset + maxDatapoints - room;
  return {
    MetricDataResults: results,
    ...(more ? { NextToken: encodeToken({ offset: served, request }) } : {}),
    Messages: [],
  };
}
