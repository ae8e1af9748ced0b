/**
 * The difference between a topology file and what a server has, as an ordered list of changes (pure: no I/O).
 *
 * Ownership: every queue, bus, rule and alarm `apply` writes carries the tag `switchyard:managed-by=topology`.
 * A resource of the file is always made to match it (an existing one without the tag is adopted: the tag is added).
 * A resource absent from the file is deleted only when it carries the tag; otherwise it is left alone and listed as
 * unmanaged. The default bus is never created or deleted. A target belongs to its rule: the targets
 * of a rule in the file are exactly the file's.
 *
 * Comparison is on the normalised model on both sides (the loader fills AWS's defaults, the reader the server's), so
 * numbers are numbers, absent values are defaults, and JSON values (event patterns, constant inputs) are compared
 * parsed, whatever their key order.
 */
import type { CurrentState } from './current.js';
import {
  DEFAULT_BUS,
  queuesInCreationOrder,
  type Tags,
  type Topology,
  type TopologyAlarm,
  type TopologyBus,
  type TopologyQueue,
  type TopologyRule,
  type TopologyTarget,
} from './model.js';

/** The tag `apply` puts on everything it writes; what makes a resource the topology's to delete. */
export const MANAGED_TAG_KEY = 'switchyard:managed-by';
export const MANAGED_TAG_VALUE = 'topology';

export type ChangeAction = 'create' | 'update' | 'delete';
export type ChangeKind = 'queue' | 'bus' | 'rule' | 'target' | 'alarm';

/** One field of an update; `from` or `to` is undefined when the field is not set on that side. */
export interface FieldChange {
  readonly field: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

interface ChangeOf<K extends ChangeKind, T> {
  readonly action: ChangeAction;
  readonly kind: K;
  /** The resource's name; a target's is `<rule>/<target id>`. */
  readonly name: string;
  /** An update's fields, in the model's (and the file's) names: `visibilityTimeout`, `tags.team`. */
  readonly fields?: readonly FieldChange[];
  /** What the file wants (create, update), the ownership tag included. */
  readonly desired?: T;
  /** What the server has (update, delete). */
  readonly current?: T;
}

export type QueueChange = ChangeOf<'queue', TopologyQueue>;
export type BusChange = ChangeOf<'bus', TopologyBus>;
export type AlarmChange = ChangeOf<'alarm', TopologyAlarm>;
export interface RuleChange extends ChangeOf<'rule', TopologyRule> {
  readonly bus: string;
}
export interface TargetChange extends ChangeOf<'target', TopologyTarget> {
  readonly bus: string;
  readonly rule: string;
  readonly targetId: string;
}
export type Change = QueueChange | BusChange | RuleChange | TargetChange | AlarmChange;

/** A resource the server has that the file neither declares nor owns: left alone. */
export interface UnmanagedResource {
  readonly kind: Exclude<ChangeKind, 'target'>;
  readonly name: string;
  /** Rules: their bus. */
  readonly bus?: string;
}

export interface Plan {
  /** In the order they must be made: creates and updates, dependencies first, then deletes, dependents first. */
  readonly changes: readonly Change[];
  /** Differences no API call can make; a plan with errors is not applied. */
  readonly errors: readonly string[];
  readonly unmanaged: readonly UnmanagedResource[];
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
}

// ---- comparison ----------------------------------------------------------------------------------------

/** JSON with sorted keys: equal for equal values whatever their key order. */
function canonical(value: unknown): string {
  if (value === undefined) return '\u0000undefined';
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

type Fields = Record<string, unknown>;

function prefixed(prefix: string, values: Readonly<Record<string, unknown>> | undefined): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(values ?? {})) out[`${prefix}.${key}`] = value;
  return out;
}

