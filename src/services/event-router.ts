import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import {
  DEFAULT_MAX_EVENT_AGE_SECONDS,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  type DeliveryFailure,
  type ExhaustedRetryCondition,
} from '../core/delivery-retry.js';
import { type CompiledPattern, compileEventPattern, matchesEvent, RuleIndex } from '../core/event-pattern/index.js';
import { DEDUP_WINDOW_MS, fifoIdentity } from '../core/fifo-rules.js';
import { renderInputTransformer, type TransformContext, valueAtJsonPath } from '../core/input-transformer.js';
import { attributesSize } from '../core/message.js';
import { parseQueueArn } from '../core/names.js';
import { integerAttribute } from '../core/queue-attributes.js';
import type {
  ArchiveRecord,
  DeliverySettings,
  NewDelivery,
  NewMessage,
  NewTraceStep,
  QueueRecord,
  RoutedWrite,
  RuleRecord,
  Store,
  TargetRecord,
  TargetSettings,
  TraceStepName,
} from '../store/types.js';
import type { EventActivity, RuleKey, RuleObservation, RuleObservationName } from './event-activity.js';
import type { QueueActivity } from './queue-activity.js';
import type { WakeupSignal } from './wakeups.js';

/** SenderId of the SQS messages EventBridge delivers. */
export const EVENTBRIDGE_SENDER_ID = 'AIDAEVENTBRIDGE';
export const DEFAULT_BUS = 'default';
/** Bus-to-bus hops an event may take before it is refused, so that two buses targeting each other stop. */
export const MAX_BUS_HOPS = 5;

export interface AccountContext {
  accountId: string;
  region: string;
}

/** An event as routed: the envelope, and its JSON text as matched (numbers keep their spelling there). */
export interface RoutableEvent {
  event: Record<string, unknown> & { id: string };
  text: string;
  /** When EventBridge took the event in: retries count the event's age from here. */
  ingestionTime: number;
}

export type TargetKind =
  | { kind: 'sqs'; accountId: string; name: string }
  | { kind: 'bus'; name: string }
  | { kind: 'http'; url: string }
  | { kind: 'unsupported' };

