// MetricsService over an in-memory store with a ManualClock: sums per period, periods counted from the rounded
// StartTime, the 5-minute and 1-hour rollups that outlive the 1-minute data, and each resolution's expiry.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { roundStartTime } from '../../src/core/metrics/aggregate.js';
import { MetricsService } from '../../src/services/metrics-service.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const ctx = { accountId: '000000000000' };
const metric = { namespace: 'Shop', name: 'Calls', dimensions: [{ Name: 'Seller', Value: 's-1' }] };

describe('MetricsService', () => {
  let store: SqliteStore;
  let clock: ManualClock;
  let metrics: MetricsService;

  beforeEach(() => {
    store = new SqliteStore({ dataDir: ':memory:' });
    clock = new ManualClock(T0);
    metrics = new MetricsService({ store, clock, retention: DEFAULT_LIMITS });
  });
  afterEach(async () => {
    await metrics.stop();
    await store.close();
  });

  /** Puts `value` at `ms` (seconds for the API). */
  const put = (ms: number, value: number, StorageResolution = 60) =>
    metrics.putMetricData(ctx, {
      Namespace: metric.namespace,
      MetricData: [
        {
          MetricName: metric.name,
          Dimensions: metric.dimensions,
          Timestamp: ms / 1000,
          Value: value,
          StorageResolution,
        },
      ],
    });
  const sums = async (fromMs: number, toMs: number, periodSeconds: number) =>
    (await metrics.periodStats(ctx.accountId, metric, { fromMs, toMs, periodSeconds })).map((p) => [
      (p.start - T0) / 60_000,
      p.set.sum,
    ]);

  test('values add up per period, and periods follow one another from the rounded StartTime', async () => {
    clock.set(T0 + HOUR);
    for (const minute of [0, 1, 2, 4, 7, 9, 12]) await put(T0 + minute * 60_000 + 5000, minute + 1);
    assert.deepEqual(await sums(T0, T0 + 15 * 60_000, 60), [
      [0, 1],
      [1, 2],
      [2, 3],
      [4, 5],
      [7, 8],
      [9, 10],
      [12, 13],
    ]);
    // A 5-minute query from 00:02:30 starts at 00:02 (rounded to the minute), not at 00:00.
    assert.deepEqual(await sums(T0 + 150_000, T0 + 15 * 60_000, 300), [
      [2, 3 + 5],
      [7, 8 + 10],
      [12, 13],
    ]);
  });

  test('StartTime rounding depends on the age of the data asked for', () => {
    const now = T0 + 100 * DAY;
    const start = now - 2 * DAY + 32 * 60_000 + 34_000;
    assert.equal(roundStartTime(start, 60, now), now - 2 * DAY + 32 * 60_000);
    assert.equal(roundStartTime(now - 20 * DAY + 32 * 60_000, 300, now), now - 20 * DAY + 30 * 60_000);
    assert.equal(roundStartTime(now - 70 * DAY + 32 * 60_000, 3600, now), now - 70 * DAY);
    assert.equal(roundStartTime(start, 10, now), now - 2 * DAY + 32 * 60_000 + 30_000);
  });

  test('the 1-minute data expires after 15 days and the 5-minute and 1-hour rollups keep answering', async () => {
    clock.set(T0 + 10 * 60_000);
    await put(T0 + 60_000, 3);
    await put(T0 + 6 * 60_000, 4);
    // 20 days later the 1-minute buckets are gone, so a 1-minute query of that day is answered from 5-minute data.
    clock.set(T0 + 20 * DAY);
    await metrics.expire();
    assert.deepEqual(await sums(T0, T0 + HOUR, 300), [
      [0, 3],
      [5, 4],
    ]);
    assert.deepEqual(await sums(T0, T0 + HOUR, 60), [
      [0, 3],
      [5, 4],
    ]);
    const minute = await store.findMetricSeries({
      accountId: ctx.accountId,
      namespace: metric.namespace,
      name: metric.name,
      dimensions: JSON.stringify(metric.dimensions),
    });
    assert.ok(minute);
    assert.equal((await store.metricBuckets(minute.id, { resolution: 60, fromMs: T0, toMs: T0 + HOUR })).length, 0);
    // After 63 days only the hourly rollup is left, holding the hour's sum.
    clock.set(T0 + 70 * DAY);
    await metrics.expire();
    assert.deepEqual(await sums(T0, T0 + 2 * HOUR, 3600), [[0, 7]]);
    assert.equal((await store.metricBuckets(minute.id, { resolution: 300, fromMs: T0, toMs: T0 + HOUR })).length, 0);
    // And after 455 days nothing.
    clock.set(T0 + 456 * DAY);
    await metrics.expire();
    assert.deepEqual(await sums(T0, T0 + 2 * HOUR, 3600), []);
  });

  test('high-resolution data answers sub-minute periods for 3 hours, then the minute data answers them', async () => {
    clock.set(T0 + 60_000);
    await put(T0 + 1000, 1, 1);
    await put(T0 + 12_000, 2, 1);
    await put(T0 + 13_000, 4, 1);
    assert.deepEqual(
      (await metrics.periodStats(ctx.accountId, metric, { fromMs: T0, toMs: T0 + 60_000, periodSeconds: 10 })).map(
        (p) => [(p.start - T0) / 1000, p.set.sum],
      ),
      [
        [0, 1],
        [10, 6],
      ],
    );
    clock.set(T0 + 4 * HOUR);
    await metrics.expire();
    // The 1-second buckets are gone: a 10-second query is answered at the minute, the finest data left.
    assert.deepEqual(
      (await metrics.periodStats(ctx.accountId, metric, { fromMs: T0, toMs: T0 + 60_000, periodSeconds: 10 })).map(
        (p) => [(p.start - T0) / 1000, p.set.sum],
      ),
      [[0, 7]],
    );
    assert.deepEqual(await sums(T0, T0 + 60_000, 60), [[0, 7]]);
  });

  test('retention follows the limits it is given', async () => {
    const short = new MetricsService({
      store,
      clock,
      retention: { ...DEFAULT_LIMITS, metricMinuteRetentionDays: 1, metricFiveMinuteRetentionDays: 2 },
    });
    clock.set(T0 + 60_000);
    await short.putMetricData(ctx, {
      Namespace: metric.namespace,
      MetricData: [{ MetricName: metric.name, Dimensions: metric.dimensions, Timestamp: T0 / 1000, Value: 9 }],
    });
    clock.set(T0 + 3 * DAY);
    await short.expire();
    assert.deepEqual(
      (await short.periodStats(ctx.accountId, metric, { fromMs: T0, toMs: T0 + HOUR, periodSeconds: 60 })).map((p) => [
        p.start,
        p.set.sum,
      ]),
      [[T0, 9]],
      'read from the hourly rollup, the only one left',
    );
    const series = await store.findMetricSeries({
      accountId: ctx.accountId,
      namespace: metric.namespace,
      name: metric.name,
      dimensions: JSON.stringify(metric.dimensions),
    });
    assert.ok(series);
    assert.equal((await store.metricBuckets(series.id, { resolution: 300, fromMs: T0, toMs: T0 + HOUR })).length, 0);
    await short.stop();
  });
});