/** The fields that differ, in the desired side's order, then those only the current side has. */
function diff(current: Fields, desired: Fields): FieldChange[] {
  const keys = [...new Set([...Object.keys(desired), ...Object.keys(current)])];
  const changes: FieldChange[] = [];
  for (const field of keys) {
    const from = current[field];
    const to = desired[field];
    if (canonical(from) !== canonical(to)) changes.push({ field, from, to });
  }
  return changes;
}

const isManaged = (tags: Tags): boolean => tags[MANAGED_TAG_KEY] === MANAGED_TAG_VALUE;
const withMarker = (tags: Tags): Tags => ({ ...tags, [MANAGED_TAG_KEY]: MANAGED_TAG_VALUE });

function queueFields(queue: TopologyQueue): Fields {
  return {
    delaySeconds: queue.delaySeconds,
    maximumMessageSize: queue.maximumMessageSize,
    messageRetentionPeriod: queue.messageRetentionPeriod,
    receiveMessageWaitTimeSeconds: queue.receiveMessageWaitTimeSeconds,
    visibilityTimeout: queue.visibilityTimeout,
    kmsMasterKeyId: queue.kmsMasterKeyId,
    kmsDataKeyReusePeriodSeconds: queue.kmsDataKeyReusePeriodSeconds,
    sqsManagedSseEnabled: queue.sqsManagedSseEnabled,
    deadLetterQueue: queue.deadLetter?.queue,
    maxReceiveCount: queue.deadLetter?.maxReceiveCount,
    ...(queue.fifo
      ? {
          contentBasedDeduplication: queue.contentBasedDeduplication,
          deduplicationScope: queue.deduplicationScope,
          fifoThroughputLimit: queue.fifoThroughputLimit,
        }
      : {}),
    ...prefixed('tags', queue.tags),
  };
}

function busFields(bus: TopologyBus): Fields {
  return { description: bus.description, ...prefixed('tags', bus.tags) };
}

function ruleFields(rule: TopologyRule): Fields {
  return {
    description: rule.description,
    state: rule.state,
    pattern: rule.trigger.kind === 'pattern' ? rule.trigger.pattern : undefined,
    schedule: rule.trigger.kind === 'schedule' ? rule.trigger.expression : undefined,
    ...prefixed('tags', rule.tags),
  };
}

/** Constant input compared as JSON; text that does not parse as it is. */
function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function targetFields(target: TopologyTarget): Fields {
  const d = target.destination;
  const i = target.input;
  return {
    queue: d.kind === 'queue' ? d.queue : undefined,
    bus: d.kind === 'bus' ? d.bus : undefined,
    url: d.kind === 'url' ? d.url : undefined,
    messageGroupId: d.kind === 'queue' ? d.messageGroupId : undefined,
    ...prefixed('httpParameters.headerParameters', d.kind === 'url' ? d.headerParameters : undefined),
    ...prefixed('httpParameters.queryStringParameters', d.kind === 'url' ? d.queryStringParameters : undefined),
    input: i.kind === 'constant' ? parsedJson(i.json) : undefined,
    inputPath: i.kind === 'path' ? i.path : undefined,
    ...prefixed('inputTransformer.inputPathsMap', i.kind === 'transformer' ? i.inputPathsMap : undefined),
    'inputTransformer.inputTemplate': i.kind === 'transformer' ? i.inputTemplate : undefined,
    'retryPolicy.maximumRetryAttempts': target.retryPolicy.maximumRetryAttempts,
    'retryPolicy.maximumEventAgeInSeconds': target.retryPolicy.maximumEventAgeInSeconds,
    deadLetterQueue: target.deadLetterQueue,
  };
}

const actionText = (action: TopologyAlarm['actions']['alarm'][number]): string =>
  action.kind === 'queue' ? `queue ${action.queue}` : action.url;

