import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { md5OfBody, md5OfMessageAttributes } from '../../src/core/md5.js';
import type { MessageAttributes, MessageAttributeValue } from '../../src/core/message.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('md5OfBody', () => {
  test('is the lower-case hex MD5 of the UTF-8 body', () => {
    assert.equal(md5OfBody('derp'), '58fd9edd83341c29f1aebba81c31e257');
    assert.equal(md5OfBody(''), 'd41d8cd98f00b204e9800998ecf8427e');
  });

  test('hashes UTF-8 bytes, not UTF-16 code units', () => {
    const utf8 = (bytes: number[]) => createHash('md5').update(Buffer.from(bytes)).digest('hex');
    assert.equal(md5OfBody('\u20ac'), utf8([0xe2, 0x82, 0xac]));
    assert.equal(md5OfBody('\u{1F600}'), utf8([0xf0, 0x9f, 0x98, 0x80]));
  });
});

describe('md5OfMessageAttributes (notes §1.3 test vectors)', () => {
  test('single Number attribute', () => {
    assert.equal(
      md5OfMessageAttributes({ 'SOME_Valid.attribute-Name': { DataType: 'Number', StringValue: '1493147359900' } }),
      '36655e7e9d7c0e8479fa3f3f42247ae7',
    );
  });

  test('String attributes and a custom Number type', () => {
    assert.equal(
      md5OfMessageAttributes({
        id: { DataType: 'String', StringValue: '2018fc74-4f77-1a5a-1be0-c2d037d5052b' },
        contentType: { DataType: 'String', StringValue: 'application/json' },
        timestamp: { DataType: 'Number.java.lang.Long', StringValue: '1602845432024' },
      }),
      'b12289320bb6e494b18b645ef562b4a9',
    );
  });

  test('a Binary attribute hashes the decoded bytes', () => {
    assert.equal(
      md5OfMessageAttributes({
        id: { DataType: 'String', StringValue: '453ae55e-f03b-21a6-a4b1-70c2e2e8fe71' },
        mybin: { DataType: 'Binary', BinaryValue: base64('kekchebukek') },
        timestamp: { DataType: 'Number.java.lang.Long', StringValue: '1603134247654' },
        contentType: { DataType: 'String', StringValue: 'application/json' },
      }),
      '049075255ebc53fb95f7f9f3cedf3c50',
    );
  });

  test('single custom Number type', () => {
    assert.equal(
      md5OfMessageAttributes({ timestamp: { DataType: 'Number.java.lang.Long', StringValue: '1493147359900' } }),
      '2e2e4876d8e0bd6b8c2c8f556831c349',
    );
  });

  test('no attributes gives undefined, not the md5 of nothing', () => {
    assert.equal(md5OfMessageAttributes({}), undefined);
  });

  test('the full data type (custom suffix included) is part of the digest', () => {
    const plain = md5OfMessageAttributes({ timestamp: { DataType: 'Number', StringValue: '1493147359900' } });
    assert.notEqual(plain, '2e2e4876d8e0bd6b8c2c8f556831c349');
  });

  test('a Binary value differs from a String value with the same text', () => {
    const asBinary = md5OfMessageAttributes({ a: { DataType: 'Binary', BinaryValue: base64('x') } });
    const asString = md5OfMessageAttributes({ a: { DataType: 'Binary', StringValue: 'x' } });
    assert.notEqual(asBinary, asString);
  });

  test('property: the order in which attributes are given does not matter', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,20}$/);
    const value: fc.Arbitrary<MessageAttributeValue> = fc.oneof(
      fc.record({ DataType: fc.constantFrom('String', 'String.x'), StringValue: fc.string({ minLength: 1 }) }),
      fc.record({ DataType: fc.constant('Number'), StringValue: fc.integer().map(String) }),
      fc.record({
        DataType: fc.constantFrom('Binary', 'Binary.gif'),
        BinaryValue: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64')),
      }),
    );
    const entries = fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(
        entries.chain((list) =>
          fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })),
        ),
        ([original, shuffled]) => {
          const a = md5OfMessageAttributes(Object.fromEntries(original) as MessageAttributes);
          const b = md5OfMessageAttributes(Object.fromEntries(shuffled) as MessageAttributes);
          assert.match(a ?? '', /^[0-9a-f]{32}$/);
          assert.equal(a, b);
        },
      ),
    );
  });
});
