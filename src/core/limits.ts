/**
 * Service limits, with AWS's current values as defaults. Each can be overridden with `--limit name=value`.
 */
export interface Limits {
  /** Largest message (body plus attributes) and default `MaximumMessageSize`. @defaultValue 1048576 (1 MiB, AWS since 2025) */
  maxMessageBytes: number;
  /** Smallest `MaximumMessageSize` a queue may set. @defaultValue 1024 */
  minMessageBytes: number;
  /** Entries per batch request. @defaultValue 10 */
  maxBatchEntries: number;
  /** Sum of message sizes in one `SendMessageBatch`. @defaultValue 1048576 */
  maxBatchBytes: number;
  /** Messages in flight per standard queue before `ReceiveMessage` answers `OverLimit`. @defaultValue 120000 */
  maxInflightPerQueue: number;
  /** Message attributes per message. @defaultValue 10 */
  maxMessageAttributes: number;
  /** Seconds after `DeleteQueue` during which the name cannot be reused. @defaultValue 60 */
  queueDeleteCooldownSeconds: number;
  /** Seconds between two `PurgeQueue` calls on one queue. @defaultValue 60 */
  purgeCooldownSeconds: number;
  /** Longest `WaitTimeSeconds`. @defaultValue 20 */
  maxWaitTimeSeconds: number;
  /** Tags per queue. @defaultValue 50 */
  maxTagsPerQueue: number;
  /** Total size of the entries of one EventBridge `PutEvents` (AWS's entry-size formula). @defaultValue 1048576 */
  maxPutEventsBytes: number;
  /** Rules per event bus (AWS's default quota; raise it to route with thousands of rules). @defaultValue 300 */
  maxRulesPerBus: number;
  /** First retry delay ceiling of an EventBridge target; doubles per retry (full jitter). @defaultValue 1000 */
  deliveryRetryBaseMillis: number;
  /** Longest wait between two attempts to deliver to an EventBridge target. @defaultValue 900000 (15 min) */
  deliveryRetryMaxDelayMillis: number;
  /** How long an HTTP target may take to answer before the attempt counts as a TIMEOUT. @defaultValue 5000 */
  httpTargetTimeoutMillis: number;
  /** CloudWatch metric alarms per account; `PutMetricAlarm` answers `LimitExceeded` beyond. @defaultValue 10000 */
  maxAlarms: number;
  /** Hours 1-second (high-resolution) metric data is kept (CloudWatch: 3 hours). @defaultValue 3 */
  metricSecondRetentionHours: number;
  /** Days 1-minute metric data is kept (CloudWatch: 15 days). @defaultValue 15 */
  metricMinuteRetentionDays: number;
  /** Days 5-minute metric rollups are kept (CloudWatch: 63 days). @defaultValue 63 */
  metricFiveMinuteRetentionDays: number;
  /** Days 1-hour metric rollups are kept (CloudWatch: 455 days, 15 months). @defaultValue 455 */
  metricHourRetentionDays: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 1_048_576,
  minMessageBytes: 1024,
  maxBatchEntries: 10,
  maxBatchBytes: 1_048_576,
  maxInflightPerQueue: 120_000,
  maxMessageAttributes: 10,
  queueDeleteCooldownSeconds: 60,
  purgeCooldownSeconds: 60,
  maxWaitTimeSeconds: 20,
  maxTagsPerQueue: 50,
  maxPutEventsBytes: 1_048_576,
  maxRulesPerBus: 300,
  deliveryRetryBaseMillis: 1000,
  deliveryRetryMaxDelayMillis: 900_000,
  httpTargetTimeoutMillis: 5000,
  maxAlarms: 10_000,
  metricSecondRetentionHours: 3,
  metricMinuteRetentionDays: 15,
  metricFiveMinuteRetentionDays: 63,
  metricHourRetentionDays: 455,
});

export const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/** Parses `name=value` overrides; throws a plain Error naming the bad entry. */
export function parseLimitOverrides(entries: readonly string[], base: Limits = { ...DEFAULT_LIMITS }): Limits {
  const limits = { ...base };
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!(LIMIT_NAMES as string[]).includes(name)) {
      throw new Error(`unknown limit "${name}"; known limits: ${LIMIT_NAMES.join(', ')}`);
    }
    const text = entry.slice(eq + 1);
    const value = Number(text);
    if (eq < 0 || !/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
      throw new Error(`limit "${name}" needs a non-negative integer value, as in ${name}=10`);
    }
    limits[name as keyof Limits] = value;
  }
  return limits;
}

/**
 * The Switchyard idempotency-key API (`SwitchyardIdempotency.*`): fixed by the wire contract rather than
 * overridable, because the client (`SwitchyardIdempotencyStore`) batches and clamps to these same values.
 */
export const IDEMPOTENCY_LIMITS = Object.freeze({
  /** Keys per CheckKeys, PutKeys or DeleteKeys request. */
  maxKeysPerRequest: 100,
  /** Longest key, in UTF-8 bytes. */
  maxKeyBytes: 1024,
  /** Shortest `TtlSeconds` of a PutKeys. */
  minTtlSeconds: 1,
  /** Longest `TtlSeconds` of a PutKeys: 7 days. */
  maxTtlSeconds: 604_800,
  /** `TtlSeconds` of a PutKeys that gives none: 24 hours. */
  defaultTtlSeconds: 86_400,
});

/**
 * The Switchyard failures API (`SwitchyardFailures.*`): consumers' records of why a message failed. Fixed by the wire
 * contract like IDEMPOTENCY_LIMITS, because the client (`SwitchyardFailureLog`) batches and truncates to these values.
 */
export const FAILURE_LIMITS = Object.freeze({
  /** Entries per RecordFailures request. */
  maxEntriesPerRequest: 100,
  /** Longest MessageId, in characters (SQS's own ids are 36). */
  maxMessageIdLength: 100,
  /** Longest ErrorCode, in characters. */
  maxErrorCodeLength: 256,
  /** Longest ErrorMessage, in characters. */
  maxErrorMessageLength: 4096,
  /** How long a record is kept after its last failure: 14 days, the longest an SQS message can be retained. */
  retentionMs: 14 * 86_400_000,
});
