import { AwsError } from '../core/errors.js';
import type { AlarmService } from '../services/alarm-service.js';
import type { EventBusService } from '../services/event-bus-service.js';
import { classifyTarget } from '../services/event-router.js';
import type { MetricDataQueryInput } from '../services/get-metric-data.js';
import type { MetricsService } from '../services/metrics-service.js';
import type { MoveTaskService } from '../services/move-task-service.js';
import type { QueueOverview, QueueService } from '../services/queue-service.js';
import type { RequestContext } from '../services/sqs-api.js';
import type {
  AlarmDetail,
  AlarmState,
  AlarmSummary,
  BusList,
  BusSummary,
  MetricSeries,
  MoveTask,
  Overview,
  Point,
  QueueDetail,
  QueueSummary,
  RuleInfo,
  TargetInfo,
} from './api-types.js';

/** The services the console reads and acts through: the same ones the AWS APIs call. */
export interface ConsoleServices {
  queues: QueueService;
  moveTasks: MoveTaskService;
  eventBuses: EventBusService;
  metrics: MetricsService;
  alarms: AlarmService;
}

/** A rule as the EventBridge service lists it. */
type ListedRule = Awaited<ReturnType<EventBusService['listRules']>>['Rules'][number];

const MINUTE = 60;
/** Sparklines and throughput charts cover this much, a point a minute. */
const RECENT_SECONDS = 30 * MINUTE;
/** Rates are averaged over this much. */
const RATE_SECONDS = 5 * MINUTE;
/** GetMetricData takes at most 500 queries; three per queue are asked at once. */
const QUEUES_PER_QUERY = 150;

/**
 * What the console's pages show, composed from the services' own answers (queue counts, CloudWatch metrics through
 * GetMetricData, alarms through DescribeAlarms…), so that the console never holds a second copy of their logic.
 */
export class ConsoleViews {
  constructor(
    private readonly services: ConsoleServices,
    private readonly now: () => number,
  ) {}

  async overview(ctx: RequestContext): Promise<Overview> {
    const [queues, alarms, buses] = await Promise.all([
      this.queueSummaries(ctx),
      this.alarmSummaries(ctx),
      this.buses(ctx),
    ]);
    return { now: this.now(), queues, alarms, buses };
  }

  async queueSummaries(ctx: RequestContext): Promise<QueueSummary[]> {
    const all = await this.services.queues.describeQueues(ctx);
    return this.summarised(ctx, all, all);
  }

  /** The chosen queues' summaries; `all` (every queue, as describeQueues gives them) names their DLQs' depths. */
  private async summarised(
    ctx: RequestContext,
    chosen: readonly QueueOverview[],
    all: readonly QueueOverview[],
  ): Promise<QueueSummary[]> {
    const byName = new Map(all.map((q) => [q.name, q]));
    const summaries: QueueSummary[] = [];
    for (let i = 0; i < chosen.length; i += QUEUES_PER_QUERY) {
      const slice = chosen.slice(i, i + QUEUES_PER_QUERY);
      const queries = slice.flatMap((q, j): MetricDataQueryInput[] => [
        sqsQuery(`d${j}`, q.name, 'ApproximateNumberOfMessagesVisible', 'Maximum'),
        sqsQuery(`s${j}`, q.name, 'NumberOfMessagesSent', 'Sum'),
        sqsQuery(`x${j}`, q.name, 'NumberOfMessagesDeleted', 'Sum'),
      ]);
      const results = await this.metricData(ctx, queries, RECENT_SECONDS);
      slice.forEach((q, j) => {
        summaries.push(
          summarise(q, byName, results.get(`d${j}`) ?? [], results.get(`s${j}`), results.get(`x${j}`), this.now()),
        );
      });
    }
    return summaries;
  }

  async queueDetail(ctx: RequestContext, name: string): Promise<QueueDetail> {
    const { queues, moveTasks } = this.services;
    const all = await queues.describeQueues(ctx);
    const [summary] = await this.summarised(
      ctx,
      all.filter((q) => q.name === name),
      all,
    );
    if (!summary) throw new AwsError('QueueDoesNotExist', `The queue ${name} does not exist.`);
    const [attributes, tags, tasks] = await Promise.all([
      queues.getQueueAttributes(ctx, { QueueUrl: summary.url, AttributeNames: ['All'] }),
      queues.listQueueTags(ctx, { QueueUrl: summary.url }),
      moveTasks.list(ctx, { SourceArn: summary.arn, MaxResults: 10 }),
    ]);
    return {
      ...summary,
      attributes: Object.fromEntries(Object.entries(attributes.Attributes ?? {}).filter(([, v]) => v !== undefined)),
      tags: tags.Tags ?? {},
      moveTasks: tasks.Results.map(
        (t): MoveTask => ({
          ...(t.TaskHandle !== undefined ? { taskHandle: t.TaskHandle } : {}),
          status: t.Status as MoveTask['status'],
          sourceArn: t.SourceArn,
          ...(t.DestinationArn !== undefined ? { destinationArn: t.DestinationArn } : {}),
          ...(t.MaxNumberOfMessagesPerSecond !== undefined ? { maxPerSecond: t.MaxNumberOfMessagesPerSecond } : {}),
          moved: t.ApproximateNumberOfMessagesMoved,
          toMove: t.ApproximateNumberOfMessagesToMove,
          startedAt: t.StartedTimestamp,
          ...(t.FailureReason !== undefined ? { failureReason: t.FailureReason } : {}),
        }),
      ),
      otherQueues: all.map((q) => q.name).filter((n) => n !== name),
    };
  }

