// The EventBridge event-pattern core, operator by operator, with the semantics AWS and event-ruler show that
// the docs do not (/work/shared/notes/event-pattern-semantics.md). The corpus run is in
// event-pattern-conformance.test.ts; these tests pin the reasoning behind it and the cases it lacks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  compileEventPattern,
  InvalidEventError,
  InvalidEventPatternError,
  matchesEvent,
  validateEventPattern,
  wildcardComplexity,
} from '../../src/core/event-pattern/index.js';

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Whether the event (object, or JSON text to keep number spellings) matches the pattern (same). */
function matches(pattern: unknown, event: unknown): boolean {
  return matchesEvent(compileEventPattern(text(pattern)), text(event));
}

/** The full error message for an invalid pattern; fails the test if the pattern is accepted. */
function refusal(pattern: unknown): string {
  const error = validateEventPattern(text(pattern));
  assert.ok(error, `expected ${text(pattern)} to be refused`);
  return error.message;
}

/** The first line of the reason: what AWS says, without Jackson's location. */
function reason(pattern: unknown): string {
  return refusal(pattern).replace('Event pattern is not valid. Reason: ', '').split('\n')[0] as string;
}

describe('exact values', () => {
  test('strings match exactly and case-sensitively, keys too', () => {
    assert.equal(matches({ a: ['x'] }, { a: 'x' }), true);
    assert.equal(matches({ a: ['x'] }, { a: 'X' }), false);
    assert.equal(matches({ A: ['x'] }, { a: 'x' }), false);
    assert.equal(matches({ a: [''] }, { a: '' }), true);
    assert.equal(matches({ a: [''] }, { a: ' ' }), false);
  });

  test('values are type-strict: "5" is not 5, "true" is not true', () => {
    assert.equal(matches({ a: ['5'] }, { a: 5 }), false);
    assert.equal(matches({ a: [5] }, { a: '5' }), false);
    assert.equal(matches({ a: [true] }, { a: 'true' }), false);
    assert.equal(matches({ a: [true] }, { a: true }), true);
    assert.equal(matches({ a: [false] }, { a: true }), false);
  });

  test('null matches JSON null only: not "null", not "", not a missing key, not an empty array', () => {
    assert.equal(matches({ a: [null] }, { a: null }), true);
    assert.equal(matches({ a: [null] }, { a: 'null' }), false);
    assert.equal(matches({ a: [null] }, { a: '' }), false);
    assert.equal(matches({ a: [null] }, { b: 1 }), false);
    assert.equal(matches({ a: [null] }, { a: [] }), false);
    assert.equal(matches({ a: [''] }, { a: null }), false);
  });

  test('numbers compare by value as well as by spelling, against the docs (AWS matched [300] with 300.0)', () => {
    assert.equal(matches('{"n": [300]}', '{"n": 300.0}'), true);
    assert.equal(matches('{"n": [300]}', '{"n": 3e2}'), true);
    assert.equal(matches('{"n": [3.018e2]}', '{"n": 301.8}'), true);
    assert.equal(matches('{"n": [300]}', '{"n": 300.5}'), false);
    assert.equal(matches('{"n": [0]}', '{"n": -0}'), true);
  });

  test('a number a double cannot hold exactly matches only its own spelling', () => {
    // 12345678901234567890 rounds to 12345678901234567168: no numeric test, exact text only.
    assert.equal(matches('{"n": [12345678901234567890]}', '{"n": 12345678901234567890}'), true);
    assert.equal(matches('{"n": [12345678901234567890]}', '{"n": 12345678901234567168}'), false);
    assert.equal(matches('{"n": [0.1]}', '{"n": 0.10000000000000001}'), false);
    assert.equal(matches('{"n": [123456789012]}', '{"n": 123456789012}'), true);
  });

  test('a string that is an IP address matches any spelling of that address', () => {
    assert.equal(matches({ ip: ['10.0.1.200'] }, { ip: '10.0.1.200' }), true);
    assert.equal(matches({ ip: ['10.0.1.200'] }, { ip: '010.000.001.200' }), true);
    assert.equal(matches({ ip: ['2001:db8::1'] }, { ip: '2001:0db8:0000:0000:0000:0000:0000:0001' }), true);
    assert.equal(matches({ ip: ['10.0.1.200'] }, { ip: '10.0.1.201' }), false);
    // Not an address (Java refuses it), so plain text comparison.
    assert.equal(matches({ t: ['08:23'] }, { t: '08:23' }), true);
  });
});

