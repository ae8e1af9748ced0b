import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { AlarmService } from '../services/alarm-service.js';
import { ArchiveService } from '../services/archive-service.js';
import { DeliveryWorker } from '../services/delivery-worker.js';
import { EventActivityFanOut } from '../services/event-activity.js';
import { EventBusService } from '../services/event-bus-service.js';
import { EventMetrics } from '../services/event-metrics.js';
import { EventRouter } from '../services/event-router.js';
import { EventTraceService } from '../services/event-trace-service.js';
import { EventsCloudWatchMetrics } from '../services/events-cloudwatch-metrics.js';
import { IdempotencyService } from '../services/idempotency-service.js';
import { MetricsService } from '../services/metrics-service.js';
import { MoveTaskService } from '../services/move-task-service.js';
import { PrometheusMetrics } from '../services/prometheus-metrics.js';
import { QueueActivityFanOut } from '../services/queue-activity.js';
import { QueueService } from '../services/queue-service.js';
import { ScheduleWorker } from '../services/schedule-worker.js';
import { SqsCloudWatchMetrics } from '../services/sqs-cloudwatch-metrics.js';
import { InProcessWakeups } from '../services/wakeups.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { ServerConfig } from './config.js';

/**
 * The composition root: the store, every service and background worker of one server, wired from its config, with
 * their start and stop in order. The HTTP shell (server.ts) only answers requests with them.
 */
export interface Runtime {
  readonly store: SqliteStore;
  readonly queues: QueueService;
  readonly moveTasks: MoveTaskService;
  readonly eventBuses: EventBusService;
  readonly eventMetrics: EventMetrics;
  readonly deliveries: DeliveryWorker;
  readonly archives: ArchiveService;
  /** CloudWatch metric alarms; evaluates them once a minute on its own (tests call `evaluateDue()`). */
  readonly alarms: AlarmService;
  /** Samples the AWS/SQS gauges every 10 s on its own (tests call `sample()`). */
  readonly sqsCloudWatch: SqsCloudWatchMetrics;
  readonly prometheus: PrometheusMetrics;
  /** The SwitchyardIdempotency API's keys; sweeps expired ones every minute on its own (tests call `sweepExpired()`). */
  readonly idempotency: IdempotencyService;
  /** Each event's recorded path (the console's Event trace); sweeps expired steps every minute on its own. */
  readonly eventTrace: EventTraceService;
  /** What each protocol's action table calls. */
  readonly sqs: { queues: QueueService; moveTasks: MoveTaskService };
  readonly events: { eventBuses: EventBusService; archives: ArchiveService };
  readonly cloudWatch: { metrics: MetricsService; alarms: AlarmService };
  /**
   * Starts the background work: retention sweeps, move tasks, deliveries, replays, schedules, alarms, metrics,
   * idempotency-key expiry, consumer-failure expiry, event-trace expiry.
   */
  startWorkers(): void;
  /** Stops the workers that act on their own (requests still being answered go on). */
  stopWorkers(): Promise<void>;
  /** Once no request is left: writes out the metrics and closes the store. */
  close(): Promise<void>;
}

