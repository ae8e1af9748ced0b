/**
 * The normalised topology: what `parseTopology` / `loadTopology` return once a `switchyard.yaml` has passed every
 * check. Every default is filled in, every reference names a resource of the same topology (or the `default` bus),
 * and each resource carries its own name, so a planner can compare it field by field with what a server has.
 * Lists keep the file's order. Nothing here depends on a region or an account: ARNs are the consumer's to build.
 */
import type { ComparisonOperator, TreatMissingData } from '../core/alarms.js';
import type { MetricUnit, StandardStatistic } from '../core/metrics/statistics.js';

/** The only format version. */
export const TOPOLOGY_VERSION = 1;

/** The bus every account has; rules name it by default and it is never declared. */
export const DEFAULT_BUS = 'default';

/** Defaults of the SQS attributes a topology leaves out: AWS's. */
export const QUEUE_DEFAULTS = Object.freeze({
  delaySeconds: 0,
  maximumMessageSize: 1_048_576,
  messageRetentionPeriod: 345_600,
  receiveMessageWaitTimeSeconds: 0,
  visibilityTimeout: 30,
  kmsDataKeyReusePeriodSeconds: 300,
  maxReceiveCount: 5,
  contentBasedDeduplication: false,
  deduplicationScope: 'queue',
  fifoThroughputLimit: 'perQueue',
} as const);

/** EventBridge's default retry policy of a target. */
export const RETRY_POLICY_DEFAULTS = Object.freeze({ maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 });

export type Tags = Readonly<Record<string, string>>;

/** A whole topology, normalised. */
export interface Topology {
  readonly version: 1;
  readonly queues: readonly TopologyQueue[];
  /** Custom buses only: the `default` bus is implied. */
  readonly buses: readonly TopologyBus[];
  readonly rules: readonly TopologyRule[];
  readonly alarms: readonly TopologyAlarm[];
}

// ---- queues -----------------------------------------------------------------------------------------

interface QueueBase {
  readonly name: string;
  /** Seconds. @defaultValue 0 */
  readonly delaySeconds: number;
  /** Bytes. @defaultValue 1048576 */
  readonly maximumMessageSize: number;
  /** Seconds. @defaultValue 345600 */
  readonly messageRetentionPeriod: number;
  /** Seconds. @defaultValue 0 */
  readonly receiveMessageWaitTimeSeconds: number;
  /** Seconds. @defaultValue 30 */
  readonly visibilityTimeout: number;
  /** Set for KMS encryption; then `sqsManagedSseEnabled` is false. */
  readonly kmsMasterKeyId?: string | undefined;
  /** Set exactly when `kmsMasterKeyId` is. @defaultValue 300 */
  readonly kmsDataKeyReusePeriodSeconds?: number | undefined;
  /** @defaultValue true without `kmsMasterKeyId`, false with it */
  readonly sqsManagedSseEnabled: boolean;
  /** The redrive policy: the dead-letter queue (a queue of this topology, of the same type) and the receive limit. */
  readonly deadLetter?: QueueDeadLetter | undefined;
  readonly tags: Tags;
}

export interface QueueDeadLetter {
  readonly queue: string;
  /** @defaultValue 5 */
  readonly maxReceiveCount: number;
}

export interface StandardQueue extends QueueBase {
  readonly fifo: false;
}

export interface FifoQueue extends QueueBase {
  /** The name ends in `.fifo`. */
  readonly fifo: true;
  /** @defaultValue false */
  readonly contentBasedDeduplication: boolean;
  /** @defaultValue 'queue' */
  readonly deduplicationScope: 'queue' | 'messageGroup';
  /** `perMessageGroupId` only with `deduplicationScope: messageGroup`. @defaultValue 'perQueue' */
  readonly fifoThroughputLimit: 'perQueue' | 'perMessageGroupId';
}

export type TopologyQueue = StandardQueue | FifoQueue;

// ---- buses ------------------------------------------------------------------------------------------

export interface TopologyBus {
  readonly name: string;
  readonly description?: string | undefined;
  readonly tags: Tags;
}

// ---- rules ------------------------------------------------------------------------------------------

/** What makes a rule fire: an event pattern, or (on the default bus only) a schedule. */
export type RuleTrigger =
  | {
      readonly kind: 'pattern';
      /** The pattern as written (a JSON object). */
      readonly pattern: Readonly<Record<string, unknown>>;
      /** `JSON.stringify(pattern)`: the EventPattern text PutRule takes; it compiles. */
      readonly json: string;
    }
  | {
      readonly kind: 'schedule';
      /** `rate(…)` or `cron(…)`, as written; it parses. */
      readonly expression: string;
    };

export interface TopologyRule {
  readonly name: string;
  /** `default` or a bus of this topology. @defaultValue 'default' */
  readonly bus: string;
  readonly description?: string | undefined;
  /** @defaultValue 'ENABLED' */
  readonly state: 'ENABLED' | 'DISABLED';
  readonly trigger: RuleTrigger;
  /** In file order; ids unique within the rule. At most 5. */
  readonly targets: readonly TopologyTarget[];
  readonly tags: Tags;
}

/** Where a target delivers. */
export type TargetDestination =
  | {
      readonly kind: 'queue';
      /** A queue of this topology. */
      readonly queue: string;
      /** SqsParameters.MessageGroupId: set exactly when the queue is FIFO (which then has content-based deduplication). */
      readonly messageGroupId?: string | undefined;
    }
  | {
      readonly kind: 'bus';
      /** `default` or a bus of this topology. */
      readonly bus: string;
    }
  | {
      readonly kind: 'url';
      /** http:// or https://. */
      readonly url: string;
      readonly headerParameters?: Readonly<Record<string, string>> | undefined;
      readonly queryStringParameters?: Readonly<Record<string, string>> | undefined;
    };

