// IdempotencyService over an in-memory SqliteStore with a ManualClock: the SwitchyardIdempotency API's semantics
// (time to live to the millisecond, re-puts, deletes, the expiry sweep) and its validation, without a server.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { AwsError } from '../../src/core/errors.js';
import { IdempotencyService } from '../../src/services/idempotency-service.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ACCOUNT } from '../helpers/account.js';
import { waitFor } from '../helpers/wait.js';

const ctx = { accountId: ACCOUNT };
const OTHER = { accountId: '111111111111' };
const DAY_MS = 86_400_000;

let store: SqliteStore;
let clock: ManualClock;
let service: IdempotencyService;

beforeEach(() => {
  store = new SqliteStore({ dataDir: ':memory:' });
  clock = new ManualClock();
  service = new IdempotencyService({ store, clock });
});
afterEach(async () => {
  await service.stop();
  await store.close();
});

const found = async (keys: string[], on = ctx) => (await service.checkKeys(on, { Keys: keys })).Found;

/** Asserts that `call` rejects with a ValidationException whose message matches `message`. */
async function rejectsValidation(call: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof AwsError, `an AwsError, got ${String(error)}`);
    assert.equal(error.code, 'Validation');
    assert.equal(error.spec.shape, 'ValidationException');
    assert.equal(error.spec.status, 400);
    assert.match(error.message, message);
    return true;
  });
}

describe('IdempotencyService: keys', () => {
  test('put then check: the keys held, in the order asked, each once; per account', async () => {
    assert.deepEqual(await found(['a', 'b']), []);
    assert.deepEqual(await service.putKeys(ctx, { Keys: ['a', 'b', 'c'] }), {});
    assert.deepEqual(await found(['c', 'x', 'a', 'c']), ['c', 'a']);
    assert.deepEqual(await found(['a'], OTHER), [], 'another account holds none of them');
  });

  test('the default time to live is 24 hours, to the millisecond', async () => {
    await service.putKeys(ctx, { Keys: ['k'] });
    clock.advance(DAY_MS - 1);
    assert.deepEqual(await found(['k']), ['k']);
    clock.advance(1);
    assert.deepEqual(await found(['k']), [], 'gone at exactly put time + TtlSeconds, before any sweep');
  });

  test('TtlSeconds sets the expiry: held until put time + TtlSeconds·1000, exclusive', async () => {
    await service.putKeys(ctx, { Keys: ['short'], TtlSeconds: 1 });
    await service.putKeys(ctx, { Keys: ['week'], TtlSeconds: 604_800 });
    clock.advance(999);
    assert.deepEqual(await found(['short', 'week']), ['short', 'week']);
    clock.advance(1);
    assert.deepEqual(await found(['short', 'week']), ['week']);
    clock.advance(7 * DAY_MS - 1000 - 1);
    assert.deepEqual(await found(['week']), ['week']);
    clock.advance(1);
    assert.deepEqual(await found(['week']), []);
  });

  test('putting a key again extends it from the new put; an expired key put again is held again', async () => {
    await service.putKeys(ctx, { Keys: ['k'], TtlSeconds: 10 });
    clock.advance(8000);
    await service.putKeys(ctx, { Keys: ['k'], TtlSeconds: 10 });
    clock.advance(9999);
    assert.deepEqual(await found(['k']), ['k'], '17.999 s after the first put, 9.999 s after the second');
    clock.advance(1);
    assert.deepEqual(await found(['k']), []);
    await service.putKeys(ctx, { Keys: ['k'], TtlSeconds: 5 });
    assert.deepEqual(await found(['k']), ['k']);
  });

  test('delete forgets keys; unknown keys are no error', async () => {
    await service.putKeys(ctx, { Keys: ['a', 'b'] });
    await service.putKeys(OTHER, { Keys: ['a'] });
    assert.deepEqual(await service.deleteKeys(ctx, { Keys: ['a', 'never-put'] }), {});
    assert.deepEqual(await found(['a', 'b']), ['b']);
    assert.deepEqual(await found(['a'], OTHER), ['a']);
  });
});

