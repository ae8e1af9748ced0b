import { AwsError, invalidParameter } from './errors.js';
import type { Limits } from './limits.js';
import { parseQueueArn } from './names.js';

/** Attributes a caller may set with CreateQueue / SetQueueAttributes on a standard queue. */
export const SETTABLE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'VisibilityTimeout',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
] as const;

/** Attributes only FIFO queues know. */
export const FIFO_ATTRIBUTES = [
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
] as const;

/** Computed attributes, readable with GetQueueAttributes only. */
export const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

export const ALL_ATTRIBUTE_NAMES: readonly string[] = [
  ...SETTABLE_ATTRIBUTES,
  ...FIFO_ATTRIBUTES,
  ...COMPUTED_ATTRIBUTES,
];

/** Stored attributes of a queue: the settable ones, normalised to AWS's string form. */
export type QueueAttributeValues = Record<string, string>;

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export type RedrivePermission = 'allowAll' | 'denyAll' | 'byQueue';

export interface RedriveAllowPolicy {
  redrivePermission: RedrivePermission;
  sourceQueueArns?: string[];
}

export function defaultQueueAttributes(limits: Limits): QueueAttributeValues {
  return {
    DelaySeconds: '0',
    MaximumMessageSize: String(limits.maxMessageBytes),
    MessageRetentionPeriod: '345600',
    ReceiveMessageWaitTimeSeconds: '0',
    VisibilityTimeout: '30',
    SqsManagedSseEnabled: 'true',
  };
}

