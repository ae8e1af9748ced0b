// The shared EventPattern conformance corpus (/work/shared/conformance, README.md there), as the tests read it.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { INVALID_PATTERN_PREFIX } from '../../src/core/event-pattern/index.js';

export interface ConformanceCase {
  name: string;
  source: string;
  expected: boolean | 'invalid';
  api: string;
  awsValidated: boolean;
  patternJson: string;
  eventJson: string;
  event: unknown;
  families: string[];
  errorMessage?: string;
  invalidInput?: 'event';
  numberTexts?: string[];
}

// The shared folder sits beside the checkout (../shared in CI, /work/shared here).
export const CORPUS_PATH = fileURLToPath(new URL('../../../shared/conformance/event-patterns.json', import.meta.url));

/** Every case of the corpus; none when it is missing (the tests that need it then fail on the count). */
export function conformanceCases(): ConformanceCase[] {
  return existsSync(CORPUS_PATH) ? (JSON.parse(readFileSync(CORPUS_PATH, 'utf8')) as ConformanceCase[]) : [];
}

/**
 * The message AWS (or event-ruler) recorded, as our error should read it. LocalStack's snapshot replaced the
 * partition and region inside echoed pattern text with placeholders; event-ruler's own assertions hold the
 * bare compiler message, which AWS prefixes.
 */
export function expectedPatternMessage(recorded: string): string {
  const restored = recorded.replaceAll('<partition>', 'aws').replaceAll('<region>', 'us-east-1');
  return restored.startsWith(INVALID_PATTERN_PREFIX) ? restored : INVALID_PATTERN_PREFIX + restored;
}
