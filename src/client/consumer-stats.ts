// The consumer's handler latency: a fixed-size window of the most recent durations, from which p50 and p99 are read.
// Bounded memory whatever the throughput; recent samples only, so the figures follow the handler's current behaviour.

/** The latest `capacity` handler durations (milliseconds), oldest overwritten first. */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #size = 0;

  constructor(readonly capacity = 1024) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#samples = new Float64Array(capacity);
  }

  /** How many samples the window holds (at most its capacity). */
  get size(): number {
    return this.#size;
  }

  record(durationMs: number): void {
    if (!Number.isFinite(durationMs)) return;
    this.#samples[this.#next] = Math.max(0, durationMs);
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size += 1;
  }

  /**
   * The `q`-quantile (0 < q ≤ 1) of the samples held, by the nearest-rank method: the smallest sample that at
   * least a fraction `q` of the samples do not exceed. Undefined while there is no sample.
   */
  quantile(q: number): number | undefined {
    if (this.#size === 0) return undefined;
    const sorted = this.#samples.slice(0, this.#size).sort();
    const rank = Math.min(this.#size, Math.max(1, Math.ceil(q * this.#size)));
    return sorted[rank - 1];
  }
}
