import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AwsError, missingParameter } from '../core/errors.js';
import {
  checkMoveDestination,
  decodeTaskHandle,
  encodeTaskHandle,
  type MoveEnd,
  refillMoveBudget,
  UNTHROTTLED_BATCH,
  validateMoveRate,
} from '../core/move-tasks.js';
import { parseQueueArn, queueArn } from '../core/names.js';
import { redrivePolicyOf } from '../core/queue-attributes.js';
import type { MoveTaskRecord, QueueRecord, Store } from '../store/types.js';
import { BackgroundLoop } from './background-loop.js';
import type { RequestContext } from './sqs-api.js';
import type { WakeupSignal } from './wakeups.js';

export interface StartMessageMoveTaskInput {
  SourceArn: string;
  DestinationArn?: string | undefined;
  MaxNumberOfMessagesPerSecond?: number | undefined;
}

export interface ListMessageMoveTasksInput {
  SourceArn: string;
  MaxResults?: number | undefined;
}

export interface MoveTaskEntry {
  TaskHandle?: string;
  Status: string;
  SourceArn: string;
  DestinationArn?: string;
  MaxNumberOfMessagesPerSecond?: number;
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  FailureReason?: string;
  StartedTimestamp: number;
}

export interface MoveTaskServiceOptions {
  store: Store;
  clock: Clock;
  wakeups: WakeupSignal;
  /** Region of this server's ARNs: the worker resolves dead-letter sources by ARN. */
  region: string;
  /** How often the worker moves a step. @defaultValue 100 */
  tickMs?: number;
}

const NONEXISTENT_QUEUE = 'AWS.SimpleQueueService.NonExistentQueue';

/** A queue as the move rules of `core/move-tasks.ts` see it. */
export const moveEnd = (queue: Pick<QueueRecord, 'id' | 'attributes'>): MoveEnd => ({
  id: queue.id,
  fifo: queue.attributes.FifoQueue === 'true',
});

/**
 * Message move tasks (DLQ redrive): the API and the background worker that carries tasks out. Every step
 * is one store transaction with the task's progress, so a task survives a crash and resumes on start.
 */
