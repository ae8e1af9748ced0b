// The consumer's pure decisions: backoff ceilings and jitter ranges, the 12-hour visibility budget, heartbeat timing,
// receive pauses, FIFO chains and partial batch outcomes; and the latency window behind stats().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import {
  backoffCeilingSeconds,
  batchOutcome,
  defaultHeartbeatIntervalMs,
  emptyReceivePauseMs,
  heartbeatExtensionSeconds,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  maxReceiveCountOf,
  messageGroupOf,
  orderedChains,
  type RetryPolicy,
  receiveBatchSize,
  receiveErrorDelayMs,
  receiveWaitSeconds,
  retryDelaySeconds,
  withinVisibilityBudget,
} from '../../src/client/consumer-policy.js';
import { LatencyWindow } from '../../src/client/consumer-stats.js';

const policy = (p: Partial<RetryPolicy> = {}): RetryPolicy => ({
  baseDelaySeconds: 1,
  maxDelaySeconds: 900,
  jitter: 'full',
  ...p,
});

describe('backoffCeilingSeconds', () => {
  test('doubles from the base with each receive, up to the maximum', () => {
    const p = policy({ baseDelaySeconds: 1, maxDelaySeconds: 20 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeilingSeconds(n, p)),
      [1, 2, 4, 8, 16, 20, 20],
    );
    assert.equal(backoffCeilingSeconds(3, policy({ baseDelaySeconds: 5 })), 20);
  });

  test('a missing or nonsensical receive count counts as the first receive', () => {
    const p = policy({ baseDelaySeconds: 3 });
    for (const n of [Number.NaN, 0, -4, Number.POSITIVE_INFINITY]) assert.equal(backoffCeilingSeconds(n, p), 3);
  });

  test('stays finite and within 12 hours for huge receive counts and maximums', () => {
    const p = policy({ baseDelaySeconds: 10, maxDelaySeconds: 10 ** 9 });
    assert.equal(backoffCeilingSeconds(5000, p), MAX_VISIBILITY_TIMEOUT_SECONDS);
    assert.equal(backoffCeilingSeconds(5000, policy({ baseDelaySeconds: 0 })), 0);
  });
});

describe('retryDelaySeconds', () => {
  test('full jitter spans [0, ceiling]: 0 with the lowest random, the ceiling with the highest', () => {
    const p = policy({ baseDelaySeconds: 2, maxDelaySeconds: 100 });
    assert.equal(
      retryDelaySeconds(3, p, () => 0),
      0,
    );
    assert.equal(
      retryDelaySeconds(3, p, () => 0.999_999),
      8,
    );
    assert.equal(
      retryDelaySeconds(3, p, () => 0.5),
      4,
    );
  });

  test('equal jitter spans [ceiling / 2, ceiling]', () => {
    const p = policy({ baseDelaySeconds: 2, maxDelaySeconds: 100, jitter: 'equal' });
    assert.equal(
      retryDelaySeconds(3, p, () => 0),
      4,
    );
    assert.equal(
      retryDelaySeconds(3, p, () => 0.999_999),
      8,
    );
  });

  test('no jitter gives the ceiling itself, whatever the random', () => {
    const p = policy({ baseDelaySeconds: 1, maxDelaySeconds: 4, jitter: 'none' });
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelaySeconds(n, p, () => 0)),
      [1, 2, 4, 4],
    );
  });

  test('always a whole number of seconds within [0, min(ceiling, maxDelay, 12 h)] (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3, max: 200 }),
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.double({ min: 0, max: 50_000, noNaN: true }),
        fc.constantFrom('full' as const, 'equal' as const, 'none' as const),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, base, max, jitter, r) => {
          const p = policy({ baseDelaySeconds: base, maxDelaySeconds: max, jitter });
          const d = retryDelaySeconds(n, p, () => r);
          const ceiling = backoffCeilingSeconds(n, p);
          assert.ok(Number.isInteger(d), `not an integer: ${d}`);
          assert.ok(d >= 0 && d <= Math.floor(ceiling), `${d} outside [0, ${ceiling}]`);
          assert.ok(d <= max && d <= MAX_VISIBILITY_TIMEOUT_SECONDS);
          if (jitter === 'equal') assert.ok(d >= Math.floor(ceiling / 2), `${d} under half of ${ceiling}`);
        },
      ),
    );
  });

  test('full jitter with Math.random spreads over the whole range', () => {
    const p = policy({ baseDelaySeconds: 8, maxDelaySeconds: 8 });
    const seen = new Set(Array.from({ length: 2000 }, () => retryDelaySeconds(1, p)));
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8],
    );
  });
});

