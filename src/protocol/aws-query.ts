import { randomUUID } from 'node:crypto';
import type { AwsError } from '../core/errors.js';
import type { RequestContext } from '../services/sqs-api.js';
import {
  COMMON_QUERY_ERRORS,
  decodeMembers,
  formAction,
  formTree,
  type InMembers,
  inShapes,
  type OutMembers,
  type OutShape,
  outShapes,
  type QueryAction,
  queryErrorResponse,
  queryResponse,
} from './query-codec.js';
import { runSqsAction, type SqsServices } from './sqs-actions.js';
import type { WireResponse } from './wire.js';

/**
 * The AWS Query protocol for SQS (form-encoded request, XML response), as older clients speak it:
 * Debian's AWS CLI 2.9, botocore < 1.34.90, the JS SDK v2, the Java SDK v1. A thin adapter: it decodes the
 * flattened form into the same input objects the JSON adapter hands to `runSqsAction`, and writes the
 * output object as AWS's XML. Names, flattening and result wrappers follow the Query-era SQS model
 * (botocore 1.32.6; see /work/shared/notes/sqs-query-model-dump.txt).
 */

export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

// ---- request shapes --------------------------------------------------------------------------------

// Lists and maps are flattened: `Name.N` / `Name.N.Key`.
const { string: S, integer: I, list, map, struct, at } = inShapes;

const attributeValueIn = struct({
  DataType: S,
  StringValue: S,
  BinaryValue: S,
  StringListValues: at('StringListValue', list(S)),
  BinaryListValues: at('BinaryListValue', list(S)),
});
const messageFieldsIn: InMembers = {
  MessageBody: S,
  DelaySeconds: I,
  MessageAttributes: at('MessageAttribute', map('Name', 'Value', attributeValueIn)),
  MessageSystemAttributes: at('MessageSystemAttribute', map('Name', 'Value', attributeValueIn)),
  MessageDeduplicationId: S,
  MessageGroupId: S,
};
const queueAttributesIn = at('Attribute', map('Name', 'Value', S));
const tagsIn = at('Tag', map('Key', 'Value', S));
const queueUrlIn: InMembers = { QueueUrl: S };

// ---- response shapes -------------------------------------------------------------------------------

// Flattened: one `<item>` per element, no container; maps as `<item><Key/><Value/></item>`.
const { scalar: T, list: oList, struct: oStruct } = outShapes;
const oMap = (item: string, key: string, of: OutShape) => outShapes.map(item, key, 'Value', of);

const attributeValueOut = oStruct({
  StringValue: T,
  BinaryValue: T,
  StringListValues: oList('StringListValue', T),
  BinaryListValues: oList('BinaryListValue', T),
  DataType: T,
});
const messageOut = oStruct({
  MessageId: T,
  ReceiptHandle: T,
  MD5OfBody: T,
  Body: T,
  Attributes: oMap('Attribute', 'Name', T),
  MD5OfMessageAttributes: T,
  MessageAttributes: oMap('MessageAttribute', 'Name', attributeValueOut),
});
const sendResultMembers: OutMembers = {
  MessageId: T,
  MD5OfMessageBody: T,
  MD5OfMessageAttributes: T,
  MD5OfMessageSystemAttributes: T,
  SequenceNumber: T,
};
const batchErrorOut = oStruct({ Id: T, SenderFault: T, Code: T, Message: T });
const batchOut = (entry: string, members: OutMembers): OutMembers => ({
  Successful: oList(entry, oStruct(members)),
  Failed: oList('BatchResultErrorEntry', batchErrorOut),
});

// ---- the actions -----------------------------------------------------------------------------------

/**
 * Every action the Query protocol can name. Actions not (yet) in SQS_ACTIONS (AddPermission, RemovePermission)
 * are decoded all the same and answered by `runSqsAction`, so they work here as soon as the service has them.
 */
