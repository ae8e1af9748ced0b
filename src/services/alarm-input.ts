import {
  AlarmActionError,
  type AlarmMetricQuery,
  classifyAlarmAction,
  type MetricAlarmConfig,
} from '../core/alarm-messages.js';
import { type AlarmConfig, AlarmConfigError, validateAlarmConfig } from '../core/alarms.js';
import { AwsError } from '../core/errors.js';
import { MetricMathError, validateMetricMath } from '../core/metrics/math.js';
import {
  InvalidStatisticError,
  isMetricUnit,
  isStandardStatistic,
  parseStatistic,
  STANDARD_STATISTICS,
} from '../core/metrics/statistics.js';
import type { AlarmHistoryItemType, AlarmStateValue } from '../store/types.js';
import type { AccountContext } from './event-router.js';
import type { MetricDataQueryInput } from './get-metric-data.js';
import { checkDimensions, checkNamespace, type Dimension, invalid, validation } from './metric-input.js';

/**
 * The inputs of the CloudWatch alarm actions and their checks, with CloudWatch's limits, codes and messages
 * (`1 validation error detected: …` as AWS's model validation words them). No I/O.
 */

/** Days CloudWatch keeps alarm history. */
export const ALARM_HISTORY_DAYS = 30;
/** Actions per state (PutMetricAlarm's limit). */
export const MAX_ACTIONS_PER_STATE = 5;
/** Queries in the Metrics of a metric math alarm. */
export const MAX_ALARM_METRICS = 10;
/** Names one DescribeAlarms, DeleteAlarms, EnableAlarmActions or DisableAlarmActions call may give. */
export const MAX_ALARM_NAMES = 100;
/** Retries of an HTTP action after its first attempt (SNS's default HTTP delivery policy: 3 retries). */
export const HTTP_ACTION_RETRIES = 3;
/** SenderId of the SQS messages alarm actions send. */
export const CLOUDWATCH_SENDER_ID = 'AIDACLOUDWATCHALARMS';

export const STATE_VALUES: readonly AlarmStateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];
export const HISTORY_TYPES: readonly AlarmHistoryItemType[] = ['ConfigurationUpdate', 'StateUpdate', 'Action'];

export interface AlarmContext {
  accountId: string;
}

export interface PutMetricAlarmInput {
  AlarmName?: string;
  AlarmDescription?: string;
  ActionsEnabled?: boolean;
  OKActions?: string[];
  AlarmActions?: string[];
  InsufficientDataActions?: string[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: MetricDataQueryInput[];
  Tags?: { Key?: string; Value?: string }[];
  ThresholdMetricId?: string;
}

export interface DescribeAlarmsInput {
  AlarmNames?: string[];
  AlarmNamePrefix?: string;
  AlarmTypes?: string[];
  ChildrenOfAlarmName?: string;
  ParentsOfAlarmName?: string;
  StateValue?: string;
  ActionPrefix?: string;
  MaxRecords?: number;
  NextToken?: string;
}

/** The metric of a single-metric alarm, as PutMetricAlarm names it. */
export type DescribeAlarmsForMetricInput = Pick<
  PutMetricAlarmInput,
  'MetricName' | 'Namespace' | 'Statistic' | 'ExtendedStatistic' | 'Dimensions' | 'Period' | 'Unit'
>;

export interface DescribeAlarmHistoryInput {
  AlarmName?: string;
  AlarmContributorId?: string;
  AlarmTypes?: string[];
  HistoryItemType?: string;
  StartDate?: number;
  EndDate?: number;
  MaxRecords?: number;
  NextToken?: string;
  ScanBy?: string;
}

export interface SetAlarmStateInput {
  AlarmName?: string;
  StateValue?: string;
  StateReason?: string;
  StateReasonData?: string;
}

/** What the alarm service reads metric data from (the metrics service). */

export const combination = (message: string) => new AwsError('CloudWatchInvalidParameterCombination', message);
export const notNull = (member: string) =>
  validation(
    `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
  );
export const tooLong = (value: string, member: string, max: number) =>
  validation(
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
  );

export function checkAlarmName(name: string | undefined, member = 'alarmName'): string {
  if (name === undefined || name === null) throw notNull(member);
  if (name.length < 1) {
    throw validation(
      `1 validation error detected: Value '' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  if (name.length > 255) throw tooLong(name, member, 255);
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw validation(`The alarm name ${JSON.stringify(name)} contains ASCII control characters, which it may not.`);
  }
  return name;
}

