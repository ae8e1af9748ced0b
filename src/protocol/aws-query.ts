import { randomUUID } from 'node:crypto';
import { AwsError, invalidParameter, missingParameter } from '../core/errors.js';
import type { RequestContext } from '../services/sqs-api.js';
import { runSqsAction, type SqsServices } from './sqs-actions.js';
import type { WireResponse } from './wire.js';
import { element, textElement } from './xml.js';

/**
 * The AWS Query protocol for SQS (form-encoded request, XML response), as older clients speak it:
 * Debian's AWS CLI 2.9, botocore < 1.34.90, the JS SDK v2, the Java SDK v1. A thin adapter: it decodes the
 * flattened form into the same input objects the JSON adapter hands to `runSqsAction`, and writes the
 * output object as AWS's XML. Names, flattening and result wrappers follow the Query-era SQS model
 * (botocore 1.32.6; see /work/shared/notes/sqs-query-model-dump.txt).
 */

export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';

// ---- request shapes --------------------------------------------------------------------------------

/** How a member is spelled in the form. Lists and maps are flattened: `Name.N` / `Name.N.Key`. */
type InShape =
  | { kind: 'string' }
  | { kind: 'integer' }
  /** `Item.1`, `Item.2`, … each decoded as `of` (the member's wire name is the item's). */
  | { kind: 'list'; of: InShape }
  /** `Loc.N.{key}` / `Loc.N.{value}` pairs, the value decoded as `of`. */
  | { kind: 'map'; key: string; value: string; of: InShape }
  | { kind: 'structure'; members: InMembers };

/** A member and the name it has on the wire, when that differs from the member name. */
interface Located {
  kind: 'at';
  wire: string;
  shape: InShape;
}
type InMembers = Record<string, InShape | Located>;

const S: InShape = { kind: 'string' };
const I: InShape = { kind: 'integer' };
const list = (of: InShape): InShape => ({ kind: 'list', of });
const map = (key: string, value: string, of: InShape): InShape => ({ kind: 'map', key, value, of });
const struct = (members: InMembers): InShape => ({ kind: 'structure', members });
const at = (wire: string, shape: InShape): Located => ({ kind: 'at', wire, shape });

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

type OutShape =
  | { kind: 'scalar' }
  /** Flattened: one `<item>` per element, no container. */
  | { kind: 'list'; item: string; of: OutShape }
  /** Flattened: one `<item><key/><value/></item>` per entry. */
  | { kind: 'map'; item: string; key: string; value: string; of: OutShape }
  | { kind: 'structure'; members: OutMembers };
/** Members in the order AWS writes them. Members missing here but present as scalars are written too. */
type OutMembers = Record<string, OutShape>;

const T: OutShape = { kind: 'scalar' };
const oList = (item: string, of: OutShape): OutShape => ({ kind: 'list', item, of });
const oMap = (item: string, key: string, of: OutShape): OutShape => ({ kind: 'map', item, key, value: 'Value', of });
const oStruct = (members: OutMembers): OutShape => ({ kind: 'structure', members });

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

interface QueryAction {
  input: InMembers;
  /** The members of `<{Action}Result>`; actions without output have no Result element at all. */
  output?: OutMembers;
}

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

// ---- decoding --------------------------------------------------------------------------------------

/** The form as a tree of its dotted keys: `A.1.Name=x` is root → A → 1 → Name = x. */
interface FormNode {
  value?: string;
  children?: Map<string, FormNode>;
}

function formTree(params: URLSearchParams): FormNode {
  const root: FormNode = {};
  for (const [key, value] of params) {
    let node = root;
    for (const part of key.split('.')) {
      node.children ??= new Map();
      let next = node.children.get(part);
      if (!next) {
        next = {};
        node.children.set(part, next);
      }
      node = next;
    }
    node.value = value; // a repeated key: the last one wins
  }
  return root;
}

/** The numbered children of a node (`.1`, `.2`, …) in numeric order. */
function numbered(node: FormNode): [string, FormNode][] {
  return [...(node.children ?? [])].filter(([key]) => /^\d+$/.test(key)).sort(([a], [b]) => Number(a) - Number(b));
}

const join = (where: string, name: string) => (where === '' ? name : `${where}.${name}`);

function parseInteger(text: string, where: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw invalidParameter(where, text, 'Must be an integer.');
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw invalidParameter(where, text, 'The value is out of range.');
  return value;
}

