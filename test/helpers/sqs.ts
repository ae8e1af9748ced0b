// SDK-side helpers for the integration tests: unique queue names, SDK error assertions and the few calls
// (create a queue, read its attributes, counts and ARN, receive everything) that many tests make.
import assert from 'node:assert/strict';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';

let counter = 0;
/** A queue name no other test of this file uses: `<prefix>-<n>`. */
export const uniq = (prefix: string) => `${prefix}-${++counter}`;

/** What the SDK rejects with when the server answers with an error. */
export interface SdkError extends Error {
  Code?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Asserts that `promise` rejects with an SDK error called `name`. `check` is either a function that runs extra
 * checks on the error, or the expected message (a string must be equal, a RegExp must match); with `status`, the
 * HTTP status must be that.
 */
export async function rejectsWith(
  promise: Promise<unknown>,
  name: string,
  check?: ((e: SdkError) => void) | string | RegExp,
  status?: number,
): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof Error, 'expected an Error');
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    if (typeof check === 'function') check(e as SdkError);
    else if (typeof check === 'string') assert.equal(e.message, check);
    else if (check) assert.match(e.message, check);
    if (status !== undefined) assert.equal((e as SdkError).$metadata?.httpStatusCode, status);
    return true;
  });
}

export async function createQueue(
  sqs: SQSClient,
  name: string,
  Attributes?: Record<string, string>,
  tags?: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes, tags }));
  assert.ok(QueueUrl, 'CreateQueue returned no QueueUrl');
  return QueueUrl;
}

/** GetQueueAttributes for `names` (all by default); the attributes, or {} if none came back. */
export async function queueAttributes(
  sqs: SQSClient,
  QueueUrl: string,
  names: string[] = ['All'],
): Promise<Record<string, string>> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names as QueueAttributeName[] }),
  );
  return out.Attributes ?? {};
}

/** The QueueArn attribute of a queue (asserted to be there). */
export async function queueArnOf(sqs: SQSClient, QueueUrl: string): Promise<string> {
  const arn = (await queueAttributes(sqs, QueueUrl, ['QueueArn'])).QueueArn;
  assert.ok(arn);
  return arn;
}

/** The three approximate message counts as the server wrote them: strings, undefined where missing. */
export async function countAttributes(
  sqs: SQSClient,
  QueueUrl: string,
): Promise<{ visible: string | undefined; notVisible: string | undefined; delayed: string | undefined }> {
  const a = await queueAttributes(sqs, QueueUrl, [
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
    'ApproximateNumberOfMessagesDelayed',
  ]);
  return {
    visible: a.ApproximateNumberOfMessages,
    notVisible: a.ApproximateNumberOfMessagesNotVisible,
    delayed: a.ApproximateNumberOfMessagesDelayed,
  };
}

/** The three approximate message counts as numbers (NaN where missing). */
export async function counts(
  sqs: SQSClient,
  QueueUrl: string,
): Promise<{ visible: number; notVisible: number; delayed: number }> {
  const c = await countAttributes(sqs, QueueUrl);
  return { visible: Number(c.visible), notVisible: Number(c.notVisible), delayed: Number(c.delayed) };
}

/** Visible and in-flight messages (NaN where missing). */
export async function depth(sqs: SQSClient, QueueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const a = await queueAttributes(sqs, QueueUrl, [
    'ApproximateNumberOfMessages',
    'ApproximateNumberOfMessagesNotVisible',
  ]);
  return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible) };
}

/**
 * Receives every message of a queue, 10 at a time and hidden for `VisibilityTimeout` seconds, while fewer than
 * `max` have come and until two receives in all have come back empty. `extra` adds to each ReceiveMessage.
 */
export async function drain(
  sqs: SQSClient,
  QueueUrl: string,
  {
    VisibilityTimeout,
    max,
    extra = {},
  }: { VisibilityTimeout: number; max: number; extra?: Partial<ReceiveMessageCommandInput> },
): Promise<Message[]> {
  const out: Message[] = [];
  let empty = 0;
  while (out.length < max && empty < 2) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout, ...extra }),
    );
    if (Messages.length === 0) empty += 1;
    out.push(...Messages);
  }
  return out;
}

/**
 * The helpers above that take a client, bound to `client()`: for a test file with one server whose client exists
 * only once its `before` hook has run.
 */
export function sqsHelpers(client: () => SQSClient) {
  return {
    createQueue: (name: string, Attributes?: Record<string, string>, tags?: Record<string, string>) =>
      createQueue(client(), name, Attributes, tags),
    queueAttributes: (QueueUrl: string, names?: string[]) => queueAttributes(client(), QueueUrl, names),
    queueArnOf: (QueueUrl: string) => queueArnOf(client(), QueueUrl),
    countAttributes: (QueueUrl: string) => countAttributes(client(), QueueUrl),
    counts: (QueueUrl: string) => counts(client(), QueueUrl),
    depth: (QueueUrl: string) => depth(client(), QueueUrl),
  };
}
