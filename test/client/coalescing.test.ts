// switchyard/client coalescing: windows per key, the latest version of a group, stale versions, keys in flight.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { entityKey, INVENTORY_SOURCE, ORDERS_SOURCE } from '../../src/client/catalogue.js';
import {
  type CoalescedGroup,
  Coalescer,
  DEFAULT_COALESCING_MAX_KEYS,
  DEFAULT_COALESCING_MEMORY_MS,
  entityCoalescingKey,
} from '../../src/client/coalescing.js';

const SKU = 'inventory:amazon-de/seller-1/SKU-1';
const OTHER = 'inventory:amazon-de/seller-1/SKU-2';

/** An item whose value names it: `${key}#${version}@${tag}`. */
function item(key: string, version: number, tag = '') {
  return { key, version, value: `${key}#${version}${tag ? `@${tag}` : ''}` };
}

function only<T>(groups: CoalescedGroup<T>[]): CoalescedGroup<T> {
  assert.equal(groups.length, 1, `expected one group, got ${JSON.stringify(groups)}`);
  const [group] = groups;
  assert.ok(group);
  return group;
}

describe('Coalescer: windows', () => {
  test('N updates of one SKU within the window give one group: the highest version and N-1 superseded', () => {
    const c = new Coalescer<string>({ windowMs: 1000 });
    for (let v = 1; v <= 10; v += 1) assert.equal(c.add(item(SKU, v), 100 + v * 10), 'held');
    assert.equal(c.pending, 10);
    assert.deepEqual(c.due(1109), [], 'the window opened at 110 with the first update');
    const group = only(c.due(1110));
    assert.equal(group.key, SKU);
    assert.equal(group.version, 10);
    assert.equal(group.latest, `${SKU}#10`);
    assert.equal(group.superseded.length, 9);
    assert.deepEqual(
      group.superseded,
      Array.from({ length: 9 }, (_, i) => `${SKU}#${i + 1}`),
    );
    assert.equal(group.openedAt, 110);
    assert.equal(c.coalesced, 9);
    assert.equal(c.pending, 0);
    assert.deepEqual(c.due(5000), [], 'a group is handed over once');
  });

  test('a group is due when its window closes, not a millisecond before', () => {
    const c = new Coalescer<string>({ windowMs: 500 });
    c.add(item(SKU, 1), 1000);
    c.add(item(SKU, 2), 1499); // the last millisecond of the window
    assert.equal(c.nextDueAt(), 1500);
    assert.deepEqual(c.due(1499), []);
    const group = only(c.due(1500));
    assert.equal(group.version, 2);
    assert.deepEqual(group.superseded, [`${SKU}#1`]);
  });

  test('an item after the window closed but before due() joins the group still held', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item(SKU, 1), 0);
    c.add(item(SKU, 2), 130);
    const group = only(c.due(130));
    assert.equal(group.version, 2);
    assert.equal(group.superseded.length, 1);
  });

  test('a window of 0 hands over at the next due() whatever arrived', () => {
    const c = new Coalescer<string>({ windowMs: 0 });
    c.add(item(SKU, 1), 10);
    c.add(item(SKU, 2), 10);
    const group = only(c.due(10));
    assert.equal(group.version, 2);
    c.add(item(SKU, 3), 11);
    c.applied(SKU, 2, 11);
    assert.equal(only(c.due(11)).version, 3);
  });

  test('each key has its own window, opened by its first item', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item(SKU, 1), 0);
    c.add(item(OTHER, 1), 60);
    c.add(item(SKU, 2), 50);
    assert.equal(c.nextDueAt(), 100);
    const first = only(c.due(100));
    assert.equal(first.key, SKU);
    assert.equal(c.nextDueAt(), 160);
    assert.deepEqual(c.due(159), []);
    assert.equal(only(c.due(160)).key, OTHER);
    c.applied(SKU, 2, 160);
    c.add(item(SKU, 3), 170); // a new window for SKU: 170..270
    assert.deepEqual(c.due(269), []);
    assert.equal(only(c.due(270)).version, 3);
  });

  test('groups due together come in the order their windows opened', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item('b', 1), 0);
    c.add(item('a', 1), 5);
    c.add(item('c', 1), 10);
    assert.deepEqual(
      c.due(1000).map((g) => g.key),
      ['b', 'a', 'c'],
    );
  });

  test('nextDueAt is undefined when nothing is held', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    assert.equal(c.nextDueAt(), undefined);
    c.add(item(SKU, 1), 0);
    c.due(100);
    assert.equal(c.nextDueAt(), undefined);
  });
});

