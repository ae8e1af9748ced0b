// The producer: validates events against their definitions, batches them into PutEvents calls (by count and by AWS's
// entry-size formula), and retries what failed for a transient reason (the whole call, or single entries) with
// exponential backoff and full jitter. Every event's promise settles: with its event id, or with a typed error.
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EntryTooLargeError, ProducerClosedError, PublishError } from './errors.js';
import type { EntryOptions, EventDefinition } from './events.js';

/** AWS's limits on one PutEvents call. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

/** Per-entry error codes worth sending again; any other entry error is final. */
export const RETRYABLE_ENTRY_CODES: ReadonlySet<string> = new Set(['ThrottlingException', 'InternalFailure']);
/** Names of whole-call errors worth sending again (besides `$retryable` ones, 5xx answers and network errors). */
const RETRYABLE_CALL_ERRORS = new Set([
  'ThrottlingException',
  'InternalException',
  'InternalFailure',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

export interface ProducerOptions {
  /** The client the PutEvents calls go through (its own `maxAttempts` retries add to the producer's). */
  client: EventBridgeClient | PutEventsSender;
  /** The bus of events published without one. @defaultValue EventBridge's `default` bus */
  eventBusName?: string;
  /** Entries per PutEvents call, 1 to 10. @defaultValue 10 */
  maxBatchEntries?: number;
  /** Bytes per PutEvents call by AWS's entry-size formula, at most 256 KiB. @defaultValue 262144 */
  maxBatchBytes?: number;
  /** How long a batch that is not full waits for more events after its first one, in ms. @defaultValue 5 */
  lingerMs?: number;
  /** PutEvents calls an event may take, the first one included. @defaultValue 5 */
  maxAttempts?: number;
  /** The backoff before the first retry is up to this, doubling with every retry. @defaultValue 50 */
  baseDelayMs?: number;
  /** The most a backoff can be. @defaultValue 5000 */
  maxDelayMs?: number;
  /** A source of numbers in [0, 1) for the jitter. @defaultValue Math.random */
  random?: () => number;
}

/** The one call the producer makes; an EventBridgeClient is one. */
export interface PutEventsSender {
  send(command: PutEventsCommand): Promise<{
    FailedEntryCount?: number;
    Entries?: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[];
  }>;
}

export interface PublishResult {
  eventId: string;
}

/** One event for `publishMany`. */
export interface PublishRequest<I = unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: any detail type: `detail` is checked against the definition at runtime.
  definition: EventDefinition<any, I>;
  detail: I;
  options?: EntryOptions;
}

/** What the producer reports to its listeners. */
export interface ProducerEvents {
  /** A batch went out for the first time: how many entries, and their size by AWS's formula. */
  batch: { size: number; bytes: number };
  /** Entries are sent again after `delayMs`; `attempt` is the attempt that failed (1 for the first call). */
  retry: { attempt: number; delayMs: number; count: number };
  /** An event was given up on: its `publish` promise rejects with this error too. */
  error: PublishError;
}

type Listener<E extends keyof ProducerEvents> = (payload: ProducerEvents[E]) => void;

export interface Producer {
  /** Validates the event, queues it and resolves with its event id once EventBridge took it. */
  publish<I>(definition: EventDefinition<unknown, I>, detail: I, options?: EntryOptions): Promise<PublishResult>;
  /**
   * Validates every event first (one invalid event rejects the call and queues none), then publishes them all:
   * resolves with their results in order, or rejects with the first failure (the others are still sent).
   */
  publishMany(events: readonly PublishRequest[]): Promise<PublishResult[]>;
  /** Sends what is queued now, and resolves once every event published before the call has settled. */
  flush(): Promise<void>;
  /** Flushes, and refuses later publishes with ProducerClosedError. */
  close(): Promise<void>;
  on<E extends keyof ProducerEvents>(event: E, listener: Listener<E>): Producer;
  off<E extends keyof ProducerEvents>(event: E, listener: Listener<E>): Producer;
}

// ---- pure helpers --------------------------------------------------------------------------------

const utf8 = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));

