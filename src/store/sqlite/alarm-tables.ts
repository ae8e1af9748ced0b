import type Database from 'better-sqlite3';
import type {
  AlarmFilter,
  AlarmHistoryFilter,
  AlarmHistoryItemType,
  AlarmHistoryRecord,
  AlarmRecord,
  AlarmStateValue,
  AlarmStateWrite,
  NewAlarmHistoryItem,
} from '../types.js';

/**
 * The SQLite side of metric alarms: the alarms (configuration as opaque JSON, state, next evaluation) and their
 * history. Methods run inside the caller's transaction (the store's group commit) or as plain reads.
 */

interface AlarmRow {
  account_id: string;
  name: string;
  namespace: string | null;
  metric_name: string | null;
  config: string;
  actions_enabled: number;
  state_value: AlarmStateValue;
  state_reason: string;
  state_reason_data: string | null;
  state_updated_at: number;
  state_transitioned_at: number;
  config_updated_at: number;
  next_evaluation_at: number;
}

interface HistoryRow {
  id: number;
  account_id: string;
  alarm_name: string;
  timestamp: number;
  item_type: AlarmHistoryItemType;
  summary: string;
  data: string;
}

const toAlarm = (row: AlarmRow): AlarmRecord => ({
  accountId: row.account_id,
  name: row.name,
  ...(row.namespace !== null ? { namespace: row.namespace } : {}),
  ...(row.metric_name !== null ? { metricName: row.metric_name } : {}),
  config: row.config,
  actionsEnabled: row.actions_enabled === 1,
  state: {
    value: row.state_value,
    reason: row.state_reason,
    ...(row.state_reason_data !== null ? { reasonData: row.state_reason_data } : {}),
    updatedAt: row.state_updated_at,
    transitionedAt: row.state_transitioned_at,
  },
  configUpdatedAt: row.config_updated_at,
  nextEvaluationAt: row.next_evaluation_at,
});

const toHistory = (row: HistoryRow): AlarmHistoryRecord => ({
  id: row.id,
  accountId: row.account_id,
  alarmName: row.alarm_name,
  timestamp: row.timestamp,
  type: row.item_type,
  summary: row.summary,
  data: row.data,
});

const alarmParams = (alarm: AlarmRecord) => ({
  accountId: alarm.accountId,
  name: alarm.name,
  namespace: alarm.namespace ?? null,
  metricName: alarm.metricName ?? null,
  config: alarm.config,
  actionsEnabled: alarm.actionsEnabled ? 1 : 0,
  stateValue: alarm.state.value,
  stateReason: alarm.state.reason,
  stateReasonData: alarm.state.reasonData ?? null,
  stateUpdatedAt: alarm.state.updatedAt,
  stateTransitionedAt: alarm.state.transitionedAt,
  configUpdatedAt: alarm.configUpdatedAt,
  nextEvaluationAt: alarm.nextEvaluationAt,
});

export class AlarmTables {
  private readonly db: Database.Database;
  private readonly sql;

  constructor(db: Database.Database) {
    this.db = db;
    this.sql = {
      byName: db.prepare<[string, string], AlarmRow>('SELECT * FROM alarms WHERE account_id = ? AND name = ?'),
      count: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM alarms WHERE account_id = ?'),
      upsert: db.prepare(
        `INSERT INTO alarms (account_id, name, namespace, metric_name, config, actions_enabled, state_value,
           state_reason, state_reason_data, state_updated_at, state_transitioned_at, config_updated_at,
           next_evaluation_at)
         VALUES (@accountId, @name, @namespace, @metricName, @config, @actionsEnabled, @stateValue, @stateReason,
           @stateReasonData, @stateUpdatedAt, @stateTransitionedAt, @configUpdatedAt, @nextEvaluationAt)
         ON CONFLICT (account_id, name) DO UPDATE SET namespace = excluded.namespace,
           metric_name = excluded.metric_name, config = excluded.config, actions_enabled = excluded.actions_enabled,
           state_value = excluded.state_value, state_reason = excluded.state_reason,
           state_reason_data = excluded.state_reason_data, state_updated_at = excluded.state_updated_at,
           state_transitioned_at = excluded.state_transitioned_at, config_updated_at = excluded.config_updated_at,
           next_evaluation_at = excluded.next_evaluation_at`,
      ),
      delete: db.prepare<[string, string]>('DELETE FROM alarms WHERE account_id = ? AND name = ?'),
      setState: db.prepare(
        `UPDATE alarms SET state_value = @value, state_reason = @reason, state_reason_data = @reasonData,
           state_updated_at = @updatedAt, state_transitioned_at = @transitionedAt
         WHERE account_id = @accountId AND name = @name`,
      ),
      setNextEvaluation: db.prepare<[number, string, string]>(
        'UPDATE alarms SET next_evaluation_at = ? WHERE account_id = ? AND name = ?',
      ),
      due: db.prepare<[number, number], AlarmRow>(
        'SELECT * FROM alarms WHERE next_evaluation_at <= ? ORDER BY next_evaluation_at, account_id, name LIMIT ?',
      ),
      insertHistory: db.prepare(
        `INSERT INTO alarm_history (account_id, alarm_name, timestamp, item_type, summary, data)
         VALUES (@accountId, @alarmName, @timestamp, @type, @summary, @data)`,
      ),
      expireHistory: db.prepare<[number, number]>(
        `DELETE FROM alarm_history WHERE id IN (SELECT id FROM alarm_history WHERE timestamp < ? ORDER BY timestamp
           LIMIT ?)`,
      ),
    };
  }