describe('structure: nesting, arrays, paths', () => {
  test('fields AND, values OR; fields absent from the pattern are ignored', () => {
    const pattern = { source: ['a', 'b'], detail: { state: ['on'] } };
    assert.equal(matches(pattern, { source: 'b', detail: { state: 'on', other: 1 }, x: 2 }), true);
    assert.equal(matches(pattern, { source: 'c', detail: { state: 'on' } }), false);
    assert.equal(matches(pattern, { source: 'a' }), false);
  });

  test('an event array matches if any element does', () => {
    assert.equal(matches({ r: ['x', 'y'] }, { r: ['z', 'y'] }), true);
    assert.equal(matches({ r: ['x'] }, { r: ['z'] }), false);
    assert.equal(matches({ r: [1] }, { r: [[0, [1]]] }), true);
  });

  test('arrays of objects are crushed into their fields', () => {
    assert.equal(matches({ a: { id: [{ exists: true }] } }, { a: [{}, { id: 'x' }, {}] }), true);
  });

  test('two fields must be satisfied within the same array element (array consistency)', () => {
    const people = {
      employees: [
        { first: 'Anna', last: 'Smith' },
        { first: 'Peter', last: 'Jones' },
      ],
    };
    assert.equal(matches({ employees: { first: ['Anna'], last: ['Smith'] } }, people), true);
    assert.equal(matches({ employees: { first: ['Anna'], last: ['Jones'] } }, people), false);
    // Scalars in an array are not elements of their own: they share their parent's element. (The pattern
    // needs a duplicate key to name both the array's scalars, path p, and its objects' fields, path p.tag.)
    const mixed = '{"p": [1], "p": {"tag": ["x"]}}';
    assert.equal(matches(mixed, { p: [[{ tag: 'x' }, 0, 1]] }), true);
    assert.equal(matches(mixed, { p: [[{ tag: 'x' }], [0, 1]] }), false);
  });

  test('dotted keys in the pattern or the event address the same path', () => {
    assert.equal(matches({ d: { 'a.b': ['x'] } }, { d: { a: { b: 'x' } } }), true);
    assert.equal(matches({ d: { a: { b: ['x'] } } }, { d: { 'a.b': 'x' } }), true);
    assert.equal(matches({ d: { 'a.b': { b: ['x'] } } }, { d: { a: { b: 'x' } } }), false);
  });

  test('JSON inside a string is not parsed', () => {
    assert.equal(matches({ detail: { k: ['v'] } }, { detail: '{"k": "v"}' }), false);
  });

  test('a duplicate key: the last one wins within a path, nested duplicates all count', () => {
    assert.equal(matches('{"x": ["y"], "x": ["z"]}', '{"x": "y"}'), false);
    assert.equal(matches('{"x": ["y"], "x": ["z"]}', '{"x": "z"}'), true);
    // The parser streams: both objects under "a" contribute (a.b and a.c), as in event-ruler.
    assert.equal(matches('{"a": {"b": ["1"]}, "a": {"c": ["2"]}}', '{"a": {"b": "1", "c": "2"}}'), true);
    assert.equal(matches('{"a": {"b": ["1"]}, "a": {"c": ["2"]}}', '{"a": {"c": "2"}}'), false);
  });

  test('a duplicate key in the event text: every occurrence is a leaf', () => {
    assert.equal(matches({ x: ['y'] }, '{"x": "y", "x": "z"}'), true);
  });
});

