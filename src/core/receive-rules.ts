import { AwsError, invalidParameter } from './errors.js';
import { formatSequenceNumber } from './fifo-rules.js';
import { md5OfMessageAttributes } from './md5.js';
import type { MessageAttributes } from './message.js';
import { ALL_ATTRIBUTE_NAMES } from './queue-attributes.js';

/** The longest a message can stay invisible, counted from the receive that made it so. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** What a stored message looks like to the receive rules. */
export interface MessageState {
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  /** Time of the latest receive, the start of the 12-hour visibility ceiling. */
  receivedAt: number | null;
}

export type ClaimDecision = 'deliver' | 'dead-letter' | 'expire';

export interface ClaimPolicy {
  /** MessageRetentionPeriod in ms: older messages are gone. */
  retentionMs: number;
  /** maxReceiveCount of the queue's RedrivePolicy, when its DLQ exists. */
  maxReceiveCount?: number | undefined;
}

/**
 * Decides what happens to a visible message that a receive is about to take. A message already received
 * `maxReceiveCount` times would exceed it with this receive, so it moves to the DLQ instead.
 */
export function decideClaim(
  message: Pick<MessageState, 'sentAt' | 'receiveCount'> & { enqueuedAt?: number | null },
  now: number,
  policy: ClaimPolicy,
): ClaimDecision {
  // Retention counts from when the message entered this queue: its send, unless it was moved here later.
  if (now - (message.enqueuedAt ?? message.sentAt) >= policy.retentionMs) return 'expire';
  if (policy.maxReceiveCount !== undefined && message.receiveCount >= policy.maxReceiveCount) return 'dead-letter';
  return 'deliver';
}

export type MessageStatus = 'visible' | 'in-flight' | 'delayed';

/** A message is in flight after a receive until its visibility ends; before any receive it may be delayed. */
export function messageStatus(message: Pick<MessageState, 'visibleAt' | 'receiveCount'>, now: number): MessageStatus {
  if (message.visibleAt <= now) return 'visible';
  return message.receiveCount > 0 ? 'in-flight' : 'delayed';
}

export interface ReceiveParams {
  MaxNumberOfMessages?: number | undefined;
  VisibilityTimeout?: number | undefined;
  WaitTimeSeconds?: number | undefined;
}

export interface ResolvedReceive {
  max: number;
  visibilityTimeoutSeconds: number;
  waitTimeSeconds: number;
}

/** Checks ReceiveMessage's ranges and fills defaults from the queue, with AWS's error texts. */
export function resolveReceiveParams(
  params: ReceiveParams,
  queueDefaults: { visibilityTimeout: number; receiveMessageWaitTimeSeconds: number },
  maxWaitTimeSeconds: number,
): ResolvedReceive {
  const max = params.MaxNumberOfMessages ?? 1;
  if (!Number.isInteger(max) || max < 1 || max > 10) {
    throw invalidParameter('MaxNumberOfMessages', max, 'Must be between 1 and 10, if provided.');
  }
  const wait = params.WaitTimeSeconds ?? queueDefaults.receiveMessageWaitTimeSeconds;
  if (!Number.isInteger(wait) || wait < 0 || wait > maxWaitTimeSeconds) {
    throw invalidParameter('WaitTimeSeconds', wait, `Must be >= 0 and <= ${maxWaitTimeSeconds}, if provided.`);
  }
  const visibility = params.VisibilityTimeout ?? queueDefaults.visibilityTimeout;
  if (!Number.isInteger(visibility) || visibility < 0 || visibility > MAX_VISIBILITY_SECONDS) {
    throw invalidParameter(
      'VisibilityTimeout',
      visibility,
      `Must be >= 0 and <= ${MAX_VISIBILITY_SECONDS}, if provided.`,
    );
  }
  return { max, visibilityTimeoutSeconds: visibility, waitTimeSeconds: wait };
}

export type VisibilityChange = { visibleAt: number };

/**
 * Rules of ChangeMessageVisibility for a handle that matches the message's latest receive:
 * the new timeout counts from now, and may not reach past 12 hours after that receive.
 */
