// Every case of the shared EventBridge event-pattern corpus, run through the core: /work/shared/conformance
// (README.md there). 182 cases were recorded against real AWS (via LocalStack's validated snapshots), 385
// come from event-ruler's own test suite. Patterns and events are fed as their exact source text
// (patternJson/eventJson): JSON.parse would lose the number spellings and duplicate keys some cases test.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  compileEventPattern,
  InvalidEventError,
  InvalidEventPatternError,
  matchesEvent,
} from '../../src/core/event-pattern/index.js';
import { CORPUS_PATH, type ConformanceCase, conformanceCases, expectedPatternMessage } from '../helpers/conformance.js';

const cases = conformanceCases();

/** Whether JSON.parse keeps everything the case depends on, so the parsed event must match the same way. */
function parsedEventIsFaithful(c: ConformanceCase): boolean {
  return (
    c.numberTexts === undefined &&
    !c.families.includes('duplicate-keys') &&
    typeof c.event === 'object' &&
    c.event !== null &&
    !Array.isArray(c.event)
  );
}

test('the conformance corpus is present and complete', () => {
  assert.ok(existsSync(CORPUS_PATH), `conformance corpus not found at ${CORPUS_PATH}`);
  assert.ok(cases.length >= 567, `expected at least 567 cases, found ${cases.length}`);
});

describe('EventBridge event-pattern conformance', () => {
  for (const c of cases) {
    test(`${c.name} (${c.awsValidated ? 'AWS' : 'event-ruler'}) → ${String(c.expected)}`, () => {
      // TestEventPattern checks the event's envelope; rules matching delivered events and event-ruler do not.
      const requireEnvelope = c.api === 'TestEventPattern';

      if (c.expected === 'invalid' && c.invalidInput === 'event') {
        const pattern = compileEventPattern(c.patternJson);
        assert.throws(
          () => matchesEvent(pattern, c.eventJson, { requireEnvelope }),
          (e: unknown) => {
            assert.ok(e instanceof InvalidEventError, `expected InvalidEventError, got ${String(e)}`);
            if (c.errorMessage !== undefined) assert.equal(e.message, c.errorMessage);
            return true;
          },
        );
        return;
      }

      if (c.expected === 'invalid') {
        assert.throws(
          () => compileEventPattern(c.patternJson),
          (e: unknown) => {
            assert.ok(e instanceof InvalidEventPatternError, `expected InvalidEventPatternError, got ${String(e)}`);
            assert.equal(e.code, 'InvalidEventPatternException');
            if (c.errorMessage !== undefined) assert.equal(e.message, expectedPatternMessage(c.errorMessage));
            return true;
          },
        );
        return;
      }

      const pattern = compileEventPattern(c.patternJson);
      assert.equal(matchesEvent(pattern, c.eventJson, { requireEnvelope }), c.expected, 'event text');
      if (parsedEventIsFaithful(c)) {
        assert.equal(matchesEvent(pattern, c.event, { requireEnvelope }), c.expected, 'parsed event');
      }
    });
  }
});