describe('prefix and suffix', () => {
  test('case-sensitive, strings only; an empty operand matches every string', () => {
    assert.equal(matches({ t: [{ prefix: '2022-' }] }, { t: '2022-07-13' }), true);
    assert.equal(matches({ t: [{ prefix: 'ab' }] }, { t: 'AB' }), false);
    assert.equal(matches({ f: [{ suffix: '.png' }] }, { f: 'a.png' }), true);
    assert.equal(matches({ f: [{ suffix: '.PNG' }] }, { f: 'a.png' }), false);
    assert.equal(matches({ s: [{ prefix: '' }] }, { s: '' }), true);
    assert.equal(matches({ s: [{ suffix: '' }] }, { s: 'x' }), true);
    assert.equal(matches({ s: [{ prefix: '' }] }, { s: 12 }), false);
    assert.equal(matches({ s: [{ prefix: '1' }] }, { s: 12 }), false);
  });

  test('equals-ignore-case forms', () => {
    assert.equal(matches({ s: [{ prefix: { 'equals-ignore-case': 'EventB' } }] }, { s: 'eVENTbridge' }), true);
    assert.equal(matches({ s: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { s: 'IMAGE.PNG' }), true);
    assert.equal(matches({ s: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { s: 'image.jpg' }), false);
  });

  test('operand errors', () => {
    assert.equal(reason({ t: [{ prefix: 123 }] }), 'prefix match pattern must be a string');
    assert.equal(reason({ t: [{ suffix: ['.png'] }] }), 'suffix match pattern must be a string');
    assert.equal(reason({ t: [{ prefix: { nope: 'x' } }] }), 'Unsupported prefix pattern: nope');
    assert.equal(reason({ t: [{ suffix: {} }] }), 'Suffix expression name not found');
    assert.equal(
      reason({ t: [{ prefix: { 'equals-ignore-case': 5 } }] }),
      'equals-ignore-case match pattern must be a string',
    );
    assert.equal(
      reason({ t: [{ prefix: { 'equals-ignore-case': 'a', x: 1 } }] }),
      'Only one key allowed in match expression',
    );
  });
});

describe('equals-ignore-case', () => {
  test('matches the whole value ignoring case; "" only matches ""', () => {
    assert.equal(matches({ d: [{ 'equals-ignore-case': 'ec2 instance' }] }, { d: 'EC2 Instance' }), true);
    assert.equal(matches({ d: [{ 'equals-ignore-case': 'abc' }] }, { d: 'abcd' }), false);
    assert.equal(matches({ d: [{ 'equals-ignore-case': '' }] }, { d: '' }), true);
    assert.equal(matches({ d: [{ 'equals-ignore-case': '' }] }, { d: 'x' }), false);
    assert.equal(matches({ d: [{ 'equals-ignore-case': '5' }] }, { d: 5 }), false);
  });

  test('each pattern character stands for its lower- and upper-case forms, whatever their length', () => {
    assert.equal(matches({ d: [{ 'equals-ignore-case': 'straße' }] }, { d: 'STRASSE' }), true);
    assert.equal(matches({ d: [{ 'equals-ignore-case': 'straße' }] }, { d: 'Straße' }), true);
    assert.equal(matches({ d: [{ 'equals-ignore-case': 'ΣΊΣΥΦΟΣ' }] }, { d: 'σίσυφοσ' }), true);
  });

  test('operand must be a string', () => {
    assert.equal(reason({ d: [{ 'equals-ignore-case': ['x'] }] }), 'equals-ignore-case match pattern must be a string');
    assert.equal(
      reason({ d: [{ 'equals-ignore-case': { prefix: 'x' } }] }),
      'equals-ignore-case match pattern must be a string',
    );
  });
});

describe('anything-but', () => {
  test('single values and lists, strings or numbers', () => {
    assert.equal(matches({ s: [{ 'anything-but': 'init' }] }, { s: 'run' }), true);
    assert.equal(matches({ s: [{ 'anything-but': 'init' }] }, { s: 'init' }), false);
    assert.equal(matches({ s: [{ 'anything-but': ['a', 'b'] }] }, { s: 'b' }), false);
    assert.equal(matches({ n: [{ 'anything-but': [100, 200] }] }, { n: 300 }), true);
    assert.equal(matches('{"n": [{"anything-but": [100, 200]}]}', '{"n": 1e2}'), false);
  });

  test('matches null, booleans and values of the other type; not a missing field, an object or []', () => {
    assert.equal(matches({ s: [{ 'anything-but': 'x' }] }, { s: null }), true);
    assert.equal(matches({ s: [{ 'anything-but': 'x' }] }, { s: true }), true);
    assert.equal(matches({ s: [{ 'anything-but': '5' }] }, { s: 5 }), true);
    assert.equal(matches({ s: [{ 'anything-but': 5 }] }, { s: '5' }), true);
    assert.equal(matches({ s: [{ 'anything-but': 'x' }] }, { t: 1 }), false);
    assert.equal(matches({ s: [{ 'anything-but': 'x' }] }, { s: { y: 1 } }), false);
    assert.equal(matches({ s: [{ 'anything-but': 'x' }] }, { s: [] }), false);
  });

  test('against an event array: matches if any element is not excluded', () => {
    assert.equal(matches({ s: [{ 'anything-but': 'x' }] }, { s: ['x', 'y'] }), true);
    assert.equal(matches({ s: [{ 'anything-but': 'x' }] }, { s: ['x', 'x'] }), false);
  });

  test('prefix, suffix, equals-ignore-case and wildcard forms exclude what the operator matches', () => {
    assert.equal(matches({ s: [{ 'anything-but': { prefix: 'init' } }] }, { s: 'initial' }), false);
    assert.equal(matches({ s: [{ 'anything-but': { prefix: ['a', 'b'] } }] }, { s: 'cab' }), true);
    assert.equal(matches({ s: [{ 'anything-but': { prefix: 'init' } }] }, { s: 12 }), true);
    assert.equal(matches({ f: [{ 'anything-but': { suffix: '.txt' } }] }, { f: 'a.txt' }), false);
    assert.equal(matches({ f: [{ 'anything-but': { suffix: '.txt' } }] }, { f: null }), true);
    assert.equal(matches({ s: [{ 'anything-but': { 'equals-ignore-case': ['stopped'] } }] }, { s: 'Stopped' }), false);
    assert.equal(matches({ p: [{ 'anything-but': { wildcard: '*/init/*' } }] }, { p: 'dir/init/file' }), false);
    assert.equal(matches({ p: [{ 'anything-but': { wildcard: '*/dir/*' } }] }, { p: 'dir/init/file' }), true);
    // An empty wildcard excludes only the empty string.
    assert.equal(matches({ p: [{ 'anything-but': { wildcard: '' } }] }, { p: 'x' }), true);
    assert.equal(matches({ p: [{ 'anything-but': { wildcard: '' } }] }, { p: '' }), false);
  });

  test('operand errors, with AWS texts', () => {
    assert.equal(
      reason({ s: [{ 'anything-but': null }] }),
      'Value of anything-but must be an array or single string/number value.',
    );
    assert.equal(
      reason({ s: [{ 'anything-but': ['a', null] }] }),
      'Inside anything but list, start|null|boolean is not supported.',
    );
    assert.equal(
      reason({ s: [{ 'anything-but': ['a', 1] }] }),
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    );
    assert.equal(reason({ s: [{ 'anything-but': { prefix: '' } }] }), 'Null prefix/suffix not allowed');
    assert.equal(reason({ s: [{ 'anything-but': { suffix: ['a', ''] } }] }), 'Null prefix/suffix not allowed');
    assert.equal(reason({ s: [{ 'anything-but': { prefix: 1 } }] }), 'prefix/suffix match pattern must be a string');
    assert.equal(
      reason({ s: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'x' } } }] }),
      'Value of anything-but must be an array or single string/number value.',
    );
    assert.equal(
      reason({ s: [{ 'anything-but': { 'equals-ignore-case': 1 } }] }),
      'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
    );
    assert.equal(reason({ s: [{ 'anything-but': { wildcard: [1] } }] }), 'wildcard match pattern must be a string');
    assert.equal(reason({ s: [{ 'anything-but': { regex: 'x' } }] }), 'Unsupported anything-but pattern: regex');
    // event-ruler's wording for an extra key, whatever the operator.
    assert.equal(reason({ s: [{ 'anything-but': 'x', y: 1 }] }), 'Too many elements in numeric expression');
  });

  test('errors met inside an anything-but list carry the location twice, as AWS reports them', () => {
    const message = refusal('{"s": [{"anything-but": ["a", null]}]}');
    assert.equal(message.match(/\n at \[Source:/g)?.length, 2);
  });
});