describe('the 12-hour visibility budget', () => {
  test('a delay is cut so the message is not hidden past 12 hours after its receive', () => {
    assert.equal(withinVisibilityBudget(900, 0), 900);
    assert.equal(withinVisibilityBudget(900, MAX_VISIBILITY_TIMEOUT_SECONDS - 100), 99);
    assert.equal(withinVisibilityBudget(900, MAX_VISIBILITY_TIMEOUT_SECONDS + 5), 0);
    assert.equal(withinVisibilityBudget(12.7, 0), 12);
  });

  test('heartbeats extend by the full timeout, then by what is left, then stop (0)', () => {
    assert.equal(heartbeatExtensionSeconds(10, 30), 30);
    assert.equal(heartbeatExtensionSeconds(MAX_VISIBILITY_TIMEOUT_SECONDS - 20.5, 30), 19);
    assert.equal(heartbeatExtensionSeconds(MAX_VISIBILITY_TIMEOUT_SECONDS - 1, 30), 0);
  });

  test('the default heartbeat interval is a third of the visibility timeout, at least 500 ms; none under 1 s', () => {
    assert.equal(defaultHeartbeatIntervalMs(30), 10_000);
    assert.equal(defaultHeartbeatIntervalMs(2), 666);
    assert.equal(defaultHeartbeatIntervalMs(1), 333);
    assert.equal(defaultHeartbeatIntervalMs(0), undefined);
    assert.equal(defaultHeartbeatIntervalMs(Number.NaN), undefined);
  });
});

describe('receive pacing', () => {
  test('while messages wait in coalescing windows a long poll ends by the time the earliest window closes', () => {
    assert.equal(receiveWaitSeconds(20, undefined, 0), 20);
    assert.equal(receiveWaitSeconds(20, { pending: 0, nextDueAt: undefined }, 0), 20);
    assert.equal(receiveWaitSeconds(20, { pending: 3, nextDueAt: 2500 }, 1000), 2);
    assert.equal(receiveWaitSeconds(5, { pending: 3, nextDueAt: 60_000 }, 0), 5);
    // A window already closed, or one behind a group in flight: a short poll, the group runs as soon as it can.
    assert.equal(receiveWaitSeconds(20, { pending: 1, nextDueAt: 500 }, 1000), 0);
    assert.equal(receiveWaitSeconds(20, { pending: 1, nextDueAt: undefined }, 1000), 0);
  });

  test('after failed receives the pause grows from 125-250 ms to at most 30 s, never near zero', () => {
    assert.equal(
      receiveErrorDelayMs(1, () => 0),
      125,
    );
    assert.equal(
      receiveErrorDelayMs(1, () => 0.999_999),
      250,
    );
    assert.equal(
      receiveErrorDelayMs(3, () => 0),
      500,
    );
    assert.equal(
      receiveErrorDelayMs(100, () => 0),
      15_000,
    );
    assert.equal(
      receiveErrorDelayMs(100, () => 0.999_999),
      30_000,
    );
  });

  test('empty receives are spaced a second apart; long polls that waited need no pause', () => {
    assert.equal(emptyReceivePauseMs(5), 995);
    assert.equal(emptyReceivePauseMs(20_000), 0);
  });

  test('a receive asks for no more than the free slots, the batch size and 10', () => {
    assert.equal(receiveBatchSize(3, 10), 3);
    assert.equal(receiveBatchSize(50, 10), 10);
    assert.equal(receiveBatchSize(50, 4), 4);
    assert.equal(receiveBatchSize(50, 25), 10);
    assert.equal(receiveBatchSize(0, 10), 0);
    assert.equal(receiveBatchSize(-2, 10), 0);
  });
});

