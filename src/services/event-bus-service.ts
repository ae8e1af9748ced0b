import type { Clock } from '../core/clock.js';
import { AwsError } from '../core/errors.js';
import {
  compileEventPattern,
  InvalidEventError,
  InvalidEventPatternError,
  MAX_EVENT_PATTERN_LENGTH,
  matchesEvent,
  validateEventPattern,
} from '../core/event-pattern/index.js';
import type { EventBusRecord, RuleRecord, RuleState, Store } from '../store/types.js';
import type { RequestContext } from './sqs-api.js';

/**
 * EventBridge event buses, rules and pattern testing. Inputs and outputs are shaped like the AWS API
 * (AWS JSON 1.1 members); timestamps leave as epoch seconds.
 */

export const DEFAULT_BUS = 'default';
export const MAX_EVENT_BUSES = 100;
export const MAX_RULES_PER_BUS = 300;
export const MAX_TAGS = 50;

const BUS_NAME = /^[.\-_A-Za-z0-9]{1,256}$/;
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const RULE_STATES: readonly RuleState[] = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'];

export interface Tag {
  Key: string;
  Value: string;
}

export interface EventBusServiceOptions {
  store: Store;
  clock: Clock;
}

const validation = (message: string) => new AwsError('EventsValidation', message);
const busNotFound = (name: string) => new AwsError('EventsResourceNotFound', `Event bus ${name} does not exist.`);
const ruleNotFound = (rule: string, bus: string) =>
  new AwsError('EventsResourceNotFound', `Rule ${rule} does not exist on EventBus ${bus}.`);

function required<T>(value: T | undefined | null, name: string): T {
  if (value === undefined || value === null || value === '') {
    throw validation(
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function maxLength(value: string | undefined, max: number, name: string): void {
  if (value !== undefined && value.length > max) {
    throw validation(
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
}

function checkRuleName(name: string): void {
  if (!RULE_NAME.test(name)) {
    throw validation(
      `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length at most 64`,
    );
  }
}

/** `rate(N unit)` or `cron(6 fields)`; the time zone is UTC. */
export function isValidScheduleExpression(text: string): boolean {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    if (value < 1) return false;
    return value === 1 ? !unit.endsWith('s') : unit.endsWith('s');
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron) return false;
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) return false;
  if (!fields.every((f) => /^[0-9A-Za-z*?,\-/#]+$/.test(f))) return false;
  // Day-of-month and day-of-week cannot both be given: one of them must be `?`.
  return fields[2] === '?' || fields[4] === '?';
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

const encodeToken = (name: string) => Buffer.from(JSON.stringify({ after: name })).toString('base64');
function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw validation('The NextToken is not valid.');
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw validation(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  }
  return limit;
}

export class EventBusService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly defaultBusReady = new Map<string, Promise<void>>();

  constructor(options: EventBusServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
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

  busArn(ctx: RequestContext, name: string): string {
    return `arn:aws:events:${ctx.region}:${ctx.accountId}:event-bus/${name}`;
  }

  ruleArn(ctx: RequestContext, bus: string, name: string): string {
    const path = bus === DEFAULT_BUS ? name : `${bus}/${name}`;
    return `arn:aws:events:${ctx.region}:${ctx.accountId}:rule/${path}`;
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
      Arn: this.busArn(ctx, bus.name),
      ...(bus.description !== undefined ? { Description: bus.description } : {}),
      CreationTime: bus.createdAt / 1000,
      LastModifiedTime: bus.lastModifiedAt / 1000,
    };
  }

  private ruleOut(ctx: RequestContext, rule: RuleRecord) {
    return {
      Name: rule.name,
      Arn: this.ruleArn(ctx, rule.busName, rule.name),
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
      EventBusArn: this.busArn(ctx, name),
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
      if (!isValidScheduleExpression(schedule)) throw validation('Parameter ScheduleExpression is not valid.');
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
      maxRules: MAX_RULES_PER_BUS,
    });
    if (result.outcome === 'no-bus') throw busNotFound(busName);
    if (result.outcome === 'limit-exceeded') {
      throw new AwsError(
        'EventsLimitExceeded',
        `The requested resource exceeds the maximum number allowed: at most ${MAX_RULES_PER_BUS} rules per event bus.`,
      );
    }
    return { RuleArn: this.ruleArn(ctx, busName, name) };
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
    // Rules have no targets yet, so there is nothing to refuse on.
    await this.store.deleteRule(ctx.accountId, rule.busName, rule.name);
    return {};
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