describe('Coalescer: versions', () => {
  test('out-of-order versions: the highest is the latest, the others are superseded in arrival order', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    for (const v of [3, 1, 5, 2, 4]) c.add(item(SKU, v), 0);
    const group = only(c.due(100));
    assert.equal(group.version, 5);
    assert.equal(group.latest, `${SKU}#5`);
    assert.deepEqual(
      group.superseded,
      [3, 1, 2, 4].map((v) => `${SKU}#${v}`),
    );
  });

  test('of equal versions, the later arrival is the latest', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item(SKU, 7, 'first'), 0);
    c.add(item(SKU, 7, 'second'), 1);
    c.add(item(SKU, 6, 'older'), 2);
    const group = only(c.due(100));
    assert.equal(group.latest, `${SKU}#7@second`);
    assert.deepEqual(group.superseded, [`${SKU}#7@first`, `${SKU}#6@older`]);
  });

  test('after a success, versions up to the applied one are skipped as stale, newer ones are held', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item(SKU, 5), 0);
    const group = only(c.due(100));
    assert.deepEqual(c.applied(SKU, group.version, 120), []);
    assert.equal(c.appliedVersion(SKU, 120), 5);
    assert.equal(c.isStale(SKU, 4, 130), true);
    assert.equal(c.isStale(SKU, 5, 130), true);
    assert.equal(c.isStale(SKU, 6, 130), false);
    assert.equal(c.add(item(SKU, 4), 130), 'stale');
    assert.equal(c.add(item(SKU, 5), 131), 'stale');
    assert.equal(c.skipped, 2);
    assert.equal(c.pending, 0);
    assert.equal(c.add(item(SKU, 6), 132), 'held');
    assert.equal(c.pending, 1);
    assert.equal(only(c.due(232)).version, 6);
  });

  test('a failed group is not remembered: its versions are taken again', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item(SKU, 5), 0);
    only(c.due(100));
    c.failed(SKU);
    assert.equal(c.isInFlight(SKU), false);
    assert.equal(c.appliedVersion(SKU, 100), undefined);
    assert.equal(c.add(item(SKU, 5), 150), 'held');
    assert.equal(only(c.due(250)).version, 5);
  });

  test('applying a lower version keeps the higher one remembered', () => {
    const c = new Coalescer<string>({ windowMs: 0 });
    c.applied(SKU, 9, 0);
    c.applied(SKU, 4, 1);
    assert.equal(c.appliedVersion(SKU, 2), 9);
    assert.equal(c.add(item(SKU, 8), 3), 'stale');
  });

  test('separate keys are independent: stale in one is fresh in another', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.applied(SKU, 10, 0);
    assert.equal(c.add(item(SKU, 3), 1), 'stale');
    assert.equal(c.add(item(OTHER, 3), 1), 'held');
    c.add(item(OTHER, 2), 2);
    const group = only(c.due(101));
    assert.equal(group.key, OTHER);
    assert.equal(group.version, 3);
    assert.equal(c.appliedVersion(OTHER, 101), undefined);
  });

  test('the applied version is forgotten after memoryMs, and beyond maxKeys the least recently applied first', () => {
    const c = new Coalescer<string>({ windowMs: 0, memoryMs: 1000, maxKeys: 2 });
    assert.equal(c.memoryMs, 1000);
    c.applied('a', 5, 0);
    assert.equal(c.isStale('a', 5, 999), true);
    assert.equal(c.isStale('a', 5, 1000), false, 'forgotten at the edge of memoryMs');
    c.applied('a', 5, 2000);
    c.applied('b', 5, 2001);
    c.applied('a', 6, 2002); // a is now the most recently applied
    c.applied('c', 5, 2003); // evicts b
    assert.equal(c.appliedVersion('b', 2004), undefined);
    assert.equal(c.appliedVersion('a', 2004), 6);
    assert.equal(c.appliedVersion('c', 2004), 5);
  });

  test('a memoryMs of 0 remembers nothing', () => {
    const c = new Coalescer<string>({ windowMs: 0, memoryMs: 0 });
    c.applied(SKU, 5, 0);
    assert.equal(c.isStale(SKU, 1, 0), false);
  });

  test('defaults: a day of memory for 100000 keys', () => {
    const c = new Coalescer<string>({ windowMs: 10 });
    assert.equal(c.memoryMs, DEFAULT_COALESCING_MEMORY_MS);
    assert.equal(DEFAULT_COALESCING_MEMORY_MS, 86_400_000);
    assert.equal(c.maxKeys, DEFAULT_COALESCING_MAX_KEYS);
    assert.equal(DEFAULT_COALESCING_MAX_KEYS, 100_000);
  });

  test('rejects nonsensical options, versions and times', () => {
    assert.throws(() => new Coalescer({ windowMs: -1 }), RangeError);
    assert.throws(() => new Coalescer({ windowMs: Number.POSITIVE_INFINITY }), RangeError);
    assert.throws(() => new Coalescer({ windowMs: 1, memoryMs: Number.NaN }), RangeError);
    assert.throws(() => new Coalescer({ windowMs: 1, maxKeys: 0 }), RangeError);
    const c = new Coalescer<string>({ windowMs: 1 });
    assert.throws(() => c.add(item(SKU, Number.NaN), 0), RangeError);
    assert.throws(() => c.add(item(SKU, 1), Number.NaN), RangeError);
    assert.throws(() => c.applied(SKU, Number.POSITIVE_INFINITY, 0), RangeError);
    assert.equal(c.pending, 0);
  });
});

