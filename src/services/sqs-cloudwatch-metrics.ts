import type { Clock } from '../core/clock.js';
import { bucketStart } from '../core/metrics/aggregate.js';
import type { QueueRecord } from '../store/types.js';
import { canonicalDimensions } from './metric-input.js';
import { type MetricsService, RESOLUTIONS, STANDARD_RESOLUTIONS } from './metrics-service.js';
import type { QueueActivity } from './queue-activity.js';
import type { QueueOverview } from './queue-service.js';

const NAMESPACE = 'AWS/SQS';

/**
 * CloudWatch's AWS/SQS metrics, by `QueueName`, as AWS documents them: the counts (messages sent,
 * received, deleted, empty receives, FIFO deduplicated sends) and SentMessageSize recorded as things
 * happen, and the approximate depths and the age of the oldest message sampled every 10 seconds (see sample()).
 */
export class SqsCloudWatchMetrics implements QueueActivity {
  private readonly metrics: MetricsService;
  private readonly clock: Clock;
  private readonly queues: () => Promise<(QueueOverview & { accountId: string })[]>;
  private readonly sampleMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** The minute the last sample fell in: the first sample of a minute also goes into the minute buckets. */
  private lastMinute: number | undefined;
  /** The QueueName dimension set of each queue, built once: every send records with it. */
  private readonly dimensions = new Map<string, string>();

  constructor(options: {
    metrics: MetricsService;
    clock: Clock;
    /** Every queue with its counts (all accounts). */
    queues: () => Promise<(QueueOverview & { accountId: string })[]>;
    /** How often the gauges are sampled (kept at 1-second resolution for 3 hours). @defaultValue 10000 */
    sampleMs?: number;
  }) {
    this.metrics = options.metrics;
    this.clock = options.clock;
    this.queues = options.queues;
    this.sampleMs = options.sampleMs ?? 10_000;
  }

  private put(
    accountId: string,
    queueName: string,
    name: string,
    unit: string,
    value: number,
    at = this.clock.now(),
    resolutions: readonly number[] = STANDARD_RESOLUTIONS,
  ) {
    let dimensions = this.dimensions.get(queueName);
    if (dimensions === undefined) {
      dimensions = canonicalDimensions([{ Name: 'QueueName', Value: queueName }]);
      this.dimensions.set(queueName, dimensions);
    }
    this.metrics.recordValue({ accountId, namespace: NAMESPACE, name, dimensions }, at, unit, value, 1, resolutions);
  }

  sent(queue: QueueRecord, messages: readonly { bytes: number; duplicate: boolean }[]): void {
    let accepted = 0;
    let duplicates = 0;
    for (const m of messages) {
      if (m.duplicate) duplicates += 1;
      else {
        accepted += 1;
        this.put(queue.accountId, queue.name, 'SentMessageSize', 'Bytes', m.bytes);
      }
    }
    if (accepted > 0) this.put(queue.accountId, queue.name, 'NumberOfMessagesSent', 'Count', accepted);
    if (duplicates > 0) {
      this.put(queue.accountId, queue.name, 'NumberOfDeduplicatedSentMessages', 'Count', duplicates);
    }
  }

  received(queue: QueueRecord, count: number): void {
    if (count === 0) this.put(queue.accountId, queue.name, 'NumberOfEmptyReceives', 'Count', 1);
    else this.put(queue.accountId, queue.name, 'NumberOfMessagesReceived', 'Count', count);
  }

  deleted(queue: QueueRecord, count: number): void {
    this.put(queue.accountId, queue.name, 'NumberOfMessagesDeleted', 'Count', count);
  }

  /**
   * Records the gauges of every queue now: into the 1-second buckets every time, and into the minute (and rollup)
   * buckets with the first sample of each minute only.
   */
  async sample(): Promise<void> {
    const at = this.clock.now();
    const minute = bucketStart(at, 60);
    const resolutions = minute === this.lastMinute ? [1] : RESOLUTIONS;
    this.lastMinute = minute;
    for (const q of await this.queues()) {
      const gauge = (name: string, unit: string, value: number) =>
        this.put(q.accountId, q.name, name, unit, value, at, resolutions);
      gauge('ApproximateNumberOfMessagesVisible', 'Count', q.visible);
      gauge('ApproximateNumberOfMessagesNotVisible', 'Count', q.inFlight);
      gauge('ApproximateNumberOfMessagesDelayed', 'Count', q.delayed);
      gauge('ApproximateAgeOfOldestMessage', 'Seconds', q.oldestMessageAgeSeconds ?? 0);
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sample().catch(() => {
        // The next tick samples again.
      });
    }, this.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
