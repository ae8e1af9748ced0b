import type Database from 'better-sqlite3';
import type {
  ArchiveChange,
  ArchivedEventRecord,
  ArchiveRecord,
  ArchiveState,
  DeliveryKind,
  DeliveryRecord,
  DeliveryRetry,
  DeliverySettings,
  NewArchive,
  NewReplay,
  ReplayRecord,
  ReplayState,
  RoutedWrite,
  RuleSchedule,
} from '../types.js';

/**
 * The SQLite side of event routing beyond queue messages: the delivery outbox, archives, replays and rule
 * schedules. Every method here runs inside the caller's transaction (the store's group commit).
 */

interface DeliveryRow {
  id: number;
  account_id: string;
  region: string;
  rule_arn: string;
  target_id: string;
  target_arn: string;
  kind: DeliveryKind;
  payload: string;
  event: string;
  settings: string;
  attempts: number;
  first_at: number;
  next_at: number;
  error_code: string | null;
  error_message: string | null;
}

interface ArchiveRow {
  id: number;
  account_id: string;
  name: string;
  bus_name: string;
  description: string | null;
  event_pattern: string | null;
  retention_days: number;
  state: ArchiveState;
  created_at: number;
  event_count?: number;
  size_bytes?: number;
}

interface ReplayRow {
  id: number;
  account_id: string;
  name: string;
  description: string | null;
  archive_name: string;
  archive_id: number;
  bus_name: string;
  rule_names: string;
  start_time: number;
  end_time: number;
  state: ReplayState;
  state_reason: string | null;
  after_time: number | null;
  after_seq: number | null;
  last_replayed_time: number | null;
  created_at: number;
  ended_at: number | null;
}

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    region: row.region,
    ruleArn: row.rule_arn,
    targetId: row.target_id,
    targetArn: row.target_arn,
    kind: row.kind,
    payload: row.payload,
    event: row.event,
    settings: JSON.parse(row.settings) as DeliverySettings,
    attempts: row.attempts,
    firstAt: row.first_at,
    nextAt: row.next_at,
    errorCode: row.error_code ?? undefined,
    errorMessage: row.error_message ?? undefined,
  };
}

function toArchive(row: ArchiveRow): ArchiveRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    busName: row.bus_name,
    description: row.description ?? undefined,
    eventPattern: row.event_pattern ?? undefined,
    retentionDays: row.retention_days,
    state: row.state,
    createdAt: row.created_at,
    now: row.created_at,
    eventCount: row.event_count ?? 0,
    sizeBytes: row.size_bytes ?? 0,
  };
}

function toReplay(row: ReplayRow): ReplayRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    description: row.description ?? undefined,
    archiveName: row.archive_name,
    archiveId: row.archive_id,
    busName: row.bus_name,
    ruleNames: JSON.parse(row.rule_names) as string[],
    startTime: row.start_time,
    endTime: row.end_time,
    state: row.state,
    stateReason: row.state_reason ?? undefined,
    after: row.after_time !== null && row.after_seq !== null ? { time: row.after_time, seq: row.after_seq } : undefined,
    lastReplayedTime: row.last_replayed_time ?? undefined,
    now: row.created_at,
    endedAt: row.ended_at ?? undefined,
  };
}

const ARCHIVE_WITH_COUNTS = `SELECT a.*, (SELECT COUNT(*) FROM archived_events e WHERE e.archive_id = a.id) AS event_count,
  (SELECT COALESCE(SUM(size), 0) FROM archived_events e WHERE e.archive_id = a.id) AS size_bytes FROM event_archives a`;

