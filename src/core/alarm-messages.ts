/**
 * What CloudWatch writes about a metric alarm, as data (pure: no I/O, times passed in as epoch milliseconds):
 * the alarm's ARN, which of its actions this server can carry out, the `CloudWatch Alarm State Change` event's
 * `detail`, the JSON notification an alarm action sends (the message CloudWatch publishes to SNS), and the
 * HistorySummary / HistoryData of DescribeAlarmHistory's items.
 *
 * Shapes, from the CloudWatch user guide ("Alarm events and EventBridge", "Notifying users on alarm changes") and the
 * API reference (AlarmHistoryItem, MetricAlarm); keys are in the order AWS's examples show them.
 */
import { type AlarmState, isoDate } from './alarms.js';

export interface AlarmDimension {
  Name: string;
  Value: string;
}

/** A MetricDataQuery of PutMetricAlarm's `Metrics`, with AWS's member names. */
export interface AlarmMetricQuery {
  Id: string;
  MetricStat?:
    | {
        Metric: { Namespace: string; MetricName: string; Dimensions?: AlarmDimension[] | undefined };
        Period: number;
        Stat: string;
        Unit?: string | undefined;
      }
    | undefined;
  Expression?: string | undefined;
  Label?: string | undefined;
  ReturnData?: boolean | undefined;
  Period?: number | undefined;
  AccountId?: string | undefined;
}

/** A metric alarm's configuration with PutMetricAlarm's member names, as validated and kept. */
export interface MetricAlarmConfig {
  AlarmDescription?: string | undefined;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  MetricName?: string | undefined;
  Namespace?: string | undefined;
  Statistic?: string | undefined;
  ExtendedStatistic?: string | undefined;
  Dimensions: AlarmDimension[];
  Period?: number | undefined;
  Unit?: string | undefined;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number | undefined;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData?: string | undefined;
  EvaluateLowSampleCountPercentile?: string | undefined;
  Metrics?: AlarmMetricQuery[] | undefined;
  Tags?: { Key: string; Value: string }[] | undefined;
}

/** An alarm's state as recorded: reason data is CloudWatch's JSON text. */
export interface AlarmStateSnapshot {
  value: AlarmState;
  reason: string;
  reasonData?: string | undefined;
  /** When the alarm entered (or was last set to) this state, epoch ms. */
  timestamp: number;
}

export interface AlarmIdentity {
  accountId: string;
  region: string;
  name: string;
}

export function alarmArn(alarm: AlarmIdentity): string {
  return `arn:aws:cloudwatch:${alarm.region}:${alarm.accountId}:alarm:${alarm.name}`;
}

/** The reason a new alarm starts with, in INSUFFICIENT_DATA. */
export const INITIAL_STATE_REASON = 'Unchecked: Initial alarm creation';

// ---- actions ------------------------------------------------------------------------------------

/** What an alarm action names, as far as this server can carry it out. */
export type AlarmActionTarget =
  | { kind: 'sqs'; accountId: string; region: string; name: string }
  | { kind: 'http'; url: string }
  /** An action AWS accepts (SNS, EC2, Auto Scaling, Lambda, Systems Manager) that this server cannot perform. */
  | { kind: 'unsupported' };

/** Services whose ARNs AWS accepts as alarm actions; `sqs` is this server's addition. */
const ACTION_SERVICES = new Set(['sns', 'automate', 'autoscaling', 'lambda', 'ssm', 'ssm-incidents', 'swf', 'sqs']);

export class AlarmActionError extends Error {
  override readonly name = 'AlarmActionError';
}

/**
 * Classifies one action of PutMetricAlarm's AlarmActions, OKActions or InsufficientDataActions. An `http://` or
 * `https://` URL is this server's stand-in for an SNS topic with an HTTP subscription; an SQS queue ARN gets the
 * notification as a message. Throws AlarmActionError with CloudWatch's ValidationError text when the action is not
 * one CloudWatch would take: not an ARN, an ARN of another service, or another region.
 */
