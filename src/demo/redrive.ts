// The redrive after the fix: a message move task (SQS StartMessageMoveTask) per dead-letter queue that holds
// messages, each moving them back to the queue they came from, followed with ListMessageMoveTasks to its end.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { moveTaskFinder } from '../cli/move-task-tracking.js';
import type { QueueRef } from './topology.js';

const POLL_MS = 250;

export interface MoveTaskResult {
  /** The dead-letter queue emptied. */
  dlq: string;
  /** COMPLETED, FAILED, CANCELLED, or RUNNING when it was left (interrupted). */
  status: string;
  moved: number;
  toMove: number;
  failureReason?: string;
  /** Seconds the task took, from the start request to the status seen last. */
  seconds: number;
}

export interface QueueDepth {
  visible: number;
  notVisible: number;
}

export async function queueDepth(sqs: SQSClient, url: string): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    notVisible: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Waits until each dead-letter queue holds at least the messages expected of it, or the time is up. */
export async function waitForDeadLetters(
  sqs: SQSClient,
  expected: { dlq: QueueRef; count: number }[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted) {
    let all = true;
    for (const { dlq, count } of expected) {
      if (count <= 0) continue;
      const depth = await queueDepth(sqs, dlq.url);
      if (depth.visible + depth.notVisible < count) all = false;
    }
    if (all) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return false;
}

/** Moves a dead-letter queue's messages back to their source queues and follows the task until it ends. */
export async function redriveQueue(sqs: SQSClient, dlq: QueueRef, signal: AbortSignal): Promise<MoveTaskResult> {
  const started = Date.now();
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
  const ours = moveTaskFinder(TaskHandle);
  let last: ListMessageMoveTasksResultEntry | undefined;
  for (;;) {
    if (signal.aborted && TaskHandle && last?.Status === 'RUNNING') {
      try {
        await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
      } catch {
        // It may have ended meanwhile.
      }
    }
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }));
    const entry = ours(Results);
    if (entry) last = entry;
    if (entry && entry.Status !== 'RUNNING' && entry.Status !== 'CANCELLING') break;
    if (signal.aborted && !entry) break;
    await sleep(POLL_MS);
  }
  return {
    dlq: dlq.name,
    status: last?.Status ?? 'UNKNOWN',
    moved: last?.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: last?.ApproximateNumberOfMessagesToMove ?? 0,
    ...(last?.FailureReason ? { failureReason: last.FailureReason } : {}),
    seconds: (Date.now() - started) / 1000,
  };
}
