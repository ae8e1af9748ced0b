// The API-call savings benchmark's accounting: how calls to the fake downstream are classified (useful, changed
// nothing, superseded, regression), how staleness is measured, and the polling model, on hand-made sequences.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, type ChangeLike, type DownstreamCall, FakeDownstream } from '../../bench/lib/api-calls-downstream.js';
import { simulatePolling } from '../../bench/lib/api-calls-polling.js';
import { type Change, type Workload, workloadConfig } from '../../bench/lib/api-calls-workload.js';

const K = 'inventory:m/s/SKU-1';
const change = (version: number, state: string, at: number, noop = false, key = K): ChangeLike => ({
  key,
  version,
  state,
  at,
  noop,
});
const call = (version: number, state: string, at: number, key = K): DownstreamCall => ({ key, version, state, at });

test('FakeDownstream records every call and holds what the last one sent, whatever its version', () => {
  const d = new FakeDownstream(new Map([[K, { version: 0, state: '10' }]]));
  assert.deepEqual(d.held(K), { version: 0, state: '10' });
  d.put(call(2, '8', 100));
  d.put(call(1, '9', 200)); // older, and still applied: the downstream is a blind PUT
  assert.deepEqual(d.held(K), { version: 1, state: '9' });
  assert.equal(d.calls.length, 2);
});

test('a call that sends the state already held changed nothing: repeats and no-op versions', () => {
  const changes = [change(1, '9', 0), change(2, '9', 1000, true)];
  const calls = [call(1, '9', 50), call(1, '9', 60_000), call(2, '9', 70_000)];
  const a = analyze(changes, calls, { supersedeMs: 1000, initial: new Map([[K, { version: 0, state: '10' }]]) });
  assert.deepEqual(a.classes, ['useful', 'noop', 'noop']);
  assert.equal(a.superfluous, 2);
  assert.equal(a.regressions, 0);
  assert.equal(a.useful, 1);
  // Staleness is measured on the change that changed the state only.
  assert.equal(a.staleness.changes, 1);
  assert.equal(a.staleness.p50Seconds, 0.05);
});

test('a call overwritten by a newer version within supersedeMs was superseded; later than that, it mattered', () => {
  const changes = [change(1, 'a', 0), change(2, 'b', 100), change(3, 'c', 5000)];
  const calls = [call(1, 'a', 10), call(2, 'b', 500), call(3, 'c', 5000)];
  const a = analyze(changes, calls, { supersedeMs: 1000 });
  assert.deepEqual(a.classes, ['superseded', 'useful', 'useful']);
  assert.equal(a.superseded, 1);
  assert.equal(a.superfluous, 1);
  // Exactly at the limit still counts as superseded.
  const b = analyze(changes, [call(1, 'a', 0), call(2, 'b', 1000)], { supersedeMs: 1000 });
  assert.deepEqual(b.classes, ['superseded', 'useful']);
  // A newer call that repeats the state does not supersede the one that wrote it.
  const c = analyze(changes, [call(1, 'a', 0), call(2, 'a', 10)], { supersedeMs: 1000 });
  assert.deepEqual(c.classes, ['useful', 'noop']);
});

test('an older version over a newer one is a regression: the final state is wrong until a newer call', () => {
  const changes = [change(1, 'pending', 0), change(2, 'confirmed', 100)];
  const calls = [call(2, 'confirmed', 200), call(1, 'pending', 300)];
  const a = analyze(changes, calls, { supersedeMs: 0 });
  assert.deepEqual(a.classes, ['useful', 'regression']);
  assert.equal(a.regressions, 1);
  assert.equal(a.superfluous, 0, 'regressions are counted apart');
  assert.equal(a.entities.finalStateWrong, 1);
  assert.equal(a.entities.newestDelivered, 1, 'the newest version did arrive, before the regression');
  // Staleness counts the first time the downstream held the version.
  assert.equal(a.staleness.synced, 2);
  assert.equal(a.staleness.maxSeconds, 0.2);
  // An older version with the same state as held changed nothing: not a regression.
  const b = analyze([change(1, 'x', 0), change(2, 'x', 10, true)], [call(2, 'x', 20), call(1, 'x', 30)], {
    supersedeMs: 0,
  });
  assert.deepEqual(b.classes, ['useful', 'noop']);
});