const msg = (id: string, group?: string): Message => ({
  MessageId: id,
  Attributes: group === undefined ? {} : { MessageGroupId: group },
});

describe('FIFO ordering', () => {
  const ids = (chains: Message[][]) => chains.map((c) => c.map((m) => m.MessageId));

  test('the messages of one group form one chain in the order received; other messages stand alone', () => {
    const batch = [msg('a1', 'A'), msg('b1', 'B'), msg('a2', 'A'), msg('x'), msg('a3', 'A'), msg('b2', 'B')];
    assert.deepEqual(ids(orderedChains(batch, messageGroupOf)), [['a1', 'a2', 'a3'], ['b1', 'b2'], ['x']]);
  });

  test('on a standard queue (no groups) each message is its own chain', () => {
    const batch = [msg('a1', 'A'), msg('a2', 'A')];
    assert.deepEqual(ids(orderedChains(batch, () => undefined)), [['a1'], ['a2']]);
  });

  test('a partial batch failure retries the failed, deletes the rest', () => {
    const batch = [msg('1'), msg('2'), msg('3'), msg('4')];
    const failed = new Set(['2', '4', 'not-in-batch']);
    const out = batchOutcome(
      batch,
      (m) => failed.has(m.MessageId ?? ''),
      () => undefined,
    );
    assert.deepEqual(
      out.failed.map((m) => m.MessageId),
      ['2', '4'],
    );
    assert.deepEqual(
      out.succeeded.map((m) => m.MessageId),
      ['1', '3'],
    );
    assert.deepEqual(out.released, []);
  });

  test('in a FIFO group, messages after a failed one are released, not deleted; other groups are unaffected', () => {
    const batch = [msg('a1', 'A'), msg('a2', 'A'), msg('b1', 'B'), msg('a3', 'A'), msg('a4', 'A')];
    const out = batchOutcome(batch, (m) => m.MessageId === 'a2', messageGroupOf);
    assert.deepEqual(
      out.succeeded.map((m) => m.MessageId),
      ['a1', 'b1'],
    );
    assert.deepEqual(
      out.failed.map((m) => m.MessageId),
      ['a2'],
    );
    assert.deepEqual(
      out.released.map((m) => m.MessageId),
      ['a3', 'a4'],
    );
  });
});

describe('maxReceiveCountOf', () => {
  test('reads maxReceiveCount from a RedrivePolicy, as a number or a string', () => {
    assert.equal(maxReceiveCountOf('{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:d","maxReceiveCount":3}'), 3);
    assert.equal(maxReceiveCountOf('{"deadLetterTargetArn":"arn","maxReceiveCount":"5"}'), 5);
  });

  test('gives undefined for no policy, unreadable JSON or a nonsensical count', () => {
    for (const p of [undefined, '', 'not json', '{}', '{"maxReceiveCount":0}', '{"maxReceiveCount":"x"}', 'null']) {
      assert.equal(maxReceiveCountOf(p), undefined, String(p));
    }
  });
});

describe('LatencyWindow', () => {
  test('p50 and p99 by nearest rank over the samples held', () => {
    const w = new LatencyWindow(1000);
    assert.equal(w.quantile(0.5), undefined);
    for (let i = 100; i >= 1; i--) w.record(i);
    assert.equal(w.size, 100);
    assert.equal(w.quantile(0.5), 50);
    assert.equal(w.quantile(0.99), 99);
    assert.equal(w.quantile(1), 100);
  });

  test('keeps only the latest samples once full, and ignores non-finite ones', () => {
    const w = new LatencyWindow(4);
    for (const ms of [1000, 1000, 1000, 1000, 1, 2, 3, Number.NaN, 4]) w.record(ms);
    assert.equal(w.size, 4);
    assert.equal(w.quantile(1), 4);
    assert.equal(w.quantile(0.5), 2);
  });
});
