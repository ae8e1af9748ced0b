import { z } from 'zod';
import { AwsError } from '../core/errors.js';
import type { QueueService } from '../services/queue-service.js';
import type * as api from '../services/sqs-api.js';

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

interface ActionSpec {
  schema: z.ZodType<Record<string, unknown>>;
  call: (service: QueueService, ctx: api.RequestContext, input: never) => Promise<unknown>;
}

function action<S extends z.ZodType<Record<string, unknown>>, I>(
  schema: S,
  call: (service: QueueService, ctx: api.RequestContext, input: I) => Promise<unknown>,
): ActionSpec {
  return { schema, call: call as ActionSpec['call'] };
}

// Inputs are cast to the service types after shape validation: members the shape leaves optional but
// the API requires are checked by the service, which answers MissingParameter like AWS.
export const SQS_ACTIONS: Record<string, ActionSpec> = {
  CreateQueue: action(
    z.object({ QueueName: str.optional(), Attributes: strMap.optional(), tags: strMap.optional() }),
    (s, ctx, i: api.CreateQueueInput) => s.createQueue(ctx, i),
  ),
  GetQueueUrl: action(
    z.object({ QueueName: str.optional(), QueueOwnerAWSAccountId: str.optional() }),
    (s, ctx, i: api.GetQueueUrlInput) => s.getQueueUrl(ctx, i),
  ),
  ListQueues: action(
    z.object({ QueueNamePrefix: str.optional(), NextToken: str.optional(), MaxResults: int.optional() }),
    (s, ctx, i: api.ListQueuesInput) => s.listQueues(ctx, i),
  ),
  DeleteQueue: action(z.object(queueUrl), (s, ctx, i: api.QueueUrlInput) => s.deleteQueue(ctx, i)),
  GetQueueAttributes: action(
    z.object({ ...queueUrl, AttributeNames: strList.optional() }),
    (s, ctx, i: api.GetQueueAttributesInput) => s.getQueueAttributes(ctx, i),
  ),
  SetQueueAttributes: action(
    z.object({ ...queueUrl, Attributes: strMap.optional() }),
    (s, ctx, i: api.SetQueueAttributesInput) => s.setQueueAttributes(ctx, i),
  ),
  SendMessage: action(z.object({ ...queueUrl, ...messageFields }), (s, ctx, i: api.SendMessageInput) =>
    s.sendMessage(ctx, i),
  ),
  SendMessageBatch: action(
    z.object({ ...queueUrl, Entries: entries(z.object({ Id: str.optional(), ...messageFields })) }),
    (s, ctx, i: api.SendMessageBatchInput) => s.sendMessageBatch(ctx, i),
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
    (s, ctx, i: api.ReceiveMessageInput) => s.receiveMessage(ctx, i),
  ),
  DeleteMessage: action(z.object({ ...queueUrl, ReceiptHandle: str.optional() }), (s, ctx, i: api.DeleteMessageInput) =>
    s.deleteMessage(ctx, i),
  ),
  DeleteMessageBatch: action(
    z.object({ ...queueUrl, Entries: entries(z.object({ Id: str.optional(), ReceiptHandle: str.optional() })) }),
    (s, ctx, i: api.DeleteMessageBatchInput) => s.deleteMessageBatch(ctx, i),
  ),
  ChangeMessageVisibility: action(
    z.object({ ...queueUrl, ReceiptHandle: str.optional(), VisibilityTimeout: int.optional() }),
    (s, ctx, i: api.ChangeMessageVisibilityInput) => s.changeMessageVisibility(ctx, i),
  ),
  ChangeMessageVisibilityBatch: action(
    z.object({
      ...queueUrl,
      Entries: entries(
        z.object({ Id: str.optional(), ReceiptHandle: str.optional(), VisibilityTimeout: int.optional() }),
      ),
    }),
    (s, ctx, i: api.ChangeMessageVisibilityBatchInput) => s.changeMessageVisibilityBatch(ctx, i),
  ),
  PurgeQueue: action(z.object(queueUrl), (s, ctx, i: api.QueueUrlInput) => s.purgeQueue(ctx, i)),
  TagQueue: action(z.object({ ...queueUrl, Tags: strMap.optional() }), (s, ctx, i: api.TagQueueInput) =>
    s.tagQueue(ctx, i),
  ),
  UntagQueue: action(z.object({ ...queueUrl, TagKeys: strList.optional() }), (s, ctx, i: api.UntagQueueInput) =>
    s.untagQueue(ctx, i),
  ),
  ListQueueTags: action(z.object(queueUrl), (s, ctx, i: api.QueueUrlInput) => s.listQueueTags(ctx, i)),
  ListDeadLetterSourceQueues: action(
    z.object({ ...queueUrl, NextToken: str.optional(), MaxResults: int.optional() }),
    (s, ctx, i: api.ListDeadLetterSourceQueuesInput) => s.listDeadLetterSourceQueues(ctx, i),
  ),
};

/** Actions of the SQS API that this server does not serve yet, answered with a clear error. */
const NOT_YET = new Set([
  'AddPermission',
  'RemovePermission',
  'StartMessageMoveTask',
  'ListMessageMoveTasks',
  'CancelMessageMoveTask',
]);

/** Validates the input's shape and runs the action. `input` is whatever the wire decoded. */
export async function runSqsAction(
  service: QueueService,
  ctx: api.RequestContext,
  name: string,
  input: unknown,
): Promise<object> {
  const spec = SQS_ACTIONS[name];
  if (!spec) {
    if (NOT_YET.has(name)) throw new AwsError('UnsupportedOperation', `${name} is not supported by this server yet.`);
    throw new AwsError('UnknownOperation', `The action ${name} is not valid for this endpoint.`);
  }
  const parsed = spec.schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the request';
    throw new AwsError('InvalidParameterValue', `Invalid type for ${where}: ${issue?.message ?? 'malformed input'}.`);
  }
  // The validated input itself goes on, not zod's copy: zod rebuilds maps by assignment, which turns a
  // member named `__proto__` (a valid attribute name) into a prototype. Required members, defaults and
  // ranges are the service's to check.
  return ((await spec.call(service, ctx, input as never)) as object | undefined) ?? {};
}
