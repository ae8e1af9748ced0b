import { createHash } from 'node:crypto';
import { AwsError, invalidParameter, missingParameter } from './errors.js';
import type { QueueAttributeValues } from './queue-attributes.js';

/**
 * FIFO queue rules.
 *
 * Delivery order and the group lock, which every store engine implements when it claims messages of a
 * FIFO queue: candidates are taken in send order (sequence); a message group is closed for the whole
 * receive while any of its messages is in flight, or while a message sent before the candidate is not
 * yet visible (delayed); an open group may give several messages to one receive, in order.
 */

/** How long a deduplication id is remembered. */
export const DEDUP_WINDOW_MS = 5 * 60 * 1000;

/** Alphanumeric and punctuation, 1 to 128 characters: the rule for group ids, dedup ids and attempt ids. */
const TOKEN = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

function checkToken(parameter: string, value: string): void {
  if (!TOKEN.test(value)) {
    throw invalidParameter(
      parameter,
      value,
      `${parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
}

export interface FifoSendFields {
  MessageBody: string;
  DelaySeconds?: number | undefined;
  MessageGroupId?: string | undefined;
  MessageDeduplicationId?: string | undefined;
}

export interface FifoIdentity {
  groupId: string;
  dedupId: string;
  /** The key the dedup window is kept under: the id alone, or with its group when DeduplicationScope is messageGroup. */
  dedupKey: string;
}

/** Checks a send to a FIFO queue and works out its group and deduplication identity. */
export function fifoIdentity(message: FifoSendFields, attributes: QueueAttributeValues): FifoIdentity {
  if (message.DelaySeconds !== undefined && message.DelaySeconds !== 0) {
    throw invalidParameter(
      'DelaySeconds',
      message.DelaySeconds,
      'The request include parameter that is not valid for this queue type.',
    );
  }
  const groupId = message.MessageGroupId;
  if (groupId === undefined || groupId === '') throw missingParameter('MessageGroupId');
  checkToken('MessageGroupId', groupId);
  let dedupId = message.MessageDeduplicationId;
  if (dedupId === undefined || dedupId === '') {
    if (attributes.ContentBasedDeduplication !== 'true') {
      throw new AwsError(
        'InvalidParameterValue',
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    }
    // Content-based deduplication hashes the body only, not the attributes.
    dedupId = createHash('sha256').update(message.MessageBody, 'utf8').digest('hex');
  } else {
    checkToken('MessageDeduplicationId', dedupId);
  }
  const dedupKey = attributes.DeduplicationScope === 'messageGroup' ? JSON.stringify([groupId, dedupId]) : dedupId;
  return { groupId, dedupId, dedupKey };
}

/**
 * Sequence numbers are large decimal strings that only grow within a queue; clients treat them as opaque
 * and compare them as numbers. An offset keeps them the same length as AWS's (20 digits).
 */
export function formatSequenceNumber(counter: number): string {
  return (10_000_000_000_000_000_000n + BigInt(counter)).toString();
}

export const FIFO_DEFAULT_ATTRIBUTES: Readonly<QueueAttributeValues> = Object.freeze({
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
});

/** Cross-attribute rule: a per-group throughput limit needs per-group deduplication. */
export function checkFifoAttributeConsistency(attributes: QueueAttributeValues): void {
  if (attributes.FifoThroughputLimit === 'perMessageGroupId' && attributes.DeduplicationScope !== 'messageGroup') {
    throw new AwsError(
      'InvalidAttributeValue',
      'Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only when DeduplicationScope is messageGroup.',
    );
  }
}
