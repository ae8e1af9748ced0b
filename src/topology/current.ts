/**
 * What a running server has, read through its public APIs only (the AWS SDK clients a user would use) and put in
 * the shape of the normalised {@link Topology}, so that a plan compares the two field by field.
 *
 * Read: ListQueues (paged), GetQueueAttributes(All) and ListQueueTags per queue; ListEventBuses (paged), ListRules
 * per bus (paged; it carries every field DescribeRule does), ListTargetsByRule and ListTagsForResource per rule and
 * bus; DescribeAlarms (paged) and CloudWatch's ListTagsForResource per alarm. ARNs are mapped back to names: a
 * queue ARN to its queue, a bus ARN to its bus; an HTTP target's Arn is its URL.
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as ListAlarmTagsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import {
  type EventBridgeClient,
  type EventBus,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  type Rule,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ComparisonOperator, TreatMissingData } from '../core/alarms.js';
import type { MetricUnit, StandardStatistic } from '../core/metrics/statistics.js';
import {
  type AlarmAction,
  DEFAULT_BUS,
  QUEUE_DEFAULTS,
  RETRY_POLICY_DEFAULTS,
  type RuleTrigger,
  type Tags,
  type TargetDestination,
  type TargetInput,
  type TopologyAlarm,
  type TopologyBus,
  type TopologyQueue,
  type TopologyRule,
  type TopologyTarget,
} from './model.js';

/** The SDK clients a topology is read and applied through, all pointed at the same server. */
export interface TopologyClients {
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
  readonly cloudwatch: CloudWatchClient;
}

/**
 * What a server has, as the model spells it. Tags are as read, the ownership tag included. `buses` holds the custom buses only; `rules` the rules of every bus, the default one included.
 */
export interface CurrentState {
  readonly queues: readonly TopologyQueue[];
  readonly buses: readonly TopologyBus[];
  readonly rules: readonly TopologyRule[];
  readonly alarms: readonly TopologyAlarm[];
}

/** An empty server. */
export const EMPTY_STATE: CurrentState = Object.freeze({ queues: [], buses: [], rules: [], alarms: [] });

// ---- ARNs back to names --------------------------------------------------------------------------------

