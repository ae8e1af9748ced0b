import type Database from 'better-sqlite3';
import type { NewTraceStep, TraceRecord, TraceStepName } from '../types.js';

interface TraceRow {
  id: number;
  account_id: string;
  event_id: string;
  root: number | null;
  at: number;
  steps: string;
}

/** One stored step: `[at, step, detail]`. */
type PackedStep = [number, TraceStepName, Record<string, unknown>];

/** A message as its queue-side steps need it. */
export interface TracedMessage {
  message_id: string;
  event_id: string | null;
  event_trace_root: number | null;
}

/** Steps written by one call, per event: the row each event's steps went to, for its queue messages. */
export type TraceRoots = ReadonlyMap<string, number>;

/**
 * The SQLite side of event traces (migration 12). Writes run inside the caller's transaction (the store's group
 * commit), so a step is durable exactly when the write it describes is; reads are plain reads.
 *
 * Laid out for the cost of writing, which every routed event and every receive and delete of its messages pay, rather
 * than for the rare lookup:
 * - The steps one call writes for one event (ingested, matched, invoked…) share a row, as a JSON array.
 * - Only those rows (`root IS NULL`) are indexed by event id. An event id is random, so each entry lands on a page of
 *   its own: one per event routed, not one per step.
 * - A queue message born from an event carries the id of the row that routed it (`messages.event_trace_root`), and the
 *   steps of its receives, deletes and moves point to that row (`root`). That index grows at its end, as messages are
 *   mostly received soon after they are sent, so a batch of receives dirties a page or two, not one per message.
 * A lookup finds the event's rows by id, then the rows pointing to them.
 */
export class EventTraceTables {
  private readonly sql;
  private readonly queues = new Map<number, { accountId: string; name: string }>();

  constructor(db: Database.Database) {
    this.sql = {
      insert: db.prepare<[string, string, number | null, number, string]>(
        'INSERT INTO event_trace (account_id, event_id, root, at, steps) VALUES (?, ?, ?, ?, ?)',
      ),
      roots: db.prepare<[string, string], TraceRow>(
        'SELECT * FROM event_trace WHERE account_id = ? AND event_id = ? AND root IS NULL ORDER BY id',
      ),
      children: db.prepare<[string], TraceRow>(
        'SELECT * FROM event_trace WHERE root IN (SELECT value FROM json_each(?)) ORDER BY id',
      ),
      expire: db.prepare<[number, number]>(
        'DELETE FROM event_trace WHERE id IN (SELECT id FROM event_trace WHERE at < ? ORDER BY at LIMIT ?)',
      ),
      queueName: db.prepare<[number], { account_id: string; name: string }>(
        'SELECT account_id, name FROM queues WHERE id = ?',
      ),
      // In SQL, so that a purge costs one more pass over the queue's rows and no JavaScript per message.
      purged: db.prepare(
        `INSERT INTO event_trace (account_id, event_id, root, at, steps)
         SELECT @accountId, event_id, event_trace_root, @now,
           json_array(json_array(@now, 'purged', json_object('queue', @queue, 'messageId', message_id)))
         FROM messages WHERE queue_id = @queueId AND sent_at <= @now AND event_id IS NOT NULL ORDER BY seq`,
      ),
      // The store's deleteExpired, telling which messages went: the retention sweep is where the messages born from
      // events that nobody deleted end.
      deleteExpired: db.prepare<[number, number, number, number], TracedMessage>(
        `DELETE FROM messages WHERE seq IN (
           SELECT seq FROM messages WHERE queue_id = ? AND sent_at < ? AND COALESCE(enqueued_at, sent_at) < ? LIMIT ?)
         RETURNING message_id, event_id, event_trace_root`,
      ),
    };
  }

  /**
   * Writes the steps of one call: each run of consecutive steps of one event as one row. Returns the row of each
   * event (its first, should it have several).
   */
  addAll(steps: readonly NewTraceStep[] | undefined): TraceRoots | undefined {
    if (!steps || steps.length === 0) return undefined;
    const roots = new Map<string, number>();
    let i = 0;
    while (i < steps.length) {
      const first = steps[i] as NewTraceStep;
      const packed: PackedStep[] = [];
      for (; i < steps.length; i++) {
        const step = steps[i] as NewTraceStep;
        if (step.eventId !== first.eventId || step.accountId !== first.accountId) break;
        packed.push([step.at, step.step, step.detail]);
      }
      const row = this.sql.insert.run(first.accountId, first.eventId, null, first.at, JSON.stringify(packed));
      if (!roots.has(first.eventId)) roots.set(first.eventId, Number(row.lastInsertRowid));
    }
    return roots;
  }

  /**
   * A step of one message of the queue born from an event (the caller checks `event_id` first: messages that are not
   * pay nothing more): `queue` and `messageId`, then the step's own details.
   */
  queueStep(
    queueId: number,
    message: TracedMessage,
    at: number,
    step: TraceStepName,
    detail?: Record<string, unknown>,
  ): void {
    if (message.event_id === null) return;
    const queue = this.queue(queueId);
    const packed: PackedStep[] = [[at, step, { queue: queue.name, messageId: message.message_id, ...detail }]];
    this.sql.insert.run(queue.accountId, message.event_id, message.event_trace_root, at, JSON.stringify(packed));
  }

  /** The steps of an event, in the order they were written, at most `limit`. */
  forEvent(accountId: string, eventId: string, limit: number): TraceRecord[] {
    const roots = this.sql.roots.all(accountId, eventId);
    if (roots.length === 0) return [];
    // A root id may have been reused since an old message took it (see migration 12): its steps are not this event's.
    const children = this.sql.children
      .all(JSON.stringify(roots.map((row) => row.id)))
      .filter((row) => row.event_id === eventId && row.account_id === accountId);
    const rows = children.length === 0 ? roots : [...roots, ...children].sort((a, b) => a.id - b.id);
    const records: TraceRecord[] = [];
    for (const row of rows) {
      for (const [at, step, detail] of JSON.parse(row.steps) as PackedStep[]) {
        if (records.length >= limit) return records;
        records.push({ accountId: row.account_id, eventId: row.event_id, at, step, detail });
      }
    }
    return records;
  }

  expire(before: number, limit: number): number {
    return this.sql.expire.run(before, limit).changes;
  }

  /**
   * The queue's account and name, remembered: a queue id is never reused (AUTOINCREMENT) and a queue is never renamed,
   * so only the first step of a queue pays for the lookup.
   */
  queue(queueId: number): { accountId: string; name: string } {
    let queue = this.queues.get(queueId);
    if (!queue) {
      const row = this.sql.queueName.get(queueId);
      if (!row) return { accountId: '', name: String(queueId) };
      queue = { accountId: row.account_id, name: row.name };
      this.queues.set(queueId, queue);
    }
    return queue;
  }

  /** The store's `deleteExpired`, with an `expired` step stamped `at` for each message born from an event. */
  deleteExpired(queueId: number, enqueuedBefore: number, limit: number, at: number): number {
    const gone = this.sql.deleteExpired.all(queueId, enqueuedBefore, enqueuedBefore, limit);
    for (const message of gone) {
      if (message.event_id !== null) this.queueStep(queueId, message, at, 'expired');
    }
    return gone.length;
  }

  /** One `purged` step per message of the queue born from an event that a purge at `now` removes. */
  purged(queueId: number, now: number): void {
    const queue = this.queue(queueId);
    this.sql.purged.run({ accountId: queue.accountId, queue: queue.name, queueId, now });
  }
}
