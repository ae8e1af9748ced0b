import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { MessageAttributes } from '../../core/message.js';
import type { MessageState } from '../../core/receive-rules.js';
import type {
  AlarmFilter,
  AlarmHistoryFilter,
  AlarmHistoryRecord,
  AlarmRecord,
  AppendResult,
  ArchiveChange,
  ArchivedEventRecord,
  ArchiveRecord,
  ClaimRequest,
  ClaimResult,
  CreateEventBusResult,
  DeliveryRecord,
  DeliveryRetry,
  EventBusRecord,
  MessageFailureRecord,
  MetricBucketRecord,
  MetricSeriesFilter,
  MetricSeriesKey,
  MetricSeriesRecord,
  MoveByIdRequest,
  MoveByIdResult,
  MoveRequest,
  MoveResult,
  MoveTaskRecord,
  MoveTaskStatus,
  NewAlarmHistoryItem,
  NewArchive,
  NewEventBus,
  NewMessage,
  NewMessageFailure,
  NewMetricBucket,
  NewMoveTask,
  NewQueue,
  NewReplay,
  NewRule,
  NewTarget,
  PutRuleResult,
  QueueChange,
  QueueCounts,
  QueueRecord,
  ReplayRecord,
  ReplayState,
  RoutedWrite,
  RuleChange,
  RuleRecord,
  RuleSchedule,
  RuleState,
  Store,
  StoredMessage,
  TargetRecord,
  TargetSettings,
  TraceRecord,
} from '../types.js';
import { AlarmTables } from './alarm-tables.js';
import { EventRoutingTables } from './event-routing.js';
import { EventTraceTables, type TraceRoots } from './event-trace-tables.js';
import { GroupCommitter } from './group-commit.js';
import { IdempotencyTables } from './idempotency-tables.js';
import { MessageFailureTables } from './message-failure-tables.js';
import { MetricTables } from './metric-tables.js';
import { migrate } from './migrations.js';

export type Durability = 'full' | 'relaxed';

export interface SqliteStoreOptions {
  /** Directory holding `switchyard.db`; `:memory:` for a throwaway database. */
  dataDir: string;
  /**
   * `full`: WAL with synchronous=FULL, every group commit is fsynced before anyone is answered (survives power loss).
   * `relaxed`: synchronous=NORMAL, survives a process crash but may lose the last commits on power loss.
   * @defaultValue 'full'
   */
  durability?: Durability;
  /** Told of each group commit's duration and write count (metrics). */
  onCommit?: ((seconds: number, writes: number) => void) | undefined;
  /**
   * Whether event trace steps are written (see `Store.eventTrace`); false writes none, not even those a write
   * brings. Messages still keep their `eventId`.
   * @defaultValue true
   */
  traceEvents?: boolean | undefined;
}

interface QueueRow {
  id: number;
  account_id: string;
  name: string;
  attributes: string;
  tags: string;
  created_at: number;
  last_modified_at: number;
  last_purged_at: number | null;
}

interface MessageRow {
  seq: number;
  queue_id: number;
  message_id: string;
  body: string;
  attributes: string | null;
  trace_header: string | null;
  sender_id: string;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  first_receive_at: number | null;
  received_at: number | null;
  receipt_token: string | null;
  dead_letter_source_arn: string | null;
  group_id: string | null;
  dedup_id: string | null;
  sequence_number: number | null;
  enqueued_at: number | null;
  event_id: string | null;
  event_trace_root: number | null;
}

interface MoveTaskRow {
  id: string;
  source_queue_id: number;
  source_arn: string;
  destination_arn: string | null;
  max_per_second: number | null;
  status: MoveTaskStatus;
  moved: number;
  to_move: number;
  max_seq: number;
  cursor_seq: number;
  failure_reason: string | null;
  started_at: number;
  updated_at: number;
}

interface EventBusRow {
  account_id: string;
  name: string;
  description: string | null;
  tags: string;
  created_at: number;
  last_modified_at: number;
}

interface RuleRow {
  account_id: string;
  bus_name: string;
  name: string;
  event_pattern: string | null;
  schedule_expression: string | null;
  state: RuleState;
  description: string | null;
  role_arn: string | null;
  tags: string;
  created_at: number;
  last_modified_at: number;
}

interface TargetRow {
  account_id: string;
  bus_name: string;
  rule_name: string;
  id: string;
  arn: string;
  settings: string;
}

function toTarget(row: TargetRow): TargetRecord {
  return {
    accountId: row.account_id,
    busName: row.bus_name,
    ruleName: row.rule_name,
    id: row.id,
    arn: row.arn,
    settings: JSON.parse(row.settings) as TargetSettings,
  };
}

function toEventBus(row: EventBusRow): EventBusRecord {
  return {
    accountId: row.account_id,
    name: row.name,
    description: row.description ?? undefined,
    tags: JSON.parse(row.tags) as Record<string, string>,
    createdAt: row.created_at,
    lastModifiedAt: row.last_modified_at,
  };
}

function toRule(row: RuleRow): RuleRecord {
  return {
    accountId: row.account_id,
    busName: row.bus_name,
    name: row.name,
    eventPattern: row.event_pattern ?? undefined,
    scheduleExpression: row.schedule_expression ?? undefined,
    state: row.state,
    description: row.description ?? undefined,
    roleArn: row.role_arn ?? undefined,
    tags: JSON.parse(row.tags) as Record<string, string>,
    createdAt: row.created_at,
    lastModifiedAt: row.last_modified_at,
  };
}

function toMoveTask(row: MoveTaskRow): MoveTaskRecord {
  return {
    id: row.id,
    sourceQueueId: row.source_queue_id,
    sourceArn: row.source_arn,
    destinationArn: row.destination_arn ?? undefined,
    maxPerSecond: row.max_per_second ?? undefined,
    status: row.status,
    moved: row.moved,
    toMove: row.to_move,
    maxSeq: row.max_seq,
    cursorSeq: row.cursor_seq,
    failureReason: row.failure_reason ?? undefined,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}

function toQueue(row: QueueRow): QueueRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    tags: JSON.parse(row.tags) as Record<string, string>,
    createdAt: row.created_at,
    lastModifiedAt: row.last_modified_at,
    lastPurgedAt: row.last_purged_at,
  };
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    seq: row.seq,
    messageId: row.message_id,
    body: row.body,
    attributes: row.attributes ? (JSON.parse(row.attributes) as MessageAttributes) : {},
    traceHeader: row.trace_header ?? undefined,
    senderId: row.sender_id,
    sentAt: row.sent_at,
    visibleAt: row.visible_at,
    receiveCount: row.receive_count,
    firstReceiveAt: row.first_receive_at,
    receivedAt: row.received_at,
    deadLetterSourceArn: row.dead_letter_source_arn ?? undefined,
    groupId: row.group_id ?? undefined,
    dedupId: row.dedup_id ?? undefined,
    sequence: row.sequence_number ?? undefined,
    enqueuedAt: row.enqueued_at,
    eventId: row.event_id ?? undefined,
  };
}

