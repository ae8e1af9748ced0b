/**
 * Wake-up signals for long polls: "something changed on queue N". A hint, never a source of truth:
 * a woken waiter re-reads the store. In-process here; a PostgreSQL deployment would carry the same
 * signal over LISTEN/NOTIFY.
 */
export interface WakeupSignal {
  /** Wakes the queue's waiters: all of them, or at most `limit` when only that many can get anything. */
  notify(queueId: number, limit?: number): void;
  /**
   * How many notifies the queue has had. A waiter reads it before it looks at the store and passes it to
   * `wait`, so that a notify landing between its look and its wait is not lost.
   */
  version(queueId: number): number;
  /**
   * Resolves on a notify for the queue, at once if one came after `sinceVersion`, after `timeoutMs`, on
   * abort, or on close, whichever comes first.
   */
  wait(queueId: number, timeoutMs: number, signal?: AbortSignal, sinceVersion?: number): Promise<void>;
  /** Releases every waiter and makes later waits return at once (graceful shutdown). */
  close(): void;
}

export class InProcessWakeups implements WakeupSignal {
  private readonly waiters = new Map<number, Set<() => void>>();
  private readonly versions = new Map<number, number>();
  private closed = false;

  version(queueId: number): number {
    return this.versions.get(queueId) ?? 0;
  }

  notify(queueId: number, limit = Number.POSITIVE_INFINITY): void {
    this.versions.set(queueId, this.version(queueId) + 1);
    const set = this.waiters.get(queueId);
    if (!set) return;
    let woken = 0;
    for (const wake of [...set]) {
      if (woken >= limit) break;
      wake(); // removes itself from the set
      woken += 1;
    }
    if (set.size === 0) this.waiters.delete(queueId);
  }

  wait(queueId: number, timeoutMs: number, signal?: AbortSignal, sinceVersion?: number): Promise<void> {
    if (this.closed || signal?.aborted || timeoutMs <= 0) return Promise.resolve();
    if (sinceVersion !== undefined && this.version(queueId) !== sinceVersion) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(queueId);
      if (!set) {
        set = new Set();
        this.waiters.set(queueId, set);
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.get(queueId)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  close(): void {
    this.closed = true;
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const set of all) for (const wake of set) wake();
  }
}
