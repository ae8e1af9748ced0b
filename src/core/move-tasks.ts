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

/** The two ends of a move, as the destination rules see them. */
export interface MoveEnd {
  id: number;
  fifo: boolean;
}

/**
 * Why a queue cannot take messages moved from `source`, if it cannot: as StartMessageMoveTask says it. A move goes to
 * another queue of the same type (a FIFO queue's messages carry groups and sequence numbers a standard queue lacks).
 */
export function moveDestinationProblem(source: MoveEnd, destination: MoveEnd): string | undefined {
  if (destination.id === source.id) return 'The destination queue must be different from the source queue.';
  if (destination.fifo !== source.fifo) return 'The destination queue must be of the same type as the source queue.';
  return undefined;
}

/** Throws the InvalidParameterValue StartMessageMoveTask answers when `destination` cannot take `source`'s messages. */
export function checkMoveDestination(source: MoveEnd, destination: MoveEnd): void {
  const problem = moveDestinationProblem(source, destination);
  if (problem !== undefined) throw new AwsError('InvalidParameterValue', problem);
}

/**
 * A token bucket for a throttled task: `rate` messages a second, at most one second's worth saved up.
 * Returns the new budget after `elapsedMs`; the caller spends whole messages from it.
 */
export function refillMoveBudget(budget: number, rate: number, elapsedMs: number): number {
  return Math.min(rate, budget + (rate * Math.max(0, elapsedMs)) / 1000);
}