  get(accountId: string, name: string): AlarmRecord | undefined {
    const row = this.sql.byName.get(accountId, name);
    return row && toAlarm(row);
  }

  put(
    alarm: AlarmRecord,
    history: readonly NewAlarmHistoryItem[],
    maxAlarms: number | undefined,
  ): 'created' | 'updated' | 'limit-exceeded' {
    const exists = this.sql.byName.get(alarm.accountId, alarm.name) !== undefined;
    if (!exists && maxAlarms !== undefined && (this.sql.count.get(alarm.accountId)?.n ?? 0) >= maxAlarms) {
      return 'limit-exceeded';
    }
    this.sql.upsert.run(alarmParams(alarm));
    this.addHistory(history);
    return exists ? 'updated' : 'created';
  }

  list(accountId: string, filter: AlarmFilter): AlarmRecord[] {
    const where = ['account_id = ?', 'name > ?'];
    const params: (string | number)[] = [accountId, filter.afterName ?? ''];
    if (filter.names !== undefined) {
      if (filter.names.length === 0) return [];
      where.push(`name IN (${filter.names.map(() => '?').join(', ')})`);
      params.push(...filter.names);
    }
    if (filter.prefix !== undefined && filter.prefix !== '') {
      where.push('substr(name, 1, length(?)) = ?');
      params.push(filter.prefix, filter.prefix);
    }
    if (filter.stateValue !== undefined) {
      where.push('state_value = ?');
      params.push(filter.stateValue);
    }
    if (filter.metric !== undefined) {
      where.push('namespace = ? AND metric_name = ?');
      params.push(filter.metric.namespace, filter.metric.metricName);
    }
    params.push(filter.limit);
    return this.db
      .prepare<(string | number)[], AlarmRow>(`SELECT * FROM alarms WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`)
      .all(...params)
      .map(toAlarm);
  }

  delete(accountId: string, names: readonly string[], history: readonly NewAlarmHistoryItem[]): string[] {
    const deleted = names.filter((name) => this.sql.delete.run(accountId, name).changes > 0);
    const gone = new Set(deleted);
    this.addHistory(history.filter((item) => item.accountId === accountId && gone.has(item.alarmName)));
    return deleted;
  }

  due(now: number, limit: number): AlarmRecord[] {
    return this.sql.due.all(now, limit).map(toAlarm);
  }

  /** The alarm part of a routed write; throws (so that the whole write rolls back) when the alarm changed. */
  write(write: AlarmStateWrite | undefined, history: readonly NewAlarmHistoryItem[] | undefined): void {
    if (write) {
      const row = this.sql.byName.get(write.accountId, write.name);
      if (!row || row.config_updated_at !== write.configUpdatedAt) {
        throw new Error(`alarm ${write.name} was changed or deleted meanwhile; the state write is dropped`);
      }
      if (write.state) {
        this.sql.setState.run({
          accountId: write.accountId,
          name: write.name,
          value: write.state.value,
          reason: write.state.reason,
          reasonData: write.state.reasonData ?? null,
          updatedAt: write.state.updatedAt,
          transitionedAt: write.state.transitionedAt,
        });
      }
      if (write.nextEvaluationAt !== undefined) {
        this.sql.setNextEvaluation.run(write.nextEvaluationAt, write.accountId, write.name);
      }
    }
    this.addHistory(history ?? []);
  }

  history(accountId: string, filter: AlarmHistoryFilter): AlarmHistoryRecord[] {
    const where = ['account_id = ?'];
    const params: (string | number)[] = [accountId];
    if (filter.alarmName !== undefined) {
      where.push('alarm_name = ?');
      params.push(filter.alarmName);
    }
    if (filter.type !== undefined) {
      where.push('item_type = ?');
      params.push(filter.type);
    }
    if (filter.fromMs !== undefined) {
      where.push('timestamp >= ?');
      params.push(filter.fromMs);
    }
    if (filter.toMs !== undefined) {
      where.push('timestamp <= ?');
      params.push(filter.toMs);
    }
    const desc = filter.order === 'desc';
    if (filter.after) {
      where.push(`(timestamp, id) ${desc ? '<' : '>'} (?, ?)`);
      params.push(filter.after.timestamp, filter.after.id);
    }
    params.push(filter.limit);
    const direction = desc ? 'DESC' : 'ASC';
    return this.db
      .prepare<(string | number)[], HistoryRow>(
        `SELECT * FROM alarm_history WHERE ${where.join(' AND ')}
         ORDER BY timestamp ${direction}, id ${direction} LIMIT ?`,
      )
      .all(...params)
      .map(toHistory);
  }

  expireHistory(beforeMs: number, limit: number): number {
    return this.sql.expireHistory.run(beforeMs, limit).changes;
  }

  private addHistory(history: readonly NewAlarmHistoryItem[]): void {
    for (const item of history) this.sql.insertHistory.run({ ...item });
  }
}
