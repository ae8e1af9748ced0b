import type { MessageAttributes } from '../core/message.js';
import type { QueueAttributeValues } from '../core/queue-attributes.js';
import type { ClaimDecision, MessageState } from '../core/receive-rules.js';

/**
 * The storage port. It speaks queue operations, not SQL: each engine owns its connections and
 * transactions, and every method is atomic on its own. A method that resolves has committed durably.
 *
 * Deliberately left out:
 * - Semantics. Decisions (what to do with a message a receive would take, whether a visibility change is
 *   allowed) are made by `core` and reach the store as callbacks or plain values; the store only applies them.
 * - In-process state that semantics depend on: a second server on the same database (PostgreSQL) must see
 *   the same queues and messages. Engines may cache and signal wake-ups, nothing more.
 * - Time. Callers pass `now`; the store never reads a clock.
 *
 * Every method is asynchronous, reads included, so that network databases fit behind it.
 */
export interface Store {
  readonly kind: string;

  /** Creates the queue unless a live one of that name exists; either way returns the live queue. */
  createQueue(input: NewQueue): Promise<{ queue: QueueRecord; created: boolean }>;
  getQueue(accountId: string, name: string): Promise<QueueRecord | undefined>;
  getQueueById(id: number): Promise<QueueRecord | undefined>;
  /** Live queues of an account, ordered by name, starting after `afterName`. */
  listQueues(
    accountId: string,
    options: { prefix?: string; afterName?: string; limit: number },
  ): Promise<QueueRecord[]>;
  /** Every live queue of every account, for background workers. */
  allQueues(): Promise<QueueRecord[]>;
  /** Removes the queue and its messages; remembers when, for the re-create cooldown. */
  deleteQueue(queueId: number, now: number): Promise<void>;
  /** When a queue of this name was last deleted, if ever. */
  lastDeletedAt(accountId: string, name: string): Promise<number | undefined>;
  updateQueue(queueId: number, change: QueueChange): Promise<QueueRecord>;

  /** Appends messages; all or none. */
  appendMessages(queueId: number, messages: NewMessage[]): Promise<void>;
  /**
   * Takes up to `max` visible messages (earliest visible first), making each invisible until
   * `now + visibilityMs` with a new receipt token. Every candidate is first shown to `decide`:
   * `expire` deletes it, `dead-letter` moves it to `deadLetter.queueId`, and neither counts toward `max`.
   */
  claimMessages(request: ClaimRequest): Promise<ClaimResult>;
  /** Deletes the message if `token` is its latest receipt token. */
  deleteMessage(queueId: number, seq: number, token: string): Promise<'deleted' | 'stale' | 'missing'>;
  /** The current state of one message, for visibility decisions. */
  getMessageState(queueId: number, seq: number): Promise<(MessageState & { token: string | null }) | undefined>;
  /** Sets `visibleAt` if the message's latest receipt token is still `token`. */
  setVisibility(queueId: number, seq: number, token: string, visibleAt: number): Promise<boolean>;
  /** Deletes every message of the queue sent at or before `now`, records the purge time. */
  purgeQueue(queueId: number, now: number): Promise<void>;
  /** Deletes messages sent before `sentBefore` in one queue, at most `limit`; returns how many. */
  deleteExpired(queueId: number, sentBefore: number, limit: number): Promise<number>;

  counts(queueId: number, now: number): Promise<QueueCounts>;
  /** The earliest time after `now` at which a message of the queue becomes visible, if any. */
  nextVisibleAt(queueId: number, now: number): Promise<number | undefined>;

  close(): Promise<void>;
}

export interface NewQueue {
  accountId: string;
  name: string;
  attributes: QueueAttributeValues;
  tags: Record<string, string>;
  now: number;
}

export interface QueueRecord {
  id: number;
  accountId: string;
  name: string;
  attributes: QueueAttributeValues;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
  lastPurgedAt: number | null;
}

export interface QueueChange {
  attributes?: QueueAttributeValues;
  tags?: Record<string, string>;
  now: number;
}

export interface NewMessage {
  messageId: string;
  body: string;
  attributes: MessageAttributes;
  /** Only `AWSTraceHeader` today. */
  traceHeader?: string | undefined;
  senderId: string;
  sentAt: number;
  visibleAt: number;
}

export interface StoredMessage extends NewMessage {
  seq: number;
  receiveCount: number;
  firstReceiveAt: number | null;
  receivedAt: number | null;
  deadLetterSourceArn?: string | undefined;
}

export interface ClaimRequest {
  queueId: number;
  now: number;
  max: number;
  visibilityMs: number;
  /** New receipt tokens, one per delivered message at most. */
  newToken: () => string;
  decide: (message: StoredMessage) => ClaimDecision;
  deadLetter?: { queueId: number; sourceArn: string } | undefined;
  /** When set, claims nothing once this many messages are in flight, and reports it. */
  maxInflight?: number | undefined;
}

export interface ClaimResult {
  messages: (StoredMessage & { token: string })[];
  deadLettered: number;
  expired: number;
  overLimit: boolean;
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
  oldestSentAt: number | null;
}
