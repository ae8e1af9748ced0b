import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/limits.js';
import {
  attributesSize,
  hasInvalidCharacters,
  type MessageAttributes,
  type MessageAttributeValue,
  type OutgoingMessage,
  validateMessageAttributes,
  validateMessageSystemAttributes,
  validateOutgoingMessage,
} from '../../src/core/message.js';
import { throwsAws } from '../helpers/aws-error.js';

const limits: Limits = { ...DEFAULT_LIMITS };
const MAX = DEFAULT_LIMITS.maxMessageBytes;
const send = (message: OutgoingMessage, maxBytes = MAX, l: Limits = limits) =>
  validateOutgoingMessage(message, maxBytes, l);
const withAttr = (name: string, attr: MessageAttributeValue) =>
  send({ MessageBody: 'x', MessageAttributes: { [name]: attr } });
const str = (StringValue: string): MessageAttributeValue => ({ DataType: 'String', StringValue });
const num = (StringValue: string): MessageAttributeValue => ({ DataType: 'Number', StringValue });
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('message body characters', () => {
  const allowed: [string, string][] = [
    ['tab, line feed, carriage return', '\t\n\r'],
    ['space and ASCII', ' hello ~'],
    ['top of the BMP below the surrogates', '\uD7FF'],
    ['start of the private use area', '\uE000'],
    ['U+FFFD', '\uFFFD'],
    ['an astral emoji (surrogate pair)', '\u{1F600}'],
    ['the last code point', '\u{10FFFF}'],
    ['the first astral code point', '\u{10000}'],
  ];
  for (const [label, body] of allowed) {
    test(`accepts ${label}`, () => {
      assert.equal(hasInvalidCharacters(body), false);
      assert.equal(send({ MessageBody: body }), Buffer.byteLength(body, 'utf8'));
    });
  }

  const rejected: [string, string][] = [
    ['NUL', 'a\u0000b'],
    ['a control character below 0x20', '\u0008'],
    ['vertical tab', '\u000B'],
    ['unit separator', '\u001F'],
    ['U+FFFE', '\uFFFE'],
    ['U+FFFF', '\uFFFF'],
    ['a lone high surrogate', 'a\uD800'],
    ['a lone low surrogate', '\uDC00z'],
    ['a high surrogate followed by a non-surrogate', '\uD83Dx'],
  ];
  for (const [label, body] of rejected) {
    test(`rejects ${label} with InvalidMessageContents`, () => {
      assert.equal(hasInvalidCharacters(body), true);
      throwsAws(() => send({ MessageBody: body }), 'InvalidMessageContents', /Invalid characters found/);
    });
  }

  test('property: text made only of allowed code points is accepted', () => {
    const codePoint = fc.oneof(
      fc.constantFrom(0x9, 0xa, 0xd),
      fc.integer({ min: 0x20, max: 0xd7ff }),
      fc.integer({ min: 0xe000, max: 0xfffd }),
      fc.integer({ min: 0x10000, max: 0x10ffff }),
    );
    fc.assert(
      fc.property(fc.array(codePoint, { minLength: 1, maxLength: 40 }), (cps) => {
        assert.equal(hasInvalidCharacters(String.fromCodePoint(...cps)), false);
      }),
    );
  });

  test('property: any forbidden code point anywhere is rejected', () => {
    const bad = fc.oneof(
      fc.integer({ min: 0, max: 0x8 }),
      fc.constantFrom(0xb, 0xc, 0xfffe, 0xffff),
      fc.integer({ min: 0xe, max: 0x1f }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    );
    fc.assert(
      fc.property(fc.string(), bad, fc.string(), (before, cp, after) => {
        // A lone surrogate stays lone only if it does not pair with a neighbour; force that with ASCII guards.
        assert.equal(hasInvalidCharacters(`${before}a${String.fromCharCode(cp)}a${after}`), true);
      }),
    );
  });

  test('an empty or missing body is a MissingParameter', () => {
    throwsAws(() => send({ MessageBody: '' }), 'MissingParameter', /MessageBody/);
    throwsAws(() => send({}), 'MissingParameter', /MessageBody/);
  });

  test('DelaySeconds must be 0..900', () => {
    assert.equal(send({ MessageBody: 'x', DelaySeconds: 0 }), 1);
    assert.equal(send({ MessageBody: 'x', DelaySeconds: 900 }), 1);
    throwsAws(() => send({ MessageBody: 'x', DelaySeconds: 901 }), 'InvalidParameterValue', /DelaySeconds/);
    throwsAws(() => send({ MessageBody: 'x', DelaySeconds: -1 }), 'InvalidParameterValue', /DelaySeconds/);
  });
});

describe('message size', () => {
  test('a body of exactly the maximum is accepted, one byte more is not', () => {
    assert.equal(send({ MessageBody: 'a'.repeat(1024) }, 1024), 1024);
    throwsAws(
      () => send({ MessageBody: 'a'.repeat(1025) }, 1024),
      'InvalidParameterValue',
      /Message must be shorter than 1024 bytes/,
    );
  });

  test('the size counts UTF-8 bytes, not characters', () => {
    const euros = '\u20ac'.repeat(342); // 342 characters, 1026 bytes
    throwsAws(() => send({ MessageBody: euros }, 1024), 'InvalidParameterValue', /shorter than 1024 bytes/);
    assert.equal(send({ MessageBody: '\u20ac'.repeat(341) }, 1024), 1023);
  });

  test('attribute names, data types and values count toward the size', () => {
    // body 1000 + name "abcd" 4 + "String" 6 + value 14 = 1024
    const at = (value: string) =>
      send({ MessageBody: 'b'.repeat(1000), MessageAttributes: { abcd: str(value) } }, 1024);
    assert.equal(at('v'.repeat(14)), 1024);
    throwsAws(() => at('v'.repeat(15)), 'InvalidParameterValue', /shorter than 1024 bytes/);
  });

  test('attributesSize counts name + type + value, binary as decoded bytes', () => {
    assert.equal(attributesSize(undefined), 0);
    assert.equal(attributesSize({ a: str('xyz') }), 1 + 6 + 3);
    assert.equal(attributesSize({ bb: { DataType: 'Binary', BinaryValue: b64('hello') } }), 2 + 6 + 5);
    assert.equal(attributesSize({ n: { DataType: 'Number.int', StringValue: '12' } }), 1 + 10 + 2);
    assert.equal(validateMessageAttributes({ a: str('xyz'), n: num('12') }, limits), 10 + 1 + 6 + 2);
  });
});

describe('message attribute names', () => {
  const valid = ['a', 'A-b_c.d', 'x'.repeat(256), 'AWSome', 'amazonian', 'a.b.c', '0'];
  for (const name of valid) {
    test(`accepts name ${name.length > 20 ? `${name.slice(0, 10)}… (${name.length})` : JSON.stringify(name)}`, () => {
      assert.equal(withAttr(name, str('v')), 1 + Buffer.byteLength(name) + 6 + 1);
    });
  }

  const invalid: [string, RegExp][] = [
    ['x'.repeat(257), /1 to 256 characters/],
    ['has space', /alphanumeric characters, hyphens, underscores and periods/],
    ['star*', /alphanumeric/],
    ['ünïcode', /alphanumeric/],
    ['AWS.thing', /cannot start with 'AWS\.' or 'Amazon\.'/],
    ['aws.thing', /cannot start with/],
    ['Amazon.thing', /cannot start with/],
    ['aMaZoN.thing', /cannot start with/],
    ['.leading', /period/],
    ['trailing.', /period/],
    ['two..dots', /period/],
  ];
  for (const [name, reason] of invalid) {
    test(`rejects name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 10)}…` : name)}`, () => {
      throwsAws(() => withAttr(name, str('v')), 'InvalidParameterValue', reason);
      throwsAws(() => withAttr(name, str('v')), 'InvalidParameterValue', /Message \(user\) attribute name/);
    });
  }

  test('rejects an empty name', () => {
    throwsAws(() => withAttr('', str('v')), 'InvalidParameterValue', /1 to 256 characters/);
  });
});

describe('message attribute data types', () => {
  const good: MessageAttributeValue[] = [
    str('s'),
    num('1'),
    { DataType: 'Binary', BinaryValue: b64('bytes') },
    { DataType: 'String.custom', StringValue: 's' },
    { DataType: 'Number.java.lang.Long', StringValue: '1603134247654' },
    { DataType: 'Binary.gif', BinaryValue: b64('GIF89a') },
  ];
  for (const attr of good) {
    test(`accepts ${attr.DataType}`, () => {
      assert.ok(withAttr('a', attr) > 1);
    });
  }

  for (const type of ['string', 'Text', 'StringX', 'String.', 'Numbers', 'binary.x']) {
    test(`rejects data type ${type}`, () => {
      throwsAws(
        () => withAttr('a', { DataType: type, StringValue: 'v' }),
        'InvalidParameterValue',
        /supported type prefixes: Binary, Number, String/,
      );
    });
  }

  test('rejects an empty data type', () => {
    throwsAws(
      () => withAttr('a', { DataType: '', StringValue: 'v' }),
      'InvalidParameterValue',
      /must contain non-empty message attribute type/,
    );
  });

  test('rejects a data type longer than 256 characters', () => {
    throwsAws(
      () => withAttr('a', { DataType: `String.${'x'.repeat(250)}`, StringValue: 'v' }),
      'InvalidParameterValue',
      /at most 256 characters/,
    );
    assert.ok(withAttr('a', { DataType: `String.${'x'.repeat(249)}`, StringValue: 'v' }) > 0);
  });

  test('a string value with invalid characters is InvalidMessageContents', () => {
    throwsAws(() => withAttr('a', str('bad\u0000')), 'InvalidMessageContents', /Invalid characters found/);
    throwsAws(() => withAttr('a', str('\uD800')), 'InvalidMessageContents');
  });

  test('Binary must not carry a StringValue; String and Number must not carry a BinaryValue', () => {
    throwsAws(
      () => withAttr('a', { DataType: 'Binary', BinaryValue: b64('x'), StringValue: 'x' }),
      'InvalidParameterValue',
      /must not have a StringValue/,
    );
    throwsAws(
      () => withAttr('a', { DataType: 'String', StringValue: 'x', BinaryValue: b64('x') }),
      'InvalidParameterValue',
      /must not have a BinaryValue/,
    );
  });
});

describe('empty attribute values', () => {
  test('String and Number need a non-empty StringValue', () => {
    throwsAws(() => withAttr('a', str('')), 'InvalidParameterValue', /non-empty value of type 'String'/);
    throwsAws(() => withAttr('a', { DataType: 'String' }), 'InvalidParameterValue', /non-empty value/);
    throwsAws(() => withAttr('a', num('')), 'InvalidParameterValue', /non-empty value of type 'Number'/);
  });

  test('Binary needs a non-empty BinaryValue', () => {
    throwsAws(
      () => withAttr('a', { DataType: 'Binary', BinaryValue: '' }),
      'InvalidParameterValue',
      /non-empty value of type 'Binary'/,
    );
    throwsAws(() => withAttr('a', { DataType: 'Binary' }), 'InvalidParameterValue', /non-empty value of type 'Binary'/);
  });
});

describe('Number attribute values', () => {
  const valid = [
    '0',
    '-0',
    '-1',
    '+1',
    '1.5',
    '.5',
    '1.',
    '1e10',
    '1E-5',
    '-2.5e+3',
    '12345678901234567890123456789012345678', // 38 digits
    '1.0000000000000000000000000000000000001', // 38 significant digits
    '0.00012345678901234567890123456789012345678', // leading zeros are not significant
    '1e126',
    '9.99e126',
    '1e-128',
    '0.001e-125',
  ];
  for (const value of valid) {
    test(`accepts ${value}`, () => {
      assert.ok(withAttr('n', num(value)) > 0);
    });
  }

  const invalid = [
    'abc',
    '1.2.3',
    '1e',
    'e5',
    'NaN',
    'Infinity',
    '0x10',
    '1,000',
    '123456789012345678901234567890123456789', // 39 digits
    '1.00000000000000000000000000000000000001', // 39 significant digits
    '1e127',
    '10e126',
    '1e-129',
    '0.01e-127',
    `1${'0'.repeat(127)}`,
  ];
  for (const value of invalid) {
    test(`rejects ${value.length > 30 ? `${value.slice(0, 12)}… (${value.length} chars)` : value}`, () => {
      throwsAws(
        () => withAttr('n', num(value)),
        'InvalidParameterValue',
        /Can't cast the value of message \(user\) attribute 'n' to a number/,
      );
    });
  }

  test('the custom suffix keeps Number rules', () => {
    throwsAws(
      () => withAttr('n', { DataType: 'Number.int', StringValue: 'abc' }),
      'InvalidParameterValue',
      /to a number/,
    );
  });
});

describe('attribute count and list values', () => {
  const many = (n: number): MessageAttributes =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, str('v')]));

  test('ten attributes are allowed, eleven are not', () => {
    assert.equal(validateMessageAttributes(many(10), limits), 10 * (2 + 6 + 1));
    throwsAws(
      () => validateMessageAttributes(many(11), limits),
      'InvalidParameterValue',
      /Number of message attributes \[11\] exceeds the allowed maximum \[10\]/,
    );
  });

  test('the maximum follows limits.maxMessageAttributes', () => {
    throwsAws(
      () => validateMessageAttributes(many(3), { ...limits, maxMessageAttributes: 2 }),
      'InvalidParameterValue',
      /\[3\] exceeds the allowed maximum \[2\]/,
    );
  });

  test('list values are rejected', () => {
    throwsAws(
      () => withAttr('a', { DataType: 'String', StringValue: 'x', StringListValues: ['a'] }),
      'InvalidParameterValue',
      /list values are not supported/,
    );
    throwsAws(
      () => withAttr('a', { DataType: 'Binary', BinaryValue: b64('x'), BinaryListValues: [b64('y')] }),
      'InvalidParameterValue',
      /list values are not supported/,
    );
  });

  test('no attributes means size 0', () => {
    assert.equal(validateMessageAttributes(undefined, limits), 0);
    assert.equal(validateMessageAttributes({}, limits), 0);
  });
});

describe('message system attributes', () => {
  test('AWSTraceHeader of type String is accepted and sized', () => {
    const header = 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1';
    assert.equal(
      validateMessageSystemAttributes({ AWSTraceHeader: str(header) }),
      'AWSTraceHeader'.length + 6 + header.length,
    );
    assert.equal(validateMessageSystemAttributes(undefined), 0);
  });

  test('any other system attribute name is rejected', () => {
    for (const name of ['SenderId', 'awstraceheader', 'Foo']) {
      throwsAws(
        () => validateMessageSystemAttributes({ [name]: str('x') }),
        'InvalidParameterValue',
        /only supported message system attribute is AWSTraceHeader/,
      );
    }
  });

  test('AWSTraceHeader must be a String', () => {
    throwsAws(
      () => validateMessageSystemAttributes({ AWSTraceHeader: num('1') }),
      'InvalidParameterValue',
      /must be of type 'String'/,
    );
    throwsAws(
      () => validateMessageSystemAttributes({ AWSTraceHeader: { DataType: 'Binary', BinaryValue: b64('x') } }),
      'InvalidParameterValue',
    );
  });

  test('validateOutgoingMessage applies the system attribute rules', () => {
    throwsAws(
      () => send({ MessageBody: 'x', MessageSystemAttributes: { Other: str('x') } }),
      'InvalidParameterValue',
      /AWSTraceHeader/,
    );
    assert.ok(send({ MessageBody: 'x', MessageSystemAttributes: { AWSTraceHeader: str('Root=1') } }) > 1);
  });
});