export function checkNames(names: string[] | undefined, member: string, required: boolean): string[] | undefined {
  if (names === undefined) {
    if (required) throw notNull(member);
    return undefined;
  }
  if (names.length > MAX_ALARM_NAMES) {
    throw validation(
      `1 validation error detected: Value '[${names.length} names]' at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ALARM_NAMES}`,
    );
  }
  return names.map((name) => checkAlarmName(name, `${member}.member`));
}

export function checkMaxRecords(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 100) {
    throw validation(
      `1 validation error detected: Value '${value}' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  }
  return value;
}

export function checkStateValue(value: string | undefined, member: string): AlarmStateValue | undefined {
  if (value === undefined) return undefined;
  if (!(STATE_VALUES as readonly string[]).includes(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${STATE_VALUES.join(', ')}]`,
    );
  }
  return value as AlarmStateValue;
}

export function checkAlarmTypes(types: string[] | undefined): { metric: boolean } {
  if (types === undefined) return { metric: true };
  for (const type of types) {
    if (type !== 'MetricAlarm' && type !== 'CompositeAlarm') {
      throw validation(
        `1 validation error detected: Value '${type}' at 'alarmTypes.member' failed to satisfy constraint: Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]`,
      );
    }
  }
  return { metric: types.length === 0 || types.includes('MetricAlarm') };
}

export function checkStandardStatistic(statistic: string, member: string): string {
  if (!isStandardStatistic(statistic)) {
    throw validation(
      `1 validation error detected: Value '${statistic}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${STANDARD_STATISTICS.join(', ')}]`,
    );
  }
  return statistic;
}

export function checkExtendedStatistic(statistic: string, member: string): string {
  try {
    if (parseStatistic(statistic).type !== 'standard') return statistic;
  } catch (error) {
    if (!(error instanceof InvalidStatisticError)) throw error;
  }
  throw invalid(`The value ${statistic} for parameter ${member} is not a supported extended statistic.`);
}

export function checkUnit(unit: string | undefined, member: string): string | undefined {
  if (unit !== undefined && unit !== 'None' && !isMetricUnit(unit)) {
    throw validation(
      `1 validation error detected: Value '${unit}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set of CloudWatch units`,
    );
  }
  return unit;
}

export const epochSeconds = (ms: number) => ms / 1000;

export const sameDimensions = (a: readonly Dimension[], b: readonly Dimension[]) =>
  a.length === b.length && a.every((d) => b.some((e) => e.Name === d.Name && e.Value === d.Value));

/** At most this many tags on an alarm (PutMetricAlarm's Tags, and after TagResource). */
export const MAX_ALARM_TAGS = 50;

/** Tags as PutMetricAlarm and TagResource take them: at most 50, keys of 1 to 128 characters, values of at most 256. */
export function checkTags(tags: { Key?: string; Value?: string }[] | undefined): { Key: string; Value: string }[] {
  const given = tags ?? [];
  if (given.length > MAX_ALARM_TAGS) throw validation(`An alarm can have at most ${MAX_ALARM_TAGS} tags.`);
  return given.map((tag) => {
    if (typeof tag.Key !== 'string' || tag.Key.length < 1 || tag.Key.length > 128) {
      throw validation('Tag keys must be 1 to 128 characters long.');
    }
    if (typeof tag.Value !== 'string' || tag.Value.length > 256) {
      throw validation(`The value of tag ${tag.Key} must be at most 256 characters long.`);
    }
    return { Key: tag.Key, Value: tag.Value };
  });
}

