// EventTraceService over an in-memory SqliteStore with a ManualClock: what a trace answers and the expiry sweep's
// retention, without a server (test/integration/event-trace.test.ts drives the steps through the real APIs).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { EventTraceService } from '../../src/services/event-trace-service.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { NewTraceStep } from '../../src/store/types.js';
import { ACCOUNT } from '../helpers/account.js';
import { waitFor } from '../helpers/wait.js';

let store: SqliteStore;
let clock: ManualClock;

beforeEach(() => {
  store = new SqliteStore({ dataDir: ':memory:' });
  clock = new ManualClock();
});
afterEach(async () => {
  await store.close();
});

const step = (eventId: string, name: NewTraceStep['step'], at: number): NewTraceStep => ({
  accountId: ACCOUNT,
  eventId,
  at,
  step: name,
  detail: { n: at },
});

describe('EventTraceService', () => {
  test('trace answers the steps of one event, oldest first, and none for an unknown or empty id', async () => {
    const service = new EventTraceService({ store, clock, retentionSeconds: 60 });
    const t0 = clock.now();
    await store.routeEvents({
      batches: [],
      trace: [step('e1', 'ingested', t0), step('e2', 'ingested', t0), step('e1', 'matched', t0 + 1)],
    });
    assert.deepEqual(await service.trace(ACCOUNT, 'e1'), {
      eventId: 'e1',
      steps: [
        { at: t0, step: 'ingested', detail: { n: t0 } },
        { at: t0 + 1, step: 'matched', detail: { n: t0 + 1 } },
      ],
    });
    assert.deepEqual(await service.trace(ACCOUNT, 'unknown'), { eventId: 'unknown', steps: [] });
    assert.deepEqual(await service.trace(ACCOUNT, ''), { eventId: '', steps: [] });
    assert.deepEqual((await service.trace('111111111111', 'e1')).steps, [], 'per account');
    assert.equal(service.enabled, true);
    assert.equal(new EventTraceService({ store, clock, retentionSeconds: 0 }).enabled, false);
  });

  test('the sweep forgets steps older than the retention, a batch at a time, on its own once started', async () => {
    const service = new EventTraceService({ store, clock, retentionSeconds: 10, sweepBatch: 2, sweepMs: 60_000 });
    const t0 = clock.now();
    const sweeps: number[] = [];
    const expire = store.expireEventTrace.bind(store);
    store.expireEventTrace = async (before, limit) => {
      const removed = await expire(before, limit);
      sweeps.push(removed);
      return removed;
    };
    // A write each, so that each step is a record of its own (one write's steps of one event expire together).
    for (const written of [
      step('old', 'ingested', t0),
      step('old', 'matched', t0 + 1),
      step('old', 'invoked', t0 + 2),
      step('new', 'ingested', t0 + 5_000),
    ]) {
      await store.routeEvents({ batches: [], trace: [written] });
    }
    clock.advance(10_000);
    assert.equal(await service.sweepExpired(), 0, 'a step exactly as old as the retention is kept');
    clock.advance(5);
    service.start();
    await waitFor('the old steps swept', async () => (await service.trace(ACCOUNT, 'old')).steps.length === 0, 2000);
    await service.stop();
    assert.deepEqual(sweeps, [0, 2, 1], 'the check above, then batches of 2 until one comes back short');
    assert.equal((await service.trace(ACCOUNT, 'new')).steps.length, 1);
  });

  test('with retention 0 the sweep removes every step an earlier run left', async () => {
    await store.routeEvents({ batches: [], trace: [step('e', 'ingested', clock.now() - 1)] });
    const service = new EventTraceService({ store, clock, retentionSeconds: 0 });
    assert.equal(await service.sweepExpired(), 1);
    assert.deepEqual((await service.trace(ACCOUNT, 'e')).steps, []);
  });

  test('a failing sweep is reported to onError', async () => {
    const errors: unknown[] = [];
    const broken = new EventTraceService({
      store: { ...store, expireEventTrace: () => Promise.reject(new Error('disk on fire')) } as never,
      clock,
      retentionSeconds: 60,
      onError: (error) => errors.push(error),
    });
    broken.start();
    await waitFor('the error reported', () => errors.length > 0, 2000);
    await broken.stop();
    assert.match(String(errors[0]), /disk on fire/);
  });
});
