import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';
import type { NewMessage } from '../../src/store/types.js';
import { storeConformance } from './store-conformance.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-store-'));
  tempDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

storeConformance('sqlite :memory:', () => new SqliteStore({ dataDir: ':memory:' }), {
  makeUntracedStore: () => new SqliteStore({ dataDir: ':memory:', traceEvents: false }),
});
storeConformance('sqlite file', () => new SqliteStore({ dataDir: tempDir(), durability: 'relaxed' }));

const T0 = Date.UTC(2026, 0, 1);
const ACCOUNT = '000000000000';
const dbFile = (dir: string) => path.join(dir, 'switchyard.db');

function message(i: number): NewMessage {
  return {
    messageId: `m-${i}`,
    body: `body ${i}`,
    attributes: {},
    senderId: 'AKIDTEST',
    sentAt: T0,
    visibleAt: T0,
  };
}

/** The store's own connection: `synchronous` is per connection and cannot be seen from another one. */
function ownConnection(store: SqliteStore): Database.Database {
  const db: unknown = Reflect.get(store, 'db');
  assert.ok(db instanceof Database, 'SqliteStore keeps its connection in `db`');
  return db;
}

async function withFileStore<T>(
  options: Partial<SqliteStoreOptions>,
  fn: (store: SqliteStore, dir: string) => Promise<T>,
) {
  const dir = options.dataDir ?? tempDir();
  const store = new SqliteStore({ ...options, dataDir: dir });
  try {
    return await fn(store, dir);
  } finally {
    await store.close();
  }
}

describe('SqliteStore: pragmas', () => {
  test('a file database is in WAL mode, seen from a second read-only connection and in the file header', () =>
    withFileStore({}, async (_store, dir) => {
      const reader = new Database(dbFile(dir), { readonly: true });
      try {
        assert.equal(reader.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        reader.close();
      }
      // Bytes 18 and 19 of the header are the write and read format versions: 2 means WAL.
      const header = Buffer.alloc(20);
      const fd = openSync(dbFile(dir), 'r');
      try {
        readSync(fd, header, 0, 20, 0);
      } finally {
        closeSync(fd);
      }
      assert.equal(header.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
      assert.equal(header[18], 2);
      assert.equal(header[19], 2);
    }));

  test('durability full (the default) uses synchronous=FULL', () =>
    withFileStore({}, async (store) => {
      assert.equal(ownConnection(store).pragma('synchronous', { simple: true }), 2);
      assert.equal(ownConnection(store).pragma('journal_mode', { simple: true }), 'wal');
    }));

  test('durability relaxed uses synchronous=NORMAL', () =>
    withFileStore({ durability: 'relaxed' }, async (store) => {
      assert.equal(ownConnection(store).pragma('synchronous', { simple: true }), 1);
    }));
});

describe('SqliteStore: migrations', () => {
  test('a new database records every migration in schema_migrations', () =>
    withFileStore({}, async (store, dir) => {
      const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version;
      assert.equal(store.schemaVersion, latest);
      const reader = new Database(dbFile(dir), { readonly: true });
      try {
        const rows = reader.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
        assert.deepEqual(
          rows,
          MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
        );
        const tables = reader
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
          .all()
          .map((r) => (r as { name: string }).name);
        assert.deepEqual(tables, [
          'alarm_history',
          'alarms',
          'archived_events',
          'deleted_queues',
          'event_archives',
          'event_buses',
          'event_deliveries',
          'event_replays',
          'event_rules',
          'event_targets',
          'event_trace',
          'fifo_dedup',
          'idempotency_keys',
          'message_failures',
          'messages',
          'metric_buckets',
          'metric_series',
          'move_tasks',
          'queues',
          'rule_schedules',
          'schema_migrations',
        ]);
      } finally {
        reader.close();
      }
    }));

  test('migration versions are unique and ascending', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );
    assert.equal(new Set(versions).size, versions.length);
    assert.equal(versions[0], 1);
  });

  test('re-opening an existing database applies nothing and keeps the data', async () => {
    const dir = tempDir();
    const first = new SqliteStore({ dataDir: dir });
    const { queue } = await first.createQueue({ accountId: ACCOUNT, name: 'kept', attributes: {}, tags: {}, now: T0 });
    await first.appendMessages(queue.id, [message(1)]);
    await first.close();

    const readMigrations = () => {
      const reader = new Database(dbFile(dir), { readonly: true });
      try {
        return reader.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
      } finally {
        reader.close();
      }
    };
    const before = readMigrations();

    const second = new SqliteStore({ dataDir: dir });
    try {
      assert.deepEqual(readMigrations(), before, 'schema_migrations is unchanged');
      assert.equal(second.schemaVersion, MIGRATIONS[MIGRATIONS.length - 1]?.version);
      const reopened = await second.getQueue(ACCOUNT, 'kept');
      assert.equal(reopened?.id, queue.id);
      assert.equal((await second.counts(queue.id, T0)).visible, 1);
    } finally {
      await second.close();
    }
  });

  test('a database with a newer schema version is refused with a clear error', async () => {
    const dir = tempDir();
    await new SqliteStore({ dataDir: dir }).close();
    const writer = new Database(dbFile(dir));
    writer.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'future', 0);
    writer.close();
    assert.throws(
      () => new SqliteStore({ dataDir: dir }),
      /database schema version 999 is newer than this Switchyard \(\d+\); upgrade Switchyard/,
    );
  });
});