const QUEUE_ARN = /^arn:aws[\w-]*:sqs:[^:]*:[^:]*:([^:/]+)$/;
const BUS_ARN = /^arn:aws[\w-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/;

/** The queue an SQS ARN names, if it is one. */
export function queueNameOfArn(arn: string): string | undefined {
  return QUEUE_ARN.exec(arn)?.[1];
}

/** The bus an EventBridge bus ARN names, if it is one. */
export function busNameOfArn(arn: string): string | undefined {
  return BUS_ARN.exec(arn)?.[1];
}

/** The queue a queue URL names: its last path segment. */
export function queueNameOfUrl(url: string): string {
  const path = url.replace(/[?#].*$/, '').replace(/\/+$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
}

// ---- mapping API answers to the model ------------------------------------------------------------------

const integer = (value: string | undefined, fallback: number): number => {
  const n = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
  return Number.isFinite(n) ? n : fallback;
};

const tagMap = (tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Tags =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** A queue as GetQueueAttributes(All) and ListQueueTags show it, in the model's terms (AWS defaults for gaps). */
export function queueFromAttributes(
  name: string,
  attributes: Readonly<Record<string, string>>,
  tags: Tags,
): TopologyQueue {
  const kms = attributes.KmsMasterKeyId ? attributes.KmsMasterKeyId : undefined;
  let deadLetter: TopologyQueue['deadLetter'];
  if (attributes.RedrivePolicy) {
    try {
      const policy = JSON.parse(attributes.RedrivePolicy) as {
        deadLetterTargetArn?: unknown;
        maxReceiveCount?: unknown;
      };
      const arn = typeof policy.deadLetterTargetArn === 'string' ? policy.deadLetterTargetArn : '';
      deadLetter = {
        queue: queueNameOfArn(arn) ?? arn,
        maxReceiveCount: integer(String(policy.maxReceiveCount ?? ''), QUEUE_DEFAULTS.maxReceiveCount),
      };
    } catch {
      deadLetter = { queue: attributes.RedrivePolicy, maxReceiveCount: QUEUE_DEFAULTS.maxReceiveCount };
    }
  }
  const base = {
    name,
    delaySeconds: integer(attributes.DelaySeconds, QUEUE_DEFAULTS.delaySeconds),
    maximumMessageSize: integer(attributes.MaximumMessageSize, QUEUE_DEFAULTS.maximumMessageSize),
    messageRetentionPeriod: integer(attributes.MessageRetentionPeriod, QUEUE_DEFAULTS.messageRetentionPeriod),
    receiveMessageWaitTimeSeconds: integer(
      attributes.ReceiveMessageWaitTimeSeconds,
      QUEUE_DEFAULTS.receiveMessageWaitTimeSeconds,
    ),
    visibilityTimeout: integer(attributes.VisibilityTimeout, QUEUE_DEFAULTS.visibilityTimeout),
    kmsMasterKeyId: kms,
    // Removing KmsMasterKeyId leaves the reuse period behind; it means nothing without a key.
    kmsDataKeyReusePeriodSeconds:
      kms === undefined
        ? undefined
        : integer(attributes.KmsDataKeyReusePeriodSeconds, QUEUE_DEFAULTS.kmsDataKeyReusePeriodSeconds),
    sqsManagedSseEnabled:
      attributes.SqsManagedSseEnabled === undefined
        ? kms === undefined
        : attributes.SqsManagedSseEnabled.toLowerCase() === 'true',
    deadLetter,
    tags,
  };
  if (attributes.FifoQueue?.toLowerCase() !== 'true') return { ...base, fifo: false };
  return {
    ...base,
    fifo: true,
    contentBasedDeduplication: attributes.ContentBasedDeduplication?.toLowerCase() === 'true',
    deduplicationScope: attributes.DeduplicationScope === 'messageGroup' ? 'messageGroup' : 'queue',
    fifoThroughputLimit: attributes.FifoThroughputLimit === 'perMessageGroupId' ? 'perMessageGroupId' : 'perQueue',
  };
}

/** A bus as ListEventBuses shows it. */
export function busFromApi(bus: EventBus, tags: Tags): TopologyBus {
  return { name: bus.Name ?? '', description: bus.Description, tags };
}

function destinationOf(target: Target): TargetDestination {
  const arn = target.Arn ?? '';
  const queue = queueNameOfArn(arn);
  if (queue !== undefined) {
    return { kind: 'queue', queue, messageGroupId: target.SqsParameters?.MessageGroupId };
  }
  const bus = busNameOfArn(arn);
  if (bus !== undefined) return { kind: 'bus', bus };
  // An http(s) URL; anything else (which this server refuses) is shown as it is.
  const headers = target.HttpParameters?.HeaderParameters;
  const query = target.HttpParameters?.QueryStringParameters;
  return {
    kind: 'url',
    url: arn,
    headerParameters: headers && Object.keys(headers).length > 0 ? headers : undefined,
    queryStringParameters: query && Object.keys(query).length > 0 ? query : undefined,
  };
}

function inputOf(target: Target): TargetInput {
  if (target.InputTransformer !== undefined) {
    return {
      kind: 'transformer',
      inputPathsMap: target.InputTransformer.InputPathsMap ?? {},
      inputTemplate: target.InputTransformer.InputTemplate ?? '',
    };
  }
  if (target.InputPath !== undefined) return { kind: 'path', path: target.InputPath };
  if (target.Input !== undefined) return { kind: 'constant', json: target.Input };
  return { kind: 'event' };
}

/** A target as ListTargetsByRule shows it; EventBridge's retry defaults where it has none. */
export function targetFromApi(target: Target): TopologyTarget {
  const dlq = target.DeadLetterConfig?.Arn;
  return {
    id: target.Id ?? '',
    destination: destinationOf(target),
    input: inputOf(target),
    retryPolicy: {
      maximumRetryAttempts: target.RetryPolicy?.MaximumRetryAttempts ?? RETRY_POLICY_DEFAULTS.maximumRetryAttempts,
      maximumEventAgeInSeconds:
        target.RetryPolicy?.MaximumEventAgeInSeconds ?? RETRY_POLICY_DEFAULTS.maximumEventAgeInSeconds,
    },
    deadLetterQueue: dlq === undefined ? undefined : (queueNameOfArn(dlq) ?? dlq),
  };
}

/** A rule as ListRules shows it, with its targets and tags. */
export function ruleFromApi(rule: Rule, targets: readonly Target[], tags: Tags): TopologyRule {
  let trigger: RuleTrigger;
  if (rule.EventPattern !== undefined && rule.EventPattern !== '') {
    let pattern: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(rule.EventPattern);
      pattern =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : { '(not an object)': parsed };
    } catch {
      pattern = { '(not JSON)': rule.EventPattern };
    }
    trigger = { kind: 'pattern', pattern, json: rule.EventPattern };
  } else {
    trigger = { kind: 'schedule', expression: rule.ScheduleExpression ?? '' };
  }
  return {
    name: rule.Name ?? '',
    bus: rule.EventBusName ?? DEFAULT_BUS,
    description: rule.Description,
    state: rule.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
    trigger,
    targets: targets.map(targetFromApi),
    tags,
  };
}

function alarmActionOf(action: string): AlarmAction {
  const queue = queueNameOfArn(action);
  return queue === undefined ? { kind: 'url', url: action } : { kind: 'queue', queue };
}

/** An alarm as DescribeAlarms shows it, with its tags. A metric math alarm has no metric. */
export function alarmFromApi(alarm: MetricAlarm, tags: Tags = {}): TopologyAlarm {
  const evaluationPeriods = alarm.EvaluationPeriods ?? 1;
  const math = alarm.Metrics !== undefined && alarm.Metrics.length > 0;
  return {
    name: alarm.AlarmName ?? '',
    description: alarm.AlarmDescription,
    namespace: math ? '(metric math)' : (alarm.Namespace ?? ''),
    metric: math ? '(metric math)' : (alarm.MetricName ?? ''),
    dimensions: Object.fromEntries((alarm.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
    statistic: alarm.Statistic as StandardStatistic | undefined,
    extendedStatistic: alarm.ExtendedStatistic,
    period: alarm.Period ?? 0,
    evaluationPeriods,
    datapointsToAlarm: alarm.DatapointsToAlarm ?? evaluationPeriods,
    threshold: alarm.Threshold ?? 0,
    comparison: (alarm.ComparisonOperator ?? '') as ComparisonOperator,
    treatMissingData: (alarm.TreatMissingData ?? 'missing') as TreatMissingData,
    unit: alarm.Unit as MetricUnit | undefined,
    actionsEnabled: alarm.ActionsEnabled ?? true,
    actions: {
      alarm: (alarm.AlarmActions ?? []).map(alarmActionOf),
      ok: (alarm.OKActions ?? []).map(alarmActionOf),
      insufficientData: (alarm.InsufficientDataActions ?? []).map(alarmActionOf),
    },
    tags,
  };
}

// ---- reading ---------------------------------------------------------------------------------------------

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const CONCURRENCY = 8;

const isNotFound = (error: unknown): boolean => {
  const name = (error as { name?: unknown } | null)?.name;
  return (
    name === 'QueueDoesNotExist' ||
    name === 'AWS.SimpleQueueService.NonExistentQueue' ||
    name === 'ResourceNotFoundException'
  );
};

async function readQueues(sqs: SQSClient): Promise<TopologyQueue[]> {
  const urls: string[] = [];
  let token: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken: token }));
    urls.push(...(page.QueueUrls ?? []));
    token = page.NextToken;
  } while (token);
  const queues = await mapLimited(urls, CONCURRENCY, async (url) => {
    try {
      const [attributes, tags] = await Promise.all([
        sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })),
        sqs.send(new ListQueueTagsCommand({ QueueUrl: url })),
      ]);
      return queueFromAttributes(queueNameOfUrl(url), attributes.Attributes ?? {}, tags.Tags ?? {});
    } catch (error) {
      if (isNotFound(error)) return undefined; // deleted since it was listed
      throw error;
    }
  });
  return queues.filter((q): q is TopologyQueue => q !== undefined);
}

