// The bus-wide rule index must give exactly the answers of matching each pattern on its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type CompiledPattern,
  compileEventPattern,
  InvalidEventError,
  matchesEvent,
  RuleIndex,
} from '../../src/core/event-pattern/index.js';
import { conformanceCases } from '../helpers/conformance.js';

const cases = conformanceCases();

function matchOne(pattern: CompiledPattern, event: string): boolean | 'invalid' {
  try {
    return matchesEvent(pattern, event);
  } catch (error) {
    if (error instanceof InvalidEventError) return 'invalid';
    throw error;
  }
}

test('one index over every valid corpus pattern agrees with matching each pattern alone, for every corpus event', () => {
  assert.ok(cases.length > 500, 'the shared conformance corpus is missing');
  const patterns: { key: string; pattern: CompiledPattern }[] = [];
  const seen = new Set<string>();
  for (const c of cases) {
    if (c.expected === 'invalid' || seen.has(c.patternJson)) continue;
    seen.add(c.patternJson);
    try {
      patterns.push({ key: c.name, pattern: compileEventPattern(c.patternJson) });
    } catch {
      // invalid patterns have no place on a bus
    }
  }
  assert.ok(patterns.length > 200);
  const index = new RuleIndex(patterns);
  let compared = 0;
  let positives = 0;
  for (const eventJson of new Set(cases.map((c) => c.eventJson))) {
    const expected = patterns.map((p) => ({ key: p.key, result: matchOne(p.pattern, eventJson) }));
    if (expected.some((e) => e.result === 'invalid')) {
      assert.throws(() => index.match(eventJson), InvalidEventError);
      continue;
    }
    const want = expected.filter((e) => e.result === true).map((e) => e.key);
    assert.deepEqual(index.match(eventJson), want, `event ${eventJson}`);
    compared++;
    positives += want.length;
  }
  assert.ok(compared > 200 && positives > 100, `${compared} events, ${positives} matches`);
});

test('an event reaches only the rules filed under its own values, whatever the number of rules', () => {
  const entries = Array.from({ length: 5000 }, (_, i) => ({
    key: i,
    pattern: compileEventPattern(
      JSON.stringify({
        source: ['shop.orders'],
        detail: { marketplace: [`mkt-${i}`], total: [{ numeric: ['>', 10] }] },
      }),
    ),
  }));
  entries.push({ key: -1, pattern: compileEventPattern('{"detail":{"marketplace":[{"prefix":"mkt-12"}]}}') });
  const index = new RuleIndex(entries);
  const event = (marketplace: string, total: number) =>
    JSON.stringify({ source: 'shop.orders', detail: { marketplace, total } });
  assert.deepEqual(index.match(event('mkt-1234', 50)), [1234, -1]);
  assert.deepEqual(index.match(event('mkt-1234', 5)), [-1]);
  assert.deepEqual(index.match(event('mkt-99999', 50)), []);
  assert.deepEqual(new RuleIndex([]).match('{}'), []);
});

test('property: for random rules over a small vocabulary, the index equals rule-by-rule matching', () => {
  const value = fc.constantFrom('a', 'b', 'c', 'mkt-1', '10.0.0.1');
  const condition = fc.oneof(
    fc.array(value, { minLength: 1, maxLength: 3 }),
    value.map((v) => [{ prefix: v.slice(0, 1) }]),
    value.map((v) => [{ 'anything-but': v }]),
    fc.boolean().map((b) => [{ exists: b }]),
    fc.array(
      fc.oneof(
        value,
        value.map((v) => ({ prefix: v.slice(0, 2) })),
      ),
      { minLength: 1, maxLength: 3 },
    ),
    fc.constant([{ numeric: ['>', 1] }]),
  );
  const field = fc.constantFrom('source', 'kind', 'region');
  const pattern = fc.dictionary(field, condition, { minKeys: 1, maxKeys: 3 });
  const eventValue = fc.oneof(value, fc.integer({ min: 0, max: 3 }), fc.array(value, { maxLength: 2 }));
  const event = fc.dictionary(field, eventValue, { maxKeys: 3 });
  fc.assert(
    fc.property(fc.array(pattern, { minLength: 1, maxLength: 12 }), event, (patterns, ev) => {
      const compiled = patterns.map((p, key) => ({ key, pattern: compileEventPattern(JSON.stringify(p)) }));
      const text = JSON.stringify(ev);
      const want = compiled.filter((c) => matchesEvent(c.pattern, text)).map((c) => c.key);
      assert.deepEqual(new RuleIndex(compiled).match(text), want);
    }),
    { numRuns: 400 },
  );
});

test('rules that only share a source are told apart by a prefix, and still match exactly as alone', () => {
  const entries = Array.from({ length: 2000 }, (_, i) => ({
    key: i,
    pattern: compileEventPattern(
      JSON.stringify({ source: ['shop.orders'], detail: { sku: [{ prefix: `SKU-${i}-` }, 'GIFT'] } }),
    ),
  }));
  entries.push({ key: -1, pattern: compileEventPattern('{"detail":{"sku":[{"prefix":""}]}}') });
  const index = new RuleIndex(entries);
  const event = (sku: string) => JSON.stringify({ source: 'shop.orders', detail: { sku } });
  assert.deepEqual(index.match(event('SKU-17-blue')), [17, -1]);
  assert.deepEqual(index.match(event('SKU-1')), [-1]);
  assert.deepEqual(index.match(event('GIFT')).length, 2001);
});