describe('numeric', () => {
  test('bounds, open and closed, one or two sided', () => {
    const range = { n: [{ numeric: ['>', 0, '<=', 5] }] };
    assert.equal(matches(range, { n: 5 }), true);
    assert.equal(matches(range, { n: 0 }), false);
    assert.equal(matches(range, { n: 0.0001 }), true);
    assert.equal(matches(range, { n: 5.0001 }), false);
    assert.equal(matches({ n: [{ numeric: ['>=', -1] }] }, { n: -1 }), true);
    assert.equal(matches({ n: [{ numeric: ['<', 10] }] }, { n: 10 }), false);
    assert.equal(matches({ n: [{ numeric: ['=', 301.8] }] }, { n: 301.8 }), true);
    assert.equal(matches('{"n": [{"numeric": [">", 100]}]}', '{"n": 101.0}'), true);
    assert.equal(matches({ n: [{ numeric: ['>', 1e10] }] }, { n: 2e10 }), true);
  });

  test('only JSON numbers: not strings, not null', () => {
    assert.equal(matches({ n: [{ numeric: ['>', 100] }] }, { n: '300' }), false);
    assert.equal(matches({ n: [{ numeric: ['>', 100] }] }, { n: null }), false);
    // An event number a double cannot hold never satisfies a numeric test.
    assert.equal(matches('{"n": [{"numeric": [">", 0]}]}', '{"n": 1e400}'), false);
  });

  test('syntax errors, with event-ruler texts', () => {
    assert.equal(reason({ n: [{ numeric: 10 }] }), 'Value of numeric must be an array.');
    assert.equal(reason({ n: [{ numeric: ['>', 0, '>', 0] }] }), 'Bad numeric range operator: >');
    assert.equal(reason({ n: [{ numeric: ['>', 0, '<'] }] }), 'Value of < must be numeric');
    assert.equal(reason({ n: [{ numeric: ['<', 1, '>', 0] }] }), 'Too many elements in numeric expression');
    assert.equal(reason({ n: [{ numeric: ['>', 1, '<', 1] }] }), 'Bottom must be less than top');
    assert.equal(reason({ n: [{ numeric: ['==', 1] }] }), 'Unrecognized numeric range operator: ==');
    assert.equal(reason({ n: [{ numeric: ['=', true] }] }), 'Value of equals must be numeric');
    assert.equal(reason({ n: [{ numeric: [1] }] }), 'Invalid member in numeric match: 1');
    assert.equal(reason({ n: [{ numeric: ['>', 0, 5] }] }), 'Bad value in numeric range: 5');
    assert.equal(reason({ n: [{ numeric: ['>', 0, '<', 5, 6] }] }), 'Too many terms in numeric range expression');
    assert.equal(reason({ n: [{ NUMERIC: ['=', 5] }] }), 'Unrecognized match type NUMERIC');
  });

  test('an operand a double cannot hold exactly is refused', () => {
    assert.equal(
      reason('{"n": [{"numeric": ["=", 0.10000000000000001]}]}'),
      'Cannot compare number : 0.10000000000000001',
    );
    assert.equal(reason('{"n": [{"numeric": ["<", 1E309]}]}'), 'Cannot compare number : 1E309');
    assert.equal(reason('{"n": [{"anything-but": [1, 1e-400]}]}'), 'Cannot compare number : 1e-400');
  });
});

