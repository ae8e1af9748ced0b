import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS, LIMIT_NAMES, parseLimitOverrides } from '../../src/core/limits.js';

describe('parseLimitOverrides', () => {
  test('no overrides gives the AWS defaults, as a copy', () => {
    const limits = parseLimitOverrides([]);
    assert.deepEqual(limits, { ...DEFAULT_LIMITS });
    assert.notEqual(limits, DEFAULT_LIMITS);
    assert.equal(limits.maxMessageBytes, 1_048_576);
    assert.equal(limits.maxInflightPerQueue, 120_000);
    assert.equal(limits.maxBatchEntries, 10);
    assert.equal(limits.purgeCooldownSeconds, 60);
  });

  test('applies name=value overrides in order, last one wins', () => {
    const limits = parseLimitOverrides(['maxInflightPerQueue=5', 'maxBatchEntries=3', 'maxBatchEntries=4']);
    assert.equal(limits.maxInflightPerQueue, 5);
    assert.equal(limits.maxBatchEntries, 4);
    assert.equal(limits.maxMessageBytes, DEFAULT_LIMITS.maxMessageBytes);
  });

  test('zero is a valid value', () => {
    assert.equal(parseLimitOverrides(['queueDeleteCooldownSeconds=0']).queueDeleteCooldownSeconds, 0);
  });

  test('starts from the given base without changing it', () => {
    const base = { ...DEFAULT_LIMITS, maxTagsPerQueue: 7 };
    const limits = parseLimitOverrides(['maxWaitTimeSeconds=5'], base);
    assert.equal(limits.maxTagsPerQueue, 7);
    assert.equal(limits.maxWaitTimeSeconds, 5);
    assert.equal(base.maxWaitTimeSeconds, 20);
  });

  test('every limit name can be overridden', () => {
    const limits = parseLimitOverrides(LIMIT_NAMES.map((name) => `${name}=1`));
    for (const name of LIMIT_NAMES) assert.equal(limits[name], 1, name);
  });

  test('an unknown name is an error listing the known names', () => {
    assert.throws(() => parseLimitOverrides(['nope=1']), /unknown limit "nope"; known limits: maxMessageBytes, /);
    assert.throws(() => parseLimitOverrides(['=1']), /unknown limit ""/);
    assert.throws(() => parseLimitOverrides(['toString=1']), /unknown limit "toString"/);
  });

  test('a value that is not a non-negative integer is an error naming the entry', () => {
    for (const entry of ['maxBatchEntries', 'maxBatchEntries=-1', 'maxBatchEntries=1.5', 'maxBatchEntries=abc']) {
      assert.throws(
        () => parseLimitOverrides([entry]),
        /limit "maxBatchEntries" needs a non-negative integer value, as in maxBatchEntries=10/,
        entry,
      );
    }
  });

  test('an empty or blank value is an error, not 0', () => {
    // Number('') and Number(' ') are 0, so `--limit maxInflightPerQueue=` would silently set the limit to 0.
    for (const entry of ['maxBatchEntries=', 'maxBatchEntries= ']) {
      assert.throws(
        () => parseLimitOverrides([entry]),
        /limit "maxBatchEntries" needs a non-negative integer value/,
        entry,
      );
    }
  });
});
