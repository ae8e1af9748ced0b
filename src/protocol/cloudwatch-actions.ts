import { z } from 'zod';
import { AwsError } from '../core/errors.js';
import type { AlarmService } from '../services/alarm-service.js';
import type { MetricsContext, MetricsService } from '../services/metrics-service.js';
import type { RequestLog } from '../services/sqs-api.js';
import { noteResource } from './request-resource.js';

/**
 * The CloudWatch actions served so far: for each, the shape of its input (types only: required members and
 * ranges are the service's business) and the service call. Shared by the JSON 1.0 and (later) Query adapters.
 */

export interface CloudWatchServices {
  metrics: MetricsService;
  alarms: AlarmService;
}

const str = z.string();
const num = z.number();
const dimensions = z.array(z.object({ Name: str, Value: str }));
/** A MetricDataQuery list (GetMetricData, and the Metrics of a metric math alarm). */
const metricDataQueries = z.array(
  z.object({
    Id: str.optional(),
    MetricStat: z
      .object({
        Metric: z
          .object({ Namespace: str.optional(), MetricName: str.optional(), Dimensions: dimensions.optional() })
          .optional(),
        Period: num.optional(),
        Stat: str.optional(),
        Unit: str.optional(),
      })
      .optional(),
    Expression: str.optional(),
    Label: str.optional(),
    ReturnData: z.boolean().optional(),
    Period: num.optional(),
    AccountId: str.optional(),
  }),
);
/** The metric of a single-metric alarm (PutMetricAlarm, DescribeAlarmsForMetric). */
const alarmMetric = {
  MetricName: str.optional(),
  Namespace: str.optional(),
  Statistic: str.optional(),
  ExtendedStatistic: str.optional(),
  Dimensions: dimensions.optional(),
  Period: num.optional(),
  Unit: str.optional(),
};
const alarmNames = z.object({ AlarmNames: z.array(str).optional() });

interface CloudWatchAction {
  schema: z.ZodType;
  call: (services: CloudWatchServices, ctx: MetricsContext, input: never) => unknown;
}

const action = <I>(
  schema: z.ZodType,
  call: (services: CloudWatchServices, ctx: MetricsContext, input: I) => unknown,
): CloudWatchAction => ({ schema, call: call as CloudWatchAction['call'] });

