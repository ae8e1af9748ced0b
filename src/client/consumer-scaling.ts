// Autoscaling of a consumer's concurrency between a minimum and a maximum. Pure decisions, no clock and no I/O: the
// consumer samples the queue's backlog (ApproximateNumberOfMessages) and its own load, and asks `nextConcurrency`.
//
// The rule is Little's law. A consumer running `busy` handlers on average, each taking `latency` seconds, keeps up
// with what arrives; to also clear a backlog of `B` messages within `targetDrainSeconds` it needs `B × latency /
// targetDrainSeconds` more. So the wanted concurrency is `busy + B × latency / drain`, within [min, max]. Before any
// handler has finished there is no latency to go by: a consumer with a backlog and every slot taken doubles instead.
//
// Scaling up happens at once (a flash sale should not wait); scaling down only after the wanted concurrency has been
// lower for `scaleDownAfter` readings in a row, and by at most half per reading, so a brief lull between bursts does
// not throw away the capacity the next burst needs.

export interface AutoscalingOptions {
  /** The fewest handlers kept ready (and the concurrency at start). */
  min: number;
  /** The most handlers at once, whatever the backlog: what the downstream systems can take. */
  max: number;
  /** How often the backlog is read and the concurrency decided, in milliseconds. @defaultValue 5000 */
  intervalMs?: number;
  /** Within how many seconds a backlog should be cleared, at the current handler latency. @defaultValue 10 */
  targetDrainSeconds?: number;
  /** Readings in a row that must want less before the concurrency is lowered. @defaultValue 3 */
  scaleDownAfter?: number;
}

export interface ScalingPolicy {
  min: number;
  max: number;
  intervalMs: number;
  targetDrainSeconds: number;
  scaleDownAfter: number;
}

export interface ScalingReading {
  /** The concurrency in force. */
  current: number;
  /** Messages waiting in the queue (ApproximateNumberOfMessages); undefined if it could not be read. */
  backlog: number | undefined;
  /** Handlers running on average since the last reading. */
  busy: number;
  /**
   * Whether every slot was running a handler at some point since the last reading (a slot a receive has reserved
   * does not count: a long poll waiting on a quiet queue would look like a full consumer).
   */
  saturated: boolean;
  /** A typical handler duration (the median of recent runs), in milliseconds; undefined before the first. */
  latencyMs: number | undefined;
  /** Readings in a row so far that wanted less than `current`. */
  lowerReadings: number;
}

export interface ScalingDecision {
  /** The concurrency to put in force. */
  concurrency: number;
  /** What the reading asked for, within [min, max], before the scale-down damping. */
  wanted: number;
  /** Carry into the next reading's `lowerReadings`. */
  lowerReadings: number;
}

/** The concurrency the policy wants for a reading (see the module notes). */
export function wantedConcurrency(policy: ScalingPolicy, r: ScalingReading): number {
  const clamp = (n: number) => Math.min(policy.max, Math.max(policy.min, Math.ceil(n)));
  if (r.backlog === undefined) return clamp(r.current);
  if (r.latencyMs === undefined) {
    return clamp(r.backlog > 0 && r.saturated ? r.current * 2 : Math.max(r.busy, r.backlog > 0 ? r.current : 0));
  }
  const drain = (r.backlog * (r.latencyMs / 1000)) / policy.targetDrainSeconds;
  // A backlog that a reading sees is a backlog: at least one more handler than the average, or it never shrinks
  // while handlers are very fast (drain rounds to nothing) but slots are all taken.
  const pressure = r.backlog > 0 && r.saturated ? r.busy + 1 : 0;
  return clamp(Math.max(r.busy + drain, pressure));
}

/** What to do with a reading: scale up at once, down only after `scaleDownAfter` lower readings, by half at most. */
export function nextConcurrency(policy: ScalingPolicy, r: ScalingReading): ScalingDecision {
  const wanted = wantedConcurrency(policy, r);
  if (wanted >= r.current) return { concurrency: Math.max(wanted, r.current), wanted, lowerReadings: 0 };
  const lowerReadings = r.lowerReadings + 1;
  if (lowerReadings < policy.scaleDownAfter) return { concurrency: r.current, wanted, lowerReadings };
  return { concurrency: Math.max(wanted, Math.ceil(r.current / 2), policy.min), wanted, lowerReadings: 0 };
}

/** The options checked, with their defaults. */
export function scalingPolicy(options: AutoscalingOptions, maxConcurrency: number): ScalingPolicy {
  const int = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`concurrency.${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
    return value;
  };
  const min = int('min', options.min, 1, maxConcurrency);
  const max = int('max', options.max, min, maxConcurrency);
  const intervalMs = int('intervalMs', options.intervalMs ?? 5000, 100, 3_600_000);
  const targetDrainSeconds = options.targetDrainSeconds ?? 10;
  if (!(Number.isFinite(targetDrainSeconds) && targetDrainSeconds > 0)) {
    throw new RangeError(`concurrency.targetDrainSeconds must be a positive number, got ${targetDrainSeconds}`);
  }
  const scaleDownAfter = int('scaleDownAfter', options.scaleDownAfter ?? 3, 1, 1000);
  return { min, max, intervalMs, targetDrainSeconds, scaleDownAfter };
}

/**
 * The average number of handlers running over a stretch of time, and whether the slots were ever all taken: the
 * consumer reports each change, `read` returns the figures since the previous `read` and starts a new stretch.
 */
export class BusyMeter {
  #since: number;
  #last: number;
  #level = 0;
  #area = 0;
  #saturated = false;

  constructor(now: number) {
    this.#since = now;
    this.#last = now;
  }

  /** The number running changed to `level` at `now`; `full` if that takes every slot. */
  set(level: number, now: number, full: boolean): void {
    this.#advance(now);
    this.#level = level;
    if (full) this.#saturated = true;
  }

  read(now: number, fullNow: boolean): { busy: number; saturated: boolean } {
    this.#advance(now);
    const span = now - this.#since;
    const busy = span > 0 ? this.#area / span : this.#level;
    const saturated = this.#saturated || fullNow;
    this.#since = now;
    this.#area = 0;
    this.#saturated = fullNow;
    return { busy, saturated };
  }

  #advance(now: number): void {
    if (now > this.#last) this.#area += this.#level * (now - this.#last);
    this.#last = Math.max(this.#last, now);
  }
}
