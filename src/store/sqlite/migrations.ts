import type Database from 'better-sqlite3';

/**
 * Immutable, numbered schema migrations. Never edit a released one: add the next number.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'queues and messages',
    sql: `
      CREATE TABLE queues (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        tags TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_modified_at INTEGER NOT NULL,
        last_purged_at INTEGER,
        UNIQUE (account_id, name)
      );
      CREATE TABLE deleted_queues (
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        deleted_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, name)
      );
      -- AUTOINCREMENT: a seq is never reused, so an old receipt handle can never name a newer message.
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        queue_id INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        attributes TEXT,
        trace_header TEXT,
        sender_id TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_receive_at INTEGER,
        received_at INTEGER,
        receipt_token TEXT,
        dead_letter_source_arn TEXT
      );
      CREATE INDEX messages_by_visibility ON messages (queue_id, visible_at, seq);
      CREATE INDEX messages_by_age ON messages (queue_id, sent_at);
    `,
  },
  {
    version: 2,
    name: 'fifo queues',
    sql: `
      ALTER TABLE queues ADD COLUMN fifo_sequence INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN group_id TEXT;
      ALTER TABLE messages ADD COLUMN dedup_id TEXT;
      ALTER TABLE messages ADD COLUMN sequence_number INTEGER;
      -- Set when a FIFO message moves to its DLQ: FIFO retention restarts there, standard retention does not.
      ALTER TABLE messages ADD COLUMN enqueued_at INTEGER;
      -- Covering: a FIFO receive walks send order past blocked groups without reading whole rows.
      CREATE INDEX messages_fifo_order ON messages (queue_id, seq, visible_at, group_id) WHERE group_id IS NOT NULL;
      CREATE INDEX messages_by_group ON messages (queue_id, group_id, seq) WHERE group_id IS NOT NULL;
      CREATE TABLE fifo_dedup (
        queue_id INTEGER NOT NULL,
        dedup_key TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sequence_number INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (queue_id, dedup_key)
      );
      CREATE INDEX fifo_dedup_by_expiry ON fifo_dedup (expires_at);
    `,
  },
  {
    version: 3,
    name: 'message move tasks',
    sql: `
      CREATE TABLE move_tasks (
        id TEXT PRIMARY KEY,
        source_queue_id INTEGER NOT NULL,
        source_arn TEXT NOT NULL,
        destination_arn TEXT,
        max_per_second INTEGER,
        status TEXT NOT NULL,
        moved INTEGER NOT NULL DEFAULT 0,
        to_move INTEGER NOT NULL,
        -- Messages up to this seq were in the source when the task started; only they are moved.
        max_seq INTEGER NOT NULL,
        -- Progress: every message at or below this seq has been looked at.
        cursor_seq INTEGER NOT NULL DEFAULT 0,
        failure_reason TEXT,
        started_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX move_tasks_by_source ON move_tasks (source_arn, started_at);
      CREATE INDEX move_tasks_by_status ON move_tasks (status);
    `,
  },
  {
    version: 4,
    name: 'fifo in-flight lookup',
    sql: `
      -- Is any message of this group in flight? One seek, however long the group's backlog.
      CREATE INDEX messages_inflight_by_group ON messages (queue_id, group_id, visible_at)
        WHERE group_id IS NOT NULL AND receive_count > 0;
    `,
  },
  {
    version: 5,
    name: 'event buses and rules',
    sql: `
      CREATE TABLE event_buses (
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        tags TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_modified_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, name)
      );
      CREATE TABLE event_rules (
        account_id TEXT NOT NULL,
        bus_name TEXT NOT NULL,
        name TEXT NOT NULL,
        event_pattern TEXT,
        schedule_expression TEXT,
        state TEXT NOT NULL,
        description TEXT,
        role_arn TEXT,
        tags TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_modified_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, bus_name, name)
      );
    `,
  },
  {
    version: 6,
    name: 'event rule targets',
    sql: `
      CREATE TABLE event_targets (
        account_id TEXT NOT NULL,
        bus_name TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        id TEXT NOT NULL,
        arn TEXT NOT NULL,
        settings TEXT NOT NULL,
        PRIMARY KEY (account_id, bus_name, rule_name, id)
      );
      CREATE INDEX event_targets_by_arn ON event_targets (account_id, bus_name, arn, rule_name);
    `,
  },
  {
    version: 7,
    name: 'event delivery outbox, archives, replays and rule schedules',
    sql: `
      CREATE TABLE event_deliveries (
        id INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        rule_arn TEXT NOT NULL,
        target_id TEXT NOT NULL,
        target_arn TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        event TEXT NOT NULL,
        settings TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        first_at INTEGER NOT NULL,
        next_at INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT
      );
      CREATE INDEX event_deliveries_due ON event_deliveries (next_at, id);
      CREATE TABLE event_archives (
        id INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        bus_name TEXT NOT NULL,
        description TEXT,
        event_pattern TEXT,
        retention_days INTEGER NOT NULL,
        state TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (account_id, name)
      );
      CREATE INDEX event_archives_by_bus ON event_archives (account_id, bus_name);
      CREATE TABLE archived_events (
        seq INTEGER PRIMARY KEY,
        archive_id INTEGER NOT NULL,
        time INTEGER NOT NULL,
        size INTEGER NOT NULL,
        event TEXT NOT NULL
      );
      CREATE INDEX archived_events_by_time ON archived_events (archive_id, time, seq);
      CREATE TABLE event_replays (
        id INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        archive_name TEXT NOT NULL,
        archive_id INTEGER NOT NULL,
        bus_name TEXT NOT NULL,
        rule_names TEXT NOT NULL,
        start_time INTEGER NOT NULL,
        end_time INTEGER NOT NULL,
        state TEXT NOT NULL,
        state_reason TEXT,
        after_time INTEGER,
        after_seq INTEGER,
        last_replayed_time INTEGER,
        created_at INTEGER NOT NULL,
        ended_at INTEGER,
        UNIQUE (account_id, name)
      );
      CREATE TABLE rule_schedules (
        account_id TEXT NOT NULL,
        bus_name TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        expression TEXT NOT NULL,
        anchor INTEGER NOT NULL,
        next_fire_at INTEGER,
        PRIMARY KEY (account_id, bus_name, rule_name)
      );
    `,
  },
  {
    version: 8,
    name: 'metric series and their per-period statistic sets',
    sql: `
      CREATE TABLE metric_series (
        id INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        dimensions TEXT NOT NULL,
        last_seen INTEGER NOT NULL,
        UNIQUE (account_id, namespace, name, dimensions)
      );
      CREATE TABLE metric_buckets (
        series_id INTEGER NOT NULL,
        resolution INTEGER NOT NULL,
        start INTEGER NOT NULL,
        unit TEXT NOT NULL,
        stats TEXT NOT NULL,
        PRIMARY KEY (series_id, resolution, start, unit)
      ) WITHOUT ROWID;
      CREATE INDEX metric_buckets_by_age ON metric_buckets (resolution, start);
    `,
  },
  {
    version: 9,
    name: 'metric alarms and their history',
    sql: `
      CREATE TABLE alarms (
        account_id TEXT NOT NULL,
        name TEXT NOT NULL,
        namespace TEXT,
        metric_name TEXT,
        config TEXT NOT NULL,
        actions_enabled INTEGER NOT NULL,
        state_value TEXT NOT NULL,
        state_reason TEXT NOT NULL,
        state_reason_data TEXT,
        state_updated_at INTEGER NOT NULL,
        state_transitioned_at INTEGER NOT NULL,
        config_updated_at INTEGER NOT NULL,
        next_evaluation_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, name)
      );
      CREATE INDEX alarms_by_next_evaluation ON alarms (next_evaluation_at);
      CREATE INDEX alarms_by_metric ON alarms (account_id, namespace, metric_name);
      CREATE TABLE alarm_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL,
        alarm_name TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        item_type TEXT NOT NULL,
        summary TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX alarm_history_by_time ON alarm_history (account_id, timestamp, id);
      CREATE INDEX alarm_history_by_alarm ON alarm_history (account_id, alarm_name, timestamp, id);
      CREATE INDEX alarm_history_by_age ON alarm_history (timestamp);
    `,
  },
  {
    version: 10,
    name: 'idempotency keys',
    sql: `
      -- The SwitchyardIdempotency API's keys. A key is held while expires_at is in the future; expired rows are
      -- ignored by reads and removed in batches by the expiry sweep.
      CREATE TABLE idempotency_keys (
        account_id TEXT NOT NULL,
        key TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
    `,
  },
  {
    version: 11,
    name: 'consumer-recorded message failures',
    sql: `
      -- The SwitchyardFailures API's records: why a consumer's handler failed on a message, the last failure and how
      -- many there were. Keyed by message id, not queue: a redrive to the dead-letter queue keeps the id.
      CREATE TABLE message_failures (
        account_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        queue_name TEXT NOT NULL,
        at INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT NOT NULL,
        failure_count INTEGER NOT NULL,
        PRIMARY KEY (account_id, message_id)
      ) WITHOUT ROWID;
      CREATE INDEX message_failures_by_age ON message_failures (at);
    `,
  },
  {
    version: 12,
    name: 'event trace',
    sql: `
      -- The steps of events' paths, laid out for cheap writes (see EventTraceTables): a row holds the steps one write
      -- made for one event (a JSON array of [at, step, detail]). Rows a write of routing or delivery made are found
      -- by event id; a queue message's steps point to the row that routed it (root), found from there.
      -- A plain rowid, not AUTOINCREMENT (no sqlite_sequence write per row): a new row gets a larger id than every row
      -- left, which is all the ordering needs. An id reused once the table has emptied may still be a message's root:
      -- reads keep only the rows of the event asked for.
      CREATE TABLE event_trace (
        id INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        root INTEGER,
        at INTEGER NOT NULL,
        steps TEXT NOT NULL
      );
      CREATE INDEX event_trace_by_event ON event_trace (account_id, event_id) WHERE root IS NULL;
      CREATE INDEX event_trace_by_root ON event_trace (root) WHERE root IS NOT NULL;
      CREATE INDEX event_trace_by_age ON event_trace (at);
      -- The event a message was born from, and the trace row of its routing, so that its receives, deletes and moves
      -- are traced too.
      ALTER TABLE messages ADD COLUMN event_id TEXT;
      ALTER TABLE messages ADD COLUMN event_trace_root INTEGER;
    `,
  },
];

/** Applies the migrations this database lacks, each in its own transaction. Returns the schema version. */
export function migrate(db: Database.Database): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this Switchyard (${latest}); upgrade Switchyard`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      );
    })();
  }
  return latest;
}
