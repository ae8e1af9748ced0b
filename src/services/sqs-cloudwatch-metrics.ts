import type { Clock } from '../core/clock.js';
import { addValue } from '../core/metrics/aggregate.js';
import type { QueueRecord } from '../store/types.js';
import { canonicalDimensions, type MetricsService } from './metrics-service.js';
import type { QueueActivity } from './queue-activity.js';
import type { QueueOverview } from './queue-service.js';

const NAMESPACE = 'AWS/SQS';

/**
 * CloudWatch's AWS/SQS metrics, by `QueueName`, as AWS documents them: the counts (messages sent,
 * received, deleted, empty receives, FIFO deduplicated sends) and SentMessageSize recorded as things
 * happen, and the approximate depths and the age of the oldest message sampled once a minute.
 */
export class SqsCloudWatchMetrics implements QueueActivity {
  private readonly metrics: MetricsService;
  private readonly clock: Clock;
  private readonly queues: () => Promise<(QueueOverview & { accountId: string })[]>;
  private readonly sampleMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** The QueueName dimension set of each queue, built once: every send records with it. */
  private readonly dimensions = new Map<string, string>();

  constructor(options: {
    metrics: MetricsService;
    clock: Clock;
    /** Every queue with its counts (all accounts). */
    queues: () => Promise<(QueueOverview & { accountId: string })[]>;
    /** How often the gauges are sampled. @defaultValue 60000 */
    sampleMs?: number;
  }) {
    this.metrics = options.metrics;
    this.clock = options.clock;
    this.queues = options.queues;
    this.sampleMs = options.sampleMs ?? 60_000;
  }

  private put(accountId: string, queueName: string, name: string, unit: string, value: number, at = this.clock.now()) {
    let dimensions = this.dimensions.get(queueName);
    if (dimensions === undefined) {
      dimensions = canonicalDimensions([{ Name: 'QueueName', Value: queueName }]);
      this.dimensions.set(queueName, dimensions);
    }
    this.metrics.record({ accountId, namespace: NAMESPACE, name, dimensions }, at, unit, false, (set) =>
      addValue(set, value),
    );
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

  /** Records the gauges of every queue now. */
  async sample(): Promise<void> {
    const at = this.clock.now();
    for (const q of await this.queues()) {
      this.put(q.accountId, q.name, 'ApproximateNumberOfMessagesVisible', 'Count', q.visible, at);
      this.put(q.accountId, q.name, 'ApproximateNumberOfMessagesNotVisible', 'Count', q.inFlight, at);
      this.put(q.accountId, q.name, 'ApproximateNumberOfMessagesDelayed', 'Count', q.delayed, at);
      this.put(q.accountId, q.name, 'ApproximateAgeOfOldestMessage', 'Seconds', q.oldestMessageAgeSeconds ?? 0, at);
    }
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sample().catch(() => {
        // The next minute samples again.
      });
    }, this.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