const INTEGER_RANGES: Record<string, (limits: Limits) => [number, number]> = {
  DelaySeconds: () => [0, 900],
  MaximumMessageSize: (l) => [l.minMessageBytes, l.maxMessageBytes],
  MessageRetentionPeriod: () => [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: (l) => [0, l.maxWaitTimeSeconds],
  VisibilityTimeout: () => [0, 43_200],
  KmsDataKeyReusePeriodSeconds: () => [60, 86_400],
};

function invalidAttributeValue(name: string, reason?: string): AwsError {
  return new AwsError(
    'InvalidAttributeValue',
    reason ? `Invalid value for the parameter ${name}. Reason: ${reason}` : `Invalid value for the parameter ${name}.`,
  );
}

export function parseRedrivePolicy(raw: string): RedrivePolicy {
  const fail = (reason: string) => invalidParameter('RedrivePolicy', raw, reason);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail('Redrive policy is not a valid JSON map.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw fail('Redrive policy is not a valid JSON map.');
  const record = parsed as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'deadLetterTargetArn' && key !== 'maxReceiveCount') {
      throw fail(`Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].`);
    }
  }
  const arn = record.deadLetterTargetArn;
  if (arn === undefined) throw fail('Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
  if (record.maxReceiveCount === undefined)
    throw fail('Redrive policy does not contain mandatory attribute: maxReceiveCount.');
  if (typeof arn !== 'string' || !parseQueueArn(arn)) throw fail('Invalid value for deadLetterTargetArn.');
  const count = typeof record.maxReceiveCount === 'string' ? Number(record.maxReceiveCount) : record.maxReceiveCount;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
    throw fail(
      `Invalid value for maxReceiveCount: ${String(record.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

export function parseRedriveAllowPolicy(raw: string): RedriveAllowPolicy {
  const fail = (reason: string) => invalidParameter('RedriveAllowPolicy', raw, reason);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw fail('Redrive allow policy is not a valid JSON map.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw fail('Redrive allow policy is not a valid JSON map.');
  const record = parsed as Record<string, unknown>;
  const permission = record.redrivePermission;
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
    throw fail('Invalid value for redrivePermission. Valid values are allowAll, denyAll and byQueue.');
  }
  const arns = record.sourceQueueArns;
  if (permission === 'byQueue') {
    if (!Array.isArray(arns) || arns.length === 0 || arns.length > 10) {
      throw fail('sourceQueueArns must contain 1 to 10 queue ARNs when redrivePermission is byQueue.');
    }
    if (!arns.every((a) => typeof a === 'string' && parseQueueArn(a)))
      throw fail('sourceQueueArns must be SQS queue ARNs.');
    return { redrivePermission: permission, sourceQueueArns: arns as string[] };
  }
  if (arns !== undefined) throw fail('sourceQueueArns is only allowed when redrivePermission is byQueue.');
  return { redrivePermission: permission };
}

/** Whether a queue with this allow policy accepts `sourceArn` as a dead-letter source. */
export function redriveAllowed(policy: RedriveAllowPolicy | undefined, sourceArn: string): boolean {
  if (!policy || policy.redrivePermission === 'allowAll') return true;
  if (policy.redrivePermission === 'denyAll') return false;
  return policy.sourceQueueArns?.includes(sourceArn) ?? false;
}

/**
 * Validates attributes given to CreateQueue / SetQueueAttributes and returns them normalised.
 * An empty string for `RedrivePolicy`, `RedriveAllowPolicy`, `Policy` or `KmsMasterKeyId` removes it.
 */
export function validateQueueAttributes(
  input: Readonly<Record<string, string>>,
  limits: Limits,
  context: { fifo: boolean; creating: boolean },
): QueueAttributeValues {
  const out: QueueAttributeValues = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value !== 'string') throw invalidAttributeValue(name);
    if ((FIFO_ATTRIBUTES as readonly string[]).includes(name)) {
      if (!context.fifo) throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      out[name] = validateFifoAttribute(name, value, context.creating);
      continue;
    }
    if (!(SETTABLE_ATTRIBUTES as readonly string[]).includes(name)) {
      throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
    const range = INTEGER_RANGES[name];
    if (range) {
      const [min, max] = range(limits);
      if (!/^\s*-?\d+\s*$/.test(value)) throw invalidAttributeValue(name);
      const n = Number(value);
      if (n < min || n > max) throw invalidAttributeValue(name);
      out[name] = String(n);
      continue;
    }
    switch (name) {
      case 'RedrivePolicy':
        out[name] = value === '' ? '' : JSON.stringify(parseRedrivePolicy(value));
        break;
      case 'RedriveAllowPolicy':
        out[name] = value === '' ? '' : JSON.stringify(parseRedriveAllowPolicy(value));
        break;
      case 'SqsManagedSseEnabled': {
        const lower = value.toLowerCase();
        if (lower !== 'true' && lower !== 'false') throw invalidAttributeValue(name);
        out[name] = lower;
        break;
      }
      case 'Policy':
        if (value !== '') {
          try {
            const parsed: unknown = JSON.parse(value);
            if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
          } catch {
            throw invalidAttributeValue(name, 'Policy is not a valid JSON document.');
          }
        }
        out[name] = value;
        break;
      default:
        out[name] = value;
    }
  }
  return out;
}

const FIFO_CHOICES: Record<string, readonly string[]> = {
  ContentBasedDeduplication: ['true', 'false'],
  DeduplicationScope: ['queue', 'messageGroup'],
  FifoThroughputLimit: ['perQueue', 'perMessageGroupId'],
};

function validateFifoAttribute(name: string, value: string, creating: boolean): string {
  if (name === 'FifoQueue') {
    if (!creating) throw invalidAttributeValue(name, 'Modifying queue type is not supported.');
    if (value.toLowerCase() !== 'true') throw invalidAttributeValue(name);
    return 'true';
  }
  const normalised = name === 'ContentBasedDeduplication' ? value.toLowerCase() : value;
  if (!FIFO_CHOICES[name]?.includes(normalised)) throw invalidAttributeValue(name);
  return normalised;
}

/** Applies validated changes: empty strings delete an optional attribute. */
export function mergeQueueAttributes(
  current: QueueAttributeValues,
  changes: QueueAttributeValues,
): QueueAttributeValues {
  const merged = { ...current };
  for (const [name, value] of Object.entries(changes)) {
    if (value === '' && !(name in INTEGER_RANGES)) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

/** The first requested attribute whose value differs from the existing queue's, for CreateQueue idempotency. */
export function firstDifferingAttribute(
  existing: QueueAttributeValues,
  requested: QueueAttributeValues,
): string | undefined {
  for (const [name, value] of Object.entries(requested)) {
    if ((existing[name] ?? '') !== value) return name;
  }
  return undefined;
}

export function redrivePolicyOf(attributes: QueueAttributeValues): RedrivePolicy | undefined {
  const raw = attributes.RedrivePolicy;
  return raw ? (JSON.parse(raw) as RedrivePolicy) : undefined;
}

export function redriveAllowPolicyOf(attributes: QueueAttributeValues): RedriveAllowPolicy | undefined {
  const raw = attributes.RedriveAllowPolicy;
  return raw ? (JSON.parse(raw) as RedriveAllowPolicy) : undefined;
}

export function integerAttribute(attributes: QueueAttributeValues, name: string): number {
  return Number(attributes[name] ?? 0);
}

/**
 * Expands requested attribute names (`All` included) and rejects unknown ones,
 * as GetQueueAttributes does.
 */
export function resolveRequestedAttributes(names: readonly string[] | undefined): Set<string> {
  const wanted = new Set<string>();
  for (const name of names ?? []) {
    if (name === 'All') {
      for (const n of ALL_ATTRIBUTE_NAMES) wanted.add(n);
    } else if (ALL_ATTRIBUTE_NAMES.includes(name)) {
      wanted.add(name);
    } else {
      throw new AwsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return wanted;
}
