import { z } from 'zod';
import { AwsError } from '../core/errors.js';
import type { MetricsContext, MetricsService } from '../services/metrics-service.js';

/**
 * The CloudWatch actions served so far: for each, the shape of its input (types only: required members and
 * ranges are the service's business) and the service call. Shared by the JSON 1.0 and (later) Query adapters.
 */

export interface CloudWatchServices {
  metrics: MetricsService;
}

const str = z.string();
const num = z.number();
const dimensions = z.array(z.object({ Name: str, Value: str }));

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
};

/** Validates the input's shape and runs the action. */
export async function runCloudWatchAction(
  services: CloudWatchServices,
  ctx: MetricsContext,
  name: string,
  input: unknown,
): Promise<object> {
  const spec = CLOUDWATCH_ACTIONS[name];
  if (!spec) throw new AwsError('UnknownOperation', `The action ${name} is not valid for this endpoint.`);
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
