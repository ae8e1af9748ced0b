// Publishing a consumer's metrics to CloudWatch (AWS's or Switchyard's) with PutMetricData, every `intervalMs`.
//
// What goes out, all in one PutMetricData call with one Timestamp (the publish's):
// - the counters of `stats()` (Handled, Failed, Retried, DeadLettered, Duplicates, Released, Coalesced, Skipped) as
//   their increase since the previous successful publish, Unit Count; an increase of 0 is published too, since a 0 is
//   what an alarm on "no messages handled" needs to see. The first publish counts from when the publisher was made.
// - the gauges (InFlight, Running, Concurrency, Coalescing) as their value at the publish, Unit Count.
// - HandlerLatency, Unit Milliseconds: the durations of the handler runs that succeeded since the previous publish, as
//   a statistic set (SampleCount, Sum, Minimum, Maximum), CloudWatch's exact way of sending many values in one datum.
//   Only successful runs (`message_processed`) carry a duration; a batch handler's duration counts once per message it
//   handled. An interval without one publishes no HandlerLatency (CloudWatch refuses a SampleCount of 0).
//
// A PutMetricData that fails is reported through `onError` and not retried at once: its counts are not lost but added
// to the next publish (the counter baseline moves only on success, and its latency samples are merged back).
import {
  type CloudWatchClient,
  type Dimension,
  type MetricDatum,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import type { ConsumerEvents, ConsumerStats } from './consumer.js';

/** The default CloudWatch namespace of consumer metrics. */
export const CONSUMER_METRICS_NAMESPACE = 'Switchyard/Consumer';
/** The shortest publishing interval allowed, in milliseconds. */
export const MIN_METRICS_INTERVAL_MS = 1000;

/** The counters of `stats()` and their metric names, published as increases. */
const COUNTERS = [
  ['handled', 'Handled'],
  ['failed', 'Failed'],
  ['retried', 'Retried'],
  ['deadLettered', 'DeadLettered'],
  ['duplicates', 'Duplicates'],
  ['released', 'Released'],
  ['coalesced', 'Coalesced'],
  ['skipped', 'Skipped'],
] as const satisfies readonly (readonly [keyof ConsumerStats, string])[];

/** The gauges of `stats()` and their metric names, published as they are. */
const GAUGES = [
  ['inFlight', 'InFlight'],
  ['running', 'Running'],
  ['concurrency', 'Concurrency'],
  ['coalescing', 'Coalescing'],
] as const satisfies readonly (readonly [keyof ConsumerStats, string])[];

/** The fields of `ConsumerStats` the publisher reads. */
export type MeteredStats = Pick<ConsumerStats, (typeof COUNTERS)[number][0] | (typeof GAUGES)[number][0]>;

/** What the publisher needs of a consumer: a `Consumer` from `consume()` is one. */
export interface MeteredConsumer {
  stats(): MeteredStats;
  on(event: 'message_processed', listener: (...args: ConsumerEvents['message_processed']) => void): unknown;
  off(event: 'message_processed', listener: (...args: ConsumerEvents['message_processed']) => void): unknown;
}

/** The one call the publisher makes; a CloudWatchClient is one. */
export interface PutMetricDataSender {
  send(command: PutMetricDataCommand): Promise<unknown>;
}

export interface ConsumerMetricsOptions {
  /** The client the PutMetricData calls go through. */
  client: CloudWatchClient | PutMetricDataSender;
  /**
   * The consumer's queue URL: the metrics get the dimension `QueueName` = the URL's last path segment. One of
   * `queueUrl` and `dimensions` is required.
   */
  queueUrl?: string;
  /** The dimensions of every metric, instead of `QueueName` (`[]` for none). */
  dimensions?: { Name: string; Value: string }[];
  /** @defaultValue 'Switchyard/Consumer' */
  namespace?: string;
  /** How often to publish, in milliseconds, at least 1000. @defaultValue 60000 */
  intervalMs?: number;
  /** 1 for high-resolution metrics (1-second periods), 60 for standard ones. @defaultValue 60 */
  storageResolution?: 1 | 60;
  /** Called with the error of a PutMetricData that failed. @defaultValue process.emitWarning */
  onError?: (error: Error) => void;
}

export interface ConsumerMetricsPublisher {
  /**
   * Publishes now what has accumulated (and restarts nothing: the interval runs on). A failure is reported through
   * `onError`, never by rejecting; its counts go out with the next publish. Does nothing after `stop()`.
   */
  flush(): Promise<void>;
  /** Stops the interval, stops listening to the consumer, and publishes a last time. Calling it again is harmless. */
  stop(): Promise<void>;
}

type CounterName = (typeof COUNTERS)[number][0];
type Counts = Record<CounterName, number>;

interface LatencySet {
  count: number;
  sum: number;
  min: number;
  max: number;
}

const emptyLatency = (): LatencySet => ({ count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: 0 });

function mergeLatency(a: LatencySet, b: LatencySet): LatencySet {
  return { count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

function countsOf(stats: MeteredStats): Counts {
  return Object.fromEntries(COUNTERS.map(([key]) => [key, stats[key]])) as Counts;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** The queue name in an SQS queue URL (its last path segment). */
function queueNameOf(queueUrl: string): string {
  let name: string | undefined;
  try {
    name = new URL(queueUrl).pathname.split('/').filter(Boolean).pop();
  } catch {
    name = undefined;
  }
  if (!name) throw new TypeError(`publishConsumerMetrics: no queue name in the queueUrl ${JSON.stringify(queueUrl)}`);
  return name;
}

function defaultOnError(error: Error): void {
  process.emitWarning(`Publishing consumer metrics failed: ${error.name}: ${error.message}`, {
    type: 'SwitchyardWarning',
    code: 'SWITCHYARD_CONSUMER_METRICS_ERROR',
  });
}

/**
 * Publishes the consumer's metrics to CloudWatch every `intervalMs` (see the notes at the top of this module for what
 * is published). Its timer does not keep the process alive; call `stop()` before exiting to publish the last counts.
 */
export function publishConsumerMetrics(
  consumer: MeteredConsumer,
  options: ConsumerMetricsOptions,
): ConsumerMetricsPublisher {
  const client: PutMetricDataSender = options.client;
  const namespace = options.namespace ?? CONSUMER_METRICS_NAMESPACE;
  if (namespace === '' || namespace.startsWith('AWS/')) {
    throw new RangeError(`publishConsumerMetrics: the namespace ${JSON.stringify(namespace)} is not allowed`);
  }
  const intervalMs = options.intervalMs ?? 60_000;
  if (!Number.isFinite(intervalMs) || intervalMs < MIN_METRICS_INTERVAL_MS) {
    throw new RangeError(`publishConsumerMetrics: intervalMs must be at least ${MIN_METRICS_INTERVAL_MS}`);
  }
  const storageResolution = options.storageResolution ?? 60;
  if (storageResolution !== 1 && storageResolution !== 60) {
    throw new RangeError('publishConsumerMetrics: storageResolution must be 1 or 60');
  }
  let dimensions: Dimension[];
  if (options.dimensions) {
    dimensions = options.dimensions.map(({ Name, Value }) => ({ Name, Value }));
  } else if (options.queueUrl !== undefined) {
    dimensions = [{ Name: 'QueueName', Value: queueNameOf(options.queueUrl) }];
  } else {
    throw new TypeError('publishConsumerMetrics: give the consumer’s queueUrl, or the dimensions to publish with');
  }
  const onError = options.onError ?? defaultOnError;

  /** The counters as last published successfully (at the start: as they are now). */
  let published = countsOf(consumer.stats());
  /** Handler durations not yet published. */
  let latency = emptyLatency();
  let stopped = false;
  /** The publish under way, if any: publishes run one at a time. */
  let chain: Promise<void> = Promise.resolve();
  let stopping: Promise<void> | undefined;

  const onProcessed = (info: ConsumerEvents['message_processed'][0]): void => {
    const d = info.durationMs;
    if (!Number.isFinite(d)) return;
    const ms = Math.max(0, d);
    latency = mergeLatency(latency, { count: 1, sum: ms, min: ms, max: ms });
  };
  consumer.on('message_processed', onProcessed);

  function report(error: unknown): void {
    try {
      onError(asError(error));
    } catch (thrown) {
      defaultOnError(asError(thrown));
    }
  }

  async function publish(): Promise<void> {
    const taken = latency;
    latency = emptyLatency();
    try {
      const stats = consumer.stats();
      const counts = countsOf(stats);
      const now = new Date();
      const datum = (MetricName: string, Unit: 'Count' | 'Milliseconds'): MetricDatum => ({
        MetricName,
        Dimensions: dimensions,
        Timestamp: now,
        Unit,
        StorageResolution: storageResolution,
      });
      const data: MetricDatum[] = [
        ...COUNTERS.map(([key, name]) => ({ ...datum(name, 'Count'), Value: counts[key] - published[key] })),
        ...GAUGES.map(([key, name]) => ({ ...datum(name, 'Count'), Value: stats[key] })),
      ];
      if (taken.count > 0) {
        data.push({
          ...datum('HandlerLatency', 'Milliseconds'),
          StatisticValues: { SampleCount: taken.count, Sum: taken.sum, Minimum: taken.min, Maximum: taken.max },
        });
      }
      await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }));
      published = counts;
    } catch (error) {
      // Not lost: the counter baseline stays, and the durations go back with those recorded meanwhile.
      latency = mergeLatency(taken, latency);
      report(error);
    }
  }

  function flush(): Promise<void> {
    if (stopped) return stopping ?? Promise.resolve();
    chain = chain.then(publish);
    return chain;
  }

  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();

  return {
    flush,
    stop() {
      if (!stopping) {
        clearInterval(timer);
        consumer.off('message_processed', onProcessed);
        const last = flush();
        stopped = true;
        stopping = last;
      }
      return stopping;
    },
  };
}
