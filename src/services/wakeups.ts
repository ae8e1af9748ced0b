/**
 * Wake-up signals for long polls: "something changed on queue N". A hint, never a source of truth:
 * a woken waiter re-reads the store. In-process here; a PostgreSQL deployment would carry the same
 * signal over LISTEN/NOTIFY.
 */
export interface WakeupSignal {
  notify(queueId: number): void;
  /** Resolves on a notify for the queue, after `timeoutMs`, on abort, or on close, whichever comes first. */
  wait(queueId: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Releases every waiter and makes later waits return at once (graceful shutdown). */
  close(): void;
}

export class InProcessWakeups implements WakeupSignal {
  private readonly waiters = new Map<number, Set<() => void>>();
  private closed = false;

  notify(queueId: number): void {
    const set = this.waiters.get(queueId);
    if (!set) return;
    this.waiters.delete(queueId);
    for (const wake of set) wake();
  }

  wait(queueId: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted || timeoutMs <= 0) return Promise.resolve();
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
