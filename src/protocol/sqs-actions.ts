import { z } from 'zod';
import { AwsError } from '../core/errors.js';
import type {
  ListMessageMoveTasksInput,
  MoveTaskService,
  StartMessageMoveTaskInput,
} from '../services/move-task-service.js';
import type { QueueService } from '../services/queue-service.js';
import type * as api from '../services/sqs-api.js';
import { noteResource } from './request-resource.js';

/**
 * The SQS actions: for each, the shape of its input (types only: required members and ranges are the
 * service's business, so every protocol reports them alike) and the service call. Both the JSON and the
 * Query adapters decode into these shapes and call through this table.
 */

const str = z.string();
const int = z.number().int();
const strMap = z.record(z.string(), z.string());
const strList = z.array(z.string());

const attributeValue = z.object({
  DataType: str.optional(),
  StringValue: str.optional(),
  BinaryValue: str.optional(),
  StringListValues: strList.optional(),
  BinaryListValues: strList.optional(),
});
const attributeMap = z.record(z.string(), attributeValue);

const messageFields = {
  MessageBody: str.optional(),
  DelaySeconds: int.optional(),
  MessageAttributes: attributeMap.optional(),
  MessageSystemAttributes: attributeMap.optional(),
  MessageDeduplicationId: str.optional(),
  MessageGroupId: str.optional(),
};

const queueUrl = { QueueUrl: str.optional() };

/** Entry lists tolerate `null` members as missing, and non-object members are type errors. */
const entries = <T extends z.ZodTypeAny>(entry: T) => z.array(entry).optional();

/** The services SQS actions are served by. */
export interface SqsServices {
  queues: QueueService;
  moveTasks: MoveTaskService;
}

interface ActionSpec {
  schema: z.ZodType<Record<string, unknown>>;
  call: (services: SqsServices, ctx: api.RequestContext, input: never) => Promise<unknown>;
}

function action<S extends z.ZodType<Record<string, unknown>>, I>(
  schema: S,
  call: (services: SqsServices, ctx: api.RequestContext, input: I) => Promise<unknown>,
): ActionSpec {
  return { schema, call: call as ActionSpec['call'] };
}