export class EventRoutingTables {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      insertDelivery: db.prepare(
        `INSERT INTO event_deliveries (account_id, region, rule_arn, target_id, target_arn, kind, payload, event,
           settings, first_at, next_at)
         VALUES (@accountId, @region, @ruleArn, @targetId, @targetArn, @kind, @payload, @event, @settings, @firstAt,
           @nextAt)`,
      ),
      deleteDelivery: db.prepare<[number]>('DELETE FROM event_deliveries WHERE id = ?'),
      dueDeliveries: db.prepare<[number, number], DeliveryRow>(
        'SELECT * FROM event_deliveries WHERE next_at <= ? ORDER BY next_at, id LIMIT ?',
      ),
      leaseDelivery: db.prepare<[number, number]>('UPDATE event_deliveries SET next_at = ? WHERE id = ?'),
      retryDelivery: db.prepare(
        `UPDATE event_deliveries SET attempts = @attempts, next_at = @nextAt, error_code = @errorCode,
           error_message = @errorMessage WHERE id = @id`,
      ),
      nextDelivery: db.prepare<[], { t: number | null }>('SELECT MIN(next_at) AS t FROM event_deliveries'),
      countDeliveries: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM event_deliveries'),

      insertArchive: db.prepare(
        `INSERT INTO event_archives (account_id, name, bus_name, description, event_pattern, retention_days, state,
           created_at)
         VALUES (@accountId, @name, @busName, @description, @eventPattern, @retentionDays, 'ENABLED', @now)`,
      ),
      archiveByName: db.prepare<[string, string], ArchiveRow>(
        `${ARCHIVE_WITH_COUNTS} WHERE a.account_id = ? AND a.name = ?`,
      ),
      listArchives: db.prepare<[string, string, string, string, string, string, number], ArchiveRow>(
        `${ARCHIVE_WITH_COUNTS} WHERE a.account_id = ? AND a.name > ? AND substr(a.name, 1, length(?)) = ?
         AND (? = '' OR a.bus_name = ?) ORDER BY a.name LIMIT ?`,
      ),
      busArchives: db.prepare<[string, string], ArchiveRow>(
        'SELECT * FROM event_archives WHERE account_id = ? AND bus_name = ? ORDER BY name',
      ),
      updateArchive: db.prepare(
        `UPDATE event_archives SET description = @description, event_pattern = @eventPattern,
           retention_days = @retentionDays WHERE account_id = @accountId AND name = @name`,
      ),
      deleteArchive: db.prepare<[string, string]>('DELETE FROM event_archives WHERE account_id = ? AND name = ?'),
      deleteArchiveEvents: db.prepare<[number]>('DELETE FROM archived_events WHERE archive_id = ?'),
      insertArchived: db.prepare<[number, number, number, string]>(
        'INSERT INTO archived_events (archive_id, time, size, event) VALUES (?, ?, ?, ?)',
      ),
      archivedEvents: db.prepare<[number, number, number, number, number, number, number], ArchivedEventRecord>(
        `SELECT seq, time, event FROM archived_events WHERE archive_id = ? AND time >= ? AND time < ?
         AND (time > ? OR (time = ? AND seq > ?)) ORDER BY time, seq LIMIT ?`,
      ),
      expireArchived: db.prepare<[number, number]>(
        `DELETE FROM archived_events WHERE seq IN (SELECT e.seq FROM archived_events e
           JOIN event_archives a ON a.id = e.archive_id
           WHERE a.retention_days > 0 AND e.time < ? - a.retention_days * 86400000 LIMIT ?)`,
      ),

      insertReplay: db.prepare(
        `INSERT INTO event_replays (account_id, name, description, archive_name, archive_id, bus_name, rule_names,
           start_time, end_time, state, created_at)
         VALUES (@accountId, @name, @description, @archiveName, @archiveId, @busName, @ruleNames, @startTime,
           @endTime, 'STARTING', @now)`,
      ),
      replayByName: db.prepare<[string, string], ReplayRow>(
        'SELECT * FROM event_replays WHERE account_id = ? AND name = ?',
      ),
      listReplays: db.prepare<[string, string, string, string, string, string, string, string, number], ReplayRow>(
        `SELECT * FROM event_replays WHERE account_id = ? AND name > ? AND substr(name, 1, length(?)) = ?
         AND (? = '' OR state = ?) AND (? = '' OR archive_name = ?) ORDER BY name LIMIT ?`,
      ),
      setReplayState: db.prepare(
        `UPDATE event_replays SET state = @state, state_reason = @reason, ended_at = COALESCE(@endedAt, ended_at)
         WHERE account_id = @accountId AND name = @name`,
      ),
      replayProgress: db.prepare(
        `UPDATE event_replays SET after_time = @time, after_seq = @seq,
           last_replayed_time = COALESCE(@lastReplayedTime, last_replayed_time),
           state = CASE WHEN state = 'STARTING' THEN 'RUNNING' ELSE state END WHERE id = @id`,
      ),
      activeReplays: db.prepare<[], ReplayRow>(
        `SELECT * FROM event_replays WHERE state IN ('STARTING', 'RUNNING', 'CANCELLING') ORDER BY id`,
      ),

