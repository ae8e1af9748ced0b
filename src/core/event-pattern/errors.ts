/**
 * The two ways an event-pattern request can be refused. They live here, not in core/errors.ts, until the
 * EventBridge service exists and its error table is designed; the API layer maps them by `code`.
 */

/** Every pattern rejection reads `Event pattern is not valid. Reason: <reason>`, as AWS words it. */
export const INVALID_PATTERN_PREFIX = 'Event pattern is not valid. Reason: ';

/**
 * A pattern EventBridge would refuse (TestEventPattern, PutRule, CreateArchive, UpdateArchive; HTTP 400).
 * `reason` is the text after the prefix: event-ruler's compiler message, which for JSON-level errors carries
 * Jackson's `\n at [Source: ...; line: L, column: C]` location the way AWS returns it.
 */
export class InvalidEventPatternError extends Error {
  readonly code = 'InvalidEventPatternException';
  override readonly name = 'InvalidEventPatternException';
  readonly reason: string;

  constructor(reason: string) {
    super(INVALID_PATTERN_PREFIX + reason);
    this.reason = reason;
  }
}

/** An event that cannot be matched at all: not JSON, not an object, or (for TestEventPattern) no envelope. */
export class InvalidEventError extends Error {
  readonly code = 'ValidationException';
  override readonly name = 'ValidationException';

  constructor() {
    super('Parameter Event is not valid.');
  }
}
