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

  /**
   * Appends messages in order; all or none. A message with `fifo` set takes the queue's next sequence
   * number, unless its dedup key is remembered and unexpired at its `sentAt`: then nothing is stored and
   * the original's id and sequence come back as a duplicate.
   */
  appendMessages(queueId: number, messages: NewMessage[]): Promise<AppendResult[]>;
  /**
   * Takes up to `max` visible messages (earliest visible first), making each invisible until
   * `now + visibilityMs` with a new receipt token. Every candidate is first shown to `decide`:
   * `expire` deletes it, `dead-letter` moves it to `deadLetter.queueId`, and neither counts toward `max`.
   * With `fifo`, candidates come in send order under the group lock described in `core/fifo-rules.ts`.
   */
  claimMessages(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Deletes the message if `token` is its latest receipt token. With `onlyInFlight`, a message whose
   * visibility has ended by `now` is left alone and reported `expired`. `now` also stamps the `deleted` trace step
   * (the message's latest receive does without it).
   */
  deleteMessage(
    queueId: number,
    seq: number,
    token: string,
    options?: { now: number; onlyInFlight: boolean },
  ): Promise<'deleted' | 'stale' | 'missing' | 'expired'>;
  /** The current state of one message, for visibility decisions. */
  getMessageState(queueId: number, seq: number): Promise<(MessageState & { token: string | null }) | undefined>;
  /** Sets `visibleAt` if the message's latest receipt token is still `token`. */
  setVisibility(queueId: number, seq: number, token: string, visibleAt: number): Promise<boolean>;
  /** Deletes every message of the queue sent at or before `now`, records the purge time. */
  purgeQueue(queueId: number, now: number): Promise<void>;
  /**
   * Makes every never-received message of the queue visible `delayMs` after it entered the queue:
   * a FIFO queue's DelaySeconds applies to messages already in it.
   */
  redelayUnreceived(queueId: number, delayMs: number): Promise<void>;
  /**
   * Deletes messages enqueued before `enqueuedBefore` in one queue, at most `limit`; returns how many. `now` stamps
   * their `expired` trace steps (the cut-off does without it).
   */
  deleteExpired(queueId: number, enqueuedBefore: number, limit: number, now?: number): Promise<number>;
  /** Forgets FIFO deduplication ids whose window ended by `now`. */
  forgetDedupIds(now: number): Promise<number>;

  /**
   * Records a new move task unless the source already has one RUNNING; either way returns the task that
   * is now active. `toMove` and `maxSeq` are taken from the source's visible messages at `startedAt`.
   */
  createMoveTask(task: NewMoveTask): Promise<{ task: MoveTaskRecord; created: boolean }>;
  getMoveTask(id: string): Promise<MoveTaskRecord | undefined>;
  /** Tasks of a source, newest first. */
  listMoveTasks(sourceArn: string, limit: number): Promise<MoveTaskRecord[]>;
  runningMoveTasks(): Promise<MoveTaskRecord[]>;
  /** Ends a task if it is still RUNNING; returns the task as it is afterwards. */
  finishMoveTask(
    id: string,
    status: 'COMPLETED' | 'CANCELLED' | 'FAILED',
    now: number,
    failureReason?: string,
  ): Promise<MoveTaskRecord | undefined>;
  /**
   * Moves up to `limit` visible messages of a RUNNING task's source, in send order, to the queue
   * `destinationFor` names for each; in one transaction with the task's progress, so a crash leaves every
   * message either moved and counted or still in the source. As AWS redrives, a moved message is a new
   * message: a new id from `newMessageId`, sent now, at the end of the destination (with the next FIFO
   * sequence number there), never received. `skip` leaves a message where it is; `missing` stops the batch
   * there and reports it.
   */
  moveMessages(request: MoveRequest): Promise<MoveResult>;

  /**
   * Operators' message access, which SQS lacks (the console's). Up to `limit` messages of the queue in send order (by
   * `sentAt`, then `seq`: an order the queue's age index gives page by page, where `seq` alone would sort the whole
   * queue for every page), starting after the message `after` names, whatever their visibility. Read-only:
   * visibility, receive counts and receipt tokens stay as they are, so a peeked message is received as if it had not
   * been looked at.
   */
  peekMessages(
    queueId: number,
    options: { after?: { sentAt: number; seq: number } | undefined; limit: number },
  ): Promise<StoredMessage[]>;
  /**
   * Deletes the queue's messages of these ids, in flight or not, receipt handles notwithstanding; all in one
   * transaction. Returns the ids deleted, each once. Finding an id costs a scan of the queue (no index on message
   * ids: it would weigh on every send for the sake of a rare operator action). `now` dates the trace steps of
   * messages born from events.
   */
  deleteMessagesById(queueId: number, messageIds: readonly string[], now?: number): Promise<string[]>;
  /**
   * Moves the named messages of a queue, in flight or not, in send order and in one transaction, each as
   * `moveMessages` moves one: a new message (new id, sent `now`, at the end of its destination with the next FIFO
   * sequence number there, never received, no dead-letter source) in the queue `destinationFor` names. A message
   * whose destination is `missing`, or a queue that no longer exists, stays where it is and is reported.
   */
  moveMessagesById(request: MoveByIdRequest): Promise<MoveByIdResult>;

  /**
   * Creates the event bus unless one of that name exists; either way returns it. With `maxBuses`, refuses
   * to create one more once the account has that many.
   */
  createEventBus(input: NewEventBus): Promise<CreateEventBusResult>;
  getEventBus(accountId: string, name: string): Promise<EventBusRecord | undefined>;
  /** Event buses of an account, ordered by name, starting after `afterName`. */
  listEventBuses(
    accountId: string,
    options: { prefix?: string; afterName?: string; limit: number },
  ): Promise<EventBusRecord[]>;
  /** Deletes the bus unless rules remain on it. */
  deleteEventBus(accountId: string, name: string): Promise<'deleted' | 'missing' | 'has-rules'>;
  setEventBusTags(
    accountId: string,
    name: string,
    tags: Record<string, string>,
    now: number,
  ): Promise<EventBusRecord | undefined>;
  /**
   * Creates the rule, or updates an existing one of that name on that bus (keeping its tags and creation
   * time). Fails with `no-bus` when the bus does not exist, `limit-exceeded` when a new rule would make more
   * than `maxRules` on the bus.
   */
  putRule(input: NewRule): Promise<PutRuleResult>;
  getRule(accountId: string, busName: string, name: string): Promise<RuleRecord | undefined>;
  /** Rules of a bus, ordered by name, starting after `afterName`. */
  listRules(
    accountId: string,
    busName: string,
    options: { prefix?: string; afterName?: string; limit: number },
  ): Promise<RuleRecord[]>;
  /**
   * Deletes the rule. Unless `force`, a rule that still has targets is kept and `has-targets` comes back;
   * with `force`, its targets go with it. Resolves true when a rule was deleted, false when there was none.
   */
  deleteRule(
    accountId: string,
    busName: string,
    name: string,
    options?: { force?: boolean },
  ): Promise<boolean | 'has-targets'>;
  updateRule(accountId: string, busName: string, name: string, change: RuleChange): Promise<RuleRecord | undefined>;

  /**
   * Adds the targets to the rule, replacing those of the same id; all or none. Fails with `no-rule` when the
   * rule does not exist, `limit-exceeded` when the rule would then have more than `maxTargets` targets.
   */
  putTargets(
    accountId: string,
    busName: string,
    ruleName: string,
    targets: NewTarget[],
    maxTargets: number,
  ): Promise<'ok' | 'no-rule' | 'limit-exceeded'>;
  /** Removes the targets of these ids; returns the ids that were there (and are now gone). */
  removeTargets(accountId: string, busName: string, ruleName: string, ids: string[]): Promise<string[]>;
  /** Targets of a rule, ordered by id, starting after `afterId`. */
  listTargets(
    accountId: string,
    busName: string,
    ruleName: string,
    options: { afterId?: string; limit: number },
  ): Promise<TargetRecord[]>;
  /** Every target of every rule of a bus, for event delivery. */
  busTargets(accountId: string, busName: string): Promise<TargetRecord[]>;
  /** Names of the rules of a bus having a target with this ARN, ordered, starting after `afterName`. */
  ruleNamesByTarget(
    accountId: string,
    busName: string,
    arn: string,
    options: { afterName?: string; limit: number },
  ): Promise<string[]>;

  /**
   * `appendMessages` for several queues in one transaction: all or none. A batch whose queue no longer
   * exists is skipped (its results are empty). Results come in the order of `batches`.
   */
  appendToQueues(batches: { queueId: number; messages: NewMessage[] }[]): Promise<AppendResult[][]>;

  /**
   * Everything one routing step writes, in one transaction: queue messages (as `appendToQueues`), outbox
   * deliveries for targets delivered later, archive copies, and the bookkeeping of the step that produced
   * them (the delivery it completes, a replay's progress, a schedule's next fire time). So a crash leaves an
   * event either fully routed or not routed at all, and a worker that resumes never routes it twice.
   */
  routeEvents(write: RoutedWrite): Promise<AppendResult[][]>;
  /**
   * Takes up to `limit` deliveries due at `now`, oldest first, and hides them until `leaseUntil`, so a worker
   * that dies mid-delivery leaves them to be tried again then (HTTP delivery is at least once).
   */
  claimDueDeliveries(now: number, limit: number, leaseUntil: number): Promise<DeliveryRecord[]>;
  /** Records a failed attempt and when to try again. */
  retryDelivery(id: number, change: DeliveryRetry): Promise<void>;
  /** The earliest `nextAt` of any delivery, if there is one. */
  nextDeliveryAt(): Promise<number | undefined>;
  /** Deliveries waiting, for metrics and tests. */
  countDeliveries(): Promise<number>;

  /** Creates the archive unless one of that name exists in the account. */
  createArchive(input: NewArchive): Promise<'created' | 'exists'>;
  /** The archive with its event count and size. */
  getArchive(accountId: string, name: string): Promise<ArchiveRecord | undefined>;
  /** Archives of an account, ordered by name, starting after `afterName`. */
  listArchives(
    accountId: string,
    options: { prefix?: string; busName?: string; afterName?: string; limit: number },
  ): Promise<ArchiveRecord[]>;
  updateArchive(accountId: string, name: string, change: ArchiveChange): Promise<ArchiveRecord | undefined>;
  /** Deletes the archive and the events in it. */
  deleteArchive(accountId: string, name: string): Promise<boolean>;
  /** The archives recording events of a bus, without counts (for routing). */
  busArchives(accountId: string, busName: string): Promise<ArchiveRecord[]>;
  /** Archived events of an archive with `fromTime <= time < toTime`, in (time, seq) order after the cursor. */
  archivedEvents(
    archiveId: number,
    options: { fromTime: number; toTime: number; after?: { time: number; seq: number }; limit: number },
  ): Promise<ArchivedEventRecord[]>;
  /** Deletes archived events older than their archive's retention allows; returns how many. */
  expireArchivedEvents(now: number, limit: number): Promise<number>;

  createReplay(input: NewReplay): Promise<'created' | 'exists'>;
  getReplay(accountId: string, name: string): Promise<ReplayRecord | undefined>;
  listReplays(
    accountId: string,
    options: { prefix?: string; state?: string; archiveName?: string; afterName?: string; limit: number },
  ): Promise<ReplayRecord[]>;
  /** Changes a replay's state; with `onlyFrom`, only when its state is one of those. */
  setReplayState(
    accountId: string,
    name: string,
    change: { state: ReplayState; reason?: string; endedAt?: number },
    onlyFrom?: readonly ReplayState[],
  ): Promise<ReplayRecord | undefined>;
  /** Replays in STARTING, RUNNING or CANCELLING state, for the worker. */
  activeReplays(): Promise<ReplayRecord[]>;

  /**
   * Adds statistic sets to metric buckets in one transaction, creating series as needed: a bucket that
   * exists is replaced by `merge(stored, added)`. Statistic sets are opaque text here (the metrics core
   * owns their shape).
   */
  writeMetricBuckets(
    buckets: readonly NewMetricBucket[],
    merge: (stored: string, added: string) => string,
  ): Promise<void>;
  /** Buckets of one series at one resolution with `fromMs <= start < toMs`, by start. */
  metricBuckets(
    seriesId: number,
    options: { resolution: number; fromMs: number; toMs: number; unit?: string | undefined },
  ): Promise<MetricBucketRecord[]>;
  /** Series of an account matching the filter, by id, after `afterId`. */
  listMetricSeries(accountId: string, filter: MetricSeriesFilter): Promise<MetricSeriesRecord[]>;
  /** The series with exactly these dimensions (canonical JSON), if it has ever had data. */
  findMetricSeries(key: MetricSeriesKey): Promise<MetricSeriesRecord | undefined>;
  /** Deletes the buckets of a resolution that started before `beforeMs`; returns how many. */
  expireMetricBuckets(resolution: number, beforeMs: number, limit: number): Promise<number>;

  /** Enabled rules with a schedule expression, with the schedule's stored state. */
  scheduledRules(): Promise<{ rule: RuleRecord; schedule?: RuleSchedule }[]>;

  /**
   * Creates the alarm, or replaces the one of that name, with `history` in the same transaction. With `maxAlarms`,
   * refuses to create one more once the account has that many. The record is written as given: keeping the state
   * of an updated alarm is the caller's business.
   */
  putAlarm(
    alarm: AlarmRecord,
    history: readonly NewAlarmHistoryItem[],
    maxAlarms?: number,
  ): Promise<'created' | 'updated' | 'limit-exceeded'>;
  getAlarm(accountId: string, name: string): Promise<AlarmRecord | undefined>;
  /** Alarms of an account matching the filter, ordered by name, starting after `afterName`. */
  listAlarms(accountId: string, filter: AlarmFilter): Promise<AlarmRecord[]>;
  /**
   * Deletes the alarms of these names that exist, and writes the history items of those it deleted (items naming
   * another alarm are left out), in one transaction. Returns the names deleted.
   */
  deleteAlarms(accountId: string, names: readonly string[], history: readonly NewAlarmHistoryItem[]): Promise<string[]>;
  /** Alarms of every account whose next evaluation is due at `now`, earliest first. */
  dueAlarms(now: number, limit: number): Promise<AlarmRecord[]>;
  /** History items of an account, by (timestamp, id) in `order`, after the cursor. Kept after an alarm is deleted. */
  alarmHistory(accountId: string, filter: AlarmHistoryFilter): Promise<AlarmHistoryRecord[]>;
  /** Deletes history items older than `beforeMs`, at most `limit`; returns how many. */
  expireAlarmHistory(beforeMs: number, limit: number): Promise<number>;

  /**
   * Idempotency keys (the SwitchyardIdempotency API): opaque strings per account, each held until its `expiresAt`
   * (epoch ms). A key is held while `now < expiresAt`: at `expiresAt` exactly it is gone, whether or not
   * `expireIdempotencyKeys` has removed it yet. Validation (count, length, time to live) is the caller's business.
   *
   * The keys of `keys` that are held at `now`, in the order given, each once.
   */
  checkIdempotencyKeys(accountId: string, keys: readonly string[], now: number): Promise<string[]>;
  /** Holds each key until `expiresAt`, replacing the expiry of a key already held (last put wins). All or none. */
  putIdempotencyKeys(accountId: string, keys: readonly string[], expiresAt: number): Promise<void>;
  /** Forgets these keys; returns how many were stored (expired ones not yet removed included). */
  deleteIdempotencyKeys(accountId: string, keys: readonly string[]): Promise<number>;
  /** Removes keys of every account that expired by `now` (`expiresAt <= now`), at most `limit`; returns how many. */
  expireIdempotencyKeys(now: number, limit: number): Promise<number>;

  /**
   * Failures that consumers recorded (the SwitchyardFailures API), per account and message id: the id, not the
   * queue, is the key, so what a consumer recorded on the source queue still explains the message once the redrive
   * policy has moved it (with its id) to the dead-letter queue. Validation is the caller's business.
   *
   * Records each failure at `now`, all or none: the last failure of a message replaces the one before, and its count
   * goes up by one (an id twice in `entries` counts twice).
   */
  recordMessageFailures(accountId: string, entries: readonly NewMessageFailure[], now: number): Promise<void>;
  /** The recorded failures of these message ids, for those that have one. */
  messageFailures(accountId: string, messageIds: readonly string[]): Promise<Map<string, MessageFailureRecord>>;
  /** Removes records of every account whose last failure is before `before`, at most `limit`; returns how many. */
  expireMessageFailures(before: number, limit: number): Promise<number>;

  /**
   * The recorded path of one event (its trace steps), in the order they were written, at most `limit` (the first
   * ones). Steps are written with the write they describe, never alone: `routeEvents` and `retryDelivery` write the
   * steps they are given (`trace`); the store itself writes the queue side (`received`, `deleted`, `dead-lettered`,
   * `moved`, `expired`, `purged`, `deduplicated`) for messages that carry an `eventId`. An engine may be told to trace
   * nothing (SQLite: `traceEvents: false`); then it writes no step at all.
   *
   * Deliberately left out: listing or searching steps other than by event id. The layout is the engine's, chosen for
   * cheap writes (SQLite stores the steps one call makes for one event together, and expires them together).
   */
  eventTrace(accountId: string, eventId: string, limit: number): Promise<TraceRecord[]>;
  /**
   * Removes trace steps of every account recorded before `before`, at most `limit` stored records (steps an engine
   * stores together, it removes together, when the first of them is that old); returns how many records went.
   */
  expireEventTrace(before: number, limit: number): Promise<number>;

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
  /** FIFO queues, and standard queues given a MessageGroupId (fair queues). */
  groupId?: string | undefined;
  dedupId?: string | undefined;
  /** Set for FIFO queues: deduplicate under this key until `dedupExpiresAt`. */
  fifo?: { dedupKey: string; dedupExpiresAt: number } | undefined;
  /** The EventBridge event the message was born from (a target's message, a target's dead-letter message). */
  eventId?: string | undefined;
}

export interface AppendResult {
  messageId: string;
  /** FIFO sequence counter of the stored (or original) message. */
  sequence?: number | undefined;
  duplicate: boolean;
}

export interface StoredMessage extends NewMessage {
  seq: number;
  receiveCount: number;
  firstReceiveAt: number | null;
  receivedAt: number | null;
  deadLetterSourceArn?: string | undefined;
  sequence?: number | undefined;
  /** When a FIFO message entered its current queue, if not at `sentAt` (moved to a DLQ). */
  enqueuedAt: number | null;
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
  fifo?: boolean | undefined;
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

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface NewMoveTask {
  id: string;
  sourceQueueId: number;
  sourceArn: string;
  destinationArn?: string | undefined;
  maxPerSecond?: number | undefined;
  startedAt: number;
}

export interface MoveTaskRecord extends NewMoveTask {
  status: MoveTaskStatus;
  moved: number;
  toMove: number;
  maxSeq: number;
  cursorSeq: number;
  failureReason?: string | undefined;
  updatedAt: number;
}

export interface MoveRequest {
  taskId: string;
  now: number;
  limit: number;
  newMessageId: () => string;
  /**
   * Where a message goes, given the ARN of the queue it was dead-lettered from (if known): a queue id,
   * `skip` to leave it in the source, or `missing` when its destination does not exist.
   */
  destinationFor: (deadLetterSourceArn: string | undefined) => number | 'skip' | 'missing';
}

export interface MoveResult {
  moved: number;
  /** Nothing is left to look at. */
  done: boolean;
  /** The destination of the next message does not exist. */
  missingDestination: boolean;
  /** Queues that received messages, to wake their long polls. */
  destinations: number[];
  task?: MoveTaskRecord | undefined;
}

export interface MoveByIdRequest {
  sourceQueueId: number;
  messageIds: readonly string[];
  now: number;
  newMessageId: () => string;
  /** Where a message goes, given the ARN of the queue it was dead-lettered from (if known). */
  destinationFor: (deadLetterSourceArn: string | undefined) => number | 'missing';
}

export interface MoveByIdResult {
  moved: { messageId: string; newMessageId: string; destinationQueueId: number }[];
  /** Ids of no message of the source queue. */
  notFound: string[];
  /** Ids of messages left in the source: their destination was `missing`, or is gone. */
  noDestination: string[];
  /** Queues that received messages, to wake their long polls. */
  destinations: number[];
}

export interface NewEventBus {
  accountId: string;
  name: string;
  description?: string | undefined;
  tags: Record<string, string>;
  now: number;
  maxBuses?: number | undefined;
}

export interface EventBusRecord {
  accountId: string;
  name: string;
  description?: string | undefined;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
}

export type CreateEventBusResult =
  | { outcome: 'created' | 'exists'; bus: EventBusRecord }
  | { outcome: 'limit-exceeded' };

export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

export interface NewRule {
  accountId: string;
  busName: string;
  name: string;
  eventPattern?: string | undefined;
  scheduleExpression?: string | undefined;
  state: RuleState;
  description?: string | undefined;
  roleArn?: string | undefined;
  /** Applied only when the rule is created. */
  tags: Record<string, string>;
  now: number;
  maxRules?: number | undefined;
}

export interface RuleRecord {
  accountId: string;
  busName: string;
  name: string;
  eventPattern?: string | undefined;
  scheduleExpression?: string | undefined;
  state: RuleState;
  description?: string | undefined;
  roleArn?: string | undefined;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
}

export type PutRuleResult =
  | { outcome: 'created' | 'updated'; rule: RuleRecord }
  | { outcome: 'no-bus' | 'limit-exceeded' };

export interface RuleChange {
  state?: RuleState;
  tags?: Record<string, string>;
  now: number;
}

/** A target's settings other than its id and ARN, with AWS's member names. */
export interface TargetSettings {
  RoleArn?: string | undefined;
  Input?: string | undefined;
  InputPath?: string | undefined;
  InputTransformer?: { InputPathsMap?: Record<string, string> | undefined; InputTemplate: string } | undefined;
  SqsParameters?: { MessageGroupId?: string | undefined } | undefined;
  RetryPolicy?:
    | { MaximumRetryAttempts?: number | undefined; MaximumEventAgeInSeconds?: number | undefined }
    | undefined;
  DeadLetterConfig?: { Arn?: string | undefined } | undefined;
  HttpParameters?:
    | {
        HeaderParameters?: Record<string, string> | undefined;
        QueryStringParameters?: Record<string, string> | undefined;
        PathParameterValues?: string[] | undefined;
      }
    | undefined;
}

export interface NewTarget {
  id: string;
  arn: string;
  settings: TargetSettings;
}

export interface TargetRecord extends NewTarget {
  accountId: string;
  busName: string;
  ruleName: string;
}

/** How long and how often a target is retried, and where events go when it cannot be reached. */
export interface DeliverySettings {
  maxRetryAttempts: number;
  maxEventAgeSeconds: number;
  deadLetterArn?: string | undefined;
  headers?: Record<string, string> | undefined;
  query?: Record<string, string> | undefined;
  /** Buses the event had crossed when it reached this target. */
  hops?: number | undefined;
  /**
   * Set for a CloudWatch alarm action rather than a rule's target: the alarm and the state change it reports. Its
   * outcome is written as an Action item of the alarm's history instead of being counted for a rule.
   */
  alarm?: { name: string; stateUpdatedAt: number } | undefined;
}

export type DeliveryKind = 'http' | 'bus';

export interface NewDelivery {
  accountId: string;
  region: string;
  ruleArn: string;
  targetId: string;
  targetArn: string;
  kind: DeliveryKind;
  /** What the target is sent: the transformed input for HTTP, the event for a bus. */
  payload: string;
  /** The event as matched, for the dead-letter message. */
  event: string;
  settings: DeliverySettings;
  /** When the event was ingested; `MaximumEventAgeInSeconds` counts from here. */
  firstAt: number;
  nextAt: number;
}

export interface DeliveryRecord extends NewDelivery {
  id: number;
  /** Attempts made so far. */
  attempts: number;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
}

export interface DeliveryRetry {
  attempts: number;
  nextAt: number;
  errorCode: string;
  errorMessage: string;
  /** Trace steps written with the retry (the failed attempt). */
  trace?: NewTraceStep[] | undefined;
}

export interface NewArchivedEvent {
  archiveId: number;
  time: number;
  event: string;
}

export interface ArchivedEventRecord {
  seq: number;
  time: number;
  event: string;
}

export interface RoutedWrite {
  batches: { queueId: number; messages: NewMessage[] }[];
  deliveries?: NewDelivery[] | undefined;
  archived?: NewArchivedEvent[] | undefined;
  /** The outbox delivery this step finishes; deleted with the step's writes. */
  completeDelivery?: number | undefined;
  replayProgress?: { id: number; after: { time: number; seq: number }; lastReplayedTime?: number | undefined };
  schedule?: { accountId: string; busName: string; ruleName: string; state: RuleSchedule } | undefined;
  /**
   * An alarm's new state and next evaluation time (evaluations and SetAlarmState). When the alarm no longer exists
   * or its configuration was changed since `configUpdatedAt`, the whole write is refused: nothing of it is written
   * and `routeEvents` rejects.
   */
  alarm?: AlarmStateWrite | undefined;
  /** Alarm history items written with the step (state updates, actions taken). */
  alarmHistory?: NewAlarmHistoryItem[] | undefined;
  /** Trace steps of the events this step routed or delivered, written before its queue messages. */
  trace?: NewTraceStep[] | undefined;
}

export type ArchiveState = 'ENABLED' | 'DISABLED' | 'CREATING' | 'UPDATING' | 'CREATE_FAILED' | 'UPDATE_FAILED';

export interface NewArchive {
  accountId: string;
  name: string;
  busName: string;
  description?: string | undefined;
  eventPattern?: string | undefined;
  retentionDays: number;
  now: number;
}

export interface ArchiveRecord extends NewArchive {
  id: number;
  state: ArchiveState;
  createdAt: number;
  eventCount: number;
  sizeBytes: number;
}

export interface ArchiveChange {
  description?: string | undefined;
  eventPattern?: string | null | undefined;
  retentionDays?: number | undefined;
}

export type ReplayState = 'STARTING' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface NewReplay {
  accountId: string;
  name: string;
  description?: string | undefined;
  archiveName: string;
  archiveId: number;
  busName: string;
  startTime: number;
  endTime: number;
  /** Rule names of the destination bus to replay to; all of its rules when empty. */
  ruleNames: string[];
  now: number;
}

export interface ReplayRecord extends NewReplay {
  id: number;
  state: ReplayState;
  stateReason?: string | undefined;
  after?: { time: number; seq: number } | undefined;
  lastReplayedTime?: number | undefined;
  endedAt?: number | undefined;
}

/** Where a scheduled rule's clock stands: the expression it was computed for and the next fire time. */
export interface RuleSchedule {
  expression: string;
  anchor: number;
  nextFireAt: number | null;
}

/** A metric's identity: CloudWatch's namespace, name and dimension set (sorted by name, as canonical JSON). */
export interface MetricSeriesKey {
  accountId: string;
  namespace: string;
  name: string;
  /** `JSON.stringify` of the dimensions `[{Name, Value}]` sorted by Name. */
  dimensions: string;
}

export interface MetricSeriesRecord extends MetricSeriesKey {
  id: number;
  lastSeen: number;
}

export interface NewMetricBucket {
  series: MetricSeriesKey;
  /** Period of the bucket in seconds (1 for high resolution, 60 otherwise). */
  resolution: number;
  /** Start of the bucket, epoch ms. */
  start: number;
  /** CloudWatch unit, '' when none was given. */
  unit: string;
  stats: string;
}

export interface MetricBucketRecord {
  start: number;
  unit: string;
  stats: string;
}

export interface MetricSeriesFilter {
  namespace?: string | undefined;
  name?: string | undefined;
  /** Every one must be among the series' dimensions (with this value, when given). */
  dimensions?: readonly { Name: string; Value?: string | undefined }[] | undefined;
  /** Only series with data since then. */
  activeSince?: number | undefined;
  afterId?: number | undefined;
  limit: number;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type AlarmHistoryItemType = 'ConfigurationUpdate' | 'StateUpdate' | 'Action';

export interface AlarmStateRecord {
  value: AlarmStateValue;
  reason: string;
  /** CloudWatch's StateReasonData, JSON text. */
  reasonData?: string | undefined;
  /** Last change of the state value or reason (StateUpdatedTimestamp). */
  updatedAt: number;
  /** Last change of the state value (StateTransitionedTimestamp). */
  transitionedAt: number;
}

/** A metric alarm. Its configuration is opaque here (JSON the alarm service owns). */
export interface AlarmRecord {
  accountId: string;
  name: string;
  /** The metric of a single-metric alarm, for DescribeAlarmsForMetric; absent for metric math alarms. */
  namespace?: string | undefined;
  metricName?: string | undefined;
  config: string;
  actionsEnabled: boolean;
  state: AlarmStateRecord;
  configUpdatedAt: number;
  nextEvaluationAt: number;
}

export interface AlarmFilter {
  /** Only these names. */
  names?: readonly string[] | undefined;
  prefix?: string | undefined;
  stateValue?: AlarmStateValue | undefined;
  /** Only single-metric alarms of this metric. */
  metric?: { namespace: string; metricName: string } | undefined;
  afterName?: string | undefined;
  limit: number;
}

export interface AlarmStateWrite {
  accountId: string;
  name: string;
  /** The configuration the state was computed for. */
  configUpdatedAt: number;
  state?: AlarmStateRecord | undefined;
  nextEvaluationAt?: number | undefined;
}

export interface NewAlarmHistoryItem {
  accountId: string;
  alarmName: string;
  timestamp: number;
  type: AlarmHistoryItemType;
  summary: string;
  /** JSON text. */
  data: string;
}

export interface AlarmHistoryRecord extends NewAlarmHistoryItem {
  id: number;
}

export interface AlarmHistoryFilter {
  alarmName?: string | undefined;
  type?: AlarmHistoryItemType | undefined;
  /** Inclusive bounds on the timestamp. */
  fromMs?: number | undefined;
  toMs?: number | undefined;
  order: 'asc' | 'desc';
  /** The last item of the previous page. */
  after?: { timestamp: number; id: number } | undefined;
  limit: number;
}

/**
 * What happened to an event, step by step: routing (`ingested`, `matched`, `invoked`), its targets' outbox
 * (`delivered`, `delivery-failed`, `target-dead-lettered`, `dropped`) and the queue messages born from it
 * (`received`, `deleted`, `dead-lettered`, `moved`, `expired`, `purged`, `deduplicated`).
 */
export type TraceStepName =
  | 'ingested'
  | 'matched'
  | 'invoked'
  | 'delivered'
  | 'delivery-failed'
  | 'target-dead-lettered'
  | 'dropped'
  | 'received'
  | 'deleted'
  | 'dead-lettered'
  | 'moved'
  | 'expired'
  | 'purged'
  | 'deduplicated';

export interface NewTraceStep {
  accountId: string;
  eventId: string;
  /** Epoch ms. */
  at: number;
  step: TraceStepName;
  /** Plain JSON data; its shape is the step's (the services that write a step own it). */
  detail: Record<string, unknown>;
}

/** A recorded step, as `eventTrace` answers it. */
export type TraceRecord = NewTraceStep;

export interface NewMessageFailure {
  /** The queue the consumer was reading: shown, not a key. */
  queueName: string;
  messageId: string;
  code?: string | undefined;
  message: string;
}

export interface MessageFailureRecord {
  queueName: string;
  /** When the last failure was recorded. */
  at: number;
  code?: string | undefined;
  message: string;
  /** Failures recorded for the message. */
  count: number;
}
