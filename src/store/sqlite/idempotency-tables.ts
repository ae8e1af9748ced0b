import type Database from 'better-sqlite3';

/**
 * The SQLite side of idempotency keys (migration 10): one row per (account, key) with its expiry in epoch ms.
 * Writes run inside the caller's transaction (the store's group commit); reads are plain reads.
 */
export class IdempotencyTables {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      held: db.prepare<[string, string, number], { n: number }>(
        'SELECT 1 AS n FROM idempotency_keys WHERE account_id = ? AND key = ? AND expires_at > ?',
      ),
      put: db.prepare<[string, string, number]>(
        `INSERT INTO idempotency_keys (account_id, key, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (account_id, key) DO UPDATE SET expires_at = excluded.expires_at`,
      ),
      delete: db.prepare<[string, string]>('DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?'),
      expire: db.prepare<[number, number]>(
        `DELETE FROM idempotency_keys WHERE (account_id, key) IN (
           SELECT account_id, key FROM idempotency_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
      ),
    };
  }

  /** The keys held at `now`, in the order given, each once: one primary-key lookup per key. */
  check(accountId: string, keys: readonly string[], now: number): string[] {
    return [...new Set(keys)].filter((key) => this.sql.held.get(accountId, key, now) !== undefined);
  }

  put(accountId: string, keys: readonly string[], expiresAt: number): void {
    for (const key of keys) this.sql.put.run(accountId, key, expiresAt);
  }

  delete(accountId: string, keys: readonly string[]): number {
    let deleted = 0;
    for (const key of new Set(keys)) deleted += this.sql.delete.run(accountId, key).changes;
    return deleted;
  }

  expire(now: number, limit: number): number {
    return this.sql.expire.run(now, limit).changes;
  }
}
