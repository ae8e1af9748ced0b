/**
 * EventBridge's retry policy for targets that cannot take an event now: how long to wait before the next
 * attempt, and when to give up and send the event to the target's dead-letter queue.
 *
 * AWS documents the defaults (24 hours, 185 retries, exponential backoff with jitter) but not the curve.
 * Here the n-th retry waits a uniformly random time up to min(cap, base * 2^(n-1)) ("full jitter"), with
 * base 1 s and cap 15 min by default: 185 retries then take about a day, so the two defaults run out at
 * about the same time, as AWS's do.
 */

export const DEFAULT_MAX_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;
export const MIN_EVENT_AGE_SECONDS = 60;

/** The ERROR_CODE values AWS puts on dead-lettered events that this server can produce. */
export type DeliveryErrorCode =
  | 'CONNECTION_FAILURE'
  | 'ERROR_FROM_TARGET'
  | 'INVALID_PARAMETER'
  | 'NO_RESOURCE'
  | 'THROTTLING'
  | 'TIMEOUT'
  | 'INTERNAL_ERROR';

export interface DeliveryFailure {
  code: DeliveryErrorCode;
  message: string;
  /** Whether trying again can help: a missing resource or a refused request cannot. */
  retryable: boolean;
}

export type ExhaustedRetryCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

export interface RetryPolicy {
  maxRetryAttempts: number;
  maxEventAgeSeconds: number;
}

export interface BackoffSettings {
  baseMs: number;
  capMs: number;
}

export type RetryDecision =
  | { kind: 'retry'; at: number }
  | { kind: 'dead-letter'; exhausted?: ExhaustedRetryCondition | undefined };

/** Delay before retry number `retry` (1 for the first retry), given a random number in [0, 1). */
export function backoffDelay(retry: number, backoff: BackoffSettings, random: number): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(retry - 1, 40));
  return Math.floor(random * ceiling);
}

/**
 * What to do after attempt number `attempts` (1 for the first) failed: try again at some time, or give up.
 * The event's age counts from `firstAt`, its ingestion; a retry that would fall after the age limit is not
 * made.
 */
export function decideAfterFailure(input: {
  failure: DeliveryFailure;
  attempts: number;
  firstAt: number;
  now: number;
  policy: RetryPolicy;
  backoff: BackoffSettings;
  random: number;
}): RetryDecision {
  const { failure, attempts, policy } = input;
  if (!failure.retryable) return { kind: 'dead-letter' };
  if (attempts - 1 >= policy.maxRetryAttempts) return { kind: 'dead-letter', exhausted: 'MaximumRetryAttempts' };
  const at = input.now + backoffDelay(attempts, input.backoff, input.random);
  if (at - input.firstAt > policy.maxEventAgeSeconds * 1000) {
    return { kind: 'dead-letter', exhausted: 'MaximumEventAgeInSeconds' };
  }
  return { kind: 'retry', at };
}

/** How an HTTP target's answer is judged, as EventBridge judges API destinations: 429 and 5xx are retried. */
export function httpFailure(status: number): DeliveryFailure | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 429) return { code: 'THROTTLING', message: `The target answered HTTP ${status}.`, retryable: true };
  return {
    code: 'ERROR_FROM_TARGET',
    message: `The target answered HTTP ${status}.`,
    retryable: status >= 500 || status === 408,
  };
}
