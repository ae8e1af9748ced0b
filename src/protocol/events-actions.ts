import { z } from 'zod';
import { AwsError } from '../core/errors.js';
import type { ArchiveService } from '../services/archive-service.js';
import type { EventBusService } from '../services/event-bus-service.js';
import type { RequestContext } from '../services/sqs-api.js';
import { noteResource } from './request-resource.js';

/**
 * The EventBridge actions served so far: for each, the shape of its input (types only: required members
 * and ranges are the service's business) and the service call.
 */

export interface EventsServices {
  eventBuses: EventBusService;
  archives: ArchiveService;
}

const str = z.string();
const int = z.number().int();
const tags = z.array(z.object({ Key: str, Value: str }));

interface EventsAction {
  schema: z.ZodType;
  call: (services: EventsServices, ctx: RequestContext, input: never) => unknown;
}

const action = <I>(
  schema: z.ZodType,
  call: (services: EventsServices, ctx: RequestContext, input: I) => unknown,
): EventsAction => ({ schema, call: call as EventsAction['call'] });

const ruleRef = { Name: str.optional(), EventBusName: str.optional() };
type RuleRef = { Name?: string; EventBusName?: string };

export const EVENTS_ACTIONS: Record<string, EventsAction | undefined> = {
  CreateEventBus: action(
    z.object({
      Name: str.optional(),
      Description: str.optional(),
      EventSourceName: str.optional(),
      Tags: tags.optional(),
    }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['createEventBus']>[1]) => eventBuses.createEventBus(ctx, i),
  ),
  DescribeEventBus: action(z.object({ Name: str.optional() }), ({ eventBuses }, ctx, i: { Name?: string }) =>
    eventBuses.describeEventBus(ctx, i),
  ),
  ListEventBuses: action(
    z.object({ NamePrefix: str.optional(), Limit: int.optional(), NextToken: str.optional() }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['listEventBuses']>[1]) => eventBuses.listEventBuses(ctx, i),
  ),
  DeleteEventBus: action(z.object({ Name: str.optional() }), ({ eventBuses }, ctx, i: { Name?: string }) =>
    eventBuses.deleteEventBus(ctx, i),
  ),
  PutRule: action(
    z.object({
      ...ruleRef,
      EventPattern: str.optional(),
      ScheduleExpression: str.optional(),
      State: str.optional(),
      Description: str.optional(),
      RoleArn: str.optional(),
      Tags: tags.optional(),
    }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['putRule']>[1]) => eventBuses.putRule(ctx, i),
  ),
  DescribeRule: action(z.object(ruleRef), ({ eventBuses }, ctx, i: RuleRef) => eventBuses.describeRule(ctx, i)),
  ListRules: action(
    z.object({
      NamePrefix: str.optional(),
      EventBusName: str.optional(),
      Limit: int.optional(),
      NextToken: str.optional(),
    }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['listRules']>[1]) => eventBuses.listRules(ctx, i),
  ),
  DeleteRule: action(
    z.object({ ...ruleRef, Force: z.boolean().optional() }),
    ({ eventBuses }, ctx, i: RuleRef & { Force?: boolean }) => eventBuses.deleteRule(ctx, i),
  ),
  PutTargets: action(
    z.object({
      Rule: str.optional(),
      EventBusName: str.optional(),
      Targets: z
        .array(
          z.object({
            Id: str.optional(),
            Arn: str.optional(),
            RoleArn: str.optional(),
            Input: str.optional(),
            InputPath: str.optional(),
            InputTransformer: z.object({}).passthrough().optional(),
            SqsParameters: z.object({ MessageGroupId: str.optional() }).optional(),
            RetryPolicy: z
              .object({ MaximumRetryAttempts: int.optional(), MaximumEventAgeInSeconds: int.optional() })
              .optional(),
            DeadLetterConfig: z.object({ Arn: str.optional() }).optional(),
            HttpParameters: z
              .object({
                HeaderParameters: z.record(str, str).optional(),
                QueryStringParameters: z.record(str, str).optional(),
                PathParameterValues: z.array(str).optional(),
              })
              .optional(),
          }),
        )
        .optional(),
    }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['putTargets']>[1]) => eventBuses.putTargets(ctx, i),
  ),
  RemoveTargets: action(
    z.object({
      Rule: str.optional(),
      EventBusName: str.optional(),
      Ids: z.array(str).optional(),
      Force: z.boolean().optional(),
    }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['removeTargets']>[1]) => eventBuses.removeTargets(ctx, i),
  ),
  ListTargetsByRule: action(
    z.object({ Rule: str.optional(), EventBusName: str.optional(), Limit: int.optional(), NextToken: str.optional() }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['listTargetsByRule']>[1]) =>
      eventBuses.listTargetsByRule(ctx, i),
  ),
  ListRuleNamesByTarget: action(
    z.object({
      TargetArn: str.optional(),
      EventBusName: str.optional(),
      Limit: int.optional(),
      NextToken: str.optional(),
    }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['listRuleNamesByTarget']>[1]) =>
      eventBuses.listRuleNamesByTarget(ctx, i),
  ),
  PutEvents: action(
    z.object({
      Entries: z
        .array(
          z.object({
            Time: z.number().optional(),
            Source: str.optional(),
            Resources: z.array(str).optional(),
            DetailType: str.optional(),
            Detail: str.optional(),
            EventBusName: str.optional(),
            TraceHeader: str.optional(),
          }),
        )
        .optional(),
      EndpointId: str.optional(),
    }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['putEvents']>[1]) => eventBuses.putEvents(ctx, i),
  ),
  EnableRule: action(z.object(ruleRef), ({ eventBuses }, ctx, i: RuleRef) => eventBuses.enableRule(ctx, i)),
  DisableRule: action(z.object(ruleRef), ({ eventBuses }, ctx, i: RuleRef) => eventBuses.disableRule(ctx, i)),
  TestEventPattern: action(
    z.object({ EventPattern: str.optional(), Event: str.optional() }),
    ({ eventBuses }, ctx, i: { EventPattern?: string; Event?: string }) => eventBuses.testEventPattern(ctx, i),
  ),
  TagResource: action(
    z.object({ ResourceARN: str.optional(), Tags: tags.optional() }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['tagResource']>[1]) => eventBuses.tagResource(ctx, i),
  ),
  UntagResource: action(
    z.object({ ResourceARN: str.optional(), TagKeys: z.array(str).optional() }),
    ({ eventBuses }, ctx, i: Parameters<EventBusService['untagResource']>[1]) => eventBuses.untagResource(ctx, i),
  ),
  CreateArchive: action(
    z.object({
      ArchiveName: str.optional(),
      EventSourceArn: str.optional(),
      Description: str.optional(),
      EventPattern: str.optional(),
      RetentionDays: int.optional(),
      KmsKeyIdentifier: str.optional(),
    }),
    ({ archives }, ctx, i: Parameters<ArchiveService['createArchive']>[1]) => archives.createArchive(ctx, i),
  ),
  DescribeArchive: action(z.object({ ArchiveName: str.optional() }), ({ archives }, ctx, i: { ArchiveName?: string }) =>
    archives.describeArchive(ctx, i),
  ),
  ListArchives: action(
    z.object({
      NamePrefix: str.optional(),
      EventSourceArn: str.optional(),
      State: str.optional(),
      NextToken: str.optional(),
      Limit: int.optional(),
    }),
    ({ archives }, ctx, i: Parameters<ArchiveService['listArchives']>[1]) => archives.listArchives(ctx, i),
  ),
  UpdateArchive: action(
    z.object({
      ArchiveName: str.optional(),
      Description: str.optional(),
      EventPattern: str.optional(),
      RetentionDays: int.optional(),
      KmsKeyIdentifier: str.optional(),
    }),
    ({ archives }, ctx, i: Parameters<ArchiveService['updateArchive']>[1]) => archives.updateArchive(ctx, i),
  ),
  DeleteArchive: action(z.object({ ArchiveName: str.optional() }), ({ archives }, ctx, i: { ArchiveName?: string }) =>
    archives.deleteArchive(ctx, i),
  ),
  StartReplay: action(
    z.object({
      ReplayName: str.optional(),
      Description: str.optional(),
      EventSourceArn: str.optional(),
      EventStartTime: z.number().optional(),
      EventEndTime: z.number().optional(),
      Destination: z.object({ Arn: str.optional(), FilterArns: z.array(str).optional() }).optional(),
    }),
    ({ archives }, ctx, i: Parameters<ArchiveService['startReplay']>[1]) => archives.startReplay(ctx, i),
  ),
  DescribeReplay: action(z.object({ ReplayName: str.optional() }), ({ archives }, ctx, i: { ReplayName?: string }) =>
    archives.describeReplay(ctx, i),
  ),
  ListReplays: action(
    z.object({
      NamePrefix: str.optional(),
      State: str.optional(),
      EventSourceArn: str.optional(),
      NextToken: str.optional(),
      Limit: int.optional(),
    }),
    ({ archives }, ctx, i: Parameters<ArchiveService['listReplays']>[1]) => archives.listReplays(ctx, i),
  ),
  CancelReplay: action(z.object({ ReplayName: str.optional() }), ({ archives }, ctx, i: { ReplayName?: string }) =>
    archives.cancelReplay(ctx, i),
  ),
  ListTagsForResource: action(
    z.object({ ResourceARN: str.optional() }),
    ({ eventBuses }, ctx, i: { ResourceARN?: string }) => eventBuses.listTagsForResource(ctx, i),
  ),
};

/** Validates the input's shape and runs the action. */
export async function runEventsAction(
  services: EventsServices,
  ctx: RequestContext,
  name: string,
  input: unknown,
): Promise<object> {
  const spec = EVENTS_ACTIONS[name];
  if (!spec) throw new AwsError('UnknownOperation', `The action ${name} is not valid for this endpoint.`);
  noteResource(ctx, 'events', name, input);
  const parsed = spec.schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the request';
    throw new AwsError('EventsValidation', `Invalid type for ${where}: ${issue?.message ?? 'malformed input'}.`);
  }
  return ((await spec.call(services, ctx, input as never)) as object | undefined) ?? {};
}