  async alarmSummaries(ctx: RequestContext): Promise<AlarmSummary[]> {
    const alarms: AlarmSummary[] = [];
    for (let next: string | undefined; ; ) {
      const page = await this.services.alarms.describeAlarms(ctx, {
        MaxRecords: 100,
        ...(next ? { NextToken: next } : {}),
      });
      alarms.push(...page.MetricAlarms.map((a) => alarmSummary(a)));
      if (!('NextToken' in page) || page.NextToken === undefined) break;
      next = page.NextToken;
    }
    return alarms;
  }

  async alarmDetail(ctx: RequestContext, name: string): Promise<AlarmDetail> {
    const { alarms } = this.services;
    const found = (await alarms.describeAlarms(ctx, { AlarmNames: [name] })).MetricAlarms[0];
    if (!found) throw new AwsError('CloudWatchResourceNotFound', `The alarm ${name} does not exist.`);
    const summary = alarmSummary(found);
    const history = await alarms.describeAlarmHistory(ctx, {
      AlarmName: name,
      MaxRecords: 50,
      ScanBy: 'TimestampDescending',
    });
    let metric: Point[] = [];
    if (summary.namespace && summary.metricName && summary.period && (summary.statistic || found.ExtendedStatistic)) {
      const stat = String(summary.statistic ?? found.ExtendedStatistic);
      const points = await this.metricData(
        ctx,
        [
          {
            Id: 'm',
            MetricStat: {
              Metric: {
                Namespace: summary.namespace,
                MetricName: summary.metricName,
                Dimensions: summary.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
              },
              Period: summary.period,
              Stat: stat,
            },
          },
        ],
        Math.max(3 * 3600, summary.period * 30),
      );
      metric = points.get('m') ?? [];
    }
    return {
      ...summary,
      ...(typeof found.EvaluationPeriods === 'number' ? { evaluationPeriods: found.EvaluationPeriods } : {}),
      ...(typeof found.DatapointsToAlarm === 'number' ? { datapointsToAlarm: found.DatapointsToAlarm } : {}),
      ...(typeof found.TreatMissingData === 'string' ? { treatMissingData: found.TreatMissingData } : {}),
      actionsEnabled: found.ActionsEnabled === true,
      alarmActions: stringList(found.AlarmActions),
      okActions: stringList(found.OKActions),
      history: (history.AlarmHistoryItems ?? []).map((item) => ({
        at: seconds(item.Timestamp),
        type: String(item.HistoryItemType),
        summary: String(item.HistorySummary),
      })),
      metric,
    };
  }

  async buses(ctx: RequestContext): Promise<BusSummary[]> {
    return (await this.busesWithRules(ctx)).map(({ summary }) => summary);
  }

  async busList(ctx: RequestContext): Promise<BusList> {
    const buses: BusList['buses'] = [];
    for (const { summary, description, rules } of await this.busesWithRules(ctx)) {
      const infos: RuleInfo[] = [];
      for (const rule of rules) infos.push(await this.ruleInfo(ctx, summary.name, rule));
      buses.push({ ...summary, ...(description !== undefined ? { description } : {}), rules: infos });
    }
    return { buses };
  }

