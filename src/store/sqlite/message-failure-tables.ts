import type Database from 'better-sqlite3';
import type { MessageFailureRecord, NewMessageFailure } from '../types.js';

interface FailureRow {
  message_id: string;
  queue_name: string;
  at: number;
  error_code: string | null;
  error_message: string;
  failure_count: number;
}

/**
 * The SQLite side of consumer-recorded failures (migration 11): one row per (account, message id), the last failure
 * with a count of them all. Writes run inside the caller's transaction (the store's group commit); reads are plain.
 */
export class MessageFailureTables {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      record: db.prepare(
        `INSERT INTO message_failures (account_id, message_id, queue_name, at, error_code, error_message, failure_count)
         VALUES (@accountId, @messageId, @queueName, @at, @code, @message, 1)
         ON CONFLICT (account_id, message_id) DO UPDATE SET queue_name = excluded.queue_name, at = excluded.at,
           error_code = excluded.error_code, error_message = excluded.error_message,
           failure_count = failure_count + 1`,
      ),
      get: db.prepare<[string, string], FailureRow>(
        `SELECT message_id, queue_name, at, error_code, error_message, failure_count FROM message_failures
         WHERE account_id = ? AND message_id = ?`,
      ),
      expire: db.prepare<[number, number]>(
        `DELETE FROM message_failures WHERE (account_id, message_id) IN (
           SELECT account_id, message_id FROM message_failures WHERE at < ? ORDER BY at LIMIT ?)`,
      ),
    };
  }

  record(accountId: string, entries: readonly NewMessageFailure[], now: number): void {
    for (const entry of entries) {
      this.sql.record.run({
        accountId,
        messageId: entry.messageId,
        queueName: entry.queueName,
        at: now,
        code: entry.code ?? null,
        message: entry.message,
      });
    }
  }

  /** One primary-key lookup per id. */
  get(accountId: string, messageIds: readonly string[]): Map<string, MessageFailureRecord> {
    const found = new Map<string, MessageFailureRecord>();
    for (const messageId of new Set(messageIds)) {
      const row = this.sql.get.get(accountId, messageId);
      if (!row) continue;
      found.set(messageId, {
        queueName: row.queue_name,
        at: row.at,
        code: row.error_code ?? undefined,
        message: row.error_message,
        count: row.failure_count,
      });
    }
    return found;
  }

  expire(before: number, limit: number): number {
    return this.sql.expire.run(before, limit).changes;
  }
}
