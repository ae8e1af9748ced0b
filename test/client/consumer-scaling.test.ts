// The consumer's autoscaling decisions (pure): Little's law from the backlog and handler latency, scaling up at
// once, down only after several lower readings and by half at most, always within [min, max].
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  BusyMeter,
  nextConcurrency,
  type ScalingPolicy,
  type ScalingReading,
  scalingPolicy,
  wantedConcurrency,
} from '../../src/client/consumer-scaling.js';

const policy: ScalingPolicy = { min: 2, max: 50, intervalMs: 5000, targetDrainSeconds: 10, scaleDownAfter: 3 };
const reading = (r: Partial<ScalingReading>): ScalingReading => ({
  current: 2,
  backlog: 0,
  busy: 0,
  saturated: false,
  latencyMs: 100,
  lowerReadings: 0,
  ...r,
});

describe('wantedConcurrency', () => {
  test('keeps up with what runs and clears the backlog within the target: busy + backlog × latency / drain', () => {
    // 1000 waiting, 200 ms each, 10 s to clear them: 20 more handlers than the 3 busy.
    assert.equal(wantedConcurrency(policy, reading({ backlog: 1000, latencyMs: 200, busy: 3 })), 23);
    // A slower handler needs more of them for the same backlog.
    assert.equal(wantedConcurrency(policy, reading({ backlog: 1000, latencyMs: 400, busy: 3 })), 43);
  });

  test('stays within [min, max]', () => {
    assert.equal(wantedConcurrency(policy, reading({ backlog: 1_000_000, latencyMs: 1000 })), 50);
    assert.equal(wantedConcurrency(policy, reading({ backlog: 0, busy: 0 })), 2);
  });

  test('fast handlers with every slot taken and a backlog still get one more', () => {
    // 1 ms handlers: the backlog adds almost nothing by Little's law, but every slot is taken and messages wait.
    assert.equal(
      wantedConcurrency(policy, reading({ current: 4, backlog: 5, latencyMs: 1, busy: 4, saturated: true })),
      5,
    );
    // Without the slots all taken the backlog still counts, by Little's law, rounded up to a whole handler.
    assert.equal(wantedConcurrency(policy, reading({ current: 4, backlog: 5, latencyMs: 1, busy: 2 })), 3);
    assert.equal(wantedConcurrency(policy, reading({ current: 4, backlog: 0, latencyMs: 1, busy: 2 })), 2);
  });

  test('before any latency is known: doubles when saturated with a backlog, else holds', () => {
    const noLatency = { latencyMs: undefined, current: 6 };
    assert.equal(wantedConcurrency(policy, reading({ ...noLatency, backlog: 100, saturated: true, busy: 6 })), 12);
    assert.equal(wantedConcurrency(policy, reading({ ...noLatency, backlog: 100, busy: 1 })), 6);
    assert.equal(wantedConcurrency(policy, reading({ ...noLatency, backlog: 0, busy: 3 })), 3);
  });

  test('an unknown backlog (the read failed) keeps the concurrency in force', () => {
    assert.equal(wantedConcurrency(policy, reading({ current: 17, backlog: undefined, busy: 1 })), 17);
  });
});

describe('nextConcurrency', () => {
  test('scales up at once, to what is wanted', () => {
    // 2000 waiting × 100 ms / 10 s = 20 handlers, from 2 in one step.
    const d = nextConcurrency(policy, reading({ current: 2, backlog: 2000, latencyMs: 100 }));
    assert.deepEqual(d, { concurrency: 20, wanted: 20, lowerReadings: 0 });
  });

  test('scales down only after scaleDownAfter lower readings in a row, and by half at most', () => {
    let r = reading({ current: 40, backlog: 0, busy: 1 });
    const first = nextConcurrency(policy, r);
    assert.deepEqual(first, { concurrency: 40, wanted: 2, lowerReadings: 1 });
    r = { ...r, lowerReadings: first.lowerReadings };
    const second = nextConcurrency(policy, r);
    assert.equal(second.concurrency, 40);
    const third = nextConcurrency(policy, { ...r, lowerReadings: second.lowerReadings });
    assert.deepEqual(third, { concurrency: 20, wanted: 2, lowerReadings: 0 });
  });

  test('a reading that wants as much or more resets the count of lower readings', () => {
    const d = nextConcurrency(
      policy,
      reading({ current: 10, backlog: 400, latencyMs: 200, busy: 2, lowerReadings: 2 }),
    );
    assert.deepEqual(d, { concurrency: 10, wanted: 10, lowerReadings: 0 });
  });

  test('property: always within [min, max]; never below half the current in one step; up only to what is wanted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 80 }),
        fc.record({
          current: fc.integer({ min: 1, max: 100 }),
          backlog: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
          busy: fc.double({ min: 0, max: 100, noNaN: true }),
          saturated: fc.boolean(),
          latencyMs: fc.option(fc.double({ min: 0, max: 60_000, noNaN: true }), { nil: undefined }),
          lowerReadings: fc.integer({ min: 0, max: 5 }),
        }),
        (min, span, r) => {
          const p = { ...policy, min, max: min + span };
          const current = Math.min(p.max, Math.max(p.min, r.current));
          const d = nextConcurrency(p, { ...r, current });
          assert.ok(d.concurrency >= p.min && d.concurrency <= p.max);
          assert.ok(Number.isInteger(d.concurrency));
          if (d.concurrency < current) assert.ok(d.concurrency >= Math.ceil(current / 2));
          if (d.concurrency > current) assert.equal(d.concurrency, d.wanted);
        },
      ),
    );
  });
});

describe('scalingPolicy', () => {
  test('fills in defaults and checks the bounds', () => {
    assert.deepEqual(scalingPolicy({ min: 1, max: 10 }, 1000), {
      min: 1,
      max: 10,
      intervalMs: 5000,
      targetDrainSeconds: 10,
      scaleDownAfter: 3,
    });
    assert.throws(() => scalingPolicy({ min: 0, max: 10 }, 1000), /concurrency.min must be an integer from 1/);
    assert.throws(() => scalingPolicy({ min: 5, max: 4 }, 1000), /concurrency.max must be an integer from 5/);
    assert.throws(() => scalingPolicy({ min: 1, max: 2000 }, 1000), /concurrency.max/);
    assert.throws(() => scalingPolicy({ min: 1, max: 2, targetDrainSeconds: 0 }, 1000), /targetDrainSeconds/);
    assert.throws(() => scalingPolicy({ min: 1, max: 2, intervalMs: 10 }, 1000), /intervalMs/);
  });
});

describe('BusyMeter', () => {
  test('averages the number running over the time since the last read, and notes saturation', () => {
    const m = new BusyMeter(0);
    m.set(2, 0, false);
    m.set(4, 500, true); // 2 for 500 ms, then 4 for 500 ms
    assert.deepEqual(m.read(1000, false), { busy: 3, saturated: true });
    // A new stretch: 4 all along, not saturated any more.
    assert.deepEqual(m.read(2000, false), { busy: 4, saturated: false });
    m.set(0, 2500, false);
    assert.deepEqual(m.read(3000, true), { busy: 2, saturated: true });
  });
});