      scheduledRules: db.prepare<
        [],
        {
          account_id: string;
          bus_name: string;
          name: string;
          expression: string | null;
          anchor: number | null;
          next_fire_at: number | null;
        }
      >(
        `SELECT r.account_id, r.bus_name, r.name, s.expression, s.anchor, s.next_fire_at FROM event_rules r
         LEFT JOIN rule_schedules s ON s.account_id = r.account_id AND s.bus_name = r.bus_name AND s.rule_name = r.name
         WHERE r.schedule_expression IS NOT NULL AND r.state = 'ENABLED'`,
      ),
      upsertSchedule: db.prepare(
        `INSERT INTO rule_schedules (account_id, bus_name, rule_name, expression, anchor, next_fire_at)
         VALUES (@accountId, @busName, @ruleName, @expression, @anchor, @nextFireAt)
         ON CONFLICT (account_id, bus_name, rule_name) DO UPDATE SET expression = excluded.expression,
           anchor = excluded.anchor, next_fire_at = excluded.next_fire_at`,
      ),
      deleteSchedule: db.prepare<[string, string, string]>(
        'DELETE FROM rule_schedules WHERE account_id = ? AND bus_name = ? AND rule_name = ?',
      ),
    };
  }

  /** The non-queue parts of a routed write. */
  write(write: RoutedWrite): void {
    for (const d of write.deliveries ?? []) {
      this.sql.insertDelivery.run({ ...d, settings: JSON.stringify(d.settings) });
    }
    for (const a of write.archived ?? []) {
      this.sql.insertArchived.run(a.archiveId, a.time, Buffer.byteLength(a.event, 'utf8'), a.event);
    }
    if (write.completeDelivery !== undefined) this.sql.deleteDelivery.run(write.completeDelivery);
    if (write.replayProgress) {
      const { id, after, lastReplayedTime } = write.replayProgress;
      this.sql.replayProgress.run({ id, time: after.time, seq: after.seq, lastReplayedTime: lastReplayedTime ?? null });
    }
    if (write.schedule) this.putSchedule(write.schedule);
  }

  claimDue(now: number, limit: number, leaseUntil: number): DeliveryRecord[] {
    const rows = this.sql.dueDeliveries.all(now, limit);
    for (const row of rows) this.sql.leaseDelivery.run(leaseUntil, row.id);
    return rows.map(toDelivery);
  }

  retry(id: number, change: DeliveryRetry): void {
    this.sql.retryDelivery.run({ id, ...change });
  }

  nextDeliveryAt(): number | undefined {
    return this.sql.nextDelivery.get()?.t ?? undefined;
  }

  countDeliveries(): number {
    return this.sql.countDeliveries.get()?.n ?? 0;
  }

  createArchive(input: NewArchive): 'created' | 'exists' {
    if (this.sql.archiveByName.get(input.accountId, input.name)) return 'exists';
    this.sql.insertArchive.run({
      ...input,
      description: input.description ?? null,
      eventPattern: input.eventPattern ?? null,
    });
    return 'created';
  }

  getArchive(accountId: string, name: string): ArchiveRecord | undefined {
    const row = this.sql.archiveByName.get(accountId, name);
    return row && toArchive(row);
  }

  listArchives(
    accountId: string,
    options: { prefix?: string; busName?: string; afterName?: string; limit: number },
  ): ArchiveRecord[] {
    const prefix = options.prefix ?? '';
    const bus = options.busName ?? '';
    return this.sql.listArchives
      .all(accountId, options.afterName ?? '', prefix, prefix, bus, bus, options.limit)
      .map(toArchive);
  }

  updateArchive(accountId: string, name: string, change: ArchiveChange): ArchiveRecord | undefined {
    const current = this.getArchive(accountId, name);
    if (!current) return undefined;
    this.sql.updateArchive.run({
      accountId,
      name,
      description: change.description ?? current.description ?? null,
      eventPattern: change.eventPattern === undefined ? (current.eventPattern ?? null) : change.eventPattern,
      retentionDays: change.retentionDays ?? current.retentionDays,
    });
    return this.getArchive(accountId, name);
  }

  deleteArchive(accountId: string, name: string): boolean {
    const current = this.sql.archiveByName.get(accountId, name);
    if (!current) return false;
    this.sql.deleteArchiveEvents.run(current.id);
    this.sql.deleteArchive.run(accountId, name);
    return true;
  }

  busArchives(accountId: string, busName: string): ArchiveRecord[] {
    return this.sql.busArchives.all(accountId, busName).map(toArchive);
  }

  archivedEvents(
    archiveId: number,
    options: { fromTime: number; toTime: number; after?: { time: number; seq: number }; limit: number },
  ): ArchivedEventRecord[] {
    const after = options.after ?? { time: Number.MIN_SAFE_INTEGER, seq: 0 };
    return this.sql.archivedEvents.all(
      archiveId,
      options.fromTime,
      options.toTime,
      after.time,
      after.time,
      after.seq,
      options.limit,
    );
  }

  expireArchived(now: number, limit: number): number {
    return this.sql.expireArchived.run(now, limit).changes;
  }

  createReplay(input: NewReplay): 'created' | 'exists' {
    if (this.sql.replayByName.get(input.accountId, input.name)) return 'exists';
    this.sql.insertReplay.run({
      ...input,
      description: input.description ?? null,
      ruleNames: JSON.stringify(input.ruleNames),
    });
    return 'created';
  }

  getReplay(accountId: string, name: string): ReplayRecord | undefined {
    const row = this.sql.replayByName.get(accountId, name);
    return row && toReplay(row);
  }

  listReplays(
    accountId: string,
    options: { prefix?: string; state?: string; archiveName?: string; afterName?: string; limit: number },
  ): ReplayRecord[] {
    const prefix = options.prefix ?? '';
    const state = options.state ?? '';
    const archive = options.archiveName ?? '';
    return this.sql.listReplays
      .all(accountId, options.afterName ?? '', prefix, prefix, state, state, archive, archive, options.limit)
      .map(toReplay);
  }

  setReplayState(
    accountId: string,
    name: string,
    change: { state: ReplayState; reason?: string; endedAt?: number },
    onlyFrom?: readonly ReplayState[],
  ): ReplayRecord | undefined {
    const current = this.sql.replayByName.get(accountId, name);
    if (!current) return undefined;
    if (onlyFrom && !onlyFrom.includes(current.state)) return toReplay(current);
    this.sql.setReplayState.run({
      accountId,
      name,
      state: change.state,
      reason: change.reason ?? null,
      endedAt: change.endedAt ?? null,
    });
    return this.getReplay(accountId, name);
  }

  activeReplays(): ReplayRecord[] {
    return this.sql.activeReplays.all().map(toReplay);
  }

  /** Enabled scheduled rules (by key) with their stored schedule state. */
  scheduledRules(): { accountId: string; busName: string; name: string; schedule?: RuleSchedule }[] {
    return this.sql.scheduledRules.all().map((row) => ({
      accountId: row.account_id,
      busName: row.bus_name,
      name: row.name,
      ...(row.expression !== null && row.anchor !== null
        ? { schedule: { expression: row.expression, anchor: row.anchor, nextFireAt: row.next_fire_at } }
        : {}),
    }));
  }

  putSchedule(input: { accountId: string; busName: string; ruleName: string; state: RuleSchedule }): void {
    this.sql.upsertSchedule.run({
      accountId: input.accountId,
      busName: input.busName,
      ruleName: input.ruleName,
      expression: input.state.expression,
      anchor: input.state.anchor,
      nextFireAt: input.state.nextFireAt,
    });
  }

  forgetSchedule(accountId: string, busName: string, ruleName: string): void {
    this.sql.deleteSchedule.run(accountId, busName, ruleName);
  }
}
