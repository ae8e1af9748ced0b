import { randomUUID } from 'node:crypto';
import {
  type AlarmStateSnapshot,
  actionHistory,
  alarmArn,
  alarmNotification,
  alarmStateChangeDetail,
  classifyAlarmAction,
  configurationHistory,
  INITIAL_STATE_REASON,
  type MetricAlarmConfig,
  stateUpdateHistory,
} from '../core/alarm-messages.js';
import {
  type AlarmConfig,
  type AlarmDatapoint,
  type AlarmState,
  evaluateAlarm,
  evaluationWindow,
  formatStateReasonData,
  isoDate,
  nextEvaluationTime,
} from '../core/alarms.js';
import type { Clock } from '../core/clock.js';
import { AwsError } from '../core/errors.js';
import type { Limits } from '../core/limits.js';
import { statisticValue } from '../core/metrics/statistics.js';
import type {
  AlarmHistoryItemType,
  AlarmRecord,
  AlarmStateRecord,
  AlarmStateValue,
  NewAlarmHistoryItem,
  Store,
} from '../store/types.js';
import {
  ALARM_HISTORY_DAYS,
  type AlarmContext,
  alarmPeriod,
  CLOUDWATCH_SENDER_ID,
  checkAlarmConfig,
  checkAlarmName,
  checkAlarmTypes,
  checkMaxRecords,
  checkNames,
  checkStandardStatistic,
  checkStateValue,
  checkTags,
  checkUnit,
  combination,
  type DescribeAlarmHistoryInput,
  type DescribeAlarmsForMetricInput,
  type DescribeAlarmsInput,
  epochSeconds,
  HISTORY_TYPES,
  HTTP_ACTION_RETRIES,
  MAX_ALARM_TAGS,
  notNull,
  type PutMetricAlarmInput,
  type SetAlarmStateInput,
  sameDimensions,
  tooLong,
} from './alarm-input.js';
import { BackgroundLoop } from './background-loop.js';
import type { EventBusService } from './event-bus-service.js';
import { type AccountContext, type EventRouter, RoutingPlan, serviceQueueMessage } from './event-router.js';
import type { GetMetricDataInput } from './get-metric-data.js';
import { checkDimensions, checkNamespace, decodeToken, encodeToken, invalid, validation } from './metric-input.js';
import type { MetricsService } from './metrics-service.js';

/**
 * CloudWatch metric alarms: the API (PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DescribeAlarmHistory,
 * DeleteAlarms, SetAlarmState, EnableAlarmActions, DisableAlarmActions, and ListTagsForResource, TagResource and
 * UntagResource for alarm ARNs; inputs and outputs in the JSON protocol's shapes, timestamps as epoch seconds) and
 * the worker that evaluates every alarm on schedule.
 *
 * Evaluation (core/alarms.ts decides): each alarm once a minute, or once per period for 10, 20 and 30-second
 * periods, over an evaluation range of EvaluationPeriods + 2 periods read from the metrics service (a single metric
 * through `periodStats`, metric math through `getMetricData`). A state change is one transaction: the alarm's new
 * state, its StateUpdate history item, the `CloudWatch Alarm State Change` event routed through the rules of the
 * account's default bus, and, when actions are enabled, the actions of the new state: an SQS queue gets the
 * notification as a message (written in that same transaction), an HTTP URL an outbox delivery POSTed by the
 * delivery worker with retries. Each action taken is an Action history item.
 *
 * Changes to one alarm are made one at a time (an in-process lock: this process is the store's only writer); the
 * state write also checks that the alarm's configuration is the one it was computed for.
 */

export interface AlarmMetricSource {
  periodStats: MetricsService['periodStats'];
  getMetricData(
    ctx: { accountId: string },
    input: GetMetricDataInput,
  ): Promise<{ MetricDataResults: { Id: string; Timestamps: number[]; Values: number[] }[] }>;
}

export interface AlarmServiceOptions {
  store: Store;
  clock: Clock;
  metrics: AlarmMetricSource;
  eventBuses: EventBusService;
  router: EventRouter;
  region: string;
  limits: Pick<Limits, 'maxAlarms'>;
  /** How often due evaluations are looked for. @defaultValue 1000 */
  tickMs?: number;
  /** Told of an evaluation that failed (it is tried again at the next tick). @defaultValue none */
  onError?: ((error: unknown, alarm: { accountId: string; name: string }) => void) | undefined;
}