/** What a target receives. Bus targets always receive the event itself. */
export type TargetInput =
  /** The matched event, whole (no Input, InputPath or InputTransformer). */
  | { readonly kind: 'event' }
  /** Input: constant JSON text. */
  | { readonly kind: 'constant'; readonly json: string }
  /** InputPath. */
  | { readonly kind: 'path'; readonly path: string }
  /** InputTransformer (validated as EventBridge does). */
  | {
      readonly kind: 'transformer';
      readonly inputPathsMap: Readonly<Record<string, string>>;
      readonly inputTemplate: string;
    };

export interface TargetRetryPolicy {
  /** @defaultValue 185 */
  readonly maximumRetryAttempts: number;
  /** @defaultValue 86400 */
  readonly maximumEventAgeInSeconds: number;
}

export interface TopologyTarget {
  readonly id: string;
  readonly destination: TargetDestination;
  readonly input: TargetInput;
  /** Always set: EventBridge's defaults when the file gives none. */
  readonly retryPolicy: TargetRetryPolicy;
  /** DeadLetterConfig: a standard queue of this topology. */
  readonly deadLetterQueue?: string | undefined;
}

// ---- alarms -----------------------------------------------------------------------------------------

/** An alarm action: a standard queue of this topology, or a URL. */
export type AlarmAction =
  | { readonly kind: 'queue'; readonly queue: string }
  | { readonly kind: 'url'; readonly url: string };

export interface TopologyAlarm {
  readonly name: string;
  readonly description?: string | undefined;
  readonly namespace: string;
  readonly metric: string;
  /** Name → value, in file order. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Exactly one of `statistic` and `extendedStatistic` is set. */
  readonly statistic?: StandardStatistic | undefined;
  readonly extendedStatistic?: string | undefined;
  /** Seconds: 10, 20, 30 or a multiple of 60. */
  readonly period: number;
  readonly evaluationPeriods: number;
  /** @defaultValue evaluationPeriods */
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: ComparisonOperator;
  /** @defaultValue 'missing' */
  readonly treatMissingData: TreatMissingData;
  readonly unit?: MetricUnit | undefined;
  /** @defaultValue true */
  readonly actionsEnabled: boolean;
  /** Each list may be empty; at most 5 per state. */
  readonly actions: {
    readonly alarm: readonly AlarmAction[];
    readonly ok: readonly AlarmAction[];
    readonly insufficientData: readonly AlarmAction[];
  };
  readonly tags: Tags;
}

// ---- helpers for whoever applies a topology ----------------------------------------------------------

/**
 * The queue's attributes as CreateQueue / SetQueueAttributes take them (AWS names, string values), every one
 * explicit. `arnOf` turns a queue name of the topology into its ARN (for the RedrivePolicy).
 */
export function queueAttributes(queue: TopologyQueue, arnOf: (queueName: string) => string): Record<string, string> {
  const attributes: Record<string, string> = {
    DelaySeconds: String(queue.delaySeconds),
    MaximumMessageSize: String(queue.maximumMessageSize),
    MessageRetentionPeriod: String(queue.messageRetentionPeriod),
    ReceiveMessageWaitTimeSeconds: String(queue.receiveMessageWaitTimeSeconds),
    VisibilityTimeout: String(queue.visibilityTimeout),
    SqsManagedSseEnabled: String(queue.sqsManagedSseEnabled),
  };
  if (queue.kmsMasterKeyId !== undefined) attributes.KmsMasterKeyId = queue.kmsMasterKeyId;
  if (queue.kmsDataKeyReusePeriodSeconds !== undefined) {
    attributes.KmsDataKeyReusePeriodSeconds = String(queue.kmsDataKeyReusePeriodSeconds);
  }
  if (queue.deadLetter) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: arnOf(queue.deadLetter.queue),
      maxReceiveCount: queue.deadLetter.maxReceiveCount,
    });
  }
  if (queue.fifo) {
    attributes.FifoQueue = 'true';
    attributes.ContentBasedDeduplication = String(queue.contentBasedDeduplication);
    attributes.DeduplicationScope = queue.deduplicationScope;
    attributes.FifoThroughputLimit = queue.fifoThroughputLimit;
  }
  return attributes;
}

/**
 * The queues in an order they can be created in with their redrive policies: every dead-letter queue before the
 * queues that use it (the loader refuses cycles). Otherwise the file's order.
 */
export function queuesInCreationOrder(queues: readonly TopologyQueue[]): TopologyQueue[] {
  const byName = new Map(queues.map((q) => [q.name, q]));
  const done = new Set<string>();
  const ordered: TopologyQueue[] = [];
  const visit = (queue: TopologyQueue, seen: Set<string>) => {
    if (done.has(queue.name) || seen.has(queue.name)) return;
    seen.add(queue.name);
    const dlq = queue.deadLetter ? byName.get(queue.deadLetter.queue) : undefined;
    if (dlq) visit(dlq, seen);
    done.add(queue.name);
    ordered.push(queue);
  };
  for (const queue of queues) visit(queue, new Set());
  return ordered;
}

/** The names of the queues the topology's rules deliver to: as targets, or as the targets' dead-letter queues. */
export function queuesTargetedByRules(topology: Topology): Set<string> {
  const names = new Set<string>();
  for (const rule of topology.rules) {
    for (const target of rule.targets) {
      if (target.destination.kind === 'queue') names.add(target.destination.queue);
      if (target.deadLetterQueue !== undefined) names.add(target.deadLetterQueue);
    }
  }
  return names;
}
