import { invalidParameter } from './errors.js';
import type { MessageAttributes } from './message.js';

/**
 * Rules of the operators' view of messages (the console's peek), which SQS lacks: a message's state without receiving
 * it, and why it failed when EventBridge dead-lettered it.
 */

/**
 * Where a message stands at `now`. `delayed`: never received and not visible yet; `in-flight`: received and not
 * visible again yet. As GetQueueAttributes counts them (ApproximateNumberOfMessagesDelayed / NotVisible).
 */
export type MessageVisibilityState = 'visible' | 'in-flight' | 'delayed';

export function messageVisibilityState(
  message: { visibleAt: number; receiveCount: number },
  now: number,
): MessageVisibilityState {
  if (message.visibleAt <= now) return 'visible';
  return message.receiveCount > 0 ? 'in-flight' : 'delayed';
}

/** The failure EventBridge recorded on a dead-lettered event, read back from the message attributes it added. */
export interface TargetFailure {
  code?: string | undefined;
  message: string;
  ruleArn?: string | undefined;
  targetArn?: string | undefined;
}

/**
 * The target failure of a message EventBridge dead-lettered (ERROR_CODE, ERROR_MESSAGE, RULE_ARN, TARGET_ARN, as
 * `planDeadLetter` writes them and AWS documents them); undefined for any other message. A producer may send
 * attributes of those names too: only a message with both ERROR_CODE and ERROR_MESSAGE is taken for one.
 */
export function targetFailureOf(attributes: MessageAttributes): TargetFailure | undefined {
  const text = (name: string) => {
    const value = attributes[name];
    return value?.DataType.startsWith('String') ? value.StringValue : undefined;
  };
  const code = text('ERROR_CODE');
  const message = text('ERROR_MESSAGE');
  if (code === undefined || message === undefined) return undefined;
  return { code, message, ruleArn: text('RULE_ARN'), targetArn: text('TARGET_ARN') };
}

/** Where a page of peeked messages ends: the send time and `seq` of its last message. */
export interface PeekPosition {
  sentAt: number;
  seq: number;
}

/** Peek cursors are opaque to callers: the position of the last message of the previous page. */
export function encodePeekCursor(position: PeekPosition): string {
  return Buffer.from(JSON.stringify({ t: position.sentAt, s: position.seq }), 'utf8').toString('base64url');
}

export function decodePeekCursor(cursor: string): PeekPosition {
  const invalid = () => invalidParameter('after', cursor, 'Not a cursor this queue gave out.');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { t, s } = (decoded ?? {}) as { t?: unknown; s?: unknown };
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s) || (s as number) < 0) throw invalid();
  return { sentAt: t as number, seq: s as number };
}
