import type { Clock } from '../core/clock.js';
import { AwsError } from '../core/errors.js';
import { newEventId } from '../core/event-id.js';
import {
  compileEventPattern,
  InvalidEventError,
  InvalidEventPatternError,
  MAX_EVENT_PATTERN_LENGTH,
  matchesEvent,
  validateEventPattern,
} from '../core/event-pattern/index.js';
import { InvalidInputTransformerError, isValidJsonPath, validateInputTransformer } from '../core/input-transformer.js';
import type { Limits } from '../core/limits.js';
import { parseQueueArn } from '../core/names.js';
import { INVALID_SCHEDULE_EXPRESSION, isValidScheduleExpression } from '../core/schedule.js';
import type {
  EventBusRecord,
  NewTarget,
  RuleRecord,
  RuleState,
  Store,
  TargetRecord,
  TargetSettings,
} from '../store/types.js';
import type { EventActivity, PutEventsCall } from './event-activity.js';
import {
  type AccountContext,
  busArn,
  classifyTarget,
  DEFAULT_BUS,
  type EventRouter,
  eventTime,
  type IngestVia,
  type RoutableEvent,
  RoutingPlan,
  ruleArn,
} from './event-router.js';
import { decodeToken, encodeToken, maxLength, pageLimit, required, validation } from './events-validation.js';
import { type RuleTestOutcome, testEnvelope, testRules } from './rule-tester.js';
import type { RequestContext } from './sqs-api.js';

/**
 * EventBridge event buses, rules and pattern testing. Inputs and outputs are shaped like the AWS API
 * (AWS JSON 1.1 members); timestamps leave as epoch seconds.
 */

export { DEFAULT_BUS, EVENTBRIDGE_SENDER_ID } from './event-router.js';
export const MAX_EVENT_BUSES = 100;
export const MAX_TAGS = 50;
export const MAX_TARGETS_PER_RULE = 5;
export const MAX_PUT_EVENTS_ENTRIES = 10;

const BUS_NAME = /^[.\-_A-Za-z0-9]{1,256}$/;
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const TARGET_ID = /^[.\-_A-Za-z0-9]{1,64}$/;
const RULE_STATES: readonly RuleState[] = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'];

export interface Tag {
  Key: string;
  Value: string;
}

export interface EventBusServiceOptions {
  store: Store;
  clock: Clock;
  limits: Limits;
  router: EventRouter;
  /** Told of each PutEvents call once it has ended. @defaultValue none */
  activity?: EventActivity | undefined;
}

export interface TargetInput extends Omit<TargetSettings, 'InputTransformer'> {
  Id?: string;
  Arn?: string;
  InputTransformer?: unknown;
}

export interface PutEventsEntry {
  Time?: number;
  Source?: string;
  Resources?: string[];
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  TraceHeader?: string;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** AWS's PutEvents entry size: Time 14 bytes, and the UTF-8 bytes of Source, DetailType, Detail and each resource. */
function entrySize(entry: PutEventsEntry): number {
  let size = entry.Time !== undefined ? 14 : 0;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text !== undefined) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
}

/** An event as EventBridge builds it, and its text for matching (with the detail as given, numbers as spelled). */
function buildEvent(
  ctx: AccountContext,
  entry: {
    source: string;
    detailType: string;
    resources: string[];
    detail: Record<string, unknown>;
    detailText: string;
    time: number;
  },
): { event: RoutableEvent['event']; text: string } {
  const event = {
    version: '0',
    id: newEventId(entry.time),
    'detail-type': entry.detailType,
    source: entry.source,
    account: ctx.accountId,
    time: eventTime(entry.time),
    region: ctx.region,
    resources: entry.resources,
    detail: entry.detail,
  };
  const { detail: _detail, ...head } = event;
  return { event, text: `${JSON.stringify(head).slice(0, -1)},"detail":${entry.detailText}}` };
}

const busNotFound = (name: string) => new AwsError('EventsResourceNotFound', `Event bus ${name} does not exist.`);
const ruleNotFound = (rule: string, bus: string) =>
  new AwsError('EventsResourceNotFound', `Rule ${rule} does not exist on EventBus ${bus}.`);

