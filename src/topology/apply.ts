/**
 * Makes a plan's changes through the public APIs, in the plan's order, stopping at the first failure. ARNs are
 * never built: they are read from the server (GetQueueAttributes' QueueArn, DescribeEventBus' Arn, PutRule's
 * RuleArn, DescribeAlarms' AlarmArn), so a topology applies whatever the server's region and account.
 */
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  TagResourceCommand as TagAlarmCommand,
  UntagResourceCommand as UntagAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TagResourceCommand,
  type Target,
  UntagResourceCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { type CurrentState, readCurrentState, type TopologyClients } from './current.js';
import {
  type AlarmAction,
  DEFAULT_BUS,
  queueAttributes,
  type Tags,
  type Topology,
  type TopologyAlarm,
  type TopologyQueue,
  type TopologyTarget,
} from './model.js';
import {
  type AlarmChange,
  type BusChange,
  type Change,
  describeChange,
  plan as makePlan,
  type Plan,
  type QueueChange,
  type RuleChange,
  type TargetChange,
} from './plan.js';

export type { TopologyClients } from './current.js';

/** A change the server refused (or a plan that cannot be applied): what was done before it, and why. */
export class ApplyError extends Error {
  override readonly name = 'ApplyError';
  /** The change that failed; undefined when the plan has errors and nothing was tried. */
  readonly change: Change | undefined;
  /** The AWS error code, when the server answered with one. */
  readonly code: string | undefined;
  /** The changes made before the failure, in order. */
  readonly done: readonly Change[];

  constructor(message: string, options: { change?: Change; code?: string; done: readonly Change[]; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.change = options.change;
    this.code = options.code;
    this.done = options.done;
  }
}

/** How the clients reach the server: what the SDK clients' constructors take. */
export interface TopologyClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** @defaultValue 1: a failure is reported as it happened, and no call is repeated behind the plan's back. */
  readonly maxAttempts?: number;
  readonly requestHandler?: { connectionTimeout?: number; requestTimeout?: number };
}

/** SQS, EventBridge and CloudWatch clients for one server, and a way to let them go. */
export function topologyClients(config: TopologyClientConfig): TopologyClients & { destroy(): void } {
  // The SDK warns on every start under Node 20 that its future versions will need Node 22: noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const options = { ...config, maxAttempts: config.maxAttempts ?? 1 };
  const sqs = new SQSClient(options);
  const events = new EventBridgeClient(options);
  const cloudwatch = new CloudWatchClient(options);
  return {
    sqs,
    events,
    cloudwatch,
    destroy() {
      sqs.destroy();
      events.destroy();
      cloudwatch.destroy();
    },
  };
}

/** A PutTargets / RemoveTargets entry the server refused (the call itself succeeded). */
class FailedEntryError extends Error {
  override readonly name = 'FailedEntryError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The code and message of an AWS error answer, or of whatever else failed. */
function errorOf(error: unknown): { code: string | undefined; message: string } {
  if (error instanceof FailedEntryError) return { code: error.code, message: error.message };
  if (typeof error === 'object' && error !== null) {
    const e = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
    const message = typeof e.message === 'string' ? e.message : String(error);
    if (e.$metadata?.httpStatusCode !== undefined && typeof e.name === 'string') return { code: e.name, message };
    return { code: undefined, message };
  }
  return { code: undefined, message: String(error) };
}

const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** The tag keys to set (new or changed) and to remove. */
function tagDelta(from: Tags, to: Tags): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(to)) if (from[key] !== value) set[key] = value;
  const remove = Object.keys(from).filter((key) => !(key in to));
  return { set, remove };
}

const onlyTags = (change: Change) => (change.fields ?? []).every((f) => f.field.startsWith('tags.'));

/** URLs and ARNs of what the changes name, asked of the server once each. */
class Resolver {
  private readonly queueUrls = new Map<string, string>();
  private readonly queueArns = new Map<string, string>();
  private readonly busArns = new Map<string, string>();

  constructor(private readonly clients: TopologyClients) {}

  rememberQueueUrl(name: string, url: string): void {
    this.queueUrls.set(name, url);
  }

  forgetQueue(name: string): void {
    this.queueUrls.delete(name);
    this.queueArns.delete(name);
  }

