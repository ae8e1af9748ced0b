// An IdempotencyStore whose keys live in the Switchyard server's own durable store, through its SwitchyardIdempotency
// API (a Switchyard extension: AWS JSON 1.0 over the server's one port, `X-Amz-Target: SwitchyardIdempotency.<Action>`).
// Every consumer process, on any host, that talks to the same server shares the keys, and they survive restarts of
// the consumers and of the server. It works only against Switchyard: on AWS, implement IdempotencyStore over your own
// key-value store.
//
// The consumer calls `has` and `put` once per message, many at once, so calls are micro-batched: those made within
// `lingerMs` of each other go out as one CheckKeys / PutKeys / DeleteKeys request of up to `maxBatch` keys.
import { SwitchyardClientError } from './errors.js';
import { DEFAULT_IDEMPOTENCY_WINDOW_MS, type IdempotencyStore } from './idempotency.js';
import { MicroBatcher } from './micro-batch.js';
import { callSwitchyard, type EndpointClient, serverUrl } from './switchyard-api.js';

const TARGET_PREFIX = 'SwitchyardIdempotency.';

// The server's limits (IDEMPOTENCY_LIMITS in the server's core/limits.ts, which this package may not import).
/** Keys per request. */
const SWITCHYARD_IDEMPOTENCY_MAX_BATCH = 100;
const MAX_KEY_BYTES = 1024;
const MIN_TTL_SECONDS = 1;
const MAX_TTL_SECONDS = 604_800;

/** A lone UTF-16 surrogate, which the server refuses (it cannot be stored as UTF-8 unchanged). */
const LONE_SURROGATE = /\p{Cs}/u;

export interface SwitchyardIdempotencyStoreOptions {
  /** The Switchyard server's URL, such as `http://127.0.0.1:4566`. @defaultValue the endpoint of `client` */
  endpoint?: string;
  /**
   * An AWS SDK v3 client (the consumer's `SQSClient`, say) configured with the Switchyard server's endpoint; only its
   * endpoint is used, when `endpoint` is not given. Requests are not signed (Switchyard does not check signatures).
   */
  client?: EndpointClient;
  /**
   * How long a key is held when `put` is given no time to live, in ms. Times to live go to the server in whole
   * seconds, rounded up and clamped to 1 second .. 7 days. @defaultValue 24 hours
   */
  ttlMs?: number;
  /** Most keys per request, 1 to 100. @defaultValue 100 */
  maxBatch?: number;
  /** How long a call waits for others to share its request, in ms; 0: the end of this turn of the event loop. @defaultValue 1 */
  lingerMs?: number;
  /** How long a request may take before it fails with `errorCode` `TimeoutError`, in ms. @defaultValue 10000 */
  timeoutMs?: number;
  /** The fetch function requests go through (for tests, or a custom agent). @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * A SwitchyardIdempotencyStore request that failed: the server answered an error (`status`, and its `errorCode` and
 * `errorMessage`, such as `ValidationException`), or no answer came (`errorCode` `NetworkingError` or `TimeoutError`,
 * the failure as `cause`), or the answer was not one (`InvalidResponse`). A key the server would refuse is refused
 * before any request, with `errorCode` `ValidationException`.
 */
export class IdempotencyStoreError extends SwitchyardClientError {
  /** The action: `CheckKeys`, `PutKeys` or `DeleteKeys`. */
  readonly action: string;
  /** The HTTP status of the server's answer; undefined when there was none. */
  readonly status: number | undefined;
  readonly errorCode: string;
  readonly errorMessage: string;

  constructor(
    details: { action: string; status?: number | undefined; errorCode: string; errorMessage: string },
    options?: ErrorOptions,
  ) {
    const status = details.status !== undefined ? ` (HTTP ${details.status})` : '';
    super(
      'IDEMPOTENCY_STORE_FAILED',
      `SwitchyardIdempotency.${details.action} failed${status}: ${details.errorCode}: ${details.errorMessage}`,
      options,
    );
    this.action = details.action;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
  }
}

/**
 * An {@link IdempotencyStore} kept by the Switchyard server (see the file's head). A key put at `t` with time to live
 * `ttl` is held while the server's clock is before `t + ttl` (rounded up to the second); putting it again starts its
 * time to live again. `has` answers false only when the server said so: a failed request rejects (with an
 * {@link IdempotencyStoreError}), which the consumer reports and treats as "not handled yet".
 */
export class SwitchyardIdempotencyStore implements IdempotencyStore {
  readonly ttlMs: number;
  readonly #url: Promise<string>;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #checks: MicroBatcher<string, boolean>;
  readonly #puts: MicroBatcher<string, undefined>;
  readonly #deletes: MicroBatcher<string, undefined>;