function checkRuleName(name: string): void {
  if (!RULE_NAME.test(name)) {
    throw validation(
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length at most 64`,
    );
  }
}

function validateTags(tags: readonly Tag[]): void {
  if (tags.length > MAX_TAGS) {
    throw new AwsError('EventsLimitExceeded', `A resource can have at most ${MAX_TAGS} tags.`);
  }
  for (const tag of tags) {
    if (typeof tag.Key !== 'string' || tag.Key.length < 1 || tag.Key.length > 128) {
      throw validation('Tag keys must be 1 to 128 characters long.');
    }
    if (typeof tag.Value !== 'string' || tag.Value.length > 256) {
      throw validation(`Tag value for key '${tag.Key}' must be a string of at most 256 characters.`);
    }
    if (tag.Key.toLowerCase().startsWith('aws:')) {
      throw validation(`Tag key '${tag.Key}' is reserved: keys may not start with 'aws:'.`);
    }
  }
}

const tagMap = (tags: readonly Tag[] = []): Record<string, string> =>
  Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
const tagList = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export class EventBusService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly limits: Limits;
  private readonly defaultBusReady = new Map<string, Promise<void>>();
  private readonly router: EventRouter;
  private readonly activity: EventActivity | undefined;

  constructor(options: EventBusServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.limits = options.limits;
    this.router = options.router;
    this.activity = options.activity;
  }

  /** Creates the account's `default` bus if it does not exist yet (idempotent). */
  ensureDefaultBus(accountId: string): Promise<void> {
    let ready = this.defaultBusReady.get(accountId);
    if (!ready) {
      ready = this.store
        .createEventBus({ accountId, name: DEFAULT_BUS, tags: {}, now: this.clock.now() })
        .then(() => undefined);
      ready.catch(() => this.defaultBusReady.delete(accountId));
      this.defaultBusReady.set(accountId, ready);
    }
    return ready;
  }

  /** A bus given by name or ARN; the default bus when absent. */
  private busName(ctx: RequestContext, nameOrArn: string | undefined): string {
    if (nameOrArn === undefined || nameOrArn === '') return DEFAULT_BUS;
    maxLength(nameOrArn, 1600, 'eventBusName');
    const arn = /^arn:aws[\w-]*:events:([^:]*):([^:]*):event-bus\/(.+)$/.exec(nameOrArn);
    if (arn) {
      if (arn[1] !== ctx.region || arn[2] !== ctx.accountId) throw busNotFound(arn[3] ?? nameOrArn);
      return arn[3] ?? '';
    }
    return nameOrArn;
  }

  private async requireBus(ctx: RequestContext, name: string): Promise<EventBusRecord> {
    await this.ensureDefaultBus(ctx.accountId);
    const bus = await this.store.getEventBus(ctx.accountId, name);
    if (!bus) throw busNotFound(name);
    return bus;
  }

  private async requireRule(ctx: RequestContext, input: { Name?: string; EventBusName?: string }) {
    const name = required(input.Name, 'name');
    const busName = this.busName(ctx, input.EventBusName);
    await this.ensureDefaultBus(ctx.accountId);
    const rule = await this.store.getRule(ctx.accountId, busName, name);
    if (!rule) throw ruleNotFound(name, busName);
    return rule;
  }

  private busOut(ctx: RequestContext, bus: EventBusRecord) {
    return {
      Name: bus.name,
      Arn: busArn(ctx, bus.name),
      ...(bus.description !== undefined ? { Description: bus.description } : {}),
      CreationTime: bus.createdAt / 1000,
      LastModifiedTime: bus.lastModifiedAt / 1000,
    };
  }

  private ruleOut(ctx: RequestContext, rule: RuleRecord) {
    return {
      Name: rule.name,
      Arn: ruleArn(ctx, rule.busName, rule.name),
      ...(rule.eventPattern !== undefined ? { EventPattern: rule.eventPattern } : {}),
      ...(rule.scheduleExpression !== undefined ? { ScheduleExpression: rule.scheduleExpression } : {}),
      State: rule.state,
      ...(rule.description !== undefined ? { Description: rule.description } : {}),
      ...(rule.roleArn !== undefined ? { RoleArn: rule.roleArn } : {}),
      EventBusName: rule.busName,
    };
  }

  async createEventBus(
    ctx: RequestContext,
    input: { Name?: string; Description?: string; EventSourceName?: string; Tags?: Tag[] },
  ) {
    const name = required(input.Name, 'name');
    if (!BUS_NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    if (input.EventSourceName !== undefined) {
      throw validation('Partner event sources are not supported by this server.');
    }
    maxLength(input.Description, 512, 'description');
    const tags = input.Tags ?? [];
    validateTags(tags);
    await this.ensureDefaultBus(ctx.accountId);
    const result = await this.store.createEventBus({
      accountId: ctx.accountId,
      name,
      description: input.Description,
      tags: tagMap(tags),
      now: this.clock.now(),
      maxBuses: MAX_EVENT_BUSES,
    });
    if (result.outcome === 'limit-exceeded') {
      throw new AwsError('EventsLimitExceeded', `The requested resource exceeds the maximum number allowed.`);
    }
    if (result.outcome === 'exists') {
      throw new AwsError('EventsResourceAlreadyExists', `Event bus ${name} already exists.`);
    }
    return {
      EventBusArn: busArn(ctx, name),
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
    };
  }

  async describeEventBus(ctx: RequestContext, input: { Name?: string }) {
    const bus = await this.requireBus(ctx, this.busName(ctx, input.Name));
    return this.busOut(ctx, bus);
  }

  async listEventBuses(ctx: RequestContext, input: { NamePrefix?: string; Limit?: number; NextToken?: string }) {
    const limit = pageLimit(input.Limit);
    maxLength(input.NamePrefix, 256, 'namePrefix');
    await this.ensureDefaultBus(ctx.accountId);
    const afterName = decodeToken(input.NextToken);
    const buses = await this.store.listEventBuses(ctx.accountId, {
      ...(input.NamePrefix !== undefined ? { prefix: input.NamePrefix } : {}),
      ...(afterName !== undefined ? { afterName } : {}),
      limit: limit + 1,
    });
    const page = buses.slice(0, limit);
    const last = page[page.length - 1];
    return {
      EventBuses: page.map((bus) => this.busOut(ctx, bus)),
      ...(buses.length > limit && last ? { NextToken: encodeToken(last.name) } : {}),
    };
  }

  async deleteEventBus(ctx: RequestContext, input: { Name?: string }) {
    const name = this.busName(ctx, required(input.Name, 'name'));
    if (name === DEFAULT_BUS) throw validation('Cannot delete event bus default.');
    const outcome = await this.store.deleteEventBus(ctx.accountId, name);
    if (outcome === 'has-rules') {
      throw validation(`Cannot delete event bus ${name} because it still has rules. Delete the rules first.`);
    }
    // Deleting a bus that does not exist succeeds, as on AWS.
    return {};
  }

  async putRule(
    ctx: RequestContext,
    input: {
      Name?: string;
      EventBusName?: string;
      EventPattern?: string;
      ScheduleExpression?: string;
      State?: string;
      Description?: string;
      RoleArn?: string;
      Tags?: Tag[];
    },
  ) {
    const name = required(input.Name, 'name');
    checkRuleName(name);
    const busName = this.busName(ctx, input.EventBusName);
    const pattern = input.EventPattern === '' ? undefined : input.EventPattern;
    const schedule = input.ScheduleExpression === '' ? undefined : input.ScheduleExpression;
    if (pattern === undefined && schedule === undefined) {
      throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    if (pattern !== undefined) {
      maxLength(pattern, MAX_EVENT_PATTERN_LENGTH, 'eventPattern');
      const problem = validateEventPattern(pattern);
      if (problem) throw new AwsError('EventsInvalidEventPattern', problem.message);
    }
    if (schedule !== undefined) {
      maxLength(schedule, 256, 'scheduleExpression');
      if (!isValidScheduleExpression(schedule)) throw validation(INVALID_SCHEDULE_EXPRESSION);
      if (busName !== DEFAULT_BUS) {
        throw validation('ScheduleExpression is supported only on the default event bus.');
      }
    }
    const state = (input.State ?? 'ENABLED') as RuleState;
    if (!RULE_STATES.includes(state)) {
      throw validation(
        `1 validation error detected: Value '${input.State}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${RULE_STATES.join(', ')}]`,
      );
    }
    maxLength(input.Description, 512, 'description');
    maxLength(input.RoleArn, 1600, 'roleArn');
    const tags = input.Tags ?? [];
    validateTags(tags);
    await this.ensureDefaultBus(ctx.accountId);
    const result = await this.store.putRule({
      accountId: ctx.accountId,
      busName,
      name,
      eventPattern: pattern,
      scheduleExpression: schedule,
      state,
      description: input.Description,
      roleArn: input.RoleArn,
      tags: tagMap(tags),
      now: this.clock.now(),
      maxRules: this.limits.maxRulesPerBus,
    });
    this.router.invalidate(ctx.accountId, busName);
    if (result.outcome === 'no-bus') throw busNotFound(busName);
    if (result.outcome === 'limit-exceeded') {
      throw new AwsError(
        'EventsLimitExceeded',
        `The requested resource exceeds the maximum number allowed: at most ${this.limits.maxRulesPerBus} rules per event bus.`,
      );
    }
    return { RuleArn: ruleArn(ctx, busName, name) };
  }

  async describeRule(ctx: RequestContext, input: { Name?: string; EventBusName?: string }) {
    const rule = await this.requireRule(ctx, input);
    return { ...this.ruleOut(ctx, rule), CreatedBy: ctx.accountId };
  }

  async listRules(
    ctx: RequestContext,
    input: { NamePrefix?: string; EventBusName?: string; Limit?: number; NextToken?: string },
  ) {
    const limit = pageLimit(input.Limit);
    maxLength(input.NamePrefix, 64, 'namePrefix');
    const busName = this.busName(ctx, input.EventBusName);
    await this.requireBus(ctx, busName);
    const afterName = decodeToken(input.NextToken);
    const rules = await this.store.listRules(ctx.accountId, busName, {
      ...(input.NamePrefix !== undefined ? { prefix: input.NamePrefix } : {}),
      ...(afterName !== undefined ? { afterName } : {}),
      limit: limit + 1,
    });
    const page = rules.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Rules: page.map((rule) => this.ruleOut(ctx, rule)),
      ...(rules.length > limit && last ? { NextToken: encodeToken(last.name) } : {}),
    };
  }

  async deleteRule(ctx: RequestContext, input: { Name?: string; EventBusName?: string; Force?: boolean }) {
    const rule = await this.requireRule(ctx, input);
    const outcome = await this.store.deleteRule(ctx.accountId, rule.busName, rule.name, {
      force: input.Force === true,
    });
    if (outcome === 'has-targets') throw validation("Rule can't be deleted since it has targets.");
    this.router.invalidate(ctx.accountId, rule.busName);
    return {};
  }

  // ---- targets -----------------------------------------------------------------------------------

  /** Why this target cannot be put, as a per-entry failure, or undefined; throws for request-wide errors. */
  private async checkTarget(ctx: RequestContext, target: TargetInput): Promise<string | undefined> {
    const id = required(target.Id, 'targets.member.id');
    if (!TARGET_ID.test(id)) {
      throw validation(
        `1 validation error detected: Value '${id}' at 'targets.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length at most 64`,
      );
    }
    const arn = required(target.Arn, 'targets.member.arn');
    maxLength(arn, 1600, 'targets.member.arn');
    maxLength(target.RoleArn, 1600, 'targets.member.roleArn');
    maxLength(target.Input, 8192, 'targets.member.input');
    maxLength(target.InputPath, 256, 'targets.member.inputPath');
    const inputs = [target.Input, target.InputPath, target.InputTransformer].filter((v) => v !== undefined);
    if (inputs.length > 1) {
      throw validation(`Target ${id}: only one of Input, InputPath and InputTransformer may be given.`);
    }
    if (target.Input !== undefined) {
      try {
        JSON.parse(target.Input);
      } catch {
        throw validation(`Target ${id}: Input is not valid JSON text.`);
      }
    }
    if (target.InputPath !== undefined && !isValidJsonPath(target.InputPath)) {
      throw validation(
        `Target ${id}: InputPath ${target.InputPath} is not a valid JSON path: use dot notation from the event root, array indices and * wildcards, as in $.detail.items[0].sku.`,
      );
    }
    if (target.InputTransformer !== undefined) {
      try {
        validateInputTransformer(target.InputTransformer);
      } catch (error) {
        if (error instanceof InvalidInputTransformerError) throw validation(`Target ${id}: ${error.message}`);
        throw error;
      }
    }
    const retry = target.RetryPolicy;
    if (
      retry?.MaximumRetryAttempts !== undefined &&
      !(retry.MaximumRetryAttempts >= 0 && retry.MaximumRetryAttempts <= 185)
    ) {
      throw validation(
        `1 validation error detected: Value '${retry.MaximumRetryAttempts}' at 'targets.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value between 0 and 185`,
      );
    }
    const age = retry?.MaximumEventAgeInSeconds;
    if (age !== undefined && !(age >= 60 && age <= 86400)) {
      throw validation(
        `1 validation error detected: Value '${age}' at 'targets.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400`,
      );
    }
    const dlq = target.DeadLetterConfig?.Arn;
    if (dlq !== undefined) {
      const parsed = parseQueueArn(dlq);
      if (!parsed || parsed.region !== ctx.region || parsed.accountId !== ctx.accountId) {
        throw validation(`Target ${id}: DeadLetterConfig.Arn must be the ARN of an SQS queue of this server.`);
      }
    }
    if (target.SqsParameters?.MessageGroupId !== undefined) {
      maxLength(target.SqsParameters.MessageGroupId, 256, 'targets.member.sqsParameters.messageGroupId');
    }
    const kind = classifyTarget(arn, ctx);
    if (kind.kind === 'unsupported') {
      return `Target ${arn} is not supported: targets can be SQS queues (arn:aws:sqs:${ctx.region}:${ctx.accountId}:<queue>) and event buses (arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/<name>) of this server, or http:// and https:// URLs.`;
    }
    if (target.HttpParameters !== undefined && kind.kind !== 'http') {
      return `Target ${arn}: HttpParameters apply to HTTP targets only.`;
    }
    if (kind.kind === 'bus' && (target.Input ?? target.InputPath ?? target.InputTransformer) !== undefined) {
      return `Target ${arn}: an event bus target receives the event itself; Input, InputPath and InputTransformer are not allowed.`;
    }
    if (kind.kind === 'sqs') {
      const queue = await this.store.getQueue(kind.accountId, kind.name);
      if (queue?.attributes.FifoQueue === 'true') {
        if (!target.SqsParameters?.MessageGroupId) {
          return `Target ${arn} is a FIFO queue: SqsParameters.MessageGroupId is required.`;
        }
        if (queue.attributes.ContentBasedDeduplication !== 'true') {
          return `Target ${arn} is a FIFO queue without ContentBasedDeduplication, which EventBridge needs.`;
        }
      }
    }
    return undefined;
  }

  async putTargets(ctx: RequestContext, input: { Rule?: string; EventBusName?: string; Targets?: TargetInput[] }) {
    const rule = await this.requireRule(ctx, { Name: input.Rule, EventBusName: input.EventBusName });
    const targets = required(input.Targets, 'targets');
    if (targets.length < 1 || targets.length > 100) {
      throw validation(
        `1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 100`,
      );
    }
    const FailedEntries: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
    const accepted: NewTarget[] = [];
    for (const target of targets) {
      const problem = await this.checkTarget(ctx, target);
      const id = target.Id ?? '';
      if (problem) {
        FailedEntries.push({ TargetId: id, ErrorCode: 'ValidationException', ErrorMessage: problem });
        continue;
      }
      const settings: TargetSettings = {};
      for (const key of [
        'RoleArn',
        'Input',
        'InputPath',
        'SqsParameters',
        'RetryPolicy',
        'DeadLetterConfig',
        'HttpParameters',
      ] as const) {
        if (target[key] !== undefined) Object.assign(settings, { [key]: target[key] });
      }
      if (target.InputTransformer !== undefined)
        settings.InputTransformer = validateInputTransformer(target.InputTransformer);
      accepted.push({ id, arn: target.Arn ?? '', settings });
    }
    if (accepted.length > 0) {
      const outcome = await this.store.putTargets(
        ctx.accountId,
        rule.busName,
        rule.name,
        accepted,
        MAX_TARGETS_PER_RULE,
      );
      this.router.invalidate(ctx.accountId, rule.busName);
      if (outcome === 'no-rule') throw ruleNotFound(rule.name, rule.busName);
      if (outcome === 'limit-exceeded') {
        throw new AwsError(
          'EventsLimitExceeded',
          `The requested resource exceeds the maximum number allowed: at most ${MAX_TARGETS_PER_RULE} targets per rule.`,
        );
      }
    }
    return { FailedEntryCount: FailedEntries.length, FailedEntries };
  }

  async removeTargets(
    ctx: RequestContext,
    input: { Rule?: string; EventBusName?: string; Ids?: string[]; Force?: boolean },
  ) {
    const rule = await this.requireRule(ctx, { Name: input.Rule, EventBusName: input.EventBusName });
    const ids = required(input.Ids, 'ids');
    if (ids.length < 1 || ids.length > 100) {
      throw validation(
        `1 validation error detected: Value at 'ids' failed to satisfy constraint: Member must have length between 1 and 100`,
      );
    }
    const removed = new Set(await this.store.removeTargets(ctx.accountId, rule.busName, rule.name, ids));
    this.router.invalidate(ctx.accountId, rule.busName);
    const FailedEntries = ids
      .filter((id) => !removed.has(id))
      .map((id) => ({
        TargetId: id,
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Target ${id} does not exist on rule ${rule.name}.`,
      }));
    return { FailedEntryCount: FailedEntries.length, FailedEntries };
  }

  private targetOut(target: TargetRecord) {
    return { Id: target.id, Arn: target.arn, ...target.settings };
  }

  async listTargetsByRule(
    ctx: RequestContext,
    input: { Rule?: string; EventBusName?: string; Limit?: number; NextToken?: string },
  ) {
    const limit = pageLimit(input.Limit);
    const rule = await this.requireRule(ctx, { Name: input.Rule, EventBusName: input.EventBusName });
    const afterId = decodeToken(input.NextToken);
    const targets = await this.store.listTargets(ctx.accountId, rule.busName, rule.name, {
      ...(afterId !== undefined ? { afterId } : {}),
      limit: limit + 1,
    });
    const page = targets.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Targets: page.map((target) => this.targetOut(target)),
      ...(targets.length > limit && last ? { NextToken: encodeToken(last.id) } : {}),
    };
  }

  async listRuleNamesByTarget(
    ctx: RequestContext,
    input: { TargetArn?: string; EventBusName?: string; Limit?: number; NextToken?: string },
  ) {
    const arn = required(input.TargetArn, 'targetArn');
    maxLength(arn, 1600, 'targetArn');
    const limit = pageLimit(input.Limit);
    const busName = this.busName(ctx, input.EventBusName);
    await this.requireBus(ctx, busName);
    const afterName = decodeToken(input.NextToken);
    const names = await this.store.ruleNamesByTarget(ctx.accountId, busName, arn, {
      ...(afterName !== undefined ? { afterName } : {}),
      limit: limit + 1,
    });
    const page = names.slice(0, limit);
    const last = page[page.length - 1];
    return {
      RuleNames: page,
      ...(names.length > limit && last !== undefined ? { NextToken: encodeToken(last) } : {}),
    };
  }

  // ---- events ------------------------------------------------------------------------------------

  /** Why the entry is refused, as a per-entry error, or its event and bus. */
  private async checkEntry(
    ctx: RequestContext,
    entry: PutEventsEntry,
  ): Promise<
    | { error: { ErrorCode: string; ErrorMessage: string } }
    | { busName: string; event: { id: string } & Record<string, unknown>; text: string }
  > {
    for (const [member, value] of [
      ['Source', entry.Source],
      ['DetailType', entry.DetailType],
      ['Detail', entry.Detail],
    ] as const) {
      if (value === undefined || value === '') {
        return {
          error: {
            ErrorCode: 'InvalidArgument',
            ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.`,
          },
        };
      }
    }
    // `aws.` sources are the AWS services' own (this server's alarms and schedules put them); clients may not.
    if (entry.Source?.startsWith('aws.')) {
      return {
        error: { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail ?? '');
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { error: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
    }
    let busName: string;
    try {
      busName = this.busName(ctx, entry.EventBusName);
    } catch (error) {
      if (error instanceof AwsError)
        return { error: { ErrorCode: 'ResourceNotFoundException', ErrorMessage: error.message } };
      throw error;
    }
    if (!(await this.store.getEventBus(ctx.accountId, busName))) {
      return {
        error: { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` },
      };
    }
    const time = entry.Time !== undefined ? entry.Time * 1000 : this.clock.now();
    const { event, text } = buildEvent(ctx, {
      source: entry.Source ?? '',
      detailType: entry.DetailType ?? '',
      resources: entry.Resources ?? [],
      detail: detail as Record<string, unknown>,
      detailText: entry.Detail ?? '',
      time,
    });
    return { busName, event, text };
  }

  /**
   * Adds an event that an AWS service emits (a `source` of `aws.…`, which PutEvents takes from no client) to `plan`:
   * built as PutEvents builds events and routed through the rules of the account's bus (`default` unless told), like
   * any other event. The caller adds its own writes to the plan and commits it (`EventRouter.commit`), so the event
   * and the state change it reports are one transaction. Returns the event's id.
   */
  async planServiceEvent(
    plan: RoutingPlan,
    ctx: AccountContext,
    entry: {
      source: string;
      detailType: string;
      resources: string[];
      detail: Record<string, unknown>;
      time: number;
      /** What emitted it, for its trace. @defaultValue 'service' */
      via?: IngestVia | undefined;
    },
    busName: string = DEFAULT_BUS,
  ): Promise<string> {
    await this.ensureDefaultBus(ctx.accountId);
    const { event, text } = buildEvent(ctx, { ...entry, detailText: JSON.stringify(entry.detail) });
    await this.router.planBus(plan, ctx, busName, [{ event, text, ingestionTime: this.clock.now() }], {
      via: entry.via ?? 'service',
    });
    return event.id;
  }

  async putEvents(ctx: RequestContext, input: { Entries?: PutEventsEntry[]; EndpointId?: string }) {
    const started = performance.now();
    const call: PutEventsCall = { accountId: ctx.accountId, ok: false, entries: input.Entries?.length, millis: 0 };
    try {
      const out = await this.putEntries(ctx, input, call);
      call.ok = true;
      return out;
    } finally {
      // After the commit that made the entries durable, or once the call has failed.
      call.millis = performance.now() - started;
      this.activity?.putEvents(call);
    }
  }

  private async putEntries(ctx: RequestContext, input: { Entries?: PutEventsEntry[] }, call: PutEventsCall) {
    const entries = required(input.Entries, 'entries');
    const total = entries.reduce((sum, entry) => sum + entrySize(entry), 0);
    call.requestBytes = total;
    if (entries.length < 1 || entries.length > MAX_PUT_EVENTS_ENTRIES) {
      throw validation(
        `1 validation error detected: Value '[${entries.length} entries]' at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_PUT_EVENTS_ENTRIES}`,
      );
    }
    if (total > this.limits.maxPutEventsBytes) {
      throw validation('Total size of the entries in the request is over the limit.');
    }
    await this.ensureDefaultBus(ctx.accountId);
    const results: EntryResult[] = [];
    const byBus = new Map<string, RoutableEvent[]>();
    const now = this.clock.now();
    for (const entry of entries) {
      const checked = await this.checkEntry(ctx, entry);
      if ('error' in checked) {
        results.push(checked.error);
        continue;
      }
      results.push({ EventId: checked.event.id });
      const list = byBus.get(checked.busName) ?? [];
      list.push({ event: checked.event, text: checked.text, ingestionTime: now });
      byBus.set(checked.busName, list);
    }
    const plan = new RoutingPlan();
    for (const [busName, events] of byBus) await this.router.planBus(plan, ctx, busName, events);
    await this.router.commit(plan);
    const failed = results.filter((r) => 'ErrorCode' in r).length;
    call.failedEntries = failed;
    return { FailedEntryCount: failed, Entries: results };
  }

  enableRule(ctx: RequestContext, input: { Name?: string; EventBusName?: string }) {
    return this.setState(ctx, input, 'ENABLED');
  }

  disableRule(ctx: RequestContext, input: { Name?: string; EventBusName?: string }) {
    return this.setState(ctx, input, 'DISABLED');
  }

  private async setState(ctx: RequestContext, input: { Name?: string; EventBusName?: string }, state: RuleState) {
    const rule = await this.requireRule(ctx, input);
    const updated = await this.store.updateRule(ctx.accountId, rule.busName, rule.name, {
      state,
      now: this.clock.now(),
    });
    this.router.invalidate(ctx.accountId, rule.busName);
    if (!updated) throw ruleNotFound(rule.name, rule.busName);
    return {};
  }

  testEventPattern(_ctx: RequestContext, input: { EventPattern?: string; Event?: string }) {
    const patternText = required(input.EventPattern, 'eventPattern');
    const event = required(input.Event, 'event');
    maxLength(patternText, MAX_EVENT_PATTERN_LENGTH, 'eventPattern');
    try {
      const pattern = compileEventPattern(patternText);
      return { Result: matchesEvent(pattern, event, { requireEnvelope: true }) };
    } catch (error) {
      if (error instanceof InvalidEventPatternError) throw new AwsError('EventsInvalidEventPattern', error.message);
      if (error instanceof InvalidEventError) throw validation(error.message);
      throw error;
    }
  }

  /**
   * The console's rule tester: which rules of a bus match an event and what each target would be sent (see
   * rule-tester.ts). Nothing is routed, stored or counted.
   */
  async testEvent(ctx: RequestContext, input: { EventBusName?: string; Event?: string }): Promise<RuleTestOutcome> {
    const busName = this.busName(ctx, input.EventBusName);
    await this.requireBus(ctx, busName);
    const routed = testEnvelope(ctx, required(input.Event, 'event'), this.clock.now());
    return testRules(this.store, ctx, busName, routed);
  }

  /** The bus or rule an ARN names, in this account and region. */
  private async resource(ctx: RequestContext, arn: string) {
    await this.ensureDefaultBus(ctx.accountId);
    const parsed = /^arn:aws[\w-]*:events:([^:]*):([^:]*):(event-bus|rule)\/(.+)$/.exec(arn);
    if (!parsed || parsed[1] !== ctx.region || parsed[2] !== ctx.accountId) {
      throw new AwsError('EventsResourceNotFound', `Resource ${arn} does not exist.`);
    }
    const path = parsed[4] ?? '';
    if (parsed[3] === 'event-bus') {
      const bus = await this.store.getEventBus(ctx.accountId, path);
      if (!bus) throw busNotFound(path);
      return { kind: 'bus' as const, bus };
    }
    const slash = path.lastIndexOf('/');
    const busName = slash < 0 ? DEFAULT_BUS : path.slice(0, slash);
    const name = path.slice(slash + 1);
    const rule = await this.store.getRule(ctx.accountId, busName, name);
    if (!rule) throw ruleNotFound(name, busName);
    return { kind: 'rule' as const, rule };
  }

  private async setTags(ctx: RequestContext, arn: string, change: (tags: Record<string, string>) => void) {
    const target = await this.resource(ctx, arn);
    const tags = { ...(target.kind === 'bus' ? target.bus.tags : target.rule.tags) };
    change(tags);
    if (Object.keys(tags).length > MAX_TAGS) {
      throw new AwsError('EventsLimitExceeded', `A resource can have at most ${MAX_TAGS} tags.`);
    }
    const now = this.clock.now();
    const done =
      target.kind === 'bus'
        ? await this.store.setEventBusTags(ctx.accountId, target.bus.name, tags, now)
        : await this.store.updateRule(ctx.accountId, target.rule.busName, target.rule.name, { tags, now });
    if (!done) throw new AwsError('EventsResourceNotFound', `Resource ${arn} does not exist.`);
    return {};
  }

  tagResource(ctx: RequestContext, input: { ResourceARN?: string; Tags?: Tag[] }) {
    const arn = required(input.ResourceARN, 'resourceARN');
    const tags = required(input.Tags, 'tags');
    validateTags(tags);
    return this.setTags(ctx, arn, (current) => Object.assign(current, tagMap(tags)));
  }

  untagResource(ctx: RequestContext, input: { ResourceARN?: string; TagKeys?: string[] }) {
    const arn = required(input.ResourceARN, 'resourceARN');
    const keys = required(input.TagKeys, 'tagKeys');
    return this.setTags(ctx, arn, (current) => {
      for (const key of keys) delete current[key];
    });
  }

  async listTagsForResource(ctx: RequestContext, input: { ResourceARN?: string }) {
    const target = await this.resource(ctx, required(input.ResourceARN, 'resourceARN'));
    return { Tags: tagList(target.kind === 'bus' ? target.bus.tags : target.rule.tags) };
  }
}