  async queueUrl(name: string): Promise<string> {
    let url = this.queueUrls.get(name);
    if (url === undefined) {
      url = (await this.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
      this.queueUrls.set(name, url);
    }
    return url;
  }

  async queueArn(name: string): Promise<string> {
    let arn = this.queueArns.get(name);
    if (arn === undefined) {
      const answer = await this.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: await this.queueUrl(name), AttributeNames: ['QueueArn'] }),
      );
      arn = answer.Attributes?.QueueArn ?? '';
      this.queueArns.set(name, arn);
    }
    return arn;
  }

  rememberBusArn(name: string, arn: string): void {
    this.busArns.set(name, arn);
  }

  async busArn(name: string): Promise<string> {
    let arn = this.busArns.get(name);
    if (arn === undefined) {
      arn = (await this.clients.events.send(new DescribeEventBusCommand({ Name: name }))).Arn ?? '';
      this.busArns.set(name, arn);
    }
    return arn;
  }

  async alarmArn(name: string): Promise<string> {
    const answer = await this.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
    return answer.MetricAlarms?.[0]?.AlarmArn ?? '';
  }

  async ruleArn(bus: string, name: string): Promise<string> {
    const answer = await this.clients.events.send(new DescribeRuleCommand({ Name: name, EventBusName: bus }));
    return answer.Arn ?? '';
  }
}

// ---- one change each -------------------------------------------------------------------------------------

async function attributesOf(queue: TopologyQueue, resolver: Resolver): Promise<Record<string, string>> {
  const dlqArn = queue.deadLetter ? await resolver.queueArn(queue.deadLetter.queue) : '';
  return queueAttributes(queue, () => dlqArn);
}

async function applyQueue(change: QueueChange, clients: TopologyClients, resolver: Resolver): Promise<void> {
  const { sqs } = clients;
  if (change.action === 'delete') {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: await resolver.queueUrl(change.name) }));
    resolver.forgetQueue(change.name);
    return;
  }
  const queue = change.desired;
  if (!queue) throw new Error(`no desired state for ${describeChange(change)}`);
  if (change.action === 'create') {
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: queue.name,
        Attributes: await attributesOf(queue, resolver),
        tags: { ...queue.tags },
      }),
    );
    if (created.QueueUrl) resolver.rememberQueueUrl(queue.name, created.QueueUrl);
    return;
  }
  const url = await resolver.queueUrl(queue.name);
  if (!onlyTags(change)) {
    const { FifoQueue: _type, ...attributes } = await attributesOf(queue, resolver);
    // Empty strings remove what the file no longer has.
    if (!queue.deadLetter && change.current?.deadLetter) attributes.RedrivePolicy = '';
    if (queue.kmsMasterKeyId === undefined && change.current?.kmsMasterKeyId !== undefined) {
      attributes.KmsMasterKeyId = '';
    }
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  const { set, remove } = tagDelta(change.current?.tags ?? {}, queue.tags);
  if (Object.keys(set).length > 0) await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: set }));
  if (remove.length > 0) await sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: remove }));
}

async function setEventTags(clients: TopologyClients, arn: string, from: Tags | undefined, to: Tags): Promise<void> {
  const { set, remove } = tagDelta(from ?? {}, to);
  if (Object.keys(set).length > 0) {
    await clients.events.send(new TagResourceCommand({ ResourceARN: arn, Tags: tagList(set) }));
  }
  if (remove.length > 0) await clients.events.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: remove }));
}

async function applyBus(change: BusChange, clients: TopologyClients, resolver: Resolver): Promise<void> {
  if (change.name === DEFAULT_BUS) throw new Error('the default bus is never created, changed or deleted');
  if (change.action === 'delete') {
    await clients.events.send(new DeleteEventBusCommand({ Name: change.name }));
    return;
  }
  const bus = change.desired;
  if (!bus) throw new Error(`no desired state for ${describeChange(change)}`);
  if (change.action === 'create') {
    const created = await clients.events.send(
      new CreateEventBusCommand({ Name: bus.name, Description: bus.description, Tags: tagList(bus.tags) }),
    );
    if (created.EventBusArn) resolver.rememberBusArn(bus.name, created.EventBusArn);
    return;
  }
  // The plan refuses description changes (no UpdateEventBus): an update is tags only.
  await setEventTags(clients, await resolver.busArn(bus.name), change.current?.tags, bus.tags);
}

