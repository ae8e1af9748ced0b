import type { Clock } from '../core/clock.js';
import type { Store } from '../store/types.js';
import { ExpirySweep } from './background-loop.js';

/** One step of an event's path, as the console shows it. */
export interface TraceStep {
  /** Epoch ms. */
  at: number;
  /**
   * `ingested`, `matched`, `invoked`, `delivered`, `delivery-failed`, `target-dead-lettered`, `dropped`, `received`,
   * `deleted`, `dead-lettered`, `moved`, `expired`, `purged`, `deduplicated`.
   */
  step: string;
  detail: Record<string, unknown>;
}

export interface EventTrace {
  eventId: string;
  /** In the order they happened; empty for an event never seen (or whose steps have expired). */
  steps: TraceStep[];
}

/** The most steps one trace answers with: an event received again and again stops there, its start kept. */
export const MAX_TRACE_STEPS = 1000;

export interface EventTraceServiceOptions {
  store: Store;
  clock: Clock;
  /**
   * How long steps are kept, in seconds. With 0 nothing is recorded (the runtime then builds the store and the router
   * with `traceEvents: false`) and the sweep removes whatever an earlier run left.
   */
  retentionSeconds: number;
  /** How often expired steps are removed, in ms. @defaultValue 60000 */
  sweepMs?: number;
  /** Most steps one sweep transaction removes; a full batch is followed by another at once. @defaultValue 5000 */
  sweepBatch?: number;
  /** Told of a sweep that failed (it is tried again at the next tick). @defaultValue none */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * The path of an event through the server, for the console's Event trace page: the steps routing, the delivery
 * worker and the queues recorded for it (each with the write it describes, see `Store.eventTrace`), and the sweep
 * that forgets them after `retentionSeconds`.
 */
export class EventTraceService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly retentionMs: number;
  private readonly sweepBatch: number;
  private readonly sweeper: ExpirySweep;

  constructor(options: EventTraceServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.retentionMs = options.retentionSeconds * 1000;
    this.sweepBatch = options.sweepBatch ?? 5000;
    this.sweeper = new ExpirySweep(
      () => this.sweepExpired(),
      this.sweepBatch,
      options.sweepMs ?? 60_000,
      options.onError,
    );
  }

  /** Whether steps are recorded at all. */
  get enabled(): boolean {
    return this.retentionMs > 0;
  }

  /** The recorded steps of the event, oldest first. */
  async trace(accountId: string, eventId: string): Promise<EventTrace> {
    if (eventId === '') return { eventId, steps: [] };
    const records = await this.store.eventTrace(accountId, eventId, MAX_TRACE_STEPS);
    return { eventId, steps: records.map(({ at, step, detail }) => ({ at, step, detail })) };
  }

  /** Removes up to one batch of steps older than the retention; returns how many. */
  sweepExpired(): Promise<number> {
    return this.store.expireEventTrace(this.clock.now() - this.retentionMs, this.sweepBatch);
  }

  /** Starts the periodic sweep. */
  start(): void {
    this.sweeper.start();
  }

  /** Stops the sweep, waiting for the one under way. */
  stop(): Promise<void> {
    return this.sweeper.stop();
  }
}
