// Idempotent handling for the consumer of switchyard/client. Delivery is at least once, so a handler may see the same
// event again: after a handler succeeded but its delete failed, after a visibility timeout ran out, or when a
// producer published twice. An IdempotencyStore remembers, for a time window, the keys (EventBridge event ids) of what
// was handled successfully; the consumer deletes a message whose key it already holds without running the handler.
//
// The store records completions, not claims: two copies of one event handled at the same moment (by two consumers,
// or in two handler slots) both run. That keeps the store to two plain operations any key-value store offers, and
// leaves delivery at least once, with far fewer repeats.

/** A day: how long the consumer remembers what it handled, unless told otherwise. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The most keys a MemoryIdempotencyStore holds, unless told otherwise. */
export const DEFAULT_IDEMPOTENCY_MAX_ENTRIES = 100_000;

/**
 * Where the consumer remembers what it handled. Any key-value store with expiry fits: implement these methods over
 * Redis (`SET key 1 PX ttl`, `EXISTS key`), DynamoDB (an item per key with a TTL attribute), a SQL table, ...
 *
 * The consumer calls `has(key)` before running the handler and `put(key, ttlMs)` after the handler succeeded (before
 * the delete). Keys are event ids; a store shared by consumers of different queues should be given keys namespaced by
 * queue (the same event delivered to two queues by two rules must be handled by both).
 *
 * {@link MemoryIdempotencyStore} is per process: consumers in several processes or hosts sharing a queue deduplicate
 * across each other only through an external store that they all use.
 */
export interface IdempotencyStore {
  /** Whether `key` was put and its time to live has not run out. */
  has(key: string): Promise<boolean>;
  /** Remembers `key` for `ttlMs` milliseconds from now, the store's own window when not given (again, if held). */
  put(key: string, ttlMs?: number): Promise<void>;
  /** Forgets `key` (so that its event is handled again if it comes back). */
  delete?(key: string): Promise<void>;
}

export interface MemoryIdempotencyStoreOptions {
  /** How long a key is held when `put` is given no time to live, in milliseconds. @defaultValue 24 hours */
  windowMs?: number;
  /**
   * The most keys held: putting one more forgets the one put (or put again) longest ago, even if its time to live
   * has not run out. Bounds the memory used whatever the throughput. @defaultValue 100000
   */
  maxEntries?: number;
  /** The clock, in milliseconds (injectable for tests). @defaultValue Date.now */
  now?: () => number;
}

/**
 * An {@link IdempotencyStore} in this process's memory. A key put at `t` with time to live `ttl` is held while
 * `now() < t + ttl`: at `t + ttl` exactly it is gone. Expired keys are dropped lazily (when looked up, and from the
 * oldest on every call), with no timer; at most `maxEntries` keys are held, the oldest put evicted first. Every
 * operation is O(1) amortised.
 *
 * It is lost when the process ends, and other processes do not see it: see {@link IdempotencyStore} for sharing.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly windowMs: number;
  readonly maxEntries: number;
  readonly #now: () => number;
  /** Key → expiry time, in the order the keys were last put (the oldest first). */
  readonly #expiries = new Map<string, number>();

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    const { windowMs = DEFAULT_IDEMPOTENCY_WINDOW_MS, maxEntries = DEFAULT_IDEMPOTENCY_MAX_ENTRIES } = options;
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be a positive number of milliseconds, got ${windowMs}`);
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.windowMs = windowMs;
    this.maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** How many keys are held (keys that expired but were not dropped yet included). */
  get size(): number {
    this.#dropExpired(this.#now());
    return this.#expiries.size;
  }

  async has(key: string): Promise<boolean> {
    const now = this.#now();
    this.#dropExpired(now);
    const expiresAt = this.#expiries.get(key);
    if (expiresAt === undefined) return false;
    if (now < expiresAt) return true;
    this.#expiries.delete(key);
    return false;
  }

  /** Remembers `key` for `ttlMs` (the store's window by default) from now; a `ttlMs` of 0 forgets it. */
  async put(key: string, ttlMs: number = this.windowMs): Promise<void> {
    if (typeof ttlMs !== 'number' || !(ttlMs >= 0)) {
      throw new RangeError(`ttlMs must be a non-negative number of milliseconds, got ${String(ttlMs)}`);
    }
    const now = this.#now();
    this.#dropExpired(now);
    // Deleting first moves a key put again to the newest end, so the Map's order stays the order of the last puts.
    this.#expiries.delete(key);
    if (ttlMs === 0) return;
    this.#expiries.set(key, now + ttlMs);
    while (this.#expiries.size > this.maxEntries) {
      const oldest = this.#expiries.keys().next();
      if (oldest.done) break;
      this.#expiries.delete(oldest.value);
    }
  }

  async delete(key: string): Promise<void> {
    this.#expiries.delete(key);
  }

  /** Forgets every key. */
  clear(): void {
    this.#expiries.clear();
  }

  /**
   * Drops expired keys from the oldest end, stopping at the first that has not expired. With one time to live for
   * all keys that is every expired key; with several, an expired key behind one that has not expired yet stays until
   * it is looked up or evicted by the bound.
   * Each key is dropped once, so the cost is O(1) amortised per put.
   */
  #dropExpired(now: number): void {
    for (const [key, expiresAt] of this.#expiries) {
      if (now < expiresAt) return;
      this.#expiries.delete(key);
    }
  }
}
