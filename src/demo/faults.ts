// The faults the demo injects into its emulated downstream systems, and the downstream calls themselves.
//
// - Transient failures: a fixed fraction of events (chosen by a hash of the event id, so the same event is chosen
//   again after a redrive) fail their first delivery with an HTTP 503 from the downstream system. The handler throws
//   an ordinary error, the consumer hides the message for a backoff (`retry.baseDelaySeconds: 1`), and the second
//   delivery succeeds.
// - Poison messages: events about a few entities the workload marks broken fail every delivery until the cause is
//   "fixed" (a flag the demo sets partway through). Two kinds, to show both ways to the dead-letter queue:
//   * an SKU that is not mapped in the downstream catalogue (its inventory updates and the orders that contain it):
//     the handler knows that retrying cannot help and throws `permanent()`, so the consumer dead-letters the message
//     at once (within maxReceiveCount quick receives, no backoff waits). On orders.fifo this matters most: a message
//     retried with backoff would hold up its whole message group (every order of a marketplace family).
//   * a frozen refund account: the returns service answers HTTP 409, which the handler cannot tell from a passing
//     failure, so it throws an ordinary error; the message is retried with backoff until the queue's maxReceiveCount
//     (3 for returns) moves it to returns-dlq.
import { setTimeout as sleep } from 'node:timers/promises';
import { permanent } from '../client/index.js';

/** Why an entity's events fail, and whether the handler can tell that retrying is pointless. */
export interface PoisonCause {
  description: string;
  permanent: boolean;
}

export const UNMAPPED_SKU_CAUSE: PoisonCause = {
  description: 'SKU is not mapped in the downstream catalogue',
  permanent: true,
};

export const FROZEN_REFUND_CAUSE: PoisonCause = {
  description: 'refund account frozen at the payment provider (HTTP 409)',
  permanent: false,
};

/** FNV-1a, for choosing events by id reproducibly. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class DownstreamError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DownstreamError';
  }
}

export class Faults {
  /** Entity coalescing keys (`inventory:<marketplace>/<seller>/<sku>`, …) whose events fail until fixed. */
  readonly #poison = new Map<string, PoisonCause>();
  #fixed = false;
  #fixedAt: number | undefined;

  constructor(
    /** Fraction of events whose first delivery fails (0 to 1). */
    readonly transientRate: number,
  ) {}

  markPoison(entity: string, cause: PoisonCause): void {
    this.#poison.set(entity, cause);
  }

  isPoison(entity: string): boolean {
    return this.#poison.has(entity);
  }

  get poisonEntities(): number {
    return this.#poison.size;
  }

  /** The cause is fixed: poison entities' events succeed from now on. */
  fix(now = Date.now()): void {
    this.#fixed = true;
    this.#fixedAt ??= now;
  }

  get fixed(): boolean {
    return this.#fixed;
  }

  get fixedAt(): number | undefined {
    return this.#fixedAt;
  }

  /** Whether this event is one of those whose first delivery fails. */
  isFlaky(eventId: string): boolean {
    return (hash(eventId) % 10_000) / 10_000 < this.transientRate;
  }

  /**
   * Throws what the downstream system would answer for this delivery of the event: the poison cause (as `permanent()`
   * when the handler can tell), or a 503 on a flaky event's first delivery; returns when the call would succeed.
   */
  check(entity: string | undefined, eventId: string, receiveCount: number): void {
    const cause = entity === undefined ? undefined : this.#poison.get(entity);
    if (cause && !this.#fixed) {
      const error = new DownstreamError(`${entity}: ${cause.description}`, cause.permanent ? 422 : 409);
      throw cause.permanent ? permanent(error) : error;
    }
    if (receiveCount <= 1 && this.isFlaky(eventId)) {
      throw new DownstreamError(`${eventId}: downstream answered HTTP 503, try again later`, 503);
    }
  }
}

/** An emulated downstream API: each call takes a latency drawn in [minMs, maxMs]; calls are counted. */
export class Downstream {
  calls = 0;

  constructor(
    readonly name: string,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  async call(signal?: AbortSignal): Promise<void> {
    this.calls += 1;
    const ms = this.minMs + Math.random() * (this.maxMs - this.minMs);
    await sleep(ms, undefined, signal ? { signal } : undefined);
  }
}