test('staleness: nearest-rank percentiles in seconds, changes never synced, entities whose newest never arrived', () => {
  const other = 'order:m/s/o-1';
  const changes: ChangeLike[] = [];
  const calls: DownstreamCall[] = [];
  // 100 changes of one SKU, each synced after (i + 1) * 100 ms.
  for (let i = 0; i < 100; i++) {
    changes.push(change(i + 1, String(i), i * 10_000));
    calls.push(call(i + 1, String(i), i * 10_000 + (i + 1) * 100));
  }
  changes.push(change(1, 'pending', 0, false, other), change(2, 'confirmed', 50, false, other));
  calls.push(call(1, 'pending', 10, other));
  const a = analyze(changes, calls, { supersedeMs: 0 });
  assert.equal(a.staleness.changes, 102);
  assert.equal(a.staleness.synced, 101);
  assert.equal(a.staleness.neverSynced, 1);
  // Delays: 0.01 s (the order) and 0.1 .. 10 s.
  assert.equal(a.staleness.p50Seconds, 5);
  assert.equal(a.staleness.p99Seconds, 9.9);
  assert.equal(a.staleness.maxSeconds, 10);
  assert.equal(a.entities.changed, 2);
  assert.equal(a.entities.newestMissing, 1);
  assert.equal(a.entities.finalStateWrong, 1);
});

test('staleness: a call that carries a newer version syncs the older changes it covers (coalescing)', () => {
  const changes = [change(1, 'a', 0), change(2, 'b', 1000), change(3, 'c', 2000)];
  const a = analyze(changes, [call(3, 'c', 5000)], { supersedeMs: 1000 });
  assert.equal(a.staleness.synced, 3);
  assert.deepEqual([a.staleness.p50Seconds, a.staleness.maxSeconds], [4, 5]);
  assert.deepEqual(a.classes, ['useful']);
  // A confirmation (a poller found the downstream right) syncs too, without a call.
  const b = analyze([change(1, 'a', 0)], [], {
    supersedeMs: 0,
    initial: new Map([[K, { version: 0, state: 'a' }]]),
    confirmations: [{ key: K, version: 1, at: 3000 }],
  });
  assert.equal(b.calls, 0);
  assert.equal(b.staleness.synced, 1);
  assert.equal(b.staleness.p50Seconds, 3);
  assert.equal(b.entities.finalStateWrong, 0);
});

/** A one-seller workload from hand-made changes. */
function workloadOf(changes: Omit<Change, 'index' | 'marketplace' | 'sellerId' | 'event' | 'detail'>[]): Workload {
  const full: Change[] = changes.map((c, index) => ({
    ...c,
    index,
    marketplace: 'm',
    sellerId: 's',
    event: c.kind === 'order' ? 'OrderUpdated' : 'InventoryAdjusted',
    detail: {},
  }));
  return {
    config: { ...workloadConfig('small'), durationSeconds: 30 },
    changes: full,
    publications: full.map((c) => ({ at: c.at, change: c.index, duplicate: false, late: false })),
    initial: new Map([[K, { version: 0, state: '10' }]]),
    sellers: [{ marketplace: 'm', sellerId: 's' }],
    hotSkus: [],
  };
}

test('polling: a list call per kind and poll, a push per entity whose state differs, staleness to the next poll', () => {
  const O = 'order:m/s/o-1';
  const w = workloadOf([
    { at: 1000, kind: 'inventory', key: K, version: 1, state: '9', noop: false },
    { at: 2000, kind: 'inventory', key: K, version: 2, state: '8', noop: false },
    { at: 3000, kind: 'order', key: O, version: 1, state: 'pending', noop: false },
    { at: 12_000, kind: 'inventory', key: K, version: 3, state: '8', noop: true },
  ]);
  const r = simulatePolling(w, { pollSeconds: 10, pageSize: 100, supersedeMs: 1000, phaseMs: () => 5000 });
  // Polls at 5, 15, 25 and 35 s: until the first at or after the end (30 s).
  assert.equal(r.polls, 4);
  assert.equal(r.reads, 4 * 3, 'one list call per kind per poll');
  // Pushes: the SKU (v2, once for both changes) and the order; the no-op v3 is found right and not pushed.
  assert.equal(r.pushes, 2);
  assert.equal(r.apiCalls, 14);
  assert.equal(r.accounting.superfluous, 0);
  assert.equal(r.readsEmpty, 12 - 2, 'every list call that led to no push');
  assert.equal(r.accounting.staleness.changes, 3);
  assert.equal(r.accounting.staleness.neverSynced, 0);
  // Synced by the poll at 5 s: 4, 3 and 2 s after the changes.
  assert.deepEqual([r.accounting.staleness.p50Seconds, r.accounting.staleness.maxSeconds], [3, 4]);
  assert.equal(r.accounting.entities.finalStateWrong, 0);

  // Pages: 250 changed SKUs are three list calls of 100.
  const many = workloadOf(
    Array.from({ length: 250 }, (_, i) => ({
      at: 100 + i,
      kind: 'inventory' as const,
      key: `inventory:m/s/SKU-${i}`,
      version: 1,
      state: '1',
      noop: false,
    })),
  );
  const p = simulatePolling(many, { pollSeconds: 60, pageSize: 100, supersedeMs: 1000, phaseMs: () => 1000 });
  assert.equal(p.polls, 2, 'at 1 s, and at 61 s, the first after the end');
  assert.equal(p.reads, 3 + 1 + 1 + 3);
  assert.equal(p.readsEmpty, 2 + 3);
  assert.equal(p.pushes, 250);
});