async function applyRule(change: RuleChange, clients: TopologyClients, resolver: Resolver): Promise<void> {
  const { events } = clients;
  if (change.action === 'delete') {
    await events.send(new DeleteRuleCommand({ Name: change.name, EventBusName: change.bus }));
    return;
  }
  const rule = change.desired;
  if (!rule) throw new Error(`no desired state for ${describeChange(change)}`);
  let arn: string | undefined;
  if (change.action === 'create' || !onlyTags(change)) {
    // PutRule is an upsert that replaces every field but the tags (which it sets on creation only).
    const put = await events.send(
      new PutRuleCommand({
        Name: rule.name,
        EventBusName: rule.bus,
        ...(rule.trigger.kind === 'pattern'
          ? { EventPattern: rule.trigger.json }
          : { ScheduleExpression: rule.trigger.expression }),
        State: rule.state,
        Description: rule.description,
        ...(change.action === 'create' ? { Tags: tagList(rule.tags) } : {}),
      }),
    );
    arn = put.RuleArn;
  }
  if (change.action === 'update') {
    await setEventTags(clients, arn ?? (await resolver.ruleArn(rule.bus, rule.name)), change.current?.tags, rule.tags);
  }
}

async function targetInput(target: TopologyTarget, resolver: Resolver): Promise<Target> {
  const d = target.destination;
  const arn =
    d.kind === 'queue' ? await resolver.queueArn(d.queue) : d.kind === 'bus' ? await resolver.busArn(d.bus) : d.url;
  const input = target.input;
  return {
    Id: target.id,
    Arn: arn,
    ...(d.kind === 'queue' && d.messageGroupId !== undefined
      ? { SqsParameters: { MessageGroupId: d.messageGroupId } }
      : {}),
    ...(d.kind === 'url' && (d.headerParameters !== undefined || d.queryStringParameters !== undefined)
      ? {
          HttpParameters: {
            ...(d.headerParameters !== undefined ? { HeaderParameters: { ...d.headerParameters } } : {}),
            ...(d.queryStringParameters !== undefined ? { QueryStringParameters: { ...d.queryStringParameters } } : {}),
          },
        }
      : {}),
    ...(input.kind === 'constant' ? { Input: input.json } : {}),
    ...(input.kind === 'path' ? { InputPath: input.path } : {}),
    ...(input.kind === 'transformer'
      ? { InputTransformer: { InputPathsMap: { ...input.inputPathsMap }, InputTemplate: input.inputTemplate } }
      : {}),
    RetryPolicy: {
      MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts,
      MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeInSeconds,
    },
    ...(target.deadLetterQueue !== undefined
      ? { DeadLetterConfig: { Arn: await resolver.queueArn(target.deadLetterQueue) } }
      : {}),
  };
}

async function applyTarget(change: TargetChange, clients: TopologyClients, resolver: Resolver): Promise<void> {
  const { events } = clients;
  if (change.action === 'delete') {
    const answer = await events.send(
      new RemoveTargetsCommand({ Rule: change.rule, EventBusName: change.bus, Ids: [change.targetId] }),
    );
    const failed = answer.FailedEntries?.[0];
    if (failed) throw new FailedEntryError(failed.ErrorCode ?? 'FailedEntry', failed.ErrorMessage ?? '');
    return;
  }
  if (!change.desired) throw new Error(`no desired state for ${describeChange(change)}`);
  // PutTargets replaces a target with the same id whole.
  const answer = await events.send(
    new PutTargetsCommand({
      Rule: change.rule,
      EventBusName: change.bus,
      Targets: [await targetInput(change.desired, resolver)],
    }),
  );
  const failed = answer.FailedEntries?.[0];
  if (failed) throw new FailedEntryError(failed.ErrorCode ?? 'FailedEntry', failed.ErrorMessage ?? '');
}

async function alarmActions(actions: readonly AlarmAction[], resolver: Resolver): Promise<string[]> {
  const out: string[] = [];
  for (const action of actions) out.push(action.kind === 'queue' ? await resolver.queueArn(action.queue) : action.url);
  return out;
}

