// The consumer's options: their types, their defaults and checks (`resolveOptions`), and how message bodies become
// handler inputs with `event`/`events` (`decoderFor`). consumer.ts re-exports the public types.

import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { entityKey } from './catalogue.js';
import { entityCoalescingKey } from './coalescing.js';
import { type Jitter, MAX_RECEIVE_BATCH, MAX_VISIBILITY_TIMEOUT_SECONDS, type RetryPolicy } from './consumer-policy.js';
import { type AutoscalingOptions, type ScalingPolicy, scalingPolicy } from './consumer-scaling.js';
import { EventTypeMismatchError, SwitchyardClientError } from './errors.js';
import { type EventInput, parseEnvelope, type ReceivedEvent } from './events.js';
import type { IdempotencyStore } from './idempotency.js';
import type { FailureLog } from './switchyard-failures.js';

/** What a handler learns about the message besides its content. */
export interface MessageContext {
  messageId: string;
  /** SQS's ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
  /** The SQS message as received (body, attributes, receipt handle). */
  message: Message;
  /** Aborted when the consumer's shutdown deadline passes with the handler still running. */
  signal: AbortSignal;
}

/** One message of a batch given to a batch handler: its content (`input`) and context. */
export interface BatchItem<In> extends MessageContext {
  input: In;
}

/** What a batch handler may return: the ids of the messages that failed; the others are deleted. */
export interface BatchResult {
  failed?: readonly string[];
}

export type MessageHandler<In> = (input: In, context: MessageContext) => unknown;
/** Returns nothing when every message succeeded, or `{ failed: [messageId, …] }`; throwing fails the whole batch. */
export type BatchHandler<In> = (
  items: BatchItem<In>[],
  context: { signal: AbortSignal },
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing (`async () => {}`) returns void
) => BatchResult | undefined | void | Promise<BatchResult | undefined | void>;

export interface RetryOptions {
  /** The first retry's backoff ceiling, in seconds. @defaultValue 1 */
  baseDelaySeconds?: number;
  /** The longest backoff, in seconds (at most 43200, 12 hours). @defaultValue 900 */
  maxDelaySeconds?: number;
  /** How the delay is drawn under its ceiling (see {@link Jitter}). @defaultValue 'full' */
  jitter?: Jitter;
}

/** The options every consumer takes. */
export interface ConsumeBaseOptions {
  /** The SQS client to use (its endpoint picks AWS or Switchyard). */
  client: SQSClient;
  queueUrl: string;
  /**
   * How many messages are held, and handled, at once: a number, or `{ min, max, … }` to scale between them with the
   * backlog and the handler latency (see {@link AutoscalingOptions}). @defaultValue 10
   */
  concurrency?: number | AutoscalingOptions;
  /** The most messages one receive asks for (1–10); also the most a batch handler gets. @defaultValue 10 */
  batchSize?: number;
  /** Long-poll wait of each receive, in seconds (0–20). @defaultValue 20 */
  waitTimeSeconds?: number;
  /** Visibility timeout of received messages, in seconds; the queue's own when absent. */
  visibilityTimeout?: number;
  /** Seconds between heartbeats of a message being handled; 0 turns them off. @defaultValue a third of the visibility timeout */
  heartbeatIntervalSeconds?: number;
  retry?: RetryOptions;
  /** How long `stop()` waits for handlers under way, in milliseconds. @defaultValue 30000 */
  shutdownTimeoutMs?: number;
  /** Stop gracefully on SIGTERM and SIGINT (once; a second signal gets Node's default handling). @defaultValue false */
  handleSignals?: boolean;
  /**
   * Skip messages already handled: a message whose key is in the store is deleted without calling the handler, and
   * a handled one's key is put there. The key is the event's id (for `event`/`events`) or the SQS MessageId, prefixed
   * with the queue URL (one event routed to two queues is handled once per queue).
   */
  idempotency?: IdempotencyOptions;
  /**
   * Where to record why a handler failed on a message (a `SwitchyardFailureLog`, say), so that an operator sees the
   * reason beside the message, in its dead-letter queue too. Each failure (a throw, a `permanent()` error, a message a
   * batch handler reports failed) is recorded as `{ messageId, code: error.code ?? error.name, message }`, the code
   * and message of a `permanent(err)` being `err`'s. Best effort: the message is settled without waiting for the log,
   * and a failing log is reported through `error` (operation `failure_log`), never thrown. @defaultValue none
   */
  failureLog?: FailureLog;
}

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** How long a handled key is remembered, in milliseconds. @defaultValue the store's window */
  ttlMs?: number;
  /** The key of a message (undefined: not deduplicated); the default is described on `idempotency`. */
  key?: (message: Message, input: unknown) => string | undefined;
}

/** An entity's key and version, as coalescing needs them. */
export interface EntityVersion {
  key: string;
  version: number;
}