/** The embedded store: one SQLite file in WAL mode, written through a group committer. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly schemaVersion: number;
  private readonly db: Database.Database;
  private readonly writer: GroupCommitter;
  /** Upper bounds of the messages in flight per queue, a cache valid because this process is the only writer. */
  private readonly inflightBounds = new Map<number, { count: number }>();
  private readonly sql;
  private readonly routing: EventRoutingTables;
  private readonly metrics: MetricTables;
  private readonly alarms: AlarmTables;
  private readonly idempotency: IdempotencyTables;
  private readonly failures: MessageFailureTables;
  private readonly traceTables: EventTraceTables;
  /** Where trace steps are written; undefined when tracing is off. */
  private readonly trace: EventTraceTables | undefined;

  constructor(options: SqliteStoreOptions) {
    let file = ':memory:';
    if (options.dataDir !== ':memory:') {
      mkdirSync(options.dataDir, { recursive: true });
      file = path.join(options.dataDir, 'switchyard.db');
    }
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.durability === 'relaxed' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    try {
      this.schemaVersion = migrate(this.db);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.writer = new GroupCommitter(this.db, options.onCommit);
    this.routing = new EventRoutingTables(this.db);
    this.metrics = new MetricTables(this.db);
    this.alarms = new AlarmTables(this.db);
    this.idempotency = new IdempotencyTables(this.db);
    this.failures = new MessageFailureTables(this.db);
    this.traceTables = new EventTraceTables(this.db);
    this.trace = options.traceEvents === false ? undefined : this.traceTables;
    const db = this.db;
    this.sql = {
      busByName: db.prepare<[string, string], EventBusRow>(
        'SELECT * FROM event_buses WHERE account_id = ? AND name = ?',
      ),
      countBuses: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM event_buses WHERE account_id = ?'),
      insertBus: db.prepare(
        `INSERT INTO event_buses (account_id, name, description, tags, created_at, last_modified_at)
         VALUES (@accountId, @name, @description, @tags, @now, @now)`,
      ),
      listBuses: db.prepare<[string, string, string, string, number], EventBusRow>(
        `SELECT * FROM event_buses WHERE account_id = ? AND name > ? AND substr(name, 1, length(?)) = ?
         ORDER BY name LIMIT ?`,
      ),
      deleteBus: db.prepare<[string, string]>('DELETE FROM event_buses WHERE account_id = ? AND name = ?'),
      setBusTags: db.prepare<[string, string, string]>(
        'UPDATE event_buses SET tags = ? WHERE account_id = ? AND name = ?',
      ),
      ruleByName: db.prepare<[string, string, string], RuleRow>(
        'SELECT * FROM event_rules WHERE account_id = ? AND bus_name = ? AND name = ?',
      ),
      countRules: db.prepare<[string, string], { n: number }>(
        'SELECT COUNT(*) AS n FROM event_rules WHERE account_id = ? AND bus_name = ?',
      ),
      insertRule: db.prepare(
        `INSERT INTO event_rules (account_id, bus_name, name, event_pattern, schedule_expression, state, description,
           role_arn, tags, created_at, last_modified_at)
         VALUES (@accountId, @busName, @name, @eventPattern, @scheduleExpression, @state, @description,
           @roleArn, @tags, @now, @now)`,
      ),
      replaceRule: db.prepare(
        `UPDATE event_rules SET event_pattern = @eventPattern, schedule_expression = @scheduleExpression,
           state = @state, description = @description, role_arn = @roleArn, last_modified_at = @now
         WHERE account_id = @accountId AND bus_name = @busName AND name = @name`,
      ),
      changeRule: db.prepare(
        `UPDATE event_rules SET state = @state, tags = @tags, last_modified_at = @lastModifiedAt
         WHERE account_id = @accountId AND bus_name = @busName AND name = @name`,
      ),
      listRules: db.prepare<[string, string, string, string, string, number], RuleRow>(
        `SELECT * FROM event_rules WHERE account_id = ? AND bus_name = ? AND name > ?
         AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ?`,
      ),
      deleteRule: db.prepare<[string, string, string]>(
        'DELETE FROM event_rules WHERE account_id = ? AND bus_name = ? AND name = ?',
      ),
      countTargets: db.prepare<[string, string, string], { n: number }>(
        'SELECT COUNT(*) AS n FROM event_targets WHERE account_id = ? AND bus_name = ? AND rule_name = ?',
      ),
      targetExists: db.prepare<[string, string, string, string], { found: number }>(
        'SELECT 1 AS found FROM event_targets WHERE account_id = ? AND bus_name = ? AND rule_name = ? AND id = ?',
      ),
      upsertTarget: db.prepare(
        `INSERT INTO event_targets (account_id, bus_name, rule_name, id, arn, settings)
         VALUES (@accountId, @busName, @ruleName, @id, @arn, @settings)
         ON CONFLICT (account_id, bus_name, rule_name, id) DO UPDATE SET arn = excluded.arn, settings = excluded.settings`,
      ),
      deleteTarget: db.prepare<[string, string, string, string]>(
        'DELETE FROM event_targets WHERE account_id = ? AND bus_name = ? AND rule_name = ? AND id = ?',
      ),
      deleteRuleTargets: db.prepare<[string, string, string]>(
        'DELETE FROM event_targets WHERE account_id = ? AND bus_name = ? AND rule_name = ?',
      ),
      listTargets: db.prepare<[string, string, string, string, number], TargetRow>(
        `SELECT * FROM event_targets WHERE account_id = ? AND bus_name = ? AND rule_name = ? AND id > ?
         ORDER BY id LIMIT ?`,
      ),
      busTargets: db.prepare<[string, string], TargetRow>(
        'SELECT * FROM event_targets WHERE account_id = ? AND bus_name = ? ORDER BY rule_name, id',
      ),
      ruleNamesByTarget: db.prepare<[string, string, string, string, number], { rule_name: string }>(
        `SELECT DISTINCT rule_name FROM event_targets WHERE account_id = ? AND bus_name = ? AND arn = ?
         AND rule_name > ? ORDER BY rule_name LIMIT ?`,
      ),
      queueByName: db.prepare<[string, string], QueueRow>('SELECT * FROM queues WHERE account_id = ? AND name = ?'),
      queueById: db.prepare<[number], QueueRow>('SELECT * FROM queues WHERE id = ?'),
      listQueues: db.prepare<[string, string, string, string, number], QueueRow>(
        `SELECT * FROM queues WHERE account_id = ? AND name > ? AND substr(name, 1, length(?)) = ?
         ORDER BY name LIMIT ?`,
      ),
      insertQueue: db.prepare(
        `INSERT INTO queues (account_id, name, attributes, tags, created_at, last_modified_at)
         VALUES (@accountId, @name, @attributes, @tags, @now, @now)`,
      ),
      allQueues: db.prepare<[], QueueRow>('SELECT * FROM queues ORDER BY account_id, name'),
      markPurged: db.prepare<[number, number]>('UPDATE queues SET last_purged_at = ? WHERE id = ?'),
      deleteQueue: db.prepare<[number]>('DELETE FROM queues WHERE id = ?'),
      deleteQueueMessages: db.prepare<[number]>('DELETE FROM messages WHERE queue_id = ?'),
      rememberDeleted: db.prepare<[string, string, number]>(
        `INSERT INTO deleted_queues (account_id, name, deleted_at) VALUES (?, ?, ?)
         ON CONFLICT (account_id, name) DO UPDATE SET deleted_at = excluded.deleted_at`,
      ),
      lastDeleted: db.prepare<[string, string], { deleted_at: number }>(
        'SELECT deleted_at FROM deleted_queues WHERE account_id = ? AND name = ?',
      ),
      updateQueue: db.prepare(
        'UPDATE queues SET attributes = @attributes, tags = @tags, last_modified_at = @lastModifiedAt WHERE id = @id',
      ),
      insertMessage: db.prepare(
        `INSERT INTO messages (queue_id, message_id, body, attributes, trace_header, sender_id, sent_at, visible_at,
           group_id, dedup_id, sequence_number, event_id, event_trace_root)
         VALUES (@queueId, @messageId, @body, @attributes, @traceHeader, @senderId, @sentAt, @visibleAt,
           @groupId, @dedupId, @sequence, @eventId, @eventTraceRoot)`,
      ),
      dedupLookup: db.prepare<[number, string, number], { message_id: string; sequence_number: number }>(
        'SELECT message_id, sequence_number FROM fifo_dedup WHERE queue_id = ? AND dedup_key = ? AND expires_at > ?',
      ),
      dedupRemember: db.prepare(
        `INSERT OR REPLACE INTO fifo_dedup (queue_id, dedup_key, message_id, sequence_number, expires_at)
         VALUES (@queueId, @dedupKey, @messageId, @sequence, @expiresAt)`,
      ),
      dedupForget: db.prepare<[number]>('DELETE FROM fifo_dedup WHERE expires_at <= ?'),
      dedupForgetQueue: db.prepare<[number]>('DELETE FROM fifo_dedup WHERE queue_id = ?'),
      nextSequence: db.prepare<[number], { fifo_sequence: number }>(
        'UPDATE queues SET fifo_sequence = fifo_sequence + 1 WHERE id = ? RETURNING fifo_sequence',
      ),
      // Groups already met in this claim are filtered inside SQLite: a long backlog of one locked group
      // is then walked in the index alone instead of row by row in JavaScript.
      fifoCandidates: db.prepare<[number, number, number, string, number], { seq: number; group_id: string }>(
        `SELECT seq, group_id FROM messages WHERE queue_id = ? AND group_id IS NOT NULL AND seq > ? AND visible_at <= ?
         AND group_id NOT IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?`,
      ),
      messageBySeq: db.prepare<[number], MessageRow>('SELECT * FROM messages WHERE seq = ?'),
      redelay: db.prepare<[number, number]>(
        'UPDATE messages SET visible_at = COALESCE(enqueued_at, sent_at) + ? WHERE queue_id = ? AND receive_count = 0',
      ),
      groupInFlight: db.prepare<[number, string, number], { found: number }>(
        `SELECT 1 AS found FROM messages WHERE queue_id = ? AND group_id = ? AND group_id IS NOT NULL
         AND receive_count > 0 AND visible_at > ? LIMIT 1`,
      ),
      groupEarlier: db.prepare<[number, string, number], { found: number }>(
        `SELECT 1 AS found FROM messages WHERE queue_id = ? AND group_id = ? AND group_id IS NOT NULL
         AND seq < ? LIMIT 1`,
      ),
      groupNext: db.prepare<[number, string, number, number], MessageRow>(
        `SELECT * FROM messages WHERE queue_id = ? AND group_id = ? AND group_id IS NOT NULL AND seq > ?
         ORDER BY seq LIMIT ?`,
      ),
      candidates: db.prepare<[number, number, number, number, number, number], MessageRow>(
        `SELECT * FROM messages WHERE queue_id = ? AND visible_at >= ? AND visible_at <= ?
         AND (visible_at > ? OR seq > ?) ORDER BY visible_at, seq LIMIT ?`,
      ),
      claim: db.prepare(
        `UPDATE messages SET visible_at = @visibleAt, receive_count = receive_count + 1,
         first_receive_at = COALESCE(first_receive_at, @now), received_at = @now, receipt_token = @token
         WHERE seq = @seq`,
      ),
      moveToDeadLetter: db.prepare(
        `UPDATE messages SET queue_id = @queueId, visible_at = @now, receipt_token = NULL,
         dead_letter_source_arn = @sourceArn,
         enqueued_at = CASE WHEN group_id IS NOT NULL AND dedup_id IS NOT NULL THEN @now ELSE enqueued_at END,
         dedup_id = CASE WHEN group_id IS NOT NULL AND dedup_id IS NOT NULL THEN message_id ELSE dedup_id END
         WHERE seq = @seq`,
      ),
      deleteBySeq: db.prepare<[number]>('DELETE FROM messages WHERE seq = ?'),
      messageToken: db.prepare<
        [number, number],
        {
          receipt_token: string | null;
          visible_at: number;
          received_at: number | null;
          message_id: string;
          event_id: string | null;
          event_trace_root: number | null;
        }
      >(
        `SELECT receipt_token, visible_at, received_at, message_id, event_id, event_trace_root FROM messages
         WHERE queue_id = ? AND seq = ?`,
      ),
      messageState: db.prepare<[number, number], MessageRow>('SELECT * FROM messages WHERE queue_id = ? AND seq = ?'),
      setVisibility: db.prepare<[number, number, number, string]>(
        'UPDATE messages SET visible_at = ? WHERE queue_id = ? AND seq = ? AND receipt_token = ?',
      ),
      purge: db.prepare<[number, number]>('DELETE FROM messages WHERE queue_id = ? AND sent_at <= ?'),
      // enqueued_at, when set, is never before sent_at, so the sent_at range (indexed) bounds the scan.
      deleteExpired: db.prepare<[number, number, number, number]>(
        `DELETE FROM messages WHERE seq IN (
           SELECT seq FROM messages WHERE queue_id = ? AND sent_at < ? AND COALESCE(enqueued_at, sent_at) < ? LIMIT ?)`,
      ),
      countVisible: db.prepare<[number, number], { n: number }>(
        'SELECT COUNT(*) AS n FROM messages WHERE queue_id = ? AND visible_at <= ?',
      ),
      countInvisible: db.prepare<[number, number], { inflight: number | null; delayed: number | null }>(
        `SELECT SUM(receive_count > 0) AS inflight, SUM(receive_count = 0) AS delayed
         FROM messages WHERE queue_id = ? AND visible_at > ?`,
      ),
      countInflight: db.prepare<[number, number], { n: number }>(
        'SELECT COUNT(*) AS n FROM messages WHERE queue_id = ? AND visible_at > ? AND receive_count > 0',
      ),
      oldest: db.prepare<[number], { t: number | null }>('SELECT MIN(sent_at) AS t FROM messages WHERE queue_id = ?'),
      failTasksOfSource: db.prepare(
        `UPDATE move_tasks SET status = 'FAILED', failure_reason = 'AWS.SimpleQueueService.NonExistentQueue',
         updated_at = @now WHERE source_queue_id = @queueId AND status = 'RUNNING'`,
      ),
      runningTaskForSource: db.prepare<[number], MoveTaskRow>(
        "SELECT * FROM move_tasks WHERE source_queue_id = ? AND status = 'RUNNING' LIMIT 1",
      ),
      moveTaskById: db.prepare<[string], MoveTaskRow>('SELECT * FROM move_tasks WHERE id = ?'),
      moveTasksBySource: db.prepare<[string, number], MoveTaskRow>(
        'SELECT * FROM move_tasks WHERE source_arn = ? ORDER BY started_at DESC, rowid DESC LIMIT ?',
      ),
      runningMoveTasks: db.prepare<[], MoveTaskRow>("SELECT * FROM move_tasks WHERE status = 'RUNNING'"),
      insertMoveTask: db.prepare(
        `INSERT INTO move_tasks (id, source_queue_id, source_arn, destination_arn, max_per_second, status, to_move,
           max_seq, started_at, updated_at)
         VALUES (@id, @sourceQueueId, @sourceArn, @destinationArn, @maxPerSecond, 'RUNNING', @toMove, @maxSeq,
           @startedAt, @startedAt)`,
      ),
      visibleSummary: db.prepare<[number, number], { n: number; maxSeq: number | null }>(
        'SELECT COUNT(*) AS n, MAX(seq) AS maxSeq FROM messages WHERE queue_id = ? AND visible_at <= ?',
      ),
      finishMoveTask: db.prepare(
        `UPDATE move_tasks SET status = @status, failure_reason = @failureReason, updated_at = @now
         WHERE id = @id AND status = 'RUNNING'`,
      ),
      moveCandidates: db.prepare<[number, number, number, number, number], MessageRow>(
        `SELECT * FROM messages WHERE queue_id = ? AND seq > ? AND seq <= ? AND visible_at <= ?
         ORDER BY seq LIMIT ?`,
      ),
      // A redriven message is a new message at the end of its destination: new seq, id, send time.
      moveOne: db.prepare(
        `INSERT INTO messages (queue_id, message_id, body, attributes, trace_header, sender_id, sent_at, visible_at,
           group_id, dedup_id, sequence_number, event_id, event_trace_root)
         SELECT @queueId, @messageId, body, attributes, trace_header, sender_id, @now, @now,
           group_id, dedup_id, @sequence, event_id, event_trace_root FROM messages WHERE seq = @seq`,
      ),
      // Row values keep the walk inside messages_by_age (queue_id, sent_at, seq): no sort, whatever the queue's size.
      peek: db.prepare<[number, number, number, number], MessageRow>(
        'SELECT * FROM messages WHERE queue_id = ? AND (sent_at, seq) > (?, ?) ORDER BY sent_at, seq LIMIT ?',
      ),
      messagesByIds: db.prepare<[number, string], MessageRow>(
        `SELECT * FROM messages WHERE queue_id = ? AND message_id IN (SELECT value FROM json_each(?))
         ORDER BY seq`,
      ),
      recordMoveProgress: db.prepare(
        'UPDATE move_tasks SET moved = moved + @moved, cursor_seq = @cursor, updated_at = @now WHERE id = @id',
      ),
      nextVisible: db.prepare<[number, number], { t: number | null }>(
        'SELECT MIN(visible_at) AS t FROM messages WHERE queue_id = ? AND visible_at > ?',
      ),
    };
  }

  get commitStats(): { commits: number; writes: number } {
    return { ...this.writer.stats };
  }

  async createQueue(input: NewQueue): Promise<{ queue: QueueRecord; created: boolean }> {
    return this.writer.run(() => {
      const existing = this.sql.queueByName.get(input.accountId, input.name);
      if (existing) return { queue: toQueue(existing), created: false };
      const info = this.sql.insertQueue.run({
        accountId: input.accountId,
        name: input.name,
        attributes: JSON.stringify(input.attributes),
        tags: JSON.stringify(input.tags),
        now: input.now,
      });
      return { queue: toQueue(this.sql.queueById.get(Number(info.lastInsertRowid)) as QueueRow), created: true };
    });
  }

  async getQueue(accountId: string, name: string): Promise<QueueRecord | undefined> {
    const row = this.sql.queueByName.get(accountId, name);
    return row && toQueue(row);
  }

  async getQueueById(id: number): Promise<QueueRecord | undefined> {
    const row = this.sql.queueById.get(id);
    return row && toQueue(row);
  }

  async listQueues(
    accountId: string,
    options: { prefix?: string; afterName?: string; limit: number },
  ): Promise<QueueRecord[]> {
    const prefix = options.prefix ?? '';
    return this.sql.listQueues.all(accountId, options.afterName ?? '', prefix, prefix, options.limit).map(toQueue);
  }

  async allQueues(): Promise<QueueRecord[]> {
    return this.sql.allQueues.all().map(toQueue);
  }

  async deleteQueue(queueId: number, now: number): Promise<void> {
    await this.writer.run(() => {
      const row = this.sql.queueById.get(queueId);
      if (!row) return;
      this.sql.deleteQueueMessages.run(queueId);
      this.sql.dedupForgetQueue.run(queueId);
      this.sql.failTasksOfSource.run({ queueId, now });
      this.sql.deleteQueue.run(queueId);
      this.sql.rememberDeleted.run(row.account_id, row.name, now);
    });
  }

  async lastDeletedAt(accountId: string, name: string): Promise<number | undefined> {
    return this.sql.lastDeleted.get(accountId, name)?.deleted_at;
  }

  async updateQueue(queueId: number, change: QueueChange): Promise<QueueRecord> {
    return this.writer.run(() => {
      const row = this.sql.queueById.get(queueId);
      if (!row) throw new Error(`queue ${queueId} does not exist`);
      const current = toQueue(row);
      const modified = change.attributes !== undefined;
      this.sql.updateQueue.run({
        id: queueId,
        attributes: JSON.stringify(change.attributes ?? current.attributes),
        tags: JSON.stringify(change.tags ?? current.tags),
        lastModifiedAt: modified ? change.now : current.lastModifiedAt,
      });
      return toQueue(this.sql.queueById.get(queueId) as QueueRow);
    });
  }

  async appendMessages(queueId: number, messages: NewMessage[]): Promise<AppendResult[]> {
    return this.writer.run(() => this.appendNow(queueId, messages));
  }

  async appendToQueues(batches: { queueId: number; messages: NewMessage[] }[]): Promise<AppendResult[][]> {
    return this.writer.run(() =>
      batches.map((batch) =>
        this.sql.queueById.get(batch.queueId) ? this.appendNow(batch.queueId, batch.messages) : [],
      ),
    );
  }

  async routeEvents(write: RoutedWrite): Promise<AppendResult[][]> {
    return this.writer.run(() => {
      // Before the messages: each message born from an event points to the row of its routing.
      const roots = this.trace?.addAll(write.trace);
      const results = write.batches.map((batch) =>
        this.sql.queueById.get(batch.queueId) ? this.appendNow(batch.queueId, batch.messages, roots) : [],
      );
      this.routing.write(write);
      this.alarms.write(write.alarm, write.alarmHistory);
      return results;
    });
  }

  async claimDueDeliveries(now: number, limit: number, leaseUntil: number): Promise<DeliveryRecord[]> {
    return this.writer.run(() => this.routing.claimDue(now, limit, leaseUntil));
  }

  async retryDelivery(id: number, change: DeliveryRetry): Promise<void> {
    const { trace, ...retry } = change;
    return this.writer.run(() => {
      this.routing.retry(id, retry);
      this.trace?.addAll(trace);
    });
  }

  async nextDeliveryAt(): Promise<number | undefined> {
    return this.routing.nextDeliveryAt();
  }

  async countDeliveries(): Promise<number> {
    return this.routing.countDeliveries();
  }

  async createArchive(input: NewArchive): Promise<'created' | 'exists'> {
    return this.writer.run(() => this.routing.createArchive(input));
  }

  async getArchive(accountId: string, name: string): Promise<ArchiveRecord | undefined> {
    return this.routing.getArchive(accountId, name);
  }

  async listArchives(
    accountId: string,
    options: { prefix?: string; busName?: string; afterName?: string; limit: number },
  ): Promise<ArchiveRecord[]> {
    return this.routing.listArchives(accountId, options);
  }

  async updateArchive(accountId: string, name: string, change: ArchiveChange): Promise<ArchiveRecord | undefined> {
    return this.writer.run(() => this.routing.updateArchive(accountId, name, change));
  }

  async deleteArchive(accountId: string, name: string): Promise<boolean> {
    return this.writer.run(() => this.routing.deleteArchive(accountId, name));
  }

  async busArchives(accountId: string, busName: string): Promise<ArchiveRecord[]> {
    return this.routing.busArchives(accountId, busName);
  }

  async archivedEvents(
    archiveId: number,
    options: { fromTime: number; toTime: number; after?: { time: number; seq: number }; limit: number },
  ): Promise<ArchivedEventRecord[]> {
    return this.routing.archivedEvents(archiveId, options);
  }

  async expireArchivedEvents(now: number, limit: number): Promise<number> {
    return this.writer.run(() => this.routing.expireArchived(now, limit));
  }

  async createReplay(input: NewReplay): Promise<'created' | 'exists'> {
    return this.writer.run(() => this.routing.createReplay(input));
  }

  async getReplay(accountId: string, name: string): Promise<ReplayRecord | undefined> {
    return this.routing.getReplay(accountId, name);
  }

  async listReplays(
    accountId: string,
    options: { prefix?: string; state?: string; archiveName?: string; afterName?: string; limit: number },
  ): Promise<ReplayRecord[]> {
    return this.routing.listReplays(accountId, options);
  }

  async setReplayState(
    accountId: string,
    name: string,
    change: { state: ReplayState; reason?: string; endedAt?: number },
    onlyFrom?: readonly ReplayState[],
  ): Promise<ReplayRecord | undefined> {
    return this.writer.run(() => this.routing.setReplayState(accountId, name, change, onlyFrom));
  }

  async activeReplays(): Promise<ReplayRecord[]> {
    return this.routing.activeReplays();
  }

  async writeMetricBuckets(
    buckets: readonly NewMetricBucket[],
    merge: (stored: string, added: string) => string,
  ): Promise<void> {
    return this.writer.run(() => this.metrics.write(buckets, merge));
  }

  async metricBuckets(
    seriesId: number,
    options: { resolution: number; fromMs: number; toMs: number; unit?: string | undefined },
  ): Promise<MetricBucketRecord[]> {
    return this.metrics.buckets(seriesId, options);
  }

  async listMetricSeries(accountId: string, filter: MetricSeriesFilter): Promise<MetricSeriesRecord[]> {
    return this.metrics.list(accountId, filter);
  }

  async findMetricSeries(key: MetricSeriesKey): Promise<MetricSeriesRecord | undefined> {
    return this.metrics.find(key);
  }

  async expireMetricBuckets(resolution: number, beforeMs: number, limit: number): Promise<number> {
    return this.writer.run(() => this.metrics.expire(resolution, beforeMs, limit));
  }

  async putAlarm(
    alarm: AlarmRecord,
    history: readonly NewAlarmHistoryItem[],
    maxAlarms?: number,
  ): Promise<'created' | 'updated' | 'limit-exceeded'> {
    return this.writer.run(() => this.alarms.put(alarm, history, maxAlarms));
  }

  async getAlarm(accountId: string, name: string): Promise<AlarmRecord | undefined> {
    return this.alarms.get(accountId, name);
  }

  async listAlarms(accountId: string, filter: AlarmFilter): Promise<AlarmRecord[]> {
    return this.alarms.list(accountId, filter);
  }

  async deleteAlarms(
    accountId: string,
    names: readonly string[],
    history: readonly NewAlarmHistoryItem[],
  ): Promise<string[]> {
    return this.writer.run(() => this.alarms.delete(accountId, names, history));
  }

  async dueAlarms(now: number, limit: number): Promise<AlarmRecord[]> {
    return this.alarms.due(now, limit);
  }

  async alarmHistory(accountId: string, filter: AlarmHistoryFilter): Promise<AlarmHistoryRecord[]> {
    return this.alarms.history(accountId, filter);
  }

  async expireAlarmHistory(beforeMs: number, limit: number): Promise<number> {
    return this.writer.run(() => this.alarms.expireHistory(beforeMs, limit));
  }

  async checkIdempotencyKeys(accountId: string, keys: readonly string[], now: number): Promise<string[]> {
    return this.idempotency.check(accountId, keys, now);
  }

  async putIdempotencyKeys(accountId: string, keys: readonly string[], expiresAt: number): Promise<void> {
    await this.writer.run(() => this.idempotency.put(accountId, keys, expiresAt));
  }

  async deleteIdempotencyKeys(accountId: string, keys: readonly string[]): Promise<number> {
    return this.writer.run(() => this.idempotency.delete(accountId, keys));
  }

  async expireIdempotencyKeys(now: number, limit: number): Promise<number> {
    return this.writer.run(() => this.idempotency.expire(now, limit));
  }

  async recordMessageFailures(accountId: string, entries: readonly NewMessageFailure[], now: number): Promise<void> {
    await this.writer.run(() => this.failures.record(accountId, entries, now));
  }

  async messageFailures(accountId: string, messageIds: readonly string[]): Promise<Map<string, MessageFailureRecord>> {
    return this.failures.get(accountId, messageIds);
  }

  async expireMessageFailures(before: number, limit: number): Promise<number> {
    return this.writer.run(() => this.failures.expire(before, limit));
  }

  async eventTrace(accountId: string, eventId: string, limit: number): Promise<TraceRecord[]> {
    return this.traceTables.forEvent(accountId, eventId, limit);
  }

  async expireEventTrace(before: number, limit: number): Promise<number> {
    return this.writer.run(() => this.traceTables.expire(before, limit));
  }

  async scheduledRules(): Promise<{ rule: RuleRecord; schedule?: RuleSchedule }[]> {
    return this.routing.scheduledRules().flatMap(({ accountId, busName, name, schedule }) => {
      const row = this.sql.ruleByName.get(accountId, busName, name);
      return row ? [{ rule: toRule(row), ...(schedule ? { schedule } : {}) }] : [];
    });
  }

  /** Appends inside the caller's transaction; `roots` are the trace rows of the events the messages are born from. */
  private appendNow(queueId: number, messages: NewMessage[], roots?: TraceRoots): AppendResult[] {
    return messages.map((m): AppendResult => {
      let sequence: number | undefined;
      if (m.fifo) {
        const original = this.sql.dedupLookup.get(queueId, m.fifo.dedupKey, m.sentAt);
        if (original) {
          if (this.trace && m.eventId !== undefined) {
            const message = {
              message_id: m.messageId,
              event_id: m.eventId,
              event_trace_root: roots?.get(m.eventId) ?? null,
            };
            this.trace.queueStep(queueId, message, m.sentAt, 'deduplicated', {
              originalMessageId: original.message_id,
            });
          }
          return { messageId: original.message_id, sequence: original.sequence_number, duplicate: true };
        }
        sequence = this.sql.nextSequence.get(queueId)?.fifo_sequence;
        if (sequence === undefined) throw new Error(`queue ${queueId} does not exist`);
        this.sql.dedupRemember.run({
          queueId,
          dedupKey: m.fifo.dedupKey,
          messageId: m.messageId,
          sequence,
          expiresAt: m.fifo.dedupExpiresAt,
        });
      }
      this.sql.insertMessage.run({
        queueId,
        messageId: m.messageId,
        body: m.body,
        attributes: Object.keys(m.attributes).length > 0 ? JSON.stringify(m.attributes) : null,
        traceHeader: m.traceHeader ?? null,
        senderId: m.senderId,
        sentAt: m.sentAt,
        visibleAt: m.visibleAt,
        groupId: m.groupId ?? null,
        dedupId: m.dedupId ?? null,
        sequence: sequence ?? null,
        eventId: m.eventId ?? null,
        eventTraceRoot: m.eventId === undefined ? null : (roots?.get(m.eventId) ?? null),
      });
      return { messageId: m.messageId, sequence, duplicate: false };
    });
  }

  async claimMessages(request: ClaimRequest): Promise<ClaimResult> {
    return this.writer.run(() => {
      const result: ClaimResult = { messages: [], deadLettered: 0, expired: 0, overLimit: false };
      const { queueId, now, max } = request;
      let inflight: { count: number } | undefined;
      if (request.maxInflight !== undefined) {
        // Counting is linear in the messages in flight, so it is done only when the cached bound reaches
        // the limit. The bound never undercounts: only claims put messages in flight (and add to it here),
        // while deletes and ended visibility take them out unseen. Below the limit it is proof enough.
        inflight = this.inflightBounds.get(queueId);
        if (!inflight || inflight.count >= request.maxInflight) {
          inflight = { count: this.sql.countInflight.get(queueId, now)?.n ?? 0 };
          this.inflightBounds.set(queueId, inflight);
        }
        if (inflight.count >= request.maxInflight) {
          result.overLimit = true;
          return result;
        }
      }
      // Page forward: by (visible_at, seq) for standard queues, by seq (send order) for FIFO. A message
      // claimed with a zero visibility timeout becomes visible again at `now`, inside the range still
      // ahead, so `seen` keeps one claim from taking it twice.
      const seen = new Set<number>();
      // FIFO: the groups met in this claim and whether they were open.
      const groups = new Map<string, boolean>();
      let cursor = { visibleAt: Number.MIN_SAFE_INTEGER, seq: 0 };
      const batchSize = request.fifo ? 512 : max + 16;
      for (;;) {
        const rows: MessageRow[] = [];
        let scanned: number;
        if (request.fifo) {
          // Scan send order through the covering index for the first visible message of each group; take
          // it and as many of its group's next messages as are visible, in order (AWS returns as many of
          // one group as it can, which leaves the other groups to other consumers).
          const keys = this.sql.fifoCandidates.all(
            queueId,
            cursor.seq,
            now,
            JSON.stringify([...groups.keys()]),
            batchSize,
          );
          scanned = keys.length;
          const wanted = max - result.messages.length + 16;
          for (const key of keys) {
            if (rows.length >= wanted) {
              // Enough to fill this receive; the rest of the page is read again from the cursor if needed.
              scanned = batchSize;
              break;
            }
            cursor = { visibleAt: cursor.visibleAt, seq: key.seq };
            if (groups.has(key.group_id)) continue;
            // The first visible message of its group met in this claim: the group is open unless one of its
            // messages is in flight or an earlier one (which, not met so far, is not visible) comes first.
            const open =
              this.sql.groupInFlight.get(queueId, key.group_id, now) === undefined &&
              this.sql.groupEarlier.get(queueId, key.group_id, key.seq) === undefined;
            groups.set(key.group_id, open);
            if (!open) continue;
            const head = this.sql.messageBySeq.get(key.seq);
            if (!head) continue;
            rows.push(head);
            for (const next of this.sql.groupNext.all(queueId, key.group_id, key.seq, wanted - rows.length)) {
              if (next.visible_at > now) break; // not visible yet: the rest of the group waits behind it
              rows.push(next);
            }
          }
        } else {
          rows.push(
            ...this.sql.candidates.all(queueId, cursor.visibleAt, now, cursor.visibleAt, cursor.seq, batchSize),
          );
          scanned = rows.length;
        }
        for (const row of rows) {
          if (!request.fifo) cursor = { visibleAt: row.visible_at, seq: row.seq };
          if (seen.has(row.seq)) continue;
          seen.add(row.seq);
          const message = toMessage(row);
          const decision = request.decide(message);
          if (decision === 'expire') {
            this.sql.deleteBySeq.run(row.seq);
            result.expired += 1;
            if (this.trace && row.event_id !== null) this.trace.queueStep(queueId, row, now, 'expired');
          } else if (decision === 'dead-letter' && request.deadLetter) {
            this.sql.moveToDeadLetter.run({
              seq: row.seq,
              queueId: request.deadLetter.queueId,
              now,
              sourceArn: request.deadLetter.sourceArn,
            });
            result.deadLettered += 1;
            if (this.trace && row.event_id !== null) {
              this.trace.queueStep(queueId, row, now, 'dead-lettered', {
                dlq: this.trace.queue(request.deadLetter.queueId).name,
                receiveCount: row.receive_count,
              });
            }
          } else {
            const token = request.newToken();
            const visibleAt = now + request.visibilityMs;
            this.sql.claim.run({ seq: row.seq, visibleAt, now, token });
            if (this.trace && row.event_id !== null) {
              this.trace.queueStep(queueId, row, now, 'received', { receiveCount: row.receive_count + 1 });
            }
            result.messages.push({
              ...message,
              token,
              visibleAt,
              receiveCount: message.receiveCount + 1,
              firstReceiveAt: message.firstReceiveAt ?? now,
              receivedAt: now,
            });
            if (inflight) inflight.count += 1;
            if (result.messages.length >= max) return result;
          }
        }
        if (scanned < batchSize) return result;
      }
    });
  }

  async deleteMessage(
    queueId: number,
    seq: number,
    token: string,
    options?: { now: number; onlyInFlight: boolean },
  ): Promise<'deleted' | 'stale' | 'missing' | 'expired'> {
    return this.writer.run(() => {
      const row = this.sql.messageToken.get(queueId, seq);
      if (!row) return 'missing';
      if (row.receipt_token !== token) return 'stale';
      if (options?.onlyInFlight && row.visible_at <= options.now) return 'expired';
      this.sql.deleteBySeq.run(seq);
      if (this.trace && row.event_id !== null) {
        this.trace.queueStep(queueId, row, options?.now ?? row.received_at ?? 0, 'deleted');
      }
      return 'deleted';
    });
  }

  async getMessageState(queueId: number, seq: number): Promise<(MessageState & { token: string | null }) | undefined> {
    const row = this.sql.messageState.get(queueId, seq);
    if (!row) return undefined;
    return {
      sentAt: row.sent_at,
      visibleAt: row.visible_at,
      receiveCount: row.receive_count,
      receivedAt: row.received_at,
      token: row.receipt_token,
    };
  }

  async setVisibility(queueId: number, seq: number, token: string, visibleAt: number): Promise<boolean> {
    return this.writer.run(() => this.sql.setVisibility.run(visibleAt, queueId, seq, token).changes === 1);
  }

  async purgeQueue(queueId: number, now: number): Promise<void> {
    await this.writer.run(() => {
      this.trace?.purged(queueId, now);
      this.sql.purge.run(queueId, now);
      this.sql.markPurged.run(now, queueId);
    });
  }

  async redelayUnreceived(queueId: number, delayMs: number): Promise<void> {
    await this.writer.run(() => this.sql.redelay.run(delayMs, queueId));
  }

  async deleteExpired(queueId: number, enqueuedBefore: number, limit: number, now?: number): Promise<number> {
    return this.writer.run(() =>
      this.trace
        ? this.trace.deleteExpired(queueId, enqueuedBefore, limit, now ?? enqueuedBefore)
        : this.sql.deleteExpired.run(queueId, enqueuedBefore, enqueuedBefore, limit).changes,
    );
  }

  async forgetDedupIds(now: number): Promise<number> {
    return this.writer.run(() => this.sql.dedupForget.run(now).changes);
  }

  async createMoveTask(task: NewMoveTask): Promise<{ task: MoveTaskRecord; created: boolean }> {
    return this.writer.run(() => {
      const running = this.sql.runningTaskForSource.get(task.sourceQueueId);
      if (running) return { task: toMoveTask(running), created: false };
      const summary = this.sql.visibleSummary.get(task.sourceQueueId, task.startedAt);
      this.sql.insertMoveTask.run({
        id: task.id,
        sourceQueueId: task.sourceQueueId,
        sourceArn: task.sourceArn,
        destinationArn: task.destinationArn ?? null,
        maxPerSecond: task.maxPerSecond ?? null,
        toMove: summary?.n ?? 0,
        maxSeq: summary?.maxSeq ?? 0,
        startedAt: task.startedAt,
      });
      return { task: toMoveTask(this.sql.moveTaskById.get(task.id) as MoveTaskRow), created: true };
    });
  }

  async getMoveTask(id: string): Promise<MoveTaskRecord | undefined> {
    const row = this.sql.moveTaskById.get(id);
    return row && toMoveTask(row);
  }

  async listMoveTasks(sourceArn: string, limit: number): Promise<MoveTaskRecord[]> {
    return this.sql.moveTasksBySource.all(sourceArn, limit).map(toMoveTask);
  }

  async runningMoveTasks(): Promise<MoveTaskRecord[]> {
    return this.sql.runningMoveTasks.all().map(toMoveTask);
  }

  async finishMoveTask(
    id: string,
    status: 'COMPLETED' | 'CANCELLED' | 'FAILED',
    now: number,
    failureReason?: string,
  ): Promise<MoveTaskRecord | undefined> {
    return this.writer.run(() => {
      this.sql.finishMoveTask.run({ id, status, now, failureReason: failureReason ?? null });
      const row = this.sql.moveTaskById.get(id);
      return row && toMoveTask(row);
    });
  }

  async moveMessages(request: MoveRequest): Promise<MoveResult> {
    return this.writer.run(() => {
      const result: MoveResult = { moved: 0, done: false, missingDestination: false, destinations: [] };
      const row = this.sql.moveTaskById.get(request.taskId);
      if (row?.status !== 'RUNNING') {
        result.done = true;
        result.task = row && toMoveTask(row);
        return result;
      }
      const candidates = this.sql.moveCandidates.all(
        row.source_queue_id,
        row.cursor_seq,
        row.max_seq,
        request.now,
        request.limit,
      );
      let cursor = row.cursor_seq;
      const destinations = new Set<number>();
      for (const message of candidates) {
        const destination = request.destinationFor(message.dead_letter_source_arn ?? undefined);
        if (destination === 'missing') {
          result.missingDestination = true;
          break;
        }
        cursor = message.seq;
        if (destination === 'skip') continue;
        const newMessageId = this.moveNow(message, destination, request.now, request.newMessageId);
        if (this.trace && message.event_id !== null) {
          this.trace.queueStep(row.source_queue_id, message, request.now, 'moved', {
            to: this.trace.queue(destination).name,
            newMessageId,
            by: 'move-task',
          });
        }
        destinations.add(destination);
        result.moved += 1;
      }
      this.sql.recordMoveProgress.run({ id: request.taskId, moved: result.moved, cursor, now: request.now });
      result.done = !result.missingDestination && candidates.length < request.limit;
      result.destinations = [...destinations];
      result.task = toMoveTask(this.sql.moveTaskById.get(request.taskId) as MoveTaskRow);
      return result;
    });
  }

  /**
   * Moves one message inside the caller's transaction, as a redrive does: a new message at the end of `destination`.
   * Returns its new id.
   */
  private moveNow(message: MessageRow, destination: number, now: number, newMessageId: () => string): string {
    const sequence =
      message.sequence_number === null ? null : (this.sql.nextSequence.get(destination)?.fifo_sequence ?? null);
    const messageId = newMessageId();
    this.sql.moveOne.run({ seq: message.seq, queueId: destination, now, messageId, sequence });
    this.sql.deleteBySeq.run(message.seq);
    return messageId;
  }

  async peekMessages(
    queueId: number,
    options: { after?: { sentAt: number; seq: number } | undefined; limit: number },
  ): Promise<StoredMessage[]> {
    const after = options.after ?? { sentAt: Number.MIN_SAFE_INTEGER, seq: 0 };
    return this.sql.peek.all(queueId, after.sentAt, after.seq, options.limit).map(toMessage);
  }

  async deleteMessagesById(queueId: number, messageIds: readonly string[], now = 0): Promise<string[]> {
    if (messageIds.length === 0) return [];
    return this.writer.run(() => {
      const deleted = new Set<string>();
      for (const row of this.sql.messagesByIds.all(queueId, JSON.stringify(messageIds))) {
        this.sql.deleteBySeq.run(row.seq);
        deleted.add(row.message_id);
        if (this.trace && row.event_id !== null) this.trace.queueStep(queueId, row, now, 'deleted', { by: 'console' });
      }
      return [...deleted];
    });
  }

  async moveMessagesById(request: MoveByIdRequest): Promise<MoveByIdResult> {
    const result: MoveByIdResult = { moved: [], notFound: [], noDestination: [], destinations: [] };
    if (request.messageIds.length === 0) return result;
    return this.writer.run(() => {
      const rows = this.sql.messagesByIds.all(request.sourceQueueId, JSON.stringify(request.messageIds));
      const found = new Set(rows.map((row) => row.message_id));
      result.notFound = [...new Set(request.messageIds)].filter((id) => !found.has(id));
      const live = new Map<number, boolean>();
      const destinations = new Set<number>();
      for (const row of rows) {
        const destination = request.destinationFor(row.dead_letter_source_arn ?? undefined);
        // The destination was resolved before this transaction: it may have been deleted since.
        if (destination !== 'missing' && !live.has(destination)) {
          live.set(destination, this.sql.queueById.get(destination) !== undefined);
        }
        if (destination === 'missing' || !live.get(destination)) {
          result.noDestination.push(row.message_id);
          continue;
        }
        const newMessageId = this.moveNow(row, destination, request.now, request.newMessageId);
        if (this.trace && row.event_id !== null) {
          this.trace.queueStep(request.sourceQueueId, row, request.now, 'moved', {
            to: this.trace.queue(destination).name,
            newMessageId,
            by: 'console',
          });
        }
        result.moved.push({ messageId: row.message_id, newMessageId, destinationQueueId: destination });
        destinations.add(destination);
      }
      result.destinations = [...destinations];
      return result;
    });
  }

  async createEventBus(input: NewEventBus): Promise<CreateEventBusResult> {
    return this.writer.run((): CreateEventBusResult => {
      const existing = this.sql.busByName.get(input.accountId, input.name);
      if (existing) return { outcome: 'exists', bus: toEventBus(existing) };
      if (input.maxBuses !== undefined && (this.sql.countBuses.get(input.accountId)?.n ?? 0) >= input.maxBuses) {
        return { outcome: 'limit-exceeded' };
      }
      this.sql.insertBus.run({
        accountId: input.accountId,
        name: input.name,
        description: input.description ?? null,
        tags: JSON.stringify(input.tags),
        now: input.now,
      });
      return {
        outcome: 'created',
        bus: toEventBus(this.sql.busByName.get(input.accountId, input.name) as EventBusRow),
      };
    });
  }

  async getEventBus(accountId: string, name: string): Promise<EventBusRecord | undefined> {
    const row = this.sql.busByName.get(accountId, name);
    return row && toEventBus(row);
  }

  async listEventBuses(
    accountId: string,
    options: { prefix?: string; afterName?: string; limit: number },
  ): Promise<EventBusRecord[]> {
    const prefix = options.prefix ?? '';
    return this.sql.listBuses.all(accountId, options.afterName ?? '', prefix, prefix, options.limit).map(toEventBus);
  }

  async deleteEventBus(accountId: string, name: string): Promise<'deleted' | 'missing' | 'has-rules'> {
    return this.writer.run(() => {
      if (!this.sql.busByName.get(accountId, name)) return 'missing';
      if ((this.sql.countRules.get(accountId, name)?.n ?? 0) > 0) return 'has-rules';
      this.sql.deleteBus.run(accountId, name);
      return 'deleted';
    });
  }

  async setEventBusTags(
    accountId: string,
    name: string,
    tags: Record<string, string>,
    _now: number,
  ): Promise<EventBusRecord | undefined> {
    return this.writer.run(() => {
      if (this.sql.setBusTags.run(JSON.stringify(tags), accountId, name).changes === 0) return undefined;
      return toEventBus(this.sql.busByName.get(accountId, name) as EventBusRow);
    });
  }

  async putRule(input: NewRule): Promise<PutRuleResult> {
    return this.writer.run((): PutRuleResult => {
      if (!this.sql.busByName.get(input.accountId, input.busName)) return { outcome: 'no-bus' };
      const fields = {
        accountId: input.accountId,
        busName: input.busName,
        name: input.name,
        eventPattern: input.eventPattern ?? null,
        scheduleExpression: input.scheduleExpression ?? null,
        state: input.state,
        description: input.description ?? null,
        roleArn: input.roleArn ?? null,
        now: input.now,
      };
      let outcome: 'created' | 'updated' = 'updated';
      if (this.sql.ruleByName.get(input.accountId, input.busName, input.name)) {
        this.sql.replaceRule.run(fields);
      } else {
        const count = this.sql.countRules.get(input.accountId, input.busName)?.n ?? 0;
        if (input.maxRules !== undefined && count >= input.maxRules) return { outcome: 'limit-exceeded' };
        this.sql.insertRule.run({ ...fields, tags: JSON.stringify(input.tags) });
        outcome = 'created';
      }
      const row = this.sql.ruleByName.get(input.accountId, input.busName, input.name) as RuleRow;
      return { outcome, rule: toRule(row) };
    });
  }

  async getRule(accountId: string, busName: string, name: string): Promise<RuleRecord | undefined> {
    const row = this.sql.ruleByName.get(accountId, busName, name);
    return row && toRule(row);
  }

  async listRules(
    accountId: string,
    busName: string,
    options: { prefix?: string; afterName?: string; limit: number },
  ): Promise<RuleRecord[]> {
    const prefix = options.prefix ?? '';
    return this.sql.listRules
      .all(accountId, busName, options.afterName ?? '', prefix, prefix, options.limit)
      .map(toRule);
  }

  async deleteRule(
    accountId: string,
    busName: string,
    name: string,
    options: { force?: boolean } = {},
  ): Promise<boolean | 'has-targets'> {
    return this.writer.run(() => {
      if (!this.sql.ruleByName.get(accountId, busName, name)) return false;
      if (!options.force && (this.sql.countTargets.get(accountId, busName, name)?.n ?? 0) > 0) return 'has-targets';
      this.sql.deleteRuleTargets.run(accountId, busName, name);
      this.routing.forgetSchedule(accountId, busName, name);
      return this.sql.deleteRule.run(accountId, busName, name).changes === 1;
    });
  }

  async putTargets(
    accountId: string,
    busName: string,
    ruleName: string,
    targets: NewTarget[],
    maxTargets: number,
  ): Promise<'ok' | 'no-rule' | 'limit-exceeded'> {
    return this.writer.run(() => {
      if (!this.sql.ruleByName.get(accountId, busName, ruleName)) return 'no-rule';
      const fresh = new Set(
        targets.filter((t) => !this.sql.targetExists.get(accountId, busName, ruleName, t.id)).map((t) => t.id),
      );
      const count = this.sql.countTargets.get(accountId, busName, ruleName)?.n ?? 0;
      if (count + fresh.size > maxTargets) return 'limit-exceeded';
      for (const target of targets) {
        this.sql.upsertTarget.run({
          accountId,
          busName,
          ruleName,
          id: target.id,
          arn: target.arn,
          settings: JSON.stringify(target.settings),
        });
      }
      return 'ok';
    });
  }

  async removeTargets(accountId: string, busName: string, ruleName: string, ids: string[]): Promise<string[]> {
    return this.writer.run(() =>
      ids.filter((id) => this.sql.deleteTarget.run(accountId, busName, ruleName, id).changes === 1),
    );
  }

  async listTargets(
    accountId: string,
    busName: string,
    ruleName: string,
    options: { afterId?: string; limit: number },
  ): Promise<TargetRecord[]> {
    return this.sql.listTargets.all(accountId, busName, ruleName, options.afterId ?? '', options.limit).map(toTarget);
  }

  async busTargets(accountId: string, busName: string): Promise<TargetRecord[]> {
    return this.sql.busTargets.all(accountId, busName).map(toTarget);
  }

  async ruleNamesByTarget(
    accountId: string,
    busName: string,
    arn: string,
    options: { afterName?: string; limit: number },
  ): Promise<string[]> {
    return this.sql.ruleNamesByTarget
      .all(accountId, busName, arn, options.afterName ?? '', options.limit)
      .map((row) => row.rule_name);
  }

  async updateRule(
    accountId: string,
    busName: string,
    name: string,
    change: RuleChange,
  ): Promise<RuleRecord | undefined> {
    return this.writer.run(() => {
      const row = this.sql.ruleByName.get(accountId, busName, name);
      if (!row) return undefined;
      const stateChanged = change.state !== undefined && change.state !== row.state;
      this.sql.changeRule.run({
        accountId,
        busName,
        name,
        state: change.state ?? row.state,
        tags: JSON.stringify(change.tags ?? JSON.parse(row.tags)),
        lastModifiedAt: stateChanged ? change.now : row.last_modified_at,
      });
      return toRule(this.sql.ruleByName.get(accountId, busName, name) as RuleRow);
    });
  }

  async counts(queueId: number, now: number): Promise<QueueCounts> {
    const visible = this.sql.countVisible.get(queueId, now)?.n ?? 0;
    const invisible = this.sql.countInvisible.get(queueId, now);
    return {
      visible,
      inFlight: invisible?.inflight ?? 0,
      delayed: invisible?.delayed ?? 0,
      oldestSentAt: this.sql.oldest.get(queueId)?.t ?? null,
    };
  }

  async nextVisibleAt(queueId: number, now: number): Promise<number | undefined> {
    return this.sql.nextVisible.get(queueId, now)?.t ?? undefined;
  }

  async close(): Promise<void> {
    this.writer.close();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
