// A failure log kept by the Switchyard server, through its SwitchyardFailures API (a Switchyard extension: AWS JSON 1.0
// over the server's one port, `X-Amz-Target: SwitchyardFailures.RecordFailures`). A consumer given one
// (`consume({ failureLog })`) records why its handler failed on each message; the server keeps the last failure of each
// message, with a count, for 14 days, and its console shows it beside the message, in the dead-letter queue too (a
// redrive keeps the message id). It works only against Switchyard: on AWS, log failures your own way.
//
// Failures recorded within `lingerMs` of each other for one queue go out as one request of up to `maxBatch` entries.
import { SwitchyardClientError } from './errors.js';
import { MicroBatcher } from './micro-batch.js';
import { type CallFailure, callSwitchyard, type EndpointClient, serverUrl } from './switchyard-api.js';

const TARGET_PREFIX = 'SwitchyardFailures.';

// The server's limits (FAILURE_LIMITS in the server's core/limits.ts, which this package may not import).
/** Entries per request. */
const SWITCHYARD_FAILURES_MAX_BATCH = 100;
const MAX_MESSAGE_ID_LENGTH = 100;
const MAX_CODE_LENGTH = 256;
const MAX_MESSAGE_LENGTH = 4096;

/** One failure of a handler on a message. */
export interface RecordedFailure {
  messageId: string;
  /** The error's code (or name), such as `PaymentDeclined`. */
  code?: string | undefined;
  message: string;
}

/** Where a consumer records its handlers' failures (`consume({ failureLog })`). */
export interface FailureLog {
  /** Records failures of messages of the queue at `queueUrl`; resolves once they are kept. */
  record(queueUrl: string, failures: readonly RecordedFailure[]): Promise<void>;
}

export interface SwitchyardFailureLogOptions {
  /** The Switchyard server's URL, such as `http://127.0.0.1:4566`. @defaultValue the endpoint of `client` */
  endpoint?: string;
  /**
   * An AWS SDK v3 client (the consumer's `SQSClient`, say) configured with the Switchyard server's endpoint; only its
   * endpoint is used, when `endpoint` is not given. Requests are not signed (Switchyard does not check signatures).
   */
  client?: EndpointClient;
  /** Most failures per request, 1 to 100. @defaultValue 100 */
  maxBatch?: number;
  /** How long a failure waits for others to share its request, in ms; 0: the end of this turn of the event loop. @defaultValue 1 */
  lingerMs?: number;
  /** How long a request may take before it fails with `errorCode` `TimeoutError`, in ms. @defaultValue 10000 */
  timeoutMs?: number;
  /** The fetch function requests go through (for tests, or a custom agent). @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * A SwitchyardFailureLog request that failed: the server answered an error (`status`, its `errorCode` and
 * `errorMessage`, such as `QueueDoesNotExist`), or no answer came (`NetworkingError` or `TimeoutError`, the failure as
 * `cause`), or the answer was not one (`InvalidResponse`). A failure the server would refuse (no message id, or one
 * too long) is refused before any request, with `errorCode` `ValidationException`.
 */
export class FailureLogError extends SwitchyardClientError {
  /** The action: `RecordFailures`. */
  readonly action: string;
  /** The HTTP status of the server's answer; undefined when there was none. */
  readonly status: number | undefined;
  readonly errorCode: string;
  readonly errorMessage: string;

  constructor(details: CallFailure, options?: ErrorOptions) {
    const status = details.status !== undefined ? ` (HTTP ${details.status})` : '';
    super(
      'FAILURE_LOG_FAILED',
      `SwitchyardFailures.${details.action} failed${status}: ${details.errorCode}: ${details.errorMessage}`,
      options,
    );
    this.action = details.action;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
  }
}

interface Entry {
  MessageId: string;
  ErrorCode?: string;
  ErrorMessage: string;
}

/** At most `max` UTF-16 units, without cutting a surrogate pair in two (the server would keep half a character). */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** The wire entry of a failure: a long code or message is cut to the server's limit rather than refused. */
function entryOf(failure: RecordedFailure): Entry {
  const invalid = (errorMessage: string) =>
    new FailureLogError({ action: 'RecordFailures', errorCode: 'ValidationException', errorMessage });
  const { messageId, code, message } = failure;
  if (typeof messageId !== 'string' || messageId === '' || messageId.length > MAX_MESSAGE_ID_LENGTH) {
    throw invalid(`a message id is a string of 1 to ${MAX_MESSAGE_ID_LENGTH} characters, got ${String(messageId)}`);
  }
  const entry: Entry = { MessageId: messageId, ErrorMessage: truncate(String(message ?? ''), MAX_MESSAGE_LENGTH) };
  if (typeof code === 'string' && code !== '') entry.ErrorCode = truncate(code, MAX_CODE_LENGTH);
  return entry;
}

/** A {@link FailureLog} kept by the Switchyard server (see the file's head). */
export class SwitchyardFailureLog implements FailureLog {
  readonly #url: Promise<string>;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #records: MicroBatcher<Entry, undefined>;

  constructor(options: SwitchyardFailureLogOptions) {
    const { maxBatch = SWITCHYARD_FAILURES_MAX_BATCH, lingerMs = 1, timeoutMs = 10_000 } = options;
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > SWITCHYARD_FAILURES_MAX_BATCH) {
      throw new RangeError(`maxBatch must be an integer from 1 to ${SWITCHYARD_FAILURES_MAX_BATCH}, got ${maxBatch}`);
    }
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    this.#url = serverUrl(options, 'SwitchyardFailureLog');
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = timeoutMs;
    this.#records = new MicroBatcher({
      maxBatch,
      lingerMs,
      // A batch is of one group: the queue URL.
      send: async (entries, queueUrl) => {
        await callSwitchyard({
          url: this.#url,
          fetch: this.#fetch,
          timeoutMs: this.#timeoutMs,
          targetPrefix: TARGET_PREFIX,
          action: 'RecordFailures',
          body: { QueueUrl: queueUrl, Entries: entries },
          fail: (failure, errorOptions) => new FailureLogError(failure, errorOptions),
        });
        return entries.map(() => undefined);
      },
    });
  }

  async record(queueUrl: string, failures: readonly RecordedFailure[]): Promise<void> {
    if (typeof queueUrl !== 'string' || queueUrl === '') {
      throw new FailureLogError({
        action: 'RecordFailures',
        errorCode: 'ValidationException',
        errorMessage: 'a queue URL is needed',
      });
    }
    const entries = failures.map(entryOf);
    await Promise.all(entries.map((entry) => this.#records.add(entry, queueUrl)));
  }
}
