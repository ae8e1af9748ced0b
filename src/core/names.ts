import { AwsError } from './errors.js';

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ACCOUNT_ID = /^\d{12}$/;

export function isFifoName(name: string): boolean {
  return name.endsWith('.fifo');
}

/** A FIFO queue's name ends in `.fifo`; a standard queue's name has no dot at all. */
export function validateQueueName(name: string, fifo = isFifoName(name)): void {
  const ok = fifo ? FIFO_QUEUE_NAME.test(name) : QUEUE_NAME.test(name);
  if (!ok) {
    throw new AwsError(
      'InvalidParameterValue',
      fifo
        ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
        : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
    );
  }
}

export function isValidBatchEntryId(id: string): boolean {
  return BATCH_ENTRY_ID.test(id);
}

export function isValidAccountId(id: string): boolean {
  return ACCOUNT_ID.test(id);
}

export function queueArn(region: string, accountId: string, name: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${name}`;
}

export interface ParsedQueueArn {
  region: string;
  accountId: string;
  name: string;
}

/** Parses `arn:aws:sqs:REGION:ACCOUNT:NAME` (any partition); undefined when it is not an SQS queue ARN. */
export function parseQueueArn(arn: string): ParsedQueueArn | undefined {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs') return undefined;
  const [, , , region = '', accountId = '', name = ''] = parts;
  if (!region || !accountId || !name) return undefined;
  return { region, accountId, name };
}

export interface ParsedQueueUrl {
  accountId: string;
  name: string;
}

/**
 * Resolves a queue URL by its last two path segments, ignoring scheme and host: SDKs send back whatever
 * URL we gave them, and proxies may change the host.
 */
export function parseQueueUrlPath(pathOrUrl: string): ParsedQueueUrl | undefined {
  let path = pathOrUrl;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl)) {
    try {
      path = new URL(pathOrUrl).pathname;
    } catch {
      return undefined;
    }
  }
  const segments = path.split('/').filter((s) => s.length > 0);
  if (segments.length < 2) return undefined;
  try {
    const name = decodeURIComponent(segments[segments.length - 1] as string);
    const accountId = decodeURIComponent(segments[segments.length - 2] as string);
    return { accountId, name };
  } catch {
    return undefined;
  }
}