export function decideVisibilityChange(
  message: MessageState,
  now: number,
  timeoutSeconds: number,
  rawHandle: string,
): VisibilityChange {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0 || timeoutSeconds > MAX_VISIBILITY_SECONDS) {
    throw invalidParameter('VisibilityTimeout', timeoutSeconds, `Must be >= 0 and <= ${MAX_VISIBILITY_SECONDS}.`);
  }
  if (message.receiveCount === 0 || message.visibleAt <= now || message.receivedAt === null) {
    throw new AwsError(
      'MessageNotInflight',
      `The message referred to by receipt handle ${rawHandle} is not in flight.`,
    );
  }
  const visibleAt = now + timeoutSeconds * 1000;
  if (visibleAt - message.receivedAt > MAX_VISIBILITY_SECONDS * 1000) {
    throw invalidParameter(
      'VisibilityTimeout',
      timeoutSeconds,
      `Total VisibilityTimeout for the message is beyond the limit [${MAX_VISIBILITY_SECONDS} seconds]`,
    );
  }
  return { visibleAt };
}

export function staleHandleForVisibility(rawHandle: string): AwsError {
  return invalidParameter(
    'ReceiptHandle',
    rawHandle,
    'Message does not exist or is not available for visibility timeout change.',
  );
}

export const MESSAGE_SYSTEM_ATTRIBUTE_NAMES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
] as const;

/**
 * Union of `AttributeNames` (deprecated, typed as queue attribute names) and `MessageSystemAttributeNames`:
 * clients such as sqs-consumer send both.
 */
export function resolveSystemAttributeNames(
  attributeNames: readonly string[] | undefined,
  systemAttributeNames: readonly string[] | undefined,
): Set<string> {
  const wanted = new Set<string>();
  for (const name of [...(attributeNames ?? []), ...(systemAttributeNames ?? [])]) {
    if (name === 'All') {
      for (const n of MESSAGE_SYSTEM_ATTRIBUTE_NAMES) wanted.add(n);
    } else if ((MESSAGE_SYSTEM_ATTRIBUTE_NAMES as readonly string[]).includes(name)) {
      wanted.add(name);
    } else if (!ALL_ATTRIBUTE_NAMES.includes(name)) {
      throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return wanted;
}

export interface DeliveredMessageFacts {
  senderId: string;
  sentAt: number;
  receiveCount: number;
  firstReceiveAt: number | null;
  traceHeader?: string | undefined;
  deadLetterSourceArn?: string | undefined;
  groupId?: string | undefined;
  dedupId?: string | undefined;
  /** FIFO sequence counter. */
  sequence?: number | undefined;
}

/** The system attributes a receive returns, as strings, in the order AWS lists them. */
export function renderSystemAttributes(
  facts: DeliveredMessageFacts,
  wanted: ReadonlySet<string>,
): Record<string, string> {
  const all: Record<string, string | undefined> = {
    SenderId: facts.senderId,
    SentTimestamp: String(facts.sentAt),
    ApproximateReceiveCount: String(facts.receiveCount),
    ApproximateFirstReceiveTimestamp: facts.firstReceiveAt === null ? undefined : String(facts.firstReceiveAt),
    SequenceNumber: facts.sequence === undefined ? undefined : formatSequenceNumber(facts.sequence),
    MessageDeduplicationId: facts.dedupId,
    MessageGroupId: facts.groupId,
    AWSTraceHeader: facts.traceHeader,
    DeadLetterQueueSourceArn: facts.deadLetterSourceArn,
  };
  return Object.fromEntries(
    Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined && wanted.has(entry[0])),
  );
}

/** Filters message attributes by `MessageAttributeNames`: exact names, `All`, `.*`, or `prefix.*`. */
export function selectMessageAttributes(
  attributes: MessageAttributes,
  requested: readonly string[] | undefined,
): { attributes: MessageAttributes; md5: string | undefined } {
  let out: MessageAttributes = {};
  if (requested && requested.length > 0) {
    const all = requested.includes('All') || requested.includes('.*');
    const prefixes = requested.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -1));
    // fromEntries defines own properties, so a (valid) attribute named __proto__ stays an attribute.
    out = Object.fromEntries(
      Object.entries(attributes).filter(
        ([name]) => all || requested.includes(name) || prefixes.some((p) => name.startsWith(p)),
      ),
    );
  }
  return { attributes: out, md5: md5OfMessageAttributes(out) };
}