/** The configuration as stored, with these tags (none: no Tags member). */
function configWithTags(config: MetricAlarmConfig, tags: MetricAlarmConfig['Tags']): string {
  const { Tags: _replaced, ...rest } = config;
  return JSON.stringify(tags?.length ? { ...rest, Tags: tags } : rest);
}

// ---- the service ------------------------------------------------------------------------------

export class AlarmService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly metrics: AlarmMetricSource;
  private readonly eventBuses: EventBusService;
  private readonly router: EventRouter;
  private readonly region: string;
  private readonly limits: Pick<Limits, 'maxAlarms'>;
  private readonly onError: AlarmServiceOptions['onError'];
  private readonly loop: BackgroundLoop;
  private readonly locks = new Map<string, Promise<unknown>>();
  private lastExpiry = Number.NEGATIVE_INFINITY;

  constructor(options: AlarmServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.metrics = options.metrics;
    this.eventBuses = options.eventBuses;
    this.router = options.router;
    this.region = options.region;
    this.limits = options.limits;
    this.onError = options.onError;
    this.loop = new BackgroundLoop(() => this.step(), options.tickMs ?? 1000);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Runs `fn` once the changes to the alarm under way are done; one at a time per alarm. */
  private exclusive<T>(accountId: string, name: string, fn: () => Promise<T>): Promise<T> {
    const key = JSON.stringify([accountId, name]);
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }

  private account(ctx: AlarmContext): AccountContext {
    return { accountId: ctx.accountId, region: this.region };
  }

  private parse(alarm: AlarmRecord): MetricAlarmConfig {
    return JSON.parse(alarm.config) as MetricAlarmConfig;
  }

  /** The alarm as DescribeAlarms shows it (a `MetricAlarm`); `time` renders its timestamps. */
  private view(
    alarm: AlarmRecord,
    time: (ms: number) => unknown = epochSeconds,
  ): Record<string, unknown> & {
    AlarmName: string;
  } {
    const c = this.parse(alarm);
    return {
      AlarmName: alarm.name,
      AlarmArn: alarmArn({ accountId: alarm.accountId, region: this.region, name: alarm.name }),
      ...(c.AlarmDescription !== undefined ? { AlarmDescription: c.AlarmDescription } : {}),
      AlarmConfigurationUpdatedTimestamp: time(alarm.configUpdatedAt),
      ActionsEnabled: alarm.actionsEnabled,
      OKActions: c.OKActions,
      AlarmActions: c.AlarmActions,
      InsufficientDataActions: c.InsufficientDataActions,
      StateValue: alarm.state.value,
      StateReason: alarm.state.reason,
      ...(alarm.state.reasonData !== undefined ? { StateReasonData: alarm.state.reasonData } : {}),
      StateUpdatedTimestamp: time(alarm.state.updatedAt),
      ...(c.MetricName !== undefined ? { MetricName: c.MetricName } : {}),
      ...(c.Namespace !== undefined ? { Namespace: c.Namespace } : {}),
      ...(c.Statistic !== undefined ? { Statistic: c.Statistic } : {}),
      ...(c.ExtendedStatistic !== undefined ? { ExtendedStatistic: c.ExtendedStatistic } : {}),
      Dimensions: c.Dimensions,
      ...(c.Period !== undefined && c.Metrics === undefined ? { Period: c.Period } : {}),
      ...(c.Unit !== undefined ? { Unit: c.Unit } : {}),
      EvaluationPeriods: c.EvaluationPeriods,
      ...(c.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: c.DatapointsToAlarm } : {}),
      Threshold: c.Threshold,
      ComparisonOperator: c.ComparisonOperator,
      ...(c.TreatMissingData !== undefined ? { TreatMissingData: c.TreatMissingData } : {}),
      ...(c.EvaluateLowSampleCountPercentile !== undefined
        ? { EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile }
        : {}),
      ...(c.Metrics !== undefined ? { Metrics: c.Metrics } : {}),
      StateTransitionedTimestamp: time(alarm.state.transitionedAt),
    };
  }

  private history(
    alarm: { accountId: string; name: string },
    type: AlarmHistoryItemType,
    at: number,
    text: { summary: string; data: string },
  ): NewAlarmHistoryItem {
    return { accountId: alarm.accountId, alarmName: alarm.name, timestamp: at, type, ...text };
  }

  // ---- PutMetricAlarm ---------------------------------------------------------------------------

  /** Validates a PutMetricAlarm request into the configuration kept, and the core's view of it. */
  async putMetricAlarm(ctx: AlarmContext, input: PutMetricAlarmInput) {
    const name = checkAlarmName(input.AlarmName);
    const { config } = checkAlarmConfig(this.account(ctx), input);
    await this.exclusive(ctx.accountId, name, async () => {
      const now = this.clock.now();
      const existing = await this.store.getAlarm(ctx.accountId, name);
      const state: AlarmStateRecord = existing?.state ?? {
        value: 'INSUFFICIENT_DATA',
        reason: INITIAL_STATE_REASON,
        updatedAt: now,
        transitionedAt: now,
      };
      const record: AlarmRecord = {
        accountId: ctx.accountId,
        name,
        ...(config.Metrics === undefined ? { namespace: config.Namespace, metricName: config.MetricName } : {}),
        // Tags are set on creation only: an update keeps the alarm's (TagResource and UntagResource change them).
        config: configWithTags(config, existing ? this.parse(existing).Tags : config.Tags),
        actionsEnabled: input.ActionsEnabled ?? true,
        state,
        configUpdatedAt: now,
        // A new alarm is evaluated at once; a changed one keeps its state until its next evaluation.
        nextEvaluationAt: existing?.nextEvaluationAt ?? now,
      };
      const text = existing
        ? configurationHistory('Update', this.view(record, isoDate), this.view(existing, isoDate))
        : configurationHistory('Create', this.view(record, isoDate));
      const outcome = await this.store.putAlarm(
        record,
        [this.history(record, 'ConfigurationUpdate', now, text)],
        this.limits.maxAlarms,
      );
      if (outcome === 'limit-exceeded') {
        throw new AwsError(
          'CloudWatchLimitExceeded',
          `The maximum number of alarms (${this.limits.maxAlarms}) for this account has been reached.`,
        );
      }
    });
    this.loop.kick();
    return {};
  }

  // ---- reads ------------------------------------------------------------------------------------

  async describeAlarms(ctx: AlarmContext, input: DescribeAlarmsInput) {
    // An empty list (which some clients always send) filters nothing.
    const given = checkNames(input.AlarmNames, 'alarmNames', false);
    const names = given?.length ? given : undefined;
    if (names !== undefined && input.AlarmNamePrefix !== undefined) {
      throw combination('AlarmNames and AlarmNamePrefix cannot be given together.');
    }
    if (input.AlarmNamePrefix !== undefined && input.AlarmNamePrefix.length > 255) {
      throw tooLong(input.AlarmNamePrefix, 'alarmNamePrefix', 255);
    }
    const types = checkAlarmTypes(input.AlarmTypes);
    const stateValue = checkStateValue(input.StateValue, 'stateValue');
    const limit = checkMaxRecords(input.MaxRecords, 50);
    const after =
      input.NextToken === undefined
        ? undefined
        : decodeToken<{ after: string }>(input.NextToken, (t) => typeof t.after === 'string').after;
    // No composite alarms exist here, so an alarm has neither children nor parents.
    if (!types.metric || input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined) {
      return { MetricAlarms: [], CompositeAlarms: [] };
    }
    const prefix = input.ActionPrefix;
    const matches = (alarm: AlarmRecord) => {
      if (prefix === undefined) return true;
      const c = this.parse(alarm);
      return [...c.OKActions, ...c.AlarmActions, ...c.InsufficientDataActions].some((a) => a.startsWith(prefix));
    };
    const found: AlarmRecord[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.store.listAlarms(ctx.accountId, {
        names,
        prefix: input.AlarmNamePrefix,
        stateValue,
        afterName: cursor,
        limit: 500,
      });
      for (const alarm of page) if (matches(alarm)) found.push(alarm);
      if (found.length > limit || page.length < 500) break;
      cursor = page[page.length - 1]?.name;
    }
    const pageItems = found.slice(0, limit);
    const last = pageItems[pageItems.length - 1];
    return {
      MetricAlarms: pageItems.map((alarm) => this.view(alarm)),
      CompositeAlarms: [],
      ...(found.length > limit && last ? { NextToken: encodeToken({ after: last.name }) } : {}),
    };
  }

  async describeAlarmsForMetric(ctx: AlarmContext, input: DescribeAlarmsForMetricInput) {
    if (input.MetricName === undefined) throw notNull('metricName');
    if (input.Namespace === undefined) throw notNull('namespace');
    const namespace = checkNamespace(input.Namespace);
    checkDimensions(input.Dimensions, 'Dimensions');
    if (input.Statistic !== undefined) checkStandardStatistic(input.Statistic, 'statistic');
    checkUnit(input.Unit, 'unit');
    const dimensions = input.Dimensions ?? [];
    const out: Record<string, unknown>[] = [];
    for (let after: string | undefined; ; ) {
      const page = await this.store.listAlarms(ctx.accountId, {
        metric: { namespace, metricName: input.MetricName },
        afterName: after,
        limit: 500,
      });
      for (const alarm of page) {
        const c = this.parse(alarm);
        if (!sameDimensions(c.Dimensions, dimensions)) continue;
        if (input.Statistic !== undefined && c.Statistic !== input.Statistic) continue;
        if (input.ExtendedStatistic !== undefined && c.ExtendedStatistic !== input.ExtendedStatistic) continue;
        if (input.Period !== undefined && c.Period !== input.Period) continue;
        if (input.Unit !== undefined && c.Unit !== input.Unit) continue;
        out.push(this.view(alarm));
      }
      if (page.length < 500) break;
      after = page[page.length - 1]?.name;
    }
    return { MetricAlarms: out };
  }

  async describeAlarmHistory(ctx: AlarmContext, input: DescribeAlarmHistoryInput) {
    if (input.AlarmName !== undefined) checkAlarmName(input.AlarmName);
    const types = checkAlarmTypes(input.AlarmTypes);
    let type: AlarmHistoryItemType | undefined;
    if (input.HistoryItemType !== undefined) {
      const known = [...HISTORY_TYPES, 'AlarmContributorStateUpdate', 'AlarmContributorAction'];
      if (!known.includes(input.HistoryItemType)) {
        throw validation(
          `1 validation error detected: Value '${input.HistoryItemType}' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [${known.join(', ')}]`,
        );
      }
      // Contributor items belong to Metrics Insights alarms, which this server does not have.
      if (!(HISTORY_TYPES as readonly string[]).includes(input.HistoryItemType)) return { AlarmHistoryItems: [] };
      type = input.HistoryItemType as AlarmHistoryItemType;
    }
    const scanBy = input.ScanBy ?? 'TimestampDescending';
    if (scanBy !== 'TimestampDescending' && scanBy !== 'TimestampAscending') {
      throw validation(
        `1 validation error detected: Value '${scanBy}' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]`,
      );
    }
    const limit = checkMaxRecords(input.MaxRecords, 100);
    const fromMs = input.StartDate !== undefined ? Math.round(input.StartDate * 1000) : undefined;
    const toMs = input.EndDate !== undefined ? Math.round(input.EndDate * 1000) : undefined;
    if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
      throw invalid('The parameter StartDate must not be after the parameter EndDate.');
    }
    const after =
      input.NextToken === undefined
        ? undefined
        : decodeToken<{ timestamp: number; id: number }>(
            input.NextToken,
            (t) => Number.isInteger(t.timestamp) && Number.isInteger(t.id),
          );
    if (!types.metric) return { AlarmHistoryItems: [] };
    const items = await this.store.alarmHistory(ctx.accountId, {
      alarmName: input.AlarmName,
      type,
      fromMs,
      toMs,
      order: scanBy === 'TimestampAscending' ? 'asc' : 'desc',
      after: after ? { timestamp: after.timestamp, id: after.id } : undefined,
      limit: limit + 1,
    });
    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return {
      AlarmHistoryItems: page.map((item) => ({
        AlarmName: item.alarmName,
        AlarmType: 'MetricAlarm',
        Timestamp: epochSeconds(item.timestamp),
        HistoryItemType: item.type,
        HistorySummary: item.summary,
        HistoryData: item.data,
      })),
      ...(items.length > limit && last ? { NextToken: encodeToken({ timestamp: last.timestamp, id: last.id }) } : {}),
    };
  }

  // ---- changes ----------------------------------------------------------------------------------

  async deleteAlarms(ctx: AlarmContext, input: { AlarmNames?: string[] }) {
    const names = checkNames(input.AlarmNames, 'alarmNames', true) ?? [];
    for (const name of new Set(names)) {
      await this.exclusive(ctx.accountId, name, async () => {
        const alarm = await this.store.getAlarm(ctx.accountId, name);
        if (!alarm) return;
        const now = this.clock.now();
        const text = configurationHistory('Delete', this.view(alarm, isoDate));
        await this.store.deleteAlarms(ctx.accountId, [name], [this.history(alarm, 'ConfigurationUpdate', now, text)]);
      });
    }
    return {};
  }

  enableAlarmActions(ctx: AlarmContext, input: { AlarmNames?: string[] }) {
    return this.setActionsEnabled(ctx, input, true);
  }

  disableAlarmActions(ctx: AlarmContext, input: { AlarmNames?: string[] }) {
    return this.setActionsEnabled(ctx, input, false);
  }

  private async setActionsEnabled(ctx: AlarmContext, input: { AlarmNames?: string[] }, enabled: boolean) {
    const names = checkNames(input.AlarmNames, 'alarmNames', true) ?? [];
    for (const name of new Set(names)) {
      await this.exclusive(ctx.accountId, name, async () => {
        const alarm = await this.store.getAlarm(ctx.accountId, name);
        if (!alarm || alarm.actionsEnabled === enabled) return;
        const now = this.clock.now();
        const updated: AlarmRecord = { ...alarm, actionsEnabled: enabled, configUpdatedAt: now };
        const text = configurationHistory('Update', this.view(updated, isoDate), this.view(alarm, isoDate));
        await this.store.putAlarm(updated, [this.history(alarm, 'ConfigurationUpdate', now, text)]);
      });
    }
    return {};
  }

  // ---- tags ---------------------------------------------------------------------------------------

  /** The name of the alarm an ARN names, if it is one of this region and the caller's account and exists. */
  private async alarmOfArn(ctx: AlarmContext, arn: string | undefined): Promise<AlarmRecord> {
    if (arn === undefined) throw notNull('resourceARN');
    if (arn.length < 1 || arn.length > 1024) throw tooLong(arn, 'resourceARN', 1024);
    const m = /^arn:aws[\w-]*:cloudwatch:([^:]*):([^:]*):alarm:(.+)$/s.exec(arn);
    if (!m) throw invalid(`The ARN ${arn} is not a valid CloudWatch alarm ARN.`);
    const [, region, accountId, name] = m as unknown as [string, string, string, string];
    const alarm =
      region === this.region && accountId === ctx.accountId
        ? await this.store.getAlarm(ctx.accountId, name)
        : undefined;
    if (!alarm) throw new AwsError('CloudWatchResourceNotFoundException', `Alarm ${name} not found`);
    return alarm;
  }

  async listTagsForResource(ctx: AlarmContext, input: { ResourceARN?: string }) {
    const alarm = await this.alarmOfArn(ctx, input.ResourceARN);
    return { Tags: this.parse(alarm).Tags ?? [] };
  }

  tagResource(ctx: AlarmContext, input: { ResourceARN?: string; Tags?: { Key?: string; Value?: string }[] }) {
    if (input.Tags === undefined) throw notNull('tags');
    const given = checkTags(input.Tags);
    return this.changeTags(ctx, input.ResourceARN, (tags) => {
      for (const { Key, Value } of given) tags.set(Key, Value);
      if (tags.size > MAX_ALARM_TAGS) throw validation(`An alarm can have at most ${MAX_ALARM_TAGS} tags.`);
    });
  }

  untagResource(ctx: AlarmContext, input: { ResourceARN?: string; TagKeys?: string[] }) {
    if (input.TagKeys === undefined) throw notNull('tagKeys');
    for (const key of input.TagKeys) {
      if (key.length < 1 || key.length > 128) throw validation('Tag keys must be 1 to 128 characters long.');
    }
    return this.changeTags(ctx, input.ResourceARN, (tags) => {
      for (const key of input.TagKeys ?? []) tags.delete(key);
    });
  }

  /**
   * Changes an alarm's tags, kept in its configuration, under the alarm's lock and through the store's upsert as
   * PutMetricAlarm does. Tags are not shown by DescribeAlarms: the configuration's update time and history stay.
   */
  private async changeTags(
    ctx: AlarmContext,
    arn: string | undefined,
    change: (tags: Map<string, string>) => void,
  ): Promise<object> {
    const { name } = await this.alarmOfArn(ctx, arn);
    await this.exclusive(ctx.accountId, name, async () => {
      const alarm = await this.store.getAlarm(ctx.accountId, name);
      if (!alarm) throw new AwsError('CloudWatchResourceNotFoundException', `Alarm ${name} not found`);
      const config = this.parse(alarm);
      const tags = new Map((config.Tags ?? []).map((t) => [t.Key, t.Value]));
      change(tags);
      const list = [...tags].map(([Key, Value]) => ({ Key, Value }));
      await this.store.putAlarm({ ...alarm, config: configWithTags(config, list) }, []);
    });
    return {};
  }

  async setAlarmState(ctx: AlarmContext, input: SetAlarmStateInput) {
    const name = checkAlarmName(input.AlarmName);
    if (input.StateValue === undefined) throw notNull('stateValue');
    const value = checkStateValue(input.StateValue, 'stateValue') as AlarmStateValue;
    if (input.StateReason === undefined) throw notNull('stateReason');
    if (input.StateReason.length > 1023) throw tooLong(input.StateReason, 'stateReason', 1023);
    const reasonData = input.StateReasonData;
    if (reasonData !== undefined) {
      if (reasonData.length > 4000) throw tooLong(reasonData, 'stateReasonData', 4000);
      try {
        JSON.parse(reasonData);
      } catch {
        throw new AwsError('CloudWatchInvalidFormat', 'Data was not syntactically valid JSON');
      }
    }
    await this.exclusive(ctx.accountId, name, async () => {
      const alarm = await this.store.getAlarm(ctx.accountId, name);
      if (!alarm) throw new AwsError('CloudWatchResourceNotFound', `Alarm ${name} not found`);
      // The state holds until the alarm's next evaluation, as on AWS.
      await this.setState(alarm, { value, reason: input.StateReason ?? '', reasonData }, this.clock.now());
    });
    return {};
  }

  /**
   * Writes the alarm's new state (and next evaluation time), in one transaction with what a change of state brings:
   * its StateUpdate history item, the state-change event on the default bus, and the new state's actions.
   */
  private async setState(
    alarm: AlarmRecord,
    next: { value: AlarmState; reason: string; reasonData?: string | undefined },
    now: number,
    nextEvaluationAt?: number,
  ): Promise<void> {
    const config = this.parse(alarm);
    const changed = next.value !== alarm.state.value;
    const state: AlarmStateRecord = {
      value: next.value,
      reason: next.reason,
      ...(next.reasonData !== undefined ? { reasonData: next.reasonData } : {}),
      updatedAt: now,
      transitionedAt: changed ? now : alarm.state.transitionedAt,
    };
    const plan = new RoutingPlan();
    plan.write.alarm = {
      accountId: alarm.accountId,
      name: alarm.name,
      configUpdatedAt: alarm.configUpdatedAt,
      state,
      ...(nextEvaluationAt !== undefined ? { nextEvaluationAt } : {}),
    };
    if (changed) {
      const ctx = { accountId: alarm.accountId, region: this.region };
      const arn = alarmArn({ ...ctx, name: alarm.name });
      const previous: AlarmStateSnapshot = { ...alarm.state, timestamp: alarm.state.updatedAt };
      const current: AlarmStateSnapshot = { ...state, timestamp: now };
      const history: NewAlarmHistoryItem[] = [
        this.history(alarm, 'StateUpdate', now, stateUpdateHistory(previous, current)),
      ];
      await this.eventBuses.planServiceEvent(plan, ctx, {
        source: 'aws.cloudwatch',
        detailType: 'CloudWatch Alarm State Change',
        resources: [arn],
        detail: alarmStateChangeDetail({ name: alarm.name, arn, config }, previous, current),
        time: now,
        via: 'alarm',
      });
      if (alarm.actionsEnabled) {
        const actions =
          next.value === 'ALARM'
            ? config.AlarmActions
            : next.value === 'OK'
              ? config.OKActions
              : config.InsufficientDataActions;
        const notification = JSON.stringify(
          alarmNotification(
            { ...ctx, name: alarm.name, config, configUpdatedAt: alarm.configUpdatedAt },
            previous,
            current,
          ),
        );
        for (const action of actions) {
          const outcome = await this.planAction(plan, alarm, action, notification, now);
          if (outcome) history.push(this.history(alarm, 'Action', now, actionHistory(action, now, outcome)));
        }
      }
      plan.write.alarmHistory = history;
    }
    await this.router.commit(plan);
  }

  /**
   * Adds one action of a state change to the plan. Returns its outcome when known now (a queue message, an action
   * that cannot be taken); an HTTP action's outcome is recorded by the delivery worker once the POST is settled.
   */
  private async planAction(
    plan: RoutingPlan,
    alarm: AlarmRecord,
    action: string,
    notification: string,
    now: number,
  ): Promise<{ messageId?: string; error?: string } | undefined> {
    let target: ReturnType<typeof classifyAlarmAction>;
    try {
      target = classifyAlarmAction(action, { accountId: alarm.accountId, region: this.region });
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
    if (target.kind === 'unsupported') {
      return { error: `This server does not carry out actions of this kind: ${action}` };
    }
    if (target.kind === 'http') {
      plan.write.deliveries?.push({
        accountId: alarm.accountId,
        region: this.region,
        ruleArn: alarmArn({ accountId: alarm.accountId, region: this.region, name: alarm.name }),
        targetId: action,
        targetArn: target.url,
        kind: 'http',
        payload: notification,
        event: notification,
        settings: {
          maxRetryAttempts: HTTP_ACTION_RETRIES,
          maxEventAgeSeconds: 3600,
          alarm: { name: alarm.name, stateUpdatedAt: now },
        },
        firstAt: now,
        nextAt: now,
      });
      return undefined;
    }
    const queue = await this.store.getQueue(target.accountId, target.name);
    if (!queue) return { error: `The queue ${action} does not exist.` };
    // One message group per alarm keeps a FIFO queue's notifications in order; each is its own message.
    const built = serviceQueueMessage(queue, notification, {
      senderId: CLOUDWATCH_SENDER_ID,
      now,
      groupId: queue.attributes.FifoQueue === 'true' ? alarm.name.slice(0, 128) : undefined,
      dedupId: queue.attributes.FifoQueue === 'true' ? randomUUID() : undefined,
    });
    if ('error' in built) return built;
    plan.addMessage(queue, built.message);
    return { messageId: built.message.messageId };
  }

  // ---- evaluation -------------------------------------------------------------------------------

  private async step(): Promise<boolean> {
    const now = this.clock.now();
    if (now - this.lastExpiry >= 60_000) {
      this.lastExpiry = now;
      await this.store.expireAlarmHistory(now - ALARM_HISTORY_DAYS * 86_400_000, 10_000);
    }
    return (await this.evaluateBatch(now, new Set(), 100)) === 100;
  }

  /**
   * Evaluates every alarm due at the clock's time now, each once; resolves with how many were evaluated. The worker
   * does this on its own every second; tests driving a manual clock call it to evaluate at once.
   */
  async evaluateDue(): Promise<number> {
    const now = this.clock.now();
    const seen = new Set<string>();
    let total = 0;
    for (;;) {
      const done = await this.evaluateBatch(now, seen, 100);
      total += done;
      if (done === 0) return total;
    }
  }

  private async evaluateBatch(now: number, seen: Set<string>, limit: number): Promise<number> {
    const due = (await this.store.dueAlarms(now, limit + seen.size)).filter(
      (a) => !seen.has(JSON.stringify([a.accountId, a.name])),
    );
    let count = 0;
    for (const alarm of due.slice(0, limit)) {
      seen.add(JSON.stringify([alarm.accountId, alarm.name]));
      count += 1;
      try {
        await this.exclusive(alarm.accountId, alarm.name, () => this.evaluate(alarm.accountId, alarm.name, now));
      } catch (error) {
        this.onError?.(error, alarm);
      }
    }
    return count;
  }

  private async evaluate(accountId: string, name: string, now: number): Promise<void> {
    const alarm = await this.store.getAlarm(accountId, name);
    if (!alarm || alarm.nextEvaluationAt > now) return;
    const config = this.parse(alarm);
    const period = config.Metrics !== undefined ? alarmPeriod(config.Metrics) : (config.Period ?? 60);
    const core: AlarmConfig = {
      period,
      evaluationPeriods: config.EvaluationPeriods,
      ...(config.DatapointsToAlarm !== undefined ? { datapointsToAlarm: config.DatapointsToAlarm } : {}),
      threshold: config.Threshold,
      comparisonOperator: config.ComparisonOperator as AlarmConfig['comparisonOperator'],
      // AWS/DynamoDB alarms never go to ALARM or INSUFFICIENT_DATA for want of data (CloudWatch's own rule).
      treatMissingData:
        config.Namespace === 'AWS/DynamoDB'
          ? 'ignore'
          : ((config.TreatMissingData as AlarmConfig['treatMissingData']) ?? 'missing'),
    };
    const window = evaluationWindow(core, now);
    const datapoints = await this.datapoints(alarm, config, core, window);
    const next = nextEvaluationTime(period, now);
    const statistic = config.Metrics === undefined ? (config.Statistic ?? config.ExtendedStatistic) : undefined;
    const evaluation = evaluateAlarm(core, datapoints, alarm.state.value, now, statistic);
    const keep = evaluation.state === alarm.state.value || this.tooFewSamples(config, datapoints);
    if (keep) {
      const plan = new RoutingPlan();
      plan.write.alarm = { accountId, name, configUpdatedAt: alarm.configUpdatedAt, nextEvaluationAt: next };
      await this.router.commit(plan);
      return;
    }
    await this.setState(
      alarm,
      {
        value: evaluation.state,
        reason: evaluation.reason,
        reasonData: formatStateReasonData(evaluation.reasonData),
      },
      now,
      next,
    );
  }

  /** The evaluation range's datapoints, one per period, oldest first. */
  private async datapoints(
    alarm: AlarmRecord,
    config: MetricAlarmConfig,
    core: AlarmConfig,
    window: { start: number; end: number; periods: number[] },
  ): Promise<AlarmDatapoint[]> {
    const byStart = new Map<number, { value: number; sampleCount?: number }>();
    const periodMs = core.period * 1000;
    const slot = (ms: number) => window.start + Math.floor((ms - window.start) / periodMs) * periodMs;
    if (config.Metrics === undefined) {
      const stats = await this.metrics.periodStats(
        alarm.accountId,
        { namespace: config.Namespace ?? '', name: config.MetricName ?? '', dimensions: config.Dimensions },
        // Data put without a unit is 'None' to CloudWatch: an alarm on unit None takes every datapoint.
        {
          fromMs: window.start,
          toMs: window.end,
          periodSeconds: core.period,
          unit: config.Unit === 'None' ? undefined : config.Unit,
        },
      );
      const statistic = config.Statistic ?? config.ExtendedStatistic ?? 'Average';
      for (const { start, set } of stats) {
        const value = statisticValue(set, statistic);
        if (value !== undefined && Number.isFinite(value)) {
          byStart.set(slot(start), { value, sampleCount: set.sampleCount });
        }
      }
    } else {
      const returned = config.Metrics.find((q) => q.ReturnData ?? true);
      try {
        const out = await this.metrics.getMetricData(
          { accountId: alarm.accountId },
          {
            MetricDataQueries: config.Metrics,
            StartTime: window.start / 1000,
            EndTime: window.end / 1000,
            ScanBy: 'TimestampAscending',
          },
        );
        const result = out.MetricDataResults.find((r) => r.Id === returned?.Id);
        result?.Timestamps.forEach((ts, i) => {
          const value = result.Values[i];
          if (value !== undefined && Number.isFinite(value)) byStart.set(slot(ts * 1000), { value });
        });
      } catch (error) {
        // An expression that cannot be evaluated over this data (say, a scalar result) gives no datapoints.
        if (!(error instanceof AwsError)) throw error;
      }
    }
    return window.periods.map((timestamp) => {
      const point = byStart.get(timestamp);
      return {
        timestamp,
        value: point?.value,
        ...(point?.sampleCount !== undefined ? { sampleCount: point.sampleCount } : {}),
      };
    });
  }

  /**
   * EvaluateLowSampleCountPercentile `ignore`: a percentile over too few samples to mean anything (fewer than
   * 100 / (100 - p)) leaves the alarm's state as it is.
   */
  private tooFewSamples(config: MetricAlarmConfig, datapoints: readonly AlarmDatapoint[]): boolean {
    if (config.EvaluateLowSampleCountPercentile !== 'ignore' || config.ExtendedStatistic === undefined) return false;
    const p = /^p(\d+(?:\.\d+)?)$/.exec(config.ExtendedStatistic);
    if (!p) return false;
    const percentile = Number(p[1]);
    const needed = percentile >= 100 ? 1 : Math.ceil(100 / (100 - percentile));
    const newest = [...datapoints].reverse().find((d) => d.value !== undefined);
    return newest !== undefined && (newest.sampleCount ?? 0) < needed;
  }
}