export function checkAlarmConfig(
  account: AccountContext,
  input: PutMetricAlarmInput,
): { config: MetricAlarmConfig; core: AlarmConfig } {
  if (input.AlarmDescription !== undefined && input.AlarmDescription.length > 1024) {
    throw tooLong(input.AlarmDescription, 'alarmDescription', 1024);
  }
  const actions = (list: string[] | undefined, member: string): string[] => {
    const given = list ?? [];
    if (given.length > MAX_ACTIONS_PER_STATE) {
      throw validation(
        `1 validation error detected: Value '[${given.join(', ')}]' at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ACTIONS_PER_STATE}`,
      );
    }
    for (const action of given) {
      if (action.length < 1 || action.length > 1024) throw tooLong(action, `${member}.member`, 1024);
      try {
        classifyAlarmAction(action, account);
      } catch (error) {
        if (error instanceof AlarmActionError) throw validation(error.message);
        throw error;
      }
    }
    return given;
  };
  const OKActions = actions(input.OKActions, 'oKActions');
  const AlarmActions = actions(input.AlarmActions, 'alarmActions');
  const InsufficientDataActions = actions(input.InsufficientDataActions, 'insufficientDataActions');

  if (input.ThresholdMetricId !== undefined) {
    throw validation('Anomaly detection alarms (ThresholdMetricId) are not supported by this server.');
  }
  const low = input.EvaluateLowSampleCountPercentile;
  if (low !== undefined && low !== 'evaluate' && low !== 'ignore') {
    throw validation(
      `Option ${low} is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are evaluate and ignore.`,
    );
  }
  const tags = checkTags(input.Tags);

  let metric: Pick<
    MetricAlarmConfig,
    'MetricName' | 'Namespace' | 'Statistic' | 'ExtendedStatistic' | 'Dimensions' | 'Period' | 'Unit' | 'Metrics'
  >;
  let period: number | undefined;
  if (input.Metrics !== undefined) {
    const single = (['MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Period', 'Unit'] as const).filter(
      (k) => input[k] !== undefined,
    );
    if (single.length > 0 || (input.Dimensions?.length ?? 0) > 0) {
      throw combination(
        `Metrics cannot be given with ${[...single, ...(input.Dimensions?.length ? ['Dimensions'] : [])].join(', ')}: a metric math alarm names its metrics in Metrics.`,
      );
    }
    const queries = checkAlarmMetrics(account, input.Metrics);
    period = alarmPeriod(queries);
    metric = { Dimensions: [], Metrics: queries };
  } else {
    if (input.MetricName === undefined) throw notNull('metricName');
    if (input.MetricName.length < 1 || input.MetricName.length > 255) {
      throw validation('The MetricName must be 1 to 255 characters long.');
    }
    const namespace = checkNamespace(input.Namespace);
    checkDimensions(input.Dimensions, 'Dimensions');
    if (input.Statistic !== undefined && input.ExtendedStatistic !== undefined) {
      throw combination('Statistic and ExtendedStatistic cannot both be given.');
    }
    if (input.Statistic === undefined && input.ExtendedStatistic === undefined) {
      throw validation('One of Statistic or ExtendedStatistic must be given.');
    }
    period = input.Period;
    metric = {
      MetricName: input.MetricName,
      Namespace: namespace,
      ...(input.Statistic !== undefined ? { Statistic: checkStandardStatistic(input.Statistic, 'statistic') } : {}),
      ...(input.ExtendedStatistic !== undefined
        ? { ExtendedStatistic: checkExtendedStatistic(input.ExtendedStatistic, 'ExtendedStatistic') }
        : {}),
      Dimensions: (input.Dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value })),
      ...(input.Period !== undefined ? { Period: input.Period } : {}),
      ...(input.Unit !== undefined ? { Unit: checkUnit(input.Unit, 'unit') } : {}),
    };
  }

  let core: AlarmConfig;
  try {
    core = validateAlarmConfig({
      period,
      evaluationPeriods: input.EvaluationPeriods,
      datapointsToAlarm: input.DatapointsToAlarm,
      threshold: input.Threshold,
      comparisonOperator: input.ComparisonOperator,
      treatMissingData: input.TreatMissingData,
    });
  } catch (error) {
    if (error instanceof AlarmConfigError) throw validation(error.message);
    throw error;
  }
  const config: MetricAlarmConfig = {
    ...(input.AlarmDescription !== undefined ? { AlarmDescription: input.AlarmDescription } : {}),
    OKActions,
    AlarmActions,
    InsufficientDataActions,
    ...metric,
    EvaluationPeriods: core.evaluationPeriods,
    ...(core.datapointsToAlarm !== undefined ? { DatapointsToAlarm: core.datapointsToAlarm } : {}),
    Threshold: core.threshold,
    ComparisonOperator: core.comparisonOperator,
    ...(core.treatMissingData !== undefined ? { TreatMissingData: core.treatMissingData } : {}),
    ...(low !== undefined ? { EvaluateLowSampleCountPercentile: low } : {}),
    ...(tags.length > 0 ? { Tags: tags } : {}),
  };
  return { config, core };
}