describe('Coalescer: keys in flight', () => {
  test("a key's next group waits until its group in flight succeeds or fails", () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item(SKU, 1), 0);
    only(c.due(100));
    assert.equal(c.isInFlight(SKU), true);
    assert.equal(c.inFlight, 1);
    c.add(item(SKU, 2), 110);
    c.add(item(OTHER, 1), 110);
    assert.equal(c.nextDueAt(), 210, 'the key in flight is left out');
    assert.deepEqual(
      c.due(500).map((g) => g.key),
      [OTHER],
    );
    assert.equal(c.nextDueAt(), undefined);
    c.failed(SKU);
    assert.equal(c.nextDueAt(), 210, 'its window closed meanwhile: due at once');
    assert.equal(only(c.due(500)).version, 2);
  });

  test('a success prunes the held items it made stale and returns them; the newer ones stay held', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item(SKU, 5), 0);
    only(c.due(100));
    // While version 5 is being applied, older and newer updates come in.
    c.add(item(SKU, 3), 110);
    c.add(item(SKU, 7), 111);
    c.add(item(SKU, 5, 'again'), 112);
    c.add(item(SKU, 6), 113);
    assert.equal(c.pending, 4);
    assert.deepEqual(c.applied(SKU, 5, 150), [`${SKU}#3`, `${SKU}#5@again`]);
    assert.equal(c.skipped, 2);
    assert.equal(c.pending, 2);
    const group = only(c.due(210));
    assert.equal(group.version, 7);
    assert.deepEqual(group.superseded, [`${SKU}#6`]);
    assert.equal(group.openedAt, 110, 'the window is the one the first held item opened');
  });

  test('a success that makes every held item stale drops the group', () => {
    const c = new Coalescer<string>({ windowMs: 100 });
    c.add(item(SKU, 5), 0);
    only(c.due(100));
    c.add(item(SKU, 4), 110);
    c.add(item(SKU, 2), 111);
    assert.deepEqual(c.applied(SKU, 5, 120), [`${SKU}#4`, `${SKU}#2`]);
    assert.equal(c.pending, 0);
    assert.equal(c.nextDueAt(), undefined);
    assert.deepEqual(c.due(10_000), []);
  });
});