  constructor(options: SwitchyardIdempotencyStoreOptions) {
    const {
      ttlMs = DEFAULT_IDEMPOTENCY_WINDOW_MS,
      maxBatch = SWITCHYARD_IDEMPOTENCY_MAX_BATCH,
      lingerMs = 1,
      timeoutMs = 10_000,
    } = options;
    if (!(ttlMs > 0)) throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${ttlMs}`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > SWITCHYARD_IDEMPOTENCY_MAX_BATCH) {
      throw new RangeError(
        `maxBatch must be an integer from 1 to ${SWITCHYARD_IDEMPOTENCY_MAX_BATCH}, got ${maxBatch}`,
      );
    }
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    this.#url = serverUrl(options, 'SwitchyardIdempotencyStore');
    this.ttlMs = ttlMs;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = timeoutMs;
    const batch = { maxBatch, lingerMs };
    this.#checks = new MicroBatcher({
      ...batch,
      send: async (keys) => {
        const unique = [...new Set(keys)];
        const out = await this.#call('CheckKeys', { Keys: unique });
        const found = (out as { Found?: unknown }).Found;
        if (!Array.isArray(found)) {
          throw new IdempotencyStoreError({
            action: 'CheckKeys',
            errorCode: 'InvalidResponse',
            errorMessage: 'the answer has no Found list',
          });
        }
        const held = new Set(found);
        return keys.map((key) => held.has(key));
      },
    });
    this.#puts = new MicroBatcher({
      ...batch,
      send: async (keys, ttlSeconds) => {
        await this.#call('PutKeys', { Keys: [...new Set(keys)], TtlSeconds: Number(ttlSeconds) });
        return keys.map(() => undefined);
      },
    });
    this.#deletes = new MicroBatcher({
      ...batch,
      send: async (keys) => {
        await this.#call('DeleteKeys', { Keys: [...new Set(keys)] });
        return keys.map(() => undefined);
      },
    });
  }

  async has(key: string): Promise<boolean> {
    checkKey(key, 'CheckKeys');
    return this.#checks.add(key);
  }

  /** Holds `key` for `ttlMs` (the store's `ttlMs` by default), rounded up to whole seconds, from 1 s to 7 days. */
  async put(key: string, ttlMs: number = this.ttlMs): Promise<void> {
    if (typeof ttlMs !== 'number' || !(ttlMs >= 0)) {
      throw new RangeError(`ttlMs must be a non-negative number of milliseconds, got ${String(ttlMs)}`);
    }
    checkKey(key, 'PutKeys');
    const seconds = Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, Math.ceil(ttlMs / 1000)));
    return this.#puts.add(key, String(seconds));
  }

  async delete(key: string): Promise<void> {
    checkKey(key, 'DeleteKeys');
    return this.#deletes.add(key);
  }

  /** One request; resolves with the answer's JSON object. */
  #call(action: string, body: object): Promise<object> {
    return callSwitchyard({
      url: this.#url,
      fetch: this.#fetch,
      timeoutMs: this.#timeoutMs,
      targetPrefix: TARGET_PREFIX,
      action,
      body,
      fail: (failure, options) => new IdempotencyStoreError(failure, options),
    });
  }
}

/** Refuses, before any request, a key the server would refuse (which would fail the whole batch it rode in). */
function checkKey(key: string, action: string): void {
  const invalid = (errorMessage: string) =>
    new IdempotencyStoreError({ action, errorCode: 'ValidationException', errorMessage });
  if (typeof key !== 'string') throw invalid(`a key must be a string, got ${typeof key}`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > MAX_KEY_BYTES) {
    throw invalid(`a key is 1 to ${MAX_KEY_BYTES} UTF-8 bytes, this one ${bytes}`);
  }
  if (LONE_SURROGATE.test(key)) throw invalid('a key must be valid Unicode text: this one holds a lone surrogate');
}