/**
 * AWS's size of a PutEvents entry: 14 bytes for `Time` if present, plus the UTF-8 bytes of `Source`, `DetailType`,
 * `Detail` and each of `Resources` (EventBusName and TraceHeader do not count).
 */
export function entrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time !== undefined ? 14 : 0;
  size += utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail);
  for (const resource of entry.Resources ?? []) size += utf8(resource);
  return size;
}

/** Whether an entry of `size` bytes joins a batch of `count` entries and `bytes` bytes; an empty batch takes any. */
export function fitsInBatch(
  batch: { count: number; bytes: number },
  size: number,
  limits: { maxBatchEntries: number; maxBatchBytes: number },
): boolean {
  if (batch.count === 0) return true;
  return batch.count < limits.maxBatchEntries && batch.bytes + size <= limits.maxBatchBytes;
}

/** Splits entry sizes into batches, in order, as the producer does: the indexes of each batch's entries. */
export function planBatches(
  sizes: readonly number[],
  limits: { maxBatchEntries: number; maxBatchBytes: number },
): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  sizes.forEach((size, index) => {
    if (!fitsInBatch({ count: current.length, bytes }, size, limits)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(index);
    bytes += size;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * The wait before retrying after failed attempt `attempt` (1-based): "full jitter", a uniform whole number of
 * milliseconds in [0, min(maxDelayMs, baseDelayMs · 2^(attempt-1))].
 */
export function backoffDelay(
  attempt: number,
  options: { baseDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.min(cap, Math.floor(random() * (cap + 1)));
}

/** Whether a failed PutEvents call is worth making again: throttling, a server fault or a network error. */
export function isRetryableCallError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    name?: unknown;
    code?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  if (typeof e.name === 'string' && RETRYABLE_CALL_ERRORS.has(e.name)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  return typeof e.code === 'string' && NETWORK_ERROR_CODES.has(e.code);
}

// ---- the producer --------------------------------------------------------------------------------

interface Pending {
  entry: PutEventsRequestEntry;
  size: number;
  resolve(result: PublishResult): void;
  reject(error: Error): void;
}

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number ≥ 0, got ${value}`);
  return value;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createProducer(options: ProducerOptions): Producer {
  const client = options.client as PutEventsSender;
  const limits = {
    maxBatchEntries: positiveInteger(
      'maxBatchEntries',
      options.maxBatchEntries ?? MAX_BATCH_ENTRIES,
      MAX_BATCH_ENTRIES,
    ),
    maxBatchBytes: positiveInteger('maxBatchBytes', options.maxBatchBytes ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES),
  };
  const lingerMs = nonNegative('lingerMs', options.lingerMs ?? 5);
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 5);
  const backoff = {
    baseDelayMs: nonNegative('baseDelayMs', options.baseDelayMs ?? 50),
    maxDelayMs: nonNegative('maxDelayMs', options.maxDelayMs ?? 5000),
  };
  const random = options.random ?? Math.random;

  const listeners: { [E in keyof ProducerEvents]: Set<Listener<E>> } = {
    batch: new Set(),
    retry: new Set(),
    error: new Set(),
  };
  function emit<E extends keyof ProducerEvents>(event: E, payload: ProducerEvents[E]): void {
    for (const listener of listeners[event]) {
      try {
        listener(payload);
      } catch {
        // A listener's bug must not leave events unsettled; there is nowhere better to report it.
      }
    }
  }

  let open: Pending[] = [];
  let openBytes = 0;
  let lingerTimer: ReturnType<typeof setTimeout> | undefined;
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  /** Sends the open batch, if any. */
  function seal(): void {
    if (lingerTimer) clearTimeout(lingerTimer);
    lingerTimer = undefined;
    if (open.length === 0) return;
    const batch = open;
    emit('batch', { size: batch.length, bytes: openBytes });
    open = [];
    openBytes = 0;
    const sending = send(batch).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  }

  /** Rejects an event that will not be sent again, and reports it. */
  function giveUp(item: Pending, attempts: number, errorCode: string, errorMessage: string, cause?: unknown): void {
    const details = { errorCode, errorMessage, attempts, source: item.entry.Source, detailType: item.entry.DetailType };
    const error = new PublishError(details, cause !== undefined ? { cause } : undefined);
    emit('error', error);
    item.reject(error);
  }

  /** Sends a batch, and again what failed for a transient reason, until every event of it has settled. */
  async function send(batch: readonly Pending[]): Promise<void> {
    let remaining = batch;
    for (let attempt = 1; ; attempt++) {
      const retry: Pending[] = [];
      try {
        const out = await client.send(new PutEventsCommand({ Entries: remaining.map((item) => item.entry) }));
        remaining.forEach((item, index) => {
          const result = out.Entries?.[index];
          if (result?.EventId) item.resolve({ eventId: result.EventId });
          else if (result?.ErrorCode && RETRYABLE_ENTRY_CODES.has(result.ErrorCode) && attempt < maxAttempts) {
            retry.push(item);
          } else {
            const code = result?.ErrorCode ?? 'MissingResult';
            giveUp(item, attempt, code, result?.ErrorMessage ?? 'PutEvents returned no result for the entry');
          }
        });
      } catch (error) {
        if (isRetryableCallError(error) && attempt < maxAttempts) retry.push(...remaining);
        else {
          const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
          for (const item of remaining) giveUp(item, attempt, name, message, error);
        }
      }
      if (retry.length === 0) return;
      const delayMs = backoffDelay(attempt, backoff, random);
      emit('retry', { attempt, delayMs, count: retry.length });
      await sleep(delayMs);
      remaining = retry;
    }
  }

  function enqueue(entry: PutEventsRequestEntry, size: number): Promise<PublishResult> {
    return new Promise<PublishResult>((resolve, reject) => {
      if (!fitsInBatch({ count: open.length, bytes: openBytes }, size, limits)) seal();
      open.push({ entry, size, resolve, reject });
      openBytes += size;
      if (open.length >= limits.maxBatchEntries || openBytes >= limits.maxBatchBytes) seal();
      else if (open.length === 1) lingerTimer = setTimeout(seal, lingerMs);
    });
  }

  /** The entry of an event, or why it cannot be published (thrown). */
  function prepare<I>(
    definition: EventDefinition<unknown, I>,
    detail: I,
    entryOptions: EntryOptions = {},
  ): { entry: PutEventsRequestEntry; size: number } {
    if (closed) throw new ProducerClosedError();
    const busName = entryOptions.eventBusName ?? options.eventBusName;
    const entry = definition.entry(
      detail,
      busName !== undefined ? { ...entryOptions, eventBusName: busName } : entryOptions,
    );
    const size = entrySize(entry);
    if (size > MAX_BATCH_BYTES) throw new EntryTooLargeError(size, MAX_BATCH_BYTES);
    return { entry, size };
  }

  const producer: Producer = {
    async publish(definition, detail, entryOptions) {
      const { entry, size } = prepare(definition, detail, entryOptions);
      return enqueue(entry, size);
    },
    async publishMany(events) {
      const prepared = events.map((e) => prepare(e.definition, e.detail, e.options));
      return Promise.all(prepared.map(({ entry, size }) => enqueue(entry, size)));
    },
    async flush() {
      seal();
      await Promise.all([...inFlight]);
    },
    async close() {
      closed = true;
      await producer.flush();
    },
    on(event, listener) {
      listeners[event].add(listener);
      return producer;
    },
    off(event, listener) {
      listeners[event].delete(listener);
      return producer;
    },
  };
  return producer;
}