describe('SqliteStore: group commit', () => {
  test('many concurrent writes share fewer commits', async () => {
    const store = new SqliteStore({ dataDir: ':memory:' });
    try {
      const { queue } = await store.createQueue({ accountId: ACCOUNT, name: 'gc', attributes: {}, tags: {}, now: T0 });
      const before = store.commitStats;
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.appendMessages(queue.id, [message(i)])));
      const afterStats = store.commitStats;
      assert.equal(afterStats.writes - before.writes, 100);
      assert.ok(afterStats.commits - before.commits >= 1);
      assert.ok(
        afterStats.commits - before.commits < 100,
        `expected batching, got ${afterStats.commits - before.commits} commits for 100 writes`,
      );
      assert.equal((await store.counts(queue.id, T0)).visible, 100);
    } finally {
      await store.close();
    }
  });

  test('sequential writes commit one by one', async () => {
    const store = new SqliteStore({ dataDir: ':memory:' });
    try {
      const { queue } = await store.createQueue({ accountId: ACCOUNT, name: 'seq', attributes: {}, tags: {}, now: T0 });
      const before = store.commitStats;
      for (let i = 0; i < 5; i++) await store.appendMessages(queue.id, [message(i)]);
      assert.deepEqual(store.commitStats, { commits: before.commits + 5, writes: before.writes + 5 });
    } finally {
      await store.close();
    }
  });

  test('commitStats is a snapshot, not a live object', async () => {
    const store = new SqliteStore({ dataDir: ':memory:' });
    try {
      const snapshot = store.commitStats;
      await store.createQueue({ accountId: ACCOUNT, name: 'snap', attributes: {}, tags: {}, now: T0 });
      assert.notDeepEqual(store.commitStats, snapshot);
      assert.equal(snapshot.writes, 0);
    } finally {
      await store.close();
    }
  });

  test('close commits writes that were accepted but not yet flushed', async () => {
    const dir = tempDir();
    const store = new SqliteStore({ dataDir: dir });
    const { queue } = await store.createQueue({ accountId: ACCOUNT, name: 'flush', attributes: {}, tags: {}, now: T0 });
    const pending = store.appendMessages(queue.id, [message(1), message(2)]);
    await store.close();
    await pending;
    const reopened = new SqliteStore({ dataDir: dir });
    try {
      assert.equal((await reopened.counts(queue.id, T0)).visible, 2);
    } finally {
      await reopened.close();
    }
  });

  test('writes after close are rejected', async () => {
    const store = new SqliteStore({ dataDir: ':memory:' });
    const { queue } = await store.createQueue({
      accountId: ACCOUNT,
      name: 'closed',
      attributes: {},
      tags: {},
      now: T0,
    });
    await store.close();
    await assert.rejects(store.appendMessages(queue.id, [message(1)]), /store is closed/);
  });
});
