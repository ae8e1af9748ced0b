// Micro-batching of single-item calls into batch requests: items added in one turn of the event loop (or within
// `lingerMs` of the first) go out together, in batches of at most `maxBatch` items of one group each; a group that
// fills a batch goes out at once. Each caller gets its own item's outcome, or the batch's error.

export interface MicroBatcherOptions<I, O> {
  /**
   * Sends one batch: 1 to `maxBatch` items of one group, in the order added. Resolves with one outcome per item, in
   * the same order; a rejection rejects every item of the batch.
   */
  send(items: I[], group: string): Promise<O[]>;
  /** Most items per batch. */
  maxBatch: number;
  /** How long the first item of a batch waits for others, in ms; 0 waits for the end of this turn of the loop. */
  lingerMs: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (outcome: O) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<I, O> {
  readonly #options: MicroBatcherOptions<I, O>;
  /** Items waiting, by group. */
  #pending = new Map<string, Pending<I, O>[]>();
  #scheduled = false;

  constructor(options: MicroBatcherOptions<I, O>) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
      throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    }
    if (!(options.lingerMs >= 0)) throw new RangeError(`lingerMs must be 0 or more, got ${options.lingerMs}`);
    this.#options = options;
  }

  /** Queues `item` in `group` (items of different groups never share a batch); resolves with its outcome. */
  add(item: I, group = ''): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let waiting = this.#pending.get(group);
      if (!waiting) {
        waiting = [];
        this.#pending.set(group, waiting);
      }
      waiting.push({ item, resolve, reject });
      if (waiting.length >= this.#options.maxBatch) {
        this.#pending.delete(group);
        this.#send(waiting, group);
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        const flush = () => this.#flush();
        if (this.#options.lingerMs === 0) setImmediate(flush);
        else setTimeout(flush, this.#options.lingerMs);
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [group, waiting] of pending) {
      for (let i = 0; i < waiting.length; i += this.#options.maxBatch) {
        this.#send(waiting.slice(i, i + this.#options.maxBatch), group);
      }
    }
  }

  #send(batch: Pending<I, O>[], group: string): void {
    let sent: Promise<O[]>;
    try {
      sent = this.#options.send(
        batch.map((p) => p.item),
        group,
      );
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (outcomes) => {
        if (outcomes.length !== batch.length) {
          const error = new Error(`a batch of ${batch.length} items got ${outcomes.length} outcomes`);
          for (const p of batch) p.reject(error);
          return;
        }
        batch.forEach((p, i) => {
          p.resolve(outcomes[i] as O);
        });
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  }
}
