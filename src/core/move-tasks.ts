import { AwsError, invalidParameter } from './errors.js';

/** Largest `MaxNumberOfMessagesPerSecond`. */
export const MAX_MOVE_RATE = 500;

/** How many messages an unthrottled ("system optimized") task moves per step. */
export const UNTHROTTLED_BATCH = 500;

/** Task handles are opaque to clients; like AWS's, they carry the task id and its source. */
export function encodeTaskHandle(taskId: string, sourceArn: string): string {
  return Buffer.from(JSON.stringify({ taskId, sourceArn }), 'utf8').toString('base64');
}

export function decodeTaskHandle(handle: string): { taskId: string; sourceArn: string } {
  const invalid = () => new AwsError('InvalidParameterValue', 'Value for parameter TaskHandle is invalid.');
  if (!handle || !/^[A-Za-z0-9+/=]+$/.test(handle)) throw invalid();
  try {
    const parsed = JSON.parse(Buffer.from(handle, 'base64').toString('utf8')) as {
      taskId?: unknown;
      sourceArn?: unknown;
    };
    if (typeof parsed.taskId !== 'string' || typeof parsed.sourceArn !== 'string') throw invalid();
    return { taskId: parsed.taskId, sourceArn: parsed.sourceArn };
  } catch {
    throw invalid();
  }
}

export function validateMoveRate(rate: number | undefined): void {
  if (rate === undefined) return;
  if (!Number.isInteger(rate) || rate < 1 || rate > MAX_MOVE_RATE) {
    throw invalidParameter('MaxNumberOfMessagesPerSecond', rate, `Must be between 1 and ${MAX_MOVE_RATE}.`);
  }
}

/**
 * A token bucket for a throttled task: `rate` messages a second, at most one second's worth saved up.
 * Returns the new budget after `elapsedMs`; the caller spends whole messages from it.
 */
export function refillMoveBudget(budget: number, rate: number, elapsedMs: number): number {
  return Math.min(rate, budget + (rate * Math.max(0, elapsedMs)) / 1000);
}