export function classifyAlarmAction(action: string, ctx: { accountId: string; region: string }): AlarmActionTarget {
  if (/^https?:\/\//i.test(action)) {
    if (!URL.canParse(action)) throw new AlarmActionError(`Invalid URL: ${action}`);
    return { kind: 'http', url: action };
  }
  const arn = /^arn:aws[\w-]*:([\w-]+):([^:]*):([^:]*):(.+)$/.exec(action);
  if (!arn) throw new AlarmActionError(`Invalid arn syntax: ${action}`);
  const [, service = '', region = '', accountId = '', resource = ''] = arn;
  if (!ACTION_SERVICES.has(service)) throw new AlarmActionError(`Invalid action: ${action}`);
  if (region !== ctx.region) {
    throw new AlarmActionError(`Invalid region ${region} specified. Only ${ctx.region} is supported.`);
  }
  if (service !== 'sqs') return { kind: 'unsupported' };
  if (accountId !== ctx.accountId || !/^[\w-]{1,80}(\.fifo)?$/.test(resource)) {
    throw new AlarmActionError(`Invalid SQS queue ARN: ${action}`);
  }
  return { kind: 'sqs', accountId, region, name: resource };
}

// ---- the EventBridge event --------------------------------------------------------------------

/**
 * A stable identifier for the metric of a single-metric alarm in the event's `configuration.metrics` (AWS writes a
 * UUID there): a hash of the alarm's ARN shaped like one, so that every event of the alarm carries the same id.
 */
export function alarmMetricId(arn: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const words: number[] = [];
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < arn.length; i++) {
      const c = arn.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ (c + round), 0x5bd1e995) >>> 0;
    }
    words.push((h1 ^ Math.imul(h2, round + 1)) >>> 0);
  }
  const hex = words.map((w) => w.toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const dimensionMap = (dimensions: readonly AlarmDimension[] = []) =>
  Object.fromEntries(dimensions.map((d) => [d.Name, d.Value]));

function eventMetricStat(stat: NonNullable<AlarmMetricQuery['MetricStat']>) {
  return {
    metric: {
      dimensions: dimensionMap(stat.Metric.Dimensions),
      name: stat.Metric.MetricName,
      namespace: stat.Metric.Namespace,
    },
    period: stat.Period,
    stat: stat.Stat,
    ...(stat.Unit !== undefined ? { unit: stat.Unit } : {}),
  };
}

/** `configuration.metrics` of the event: the alarm's metric, or its metric math queries. */
export function eventMetrics(config: MetricAlarmConfig, arn: string): Record<string, unknown>[] {
  if (config.Metrics !== undefined) {
    return config.Metrics.map((q) => ({
      ...(q.Expression !== undefined ? { expression: q.Expression } : {}),
      id: q.Id,
      ...(q.Label !== undefined ? { label: q.Label } : {}),
      ...(q.MetricStat !== undefined ? { metricStat: eventMetricStat(q.MetricStat) } : {}),
      ...(q.Period !== undefined && q.MetricStat === undefined ? { period: q.Period } : {}),
      returnData: q.ReturnData ?? true,
    }));
  }
  return [
    {
      id: alarmMetricId(arn),
      metricStat: eventMetricStat({
        Metric: {
          Namespace: config.Namespace ?? '',
          MetricName: config.MetricName ?? '',
          Dimensions: config.Dimensions,
        },
        Period: config.Period ?? 60,
        Stat: config.Statistic ?? config.ExtendedStatistic ?? '',
        Unit: config.Unit,
      }),
      returnData: true,
    },
  ];
}

const eventState = (state: AlarmStateSnapshot) => ({
  reason: state.reason,
  ...(state.reasonData !== undefined ? { reasonData: state.reasonData } : {}),
  timestamp: isoDate(state.timestamp),
  value: state.value,
});

/** The `detail` of the `CloudWatch Alarm State Change` event (source `aws.cloudwatch`). */
export function alarmStateChangeDetail(
  alarm: { name: string; arn: string; config: MetricAlarmConfig },
  previous: AlarmStateSnapshot,
  state: AlarmStateSnapshot,
): Record<string, unknown> {
  return {
    alarmName: alarm.name,
    configuration: {
      ...(alarm.config.AlarmDescription !== undefined ? { description: alarm.config.AlarmDescription } : {}),
      metrics: eventMetrics(alarm.config, alarm.arn),
    },
    previousState: eventState(previous),
    state: eventState(state),
  };
}

// ---- the notification -------------------------------------------------------------------------

/** Region names as CloudWatch's notifications write them. */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'af-south-1': 'Africa (Cape Town)',
  'ap-east-1': 'Asia Pacific (Hong Kong)',
  'ap-south-1': 'Asia Pacific (Mumbai)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-northeast-2': 'Asia Pacific (Seoul)',
  'ap-northeast-3': 'Asia Pacific (Osaka)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'ca-central-1': 'Canada (Central)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-north-1': 'EU (Stockholm)',
  'eu-south-1': 'EU (Milan)',
  'me-south-1': 'Middle East (Bahrain)',
  'sa-east-1': 'South America (Sao Paulo)',
};