describe('IdempotencyService: expiry sweep', () => {
  test('sweepExpired removes the keys expired by now, a batch at a time, and no others', async () => {
    service = new IdempotencyService({ store, clock, sweepBatch: 2 });
    await service.putKeys(ctx, { Keys: ['e1', 'e2', 'e3'], TtlSeconds: 1 });
    await service.putKeys(ctx, { Keys: ['live'], TtlSeconds: 2 });
    assert.equal(await service.sweepExpired(), 0, 'nothing expired yet');
    clock.advance(1000);
    assert.equal(await service.sweepExpired(), 2);
    assert.equal(await service.sweepExpired(), 1);
    assert.equal(await service.sweepExpired(), 0);
    assert.equal(await store.deleteIdempotencyKeys(ACCOUNT, ['e1', 'e2', 'e3']), 0, 'the rows are gone');
    assert.deepEqual(await found(['live']), ['live']);
  });

  test('the background loop sweeps on start and goes on at once while batches come back full', async () => {
    const sweeps: number[] = [];
    const expire = store.expireIdempotencyKeys.bind(store);
    store.expireIdempotencyKeys = async (now, limit) => {
      const removed = await expire(now, limit);
      sweeps.push(removed);
      return removed;
    };
    service = new IdempotencyService({ store, clock, sweepBatch: 2, sweepMs: 60_000 });
    const keys = Array.from({ length: 7 }, (_, i) => `k${i}`);
    await service.putKeys(ctx, { Keys: keys, TtlSeconds: 1 });
    await service.putKeys(ctx, { Keys: ['live'], TtlSeconds: 60 });
    clock.advance(1000);
    service.start();
    // 7 expired keys in batches of 2: four steps in a row, long before the next 60 s tick, then it waits.
    await waitFor('every expired key swept', () => sweeps.length === 4, 2000);
    await service.stop();
    assert.deepEqual(sweeps, [2, 2, 2, 1]);
    assert.equal(await store.deleteIdempotencyKeys(ACCOUNT, keys), 0, 'the expired rows are gone');
    assert.deepEqual(await found(['live']), ['live']);
  });

  test('a failing sweep is reported to onError', async () => {
    const errors: unknown[] = [];
    const broken = new IdempotencyService({
      store: { ...store, expireIdempotencyKeys: () => Promise.reject(new Error('disk on fire')) } as never,
      clock,
      onError: (error) => errors.push(error),
    });
    broken.start();
    await waitFor('the error reported', () => errors.length === 1, 2000);
    await broken.stop();
    assert.match(String(errors[0]), /disk on fire/);
  });
});

describe('IdempotencyService: validation', () => {
  const each = (keys: string[] | undefined) => [
    service.checkKeys(ctx, { Keys: keys }),
    service.putKeys(ctx, { Keys: keys }),
    service.deleteKeys(ctx, { Keys: keys }),
  ];

  test('Keys is required, with 1 to 100 keys, for every action', async () => {
    for (const call of each(undefined)) await rejectsValidation(call, /must contain Keys, a list of 1 to 100 keys/);
    for (const call of each([])) await rejectsValidation(call, /^Keys must hold between 1 and 100 keys; it holds 0\.$/);
    const many = Array.from({ length: 101 }, (_, i) => `k${i}`);
    for (const call of each(many)) await rejectsValidation(call, /it holds 101\./);
    const hundred = many.slice(0, 100);
    await service.putKeys(ctx, { Keys: hundred });
    assert.equal((await found(hundred)).length, 100);
  });

  test('a key is 1 to 1024 UTF-8 bytes of well-formed text', async () => {
    for (const call of each(['ok', ''])) await rejectsValidation(call, /^Keys\[1\] is empty; a key is 1 to 1024/);
    const tooLong = '€'.repeat(342); // 342 characters, 1026 UTF-8 bytes
    for (const call of each([tooLong])) await rejectsValidation(call, /^Keys\[0\] is 1026 UTF-8 bytes long/);
    for (const call of each(['a\uD800b'])) await rejectsValidation(call, /Keys\[0\] is not valid Unicode text/);
    const longest = `${'k'.repeat(1021)}€`; // 1024 bytes
    const emoji = 'order#🚚'; // a surrogate pair is fine
    await service.putKeys(ctx, { Keys: [longest, emoji] });
    assert.deepEqual(await found([longest, emoji]), [longest, emoji]);
  });

  test('TtlSeconds is an integer from 1 to 604800', async () => {
    for (const ttl of [0, -1, 604_801, 1.5, Number.NaN]) {
      await rejectsValidation(
        service.putKeys(ctx, { Keys: ['k'], TtlSeconds: ttl }),
        /^TtlSeconds must be an integer from 1 to 604800 \(7 days\); got /,
      );
    }
    assert.deepEqual(await found(['k']), [], 'nothing was put by the refused calls');
  });
});
