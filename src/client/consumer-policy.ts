// The consumer's decisions that need no network and no clock: retry backoff with jitter, heartbeat timing within SQS's
// 12-hour visibility budget, the pause after failed or empty receives, and how a received batch splits into chains
// that must run in order (FIFO message groups). Every function here is pure; `random` is injectable for tests.
import type { Message } from '@aws-sdk/client-sqs';

/** SQS's ceiling on a message's visibility: 12 hours, counted from the receive that made it in flight. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** ReceiveMessage returns at most this many messages per call. */
export const MAX_RECEIVE_BATCH = 10;

/** How a retry delay is spread around its exponential ceiling. */
export type Jitter = 'full' | 'equal' | 'none';

export interface RetryPolicy {
  /** The first retry's ceiling, in seconds. */
  baseDelaySeconds: number;
  /** No retry waits longer, in seconds (at most 12 hours). */
  maxDelaySeconds: number;
  /**
   * `full`: uniform in [0, ceiling] (AWS's "full jitter": spreads retries of messages that failed together the most);
   * `equal`: uniform in [ceiling / 2, ceiling]; `none`: the ceiling itself.
   */
  jitter: Jitter;
}

/**
 * The exponential ceiling of the delay before the retry of a message that failed on its `receiveCount`-th receive:
 * `min(maxDelaySeconds, baseDelaySeconds * 2^(receiveCount - 1))`. A missing or nonsensical count counts as 1.
 */
export function backoffCeilingSeconds(receiveCount: number, policy: RetryPolicy): number {
  const n = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  const max = Math.min(Math.max(0, policy.maxDelaySeconds), MAX_VISIBILITY_TIMEOUT_SECONDS);
  const base = Math.max(0, policy.baseDelaySeconds);
  if (base === 0) return 0;
  // 2^52 already exceeds any allowed delay; capping the exponent keeps the product finite.
  return Math.min(max, base * 2 ** Math.min(n - 1, 52));
}

/**
 * The visibility timeout (whole seconds, as SQS takes it) to give a message that failed on its `receiveCount`-th
 * receive: its backoff ceiling, jittered as the policy says, rounded to a whole second. Always within
 * [0, min(maxDelaySeconds, 12 hours)]. `random` returns a number in [0, 1).
 */
export function retryDelaySeconds(
  receiveCount: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeilingSeconds(receiveCount, policy);
  const r = Math.min(Math.max(random(), 0), 1);
  let delay: number;
  switch (policy.jitter) {
    case 'none':
      delay = ceiling;
      break;
    case 'equal':
      delay = ceiling / 2 + (r * ceiling) / 2;
      break;
    default:
      delay = r * ceiling;
  }
  return Math.min(Math.max(0, Math.round(delay)), Math.floor(ceiling));
}

/**
 * `seconds`, cut so that a visibility timeout set `elapsedSeconds` after the receive does not reach past SQS's 12-hour
 * limit (which makes SQS refuse the change). One second of margin covers the difference between our clock's receive
 * time and SQS's. Never negative.
 */
export function withinVisibilityBudget(seconds: number, elapsedSeconds: number): number {
  const left = Math.floor(MAX_VISIBILITY_TIMEOUT_SECONDS - Math.max(0, elapsedSeconds)) - 1;
  return Math.max(0, Math.min(Math.floor(seconds), left));
}

/**
 * The default time between the starts of two heartbeats of a message: a third of its visibility timeout, so that
 * two heartbeats can fail or be late before the message reappears. Undefined (no heartbeats) when the visibility
 * timeout is under a second: such a message is visible again before any heartbeat could matter.
 */
export function defaultHeartbeatIntervalMs(visibilityTimeoutSeconds: number): number | undefined {
  if (!(visibilityTimeoutSeconds >= 1)) return undefined;
  return Math.floor((visibilityTimeoutSeconds * 1000) / 3);
}

/**
 * The visibility timeout a heartbeat sets `elapsedSeconds` after the receive: the message's full visibility timeout
 * again, from now, cut to the 12-hour budget. 0 means the budget is spent: stop extending (the message reappears
 * when its current timeout ends).
 */
export function heartbeatExtensionSeconds(elapsedSeconds: number, visibilityTimeoutSeconds: number): number {
  return withinVisibilityBudget(visibilityTimeoutSeconds, elapsedSeconds);
}

/**
 * The pause before the next receive after `consecutiveErrors` failed ones (network down, throttled, queue missing):
 * exponential from 250 ms up to 30 s, equal jitter so the pause is never near zero.
 */