  /** Every bus (an account has 100 at most) with its throughput and every one of its rules. */
  private async busesWithRules(
    ctx: RequestContext,
  ): Promise<{ summary: BusSummary; description: string | undefined; rules: ListedRule[] }[]> {
    const { eventBuses } = this.services;
    const buses = (await eventBuses.listEventBuses(ctx, { Limit: 100 })).EventBuses;
    const queries = buses.map(
      (bus, i): MetricDataQueryInput => ({
        Id: `b${i}`,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Events',
            MetricName: 'MatchedEvents',
            Dimensions: [{ Name: 'EventBusName', Value: bus.Name }],
          },
          Period: MINUTE,
          Stat: 'Sum',
        },
      }),
    );
    const results = await this.metricData(ctx, queries, RECENT_SECONDS);
    const out: { summary: BusSummary; description: string | undefined; rules: ListedRule[] }[] = [];
    for (const [i, bus] of buses.entries()) {
      const rules: ListedRule[] = [];
      for (let next: string | undefined; ; ) {
        const page = await eventBuses.listRules(ctx, {
          EventBusName: bus.Name,
          Limit: 100,
          ...(next ? { NextToken: next } : {}),
        });
        rules.push(...page.Rules);
        if (page.NextToken === undefined) break;
        next = page.NextToken;
      }
      const throughput = results.get(`b${i}`) ?? [];
      out.push({
        summary: {
          name: bus.Name,
          arn: bus.Arn,
          ruleCount: rules.length,
          throughput,
          matchedRate: rate(throughput, this.now()),
        },
        description: typeof bus.Description === 'string' ? bus.Description : undefined,
        rules,
      });
    }
    return out;
  }

  /** One rule, looked up by name (after the console enabled or disabled it). */
  async ruleInfoByName(ctx: RequestContext, bus: string, name: string): Promise<RuleInfo> {
    return this.ruleInfo(ctx, bus, await this.services.eventBuses.describeRule(ctx, { Name: name, EventBusName: bus }));
  }

  /** A rule as ListRules or DescribeRule gives it, with its targets and its counts over the last day. */
  private async ruleInfo(ctx: RequestContext, bus: string, rule: ListedRule): Promise<RuleInfo> {
    const { eventBuses } = this.services;
    const name = rule.Name;
    const targets = (await eventBuses.listTargetsByRule(ctx, { Rule: name, EventBusName: bus, Limit: 100 })).Targets;
    // AWS records a default-bus rule's metrics under RuleName alone, another bus's under EventBusName + RuleName.
    const dimensions =
      bus === 'default'
        ? [{ Name: 'RuleName', Value: name }]
        : [
            { Name: 'EventBusName', Value: bus },
            { Name: 'RuleName', Value: name },
          ];
    const day = 24 * 3600;
    const totals = await this.metricData(
      ctx,
      ['MatchedEvents', 'FailedInvocations'].map((metric, i) => ({
        Id: `r${i}`,
        MetricStat: {
          Metric: { Namespace: 'AWS/Events', MetricName: metric, Dimensions: dimensions },
          Period: 3600,
          Stat: 'Sum',
        },
      })),
      day,
    );
    const sum = (id: string) => (totals.get(id) ?? []).reduce((total, [, v]) => total + v, 0);
    return {
      name,
      arn: rule.Arn,
      bus,
      state: rule.State,
      ...(typeof rule.EventPattern === 'string' ? { eventPattern: rule.EventPattern } : {}),
      ...(typeof rule.ScheduleExpression === 'string' ? { scheduleExpression: rule.ScheduleExpression } : {}),
      ...(typeof rule.Description === 'string' ? { description: rule.Description } : {}),
      targets: targets.map((t) => targetInfo(t as Record<string, unknown>, ctx)),
      matched: sum('r0'),
      failed: sum('r1'),
    };
  }

  /** A chart's series of one metric, for the console's metric query (see api-types.ts). */
  async metricSeries(
    ctx: RequestContext,
    query: {
      namespace: string;
      metric: string;
      dimensions: { Name: string; Value: string }[];
      stat: string;
      period: number;
    },
    rangeSeconds: number,
  ): Promise<MetricSeries> {
    const points = await this.metricData(
      ctx,
      [
        {
          Id: 'q',
          MetricStat: {
            Metric: { Namespace: query.namespace, MetricName: query.metric, Dimensions: query.dimensions },
            Period: query.period,
            Stat: query.stat,
          },
        },
      ],
      rangeSeconds,
    );
    return { label: `${query.metric} (${query.stat})`, points: points.get('q') ?? [] };
  }

  /** GetMetricData over the last `rangeSeconds`, each result as points oldest first. */
  private async metricData(
    ctx: RequestContext,
    queries: MetricDataQueryInput[],
    rangeSeconds: number,
  ): Promise<Map<string, Point[]>> {
    const out = new Map<string, Point[]>();
    if (queries.length === 0) return out;
    const end = Math.ceil(this.now() / 1000);
    let next: string | undefined;
    do {
      const answer = await this.services.metrics.getMetricData(ctx, {
        MetricDataQueries: queries,
        StartTime: end - rangeSeconds,
        EndTime: end,
        ScanBy: 'TimestampAscending',
        ...(next ? { NextToken: next } : {}),
      });
      for (const result of answer.MetricDataResults) {
        const points = out.get(result.Id) ?? [];
        result.Timestamps.forEach((t, i) => {
          points.push([t * 1000, result.Values[i] ?? 0]);
        });
        out.set(result.Id, points);
      }
      next = answer.NextToken;
    } while (next !== undefined);
    return out;
  }
}