export const regionName = (region: string): string => REGION_NAMES[region] ?? region;

const notificationDimensions = (dimensions: readonly AlarmDimension[] = []) =>
  dimensions.map((d) => ({ value: d.Value, name: d.Name }));

function trigger(config: MetricAlarmConfig): Record<string, unknown> {
  const common = {
    ...(config.Period !== undefined ? { Period: config.Period } : {}),
    EvaluationPeriods: config.EvaluationPeriods,
    ...(config.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: config.DatapointsToAlarm } : {}),
    ComparisonOperator: config.ComparisonOperator,
    Threshold: config.Threshold,
    TreatMissingData: config.TreatMissingData ?? 'missing',
    EvaluateLowSampleCountPercentile: config.EvaluateLowSampleCountPercentile ?? '',
  };
  if (config.Metrics !== undefined) {
    return {
      ...common,
      Metrics: config.Metrics.map((q) => ({
        ...(q.Expression !== undefined ? { Expression: q.Expression } : {}),
        Id: q.Id,
        ...(q.Label !== undefined ? { Label: q.Label } : {}),
        ...(q.MetricStat !== undefined
          ? {
              MetricStat: {
                Metric: {
                  Dimensions: notificationDimensions(q.MetricStat.Metric.Dimensions),
                  MetricName: q.MetricStat.Metric.MetricName,
                  Namespace: q.MetricStat.Metric.Namespace,
                },
                Period: q.MetricStat.Period,
                Stat: q.MetricStat.Stat,
                ...(q.MetricStat.Unit !== undefined ? { Unit: q.MetricStat.Unit } : {}),
              },
            }
          : {}),
        ReturnData: q.ReturnData ?? true,
      })),
    };
  }
  return {
    MetricName: config.MetricName,
    Namespace: config.Namespace,
    StatisticType: config.ExtendedStatistic !== undefined ? 'ExtendedStatistic' : 'Statistic',
    ...(config.ExtendedStatistic !== undefined
      ? { ExtendedStatistic: config.ExtendedStatistic }
      : { Statistic: (config.Statistic ?? '').toUpperCase() }),
    Unit: config.Unit ?? null,
    Dimensions: notificationDimensions(config.Dimensions),
    ...common,
  };
}

/**
 * The JSON notification of a state change: the message CloudWatch publishes to an SNS topic among the alarm's
 * actions, which this server sends as an SQS message body or an HTTP POST.
 */