/** PutMetricAlarm: an upsert of every field; its Tags are set on creation only (TagResource changes them). */
async function putAlarm(
  alarm: TopologyAlarm,
  create: boolean,
  clients: TopologyClients,
  resolver: Resolver,
): Promise<void> {
  await clients.cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: alarm.name,
      AlarmDescription: alarm.description,
      Namespace: alarm.namespace,
      MetricName: alarm.metric,
      Dimensions: Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Statistic: alarm.statistic,
      ExtendedStatistic: alarm.extendedStatistic,
      Period: alarm.period,
      EvaluationPeriods: alarm.evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm,
      Threshold: alarm.threshold,
      ComparisonOperator: alarm.comparison,
      TreatMissingData: alarm.treatMissingData,
      Unit: alarm.unit,
      ActionsEnabled: alarm.actionsEnabled,
      AlarmActions: await alarmActions(alarm.actions.alarm, resolver),
      OKActions: await alarmActions(alarm.actions.ok, resolver),
      InsufficientDataActions: await alarmActions(alarm.actions.insufficientData, resolver),
      ...(create ? { Tags: tagList(alarm.tags) } : {}),
    }),
  );
}

async function applyAlarm(change: AlarmChange, clients: TopologyClients, resolver: Resolver): Promise<void> {
  if (change.action === 'delete') {
    await clients.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [change.name] }));
    return;
  }
  const alarm = change.desired;
  if (!alarm) throw new Error(`no desired state for ${describeChange(change)}`);
  if (change.action === 'create' || !onlyTags(change)) {
    await putAlarm(alarm, change.action === 'create', clients, resolver);
  }
  if (change.action === 'update') {
    const { set, remove } = tagDelta(change.current?.tags ?? {}, alarm.tags);
    if (Object.keys(set).length === 0 && remove.length === 0) return;
    const arn = await resolver.alarmArn(alarm.name);
    const { cloudwatch } = clients;
    if (Object.keys(set).length > 0) {
      await cloudwatch.send(new TagAlarmCommand({ ResourceARN: arn, Tags: tagList(set) }));
    }
    if (remove.length > 0) await cloudwatch.send(new UntagAlarmCommand({ ResourceARN: arn, TagKeys: remove }));
  }
}

function applyChange(change: Change, clients: TopologyClients, resolver: Resolver): Promise<void> {
  switch (change.kind) {
    case 'queue':
      return applyQueue(change, clients, resolver);
    case 'bus':
      return applyBus(change, clients, resolver);
    case 'rule':
      return applyRule(change, clients, resolver);
    case 'target':
      return applyTarget(change, clients, resolver);
    case 'alarm':
      return applyAlarm(change, clients, resolver);
  }
}

const VERB = { create: 'create', update: 'update', delete: 'delete' } as const;

/**
 * Makes the plan's changes in order; `onChange` hears of each one done. Throws {@link ApplyError} at the first
 * failure (naming the change and the AWS error code and message; what was done before is in `done`), or before
 * anything when the plan has errors. Returns the changes made.
 */
export async function applyPlan(
  plan: Plan,
  clients: TopologyClients,
  onChange?: (change: Change) => void,
): Promise<Change[]> {
  if (plan.errors.length > 0) {
    throw new ApplyError(`the plan has errors, nothing was applied:\n${plan.errors.join('\n')}`, { done: [] });
  }
  const resolver = new Resolver(clients);
  const done: Change[] = [];
  for (const change of plan.changes) {
    try {
      await applyChange(change, clients, resolver);
    } catch (error) {
      const { code, message } = errorOf(error);
      throw new ApplyError(
        `cannot ${VERB[change.action]} ${describeChange(change)}: ${code ? `${code}: ` : ''}${message}`,
        { change, code, done, cause: error },
      );
    }
    done.push(change);
    onChange?.(change);
  }
  return done;
}

/** Reads the server, plans and applies: what `switchyard apply` and `serve --config` do. */
export async function applyTopology(
  topology: Topology,
  clients: TopologyClients,
  options: { dryRun?: boolean; onChange?: (change: Change) => void } = {},
): Promise<{ plan: Plan; current: CurrentState; done: Change[] }> {
  const current = await readCurrentState(clients);
  const plan = makePlan(topology, current);
  const done = options.dryRun ? [] : await applyPlan(plan, clients, options.onChange);
  return { plan, current, done };
}