/** Checks a metric math alarm's queries (as GetMetricData would, plus the alarm's own rules). */
function checkAlarmMetrics(
  account: AccountContext,
  given: NonNullable<PutMetricAlarmInput['Metrics']>,
): AlarmMetricQuery[] {
  if (given.length < 1 || given.length > MAX_ALARM_METRICS) {
    throw validation(`The Metrics of an alarm must hold 1 to ${MAX_ALARM_METRICS} queries.`);
  }
  const queries = given.map((q, i): AlarmMetricQuery => {
    const where = `Metrics.member.${i + 1}`;
    if (q.Id === undefined) throw notNull(`metrics.${i + 1}.member.id`);
    if (q.AccountId !== undefined && q.AccountId !== account.accountId) {
      throw validation(`${where}.AccountId: cross-account alarms are not supported by this server.`);
    }
    if ((q.MetricStat === undefined) === (q.Expression === undefined)) {
      throw validation(`${where}: exactly one of MetricStat and Expression must be given.`);
    }
    const base = {
      Id: q.Id,
      ...(q.Label !== undefined ? { Label: q.Label } : {}),
      ReturnData: q.ReturnData ?? true,
    };
    if (q.Expression !== undefined) {
      if (q.Period !== undefined && !isAlarmPeriod(q.Period)) {
        throw validation(`${where}.Period must be 10, 20, 30 or a multiple of 60.`);
      }
      return { ...base, Expression: q.Expression, ...(q.Period !== undefined ? { Period: q.Period } : {}) };
    }
    const stat = q.MetricStat ?? {};
    const m = stat.Metric ?? {};
    if (m.MetricName === undefined || m.MetricName === '')
      throw notNull(`metrics.${i + 1}.member.metricStat.metric.metricName`);
    const namespace = checkNamespace(m.Namespace, `${where}.MetricStat.Metric.Namespace`);
    checkDimensions(m.Dimensions, `${where}.MetricStat.Metric.Dimensions`);
    if (stat.Period === undefined) throw notNull(`metrics.${i + 1}.member.metricStat.period`);
    if (!isAlarmPeriod(stat.Period))
      throw validation(`${where}.MetricStat.Period must be 10, 20, 30 or a multiple of 60.`);
    if (stat.Stat === undefined) throw notNull(`metrics.${i + 1}.member.metricStat.stat`);
    try {
      parseStatistic(stat.Stat);
    } catch (error) {
      if (error instanceof InvalidStatisticError) {
        throw invalid(`The value ${stat.Stat} for parameter ${where}.MetricStat.Stat is not a supported statistic.`);
      }
      throw error;
    }
    return {
      ...base,
      MetricStat: {
        Metric: {
          Namespace: namespace,
          MetricName: m.MetricName,
          Dimensions: (m.Dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value })),
        },
        Period: stat.Period,
        Stat: stat.Stat,
        ...(stat.Unit !== undefined ? { Unit: checkUnit(stat.Unit, `${where}.MetricStat.Unit`) } : {}),
      },
    };
  });
  if (queries.filter((q) => q.ReturnData).length !== 1) {
    throw validation('Exactly one element of the metrics list should return data.');
  }
  try {
    validateMetricMath(
      queries.map((q) =>
        q.Expression !== undefined
          ? { id: q.Id, expression: q.Expression }
          : { id: q.Id, periodSeconds: q.MetricStat?.Period ?? 60 },
      ),
    );
  } catch (error) {
    if (error instanceof MetricMathError) throw validation(error.message);
    throw error;
  }
  return queries;
}

const isAlarmPeriod = (p: number) =>
  Number.isInteger(p) && (p === 10 || p === 20 || p === 30 || (p >= 60 && p % 60 === 0));

/**
 * The period a metric math alarm is evaluated at: the returned query's own (its MetricStat's, or the Period of an
 * expression), else the shortest period of its metrics.
 */
export function alarmPeriod(queries: readonly AlarmMetricQuery[]): number {
  const returned = queries.find((q) => q.ReturnData ?? true);
  const own = returned?.MetricStat?.Period ?? returned?.Period;
  if (own !== undefined) return own;
  const periods = queries.flatMap((q) => (q.MetricStat ? [q.MetricStat.Period] : []));
  return periods.length > 0 ? Math.min(...periods) : 60;
}