function decodeMembers(members: InMembers, node: FormNode | undefined, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(members)) {
    const wire = member.kind === 'at' ? member.wire : name;
    const shape = member.kind === 'at' ? member.shape : member;
    const value = decode(shape, node?.children?.get(wire), join(where, wire));
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function decode(shape: InShape, node: FormNode | undefined, where: string): unknown {
  if (!node) return undefined;
  switch (shape.kind) {
    case 'string':
      return node.value;
    case 'integer':
      return node.value === undefined ? undefined : parseInteger(node.value, where);
    case 'structure':
      return decodeMembers(shape.members, node, where);
    case 'list': {
      const items = numbered(node)
        .map(([i, child]) => decode(shape.of, child, `${where}.${i}`))
        .filter((item) => item !== undefined);
      return items.length > 0 ? items : undefined;
    }
    case 'map': {
      const entries = numbered(node).map(([i, child]): [string, unknown] => {
        const key = child.children?.get(shape.key)?.value;
        if (key === undefined) throw missingParameter(`${where}.${i}.${shape.key}`);
        const valueWhere = `${where}.${i}.${shape.value}`;
        const valueNode = child.children?.get(shape.value);
        if (shape.of.kind === 'structure') return [key, decode(shape.of, valueNode, valueWhere) ?? {}];
        const value = decode(shape.of, valueNode, valueWhere);
        if (value === undefined) throw missingParameter(valueWhere);
        return [key, value];
      });
      // Object.fromEntries defines own properties: a key named `__proto__` stays data.
      return entries.length > 0 ? Object.fromEntries(entries) : undefined;
    }
  }
}

// ---- encoding --------------------------------------------------------------------------------------

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

function encodeMembers(members: OutMembers, value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const record = value as Record<string, unknown>;
  let xml = '';
  for (const [name, shape] of Object.entries(members)) {
    if (Object.hasOwn(record, name)) xml += encodeMember(name, shape, record[name]);
  }
  // Members the table does not know yet still reach the client when they are plain values.
  for (const [name, member] of Object.entries(record)) {
    if (!Object.hasOwn(members, name)) xml += encodeMember(name, T, member);
  }
  return xml;
}

function encodeMember(name: string, shape: OutShape, value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (shape.kind) {
    case 'scalar': {
      const text = scalarText(value);
      return text === undefined ? '' : textElement(name, text);
    }
    case 'structure':
      return element(name, encodeMembers(shape.members, value));
    case 'list':
      if (!Array.isArray(value)) return '';
      return value.map((item) => encodeMember(shape.item, shape.of, item)).join('');
    case 'map':
      if (typeof value !== 'object') return '';
      return Object.entries(value as Record<string, unknown>)
        .map(([key, item]) =>
          element(shape.item, textElement(shape.key, key) + encodeMember(shape.value, shape.of, item)),
        )
        .join('');
  }
}

// ---- the adapter -----------------------------------------------------------------------------------

const xmlResponse = (status: number, body: string): WireResponse => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: `<?xml version="1.0"?>${body}`,
});

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
  const action = form.children?.get('Action')?.value;
  if (action === undefined || action === '') {
    throw new AwsError('InvalidAction', 'The request must contain the parameter Action.');
  }
  const spec = QUERY_ACTIONS.get(action);
  if (!spec) throw new AwsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
  // `Version` (and any signature parameters of presigned or SigV2 requests) are not members: they are ignored.
  const input = decodeMembers(spec.input, form, '');
  if (
    Object.hasOwn(spec.input, 'QueueUrl') &&
    input.QueueUrl === undefined &&
    path.split('/').filter(Boolean).length >= 2
  ) {
    input.QueueUrl = path;
  }
  const output = await runSqsAction(services, ctx, action, input);
  const result = spec.output ? element(`${action}Result`, encodeMembers(spec.output, output)) : '';
  return xmlResponse(
    200,
    `<${action}Response xmlns="${SQS_XML_NAMESPACE}">${result}` +
      `<ResponseMetadata>${textElement('RequestId', requestId)}</ResponseMetadata></${action}Response>`,
  );
}

/** AWS's Query wording where it differs from the JSON protocol's. */
function queryMessage(error: AwsError): string {
  if (error.code === 'QueueDoesNotExist') return 'The specified queue does not exist for this wsdl version.';
  return error.message;
}

export function sqsQueryError(error: AwsError, requestId: string): WireResponse {
  const { spec } = error;
  return xmlResponse(
    spec.status,
    `<ErrorResponse xmlns="${SQS_XML_NAMESPACE}"><Error>` +
      textElement('Type', spec.fault) +
      textElement('Code', spec.queryCode) +
      textElement('Message', queryMessage(error)) +
      '<Detail/></Error>' +
      textElement('RequestId', requestId) +
      '</ErrorResponse>',
  );
}