export function alarmNotification(
  alarm: AlarmIdentity & { config: MetricAlarmConfig; configUpdatedAt: number },
  previous: AlarmStateSnapshot,
  state: AlarmStateSnapshot,
): Record<string, unknown> {
  return {
    AlarmName: alarm.name,
    AlarmDescription: alarm.config.AlarmDescription ?? null,
    AWSAccountId: alarm.accountId,
    AlarmConfigurationUpdatedTimestamp: isoDate(alarm.configUpdatedAt),
    NewStateValue: state.value,
    NewStateReason: state.reason,
    StateChangeTime: isoDate(state.timestamp),
    Region: regionName(alarm.region),
    AlarmArn: alarmArn(alarm),
    OldStateValue: previous.value,
    OKActions: alarm.config.OKActions,
    AlarmActions: alarm.config.AlarmActions,
    InsufficientDataActions: alarm.config.InsufficientDataActions,
    Trigger: trigger(alarm.config),
  };
}

// ---- history ----------------------------------------------------------------------------------

export interface HistoryText {
  summary: string;
  /** JSON text. */
  data: string;
}

/** `reasonData` as JSON to embed: AWS's own text kept as it is (doubles such as `10.0` keep their spelling). */
function embeddedReasonData(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? text : undefined;
  } catch {
    return undefined;
  }
}

function historyState(state: AlarmStateSnapshot): string {
  const parts = [`"stateValue":${JSON.stringify(state.value)}`, `"stateReason":${JSON.stringify(state.reason)}`];
  const data = embeddedReasonData(state.reasonData);
  if (data !== undefined) parts.push(`"stateReasonData":${data}`);
  return `{${parts.join(',')}}`;
}

/** The StateUpdate item of a change of state. */
export function stateUpdateHistory(previous: AlarmStateSnapshot, state: AlarmStateSnapshot): HistoryText {
  return {
    summary: `Alarm updated from ${previous.value} to ${state.value}`,
    data: `{"version":"1.0","oldState":${historyState(previous)},"newState":${historyState(state)}}`,
  };
}

/**
 * The ConfigurationUpdate item of a creation, update or deletion. `alarm` is the alarm as DescribeAlarms shows it
 * (its `MetricAlarm`); HistoryData writes its members in camelCase, as AWS does (`oKActions` included), and, for an
 * update, the members that changed with their previous values.
 */
export function configurationHistory(
  type: 'Create' | 'Update' | 'Delete',
  alarm: Record<string, unknown> & { AlarmName: string },
  previous?: Record<string, unknown>,
): HistoryText {
  const camel = (view: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(view)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [`${k.charAt(0).toLowerCase()}${k.slice(1)}`, v]),
    );
  const summary = `Alarm "${alarm.AlarmName}" ${type === 'Create' ? 'created' : type === 'Update' ? 'updated' : 'deleted'}`;
  let data: Record<string, unknown>;
  if (type === 'Create') data = { type, version: '1.0', createdAlarm: camel(alarm) };
  else if (type === 'Delete') data = { type, version: '1.0', deletedAlarm: camel(alarm) };
  else {
    const changed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(previous ?? {})) {
      if (JSON.stringify(value) !== JSON.stringify(alarm[key])) changed[key] = value;
    }
    data = { type, version: '1.0', originalUpdatedFields: camel(changed), updatedAlarm: camel(alarm) };
  }
  return { summary, data: JSON.stringify(data) };
}

/** The Action item of an action taken: `error` set when it failed. */
export function actionHistory(
  action: string,
  stateUpdatedAt: number,
  outcome: { messageId?: string | undefined; error?: string | undefined },
): HistoryText {
  const failed = outcome.error !== undefined;
  return {
    summary: `${failed ? 'Failed to execute' : 'Successfully executed'} action ${action}`,
    data: JSON.stringify({
      actionState: failed ? 'Failed' : 'Succeeded',
      stateUpdateTimestamp: stateUpdatedAt,
      notificationResource: action,
      ...(outcome.messageId !== undefined ? { publishedMessage: { messageId: outcome.messageId } } : {}),
      ...(failed ? { error: outcome.error } : {}),
    }),
  };
}