describe('cidr', () => {
  test('IPv4 ranges are inclusive and ignore host bits', () => {
    assert.equal(matches({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.255' }), true);
    assert.equal(matches({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.1.0' }), false);
    assert.equal(matches({ ip: [{ cidr: '220.160.154.255/24' }] }, { ip: '220.160.154.0' }), true);
    assert.equal(matches({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.256' }), false);
    assert.equal(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 10 }), false);
    assert.equal(matches({ ip: [{ cidr: '0.0.0.0/0' }] }, { ip: '255.255.255.255' }), true);
  });

  test('IPv6 compares addresses, not text; families do not mix', () => {
    const v6 = { ip: [{ cidr: '2001:db8:1234:1a00::/64' }] };
    assert.equal(matches(v6, { ip: '2001:0db8:1234:1a00:0000:0000:0000:0000' }), true);
    assert.equal(matches(v6, { ip: '2001:db8:1234:1a00:ffff:ffff:ffff:ffff' }), true);
    assert.equal(matches(v6, { ip: '2001:db8:1234:1a01::' }), false);
    assert.equal(matches({ ip: [{ cidr: '::/0' }] }, { ip: '10.0.0.1' }), false);
    // An IPv4-mapped IPv6 address is the IPv4 address, as Java reads it.
    assert.equal(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '::ffff:a00:1' }), true);
  });

  test('malformed blocks are refused without a JSON location', () => {
    assert.equal(
      refusal({ ip: [{ cidr: 'bad-filter' }] }),
      "Event pattern is not valid. Reason: Malformed CIDR, one '/' required",
    );
    assert.equal(reason({ ip: [{ cidr: '10.0.0.0/x' }] }), 'Malformed CIDR, mask bits must be an integer');
    assert.equal(reason({ ip: [{ cidr: '10.0.0.0/-1' }] }), 'Malformed CIDR, mask bits must not be negative');
    assert.equal(reason({ ip: [{ cidr: 'xx.11.xx/8' }] }), 'Nonstandard IP address: xx.11.xx');
    assert.equal(reason({ ip: [{ cidr: '10.0.0.300/8' }] }), 'Invalid IP address: 10.0.0.300');
    assert.equal(reason({ ip: [{ cidr: '10.0.0.1/32' }] }), 'IPv4 mask bits must be < 32');
    assert.equal(reason({ ip: [{ cidr: '::1/128' }] }), 'IPv6 mask bits must be < 128');
    // A non-string operand gets the prefix message (sic), with a location.
    assert.match(
      refusal({ ip: [{ cidr: ['10.0.0.0/8'] }] }),
      /Reason: prefix match pattern must be a string\n at \[Source/,
    );
  });
});

describe('exists', () => {
  test('true: any leaf, null included; not an object, not an empty array', () => {
    assert.equal(matches({ a: [{ exists: true }] }, { a: null }), true);
    assert.equal(matches({ a: [{ exists: true }] }, { a: { b: 1 } }), false);
    assert.equal(matches({ a: [{ exists: true }] }, { a: [] }), false);
    assert.equal(matches({ a: [{ exists: true }] }, { b: 1 }), false);
  });

  test('false: no leaf at the path, including under a missing parent or an object value', () => {
    assert.equal(matches({ a: { b: { c: [{ exists: false }] } } }, { a: 'x' }), true);
    assert.equal(matches({ a: [{ exists: false }] }, { a: { b: 1 } }), true);
    assert.equal(matches({ a: [{ exists: false }] }, { a: [] }), true);
    assert.equal(matches({ a: [{ exists: false }] }, { a: null }), false);
  });

  test('false is judged within the array element of the fields that sort before it', () => {
    const event = { e: [{ first: 'John', ids: [1] }, { first: 'Anna' }] };
    assert.equal(matches({ e: { first: ['Anna'], ids: [{ exists: false }] } }, event), true);
    assert.equal(matches({ e: { first: ['John'], ids: [{ exists: false }] } }, event), false);
    // event-ruler walks fields in path order: an absence that sorts first sees no element constraint yet.
    assert.equal(matches({ e: { a: [{ exists: false }], b: ['x'] } }, { e: [{ a: 1 }, { b: 'x' }] }), false);
    assert.equal(matches({ e: { z: [{ exists: false }], b: ['x'] } }, { e: [{ z: 1 }, { b: 'x' }] }), true);
  });

  test('mixed with other operators it is one more alternative', () => {
    const pattern = { s: [{ 'anything-but': ['roses'] }, { exists: false }] };
    assert.equal(matches(pattern, { t: 1 }), true);
    assert.equal(matches(pattern, { s: 'tulips' }), true);
    assert.equal(matches(pattern, { s: 'roses' }), false);
  });

  test('operand must be a boolean, and alone', () => {
    assert.equal(reason({ a: [{ exists: 'yes' }] }), 'exists match pattern must be either true or false.');
    assert.equal(reason({ a: [{ exists: true, x: 1 }] }), 'Only one key allowed in match expression');
    assert.equal(reason({ a: [{ EXISTS: true }] }), 'Unrecognized match type EXISTS');
  });
});

describe('wildcard', () => {
  test('* matches any run of characters, including none', () => {
    assert.equal(matches({ a: [{ wildcard: '*' }] }, { a: '' }), true);
    assert.equal(matches({ a: [{ wildcard: 'd*f' }] }, { a: 'df' }), true);
    assert.equal(matches({ a: [{ wildcard: 'd*ff' }] }, { a: 'dexef' }), false);
    assert.equal(matches({ a: [{ wildcard: '*bc' }] }, { a: 'abcbc' }), true);
    assert.equal(matches({ a: [{ wildcard: '12*4*' }] }, { a: '1235' }), false);
    assert.equal(matches({ a: [{ wildcard: '' }] }, { a: 'x' }), false);
    assert.equal(matches({ a: [{ wildcard: '*' }] }, { a: 1 }), false);
  });

  test('\\* is a literal star and \\\\ a literal backslash', () => {
    assert.equal(matches({ a: [{ wildcard: 'a\\*b' }] }, { a: 'a*b' }), true);
    assert.equal(matches({ a: [{ wildcard: 'a\\*b' }] }, { a: 'axb' }), false);
    assert.equal(matches({ a: [{ wildcard: 'a\\\\*' }] }, { a: 'a\\bc' }), true);
  });

  test('bad escapes and consecutive stars; positions count UTF-8 bytes of the quoted value', () => {
    assert.equal(reason({ a: [{ wildcard: 'abc**def' }] }), 'Consecutive wildcard characters at pos 4');
    assert.equal(reason({ a: [{ wildcard: 'é**' }] }), 'Consecutive wildcard characters at pos 3');
    assert.equal(reason({ a: [{ wildcard: 'ab\\c' }] }), 'Invalid escape character at pos 3');
    assert.equal(reason({ a: [{ wildcard: 'ab\\' }] }), 'Invalid escape character at pos 3');
    assert.equal(reason({ a: [{ wildcard: 5 }] }), 'wildcard match pattern must be a string');
  });

  test('complexity: event-ruler MachineComplexityEvaluatorTest values and AWS observations', () => {
    // (expected, patterns) pairs from aws/event-ruler src/test/.../MachineComplexityEvaluatorTest.java.
    const vectors: [number, string[]][] = [
      [1, ['*']],
      [1, ['abc']],
      [2, ['*ab']],
      [3, ['*aa']],
      [2, ['a*b']],
      [2, ['aa*']],
      [4, ['a*bbb']],
      [4, ['*ab*ad']],
      [5, ['a*b*bb']],
      [3, ['ab*b*']],
      [4, ['*abc', '*abcde']],
      [7, ['a*aaa', 'aa*aa']],
      [6, ['ab*cd', 'ab*wx', 'ab*yz']],
      [7, ['*ab*b*b*']],
      [17, ['*a*a*a*a*a*a*a*a*']],
      [2, ['ab*c', 'ab*c']],
      [10, ['F*eatureFeature', 'Fe*atureFeature', 'Fea*tureFeature']],
      // AWS refused the first (11) and accepted the others (7, 3).
      [11, ['*:*:*:*:*:event-bus/*']],
      [7, ['/Users/*/dir/dir/dir/dir/dir/doc.txt']],
      [3, ['arn:aws:events:us-east-1:*:event-bus/*']],
    ];
    for (const [expected, patterns] of vectors) {
      assert.equal(wildcardComplexity(patterns, 100), expected, patterns.join(' '));
    }
    const quaminaExploder =
      'aahed* aal*ii aargh* aarti* a*baca *abaci a*back ab*acs abaf*t *abaka ab*amp a*band *abase abash* abas*k ' +
      'ab*ate aba*ya abbas* abbed* ab*bes abbey* *abbot ab*cee abea*m abe*ar a*bele a*bers abet*s *abhor abi*de a*bies *abled';
    assert.equal(wildcardComplexity(quaminaExploder.split(' '), 100), 45);
  });

  test('complexity above 10 is refused; wildcards sharing a field count together', () => {
    const tooComplex =
      'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';
    assert.equal(
      refusal({ a: [{ wildcard: '*:*:*:*:*:event-bus/*' }] }),
      `Event pattern is not valid. Reason: ${tooComplex}`,
    );
    assert.equal(validateEventPattern(text({ a: [{ wildcard: '*a*a*a*a*' }] })), undefined); // 9
    assert.equal(reason({ a: [{ wildcard: '*a*a*a*a*' }, { wildcard: '*b*b*' }] }), tooComplex); // 9 + 5
    assert.equal(reason({ $or: [{ a: [{ wildcard: '*a*a*a*a*' }] }, { a: [{ wildcard: '*b*b*' }] }] }), tooComplex);
    // Different fields are different matchers; anything-but wildcards do not count.
    assert.equal(validateEventPattern(text({ a: [{ wildcard: '*a*a*a*a*' }], b: [{ wildcard: '*b*b*' }] })), undefined);
    assert.equal(validateEventPattern(text({ a: [{ 'anything-but': { wildcard: '*:*:*:*:*:*:*' } }] })), undefined);
  });
});

describe('$or', () => {
  test('any branch matches; branches are ANDed with their siblings and may nest', () => {
    const pattern = { source: ['s'], detail: { $or: [{ a: [1] }, { b: [2], $or: [{ c: [3] }, { d: [4] }] }] } };
    assert.equal(matches(pattern, { source: 's', detail: { a: 1 } }), true);
    assert.equal(matches(pattern, { source: 's', detail: { b: 2, d: 4 } }), true);
    assert.equal(matches(pattern, { source: 's', detail: { b: 2 } }), false);
    assert.equal(matches(pattern, { source: 't', detail: { a: 1 } }), false);
  });

  test('a key repeated around an $or replaces the earlier one in the branches it reaches', () => {
    const pattern = '{"a": ["1"], "$or": [{"a": ["2"]}, {"b": ["3"]}]}';
    assert.equal(matches(pattern, { a: '2' }), true);
    assert.equal(matches(pattern, { a: '1', b: '3' }), true);
    assert.equal(matches(pattern, { a: '1' }), false);
  });

  test('structure errors', () => {
    assert.equal(reason({ $or: [{ a: [1] }] }), 'There must have at least 2 Objects in $or relationship.');
    assert.equal(reason({ $or: { a: [1] } }), 'It must be an Array followed with $or.');
    assert.equal(
      reason({ $or: [{ a: [1] }, [{ b: [2] }]] }),
      'Only JSON object is allowed in array of $or relationship.',
    );
    assert.equal(
      reason({ x: { $or: [{ numeric: ['>', 0] }, { b: [1] }] } }),
      'numeric is Ruler reserved fieldName which cannot be used inside $or.',
    );
    assert.equal(reason({ $or: [{ a: [1] }, {}] }), 'Empty objects are not allowed');
  });

  test('at most 1000 combinations', () => {
    const branches = (n: number, key: string) => Array.from({ length: n }, (_, i) => ({ [key]: [i] }));
    const thousand = { a: { $or: branches(10, 'x') }, b: { $or: branches(10, 'y') }, c: { $or: branches(10, 'z') } };
    assert.equal(compileEventPattern(text(thousand)).subRules.length, 1000);
    const more = { ...thousand, d: { $or: branches(2, 'w') } };
    assert.match(reason(more), /more than 1000 combinations/);
  });
});

describe('pattern errors', () => {
  test('InvalidEventPatternError carries the code and the reason', () => {
    const error = validateEventPattern('{"a": 1}');
    assert.ok(error instanceof InvalidEventPatternError);
    assert.equal(error.code, 'InvalidEventPatternException');
    assert.equal(error.name, 'InvalidEventPatternException');
    assert.equal(
      error.reason,
      '"a" must be an object or an array\n at [Source: (String)"{"a": 1}"; line: 1, column: 8]',
    );
    assert.throws(() => compileEventPattern('{"a": 1}'), InvalidEventPatternError);
  });

  test('shape errors', () => {
    assert.equal(reason([1, 2]), 'Filter is not an object');
    assert.equal(reason(''), 'Filter is not an object');
    assert.equal(reason({ a: [] }), 'Empty arrays are not allowed');
    assert.equal(reason({ a: {} }), 'Empty objects are not allowed');
    assert.equal(reason({}), 'Empty objects are not allowed');
    assert.equal(reason({ a: [[1]] }), 'Match value must be String, number, true, false, or null');
    assert.equal(reason({ a: [{}] }), 'Match expression name not found');
    assert.equal(reason({ a: [{ prefix: 'x', suffix: 'y' }] }), 'Only one key allowed in match expression');
    assert.equal(reason({ a: [{ exactly: 1 }] }), 'exact match pattern must be a string');
  });

  test('the first problem in reading order wins, as in AWS', () => {
    // The leaf is refused before the bad escape in its string is read.
    assert.equal(reason('{"a": "\\q"}'), '"a" must be an object or an array');
    assert.equal(reason('{"a": ["\\q"]}'), "Unrecognized character escape 'q' (code 113)");
  });

  test('JSON syntax errors read as Jackson words them, with its location', () => {
    assert.equal(
      refusal('this is not json'),
      "Event pattern is not valid. Reason: Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"this is not json\"; line: 1, column: 5]",
    );
    assert.equal(
      reason("{'a': ['b']}"),
      "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
    );
    assert.equal(
      reason('{"a": [1 2]}'),
      "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries",
    );
    assert.equal(reason('{"a": [01]}'), 'Invalid numeric value: Leading zeroes not allowed');
    assert.equal(reason('{"a": [1,]}'), "Unexpected character (']' (code 93)): expected a value");
    assert.equal(
      reason('{"a": ["x"}'),
      'Unexpected close marker \'}\': expected \']\' (for Array starting at [Source: (String)"{"a": ["x"}"; line: 1, column: 7])',
    );
    assert.equal(
      reason('{"a": ["x"]'),
      'Unexpected end-of-input: expected close marker for Object (start marker at [Source: (String)"{"a": ["x"]"; line: 1, column: 1])',
    );
    assert.equal(
      reason('{"a": ["x\ny"]}'),
      'Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value',
    );
  });

  test('locations count lines, and long sources are truncated at 500 characters', () => {
    assert.match(refusal('{\n  "a": [\n    []\n  ]\n}'), /; line: 3, column: 6\]$/);
    const long = `{"a": ["${'x'.repeat(600)}"], "b": 1}`;
    assert.match(refusal(long), /"\[truncated 119 chars\]; line: 1, column: 619\]$/);
  });

  test('whatever follows the pattern object is not read, as in event-ruler', () => {
    assert.equal(validateEventPattern('{"a": ["x"]} trailing'), undefined);
  });
});

describe('events', () => {
  test('large arrays stay linear: consistency checks look leaves up by element', { timeout: 20_000 }, () => {
    const n = 20_000;
    const people = JSON.stringify({ e: Array.from({ length: n }, (_, i) => ({ first: 'Anna', last: `S${i}` })) });
    assert.equal(matches({ e: { first: ['Anna'], last: ['Jones'] } }, people), false);
    assert.equal(matches({ e: { first: ['Anna'], last: [`S${n - 1}`] } }, people), true);
    const siblings = JSON.stringify({
      a: Array.from({ length: n }, (_, i) => ({ x: i })),
      b: Array.from({ length: n }, (_, i) => ({ y: i })),
    });
    assert.equal(matches({ a: { x: [{ exists: true }] }, b: { y: [-1] } }, siblings), false);
  });

  const pattern = compileEventPattern('{"a": ["x"]}');

  test('an event must be a JSON object', () => {
    for (const bad of ['not json', '"a string"', '["x"]', '{"a": "x"', '', 42, null, ['x']]) {
      assert.throws(
        () => matchesEvent(pattern, bad),
        (e: unknown) => e instanceof InvalidEventError && e.message === 'Parameter Event is not valid.',
        String(bad),
      );
    }
  });

  test('text and parsed events match alike', () => {
    assert.equal(matchesEvent(pattern, { a: 'x' }), true);
    assert.equal(matchesEvent(pattern, '{"a": "x"}'), true);
    assert.equal(matchesEvent(pattern, { a: ['y', 'x'] }), true);
    assert.throws(() => matchesEvent(pattern, { a: Number.NaN }), InvalidEventError);
  });

  test('requireEnvelope asks for the fields TestEventPattern requires; resources and detail are optional', () => {
    const envelope = { id: '1', account: '123456789012', source: 's', time: 't', region: 'r', 'detail-type': 'd' };
    assert.equal(matchesEvent(pattern, { ...envelope, a: 'x' }, { requireEnvelope: true }), true);
    assert.throws(() => matchesEvent(pattern, { a: 'x' }, { requireEnvelope: true }), InvalidEventError);
    assert.equal(matchesEvent(pattern, { a: 'x' }), true);
  });
});

describe('properties', () => {
  const scalar = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', '-', '_'), minLength: 1, maxLength: 4 });

  test('an event matches the pattern listing its own values, parsed or as text', () => {
    fc.assert(
      fc.property(fc.dictionary(key, scalar, { minKeys: 1, maxKeys: 5 }), (event) => {
        const pattern = compileEventPattern(
          JSON.stringify(Object.fromEntries(Object.entries(event).map(([k, v]) => [k, [v]]))),
        );
        assert.equal(matchesEvent(pattern, event), true);
        assert.equal(matchesEvent(pattern, JSON.stringify(event)), true);
      }),
    );
  });

  test('anything-but of a value, of a list holding it, or of its prefix never matches an event with that value', () => {
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -1e6, max: 1e6 }));
    fc.assert(
      fc.property(
        fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }),
        fc.nat(),
        fc.array(value),
        (event, pick, others) => {
          const entries = Object.entries(event);
          const [field, own] = entries[pick % entries.length] as [string, string | number];
          const excluded =
            typeof own === 'string'
              ? others.filter((o) => typeof o === 'string')
              : others.filter((o) => typeof o === 'number');
          const patterns: unknown[] = [{ 'anything-but': own }, { 'anything-but': [...excluded, own] }];
          if (typeof own === 'string' && own.length > 0)
            patterns.push({ 'anything-but': { prefix: own.slice(0, 1 + (pick % own.length)) } });
          for (const condition of patterns) {
            const pattern = compileEventPattern(JSON.stringify({ [field]: [condition] }));
            assert.equal(matchesEvent(pattern, JSON.stringify(event)), false, JSON.stringify(condition));
          }
        },
      ),
    );
  });

  test('any leaf of a nested event, arrays included, matches a pattern naming its path and value', () => {
    const leafValue = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null));
    const shortKey = fc.constantFrom('a', 'b', 'c');
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leafValue, tie('array'), tie('object')),
      array: fc.array(tie('tree'), { maxLength: 3 }),
      object: fc.dictionary(shortKey, tie('tree'), { maxKeys: 3 }),
    }));
    const event = fc.dictionary(shortKey, tree, { minKeys: 1, maxKeys: 3 });
    const leavesOf = (value: unknown, path: string[], out: [string[], unknown][]): [string[], unknown][] => {
      if (Array.isArray(value)) for (const item of value) leavesOf(item, path, out);
      else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) leavesOf(v, [...path, k], out);
      } else out.push([path, value]);
      return out;
    };
    fc.assert(
      fc.property(event, fc.nat(), (e, pick) => {
        const leaves = leavesOf(e, [], []);
        fc.pre(leaves.length > 0);
        const [path, value] = leaves[pick % leaves.length] as [string[], unknown];
        const pattern = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), [value]);
        const compiled = compileEventPattern(JSON.stringify(pattern));
        assert.equal(matchesEvent(compiled, e), true);
        assert.equal(matchesEvent(compiled, JSON.stringify(e)), true);
      }),
    );
  });

  test('wildcard matching agrees with the equivalent regular expression', () => {
    const wildcardText = fc
      .array(fc.constantFrom('a', 'b', '*'), { maxLength: 6 })
      .map((parts) => parts.join(''))
      .filter((w) => !w.includes('**'));
    const value = fc.string({ unit: fc.constantFrom('a', 'b'), maxLength: 8 });
    fc.assert(
      fc.property(wildcardText, value, (w, v) => {
        const compiled = (() => {
          try {
            return compileEventPattern(JSON.stringify({ f: [{ wildcard: w }] }));
          } catch {
            return undefined; // over the complexity limit
          }
        })();
        fc.pre(compiled !== undefined);
        if (compiled === undefined) return;
        const regex = new RegExp(`^${w.replaceAll('*', '.*')}$`, 's');
        assert.equal(matchesEvent(compiled, { f: v }), regex.test(v));
      }),
    );
  });

  test('numeric ranges agree with double comparison', () => {
    const n = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(n, n, (bound, value) => {
        const gt = compileEventPattern(`{"v": [{"numeric": [">", ${String(bound)}]}]}`);
        const eq = compileEventPattern(`{"v": [{"numeric": ["=", ${String(bound)}]}]}`);
        assert.equal(matchesEvent(gt, `{"v": ${String(value)}}`), value > bound);
        assert.equal(matchesEvent(eq, `{"v": ${String(value)}}`), value === bound);
      }),
    );
  });

  test('any text either compiles or is refused with InvalidEventPatternError', () => {
    const fragments = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ':',
      ',',
      '"a"',
      '"$or"',
      '1',
      'null',
      '"prefix"',
      '"x\\',
      ' ',
    );
    const noise = fc.oneof(
      fc.string(),
      fc.array(fragments, { maxLength: 20 }).map((parts) => parts.join('')),
      fc.json(),
    );
    fc.assert(
      fc.property(noise, (t) => {
        const error = validateEventPattern(t);
        assert.ok(error === undefined || error instanceof InvalidEventPatternError);
      }),
      { numRuns: 500 },
    );
  });
});