export class MoveTaskService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly wakeups: WakeupSignal;
  private readonly region: string;
  private readonly tickMs: number;
  private readonly loop: BackgroundLoop;
  /** Throttle state per task: a cache, rebuilt after a restart. */
  private readonly budgets = new Map<string, { budget: number; at: number }>();

  constructor(options: MoveTaskServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.wakeups = options.wakeups;
    this.region = options.region;
    this.tickMs = options.tickMs ?? 100;
    this.loop = new BackgroundLoop(() => this.step(), this.tickMs);
  }

  private async queueByArn(arn: string, parameter: 'SourceArn' | 'DestinationArn'): Promise<QueueRecord> {
    const parsed = parseQueueArn(arn);
    const queue = parsed && parsed.region === this.region && (await this.store.getQueue(parsed.accountId, parsed.name));
    if (!queue) {
      throw new AwsError(
        'ResourceNotFoundException',
        `The resource that you specified for the ${parameter} parameter doesn't exist.`,
      );
    }
    return queue;
  }

  private arnOf(queue: Pick<QueueRecord, 'accountId' | 'name'>): string {
    return queueArn(this.region, queue.accountId, queue.name);
  }

  async start(_ctx: RequestContext, input: StartMessageMoveTaskInput): Promise<{ TaskHandle: string }> {
    if (!input.SourceArn) throw missingParameter('SourceArn');
    validateMoveRate(input.MaxNumberOfMessagesPerSecond);
    const source = await this.queueByArn(input.SourceArn, 'SourceArn');
    const sourceArn = this.arnOf(source);
    const isDeadLetterQueue = (await this.store.allQueues()).some(
      (q) => redrivePolicyOf(q.attributes)?.deadLetterTargetArn === sourceArn,
    );
    if (!isDeadLetterQueue) {
      throw new AwsError('InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.');
    }
    if (input.DestinationArn) {
      const destination = await this.queueByArn(input.DestinationArn, 'DestinationArn');
      checkMoveDestination(moveEnd(source), moveEnd(destination));
    }
    const { task, created } = await this.store.createMoveTask({
      id: randomUUID(),
      sourceQueueId: source.id,
      sourceArn,
      destinationArn: input.DestinationArn || undefined,
      maxPerSecond: input.MaxNumberOfMessagesPerSecond,
      startedAt: this.clock.now(),
    });
    if (!created) {
      throw new AwsError(
        'InvalidParameterValue',
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    this.kick();
    return { TaskHandle: encodeTaskHandle(task.id, sourceArn) };
  }

  async list(_ctx: RequestContext, input: ListMessageMoveTasksInput): Promise<{ Results: MoveTaskEntry[] }> {
    if (!input.SourceArn) throw missingParameter('SourceArn');
    const max = input.MaxResults ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new AwsError(
        'InvalidParameterValue',
        `Value ${max} for parameter MaxResults is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    }
    const source = await this.queueByArn(input.SourceArn, 'SourceArn');
    const tasks = await this.store.listMoveTasks(this.arnOf(source), max);
    return { Results: tasks.map((t) => this.entry(t)) };
  }

  async cancel(
    _ctx: RequestContext,
    input: { TaskHandle: string },
  ): Promise<{ ApproximateNumberOfMessagesMoved: number }> {
    if (!input.TaskHandle) throw missingParameter('TaskHandle');
    const { taskId } = decodeTaskHandle(input.TaskHandle);
    const task = await this.store.getMoveTask(taskId);
    if (!task) throw new AwsError('ResourceNotFoundException', 'Task does not exist.');
    if (task.status !== 'RUNNING') {
      throw new AwsError('ResourceNotFoundException', `Task is ${task.status}: only a RUNNING task can be cancelled.`);
    }
    const finished = await this.store.finishMoveTask(taskId, 'CANCELLED', this.clock.now());
    return { ApproximateNumberOfMessagesMoved: finished?.moved ?? task.moved };
  }

  private entry(task: MoveTaskRecord): MoveTaskEntry {
    const entry: MoveTaskEntry = {
      Status: task.status,
      SourceArn: task.sourceArn,
      ApproximateNumberOfMessagesMoved: task.moved,
      ApproximateNumberOfMessagesToMove: task.toMove,
      StartedTimestamp: task.startedAt,
    };
    if (task.status === 'RUNNING') entry.TaskHandle = encodeTaskHandle(task.id, task.sourceArn);
    if (task.destinationArn) entry.DestinationArn = task.destinationArn;
    if (task.maxPerSecond !== undefined) entry.MaxNumberOfMessagesPerSecond = task.maxPerSecond;
    if (task.failureReason) entry.FailureReason = task.failureReason;
    return entry;
  }

  // ---- the worker ------------------------------------------------------------------------------

  /** Starts the worker; RUNNING tasks left by an earlier process resume. */
  startWorker(): void {
    this.loop.start();
  }

  stopWorker(): Promise<void> {
    return this.loop.stop();
  }

  /** Runs a step now; an unthrottled task with more to move gets the next at once. */
  private kick(): void {
    this.loop.kick();
  }

  /**
   * One step of every running task: moves what its throttle allows. Resolves true when an unthrottled
   * task moved a full batch, so more is waiting. Exposed for tests.
   */
  async step(): Promise<boolean> {
    let busy = false;
    const tasks = await this.store.runningMoveTasks();
    if (tasks.length === 0) {
      this.budgets.clear();
      return busy;
    }
    const byArn = new Map((await this.store.allQueues()).map((q) => [this.arnOf(q), q.id]));
    for (const task of tasks) {
      const now = this.clock.now();
      let limit = UNTHROTTLED_BATCH;
      let state: { budget: number; at: number } | undefined;
      if (task.maxPerSecond !== undefined) {
        const previous = this.budgets.get(task.id) ?? { budget: 0, at: now - this.tickMs };
        state = { budget: refillMoveBudget(previous.budget, task.maxPerSecond, now - previous.at), at: now };
        this.budgets.set(task.id, state);
        limit = Math.floor(state.budget);
        if (limit === 0) continue;
      }
      const fixed = task.destinationArn;
      const result = await this.store.moveMessages({
        taskId: task.id,
        now,
        limit,
        newMessageId: randomUUID,
        destinationFor: (origin) => {
          const arn = fixed ?? origin;
          if (arn === undefined) return 'skip';
          return byArn.get(arn) ?? 'missing';
        },
      });
      if (state) state.budget -= result.moved;
      else if (result.moved === limit && !result.done) busy = true;
      for (const queueId of result.destinations) this.wakeups.notify(queueId);
      if (result.missingDestination) {
        await this.store.finishMoveTask(task.id, 'FAILED', now, NONEXISTENT_QUEUE);
      } else if (result.done && result.task?.status === 'RUNNING') {
        await this.store.finishMoveTask(task.id, 'COMPLETED', now);
      }
      if (result.task?.status !== 'RUNNING' || result.done) this.budgets.delete(task.id);
    }
    return busy;
  }
}