const QUERY_ACTIONS = new Map<string, QueryAction>([
  ['CreateQueue', { input: { QueueName: S, Attributes: queueAttributesIn, tags: tagsIn }, output: { QueueUrl: T } }],
  ['GetQueueUrl', { input: { QueueName: S, QueueOwnerAWSAccountId: S }, output: { QueueUrl: T } }],
  [
    'ListQueues',
    {
      input: { QueueNamePrefix: S, NextToken: S, MaxResults: I },
      output: { QueueUrls: oList('QueueUrl', T), NextToken: T },
    },
  ],
  ['DeleteQueue', { input: queueUrlIn }],
  [
    'GetQueueAttributes',
    {
      input: { ...queueUrlIn, AttributeNames: at('AttributeName', list(S)) },
      output: { Attributes: oMap('Attribute', 'Name', T) },
    },
  ],
  ['SetQueueAttributes', { input: { ...queueUrlIn, Attributes: queueAttributesIn } }],
  ['SendMessage', { input: { ...queueUrlIn, ...messageFieldsIn }, output: sendResultMembers }],
  [
    'SendMessageBatch',
    {
      input: {
        ...queueUrlIn,
        Entries: at('SendMessageBatchRequestEntry', list(struct({ Id: S, ...messageFieldsIn }))),
      },
      output: batchOut('SendMessageBatchResultEntry', { Id: T, ...sendResultMembers }),
    },
  ],
  [
    'ReceiveMessage',
    {
      input: {
        ...queueUrlIn,
        AttributeNames: at('AttributeName', list(S)),
        MessageSystemAttributeNames: at('MessageSystemAttributeName', list(S)),
        MessageAttributeNames: at('MessageAttributeName', list(S)),
        MaxNumberOfMessages: I,
        VisibilityTimeout: I,
        WaitTimeSeconds: I,
        ReceiveRequestAttemptId: S,
      },
      output: { Messages: oList('Message', messageOut) },
    },
  ],
  ['DeleteMessage', { input: { ...queueUrlIn, ReceiptHandle: S } }],
  [
    'DeleteMessageBatch',
    {
      input: {
        ...queueUrlIn,
        Entries: at('DeleteMessageBatchRequestEntry', list(struct({ Id: S, ReceiptHandle: S }))),
      },
      output: batchOut('DeleteMessageBatchResultEntry', { Id: T }),
    },
  ],
  ['ChangeMessageVisibility', { input: { ...queueUrlIn, ReceiptHandle: S, VisibilityTimeout: I } }],
  [
    'ChangeMessageVisibilityBatch',
    {
      input: {
        ...queueUrlIn,
        Entries: at(
          'ChangeMessageVisibilityBatchRequestEntry',
          list(struct({ Id: S, ReceiptHandle: S, VisibilityTimeout: I })),
        ),
      },
      output: batchOut('ChangeMessageVisibilityBatchResultEntry', { Id: T }),
    },
  ],
  ['PurgeQueue', { input: queueUrlIn }],
  ['TagQueue', { input: { ...queueUrlIn, Tags: tagsIn } }],
  ['UntagQueue', { input: { ...queueUrlIn, TagKeys: at('TagKey', list(S)) } }],
  ['ListQueueTags', { input: queueUrlIn, output: { Tags: oMap('Tag', 'Key', T) } }],
  [
    'ListDeadLetterSourceQueues',
    {
      input: { ...queueUrlIn, NextToken: S, MaxResults: I },
      output: { queueUrls: oList('QueueUrl', T), NextToken: T },
    },
  ],
  [
    'AddPermission',
    {
      input: {
        ...queueUrlIn,
        Label: S,
        AWSAccountIds: at('AWSAccountId', list(S)),
        Actions: at('ActionName', list(S)),
      },
    },
  ],
  ['RemovePermission', { input: { ...queueUrlIn, Label: S } }],
  [
    'StartMessageMoveTask',
    { input: { SourceArn: S, DestinationArn: S, MaxNumberOfMessagesPerSecond: I }, output: { TaskHandle: T } },
  ],
  [
    'ListMessageMoveTasks',
    {
      input: { SourceArn: S, MaxResults: I },
      output: {
        Results: oList(
          'ListMessageMoveTasksResultEntry',
          oStruct({
            TaskHandle: T,
            Status: T,
            SourceArn: T,
            DestinationArn: T,
            MaxNumberOfMessagesPerSecond: T,
            ApproximateNumberOfMessagesMoved: T,
            ApproximateNumberOfMessagesToMove: T,
            FailureReason: T,
            StartedTimestamp: T,
          }),
        ),
      },
    },
  ],
  ['CancelMessageMoveTask', { input: { TaskHandle: S }, output: { ApproximateNumberOfMessagesMoved: T } }],
]);

/** The actions this adapter decodes (for tests: it must cover every action of SQS_ACTIONS). */
export const SQS_QUERY_ACTIONS: readonly string[] = [...QUERY_ACTIONS.keys()];

// ---- the adapter -----------------------------------------------------------------------------------

/**
 * Answers one Query request. `params` holds the form (query string and body merged); `path` is the request
 * path, which names the queue when the form has no QueueUrl (`POST /000000000000/name`, as the Java SDK v1
 * does). Errors are thrown as AwsError, to be written with `sqsQueryError`.
 */
export async function handleSqsQuery(
  services: SqsServices,
  ctx: RequestContext,
  params: URLSearchParams,
  path: string,
  requestId: string = randomUUID(),
): Promise<WireResponse> {
  const form = formTree(params);
  const [action, spec] = formAction(form, QUERY_ACTIONS);
  // `Version` (and any signature parameters of presigned or SigV2 requests) are not members: they are ignored.
  const input = decodeMembers(spec.input, form, '', COMMON_QUERY_ERRORS);
  if (
    Object.hasOwn(spec.input, 'QueueUrl') &&
    input.QueueUrl === undefined &&
    path.split('/').filter(Boolean).length >= 2
  ) {
    input.QueueUrl = path;
  }
  const output = await runSqsAction(services, ctx, action, input);
  return queryResponse(SQS_XML_NAMESPACE, action, spec, output, requestId);
}

/** AWS's Query wording where it differs from the JSON protocol's. */
function queryMessage(error: AwsError): string {
  if (error.code === 'QueueDoesNotExist') return 'The specified queue does not exist for this wsdl version.';
  return error.message;
}

export function sqsQueryError(error: AwsError, requestId: string): WireResponse {
  return queryErrorResponse(SQS_XML_NAMESPACE, error, queryMessage(error), requestId, '<Detail/>');
}