function alarmFields(alarm: TopologyAlarm): Fields {
  return {
    description: alarm.description,
    namespace: alarm.namespace,
    metric: alarm.metric,
    ...prefixed('dimensions', alarm.dimensions),
    statistic: alarm.statistic,
    extendedStatistic: alarm.extendedStatistic,
    period: alarm.period,
    evaluationPeriods: alarm.evaluationPeriods,
    datapointsToAlarm: alarm.datapointsToAlarm,
    threshold: alarm.threshold,
    comparison: alarm.comparison,
    treatMissingData: alarm.treatMissingData,
    unit: alarm.unit,
    actionsEnabled: alarm.actionsEnabled,
    'actions.alarm': alarm.actions.alarm.map(actionText),
    'actions.ok': alarm.actions.ok.map(actionText),
    'actions.insufficientData': alarm.actions.insufficientData.map(actionText),
    ...prefixed('tags', alarm.tags),
  };
}

const ruleKey = (bus: string, name: string) => `${bus}\u0000${name}`;

// ---- planning ------------------------------------------------------------------------------------------

/** The changes that make `current` what `desired` describes. */
export function plan(desired: Topology, current: CurrentState): Plan {
  const changes: Change[] = [];
  const errors: string[] = [];
  const unmanaged: UnmanagedResource[] = [];

  // Queues: dead-letter queues before the queues that name them.
  const currentQueues = new Map(current.queues.map((q) => [q.name, q]));
  for (const queue of queuesInCreationOrder(desired.queues)) {
    const want: TopologyQueue = { ...queue, tags: withMarker(queue.tags) };
    const have = currentQueues.get(queue.name);
    if (!have) {
      changes.push({ action: 'create', kind: 'queue', name: queue.name, desired: want });
      continue;
    }
    if (have.fifo !== want.fifo) {
      errors.push(
        `cannot change fifo of queue ${queue.name} (${have.fifo} → ${want.fifo}): SQS cannot change a queue's type; delete it first`,
      );
      continue;
    }
    const fields = diff(queueFields(have), queueFields(want));
    if (fields.length > 0) {
      changes.push({ action: 'update', kind: 'queue', name: queue.name, fields, desired: want, current: have });
    }
  }

  // Buses (the default bus is implied, never declared).
  const currentBuses = new Map(current.buses.filter((b) => b.name !== DEFAULT_BUS).map((b) => [b.name, b]));
  for (const bus of desired.buses) {
    const want: TopologyBus = { ...bus, tags: withMarker(bus.tags) };
    const have = currentBuses.get(bus.name);
    if (!have) {
      changes.push({ action: 'create', kind: 'bus', name: bus.name, desired: want });
      continue;
    }
    const fields = diff(busFields(have), busFields(want));
    if (fields.some((f) => f.field === 'description')) {
      errors.push(
        `cannot change the description of bus ${bus.name}: the server cannot update a bus (no UpdateEventBus); delete the bus (and its rules) first, or keep its description`,
      );
      continue;
    }
    if (fields.length > 0) {
      changes.push({ action: 'update', kind: 'bus', name: bus.name, fields, desired: want, current: have });
    }
  }

  // Rules, then their targets.
  const currentRules = new Map(current.rules.map((r) => [ruleKey(r.bus, r.name), r]));
  const targetRemovals: TargetChange[] = [];
  const targetUpserts: TargetChange[] = [];
  for (const rule of desired.rules) {
    const want: TopologyRule = { ...rule, tags: withMarker(rule.tags) };
    const have = currentRules.get(ruleKey(rule.bus, rule.name));
    if (!have) {
      changes.push({ action: 'create', kind: 'rule', name: rule.name, bus: rule.bus, desired: want });
    } else {
      const fields = diff(ruleFields(have), ruleFields(want));
      if (fields.length > 0) {
        changes.push({
          action: 'update',
          kind: 'rule',
          name: rule.name,
          bus: rule.bus,
          fields,
          desired: want,
          current: have,
        });
      }
    }
    const haveTargets = new Map((have?.targets ?? []).map((t) => [t.id, t]));
    const wantIds = new Set(rule.targets.map((t) => t.id));
    const targetOf = (id: string) => ({ kind: 'target' as const, name: `${rule.name}/${id}`, bus: rule.bus });
    // Removed first: a rule holds at most 5 targets, and a replaced one must make room.
    for (const [id, target] of haveTargets) {
      if (!wantIds.has(id)) {
        targetRemovals.push({ action: 'delete', ...targetOf(id), rule: rule.name, targetId: id, current: target });
      }
    }
    for (const target of rule.targets) {
      const current = haveTargets.get(target.id);
      if (!current) {
        targetUpserts.push({
          action: 'create',
          ...targetOf(target.id),
          rule: rule.name,
          targetId: target.id,
          desired: target,
        });
        continue;
      }
      const fields = diff(targetFields(current), targetFields(target));
      if (fields.length > 0) {
        targetUpserts.push({
          action: 'update',
          ...targetOf(target.id),
          rule: rule.name,
          targetId: target.id,
          fields,
          desired: target,
          current,
        });
      }
    }
  }
  changes.push(...targetRemovals, ...targetUpserts);

  // Alarms.
  const currentAlarms = new Map(current.alarms.map((a) => [a.name, a]));
  for (const alarm of desired.alarms) {
    const want: TopologyAlarm = { ...alarm, tags: withMarker(alarm.tags) };
    const have = currentAlarms.get(alarm.name);
    if (!have) {
      changes.push({ action: 'create', kind: 'alarm', name: alarm.name, desired: want });
      continue;
    }
    const fields = diff(alarmFields(have), alarmFields(want));
    if (fields.length > 0) {
      changes.push({ action: 'update', kind: 'alarm', name: alarm.name, fields, desired: want, current: have });
    }
  }

  // Deletes, dependents first: a rule's targets, the rule, buses, alarms, then queues (sources before their DLQs).
  const desiredRules = new Set(desired.rules.map((r) => ruleKey(r.bus, r.name)));
  const desiredBuses = new Set(desired.buses.map((b) => b.name));
  const busesToDelete = new Set(
    [...currentBuses.values()].filter((b) => !desiredBuses.has(b.name) && isManaged(b.tags)).map((b) => b.name),
  );
  const remainingRules = new Map<string, string[]>();
  for (const rule of current.rules) {
    if (desiredRules.has(ruleKey(rule.bus, rule.name))) continue;
    if (!isManaged(rule.tags)) {
      unmanaged.push({ kind: 'rule', name: rule.name, bus: rule.bus });
      remainingRules.set(rule.bus, [...(remainingRules.get(rule.bus) ?? []), rule.name]);
      continue;
    }
    for (const target of rule.targets) {
      changes.push({
        action: 'delete',
        kind: 'target',
        name: `${rule.name}/${target.id}`,
        bus: rule.bus,
        rule: rule.name,
        targetId: target.id,
        current: target,
      });
    }
    changes.push({ action: 'delete', kind: 'rule', name: rule.name, bus: rule.bus, current: rule });
  }
  for (const bus of currentBuses.values()) {
    if (desiredBuses.has(bus.name)) continue;
    if (!busesToDelete.has(bus.name)) {
      unmanaged.push({ kind: 'bus', name: bus.name });
      continue;
    }
    const left = remainingRules.get(bus.name);
    if (left) {
      errors.push(
        `cannot delete bus ${bus.name}: it still has rules this file does not manage (${left.join(', ')}); delete them first, or remove the ${MANAGED_TAG_KEY} tag from the bus to keep it`,
      );
      continue;
    }
    changes.push({ action: 'delete', kind: 'bus', name: bus.name, current: bus });
  }
  const desiredAlarms = new Set(desired.alarms.map((a) => a.name));
  for (const alarm of current.alarms) {
    if (desiredAlarms.has(alarm.name)) continue;
    if (isManaged(alarm.tags)) changes.push({ action: 'delete', kind: 'alarm', name: alarm.name, current: alarm });
    else unmanaged.push({ kind: 'alarm', name: alarm.name });
  }
  const desiredQueues = new Set(desired.queues.map((q) => q.name));
  const queuesToDelete: TopologyQueue[] = [];
  for (const queue of current.queues) {
    if (desiredQueues.has(queue.name)) continue;
    if (isManaged(queue.tags)) queuesToDelete.push(queue);
    else unmanaged.push({ kind: 'queue', name: queue.name });
  }
  for (const queue of queuesInCreationOrder(queuesToDelete).reverse()) {
    changes.push({ action: 'delete', kind: 'queue', name: queue.name, current: queue });
  }

  const kindOrder: Record<UnmanagedResource['kind'], number> = { queue: 0, bus: 1, rule: 2, alarm: 3 };
  unmanaged.sort(
    (a, b) =>
      kindOrder[a.kind] - kindOrder[b.kind] || (a.bus ?? '').localeCompare(b.bus ?? '') || a.name.localeCompare(b.name),
  );
  return { changes, errors, unmanaged };
}