/** What a target ARN names, as far as this server can deliver to it. */
export function classifyTarget(arn: string, ctx: AccountContext): TargetKind {
  const queue = parseQueueArn(arn);
  if (queue) {
    return queue.accountId === ctx.accountId && queue.region === ctx.region
      ? { kind: 'sqs', accountId: queue.accountId, name: queue.name }
      : { kind: 'unsupported' };
  }
  const bus = /^arn:aws[\w-]*:events:([^:]*):([^:]*):event-bus\/([.\-_A-Za-z0-9]+)$/.exec(arn);
  if (bus) {
    return bus[1] === ctx.region && bus[2] === ctx.accountId
      ? { kind: 'bus', name: bus[3] ?? '' }
      : { kind: 'unsupported' };
  }
  if (/^https?:\/\//.test(arn) && URL.canParse(arn)) return { kind: 'http', url: arn };
  return { kind: 'unsupported' };
}

export function busArn(ctx: AccountContext, name: string): string {
  return `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/${name}`;
}

/** ISO-8601 UTC to the second, as EventBridge writes an event's `time`. */
export function eventTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function ruleArn(ctx: AccountContext, busName: string, name: string): string {
  const path = busName === DEFAULT_BUS ? name : `${busName}/${name}`;
  return `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${path}`;
}

/** The body a target gets for an event: its Input, InputTransformer, InputPath, or the whole event. */
export function targetPayload(
  settings: TargetSettings,
  routed: RoutableEvent,
  rule: TransformContext,
): { body: string } | { error: string } {
  if (settings.Input !== undefined) return { body: settings.Input };
  if (settings.InputTransformer !== undefined) {
    return { body: renderInputTransformer(settings.InputTransformer, routed.event, rule) };
  }
  if (settings.InputPath !== undefined) {
    const value = valueAtJsonPath(routed.event, settings.InputPath);
    if (value === undefined) return { error: `InputPath ${settings.InputPath} selects nothing in the event.` };
    return { body: JSON.stringify(value) };
  }
  return { body: routed.text };
}

export function deliverySettings(settings: TargetSettings, hops = 0): DeliverySettings {
  return {
    maxRetryAttempts: settings.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS,
    maxEventAgeSeconds: settings.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS,
    ...(settings.DeadLetterConfig?.Arn !== undefined ? { deadLetterArn: settings.DeadLetterConfig.Arn } : {}),
    ...(settings.HttpParameters?.HeaderParameters ? { headers: settings.HttpParameters.HeaderParameters } : {}),
    ...(settings.HttpParameters?.QueryStringParameters ? { query: settings.HttpParameters.QueryStringParameters } : {}),
    ...(hops > 0 ? { hops } : {}),
  };
}

interface BusRouting {
  index: RuleIndex<RuleRecord>;
  targets: Map<string, TargetRecord[]>;
  archives: { archive: ArchiveRecord; pattern?: CompiledPattern | undefined }[];
}

/** How an event reached the bus it is routed on, as its `ingested` trace step tells. */
export type IngestVia = 'put-events' | 'bus-target' | 'schedule' | 'replay' | 'alarm' | 'service';

/** An observation of a plan; with `since`, its value is the time from `since` to the commit. */
interface PlannedObservation extends RuleObservation {
  since?: number | undefined;
}

/**
 * One routing step, built before it is written, with what it will have done (its observations), which
 * are reported once it is committed. A plan that writes nothing only reports.
 */
export class RoutingPlan {
  readonly write: RoutedWrite & { trace: NewTraceStep[] } = { batches: [], deliveries: [], archived: [], trace: [] };
  readonly observations: PlannedObservation[] = [];
  /** Events that matched at least one rule, per bus. */
  readonly busMatches: { accountId: string; busName: string; events: number }[] = [];
  private readonly byQueue = new Map<number, NewMessage[]>();
  /** The queues written to, in the order of `write.batches`. */
  readonly queues: QueueRecord[] = [];

  addMessage(queue: QueueRecord, message: NewMessage): void {
    let batch = this.byQueue.get(queue.id);
    if (!batch) {
      batch = [];
      this.byQueue.set(queue.id, batch);
      this.write.batches.push({ queueId: queue.id, messages: batch });
      this.queues.push(queue);
    }
    batch.push(message);
  }

  count(rule: RuleKey, ...names: RuleObservationName[]): void {
    for (const name of names) this.observations.push({ rule, name, value: 1 });
  }

  /** A latency known now, in milliseconds. */
  latency(rule: RuleKey, name: RuleObservationName, ms: number): void {
    this.observations.push({ rule, name, value: Math.max(0, ms) });
  }

  /** Latencies that end with the commit of this plan: from `since` to then. */
  latencyToCommit(rule: RuleKey, since: number, ...names: RuleObservationName[]): void {
    for (const name of names) this.observations.push({ rule, name, value: 0, since });
  }

  /** A trace step of an event, written with the plan. */
  traceStep(
    accountId: string,
    eventId: string,
    at: number,
    step: TraceStepName,
    detail: Record<string, unknown>,
  ): void {
    this.write.trace.push({ accountId, eventId, at, step, detail });
  }

  busMatched(accountId: string, busName: string): void {
    const last = this.busMatches[this.busMatches.length - 1];
    if (last && last.accountId === accountId && last.busName === busName) last.events += 1;
    else this.busMatches.push({ accountId, busName, events: 1 });
  }

  get isEmpty(): boolean {
    const w = this.write;
    return (
      w.batches.length === 0 &&
      (w.deliveries?.length ?? 0) === 0 &&
      (w.archived?.length ?? 0) === 0 &&
      w.completeDelivery === undefined &&
      w.replayProgress === undefined &&
      w.schedule === undefined &&
      w.alarm === undefined &&
      (w.alarmHistory?.length ?? 0) === 0
    );
  }
}

/**
 * The SQS message a service (EventBridge for a target, CloudWatch for an alarm action) puts on a queue, or why the
 * queue cannot take it: empty, too large, or refused by the FIFO queue's rules.
 */
export function serviceQueueMessage(
  queue: QueueRecord,
  body: string,
  options: { senderId: string; now: number; groupId?: string | undefined; dedupId?: string | undefined },
): { message: NewMessage } | { error: string } {
  if (body === '') return { error: 'The message is empty, and SQS takes no empty message.' };
  const size = Buffer.byteLength(body, 'utf8');
  if (size > integerAttribute(queue.attributes, 'MaximumMessageSize')) {
    return { error: `The message is ${size} bytes, over the queue's MaximumMessageSize.` };
  }
  const { now, groupId } = options;
  let fifo: NewMessage['fifo'];
  let dedupId: string | undefined;
  if (queue.attributes.FifoQueue === 'true') {
    try {
      const identity = fifoIdentity(
        { MessageBody: body, MessageGroupId: groupId, MessageDeduplicationId: options.dedupId },
        queue.attributes,
      );
      fifo = { dedupKey: identity.dedupKey, dedupExpiresAt: now + DEDUP_WINDOW_MS };
      dedupId = identity.dedupId;
    } catch (error) {
      return { error: error instanceof Error ? error.message : 'The FIFO queue refused the message.' };
    }
  }
  return {
    message: {
      messageId: randomUUID(),
      body,
      attributes: {},
      senderId: options.senderId,
      sentAt: now,
      visibleAt: now + integerAttribute(queue.attributes, 'DelaySeconds') * 1000,
      groupId,
      dedupId,
      fifo,
    },
  };
}

export interface EventRouterOptions {
  store: Store;
  clock: Clock;
  wakeups: WakeupSignal;
  /** Told what routing and delivery did, after each commit (the per-rule counters and metrics). */
  metrics: EventActivity;
  /** Told of the messages routing adds to queues. @defaultValue none */
  activity?: QueueActivity | undefined;
  /**
   * Whether routing writes event trace steps (`ingested`, `matched`, `invoked`, and the delivery worker's).
   * @defaultValue true
   */
  traceEvents?: boolean | undefined;
}

export interface RouteOptions {
  /** Only these rules of the bus (a replay's rule list); all when absent. */
  onlyRules?: ReadonlySet<string> | undefined;
  /** Copy matching events into the bus's archives (not for replays). @defaultValue true */
  archive?: boolean | undefined;
  /** Buses the events have already crossed. */
  hops?: number | undefined;
  /** How the events came, for their `ingested` trace steps. @defaultValue 'put-events' */
  via?: IngestVia | undefined;
  /** The replay the events are part of (with `via: 'replay'`). */
  replayName?: string | undefined;
}

/**
 * Routes events: matches them against a bus's rules (one compiled index per bus, rebuilt when its rules,
 * targets or archives change) and turns each match into writes: SQS messages for queue targets, outbox
 * deliveries for HTTP and bus targets, dead-letter messages for targets that cannot take the event, archive
 * copies. The caller adds its own bookkeeping to the plan and commits it as one transaction.
 */
export class EventRouter {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly wakeups: WakeupSignal;
  private readonly metrics: EventActivity;
  private readonly activity: QueueActivity | undefined;
  /**
   * Routing tables by bus, dropped by `invalidate` on every change through this process's services. This
   * process is the only writer of the SQLite store; a shared store would need a version check here.
   */
  private readonly buses = new Map<string, Promise<BusRouting>>();
  private readonly patterns = new Map<string, CompiledPattern>();
  private readonly deliveryListeners: (() => void)[] = [];
  /** Whether plans carry trace steps; the delivery worker asks too. */
  readonly tracing: boolean;

  constructor(options: EventRouterOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.wakeups = options.wakeups;
    this.metrics = options.metrics;
    this.activity = options.activity;
    this.tracing = options.traceEvents !== false;
  }

  /** Called after a commit that added outbox deliveries (the delivery worker listens). */
  onDeliveries(listener: () => void): void {
    this.deliveryListeners.push(listener);
  }

  invalidate(accountId: string, busName: string): void {
    this.buses.delete(JSON.stringify([accountId, busName]));
  }

  private compiled(text: string): CompiledPattern {
    let pattern = this.patterns.get(text);
    if (!pattern) {
      pattern = compileEventPattern(text);
      this.patterns.set(text, pattern);
    }
    return pattern;
  }

  private routing(accountId: string, busName: string): Promise<BusRouting> {
    const key = JSON.stringify([accountId, busName]);
    let routing = this.buses.get(key);
    if (!routing) {
      routing = this.loadRouting(accountId, busName);
      routing.catch(() => this.buses.delete(key));
      this.buses.set(key, routing);
    }
    return routing;
  }

  private async loadRouting(accountId: string, busName: string): Promise<BusRouting> {
    const rules = await allRules(this.store, accountId, busName);
    const active = rules.filter((rule) => rule.eventPattern !== undefined && rule.state !== 'DISABLED');
    const index = new RuleIndex(
      active.map((rule) => ({ key: rule, pattern: this.compiled(rule.eventPattern as string) })),
    );
    const targets = new Map<string, TargetRecord[]>();
    for (const target of await this.store.busTargets(accountId, busName)) {
      const list = targets.get(target.ruleName) ?? [];
      list.push(target);
      targets.set(target.ruleName, list);
    }
    const archives = (await this.store.busArchives(accountId, busName))
      .filter((archive) => archive.state === 'ENABLED')
      .map((archive) => ({
        archive,
        pattern: archive.eventPattern !== undefined ? this.compiled(archive.eventPattern) : undefined,
      }));
    return { index, targets, archives };
  }

  /** Adds the routing of events on a bus to the plan; false when the bus does not exist. */
  async planBus(
    plan: RoutingPlan,
    ctx: AccountContext,
    busName: string,
    events: readonly RoutableEvent[],
    options: RouteOptions = {},
  ): Promise<boolean> {
    if (!(await this.store.getEventBus(ctx.accountId, busName))) return false;
    const routing = await this.routing(ctx.accountId, busName);
    const queues = new Map<string, QueueRecord | undefined>();
    for (const routed of events) {
      // Written whether or not a rule matches: an event that went nowhere is what an operator searches for.
      const ingested = this.tracing ? this.traceIngested(plan, ctx, busName, routed, options) : undefined;
      if (options.archive !== false) {
        for (const { archive, pattern } of routing.archives) {
          if (pattern && !matchesEvent(pattern, routed.text)) continue;
          plan.write.archived?.push({ archiveId: archive.id, time: routed.ingestionTime, event: routed.text });
          if (ingested) ingested.archives = [...((ingested.archives as string[] | undefined) ?? []), archive.name];
        }
      }
      let matched = 0;
      for (const rule of routing.index.match(routed.text)) {
        if (options.onlyRules && !options.onlyRules.has(rule.name)) continue;
        matched += 1;
        await this.planRuleTargets(plan, ctx, rule, routing.targets.get(rule.name) ?? [], routed, queues, options);
      }
      if (ingested) ingested.matchedRules = matched;
      if (matched > 0) plan.busMatched(ctx.accountId, busName);
    }
    return true;
  }

  /** The `ingested` step of an event; its details are completed once the event is matched. */
  private traceIngested(
    plan: RoutingPlan,
    ctx: AccountContext,
    busName: string,
    routed: RoutableEvent,
    options: RouteOptions,
  ): Record<string, unknown> {
    const detail: Record<string, unknown> = {
      bus: busName,
      source: routed.event.source,
      detailType: routed.event['detail-type'],
      via: options.via ?? 'put-events',
      ...(options.replayName !== undefined ? { replayName: options.replayName } : {}),
      matchedRules: 0,
    };
    plan.traceStep(ctx.accountId, routed.event.id, routed.ingestionTime, 'ingested', detail);
    return detail;
  }

  /** Adds the delivery of one event to the rule's targets: a scheduled rule's event, which no bus matched. */
  async planRule(plan: RoutingPlan, ctx: AccountContext, rule: RuleRecord, routed: RoutableEvent): Promise<void> {
    const targets = await this.store.listTargets(ctx.accountId, rule.busName, rule.name, { limit: 100 });
    if (this.tracing) {
      const ingested = this.traceIngested(plan, ctx, rule.busName, routed, { via: 'schedule' });
      ingested.matchedRules = 1;
    }
    await this.planRuleTargets(plan, ctx, rule, targets, routed, new Map(), {});
  }

  private async planRuleTargets(
    plan: RoutingPlan,
    ctx: AccountContext,
    rule: RuleRecord,
    targets: readonly TargetRecord[],
    routed: RoutableEvent,
    queues: Map<string, QueueRecord | undefined>,
    options: RouteOptions,
  ): Promise<void> {
    const key = { accountId: ctx.accountId, busName: rule.busName, ruleName: rule.name };
    plan.count(key, 'MatchedEvents');
    const arn = ruleArn(ctx, rule.busName, rule.name);
    const eventId = routed.event.id;
    const at = routed.ingestionTime;
    if (this.tracing) {
      plan.traceStep(ctx.accountId, eventId, at, 'matched', { bus: rule.busName, rule: rule.name, ruleArn: arn });
    }
    const transform: TransformContext = { ruleArn: arn, ruleName: rule.name, ingestionTime: routed.ingestionTime };
    const queue = async (name: string) => {
      if (!queues.has(name)) queues.set(name, await this.store.getQueue(ctx.accountId, name));
      return queues.get(name);
    };
    const since = routed.ingestionTime;
    for (const target of targets) {
      plan.count(key, 'InvocationsCreated');
      const kind = classifyTarget(target.arn, ctx);
      const invoked = (outcome: Record<string, unknown>) => {
        if (!this.tracing) return;
        plan.traceStep(ctx.accountId, eventId, at, 'invoked', {
          rule: rule.name,
          targetId: target.id,
          targetArn: target.arn,
          kind: kind.kind === 'sqs' ? 'queue' : kind.kind,
          ...outcome,
        });
      };
      // Queue targets and targets that cannot be served are attempted here, once; the delivery worker
      // attempts the others.
      const fail = async (failure: DeliveryFailure) => {
        plan.count(key, 'Invocations', 'FailedInvocations', 'InvocationAttempts');
        plan.latencyToCommit(key, since, 'IngestionToInvocationStartLatency', 'IngestionToInvocationCompleteLatency');
        const deadLettered = await this.planDeadLetter(plan, ctx, key, {
          ruleArn: arn,
          targetArn: target.arn,
          event: routed.text,
          eventId,
          deadLetterArn: target.settings.DeadLetterConfig?.Arn,
          failure,
          retryAttempts: 0,
        });
        invoked({
          outcome: 'failed',
          code: failure.code,
          message: failure.message,
          ...(deadLettered
            ? { deadLetter: deadLettered.queue, deadLetterMessageId: deadLettered.messageId }
            : { dropped: true }),
        });
      };
      if (kind.kind === 'sqs') {
        const destination = await queue(kind.name);
        if (!destination) {
          await fail({ code: 'NO_RESOURCE', message: `Queue ${target.arn} does not exist.`, retryable: false });
          continue;
        }
        const message = this.queueMessage(destination, target.settings, routed, transform);
        if ('error' in message) {
          await fail({ code: 'INVALID_PARAMETER', message: message.error, retryable: false });
          continue;
        }
        message.message.eventId = eventId;
        plan.addMessage(destination, message.message);
        invoked({ outcome: 'queued', queue: destination.name, messageId: message.message.messageId });
        plan.count(key, 'Invocations', 'InvocationAttempts', 'SuccessfulInvocationAttempts');
        plan.latencyToCommit(
          key,
          since,
          'IngestionToInvocationStartLatency',
          'IngestionToInvocationCompleteLatency',
          'IngestionToInvocationSuccessLatency',
        );
      } else if (kind.kind === 'bus' || kind.kind === 'http') {
        const hops = options.hops ?? 0;
        const payload = kind.kind === 'bus' ? { body: routed.text } : targetPayload(target.settings, routed, transform);
        if ('error' in payload) {
          await fail({ code: 'INVALID_PARAMETER', message: payload.error, retryable: false });
          continue;
        }
        const delivery: NewDelivery = {
          accountId: ctx.accountId,
          region: ctx.region,
          ruleArn: arn,
          targetId: target.id,
          targetArn: target.arn,
          kind: kind.kind,
          payload: payload.body,
          event: routed.text,
          settings: deliverySettings(target.settings, hops),
          firstAt: routed.ingestionTime,
          nextAt: this.clock.now(),
        };
        plan.write.deliveries?.push(delivery);
        invoked({ outcome: 'scheduled' });
      } else {
        await fail({ code: 'NO_RESOURCE', message: `Target ${target.arn} cannot be reached.`, retryable: false });
      }
    }
  }

  /**
   * Adds the dead-letter message for a delivery that failed for good, with the attributes AWS adds; without
   * a dead-letter queue (or when it is gone) the event is dropped and only counted. Returns the dead-letter queue's
   * name and the message's id when there is one.
   */
  async planDeadLetter(
    plan: RoutingPlan,
    ctx: AccountContext,
    rule: RuleKey,
    failed: {
      ruleArn: string;
      targetArn: string;
      event: string;
      /** The event's id, carried by the dead-letter message (for its trace). */
      eventId?: string | undefined;
      deadLetterArn?: string | undefined;
      failure: DeliveryFailure;
      retryAttempts: number;
      exhausted?: ExhaustedRetryCondition | undefined;
    },
  ): Promise<{ queue: string; messageId: string } | undefined> {
    if (failed.deadLetterArn === undefined) return undefined;
    const parsed = parseQueueArn(failed.deadLetterArn);
    const queue =
      parsed && parsed.accountId === ctx.accountId && parsed.region === ctx.region
        ? await this.store.getQueue(parsed.accountId, parsed.name)
        : undefined;
    if (!queue || queue.attributes.FifoQueue === 'true') {
      plan.count(rule, 'InvocationsFailedToBeSentToDlq');
      return undefined;
    }
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    const now = this.clock.now();
    const attributes = {
      RULE_ARN: attribute(failed.ruleArn),
      TARGET_ARN: attribute(failed.targetArn),
      ERROR_CODE: attribute(failed.failure.code),
      ERROR_MESSAGE: attribute(failed.failure.message.slice(0, 1024)),
      ...(failed.exhausted ? { EXHAUSTED_RETRY_CONDITION: attribute(failed.exhausted) } : {}),
      RETRY_ATTEMPTS: attribute(String(failed.retryAttempts)),
    };
    const messageId = randomUUID();
    plan.addMessage(queue, {
      messageId,
      body: failed.event,
      attributes,
      senderId: EVENTBRIDGE_SENDER_ID,
      sentAt: now,
      visibleAt: now + integerAttribute(queue.attributes, 'DelaySeconds') * 1000,
      eventId: failed.eventId,
    });
    plan.count(rule, 'InvocationsSentToDlq');
    return { queue: queue.name, messageId };
  }

  /** The SQS message a queue target gets, or why the queue cannot take it. */
  private queueMessage(
    queue: QueueRecord,
    settings: TargetSettings,
    routed: RoutableEvent,
    transform: TransformContext,
  ): { message: NewMessage } | { error: string } {
    const payload = targetPayload(settings, routed, transform);
    if ('error' in payload) return payload;
    return serviceQueueMessage(queue, payload.body, {
      senderId: EVENTBRIDGE_SENDER_ID,
      now: this.clock.now(),
      groupId: settings.SqsParameters?.MessageGroupId,
    });
  }

  /** Writes the plan in one transaction, then wakes long polls and the delivery worker and reports. */
  async commit(plan: RoutingPlan): Promise<void> {
    if (plan.isEmpty && plan.write.trace.length > 0) {
      // Only trace steps (events that matched no rule): nothing else of them is stored, so there is no write to be
      // durable with, and the caller is not kept waiting for a commit of its own. The steps ride the next group
      // commit; a crash before it loses them, as it would lose the events. Failing, they are lost alone.
      this.store.routeEvents({ batches: [], trace: plan.write.trace }).catch(() => undefined);
    } else if (!plan.isEmpty) {
      const results = await this.store.routeEvents(plan.write);
      plan.write.batches.forEach(({ queueId, messages }, i) => {
        this.wakeups.notify(queueId, messages.length);
        const queue = plan.queues[i];
        const appended = results[i] ?? [];
        if (queue && this.activity && appended.length > 0) {
          this.activity.sent(
            queue,
            messages.map((m, j) => ({
              bytes: Buffer.byteLength(m.body, 'utf8') + attributesSize(m.attributes),
              duplicate: appended[j]?.duplicate === true,
            })),
          );
        }
      });
      if ((plan.write.deliveries?.length ?? 0) > 0) for (const listener of this.deliveryListeners) listener();
    }
    this.report(plan);
  }

  private report(plan: RoutingPlan): void {
    for (const { accountId, busName, events } of plan.busMatches) this.metrics.busMatched(accountId, busName, events);
    if (plan.observations.length === 0) return;
    let now: number | undefined;
    for (const o of plan.observations) {
      if (o.since === undefined) continue;
      now ??= this.clock.now();
      o.value = Math.max(0, now - o.since);
    }
    this.metrics.observed(plan.observations);
  }
}

/** Every rule of a bus, by name, read in pages. */
export async function allRules(store: Store, accountId: string, busName: string): Promise<RuleRecord[]> {
  const rules: RuleRecord[] = [];
  for (let after: string | undefined; ; ) {
    const page = await store.listRules(accountId, busName, {
      ...(after !== undefined ? { afterName: after } : {}),
      limit: 1000,
    });
    rules.push(...page);
    if (page.length < 1000) break;
    after = page[page.length - 1]?.name;
  }
  return rules;
}

/** The bus and rule a rule ARN names. */
export function parseRuleArn(arn: string): { accountId: string; busName: string; ruleName: string } | undefined {
  const match = /^arn:aws[\w-]*:events:[^:]*:([^:]*):rule\/(.+)$/.exec(arn);
  if (!match) return undefined;
  const path = match[2] ?? '';
  const slash = path.lastIndexOf('/');
  return {
    accountId: match[1] ?? '',
    busName: slash < 0 ? DEFAULT_BUS : path.slice(0, slash),
    ruleName: path.slice(slash + 1),
  };
}