function sqsQuery(id: string, queue: string, metric: string, stat: string): MetricDataQueryInput {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/SQS', MetricName: metric, Dimensions: [{ Name: 'QueueName', Value: queue }] },
      Period: MINUTE,
      Stat: stat,
    },
  };
}

/** Per second over the last RATE_SECONDS, from per-minute sums. */
function rate(points: readonly Point[], now: number): number {
  const since = now - RATE_SECONDS * 1000;
  const total = points.filter(([t]) => t >= since - MINUTE * 1000).reduce((sum, [, v]) => sum + v, 0);
  return Math.round((total / RATE_SECONDS) * 1000) / 1000;
}

function summarise(
  q: QueueOverview,
  byName: Map<string, QueueOverview>,
  depth: Point[],
  sent: Point[] | undefined,
  deleted: Point[] | undefined,
  now: number,
): QueueSummary {
  const dlq = q.deadLetterQueue === null ? undefined : byName.get(q.deadLetterQueue);
  return {
    name: q.name,
    url: q.url,
    arn: q.arn,
    fifo: q.fifo,
    visible: q.visible,
    inFlight: q.inFlight,
    delayed: q.delayed,
    oldestMessageAgeSeconds: q.oldestMessageAgeSeconds,
    sendRate: rate(sent ?? [], now),
    deleteRate: rate(deleted ?? [], now),
    depth,
    deadLetterQueue: q.deadLetterQueue === null ? null : { name: q.deadLetterQueue, visible: dlq ? dlq.visible : 0 },
    maxReceiveCount: q.maxReceiveCount,
    deadLetterSources: q.deadLetterSources,
  };
}

function alarmSummary(a: Record<string, unknown>): AlarmSummary {
  const dimensions = Array.isArray(a.Dimensions)
    ? (a.Dimensions as { Name?: unknown; Value?: unknown }[]).map((d) => ({
        name: String(d.Name),
        value: String(d.Value),
      }))
    : [];
  return {
    name: String(a.AlarmName),
    state: a.StateValue as AlarmState,
    reason: String(a.StateReason ?? ''),
    updatedAt: seconds(a.StateUpdatedTimestamp),
    ...(typeof a.Namespace === 'string' ? { namespace: a.Namespace } : {}),
    ...(typeof a.MetricName === 'string' ? { metricName: a.MetricName } : {}),
    dimensions,
    ...(typeof a.Statistic === 'string'
      ? { statistic: a.Statistic }
      : typeof a.ExtendedStatistic === 'string'
        ? { statistic: a.ExtendedStatistic }
        : {}),
    comparison: String(a.ComparisonOperator ?? ''),
    ...(typeof a.Threshold === 'number' ? { threshold: a.Threshold } : {}),
    ...(typeof a.Period === 'number' ? { period: a.Period } : {}),
    ...(typeof a.AlarmDescription === 'string' ? { description: a.AlarmDescription } : {}),
  };
}

function targetInfo(t: Record<string, unknown>, ctx: RequestContext): TargetInfo {
  const arn = String(t.Arn);
  // The same reading of a target ARN as routing's, so that the console names what delivery would reach.
  const target = classifyTarget(arn, ctx);
  const kind: TargetInfo['kind'] =
    target.kind === 'sqs' ? 'queue' : target.kind === 'unsupported' ? 'other' : target.kind;
  const name = target.kind === 'sqs' || target.kind === 'bus' ? target.name : target.kind === 'http' ? target.url : arn;
  const transformer = t.InputTransformer as
    | { InputPathsMap?: Record<string, string>; InputTemplate?: string }
    | undefined;
  const dlq = (t.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
  return {
    id: String(t.Id),
    arn,
    kind,
    name,
    ...(typeof t.Input === 'string' ? { input: t.Input } : {}),
    ...(typeof t.InputPath === 'string' ? { inputPath: t.InputPath } : {}),
    ...(transformer?.InputTemplate !== undefined
      ? {
          inputTransformer: {
            inputTemplate: transformer.InputTemplate,
            ...(transformer.InputPathsMap ? { inputPathsMap: transformer.InputPathsMap } : {}),
          },
        }
      : {}),
    ...(dlq !== undefined ? { deadLetterArn: dlq } : {}),
  };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** An epoch-seconds timestamp as the services answer it, in ms. */
function seconds(value: unknown): number {
  return typeof value === 'number' ? Math.round(value * 1000) : 0;
}