export async function createRuntime(config: ServerConfig, clock: Clock, logger: Logger): Promise<Runtime> {
  // The metrics exist before the store so that its commits are measured from the first one. With
  // `metrics: false` nothing the server does is recorded (the activity feeds below stay without listeners).
  let prometheus: PrometheusMetrics | undefined;
  const store = new SqliteStore({
    dataDir: config.dataDir,
    durability: config.durability,
    onCommit: config.metrics ? (seconds, writes) => prometheus?.commit(seconds, writes) : undefined,
    traceEvents: config.traceRetentionSeconds > 0,
  });
  const wakeups = new InProcessWakeups();
  const queueActivity = new QueueActivityFanOut();
  const queues = new QueueService({
    store,
    clock,
    limits: config.limits,
    wakeups,
    activity: queueActivity,
    failureSweep: { onError: (error) => logger.error({ err: error }, 'message failure sweep failed') },
  });
  const moveTasks = new MoveTaskService({ store, clock, wakeups, region: config.region });
  const eventMetrics = new EventMetrics();
  const eventActivity = new EventActivityFanOut();
  const router = new EventRouter({
    store,
    clock,
    wakeups,
    metrics: eventActivity,
    activity: queueActivity,
    traceEvents: config.traceRetentionSeconds > 0,
  });
  const eventBuses = new EventBusService({ store, clock, limits: config.limits, router, activity: eventActivity });
  const deliveries = new DeliveryWorker({ store, clock, router, limits: config.limits });
  const archives = new ArchiveService({ store, clock, router, region: config.region });
  /** Every queue with its counts, for the metrics (the server serves one account). */
  const allQueues = () =>
    queues.describeQueues({ accountId: config.accountId, region: config.region, baseUrl: '', senderId: '' });
  const metrics = new PrometheusMetrics({
    store,
    queues: allQueues,
    events: eventMetrics,
  });
  prometheus = metrics;
  const cloudMetrics = new MetricsService({ store, clock, retention: config.limits });
  const alarms = new AlarmService({
    store,
    clock,
    metrics: cloudMetrics,
    eventBuses,
    router,
    region: config.region,
    limits: config.limits,
    onError: (error, alarm) => logger.error({ err: error, alarm: alarm.name }, 'alarm evaluation failed'),
  });
  const sqsCloudWatch = new SqsCloudWatchMetrics({
    metrics: cloudMetrics,
    clock,
    queues: async () => (config.metrics ? (await allQueues()).map((q) => ({ ...q, accountId: config.accountId })) : []),
  });
  if (config.metrics) {
    queueActivity.add(sqsCloudWatch);
    queueActivity.add(metrics);
    eventActivity.add(eventMetrics);
    eventActivity.add(new EventsCloudWatchMetrics({ metrics: cloudMetrics, clock }));
  }
  const schedules = new ScheduleWorker({ store, clock, router, region: config.region });
  const idempotency = new IdempotencyService({
    store,
    clock,
    onError: (error) => logger.error({ err: error }, 'idempotency key sweep failed'),
  });
  const eventTrace = new EventTraceService({
    store,
    clock,
    retentionSeconds: config.traceRetentionSeconds,
    onError: (error) => logger.error({ err: error }, 'event trace sweep failed'),
  });
  try {
    await eventBuses.ensureDefaultBus(config.accountId);
  } catch (error) {
    await store.close();
    throw error;
  }

  let sweeper: NodeJS.Timeout | undefined;
  let workersStopped: Promise<void> | undefined;
  const stopWorkers = (): Promise<void> => {
    workersStopped ??= (async () => {
      clearInterval(sweeper);
      queues.stop();
      await moveTasks.stopWorker();
      await deliveries.stop();
      await archives.stopWorker();
      await schedules.stop();
      await alarms.stop();
      await idempotency.stop();
      await queues.admin.stop();
      await eventTrace.stop();
      sqsCloudWatch.stop();
    })();
    return workersStopped;
  };
  return {
    store,
    queues,
    moveTasks,
    eventBuses,
    eventMetrics,
    deliveries,
    archives,
    alarms,
    sqsCloudWatch,
    prometheus: metrics,
    idempotency,
    eventTrace,
    sqs: { queues, moveTasks },
    events: { eventBuses, archives },
    cloudWatch: { metrics: cloudMetrics, alarms },
    startWorkers() {
      sweeper = setInterval(() => {
        queues.sweepExpired().catch((error: unknown) => logger.error({ err: error }, 'retention sweep failed'));
      }, config.retentionSweepMs);
      sweeper.unref();
      moveTasks.startWorker();
      deliveries.start();
      archives.startWorker();
      cloudMetrics.start();
      if (config.metrics) sqsCloudWatch.start();
      schedules.start();
      alarms.start();
      idempotency.start();
      queues.admin.start();
      eventTrace.start();
    },
    stopWorkers,
    async close() {
      await stopWorkers();
      await cloudMetrics.stop();
      await store.close();
    },
  };
}