// Inputs are cast to the service types after shape validation: members the shape leaves optional but
// the API requires are checked by the service, which answers MissingParameter like AWS.
export const SQS_ACTIONS: Record<string, ActionSpec> = {
  CreateQueue: action(
    z.object({ QueueName: str.optional(), Attributes: strMap.optional(), tags: strMap.optional() }),
    ({ queues }, ctx, i: api.CreateQueueInput) => queues.createQueue(ctx, i),
  ),
  GetQueueUrl: action(
    z.object({ QueueName: str.optional(), QueueOwnerAWSAccountId: str.optional() }),
    ({ queues }, ctx, i: api.GetQueueUrlInput) => queues.getQueueUrl(ctx, i),
  ),
  ListQueues: action(
    z.object({ QueueNamePrefix: str.optional(), NextToken: str.optional(), MaxResults: int.optional() }),
    ({ queues }, ctx, i: api.ListQueuesInput) => queues.listQueues(ctx, i),
  ),
  DeleteQueue: action(z.object(queueUrl), ({ queues }, ctx, i: api.QueueUrlInput) => queues.deleteQueue(ctx, i)),
  GetQueueAttributes: action(
    z.object({ ...queueUrl, AttributeNames: strList.optional() }),
    ({ queues }, ctx, i: api.GetQueueAttributesInput) => queues.getQueueAttributes(ctx, i),
  ),
  SetQueueAttributes: action(
    z.object({ ...queueUrl, Attributes: strMap.optional() }),
    ({ queues }, ctx, i: api.SetQueueAttributesInput) => queues.setQueueAttributes(ctx, i),
  ),
  SendMessage: action(z.object({ ...queueUrl, ...messageFields }), ({ queues }, ctx, i: api.SendMessageInput) =>
    queues.sendMessage(ctx, i),
  ),
  SendMessageBatch: action(
    z.object({ ...queueUrl, Entries: entries(z.object({ Id: str.optional(), ...messageFields })) }),
    ({ queues }, ctx, i: api.SendMessageBatchInput) => queues.sendMessageBatch(ctx, i),
  ),
  ReceiveMessage: action(
    z.object({
      ...queueUrl,
      AttributeNames: strList.optional(),
      MessageSystemAttributeNames: strList.optional(),
      MessageAttributeNames: strList.optional(),
      MaxNumberOfMessages: int.optional(),
      VisibilityTimeout: int.optional(),
      WaitTimeSeconds: int.optional(),
      ReceiveRequestAttemptId: str.optional(),
    }),
    ({ queues }, ctx, i: api.ReceiveMessageInput) => queues.receiveMessage(ctx, i),
  ),
  DeleteMessage: action(
    z.object({ ...queueUrl, ReceiptHandle: str.optional() }),
    ({ queues }, ctx, i: api.DeleteMessageInput) => queues.deleteMessage(ctx, i),
  ),
  DeleteMessageBatch: action(
    z.object({ ...queueUrl, Entries: entries(z.object({ Id: str.optional(), ReceiptHandle: str.optional() })) }),
    ({ queues }, ctx, i: api.DeleteMessageBatchInput) => queues.deleteMessageBatch(ctx, i),
  ),
  ChangeMessageVisibility: action(
    z.object({ ...queueUrl, ReceiptHandle: str.optional(), VisibilityTimeout: int.optional() }),
    ({ queues }, ctx, i: api.ChangeMessageVisibilityInput) => queues.changeMessageVisibility(ctx, i),
  ),
  ChangeMessageVisibilityBatch: action(
    z.object({
      ...queueUrl,
      Entries: entries(
        z.object({ Id: str.optional(), ReceiptHandle: str.optional(), VisibilityTimeout: int.optional() }),
      ),
    }),
    ({ queues }, ctx, i: api.ChangeMessageVisibilityBatchInput) => queues.changeMessageVisibilityBatch(ctx, i),
  ),
  PurgeQueue: action(z.object(queueUrl), ({ queues }, ctx, i: api.QueueUrlInput) => queues.purgeQueue(ctx, i)),
  TagQueue: action(z.object({ ...queueUrl, Tags: strMap.optional() }), ({ queues }, ctx, i: api.TagQueueInput) =>
    queues.tagQueue(ctx, i),
  ),
  UntagQueue: action(
    z.object({ ...queueUrl, TagKeys: strList.optional() }),
    ({ queues }, ctx, i: api.UntagQueueInput) => queues.untagQueue(ctx, i),
  ),
  ListQueueTags: action(z.object(queueUrl), ({ queues }, ctx, i: api.QueueUrlInput) => queues.listQueueTags(ctx, i)),
  StartMessageMoveTask: action(
    z.object({
      SourceArn: str.optional(),
      DestinationArn: str.optional(),
      MaxNumberOfMessagesPerSecond: int.optional(),
    }),
    ({ moveTasks }, ctx, i: StartMessageMoveTaskInput) => moveTasks.start(ctx, i),
  ),
  ListMessageMoveTasks: action(
    z.object({ SourceArn: str.optional(), MaxResults: int.optional() }),
    ({ moveTasks }, ctx, i: ListMessageMoveTasksInput) => moveTasks.list(ctx, i),
  ),
  CancelMessageMoveTask: action(
    z.object({ TaskHandle: str.optional() }),
    ({ moveTasks }, ctx, i: { TaskHandle: string }) => moveTasks.cancel(ctx, i),
  ),
  AddPermission: action(
    z.object({ ...queueUrl, Label: str.optional(), AWSAccountIds: strList.optional(), Actions: strList.optional() }),
    ({ queues }, ctx, i: api.AddPermissionInput) => queues.addPermission(ctx, i),
  ),
  RemovePermission: action(
    z.object({ ...queueUrl, Label: str.optional() }),
    ({ queues }, ctx, i: api.RemovePermissionInput) => queues.removePermission(ctx, i),
  ),
  ListDeadLetterSourceQueues: action(
    z.object({ ...queueUrl, NextToken: str.optional(), MaxResults: int.optional() }),
    ({ queues }, ctx, i: api.ListDeadLetterSourceQueuesInput) => queues.listDeadLetterSourceQueues(ctx, i),
  ),
};

/** Validates the input's shape and runs the action. `input` is whatever the wire decoded. */
export async function runSqsAction(
  services: SqsServices,
  ctx: api.RequestContext,
  name: string,
  input: unknown,
): Promise<object> {
  const spec = SQS_ACTIONS[name];
  if (!spec) {
    throw new AwsError('UnknownOperation', `The action ${name} is not valid for this endpoint.`);
  }
  noteResource(ctx, 'sqs', name, input);
  const parsed = spec.schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the request';
    throw new AwsError('InvalidParameterValue', `Invalid type for ${where}: ${issue?.message ?? 'malformed input'}.`);
  }
  // The validated input itself goes on, not zod's copy: zod rebuilds maps by assignment, which turns a
  // member named `__proto__` (a valid attribute name) into a prototype. Required members, defaults and
  // ranges are the service's to check.
  return ((await spec.call(services, ctx, input as never)) as object | undefined) ?? {};
}