/**
 * Coalescing, for handlers that sync an entity's state somewhere: the messages about one entity that arrive within
 * `windowMs` of the first are handed to the handler as one call, with the newest version; the others are deleted
 * with it when it succeeds. A message whose version is not above one already applied is deleted unhandled.
 */
export interface CoalesceOptions<In> {
  /** How long the messages of an entity are collected, from the first, in milliseconds (at most 12 hours). */
  windowMs: number;
  /**
   * The entity a message is about and the version it carries; undefined: handled on its own. The default, for
   * `event`/`events` consumers, is the catalogue's `entityKey` (kind and key, with the event's `version`).
   */
  key?: (input: In, message: Message) => EntityVersion | undefined;
  /** How long the version applied to an entity is remembered, in milliseconds. @defaultValue 24 hours */
  memoryMs?: number;
  /** The most entities whose applied version is remembered. @defaultValue 100000 */
  maxKeys?: number;
  /** The most messages held in windows at once; receiving waits while there are this many. @defaultValue 1000 */
  maxHeld?: number;
}

/** Exactly one of a per-message handler (which may coalesce) or a batch handler. */
export type Handlers<In> =
  | { handler: MessageHandler<In>; batchHandler?: undefined; coalesce?: CoalesceOptions<In> }
  | { batchHandler: BatchHandler<In>; handler?: undefined; coalesce?: undefined };

/** What the consumer needs of an event definition (every `defineEvent(...)` result is one). */
export interface ConsumableEvent {
  parse(input: EventInput): ReceivedEvent<unknown>;
  matches(event: ReceivedEvent<unknown>): boolean;
}

/** The typed event a definition parses. */
export type EventOf<D> = D extends { parse(input: EventInput): infer R } ? R : never;

export type PermanentFailureReason =
  /** The handler threw a PermanentError. */
  | 'permanent_error'
  /** With `event`/`events`: the body is no event envelope, or its detail fails the definition's schema. */
  | 'invalid_event'
  /** With `event`/`events`: an event of a kind no definition names. */
  | 'unmatched_event'
  /** The handler failed on the last receive the queue's RedrivePolicy allows. */
  | 'max_receives';

/** The options, checked and with their defaults. */
export interface Resolved {
  client: SQSClient;
  queueUrl: string;
  /** The concurrency at start. */
  concurrency: number;
  /** The most the concurrency can be (what the receive loops are sized for). */
  maxConcurrency: number;
  scaling: ScalingPolicy | undefined;
  batchSize: number;
  waitTimeSeconds: number;
  visibilityTimeout: number | undefined;
  heartbeatIntervalSeconds: number | undefined;
  retry: RetryPolicy;
  shutdownTimeoutMs: number;
  handleSignals: boolean;
  handler: MessageHandler<unknown> | undefined;
  batchHandler: BatchHandler<unknown> | undefined;
  decode: ((message: Message) => unknown) | undefined;
  idempotency: IdempotencyOptions | undefined;
  failureLog: FailureLog | undefined;
  coalesce: ResolvedCoalesce | undefined;
}

export interface ResolvedCoalesce {
  windowMs: number;
  memoryMs: number | undefined;
  maxKeys: number | undefined;
  maxHeld: number;
  key: (input: unknown, message: Message) => EntityVersion | undefined;
}

/** The catalogue's entity of a decoded event, as a coalescing key. */
function catalogueEntity(input: unknown): EntityVersion | undefined {
  const event = input as { source?: unknown; detail?: unknown } | null;
  if (typeof event?.source !== 'string') return undefined;
  const entity = entityKey({ source: event.source, detail: event.detail });
  return entity && { key: entityCoalescingKey(entity), version: entity.version };
}

function resolveCoalesce(
  options: CoalesceOptions<unknown> | undefined,
  decodes: boolean,
  batch: boolean,
  queueUrl: string,
): ResolvedCoalesce | undefined {
  if (!options) return undefined;
  if (batch) throw new TypeError('coalesce works with a per-message `handler`, not a `batchHandler`');
  // A FIFO queue's name ends in .fifo; holding some of a group's messages in a window would break the group's order.
  if (queueUrl.endsWith('.fifo')) throw new TypeError('coalesce is for standard queues, not FIFO queues');
  if (!options.key && !decodes) {
    throw new TypeError('coalesce needs a `key` function, unless the consumer decodes events (`event`/`events`)');
  }
  return {
    windowMs: numberIn('coalesce.windowMs', options.windowMs, 0, MAX_VISIBILITY_TIMEOUT_SECONDS * 1000),
    memoryMs: options.memoryMs,
    maxKeys: options.maxKeys,
    maxHeld: integerIn('coalesce.maxHeld', options.maxHeld ?? 1000, 1, 1_000_000),
    key: options.key ?? catalogueEntity,
  };
}

/** The most handlers one consumer runs at once. */
const MAX_CONCURRENCY = 100_000;

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function numberIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** A decode failure, with why the message is a permanent failure. */
export class Undecodable {
  constructor(
    readonly error: unknown,
    readonly reason: PermanentFailureReason,
  ) {}
}