// ---- output --------------------------------------------------------------------------------------------

export function summarize(plan: Plan): PlanSummary {
  const count = (action: ChangeAction) => plan.changes.filter((c) => c.action === action).length;
  return { create: count('create'), update: count('update'), delete: count('delete') };
}

/** `queue orders`, `rule orders-amazon (bus commerce)`, `target orders-amazon/orders-queue (bus commerce)`. */
export function describeChange(change: Pick<Change, 'kind' | 'name'> & { bus?: string }): string {
  const onBus = change.bus !== undefined && change.bus !== DEFAULT_BUS ? ` (bus ${change.bus})` : '';
  return `${change.kind} ${change.name}${onBus}`;
}

/** A field's value as the plan shows it: numbers and booleans bare, strings and JSON quoted, `(none)` if unset. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const SYMBOL: Record<ChangeAction, string> = { create: '+', update: '~', delete: '-' };

/** One line per change, or per field of an update with several. */
export function formatChange(change: Change): string[] {
  const head = `${SYMBOL[change.action]} ${describeChange(change)}`;
  const fields = change.fields ?? [];
  const field = (f: FieldChange) => `${f.field} ${formatValue(f.from)} → ${formatValue(f.to)}`;
  if (change.action !== 'update' || fields.length === 0) return [head];
  if (fields.length === 1 && fields[0]) return [`${head}: ${field(fields[0])}`];
  return [`${head}:`, ...fields.map((f) => `    ${field(f)}`)];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The plan as `terraform plan` shows one: changes, resources left alone, and a summary line. */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  for (const error of plan.errors) lines.push(`Error: ${error}`);
  for (const change of plan.changes) lines.push(...formatChange(change));
  if (plan.unmanaged.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push('Not in the file and not managed by it (left alone):');
    for (const resource of plan.unmanaged) lines.push(`  ${describeChange(resource)}`);
  }
  if (lines.length > 0) lines.push('');
  const s = summarize(plan);
  if (plan.changes.length === 0 && plan.errors.length === 0) lines.push('No changes.');
  else lines.push(`Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`);
  if (plan.errors.length > 0) lines.push(`${plural(plan.errors.length, 'error')}: nothing will be applied.`);
  return lines.join('\n');
}

/** The plan as JSON: each change's action, kind, name (bus) and fields; the errors; what is left alone. */
export function planToJson(plan: Plan): {
  changes: { action: ChangeAction; kind: ChangeKind; name: string; bus?: string; fields?: readonly FieldChange[] }[];
  errors: readonly string[];
  unmanaged: readonly UnmanagedResource[];
  summary: PlanSummary;
} {
  return {
    changes: plan.changes.map((c) => ({
      action: c.action,
      kind: c.kind,
      name: c.name,
      ...('bus' in c ? { bus: c.bus } : {}),
      ...(c.fields ? { fields: c.fields } : {}),
    })),
    errors: plan.errors,
    unmanaged: plan.unmanaged,
    summary: summarize(plan),
  };
}