describe('entityCoalescingKey', () => {
  test('keys catalogue events by entity kind and key, so an order and a SKU of the same id differ', () => {
    const who = { marketplace: 'amazon-de', sellerId: 'seller-1', version: 3 };
    const inventory = entityKey({ source: INVENTORY_SOURCE, detail: { ...who, sku: 'X-1' } });
    const order = entityKey({ source: ORDERS_SOURCE, detail: { ...who, orderId: 'X-1' } });
    assert.ok(inventory && order);
    assert.equal(inventory.key, order.key);
    assert.equal(entityCoalescingKey(inventory), 'inventory:amazon-de/seller-1/X-1');
    assert.equal(entityCoalescingKey(order), 'order:amazon-de/seller-1/X-1');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties: a consumer driven by random arrivals, due() calls and settlements.

type Value = { id: number; key: string; version: number };

type Op =
  | { kind: 'add'; key: string; version: number; dt: number }
  | { kind: 'due'; dt: number }
  | { kind: 'settle'; pick: number; ok: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      key: fc.constantFrom('a', 'b', 'c'),
      version: fc.integer({ min: 1, max: 8 }),
      dt: fc.integer({ min: 0, max: 40 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('due' as const), dt: fc.integer({ min: 0, max: 150 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), ok: fc.boolean() }),
  },
);

/**
 * Runs the ops (settling with `ok` forced to true unless `failures`), then drains: settles everything in flight as a
 * success and calls due() far ahead until nothing is held. Checks the invariants along the way.
 */
function simulate(
  windowMs: number,
  ops: Op[],
  failures: boolean,
  make = (options: { windowMs: number }) => new Coalescer<Value>(options),
): void {
  const c = make({ windowMs });
  let now = 0;
  let nextId = 0;
  const added = new Set<number>();
  const accounted = new Map<number, string>();
  const account = (v: Value, how: string) => {
    assert.ok(added.has(v.id), `item ${v.id} was never added`);
    const before = accounted.get(v.id);
    assert.equal(before, undefined, `item ${v.id} is ${how} but was already ${before}`);
    accounted.set(v.id, how);
  };
  const lastLatest = new Map<string, number>();
  const lastApplied = new Map<string, number>();
  const inFlight: CoalescedGroup<Value>[] = [];
  let supersededTotal = 0;
  let skippedTotal = 0;

  const due = () => {
    for (const g of c.due(now)) {
      assert.ok(!inFlight.some((f) => f.key === g.key), `two groups of ${g.key} in flight`);
      assert.ok(g.openedAt + windowMs <= now, 'handed over before its window closed');
      // The latest has the highest version; of equal versions it was added last.
      assert.equal(g.latest.version, g.version);
      assert.equal(g.latest.key, g.key);
      for (const s of g.superseded) {
        assert.equal(s.key, g.key);
        assert.ok(s.version < g.version || (s.version === g.version && s.id < g.latest.id));
      }
      // Nothing handed over is stale: held items that a success made stale were pruned by applied().
      const applied = lastApplied.get(g.key);
      for (const v of [g.latest, ...g.superseded]) {
        assert.ok(applied === undefined || v.version > applied, `${g.key}: ${v.version} handed over after ${applied}`);
      }
      if (!failures) {
        const previous = lastLatest.get(g.key);
        assert.ok(previous === undefined || g.version > previous, `${g.key}: latest ${g.version} after ${previous}`);
      }
      lastLatest.set(g.key, g.version);
      account(g.latest, 'latest');
      for (const s of g.superseded) account(s, 'superseded');
      supersededTotal += g.superseded.length;
      inFlight.push(g);
    }
  };
  const settle = (index: number, ok: boolean) => {
    const [g] = inFlight.splice(index, 1);
    assert.ok(g);
    if (!ok) {
      c.failed(g.key);
      return;
    }
    const previous = lastApplied.get(g.key);
    assert.ok(previous === undefined || g.version > previous, `${g.key}: applied ${g.version} after ${previous}`);
    lastApplied.set(g.key, g.version);
    const stale = c.applied(g.key, g.version, now);
    for (const s of stale) {
      assert.equal(s.key, g.key);
      assert.ok(s.version <= g.version);
      account(s, 'pruned');
    }
    skippedTotal += stale.length;
  };

  for (const op of ops) {
    if (op.kind === 'add') {
      now += op.dt;
      const value: Value = { id: nextId++, key: op.key, version: op.version };
      added.add(value.id);
      const outcome = c.add({ key: op.key, version: op.version, value }, now);
      const applied = lastApplied.get(op.key);
      assert.equal(outcome, applied !== undefined && op.version <= applied ? 'stale' : 'held');
      if (outcome === 'stale') {
        account(value, 'stale');
        skippedTotal += 1;
      }
    } else if (op.kind === 'due') {
      now += op.dt;
      due();
    } else if (inFlight.length > 0) {
      settle(op.pick % inFlight.length, op.ok || !failures);
    }
    assert.equal(c.inFlight, inFlight.length);
  }
  for (let round = 0; c.pending > 0 || inFlight.length > 0; round += 1) {
    assert.ok(round < 100, 'the coalescer does not drain');
    while (inFlight.length > 0) settle(0, true);
    now += windowMs + 1;
    due();
  }

  // Every added item was handed over as latest, listed as superseded, or skipped, exactly once.
  assert.equal(accounted.size, added.size);
  assert.equal(c.coalesced, supersededTotal);
  assert.equal(c.skipped, skippedTotal);
  assert.equal(c.nextDueAt(), undefined);
}

describe('Coalescer: properties', () => {
  test('property: with successes, each key’s latest versions increase strictly and every item is accounted once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.array(opArb, { maxLength: 120 }), (windowMs, ops) => {
        simulate(windowMs, ops, false);
      }),
      { numRuns: 300 },
    );
  });

  test('property: with failures too, applied versions increase strictly, one group per key is in flight, every item is accounted once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.array(opArb, { maxLength: 120 }), (windowMs, ops) => {
        simulate(windowMs, ops, true);
      }),
      { numRuns: 300 },
    );
  });

  test('the simulation catches a coalescer that hands a group over twice', () => {
    class Twice<T> extends Coalescer<T> {
      override due(now: number): CoalescedGroup<T>[] {
        const groups = super.due(now);
        return [...groups, ...groups];
      }
    }
    const ops: Op[] = [
      { kind: 'add', key: 'a', version: 1, dt: 0 },
      { kind: 'due', dt: 0 },
    ];
    simulate(0, ops, false); // passes with the real one
    assert.throws(() => simulate(0, ops, false, (o) => new Twice<Value>(o)), /two groups of a in flight|already/);
  });
});