export function receiveErrorDelayMs(consecutiveErrors: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(consecutiveErrors) || 1);
  const ceiling = Math.min(30_000, 250 * 2 ** Math.min(n - 1, 20));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling / 2 + (r * ceiling) / 2);
}

/**
 * After a receive that came back empty in `elapsedMs`, how long to wait before the next: long polls come back empty
 * only after their wait, so this is 0 for them; a short poll (`WaitTimeSeconds` 0) or a server that answers at once
 * would otherwise spin, so empty receives are spaced a second apart.
 */
export function emptyReceivePauseMs(elapsedMs: number): number {
  return Math.max(0, 1000 - elapsedMs);
}

/**
 * The long-poll wait of the next receive, in seconds. While messages wait in coalescing windows it ends no later
 * than the earliest window closes (`nextDueAt`; now when that is unknown: a window behind a group in flight), so that
 * a poll holding handler slots on a quiet queue does not keep a closed window's group from running for up to 20 s.
 */
export function receiveWaitSeconds(
  waitTimeSeconds: number,
  coalescing: { pending: number; nextDueAt: number | undefined } | undefined,
  now: number,
): number {
  if (!coalescing || coalescing.pending === 0) return waitTimeSeconds;
  const untilDue = Math.ceil(((coalescing.nextDueAt ?? now) - now) / 1000);
  return Math.min(waitTimeSeconds, Math.max(0, untilDue));
}

/**
 * How many messages to ask for in the next receive: as many as there are free handler slots, but no more than the
 * batch size and SQS's 10.
 */
export function receiveBatchSize(freeSlots: number, batchSize: number): number {
  return Math.max(0, Math.min(freeSlots, batchSize, MAX_RECEIVE_BATCH));
}

/** The FIFO message group of a message, if it has one (asked for with `MessageGroupId` in the receive). */
export function messageGroupOf(message: Message): string | undefined {
  return message.Attributes?.MessageGroupId;
}

/**
 * Splits what one receive returned into chains that must each run in order, one item after the other. On a FIFO
 * queue a receive may return several messages of one group, in order: they form one chain (in the order received),
 * so that a later one never runs before an earlier one has succeeded. Items without a group (`groupOf` gives
 * undefined: every message of a standard queue) are chains of their own.
 */
export function orderedChains<T>(items: readonly T[], groupOf: (item: T) => string | undefined): T[][] {
  const chains = new Map<string, T[]>();
  const out: T[][] = [];
  for (const item of items) {
    const group = groupOf(item);
    if (group === undefined) {
      out.push([item]);
      continue;
    }
    let chain = chains.get(group);
    if (!chain) {
      chain = [];
      chains.set(group, chain);
      out.push(chain);
    }
    chain.push(item);
  }
  return out;
}

/** What becomes of each message of a batch given to a batch handler. */
export interface BatchOutcome<T> {
  /** Handled: delete them. */
  succeeded: T[];
  /** Failed: retry them (or give up on them). */
  failed: T[];
  /** Not failed themselves, but after a failed message of their FIFO group: make them visible again at once. */
  released: T[];
}

/**
 * Sorts a batch (in the order received) by what the batch handler reported failed. In a FIFO group (`groupOf` gives
 * one), the messages after a failed one are released rather than deleted, even if the handler reported them handled:
 * deleting them would let them overtake the failed one and break the group's order (AWS Lambda treats FIFO batches
 * the same way).
 */
export function batchOutcome<T>(
  items: readonly T[],
  failed: (item: T) => boolean,
  groupOf: (item: T) => string | undefined,
): BatchOutcome<T> {
  const out: BatchOutcome<T> = { succeeded: [], failed: [], released: [] };
  const brokenGroups = new Set<string>();
  for (const item of items) {
    const group = groupOf(item);
    if (failed(item)) {
      out.failed.push(item);
      if (group !== undefined) brokenGroups.add(group);
    } else if (group !== undefined && brokenGroups.has(group)) {
      out.released.push(item);
    } else {
      out.succeeded.push(item);
    }
  }
  return out;
}

/** The `maxReceiveCount` of a queue's `RedrivePolicy` attribute (JSON), or undefined if it has none or it is unreadable. */
export function maxReceiveCountOf(redrivePolicy: string | undefined): number | undefined {
  if (!redrivePolicy) return undefined;
  try {
    const parsed: unknown = JSON.parse(redrivePolicy);
    if (typeof parsed !== 'object' || parsed === null || !('maxReceiveCount' in parsed)) return undefined;
    const n = Number(parsed.maxReceiveCount);
    return Number.isInteger(n) && n >= 1 ? n : undefined;
  } catch {
    return undefined;
  }
}
