// The demo's accounting, by event id: what was published for each consumed queue, what its consumer saw, how each
// event was settled (handled, superseded by a newer version of its entity, or skipped as stale), which events were
// dead-lettered and which of those came back through the redrive. At-least-once delivery means an event can be
// settled twice; that is counted, not hidden.
import { CONSUMED_QUEUES, type ConsumedQueue } from './topology.js';

export type Settlement = 'handled' | 'coalesced' | 'skipped';

export class QueueLedger {
  /** Events published that the rules route to this queue. */
  readonly published = new Set<string>();
  /** Events (ids) this queue's consumer received at least once. */
  readonly seen = new Set<string>();
  readonly settled = new Map<string, Settlement>();
  /** Events the consumer gave up on, towards the dead-letter queue. */
  readonly deadLettered = new Set<string>();
  /**
   * From the first move task on: the events to be redriven (given up on, or poison, and not settled then; a FIFO
   * group's later messages can reach the dead-letter queue with their poison head without a give-up of their own).
   */
  readonly awaitingRedrive = new Set<string>();
  /** Of those, the ones settled since. */
  readonly settledAfterRedrive = new Set<string>();
  #redriveStarted = false;
  /** Settlements of an event already settled (a redelivery: at least once). */
  duplicates = 0;
  /** Published poison events. */
  readonly poison = new Set<string>();
  /** Per entity, the highest version applied, to check the FIFO queue's order. */
  readonly appliedVersions = new Map<string, number>();
  /** Successful handler calls with a version below one already applied to the entity (a FIFO order violation). */
  outOfOrder = 0;

  constructor(readonly queue: ConsumedQueue) {}

  settle(eventId: string, how: Settlement): void {
    this.seen.add(eventId);
    if (this.settled.has(eventId)) {
      this.duplicates += 1;
      return;
    }
    this.settled.set(eventId, how);
    if (this.awaitingRedrive.has(eventId)) this.settledAfterRedrive.add(eventId);
  }

  /** The consumer gave up on the event: the queue's redrive policy takes it to the dead-letter queue. */
  gaveUp(eventId: string): void {
    this.deadLettered.add(eventId);
    if (this.#redriveStarted && !this.settled.has(eventId)) this.awaitingRedrive.add(eventId);
  }

  /** The first move task starts: what is dead-lettered (or poison) and not settled now is what it brings back. */
  startRedrive(): void {
    if (this.#redriveStarted) return;
    this.#redriveStarted = true;
    for (const id of [...this.deadLettered, ...this.poison]) if (!this.settled.has(id)) this.awaitingRedrive.add(id);
  }

  /** Events that went, or were going, to the dead-letter queue. */
  deadLetteredCount(): number {
    return new Set([...this.deadLettered, ...this.awaitingRedrive]).size;
  }

  /** Records a version applied to an entity; counts it if it is older than what was applied (the same: a redelivery). */
  applied(entity: string, version: number): void {
    const before = this.appliedVersions.get(entity);
    if (before !== undefined && version < before) this.outOfOrder += 1;
    else this.appliedVersions.set(entity, version);
  }

  count(how: Settlement): number {
    let n = 0;
    for (const s of this.settled.values()) if (s === how) n += 1;
    return n;
  }

  /** Published events not settled yet. */
  unsettled(): string[] {
    const out: string[] = [];
    for (const id of this.published) if (!this.settled.has(id)) out.push(id);
    return out;
  }

  /** Settled events this run did not publish (left in the queue by an earlier run). */
  foreign(): number {
    let n = 0;
    for (const id of this.settled.keys()) if (!this.published.has(id)) n += 1;
    return n;
  }
}

export class Ledger {
  readonly queues: Record<ConsumedQueue, QueueLedger>;

  constructor() {
    this.queues = Object.fromEntries(CONSUMED_QUEUES.map((q) => [q, new QueueLedger(q)])) as Record<
      ConsumedQueue,
      QueueLedger
    >;
  }

  /** The first move task starts (see QueueLedger.startRedrive). */
  startRedrive(): void {
    for (const q of CONSUMED_QUEUES) this.queues[q].startRedrive();
  }

  /** Every published event settled, on every queue. */
  allSettled(): boolean {
    return CONSUMED_QUEUES.every((q) => this.queues[q].unsettled().length === 0);
  }
}
