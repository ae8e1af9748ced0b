import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AwsError } from '../../src/core/errors.js';
import {
  decodeReceiptHandle,
  encodeReceiptHandle,
  invalidReceiptHandle,
  newReceiptToken,
} from '../../src/core/receipt-handle.js';

function throwsInvalid(raw: string): void {
  assert.throws(
    () => decodeReceiptHandle(raw),
    (e: unknown) => {
      assert.ok(e instanceof AwsError, `expected an AwsError, got ${String(e)}`);
      assert.equal(e.code, 'ReceiptHandleIsInvalid');
      assert.match(e.message, /is not a valid receipt handle/);
      return true;
    },
    `expected ${JSON.stringify(raw)} to be rejected`,
  );
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const TOKEN = 'a1b2c3d4e5f60718293a4b5c';

describe('receipt handles', () => {
  test('property: decode(encode(h)) returns h', () => {
    const token = fc.stringMatching(/^[0-9a-f]{24}$/);
    fc.assert(
      fc.property(fc.nat(), fc.maxSafeNat(), token, (queueId, seq, tok) => {
        const handle = { queueId, seq, token: tok };
        const raw = encodeReceiptHandle(handle);
        assert.match(raw, /^[A-Za-z0-9+/=]+$/);
        assert.deepEqual(decodeReceiptHandle(raw), handle);
      }),
    );
  });

  test('round trips a freshly issued token', () => {
    const token = newReceiptToken();
    const handle = { queueId: 7, seq: 123_456, token };
    assert.deepEqual(decodeReceiptHandle(encodeReceiptHandle(handle)), handle);
  });

  test('new tokens are 24 hex characters and differ', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => newReceiptToken()));
    assert.equal(tokens.size, 100);
    for (const t of tokens) assert.match(t, /^[0-9a-f]{24}$/);
  });

  test('handles differing only by token are different strings', () => {
    assert.notEqual(
      encodeReceiptHandle({ queueId: 1, seq: 1, token: newReceiptToken() }),
      encodeReceiptHandle({ queueId: 1, seq: 1, token: newReceiptToken() }),
    );
  });

  const malformed: [string, string][] = [
    ['empty', ''],
    ['not base64 at all', 'this is not a handle!'],
    ['too long', 'A'.repeat(1025)],
    ['random base64', b64('hello world')],
    ['wrong prefix', b64(`SY2:1:2:${TOKEN}`)],
    ['too few parts', b64(`SY1:1:${TOKEN}`)],
    ['too many parts', b64(`SY1:1:2:${TOKEN}:x`)],
    ['non-numeric queue id', b64(`SY1:q:2:${TOKEN}`)],
    ['non-numeric seq', b64(`SY1:1:two:${TOKEN}`)],
    ['fractional seq', b64(`SY1:1:2.5:${TOKEN}`)],
    ['short token', b64('SY1:1:2:abc')],
    ['upper-case token', b64(`SY1:1:2:${TOKEN.toUpperCase()}`)],
    ['token with a non-hex letter', b64(`SY1:1:2:${TOKEN.slice(0, 23)}g`)],
    ['unsafe integer seq', b64(`SY1:1:99999999999999999999:${TOKEN}`)],
  ];
  for (const [label, raw] of malformed) {
    test(`rejects a handle with ${label} as ReceiptHandleIsInvalid`, () => {
      throwsInvalid(raw);
    });
  }

  test('rejects numbers in a form we never issue (we always write canonical decimals)', () => {
    // decodeReceiptHandle promises to reject "anything we did not issue"; Number() alone accepts all of these.
    for (const text of [
      `SY1::2:${TOKEN}`,
      `SY1:1::${TOKEN}`,
      `SY1:1:0x10:${TOKEN}`,
      `SY1:1:1e3:${TOKEN}`,
      `SY1:1: 2 :${TOKEN}`,
    ]) {
      throwsInvalid(b64(text));
    }
  });

  test('the error quotes the handle', () => {
    const e = invalidReceiptHandle('xyz');
    assert.equal(e.code, 'ReceiptHandleIsInvalid');
    assert.equal(e.message, 'The input receipt handle "xyz" is not a valid receipt handle.');
    assert.equal(e.spec.status, 404);
  });
});
