// Assertions on the AwsError that core rules and QueueService throw.
import assert from 'node:assert/strict';
import { AwsError, type AwsErrorCode } from '../../src/core/errors.js';

/** A validator for assert.throws / assert.rejects: an AwsError with `code` and, if given, the message. */
function isAwsError(code: AwsErrorCode, message?: RegExp | string) {
  return (e: unknown): true => {
    assert.ok(e instanceof AwsError, `expected an AwsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  };
}

/** Asserts that `fn` throws an AwsError with `code`; a string `message` must match exactly, a RegExp must match. */
export function throwsAws(fn: () => unknown, code: AwsErrorCode, message?: RegExp | string): void {
  assert.throws(fn, isAwsError(code, message));
}

/** Asserts that `promise` rejects with an AwsError with `code`; `message` as for throwsAws. */
export async function rejectsAws(
  promise: Promise<unknown>,
  code: AwsErrorCode,
  message?: RegExp | string,
): Promise<void> {
  await assert.rejects(promise, isAwsError(code, message));
}