export function decoderFor(options: {
  event?: ConsumableEvent;
  events?: readonly ConsumableEvent[];
}): ((message: Message) => unknown) | undefined {
  const reasonOf = (error: unknown): PermanentFailureReason =>
    error instanceof EventTypeMismatchError ? 'unmatched_event' : 'invalid_event';
  const { event, events } = options;
  if (event && events) throw new TypeError('consume takes `event` or `events`, not both');
  if (event) {
    return (message) => {
      try {
        return event.parse(message);
      } catch (error) {
        throw new Undecodable(error, reasonOf(error));
      }
    };
  }
  if (events) {
    if (events.length === 0) throw new TypeError('`events` must name at least one event definition');
    return (message) => {
      let envelope: ReceivedEvent<unknown>;
      try {
        envelope = parseEnvelope(message);
      } catch (error) {
        throw new Undecodable(error, 'invalid_event');
      }
      const definition = events.find((d) => d.matches(envelope));
      if (!definition) {
        const error = new SwitchyardClientError(
          'EVENT_TYPE_MISMATCH',
          `The event ${envelope.source} / ${envelope.detailType} is of no kind this consumer takes`,
        );
        throw new Undecodable(error, 'unmatched_event');
      }
      try {
        return definition.parse(envelope);
      } catch (error) {
        throw new Undecodable(error, reasonOf(error));
      }
    };
  }
  return undefined;
}

export function resolveOptions(
  options: ConsumeBaseOptions & { event?: ConsumableEvent; events?: readonly ConsumableEvent[] } & Handlers<never>,
): Resolved {
  if (!options.client) throw new TypeError('consume needs an SQS `client`');
  if (!options.queueUrl) throw new TypeError('consume needs a `queueUrl`');
  const handler = options.handler;
  const batchHandler = options.batchHandler;
  if ((handler === undefined) === (batchHandler === undefined)) {
    throw new TypeError('consume takes exactly one of `handler` and `batchHandler`');
  }
  const retry = options.retry ?? {};
  const baseDelaySeconds = numberIn(
    'retry.baseDelaySeconds',
    retry.baseDelaySeconds ?? 1,
    0,
    MAX_VISIBILITY_TIMEOUT_SECONDS,
  );
  const maxDelaySeconds = numberIn(
    'retry.maxDelaySeconds',
    retry.maxDelaySeconds ?? 900,
    0,
    MAX_VISIBILITY_TIMEOUT_SECONDS,
  );
  const jitter = retry.jitter ?? 'full';
  if (!['full', 'equal', 'none'].includes(jitter)) throw new RangeError(`retry.jitter must be full, equal or none`);
  const visibilityTimeout =
    options.visibilityTimeout === undefined
      ? undefined
      : integerIn('visibilityTimeout', options.visibilityTimeout, 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
  const heartbeatIntervalSeconds =
    options.heartbeatIntervalSeconds === undefined
      ? undefined
      : numberIn('heartbeatIntervalSeconds', options.heartbeatIntervalSeconds, 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
  if (
    visibilityTimeout !== undefined &&
    heartbeatIntervalSeconds !== undefined &&
    heartbeatIntervalSeconds > 0 &&
    heartbeatIntervalSeconds >= visibilityTimeout
  ) {
    throw new RangeError('heartbeatIntervalSeconds must be shorter than visibilityTimeout');
  }
  const concurrency = options.concurrency ?? 10;
  const scaling = typeof concurrency === 'number' ? undefined : scalingPolicy(concurrency, MAX_CONCURRENCY);
  const fixed = typeof concurrency === 'number' ? integerIn('concurrency', concurrency, 1, MAX_CONCURRENCY) : 0;
  const decode = decoderFor(options);
  return {
    client: options.client,
    queueUrl: options.queueUrl,
    concurrency: scaling ? scaling.min : fixed,
    maxConcurrency: scaling ? scaling.max : fixed,
    scaling,
    batchSize: integerIn('batchSize', options.batchSize ?? 10, 1, MAX_RECEIVE_BATCH),
    waitTimeSeconds: integerIn('waitTimeSeconds', options.waitTimeSeconds ?? 20, 0, 20),
    visibilityTimeout,
    heartbeatIntervalSeconds,
    retry: { baseDelaySeconds, maxDelaySeconds, jitter },
    shutdownTimeoutMs: numberIn('shutdownTimeoutMs', options.shutdownTimeoutMs ?? 30_000, 0, 2 ** 31 - 1),
    idempotency: options.idempotency,
    failureLog: options.failureLog,
    handleSignals: options.handleSignals ?? false,
    handler: handler as MessageHandler<unknown> | undefined,
    batchHandler: batchHandler as BatchHandler<unknown> | undefined,
    decode,
    coalesce: resolveCoalesce(
      options.coalesce as CoalesceOptions<unknown> | undefined,
      decode !== undefined,
      batchHandler !== undefined,
      options.queueUrl,
    ),
  };
}