export const CLOUDWATCH_ACTIONS: Record<string, CloudWatchAction | undefined> = {
  PutMetricData: action(
    z.object({
      Namespace: str.optional(),
      MetricData: z
        .array(
          z.object({
            MetricName: str.optional(),
            Dimensions: dimensions.optional(),
            Timestamp: num.optional(),
            Value: num.optional(),
            StatisticValues: z
              .object({
                SampleCount: num.optional(),
                Sum: num.optional(),
                Minimum: num.optional(),
                Maximum: num.optional(),
              })
              .optional(),
            Values: z.array(num).optional(),
            Counts: z.array(num).optional(),
            Unit: str.optional(),
            StorageResolution: num.optional(),
          }),
        )
        .optional(),
    }),
    ({ metrics }, ctx, i: Parameters<MetricsService['putMetricData']>[1]) => metrics.putMetricData(ctx, i),
  ),
  GetMetricStatistics: action(
    z.object({
      Namespace: str.optional(),
      MetricName: str.optional(),
      Dimensions: dimensions.optional(),
      StartTime: num.optional(),
      EndTime: num.optional(),
      Period: num.optional(),
      Statistics: z.array(str).optional(),
      ExtendedStatistics: z.array(str).optional(),
      Unit: str.optional(),
    }),
    ({ metrics }, ctx, i: Parameters<MetricsService['getMetricStatistics']>[1]) => metrics.getMetricStatistics(ctx, i),
  ),
  GetMetricData: action(
    z.object({
      MetricDataQueries: metricDataQueries.optional(),
      StartTime: num.optional(),
      EndTime: num.optional(),
      NextToken: str.optional(),
      ScanBy: str.optional(),
      MaxDatapoints: num.optional(),
      LabelOptions: z.object({ Timezone: str.optional() }).optional(),
    }),
    ({ metrics }, ctx, i: Parameters<MetricsService['getMetricData']>[1]) => metrics.getMetricData(ctx, i),
  ),
  ListMetrics: action(
    z.object({
      Namespace: str.optional(),
      MetricName: str.optional(),
      Dimensions: z.array(z.object({ Name: str, Value: str.optional() })).optional(),
      NextToken: str.optional(),
      RecentlyActive: str.optional(),
      IncludeLinkedAccounts: z.boolean().optional(),
      OwningAccount: str.optional(),
    }),
    ({ metrics }, ctx, i: Parameters<MetricsService['listMetrics']>[1]) => metrics.listMetrics(ctx, i),
  ),
  // ---- metric alarms ----
  PutMetricAlarm: action(
    z.object({
      AlarmName: str.optional(),
      AlarmDescription: str.optional(),
      ActionsEnabled: z.boolean().optional(),
      OKActions: z.array(str).optional(),
      AlarmActions: z.array(str).optional(),
      InsufficientDataActions: z.array(str).optional(),
      ...alarmMetric,
      EvaluationPeriods: num.optional(),
      DatapointsToAlarm: num.optional(),
      Threshold: num.optional(),
      ComparisonOperator: str.optional(),
      TreatMissingData: str.optional(),
      EvaluateLowSampleCountPercentile: str.optional(),
      Metrics: metricDataQueries.optional(),
      Tags: z.array(z.object({ Key: str.optional(), Value: str.optional() })).optional(),
      ThresholdMetricId: str.optional(),
    }),
    ({ alarms }, ctx, i: Parameters<AlarmService['putMetricAlarm']>[1]) => alarms.putMetricAlarm(ctx, i),
  ),
  DescribeAlarms: action(
    z.object({
      AlarmNames: z.array(str).optional(),
      AlarmNamePrefix: str.optional(),
      AlarmTypes: z.array(str).optional(),
      ChildrenOfAlarmName: str.optional(),
      ParentsOfAlarmName: str.optional(),
      StateValue: str.optional(),
      ActionPrefix: str.optional(),
      MaxRecords: num.optional(),
      NextToken: str.optional(),
    }),
    ({ alarms }, ctx, i: Parameters<AlarmService['describeAlarms']>[1]) => alarms.describeAlarms(ctx, i),
  ),
  DescribeAlarmsForMetric: action(
    z.object(alarmMetric),
    ({ alarms }, ctx, i: Parameters<AlarmService['describeAlarmsForMetric']>[1]) =>
      alarms.describeAlarmsForMetric(ctx, i),
  ),
  DescribeAlarmHistory: action(
    z.object({
      AlarmName: str.optional(),
      AlarmContributorId: str.optional(),
      AlarmTypes: z.array(str).optional(),
      HistoryItemType: str.optional(),
      StartDate: num.optional(),
      EndDate: num.optional(),
      MaxRecords: num.optional(),
      NextToken: str.optional(),
      ScanBy: str.optional(),
    }),
    ({ alarms }, ctx, i: Parameters<AlarmService['describeAlarmHistory']>[1]) => alarms.describeAlarmHistory(ctx, i),
  ),
  DeleteAlarms: action(alarmNames, ({ alarms }, ctx, i: { AlarmNames?: string[] }) => alarms.deleteAlarms(ctx, i)),
  SetAlarmState: action(
    z.object({
      AlarmName: str.optional(),
      StateValue: str.optional(),
      StateReason: str.optional(),
      StateReasonData: str.optional(),
    }),
    ({ alarms }, ctx, i: Parameters<AlarmService['setAlarmState']>[1]) => alarms.setAlarmState(ctx, i),
  ),
  EnableAlarmActions: action(alarmNames, ({ alarms }, ctx, i: { AlarmNames?: string[] }) =>
    alarms.enableAlarmActions(ctx, i),
  ),
  DisableAlarmActions: action(alarmNames, ({ alarms }, ctx, i: { AlarmNames?: string[] }) =>
    alarms.disableAlarmActions(ctx, i),
  ),
  // ---- tags (of alarms) ----
  ListTagsForResource: action(
    z.object({ ResourceARN: str.optional() }),
    ({ alarms }, ctx, i: { ResourceARN?: string }) => alarms.listTagsForResource(ctx, i),
  ),
  TagResource: action(
    z.object({
      ResourceARN: str.optional(),
      Tags: z.array(z.object({ Key: str.optional(), Value: str.optional() })).optional(),
    }),
    ({ alarms }, ctx, i: Parameters<AlarmService['tagResource']>[1]) => alarms.tagResource(ctx, i),
  ),
  UntagResource: action(
    z.object({ ResourceARN: str.optional(), TagKeys: z.array(str).optional() }),
    ({ alarms }, ctx, i: Parameters<AlarmService['untagResource']>[1]) => alarms.untagResource(ctx, i),
  ),
};

/** Validates the input's shape and runs the action. */
export async function runCloudWatchAction(
  services: CloudWatchServices,
  ctx: MetricsContext & { log?: RequestLog | undefined },
  name: string,
  input: unknown,
): Promise<object> {
  const spec = CLOUDWATCH_ACTIONS[name];
  if (!spec) throw new AwsError('UnknownOperation', `The action ${name} is not valid for this endpoint.`);
  noteResource(ctx, 'cloudwatch', name, input);
  const parsed = spec.schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the request';
    throw new AwsError(
      'CloudWatchInvalidParameterValue',
      `Invalid type for ${where}: ${issue?.message ?? 'malformed input'}.`,
    );
  }
  return ((await spec.call(services, ctx, input as never)) as object | undefined) ?? {};
}
