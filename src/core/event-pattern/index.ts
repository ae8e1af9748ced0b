import { compileSubRules, type SubRule } from './compile.js';
import { InvalidEventError, InvalidEventPatternError } from './errors.js';
import {
  type IndexedEvent,
  indexEventText,
  indexEventValue,
  matchesSubRule,
  type PathFilter,
  pathFilter,
} from './match.js';

/**
 * EventBridge event patterns: compile a pattern's JSON text once, then match events against it.
 *
 * The semantics are AWS's as observed (shared/notes/event-pattern-semantics.md), which is to say
 * event-ruler's: validation in its order and with its messages, numbers compared by spelling and by exact
 * double value, arrays matched element-wise with array consistency, `$or` expanded into sub-rules, and the
 * wildcard complexity limit EventBridge adds.
 */

export { MAX_OR_COMBINATIONS } from './compile.js';
export { MAX_WILDCARD_COMPLEXITY, wildcardComplexity } from './complexity.js';
export { INVALID_PATTERN_PREFIX, InvalidEventError, InvalidEventPatternError } from './errors.js';

/** Longest EventPattern the API accepts (model constraint; enforced by the API layer, not here). */
export const MAX_EVENT_PATTERN_LENGTH = 4096;

/** Top-level fields TestEventPattern requires of an event. AWS accepts events without `resources` or `detail`. */
export const TEST_EVENT_REQUIRED_FIELDS: readonly string[] = [
  'id',
  'account',
  'source',
  'time',
  'region',
  'detail-type',
];

export interface CompiledPattern {
  /** The pattern text as given. */
  readonly source: string;
  /** The pattern as a disjunction of conjunctions; see compile.ts. */
  readonly subRules: readonly SubRule[];
  /** The event paths the pattern looks at, so matching can skip the rest of an event. */
  readonly paths: PathFilter;
}

export interface MatchOptions {
  /**
   * Refuse events lacking TestEventPattern's envelope fields (TEST_EVENT_REQUIRED_FIELDS), as that API
   * does with `Parameter Event is not valid.`. Rules matching delivered events do not need it.
   */
  readonly requireEnvelope?: boolean;
}

/** Compiles pattern text, or throws InvalidEventPatternError with the message AWS would give. */
export function compileEventPattern(text: string): CompiledPattern {
  const subRules = compileSubRules(text);
  return { source: text, subRules, paths: pathFilter(subRules) };
}

/** The reason a pattern would be refused, or undefined if it is valid. */
export function validateEventPattern(text: string): InvalidEventPatternError | undefined {
  try {
    compileSubRules(text);
    return undefined;
  } catch (e) {
    if (e instanceof InvalidEventPatternError) return e;
    throw e;
  }
}

/**
 * Whether the event matches. `event` is JSON text (preferred: numbers keep their spelling, which exact
 * matching compares) or an already-parsed value. Throws InvalidEventError for text that is not JSON, an
 * event that is not an object, or (with requireEnvelope) one without the envelope.
 */
export function matchesEvent(pattern: CompiledPattern, event: string | unknown, options: MatchOptions = {}): boolean {
  const indexed: IndexedEvent =
    typeof event === 'string' ? indexEventText(event, pattern.paths) : indexEventValue(event, pattern.paths);
  if (options.requireEnvelope && !TEST_EVENT_REQUIRED_FIELDS.every((field) => indexed.topLevelKeys.has(field))) {
    throw new InvalidEventError();
  }
  return pattern.subRules.some((rule) => matchesSubRule(rule, indexed.index));
}
export { RuleIndex } from './rule-index.js';
