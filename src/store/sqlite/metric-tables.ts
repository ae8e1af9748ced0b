import type Database from 'better-sqlite3';
import type {
  MetricBucketRecord,
  MetricSeriesFilter,
  MetricSeriesKey,
  MetricSeriesRecord,
  NewMetricBucket,
} from '../types.js';

/**
 * The SQLite side of metrics: series (namespace, name, dimensions) and their per-period statistic sets.
 * Methods run inside the caller's transaction (the store's group commit) or as plain reads.
 */

interface SeriesRow {
  id: number;
  account_id: string;
  namespace: string;
  name: string;
  dimensions: string;
  last_seen: number;
}

const toSeries = (row: SeriesRow): MetricSeriesRecord => ({
  id: row.id,
  accountId: row.account_id,
  namespace: row.namespace,
  name: row.name,
  dimensions: row.dimensions,
  lastSeen: row.last_seen,
});

export class MetricTables {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      seriesByKey: db.prepare<[string, string, string, string], SeriesRow>(
        'SELECT * FROM metric_series WHERE account_id = ? AND namespace = ? AND name = ? AND dimensions = ?',
      ),
      insertSeries: db.prepare<[string, string, string, string, number]>(
        'INSERT INTO metric_series (account_id, namespace, name, dimensions, last_seen) VALUES (?, ?, ?, ?, ?)',
      ),
      touchSeries: db.prepare<[number, number]>('UPDATE metric_series SET last_seen = MAX(last_seen, ?) WHERE id = ?'),
      bucket: db.prepare<[number, number, number, string], { stats: string }>(
        'SELECT stats FROM metric_buckets WHERE series_id = ? AND resolution = ? AND start = ? AND unit = ?',
      ),
      upsertBucket: db.prepare<[number, number, number, string, string]>(
        `INSERT INTO metric_buckets (series_id, resolution, start, unit, stats) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (series_id, resolution, start, unit) DO UPDATE SET stats = excluded.stats`,
      ),
      buckets: db.prepare<[number, number, number, number, string, string], MetricBucketRecord>(
        `SELECT start, unit, stats FROM metric_buckets WHERE series_id = ? AND resolution = ? AND start >= ?
         AND start < ? AND (? = '' OR unit = ?) ORDER BY start, unit`,
      ),
      listSeries: db.prepare<[string, number, string, string, string, string, number, number], SeriesRow>(
        `SELECT * FROM metric_series WHERE account_id = ? AND id > ? AND (? = '' OR namespace = ?)
         AND (? = '' OR name = ?) AND last_seen >= ? ORDER BY id LIMIT ?`,
      ),
      expire: db.prepare<[number, number, number]>(
        `DELETE FROM metric_buckets WHERE (series_id, resolution, start, unit) IN (SELECT series_id, resolution,
           start, unit FROM metric_buckets WHERE resolution = ? AND start < ? LIMIT ?)`,
      ),
    };
  }

  private seriesId(key: MetricSeriesKey, seen: number): number {
    const row = this.sql.seriesByKey.get(key.accountId, key.namespace, key.name, key.dimensions);
    if (row) {
      if (seen > row.last_seen) this.sql.touchSeries.run(seen, row.id);
      return row.id;
    }
    return Number(
      this.sql.insertSeries.run(key.accountId, key.namespace, key.name, key.dimensions, seen).lastInsertRowid,
    );
  }

  write(buckets: readonly NewMetricBucket[], merge: (stored: string, added: string) => string): void {
    const ids = new Map<string, number>();
    for (const b of buckets) {
      const id = JSON.stringify([b.series.accountId, b.series.namespace, b.series.name, b.series.dimensions]);
      let seriesId = ids.get(id);
      if (seriesId === undefined) {
        seriesId = this.seriesId(b.series, b.start);
        ids.set(id, seriesId);
      } else {
        this.sql.touchSeries.run(b.start, seriesId);
      }
      const stored = this.sql.bucket.get(seriesId, b.resolution, b.start, b.unit);
      this.sql.upsertBucket.run(
        seriesId,
        b.resolution,
        b.start,
        b.unit,
        stored ? merge(stored.stats, b.stats) : b.stats,
      );
    }
  }

  buckets(
    seriesId: number,
    options: { resolution: number; fromMs: number; toMs: number; unit?: string | undefined },
  ): MetricBucketRecord[] {
    const unit = options.unit ?? '';
    return this.sql.buckets.all(seriesId, options.resolution, options.fromMs, options.toMs, unit, unit);
  }

  find(key: MetricSeriesKey): MetricSeriesRecord | undefined {
    const row = this.sql.seriesByKey.get(key.accountId, key.namespace, key.name, key.dimensions);
    return row && toSeries(row);
  }

  list(accountId: string, filter: MetricSeriesFilter): MetricSeriesRecord[] {
    const out: MetricSeriesRecord[] = [];
    const namespace = filter.namespace ?? '';
    const name = filter.name ?? '';
    let after = filter.afterId ?? 0;
    // Dimension filters are checked here, page by page, on the parsed dimension sets.
    while (out.length < filter.limit) {
      const rows = this.sql.listSeries.all(
        accountId,
        after,
        namespace,
        namespace,
        name,
        name,
        filter.activeSince ?? 0,
        500,
      );
      for (const row of rows) {
        after = row.id;
        if (filter.dimensions && !hasDimensions(row.dimensions, filter.dimensions)) continue;
        out.push(toSeries(row));
        if (out.length >= filter.limit) break;
      }
      if (rows.length < 500) break;
    }
    return out;
  }

  expire(resolution: number, beforeMs: number, limit: number): number {
    return this.sql.expire.run(resolution, beforeMs, limit).changes;
  }
}

function hasDimensions(text: string, wanted: readonly { Name: string; Value?: string | undefined }[]): boolean {
  const dimensions = JSON.parse(text) as { Name: string; Value: string }[];
  return wanted.every((w) =>
    dimensions.some((d) => d.Name === w.Name && (w.Value === undefined || d.Value === w.Value)),
  );
}
