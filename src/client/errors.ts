// The typed errors of switchyard/client. Every error is a SwitchyardClientError with a stable `code`, a `name`
// equal to its class name, and the underlying failure (if any) as `cause`; test with `instanceof` or by `code`.
import type { z } from 'zod';

/** The stable codes of the client's errors. */
export type ClientErrorCode =
  | 'EVENT_VALIDATION'
  | 'INVALID_ENVELOPE'
  | 'EVENT_TYPE_MISMATCH'
  | 'ENTRY_TOO_LARGE'
  | 'PUBLISH_FAILED'
  | 'PRODUCER_CLOSED'
  /** A consumer's handler declared that a message can never succeed (the consumer's PermanentError). */
  | 'PERMANENT_FAILURE'
  /** A SwitchyardIdempotencyStore call the server refused, or that did not reach it (IdempotencyStoreError). */
  | 'IDEMPOTENCY_STORE_FAILED'
  /** A SwitchyardFailureLog call the server refused, or that did not reach it (FailureLogError). */
  | 'FAILURE_LOG_FAILED';

/** The base of every error the client throws or rejects with. */
export class SwitchyardClientError extends Error {
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An event's `detail` does not satisfy its definition's schema (before publishing, or when parsing one received). */
export class EventValidationError extends SwitchyardClientError {
  readonly source: string;
  readonly detailType: string;
  /** zod's issues: what is wrong, and where in the detail. */
  readonly issues: readonly z.core.$ZodIssue[];

  constructor(source: string, detailType: string, issues: readonly z.core.$ZodIssue[], options?: ErrorOptions) {
    const first = issues[0];
    const where = first && first.path.length > 0 ? ` at detail.${first.path.map(String).join('.')}` : '';
    super(
      'EVENT_VALIDATION',
      `Invalid detail for ${source} / ${detailType}${first ? `: ${first.message}${where}` : ''}` +
        (issues.length > 1 ? ` (and ${issues.length - 1} more issues)` : ''),
      options,
    );
    this.source = source;
    this.detailType = detailType;
    this.issues = issues;
  }
}

/** A message body that is not an EventBridge event envelope (not JSON, or missing or mistyped members). */
export class EnvelopeError extends SwitchyardClientError {
  constructor(message: string, options?: ErrorOptions) {
    super('INVALID_ENVELOPE', message, options);
  }
}

/** An event given to a definition's `parse` whose source or detail-type is another definition's. */
export class EventTypeMismatchError extends SwitchyardClientError {
  readonly expected: { source: string; detailType: string };
  readonly actual: { source: string; detailType: string };

  constructor(expected: { source: string; detailType: string }, actual: { source: string; detailType: string }) {
    super(
      'EVENT_TYPE_MISMATCH',
      `Expected an event ${expected.source} / ${expected.detailType}, got ${actual.source} / ${actual.detailType}`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** A PutEvents entry over AWS's 256 KB limit (by AWS's entry-size formula): no request could carry it. */
export class EntryTooLargeError extends SwitchyardClientError {
  readonly size: number;
  readonly limit: number;

  constructor(size: number, limit: number) {
    super('ENTRY_TOO_LARGE', `The PutEvents entry is ${size} bytes, over the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * An event that EventBridge did not take: refused for a non-retryable reason, or still failing when the attempts ran
 * out. `errorCode` and `errorMessage` are EventBridge's (the entry's `ErrorCode`/`ErrorMessage`, or the name and
 * message of the error the whole call failed with, which is then the `cause`).
 */
export class PublishError extends SwitchyardClientError {
  readonly errorCode: string;
  readonly errorMessage: string;
  /** How many PutEvents calls carried the event. */
  readonly attempts: number;

  constructor(
    details: { errorCode: string; errorMessage: string; attempts: number; source?: string; detailType?: string },
    options?: ErrorOptions,
  ) {
    const what = details.source !== undefined ? ` ${details.source} / ${details.detailType ?? ''}` : '';
    super(
      'PUBLISH_FAILED',
      `Could not publish the event${what} after ${details.attempts} attempt${details.attempts === 1 ? '' : 's'}: ` +
        `${details.errorCode}: ${details.errorMessage}`,
      options,
    );
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
    this.attempts = details.attempts;
  }
}

/** `publish` on a producer that is closing or closed. */
export class ProducerClosedError extends SwitchyardClientError {
  constructor() {
    super('PRODUCER_CLOSED', 'The producer is closed');
  }
}
