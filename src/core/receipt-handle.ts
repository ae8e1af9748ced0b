import { randomBytes } from 'node:crypto';
import { AwsError } from './errors.js';

/**
 * A receipt handle names one receive of one message: the queue, the message and a random token that
 * changes on every receive. It is opaque to clients; we can tell a malformed handle from a stale one.
 */
export interface ReceiptHandle {
  queueId: number;
  seq: number;
  token: string;
}

const PREFIX = 'SY1';

export function newReceiptToken(): string {
  return randomBytes(12).toString('hex');
}

export function encodeReceiptHandle(handle: ReceiptHandle): string {
  return Buffer.from(`${PREFIX}:${handle.queueId}:${handle.seq}:${handle.token}`, 'utf8').toString('base64');
}

export function invalidReceiptHandle(raw: string): AwsError {
  return new AwsError('ReceiptHandleIsInvalid', `The input receipt handle "${raw}" is not a valid receipt handle.`);
}

/** Decodes a handle; throws ReceiptHandleIsInvalid for anything we did not issue. */
export function decodeReceiptHandle(raw: string): ReceiptHandle {
  if (raw.length === 0 || raw.length > 1024 || !/^[A-Za-z0-9+/=_-]+$/.test(raw)) throw invalidReceiptHandle(raw);
  const parts = Buffer.from(raw, 'base64').toString('utf8').split(':');
  if (parts.length !== 4 || parts[0] !== PREFIX) throw invalidReceiptHandle(raw);
  const [, queueText = '', seqText = '', token = ''] = parts;
  const queueId = Number(queueText);
  const seq = Number(seqText);
  if (
    !/^(0|[1-9]\d*)$/.test(queueText) ||
    !/^(0|[1-9]\d*)$/.test(seqText) ||
    !Number.isSafeInteger(queueId) ||
    !Number.isSafeInteger(seq) ||
    !/^[0-9a-f]{24}$/.test(token)
  ) {
    throw invalidReceiptHandle(raw);
  }
  return { queueId, seq, token };
}