async function readRulesOfBus(events: EventBridgeClient, bus: string): Promise<TopologyRule[]> {
  const rules: Rule[] = [];
  let token: string | undefined;
  do {
    const page = await events.send(new ListRulesCommand({ EventBusName: bus, Limit: 100, NextToken: token }));
    rules.push(...(page.Rules ?? []));
    token = page.NextToken;
  } while (token);
  const read = await mapLimited(
    // Rules another service manages are not anyone's to change.
    rules.filter((rule) => rule.ManagedBy === undefined),
    CONCURRENCY,
    async (rule) => {
      try {
        const targets: Target[] = [];
        let next: string | undefined;
        do {
          const page = await events.send(
            new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: bus, Limit: 100, NextToken: next }),
          );
          targets.push(...(page.Targets ?? []));
          next = page.NextToken;
        } while (next);
        const tags = await events.send(new ListTagsForResourceCommand({ ResourceARN: rule.Arn }));
        return ruleFromApi({ ...rule, EventBusName: rule.EventBusName ?? bus }, targets, tagMap(tags.Tags));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
  );
  return read.filter((r): r is TopologyRule => r !== undefined);
}

async function readBusesAndRules(events: EventBridgeClient): Promise<{ buses: TopologyBus[]; rules: TopologyRule[] }> {
  const all: EventBus[] = [];
  let token: string | undefined;
  do {
    const page = await events.send(new ListEventBusesCommand({ Limit: 100, NextToken: token }));
    all.push(...(page.EventBuses ?? []));
    token = page.NextToken;
  } while (token);
  const read = await mapLimited(all, CONCURRENCY, async (bus) => {
    const name = bus.Name ?? '';
    try {
      const rules = await readRulesOfBus(events, name);
      if (name === DEFAULT_BUS) return { bus: undefined, rules };
      const tags = await events.send(new ListTagsForResourceCommand({ ResourceARN: bus.Arn }));
      return { bus: busFromApi(bus, tagMap(tags.Tags)), rules };
    } catch (error) {
      if (isNotFound(error)) return { bus: undefined, rules: [] };
      throw error;
    }
  });
  return {
    buses: read.flatMap((r) => (r.bus ? [r.bus] : [])),
    rules: read.flatMap((r) => r.rules),
  };
}

async function readAlarms(cloudwatch: CloudWatchClient): Promise<TopologyAlarm[]> {
  const listed: MetricAlarm[] = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken: token }),
    );
    listed.push(...(page.MetricAlarms ?? []));
    token = page.NextToken;
  } while (token);
  const alarms = await mapLimited(listed, CONCURRENCY, async (alarm) => {
    try {
      const tags = await cloudwatch.send(new ListAlarmTagsCommand({ ResourceARN: alarm.AlarmArn }));
      return alarmFromApi(alarm, tagMap(tags.Tags));
    } catch (error) {
      if (isNotFound(error)) return undefined; // deleted since it was listed
      throw error;
    }
  });
  return alarms.filter((a): a is TopologyAlarm => a !== undefined);
}

/** Everything a topology could manage that the server has now. */
export async function readCurrentState(clients: TopologyClients): Promise<CurrentState> {
  const [queues, eventBridge, alarms] = await Promise.all([
    readQueues(clients.sqs),
    readBusesAndRules(clients.events),
    readAlarms(clients.cloudwatch),
  ]);
  return { queues, buses: eventBridge.buses, rules: eventBridge.rules, alarms };
}
