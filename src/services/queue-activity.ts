import type { QueueRecord } from '../store/types.js';

/**
 * What happens on queues, reported by the queue service after each change is committed: the feed of the
 * per-queue counters (Prometheus now, CloudWatch's AWS/SQS metrics later). Listeners must be cheap and
 * must not throw: they run on the request path.
 */
export interface QueueActivity {
  /** Messages accepted by a send; `duplicate` ones were dropped by FIFO deduplication. */
  sent(queue: QueueRecord, messages: readonly { bytes: number; duplicate: boolean }[]): void;
  /** A receive call answered with `count` messages (0 is an empty receive). */
  received(queue: QueueRecord, count: number): void;
  /** Messages deleted by their receipt handles. */
  deleted(queue: QueueRecord, count: number): void;
}

/** Reports to every listener, in order. */
export class QueueActivityFanOut implements QueueActivity {
  private readonly listeners: QueueActivity[] = [];

  add(listener: QueueActivity): void {
    this.listeners.push(listener);
  }

  sent(queue: QueueRecord, messages: readonly { bytes: number; duplicate: boolean }[]): void {
    for (const l of this.listeners) l.sent(queue, messages);
  }

  received(queue: QueueRecord, count: number): void {
    for (const l of this.listeners) l.received(queue, count);
  }

  deleted(queue: QueueRecord, count: number): void {
    for (const l of this.listeners) l.deleted(queue, count);
  }
}
