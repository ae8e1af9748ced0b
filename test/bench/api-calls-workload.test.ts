// The API-call savings benchmark's workload generator: deterministic in its seed, and the parameters it is given are
// what the timeline shows (rates, the flash sale, repeats, versions, valid catalogue events).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Change,
  definitionOf,
  generateWorkload,
  mulberry32,
  stateOf,
  summarizeWorkload,
  type WorkloadConfig,
  workloadConfig,
} from '../../bench/lib/api-calls-workload.js';

/** The small scale, shortened, with overrides. */
function config(overrides: Partial<WorkloadConfig> = {}): WorkloadConfig {
  return { ...workloadConfig('small'), durationSeconds: 300, ...overrides };
}

test('mulberry32: the same seed gives the same sequence, in [0, 1)', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const c = mulberry32(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(
    xs,
    Array.from({ length: 1000 }, () => b()),
  );
  assert.notDeepEqual(
    xs.slice(0, 10),
    Array.from({ length: 10 }, () => c()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});

test('the same seed gives the same changes and publications; another seed, others', () => {
  const one = generateWorkload(config({ seed: 7 }));
  const again = generateWorkload(config({ seed: 7 }));
  assert.deepEqual(one.changes, again.changes);
  assert.deepEqual(one.publications, again.publications);
  assert.deepEqual([...one.initial], [...again.initial]);
  const other = generateWorkload(config({ seed: 8 }));
  assert.notDeepEqual(
    other.changes.map((c) => [c.key, c.at]),
    one.changes.map((c) => [c.key, c.at]),
  );
});

test('every change is a valid catalogue event whose state and entity the accounting reads back', () => {
  const w = generateWorkload(config());
  assert.ok(w.changes.length > 500, `${w.changes.length} changes`);
  for (const c of w.changes) {
    const definition = definitionOf(c);
    definition.entry(c.detail as never); // throws EventValidationError when invalid
    assert.equal(stateOf(definition.source, definition.detailType, c.detail), c.state);
    assert.equal(c.detail.version, c.version);
    assert.equal(c.detail.marketplace, c.marketplace);
    assert.equal(c.detail.sellerId, c.sellerId);
  }
});

test('versions: each entity counts 1, 2, 3, … in time order; no-ops repeat the previous state; stock never negative', () => {
  const w = generateWorkload(config());
  const last = new Map<string, Change>();
  for (let i = 0; i < w.changes.length; i++) {
    const c = w.changes[i] as Change;
    assert.equal(c.index, i);
    assert.ok(c.at >= 0 && c.at < w.config.durationSeconds * 1000);
    if (i > 0) assert.ok(c.at >= (w.changes[i - 1] as Change).at, 'changes in time order');
    const previous = last.get(c.key);
    assert.equal(c.version, (previous?.version ?? 0) + 1, `${c.key} v${c.version}`);
    const previousState = previous?.state ?? w.initial.get(c.key)?.state;
    assert.equal(c.noop, c.state === previousState);
    if (c.kind === 'inventory') assert.ok(Number(c.state) >= 0);
    last.set(c.key, c);
  }
  const summary = summarizeWorkload(w);
  assert.ok(summary.noopChanges > 0, 'there are no-ops');
  assert.equal(summary.byKind.inventory + summary.byKind.order + summary.byKind.return, w.changes.length);
});

test('orders follow their lifecycle: pending, then confirmed or cancelled, processing, shipped', () => {
  const w = generateWorkload(config({ durationSeconds: 1800 }));
  const next: Record<string, string[]> = {
    '': ['pending'],
    pending: ['confirmed', 'cancelled'],
    confirmed: ['confirmed', 'processing'],
    processing: ['processing', 'shipped'],
    shipped: ['shipped'],
    cancelled: [],
  };
  const status = new Map<string, string>();
  for (const c of w.changes.filter((x) => x.kind === 'order')) {
    const from = status.get(c.key) ?? '';
    assert.ok(next[from]?.includes(c.state), `${c.key}: ${from} → ${c.state}`);
    status.set(c.key, c.state);
  }
  assert.ok([...status.values()].includes('shipped'));
  assert.ok([...status.values()].includes('cancelled'));
});

test('rates: orders and adjustments arrive at their configured rate outside a sale', () => {
  const T = 2000;
  const w = generateWorkload(
    config({
      durationSeconds: T,
      initialStock: { min: 10_000, max: 10_000 }, // no order is lost for want of stock
      flashSale: { ...config().flashSale, multiplier: 1, hotAdjustmentsPerSecond: 0, hotStock: 10_000 },
    }),
  );
  const s = summarizeWorkload(w);
  // Poisson counts: within 4 standard deviations of the mean.
  const within = (n: number, mean: number) => Math.abs(n - mean) <= 4 * Math.sqrt(mean);
  const ordersMean = w.config.orders.perSecond * T;
  assert.ok(within(s.orders, ordersMean), `${s.orders} orders, expected about ${ordersMean}`);
  const adjusted = w.changes.filter((c) => c.event === 'InventoryAdjusted' && c.detail.reason !== 'returned').length;
  const adjustMean = w.config.adjustments.perSecond * T;
  assert.ok(within(adjusted, adjustMean), `${adjusted} adjustments, expected about ${adjustMean}`);
  const noops = w.changes.filter((c) => c.event === 'InventoryAdjusted' && c.noop).length;
  assert.ok(Math.abs(noops / adjusted - w.config.adjustments.noopRate) < 0.04, `${noops} no-op recounts`);
});

test('the flash sale: the hot SKUs change many times a second during it, the orders rate multiplies', () => {
  const w = generateWorkload(config({ durationSeconds: 600 }));
  const { startSeconds, durationSeconds, multiplier } = w.config.flashSale;
  const start = startSeconds * 1000;
  const end = start + durationSeconds * 1000;
  const inSale = (c: Change) => c.at >= start && c.at < end;
  const hot = new Set(w.hotSkus);
  assert.equal(hot.size, w.config.flashSale.hotSkus);
  const hotInSale = w.changes.filter((c) => hot.has(c.key) && inSale(c)).length;
  const hotOutside = w.changes.filter((c) => hot.has(c.key) && !inSale(c)).length;
  assert.ok(hotInSale / hot.size / durationSeconds > 1, `${hotInSale} hot SKU changes in ${durationSeconds} s`);
  assert.ok(hotInSale > 5 * hotOutside, `${hotInSale} in the sale, ${hotOutside} outside`);
  const created = w.changes.filter((c) => c.event === 'OrderCreated');
  const rateIn = created.filter(inSale).length / durationSeconds;
  const rateOut = created.filter((c) => !inSale(c)).length / (w.config.durationSeconds - durationSeconds);
  assert.ok(rateIn > (multiplier / 2) * rateOut, `orders/s ${rateIn} in the sale, ${rateOut} outside`);
});

test('delivery: duplicates and late publications as configured; none when their rates are 0', () => {
  const plain = generateWorkload(
    config({
      delivery: { ...config().delivery, duplicateRate: 0, lateRate: 0 },
    }),
  );
  assert.equal(plain.publications.length, plain.changes.length);
  assert.deepEqual(
    plain.publications.map((p) => p.change),
    plain.changes.map((c) => c.index),
  );
  assert.equal(summarizeWorkload(plain).outOfOrderPublications, 0);

  const twice = generateWorkload(config({ delivery: { ...config().delivery, duplicateRate: 1, lateRate: 0 } }));
  assert.equal(twice.publications.length, 2 * twice.changes.length);
  for (let i = 1; i < twice.publications.length; i++) {
    assert.ok((twice.publications[i] as { at: number }).at >= (twice.publications[i - 1] as { at: number }).at);
  }

  const w = generateWorkload(config({ durationSeconds: 1200 }));
  const s = summarizeWorkload(w);
  const { duplicateRate, lateRate, lateDelaySeconds } = w.config.delivery;
  assert.ok(Math.abs(s.duplicatePublications / s.changes - duplicateRate) < 0.015, `${s.duplicatePublications} dups`);
  assert.ok(Math.abs(s.latePublications / s.changes - lateRate) < 0.015, `${s.latePublications} late`);
  assert.ok(s.outOfOrderPublications > 0, 'some late publications come after newer versions');
  for (const p of w.publications) {
    const c = w.changes[p.change] as Change;
    if (p.late && !p.duplicate) {
      assert.ok(p.at - c.at >= lateDelaySeconds.min * 1000 && p.at - c.at <= lateDelaySeconds.max * 1000);
    }
    if (!p.late && !p.duplicate) assert.equal(p.at, c.at);
  }
});

test('scale: the small and full workloads are as documented', () => {
  const small = workloadConfig('small');
  const full = workloadConfig('full', 5);
  assert.equal(small.durationSeconds, 600);
  assert.equal(full.durationSeconds, 3600);
  assert.equal(full.seed, 5);
  assert.equal(small.seed, 1);
  const w = generateWorkload(small);
  const s = summarizeWorkload(w);
  assert.equal(s.entities.inventory <= small.marketplaces * small.sellersPerMarketplace * small.skusPerSeller, true);
  assert.equal(w.initial.size, small.marketplaces * small.sellersPerMarketplace * small.skusPerSeller);
  assert.equal(w.sellers.length, small.marketplaces * small.sellersPerMarketplace);
});
