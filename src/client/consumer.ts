// The consumer of switchyard/client: long-polls an SQS queue (AWS's or Switchyard's: it uses nothing but the SQS API)
// and runs a handler per message, or per batch, with a bounded number in flight.
//
// Guarantees, stated plainly. Delivery is at least once: a message is deleted only after its handler succeeded, so
// it runs again (possibly on another consumer) when the handler fails, when the process dies, when the delete fails,
// or when it runs past its visibility timeout without a heartbeat getting through. Several consumers, in one process
// or many, can share a queue: SQS's visibility timeout keeps a message with one of them at a time; nothing here
// assumes it is alone.
//
// - Receiving: `ceil(concurrency / batchSize)` long-poll loops (at most 10) that each ask for no more messages than
//   there are free handler slots, so at most `concurrency` messages wait to run or run at once (a message whose
//   handler has finished gives its slot back while its delete or visibility change goes out). A failed receive
//   is reported through `error` and retried after a pause that grows to 30 s; the consumer never throws from its loops.
// - Heartbeats: while a message is being handled its visibility timeout is set again, from now, every
//   `heartbeatIntervalSeconds` (a third of the visibility timeout by default), so a slow handler does not hand the
//   message to another consumer; never past SQS's 12 hours from the receive.
// - Success: the message is deleted (deletes finishing together go out as one DeleteMessageBatch).
// - Failure: the message is hidden for an exponential backoff with jitter, `min(maxDelay, base * 2^(receiveCount-1))`,
//   and received again after it; the queue's RedrivePolicy moves it to its dead-letter queue once it has been
//   received `maxReceiveCount` times. A failure on the last receive the policy allows makes the message visible at
//   once, so it reaches the dead-letter queue without waiting out a backoff.
// - Permanent failures (the handler threw a PermanentError, see `permanent()`; or, with `event`/`events`, the body is
//   no valid event of a definition): the handler is not run again. SQS has no call that dead-letters a message, so
//   the consumer makes it visible at once: each further receive (by this consumer: it remembers the message) makes it
//   visible again without running the handler, until the queue's `maxReceiveCount` moves it to the dead-letter queue
//   (within `maxReceiveCount` quick receives, no backoff waits). Another consumer instance that receives it meanwhile
//   runs its handler once more. A queue without RedrivePolicy has nowhere to put it: the message is then hidden for
//   `maxDelaySeconds` on each receive, and stays in the queue until its retention period ends.
// - FIFO queues: the messages of one group that a receive returns run one after the other, in order; when one fails,
//   the later ones of its group in that receive are made visible again without running, so the group's order holds.
// - Shutdown (`stop()`, or SIGTERM/SIGINT with `handleSignals`): receiving stops at once (the long poll under way is
//   aborted), messages received but not started are made visible again at once, and handlers under way get until
//   the deadline to finish (and be deleted or retried). Handlers still running at the deadline are abandoned: their
//   `signal` aborts, their heartbeats stop and their messages keep their visibility timeout, so they come back when it
//   ends; the consumer starts no SQS call after `stop()` resolves. Aborting a long poll only hangs up on it: a
//   message that reaches the queue in the instant before the service notices may still be given to the aborted poll,
//   and comes back after its visibility timeout.
// - The queue's VisibilityTimeout, RedrivePolicy and FifoQueue are read once, at start (GetQueueAttributes). If that
//   fails (no permission, say) it is reported through `error` and the consumer goes on with SQS's default visibility
//   timeout of 30 s (or `visibilityTimeout`) and no known dead-letter queue.
//
// - Autoscaling (`concurrency: { min, max }`): every `intervalMs` the backlog is read and the concurrency set as
//   consumer-scaling.ts decides. Receive loops are sized for `max`; those without free slots wait.
// - Coalescing (`coalesce`): a decoded message about an entity goes into the Coalescer's window for that entity
//   instead of to the handler. It gives its slot back (concurrency bounds handler calls, `maxHeld` bounds the
//   messages waiting) and its heartbeat keeps it hidden. When a window closes the group takes a slot, the handler
//   runs once with the latest, and the group is settled together: all deleted on success (with the held messages the
//   success made stale), all hidden for the latest's backoff on failure. Per-message handlers on standard queues only:
//   holding some of a FIFO group's messages would reorder the group.
//
// The per-message pipeline is decode → (idempotency check) → (coalescing window) → run → settle.
import { GetQueueAttributesCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { type CoalescedGroup, Coalescer } from './coalescing.js';
import {
  type DeleteBatcher,
  deleteBatcher,
  isLostHandle,
  type VisibilityBatcher,
  visibilityBatcher,
} from './consumer-batch.js';
import {
  type BatchHandler,
  type BatchItem,
  type BatchResult,
  type CoalesceOptions,
  type ConsumableEvent,
  type ConsumeBaseOptions,
  type EntityVersion,
  type EventOf,
  type Handlers,
  type IdempotencyOptions,
  type MessageContext,
  type MessageHandler,
  type PermanentFailureReason,
  type Resolved,
  type RetryOptions,
  resolveOptions,
  Undecodable,
} from './consumer-options.js';
import {
  batchOutcome,
  defaultHeartbeatIntervalMs,
  emptyReceivePauseMs,
  heartbeatExtensionSeconds,
  maxReceiveCountOf,
  messageGroupOf,
  orderedChains,
  receiveBatchSize,
  receiveErrorDelayMs,
  receiveWaitSeconds,
  retryDelaySeconds,
  withinVisibilityBudget,
} from './consumer-policy.js';
import { type AutoscalingOptions, BusyMeter, nextConcurrency, type ScalingPolicy } from './consumer-scaling.js';
import { LatencyWindow } from './consumer-stats.js';
import { SwitchyardClientError } from './errors.js';
import type { RecordedFailure } from './switchyard-failures.js';

export type { Jitter } from './consumer-policy.js';
export type {
  AutoscalingOptions,
  BatchHandler,
  BatchItem,
  BatchResult,
  CoalesceOptions,
  ConsumableEvent,
  ConsumeBaseOptions,
  EntityVersion,
  EventOf,
  Handlers,
  IdempotencyOptions,
  MessageContext,
  MessageHandler,
  PermanentFailureReason,
  RetryOptions,
};

// ---------------------------------------------------------------------------------------------------------------
// Public types

/**
 * Thrown by a handler (or wrapped around what it would throw, with `permanent(err)`): the message can never succeed,
 * so it is not retried but sent towards the dead-letter queue at once (see the notes at the top of this module).
 */
export class PermanentError extends SwitchyardClientError {
  constructor(message: string, options?: ErrorOptions) {
    super('PERMANENT_FAILURE', message, options);
  }
}

/** `error` as a PermanentError (itself if it is one), keeping it as the `cause`: `throw permanent(err)`. */
export function permanent(error: unknown): PermanentError {
  if (error instanceof PermanentError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PermanentError(message, { cause: error });
}

/** Whether a handler's error marks its message as never to be retried. */
export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError || (error instanceof Error && error.name === 'PermanentError');
}

export interface MessageInfo {
  messageId: string;
  receiveCount: number;
  message: Message;
}

export interface ConsumerEvents {
  /** A handler succeeded (the delete follows; its failure is reported through `error`). */
  message_processed: [info: MessageInfo & { durationMs: number }];
  /** A handler threw (or a batch handler reported the message failed); `retry` or `permanent_failure` follows. */
  processing_error: [error: unknown, info: MessageInfo];
  /** A failed message will be received again after `delaySeconds`. */
  retry: [info: MessageInfo & { error: unknown; delaySeconds: number }];
  /**
   * The consumer gave up on a message. `deadLetterQueue`: whether the queue has one it will reach (visibility 0);
   * if not, the message was hidden for `maxDelaySeconds`.
   */
  permanent_failure: [info: MessageInfo & { error: unknown; reason: PermanentFailureReason; deadLetterQueue: boolean }];
  /** A heartbeat extended a message's visibility to `visibilityTimeout` seconds from now. */
  heartbeat: [info: MessageInfo & { visibilityTimeout: number; elapsedMs: number }];
  /** A message already handled (its key in the idempotency store) was deleted without calling the handler. */
  duplicate: [info: MessageInfo & { key: string }];
  /**
   * With `coalesce`: a handler call for the entity `key` succeeded with the message `messageId` (version `version`),
   * and the older messages `superseded` were deleted with it, unhandled.
   */
  coalesced: [info: { key: string; version: number; messageId: string; superseded: string[] }];
  /** With `coalesce`: a message was deleted unhandled, a version at least as new (`applied`) having been applied. */
  skipped: [info: MessageInfo & { key: string; version: number; applied: number }];
  /** Autoscaling changed the concurrency, from the `backlog` and handler latency it read. */
  concurrency: [
    info: { from: number; to: number; backlog: number | undefined; busy: number; latencyMs: number | undefined },
  ];
  /** Something failed outside the handlers: a receive, delete, visibility change, or a listener that threw. */
  error: [error: Error, info: { operation: ConsumerOperation; messageId?: string }];
  /** `stop()` finished; `abandoned` handlers were still running at the deadline. */
  stopped: [info: { timedOut: boolean; abandoned: number }];
}

export type ConsumerOperation =
  | 'get_queue_attributes'
  | 'receive'
  | 'delete'
  | 'change_visibility'
  | 'heartbeat'
  | 'release'
  | 'listener'
  | 'idempotency'
  | 'autoscale'
  | 'coalesce'
  | 'failure_log'
  | 'internal';

export interface ConsumerStats {
  /** Messages whose handler succeeded. */
  handled: number;
  /** Handler failures, including messages that were no valid event. */
  failed: number;
  /** Failures hidden for a backoff, to be received again. */
  retried: number;
  /** Messages given up on, on a queue with a dead-letter queue: made visible at once for it to take them. */
  deadLettered: number;
  /** Messages deleted without a handler call, their key being in the idempotency store (already handled). */
  duplicates: number;
  /** Messages made visible again without being handled (at shutdown, or after a failure earlier in their FIFO group). */
  released: number;
  /** With `coalesce`: messages settled with their entity's newer version, whose handler call was saved. */
  coalesced: number;
  /** With `coalesce`: messages deleted unhandled because a version at least as new had been applied. */
  skipped: number;
  /** Messages held: received and not yet deleted, retried or released. */
  inFlight: number;
  /** Handlers running (for a batch handler: the messages of the batches running). */
  running: number;
  /** The concurrency in force (it moves between `min` and `max` with autoscaling). */
  concurrency: number;
  /** With `coalesce`: messages waiting for their entity's window to close. */
  coalescing: number;
  /** Handler durations over the latest 1024 handler runs, in milliseconds (undefined before the first). */
  latencyMs: { p50: number | undefined; p99: number | undefined; samples: number };
}

export interface Consumer {
  /** Starts receiving (reads the queue's attributes first); resolves once the receive loops run. */
  start(): Promise<void>;
  /** Stops gracefully (see the module notes); resolves when done. Calling it again returns the same promise. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** Between `start()` and `stop()`. */
  readonly running: boolean;
  on<K extends keyof ConsumerEvents>(event: K, listener: (...args: ConsumerEvents[K]) => void): this;
  off<K extends keyof ConsumerEvents>(event: K, listener: (...args: ConsumerEvents[K]) => void): this;
  stats(): ConsumerStats;
}

// ---------------------------------------------------------------------------------------------------------------
// consume()

/** A consumer of the EventBridge events of one kind: bodies are parsed and validated by `event`. */
export function consume<D extends ConsumableEvent>(
  options: ConsumeBaseOptions & { event: D; events?: undefined } & Handlers<EventOf<D>>,
): Consumer;
/** A consumer of EventBridge events of several kinds: each body is parsed by the definition that matches it. */
export function consume<const Ds extends readonly ConsumableEvent[]>(
  options: ConsumeBaseOptions & { events: Ds; event?: undefined } & Handlers<EventOf<Ds[number]>>,
): Consumer;
/** A consumer of raw SQS messages. */
export function consume(
  options: ConsumeBaseOptions & { event?: undefined; events?: undefined } & Handlers<Message>,
): Consumer;
export function consume(
  options: ConsumeBaseOptions & { event?: ConsumableEvent; events?: readonly ConsumableEvent[] } & Handlers<never>,
): Consumer {
  return new SqsConsumer(options);
}

// ---------------------------------------------------------------------------------------------------------------
// Implementation

/** A received message while the consumer holds it. */
interface Held extends MessageInfo {
  receiptHandle: string;
  /** Our clock just before the receive call: the visibility timeout started at or after this. */
  receivedAt: number;
  settled: boolean;
  /** The message's key in the idempotency store, once decoded (when the consumer has one). */
  idempotencyKey?: string | undefined;
  /** Whether the message takes a concurrency slot (not while it waits in a coalescing window). */
  slot: boolean;
  /** The handler's input, kept while the message waits in a coalescing window. */
  input?: unknown;
  /** The entity and version it was coalesced by. */
  entity?: EntityVersion;
  /**
   * Its delete or closing visibility change has been sent: a receive that returns the message from now on is a new
   * delivery (another receive loop can get a message made visible before the change's answer is back), not a
   * visibility timeout that ran out while it was held.
   */
  lettingGo?: boolean;
  heartbeat: {
    timer: NodeJS.Timeout | undefined;
    beat: Promise<void> | undefined;
    started: boolean;
    stopped: boolean;
    /** Stopped because SQS no longer took the receipt handle. */
    lost: boolean;
  };
}

const RECEIVE_ATTRIBUTES = [
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SentTimestamp',
  'MessageGroupId',
  'SequenceNumber',
  'MessageDeduplicationId',
] as const;

/** Messages given up on that this consumer remembers, so that it does not run their handler again. */
const GIVEN_UP_MEMORY = 10_000;

/** A queue's visibility timeout when its attributes cannot be read (SQS's default). */
const DEFAULT_VISIBILITY_TIMEOUT = 30;

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** The error a batch handler's `failed` list stands for. */
function reportedFailed(messageId: string): Error {
  const error = new Error(`The batch handler reported message ${messageId} failed`);
  error.name = 'BatchItemFailure';
  return error;
}

/**
 * What the failure log records of a handler's error: its `code` (a string, or a number as text) or else its `name`, and
 * its message. A `permanent(err)` is recorded as `err`: its own code would only say "permanent".
 */
function loggedFailure(messageId: string, error: unknown): RecordedFailure {
  const shown = isPermanent(error) && error instanceof Error && error.cause !== undefined ? error.cause : error;
  if (typeof shown !== 'object' || shown === null) return { messageId, message: String(shown) };
  const { code, name, message } = shown as { code?: unknown; name?: unknown; message?: unknown };
  const label =
    typeof code === 'string' && code !== ''
      ? code
      : typeof code === 'number'
        ? String(code)
        : typeof name === 'string' && name !== ''
          ? name
          : undefined;
  return {
    messageId,
    ...(label !== undefined ? { code: label } : {}),
    message: typeof message === 'string' ? message : String(shown),
  };
}

/** The ids a batch handler's result reports failed (none unless it is a `{ failed: string[] }`). */
function failedIdsOf(result: unknown): string[] {
  if (typeof result !== 'object' || result === null || !('failed' in result) || !Array.isArray(result.failed))
    return [];
  return result.failed.filter((id): id is string => typeof id === 'string');
}

type Listener = (...args: unknown[]) => void;

class SqsConsumer implements Consumer {
  readonly #o: Resolved;
  readonly #deletes: DeleteBatcher;
  readonly #visibility: VisibilityBatcher;
  readonly #listeners = new Map<keyof ConsumerEvents, Set<Listener>>();

  #state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  #started: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  /** Aborted by stop(): ends pauses, long polls and the attribute read. */
  readonly #stopRequested = new AbortController();
  /** Aborted at the shutdown deadline: the handlers' `signal`. */
  readonly #deadline = new AbortController();
  #signalHandler: (() => void) | undefined;

  // What the queue is, read at start.
  #visibilityTimeout = DEFAULT_VISIBILITY_TIMEOUT;
  #heartbeatMs: number | undefined;
  #maxReceiveCount: number | undefined;
  #fifo = false;

  /** The concurrency in force (what autoscaling would change). */
  #limit: number;
  /** Slots taken: messages held plus those a receive under way may bring. */
  #used = 0;
  #slotWaiters: (() => void)[] = [];
  readonly #receives = new Set<AbortController>();
  #pollers: Promise<void>[] = [];
  /** Processing under way (chains and batches), including their deletes and visibility changes. */
  readonly #work = new Set<Promise<void>>();
  /** The not-yet-started rest of each chain under way. */
  readonly #chains = new Set<Held[]>();
  /** By MessageId. */
  readonly #held = new Map<string, Held>();
  readonly #givenUp = new Set<string>();
  /** Failure-log writes under way: shutdown gives them until its deadline. */
  readonly #failureLogs = new Set<Promise<void>>();

  readonly #counters = {
    handled: 0,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    released: 0,
    duplicates: 0,
    coalesced: 0,
    skipped: 0,
    running: 0,
  };
  readonly #latency = new LatencyWindow(1024);
  readonly #busy = new BusyMeter(performance.now());
  /** Coalesced groups waiting for a slot: receives leave them room. */
  #groupsWaiting = 0;

  readonly #coalescer: Coalescer<Held> | undefined;
  readonly #maxHeld: number = 0;
  #dueTimer: NodeJS.Timeout | undefined;
  #dueAt = Number.POSITIVE_INFINITY;

  constructor(
    options: ConsumeBaseOptions & { event?: ConsumableEvent; events?: readonly ConsumableEvent[] } & Handlers<never>,
  ) {
    this.#o = resolveOptions(options);
    this.#limit = this.#o.concurrency;
    const c = this.#o.coalesce;
    if (c) {
      this.#maxHeld = c.maxHeld;
      this.#coalescer = new Coalescer<Held>({
        windowMs: c.windowMs,
        ...(c.memoryMs === undefined ? {} : { memoryMs: c.memoryMs }),
        ...(c.maxKeys === undefined ? {} : { maxKeys: c.maxKeys }),
      });
    }
    this.#deletes = deleteBatcher(this.#o.client, this.#o.queueUrl);
    this.#visibility = visibilityBatcher(this.#o.client, this.#o.queueUrl);
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  on<K extends keyof ConsumerEvents>(event: K, listener: (...args: ConsumerEvents[K]) => void): this {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as Listener);
    return this;
  }

  off<K extends keyof ConsumerEvents>(event: K, listener: (...args: ConsumerEvents[K]) => void): this {
    this.#listeners.get(event)?.delete(listener as unknown as Listener);
    return this;
  }

  stats(): ConsumerStats {
    const c = this.#counters;
    return {
      handled: c.handled,
      failed: c.failed,
      retried: c.retried,
      deadLettered: c.deadLettered,
      released: c.released,
      duplicates: c.duplicates,
      coalesced: c.coalesced,
      skipped: c.skipped,
      inFlight: this.#held.size,
      running: c.running,
      concurrency: this.#limit,
      coalescing: this.#coalescer?.pending ?? 0,
      latencyMs: { p50: this.#latency.quantile(0.5), p99: this.#latency.quantile(0.99), samples: this.#latency.size },
    };
  }

  start(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return Promise.reject(new Error('This consumer has been stopped; create another one'));
    }
    if (this.#started) return this.#started;
    this.#state = 'running';
    if (this.#o.handleSignals) {
      const onSignal = () => void this.stop();
      this.#signalHandler = onSignal;
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    }
    this.#started = (async () => {
      await this.#readQueue();
      if (this.#state !== 'running') return;
      const loops = Math.min(10, Math.ceil(this.#o.maxConcurrency / this.#o.batchSize));
      this.#pollers = Array.from({ length: loops }, () => this.#poll().catch((e) => this.#error(e, 'internal')));
      const scaling = this.#o.scaling;
      if (scaling) this.#pollers.push(this.#autoscale(scaling).catch((e) => this.#error(e, 'internal')));
    })();
    return this.#started;
  }

  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopped ??= this.#shutdown(options.timeoutMs ?? this.#o.shutdownTimeoutMs);
    return this.#stopped;
  }

  // --- events -----------------------------------------------------------------------------------------------------

  #emit<K extends keyof ConsumerEvents>(event: K, ...args: ConsumerEvents[K]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) {
      if (event === 'error') process.emitWarning(args[0] as Error, { code: 'SWITCHYARD_CONSUMER_ERROR' });
      return;
    }
    for (const listener of [...set]) {
      try {
        (listener as unknown as (...a: ConsumerEvents[K]) => void)(...args);
      } catch (error) {
        if (event !== 'error') this.#error(error, 'listener');
      }
    }
  }

  #error(error: unknown, operation: ConsumerOperation, messageId?: string): void {
    this.#emit('error', asError(error), messageId === undefined ? { operation } : { operation, messageId });
  }

  #info(h: Held): MessageInfo {
    return { messageId: h.messageId, receiveCount: h.receiveCount, message: h.message };
  }

  // --- start and receive --------------------------------------------------------------------------------------------

  async #readQueue(): Promise<void> {
    const o = this.#o;
    this.#fifo = o.queueUrl.endsWith('.fifo');
    try {
      const out = await o.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: o.queueUrl,
          AttributeNames: ['VisibilityTimeout', 'RedrivePolicy', 'FifoQueue'],
        }),
        { abortSignal: this.#stopRequested.signal },
      );
      const a = out.Attributes ?? {};
      const vt = Number(a.VisibilityTimeout);
      if (Number.isInteger(vt) && vt >= 0) this.#visibilityTimeout = vt;
      this.#maxReceiveCount = maxReceiveCountOf(a.RedrivePolicy);
      this.#fifo = this.#fifo || a.FifoQueue === 'true';
    } catch (error) {
      // Without them: SQS's default visibility timeout, no known dead-letter queue.
      if (this.#state === 'running') this.#error(error, 'get_queue_attributes');
    }
    if (o.visibilityTimeout !== undefined) this.#visibilityTimeout = o.visibilityTimeout;
    this.#heartbeatMs =
      o.heartbeatIntervalSeconds === undefined
        ? defaultHeartbeatIntervalMs(this.#visibilityTimeout)
        : o.heartbeatIntervalSeconds > 0
          ? o.heartbeatIntervalSeconds * 1000
          : undefined;
  }

  /**
   * Waits for free slots and takes as many as the next receive may fill; 0 once stopping. Coalesced groups waiting
   * for a slot come first, and messages in coalescing windows count against `coalesce.maxHeld`.
   */
  async #takeSlots(): Promise<number> {
    while (this.#state === 'running') {
      let free = this.#limit - this.#used - this.#groupsWaiting;
      if (this.#coalescer) free = Math.min(free, this.#maxHeld - this.#coalescer.pending - this.#used);
      const n = receiveBatchSize(free, this.#o.batchSize);
      if (n > 0) {
        this.#used += n;
        return n;
      }
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    }
    return 0;
  }

  /** Waits for one slot, for a coalesced group; false once stopping. */
  async #takeSlot(): Promise<boolean> {
    this.#groupsWaiting += 1;
    try {
      while (this.#state === 'running') {
        if (this.#used < this.#limit) {
          this.#used += 1;
          return true;
        }
        await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
      }
      return false;
    } finally {
      this.#groupsWaiting -= 1;
    }
  }

  #freeSlots(n: number): void {
    if (n <= 0) return;
    this.#used -= n;
    this.#wakeSlotWaiters();
  }

  #wakeSlotWaiters(): void {
    const waiters = this.#slotWaiters;
    this.#slotWaiters = [];
    for (const wake of waiters) wake();
  }

  #setRunning(delta: number): void {
    this.#counters.running += delta;
    this.#busy.set(this.#counters.running, performance.now(), this.#counters.running >= this.#limit);
  }

  /** Sleeps `ms`, or less if stop() comes first. */
  #pause(ms: number): Promise<void> {
    if (ms <= 0 || this.#stopRequested.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#stopRequested.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#stopRequested.signal.addEventListener('abort', done, { once: true });
    });
  }

  async #poll(): Promise<void> {
    const o = this.#o;
    let errors = 0;
    while (this.#state === 'running') {
      const n = await this.#takeSlots();
      if (n === 0) break;
      if (this.#state !== 'running') {
        // stop() came in between: a receive started now would escape its abort.
        this.#freeSlots(n);
        break;
      }
      const controller = new AbortController();
      this.#receives.add(controller);
      const receivedAt = Date.now();
      let messages: Message[];
      try {
        const out = await o.client.send(
          new ReceiveMessageCommand({
            QueueUrl: o.queueUrl,
            MaxNumberOfMessages: n,
            WaitTimeSeconds: receiveWaitSeconds(
              o.waitTimeSeconds,
              this.#coalescer && { pending: this.#coalescer.pending, nextDueAt: this.#coalescer.nextDueAt() },
              Date.now(),
            ),
            VisibilityTimeout: o.visibilityTimeout,
            MessageSystemAttributeNames: [...RECEIVE_ATTRIBUTES],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: controller.signal },
        );
        messages = out.Messages ?? [];
        errors = 0;
      } catch (error) {
        this.#freeSlots(n);
        if (this.#state !== 'running') break;
        errors += 1;
        this.#error(error, 'receive');
        await this.#pause(receiveErrorDelayMs(errors));
        continue;
      } finally {
        this.#receives.delete(controller);
      }
      const held = messages.flatMap((m) => this.#hold(m, receivedAt));
      this.#freeSlots(n - held.length);
      if (held.length > 0) this.#dispatch(held);
      else await this.#pause(emptyReceivePauseMs(Date.now() - receivedAt));
    }
  }

  /** Reads the backlog every `intervalMs` and sets the concurrency the scaling policy asks for. */
  async #autoscale(policy: ScalingPolicy): Promise<void> {
    let lowerReadings = 0;
    while (this.#state === 'running') {
      await this.#pause(policy.intervalMs);
      if (this.#state !== 'running') break;
      let backlog: number | undefined;
      try {
        const out = await this.#o.client.send(
          new GetQueueAttributesCommand({
            QueueUrl: this.#o.queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages'],
          }),
          { abortSignal: this.#stopRequested.signal },
        );
        const n = Number(out.Attributes?.ApproximateNumberOfMessages);
        if (Number.isInteger(n) && n >= 0) backlog = n;
      } catch (error) {
        if (this.#state !== 'running') break;
        // Without a backlog the concurrency stays as it is.
        this.#error(error, 'autoscale');
      }
      const from = this.#limit;
      const { busy, saturated } = this.#busy.read(performance.now(), this.#counters.running >= from);
      const latencyMs = this.#latency.quantile(0.5);
      const decision = nextConcurrency(policy, { current: from, backlog, busy, saturated, latencyMs, lowerReadings });
      lowerReadings = decision.lowerReadings;
      if (decision.concurrency === from) continue;
      this.#limit = decision.concurrency;
      this.#wakeSlotWaiters();
      this.#emit('concurrency', { from, to: decision.concurrency, backlog, busy, latencyMs });
    }
  }

  /** The received messages to dispatch: none for a message this consumer holds already. */
  #hold(message: Message, receivedAt: number): Held[] {
    if (message.ReceiptHandle === undefined || message.MessageId === undefined) return [];
    const count = Number(message.Attributes?.ApproximateReceiveCount);
    const receiveCount = Number.isInteger(count) && count >= 1 ? count : 1;
    const already = this.#held.get(message.MessageId);
    if (already && !already.lettingGo) {
      this.#receivedAgain(already, message.ReceiptHandle, receiveCount, receivedAt);
      return [];
    }
    const h: Held = {
      message,
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      receiveCount,
      receivedAt,
      settled: false,
      slot: true,
      heartbeat: { timer: undefined, beat: undefined, started: false, stopped: false, lost: false },
    };
    this.#held.set(h.messageId, h);
    return [h];
  }

  /**
   * A message still held came back: its visibility timeout ran out before a heartbeat got through (a slow network,
   * a stalled event loop). It is not run a second time: the new receipt handle, the only one SQS is sure to take now,
   * replaces the old for its heartbeats and its delete or visibility change, and heartbeats resume if the lost handle
   * had stopped them.
   */
  #receivedAgain(h: Held, receiptHandle: string, receiveCount: number, receivedAt: number): void {
    h.receiptHandle = receiptHandle;
    h.receiveCount = receiveCount;
    h.receivedAt = receivedAt;
    const hb = h.heartbeat;
    if (hb.lost) {
      hb.lost = false;
      hb.stopped = false;
      hb.started = false;
      this.#startHeartbeat(h);
    }
  }

  /** Lets go of a held message: its slot is free again. */
  #settle(h: Held): void {
    if (h.settled) return;
    h.settled = true;
    if (this.#held.get(h.messageId) === h) this.#held.delete(h.messageId);
    this.#giveBackSlot(h);
  }

  #giveBackSlot(h: Held): void {
    if (!h.slot) return;
    h.slot = false;
    this.#freeSlots(1);
  }

  #spawn(work: Promise<void>): void {
    const tracked = work.catch((e) => this.#error(e, 'internal')).finally(() => this.#work.delete(tracked));
    this.#work.add(tracked);
  }

  #dispatch(held: Held[]): void {
    if (this.#o.batchHandler) {
      this.#spawn(this.#runBatch(held));
      return;
    }
    const groupOf = (h: Held) => (this.#fifo ? messageGroupOf(h.message) : undefined);
    for (const chain of orderedChains(held, groupOf)) this.#spawn(this.#runChain(chain));
  }

  // --- per-message handling -----------------------------------------------------------------------------------------

  async #runChain(chain: Held[]): Promise<void> {
    this.#chains.add(chain);
    try {
      for (let h = chain.shift(); h; h = chain.shift()) {
        if (this.#state !== 'running') {
          await this.#release([h, ...chain.splice(0)]);
          break;
        }
        const ok = await this.#processOne(h);
        // A FIFO group's later messages must not overtake one that did not succeed.
        if (!ok && chain.length > 0) await this.#release(chain.splice(0));
      }
    } finally {
      this.#chains.delete(chain);
    }
  }

  /**
   * Decodes the body for the handler; `duplicate` when it was handled already (and is deleted), undefined (after
   * settling the message) when it can never be handled.
   */
  async #decode(h: Held): Promise<{ input: unknown } | { duplicate: true } | undefined> {
    if (this.#givenUp.has(h.messageId)) {
      await this.#giveUpAgain(h);
      return undefined;
    }
    let input: unknown = h.message;
    if (this.#o.decode) {
      try {
        input = this.#o.decode(h.message);
      } catch (e) {
        const { error, reason } = e instanceof Undecodable ? e : new Undecodable(e, 'invalid_event');
        this.#counters.failed += 1;
        await this.#giveUp(h, error, reason);
        return undefined;
      }
    }
    if (await this.#alreadyHandled(h, input)) {
      this.#counters.duplicates += 1;
      this.#emit('duplicate', { ...this.#info(h), key: h.idempotencyKey ?? '' });
      await this.#delete([h]);
      return { duplicate: true };
    }
    return { input };
  }

  /**
   * Whether the idempotency store holds the message's key (then it was handled already). A store that fails is
   * reported and taken as "not handled": handling twice is at-least-once, skipping would lose the message.
   */
  async #alreadyHandled(h: Held, input: unknown): Promise<boolean> {
    const idempotency = this.#o.idempotency;
    if (!idempotency) return false;
    const own = idempotency.key ? idempotency.key(h.message, input) : defaultIdempotencyKey(h.message, input);
    if (own === undefined) return false;
    h.idempotencyKey = `${this.#o.queueUrl}#${own}`;
    try {
      return await idempotency.store.has(h.idempotencyKey);
    } catch (error) {
      this.#error(asError(error), 'idempotency', h.messageId);
      return false;
    }
  }

  /** Puts the keys of handled messages in the idempotency store, before they are deleted. */
  async #remembered(handled: readonly Held[]): Promise<void> {
    const idempotency = this.#o.idempotency;
    if (!idempotency) return;
    await Promise.all(
      handled.map(async (h) => {
        if (h.idempotencyKey === undefined) return;
        try {
          await idempotency.store.put(h.idempotencyKey, idempotency.ttlMs);
        } catch (error) {
          this.#error(asError(error), 'idempotency', h.messageId);
        }
      }),
    );
  }

  /** Handles one message and settles it (or leaves it to its coalescing window); true if it succeeded. */
  async #processOne(h: Held): Promise<boolean> {
    const decoded = await this.#decode(h);
    if (!decoded) return false;
    // Handled before: as good as a success for the FIFO group's next messages.
    if ('duplicate' in decoded) return true;
    const entity = this.#entityOf(h, decoded.input);
    if (entity) {
      await this.#coalesce(h, decoded.input, entity);
      return true;
    }
    const run = await this.#invoke(h, decoded.input);
    await this.#stopHeartbeat(h);
    if (run === 'abandoned') {
      // Abandoned at the shutdown deadline: the message keeps its visibility timeout; no more SQS calls.
      this.#settle(h);
      return false;
    }
    if (run.failure) {
      await this.#failed(h, run.failure.error);
      return false;
    }
    this.#counters.handled += 1;
    this.#emit('message_processed', { ...this.#info(h), durationMs: run.durationMs });
    await this.#remembered([h]);
    await this.#delete([h]);
    return true;
  }

  /**
   * Runs the handler on `input` with `h`'s context, its heartbeat going (the caller stops it). 'abandoned' when the
   * shutdown deadline passed meanwhile.
   */
  async #invoke(h: Held, input: unknown): Promise<{ durationMs: number; failure?: { error: unknown } } | 'abandoned'> {
    const handler = this.#o.handler;
    if (!handler) return { durationMs: 0, failure: { error: new Error('The consumer has no handler') } };
    this.#startHeartbeat(h);
    this.#setRunning(1);
    const started = performance.now();
    let failure: { error: unknown } | undefined;
    try {
      await handler(input, { ...this.#info(h), signal: this.#deadline.signal });
    } catch (error) {
      failure = { error };
    } finally {
      this.#setRunning(-1);
      // Its delete or visibility change need no slot: the next receive overlaps them.
      this.#giveBackSlot(h);
    }
    const durationMs = performance.now() - started;
    this.#latency.record(durationMs);
    if (this.#deadline.signal.aborted) return 'abandoned';
    return failure ? { durationMs, failure } : { durationMs };
  }

  // --- coalescing -----------------------------------------------------------------------------------------------------

  /** The entity `h` is about, when the consumer coalesces and the key function names one. */
  #entityOf(h: Held, input: unknown): EntityVersion | undefined {
    const coalesce = this.#o.coalesce;
    if (!coalesce) return undefined;
    try {
      const entity = coalesce.key(input, h.message);
      if (entity === undefined) return undefined;
      if (typeof entity.key !== 'string' || !Number.isFinite(entity.version)) {
        throw new TypeError(
          `coalesce.key returned ${JSON.stringify(entity)}: expected { key: string, version: number }`,
        );
      }
      return entity;
    } catch (error) {
      // Handled on its own rather than lost: coalescing only saves calls.
      this.#error(error, 'coalesce', h.messageId);
      return undefined;
    }
  }

  /**
   * Puts a message in its entity's window: it gives its slot back and keeps its visibility by heartbeats until its
   * group runs. A version not above the one applied is deleted unhandled.
   */
  async #coalesce(h: Held, input: unknown, entity: EntityVersion): Promise<void> {
    const coalescer = this.#coalescer;
    if (!coalescer) return;
    const applied = coalescer.appliedVersion(entity.key, Date.now());
    if (coalescer.add({ key: entity.key, version: entity.version, value: h }, Date.now()) === 'stale') {
      this.#skipped(h, entity.key, entity.version, applied ?? entity.version);
      await this.#delete([h]);
      return;
    }
    h.input = input;
    h.entity = entity;
    this.#giveBackSlot(h);
    this.#startHeartbeat(h);
    this.#scheduleDue();
  }

  #skipped(h: Held, key: string, version: number, applied: number): void {
    this.#counters.skipped += 1;
    this.#emit('skipped', { ...this.#info(h), key, version, applied });
  }

  /** Arms the timer for the earliest coalescing window to close. */
  #scheduleDue(): void {
    const next = this.#coalescer?.nextDueAt();
    if (next === undefined || this.#state !== 'running') return;
    if (this.#dueTimer !== undefined && this.#dueAt <= next) return;
    clearTimeout(this.#dueTimer);
    this.#dueAt = next;
    this.#dueTimer = setTimeout(
      () => {
        this.#dueTimer = undefined;
        this.#dueAt = Number.POSITIVE_INFINITY;
        this.#runDue();
      },
      Math.max(0, next - Date.now()),
    );
  }

  #runDue(): void {
    const coalescer = this.#coalescer;
    if (!coalescer || this.#state !== 'running') return;
    const groups = coalescer.due(Date.now());
    if (groups.length > 0) this.#wakeSlotWaiters(); // fewer held: receives may have room again
    for (const group of groups) this.#spawn(this.#runGroup(group));
    this.#scheduleDue();
  }

  /** Runs the handler once for an entity's group, with its latest message, and settles the whole group. */
  async #runGroup(group: CoalescedGroup<Held>): Promise<void> {
    const coalescer = this.#coalescer;
    if (!coalescer) return;
    const latest = group.latest;
    const all = [latest, ...group.superseded];
    try {
      if (!(await this.#takeSlot())) {
        coalescer.failed(group.key);
        await this.#stopHeartbeats(all);
        await this.#release(all);
        return;
      }
      latest.slot = true;
      const run = await this.#invoke(latest, latest.input);
      await this.#stopHeartbeats(all);
      if (run === 'abandoned') {
        for (const h of all) this.#settle(h);
        return;
      }
      if (run.failure) {
        coalescer.failed(group.key);
        // The superseded messages come back with the latest: together they coalesce again.
        const visibility = await this.#failed(latest, run.failure.error);
        this.#counters.released += group.superseded.length;
        await Promise.all(group.superseded.map((h) => this.#changeVisibility(h, visibility, 'release')));
        return;
      }
      const stale = coalescer.applied(group.key, group.version, Date.now());
      this.#counters.handled += 1;
      this.#emit('message_processed', { ...this.#info(latest), durationMs: run.durationMs });
      this.#counters.coalesced += group.superseded.length;
      if (group.superseded.length > 0) {
        this.#emit('coalesced', {
          key: group.key,
          version: group.version,
          messageId: latest.messageId,
          superseded: group.superseded.map((h) => h.messageId),
        });
      }
      await this.#stopHeartbeats(stale);
      for (const h of stale) this.#skipped(h, group.key, h.entity?.version ?? group.version, group.version);
      await this.#remembered(all);
      await this.#delete([...all, ...stale]);
    } finally {
      this.#scheduleDue();
    }
  }

  async #runBatch(held: Held[]): Promise<void> {
    const batchHandler = this.#o.batchHandler;
    if (!batchHandler) return;
    if (this.#state !== 'running') {
      await this.#release(held);
      return;
    }
    const decoded = await Promise.all(held.map(async (h) => ({ h, d: await this.#decode(h) })));
    const items: BatchItem<unknown>[] = [];
    const valid: Held[] = [];
    for (const { h, d } of decoded) {
      if (!d || 'duplicate' in d) continue;
      valid.push(h);
      items.push({ ...this.#info(h), signal: this.#deadline.signal, input: d.input });
    }
    if (valid.length === 0) return;
    for (const h of valid) this.#startHeartbeat(h);
    this.#setRunning(valid.length);
    const started = performance.now();
    let result: unknown;
    let failure: { error: unknown } | undefined;
    try {
      result = await batchHandler(items, { signal: this.#deadline.signal });
    } catch (error) {
      failure = { error };
    } finally {
      this.#setRunning(-valid.length);
      for (const h of valid) this.#giveBackSlot(h);
    }
    const durationMs = performance.now() - started;
    this.#latency.record(durationMs);
    await this.#stopHeartbeats(valid);
    if (this.#deadline.signal.aborted) {
      for (const h of valid) this.#settle(h);
      return;
    }
    const failedIds = new Set(failure ? valid.map((h) => h.messageId) : failedIdsOf(result));
    const outcome = batchOutcome(
      valid,
      (h) => failedIds.has(h.messageId),
      (h) => (this.#fifo ? messageGroupOf(h.message) : undefined),
    );
    for (const h of outcome.succeeded) {
      this.#counters.handled += 1;
      this.#emit('message_processed', { ...this.#info(h), durationMs });
    }
    await this.#remembered(outcome.succeeded);
    await Promise.all([
      this.#delete(outcome.succeeded),
      this.#release(outcome.released),
      ...outcome.failed.map((h) => this.#failed(h, failure ? failure.error : reportedFailed(h.messageId))),
    ]);
  }

  // --- settling -------------------------------------------------------------------------------------------------------

  async #delete(list: Held[]): Promise<void> {
    await Promise.all(
      list.map(async (h) => {
        h.lettingGo = true;
        const result = await this.#deletes.add(h.receiptHandle);
        if (!result.ok) this.#error(result.error, 'delete', h.messageId);
        this.#settle(h);
      }),
    );
  }

  async #changeVisibility(h: Held, seconds: number, operation: ConsumerOperation): Promise<void> {
    h.lettingGo = true;
    const result = await this.#visibility.add({ ReceiptHandle: h.receiptHandle, VisibilityTimeout: seconds });
    if (!result.ok) this.#error(result.error, operation, h.messageId);
    this.#settle(h);
  }

  /** Makes messages visible again at once, unhandled. */
  async #release(list: Held[]): Promise<void> {
    this.#counters.released += list.length;
    await Promise.all(list.map((h) => this.#changeVisibility(h, 0, 'release')));
  }

  #elapsedSeconds(h: Held): number {
    return (Date.now() - h.receivedAt) / 1000;
  }

  /** Settles a message whose handler failed: retried after a backoff, or given up on. Returns its new visibility. */
  async #failed(h: Held, error: unknown): Promise<number> {
    this.#counters.failed += 1;
    this.#logFailure(h, error);
    this.#emit('processing_error', error, this.#info(h));
    if (isPermanent(error)) return this.#giveUp(h, error, 'permanent_error');
    // Past the last receive (a count above the maximum means the redrive is not happening: a missing dead-letter
    // queue, say) the message is retried with backoff like any other, rather than handed straight back.
    if (h.receiveCount === this.#maxReceiveCount) return this.#giveUp(h, error, 'max_receives');
    const delaySeconds = withinVisibilityBudget(
      retryDelaySeconds(h.receiveCount, this.#o.retry),
      this.#elapsedSeconds(h),
    );
    this.#counters.retried += 1;
    this.#emit('retry', { ...this.#info(h), error, delaySeconds });
    await this.#changeVisibility(h, delaySeconds, 'change_visibility');
    return delaySeconds;
  }

  /** Records the failure in the failure log, if there is one, without waiting for it; a failing log is reported. */
  #logFailure(h: Held, error: unknown): void {
    const log = this.#o.failureLog;
    if (!log) return;
    let recorded: Promise<void>;
    try {
      recorded = Promise.resolve(log.record(this.#o.queueUrl, [loggedFailure(h.messageId, error)]));
    } catch (thrown) {
      recorded = Promise.reject(thrown);
    }
    const tracked: Promise<void> = recorded
      .catch((thrown: unknown) => this.#error(thrown, 'failure_log', h.messageId))
      .finally(() => this.#failureLogs.delete(tracked));
    this.#failureLogs.add(tracked);
  }

  /**
   * Whether the queue's redrive policy will move this message to the dead-letter queue on one of its next receives.
   * SQS moves a message when a receive would take its count past `maxReceiveCount`, so a consumer never sees a larger
   * count while the redrive works.
   */
  #redriveAhead(h: Held): boolean {
    return this.#maxReceiveCount !== undefined && h.receiveCount <= this.#maxReceiveCount;
  }

  /**
   * Gives up on a message: visible at once when the redrive policy will take it to the dead-letter queue (within the
   * receives it has left), else hidden for the longest backoff (visibility 0 would hand it straight back, forever).
   */
  async #giveUp(h: Held, error: unknown, reason: PermanentFailureReason): Promise<number> {
    const deadLetterQueue = this.#redriveAhead(h);
    if (deadLetterQueue) {
      this.#counters.deadLettered += 1;
      if (reason !== 'max_receives') this.#remember(h.messageId);
    }
    this.#emit('permanent_failure', { ...this.#info(h), error, reason, deadLetterQueue });
    const visibility = this.#giveUpVisibility(h);
    await this.#changeVisibility(h, visibility, 'change_visibility');
    return visibility;
  }

  /** A message given up on before, received again: straight back, without running the handler. */
  async #giveUpAgain(h: Held): Promise<void> {
    await this.#changeVisibility(h, this.#giveUpVisibility(h), 'change_visibility');
  }

  #giveUpVisibility(h: Held): number {
    if (this.#redriveAhead(h)) return 0;
    return withinVisibilityBudget(this.#o.retry.maxDelaySeconds, this.#elapsedSeconds(h));
  }

  #remember(messageId: string): void {
    this.#givenUp.add(messageId);
    if (this.#givenUp.size > GIVEN_UP_MEMORY) {
      const oldest = this.#givenUp.values().next();
      if (!oldest.done) this.#givenUp.delete(oldest.value);
    }
  }

  // --- heartbeats -----------------------------------------------------------------------------------------------------

  #startHeartbeat(h: Held): void {
    const interval = this.#heartbeatMs;
    const hb = h.heartbeat;
    if (interval === undefined || hb.started) return;
    hb.started = true;
    // Beats start `interval` apart, however long each call takes.
    let beganAt = performance.now();
    const schedule = () => {
      if (!hb.stopped) hb.timer = setTimeout(beat, Math.max(0, interval - (performance.now() - beganAt)));
    };
    const beat = () => {
      hb.timer = undefined;
      beganAt = performance.now();
      const elapsedMs = Date.now() - h.receivedAt;
      const visibilityTimeout = heartbeatExtensionSeconds(elapsedMs / 1000, this.#visibilityTimeout);
      if (visibilityTimeout <= 0) {
        hb.stopped = true;
        this.#error(
          new Error('The 12-hour visibility limit is reached: the message will reappear'),
          'heartbeat',
          h.messageId,
        );
        return;
      }
      hb.beat = (async () => {
        const result = await this.#visibility.add({
          ReceiptHandle: h.receiptHandle,
          VisibilityTimeout: visibilityTimeout,
        });
        if (hb.stopped) return;
        if (result.ok) {
          this.#emit('heartbeat', { ...this.#info(h), visibilityTimeout, elapsedMs });
        } else {
          this.#error(result.error, 'heartbeat', h.messageId);
          // The handle no longer holds the message (it has reappeared or is gone): more heartbeats cannot help.
          if (isLostHandle(result)) {
            hb.stopped = true;
            hb.lost = true;
          }
        }
        schedule();
      })().finally(() => {
        hb.beat = undefined;
      });
    };
    schedule();
  }

  async #stopHeartbeats(list: readonly Held[]): Promise<void> {
    await Promise.all(list.map((h) => this.#stopHeartbeat(h)));
  }

  /** Stops a message's heartbeats and waits for one under way, so it cannot land after the message is settled. */
  async #stopHeartbeat(h: Held): Promise<void> {
    const hb = h.heartbeat;
    hb.stopped = true;
    if (hb.timer) clearTimeout(hb.timer);
    hb.timer = undefined;
    if (hb.beat) await hb.beat;
  }

  // --- shutdown -------------------------------------------------------------------------------------------------------

  async #shutdown(timeoutMs: number): Promise<void> {
    if (this.#signalHandler) {
      process.off('SIGTERM', this.#signalHandler);
      process.off('SIGINT', this.#signalHandler);
      this.#signalHandler = undefined;
    }
    if (this.#state === 'idle') {
      this.#state = 'stopped';
      this.#emit('stopped', { timedOut: false, abandoned: 0 });
      return;
    }
    this.#state = 'stopping';
    const deadlineAt = Date.now() + timeoutMs;
    this.#stopRequested.abort();
    for (const controller of this.#receives) controller.abort();
    for (const wake of this.#slotWaiters.splice(0)) wake();

    // Received but not started, or waiting in a coalescing window: visible again as soon as the receives under way
    // have ended. Not before: a long poll just aborted may still be open on the service for an instant, and would
    // take what is made visible then, for its whole visibility timeout.
    const unstarted = [...this.#chains].flatMap((chain) => chain.splice(0));
    clearTimeout(this.#dueTimer);
    this.#dueTimer = undefined;
    const waiting = this.#coalescer?.clear() ?? [];
    if (unstarted.length + waiting.length > 0) {
      const receivesEnded = Promise.allSettled([this.#started, ...this.#pollers]);
      this.#spawn(
        receivesEnded.then(async () => {
          await this.#stopHeartbeats(waiting);
          await this.#release([...unstarted, ...waiting]);
        }),
      );
    }

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), Math.max(0, deadlineAt - Date.now()));
    });
    let timedOut = false;
    try {
      if ((await Promise.race([Promise.allSettled([this.#started, ...this.#pollers]), deadline])) === 'deadline') {
        timedOut = true;
      }
      // Pollers are done: no work can start now but what the last receives brought, already in #work.
      while (!timedOut && this.#work.size > 0) {
        if ((await Promise.race([Promise.allSettled([...this.#work]), deadline])) === 'deadline') timedOut = true;
      }
      // The failure log is best effort: its writes get what is left of the deadline, and no handler waits on them.
      if (!timedOut && this.#failureLogs.size > 0)
        await Promise.race([Promise.allSettled([...this.#failureLogs]), deadline]);
    } finally {
      clearTimeout(timer);
    }
    let abandoned = 0;
    if (timedOut) {
      abandoned = this.#counters.running;
      this.#deadline.abort(new Error('The consumer stopped before the handler finished'));
      for (const h of this.#held.values()) {
        const hb = h.heartbeat;
        hb.stopped = true;
        if (hb.timer) clearTimeout(hb.timer);
      }
    }
    this.#state = 'stopped';
    this.#emit('stopped', { timedOut, abandoned });
  }
}

/** The default idempotency key: the EventBridge event's id when the body was decoded as one, else the MessageId. */
function defaultIdempotencyKey(message: Message, input: unknown): string | undefined {
  const id = (input as { id?: unknown } | null)?.id;
  if (input !== message && typeof id === 'string' && id !== '') return `event:${id}`;
  return message.MessageId === undefined ? undefined : `message:${message.MessageId}`;
}
