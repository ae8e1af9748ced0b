import type { Clock } from '../core/clock.js';
import { AwsError } from '../core/errors.js';
import { IDEMPOTENCY_LIMITS } from '../core/limits.js';
import type { Store } from '../store/types.js';
import { ExpirySweep } from './background-loop.js';

/** Whom a request is for: keys are kept per account. */
export interface IdempotencyContext {
  accountId: string;
}

export interface CheckKeysInput {
  Keys?: readonly string[] | undefined;
}

export interface PutKeysInput {
  Keys?: readonly string[] | undefined;
  TtlSeconds?: number | undefined;
}

export interface DeleteKeysInput {
  Keys?: readonly string[] | undefined;
}

export interface IdempotencyServiceOptions {
  store: Store;
  clock: Clock;
  /** How often expired keys are removed, in ms. @defaultValue 60000 */
  sweepMs?: number;
  /** Most keys one sweep transaction removes; a full batch is followed by another at once. @defaultValue 1000 */
  sweepBatch?: number;
  /** Told of a sweep that failed (it is tried again at the next tick). @defaultValue none */
  onError?: ((error: unknown) => void) | undefined;
}

const { maxKeysPerRequest, maxKeyBytes, minTtlSeconds, maxTtlSeconds, defaultTtlSeconds } = IDEMPOTENCY_LIMITS;

/** A lone UTF-16 surrogate: text that cannot be stored as UTF-8 without changing it. */
const LONE_SURROGATE = /\p{Cs}/u;

const invalid = (message: string) => new AwsError('Validation', message);

/** The request's keys, checked: 1 to 100 of them, each 1 to 1024 UTF-8 bytes of well-formed text. */
function checkKeys(keys: readonly string[] | undefined): readonly string[] {
  if (keys === undefined) {
    throw invalid(`The request must contain Keys, a list of 1 to ${maxKeysPerRequest} keys.`);
  }
  if (keys.length < 1 || keys.length > maxKeysPerRequest) {
    throw invalid(`Keys must hold between 1 and ${maxKeysPerRequest} keys; it holds ${keys.length}.`);
  }
  keys.forEach((key, i) => {
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes === 0 || bytes > maxKeyBytes) {
      throw invalid(
        `Keys[${i}] is ${bytes === 0 ? 'empty' : `${bytes} UTF-8 bytes long`}; a key is 1 to ${maxKeyBytes} UTF-8 bytes.`,
      );
    }
    if (LONE_SURROGATE.test(key)) throw invalid(`Keys[${i}] is not valid Unicode text: it holds a lone surrogate.`);
  });
  return keys;
}

function checkTtl(ttlSeconds: number | undefined): number {
  if (ttlSeconds === undefined) return defaultTtlSeconds;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < minTtlSeconds || ttlSeconds > maxTtlSeconds) {
    throw invalid(
      `TtlSeconds must be an integer from ${minTtlSeconds} to ${maxTtlSeconds} (7 days); got ${String(ttlSeconds)}.`,
    );
  }
  return ttlSeconds;
}

/**
 * The SwitchyardIdempotency API: keys that consumers (switchyard/client's `SwitchyardIdempotencyStore`) put once they
 * handled a message and check before handling one, kept in the store so that every consumer process shares them and
 * they outlive restarts. A key put at `t` with `TtlSeconds` s is held while `now < t + s·1000`; expired keys are never
 * reported, and a background sweep removes them in batches.
 */
export class IdempotencyService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly sweepBatch: number;
  private readonly sweeper: ExpirySweep;

  constructor(options: IdempotencyServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.sweepBatch = options.sweepBatch ?? 1000;
    this.sweeper = new ExpirySweep(
      () => this.sweepExpired(),
      this.sweepBatch,
      options.sweepMs ?? 60_000,
      options.onError,
    );
  }

  /** The keys of the request that are held now, in the order given, each once. */
  async checkKeys(ctx: IdempotencyContext, input: CheckKeysInput): Promise<{ Found: string[] }> {
    const keys = checkKeys(input.Keys);
    return { Found: await this.store.checkIdempotencyKeys(ctx.accountId, keys, this.clock.now()) };
  }

  /** Holds the keys for `TtlSeconds` from now (24 hours by default), again if held; answers once committed. */
  async putKeys(ctx: IdempotencyContext, input: PutKeysInput): Promise<Record<string, never>> {
    const keys = checkKeys(input.Keys);
    const ttlSeconds = checkTtl(input.TtlSeconds);
    await this.store.putIdempotencyKeys(ctx.accountId, keys, this.clock.now() + ttlSeconds * 1000);
    return {};
  }

  /** Forgets the keys (those not held are no error). */
  async deleteKeys(ctx: IdempotencyContext, input: DeleteKeysInput): Promise<Record<string, never>> {
    await this.store.deleteIdempotencyKeys(ctx.accountId, checkKeys(input.Keys));
    return {};
  }

  /** Removes up to one batch of expired keys; returns how many. */
  sweepExpired(): Promise<number> {
    return this.store.expireIdempotencyKeys(this.clock.now(), this.sweepBatch);
  }

  /** Starts the periodic sweep. */
  start(): void {
    this.sweeper.start();
  }

  /** Stops the sweep, waiting for the one under way. */
  stop(): Promise<void> {
    return this.sweeper.stop();
  }
}
