import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueRecord, Store } from '../store/types.js';
import type { EventMetrics } from './event-metrics.js';
import type { QueueActivity } from './queue-activity.js';
import type { QueueOverview } from './queue-service.js';

/**
 * The server's metrics in Prometheus' text format (`GET /metrics`), one registry per server so that
 * several servers in one process (the tests) do not share counters. Queue depths and the outbox are read
 * from the store at scrape time; counters are fed by the services as things happen.
 */
export class PrometheusMetrics implements QueueActivity {
  readonly registry = new Registry();
  private readonly sentMessages: Counter<'queue'>;
  private readonly sentBytes: Counter<'queue'>;
  private readonly deduplicated: Counter<'queue'>;
  private readonly receivedMessages: Counter<'queue'>;
  private readonly emptyReceives: Counter<'queue'>;
  private readonly deletedMessages: Counter<'queue'>;
  private readonly requests: Counter<'service' | 'action' | 'status'>;
  private readonly requestSeconds: Histogram<'service' | 'action'>;
  private readonly commitSeconds: Histogram;
  private readonly commitWrites: Counter;

  constructor(options: {
    store: Store;
    /** Every queue with its counts, at scrape time. */
    queues: () => Promise<QueueOverview[]>;
    events: EventMetrics;
  }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
    // Gauges named like counters, which promtool refuses; the unsuffixed per-type gauges stay.
    for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
      this.registry.removeSingleMetric(`switchyard_nodejs_${name}`);
    }
    const perQueue = (name: string, help: string) => new Counter({ name, help, labelNames: ['queue'], registers });
    this.sentMessages = perQueue('switchyard_sqs_messages_sent_total', 'Messages added to a queue.');
    this.sentBytes = perQueue('switchyard_sqs_sent_message_bytes_total', 'Bytes of the messages added to a queue.');
    this.deduplicated = perQueue(
      'switchyard_sqs_messages_deduplicated_total',
      'Messages a FIFO queue dropped as duplicates of one sent in the last 5 minutes.',
    );
    this.receivedMessages = perQueue('switchyard_sqs_messages_received_total', 'Messages returned by receives.');
    this.emptyReceives = perQueue('switchyard_sqs_empty_receives_total', 'Receive calls that returned no message.');
    this.deletedMessages = perQueue('switchyard_sqs_messages_deleted_total', 'Messages deleted by consumers.');
    this.requests = new Counter({
      name: 'switchyard_requests_total',
      help: 'API requests by service, action and HTTP status.',
      labelNames: ['service', 'action', 'status'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'switchyard_request_duration_seconds',
      help: 'API request duration, from the first byte read to the answer (long polls included).',
      labelNames: ['service', 'action'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'switchyard_store_commit_duration_seconds',
      help: 'Duration of one group commit of the store (its fsync included in full durability).',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.commitWrites = new Counter({
      name: 'switchyard_store_committed_writes_total',
      help: 'Writes carried by the group commits of the store.',
      registers,
    });

    // One read of the queues per scrape: prom-client collects all metrics at once, so the four gauges
    // share the read under way.
    let reading: Promise<QueueOverview[]> | undefined;
    const snapshot = () => {
      if (!reading) {
        const current = options.queues();
        reading = current;
        current.then(
          () => {
            reading = undefined;
          },
          () => {
            reading = undefined;
          },
        );
      }
      return reading;
    };
    const queueGauge = (name: string, help: string, read: (q: QueueOverview) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'],
        registers,
        async collect() {
          const queues = await snapshot();
          this.reset();
          for (const q of queues) this.set({ queue: q.name }, read(q));
        },
      });
    queueGauge('switchyard_sqs_messages_visible', 'Messages available for retrieval.', (q) => q.visible);
    queueGauge(
      'switchyard_sqs_messages_in_flight',
      'Messages received and not yet deleted or visible again.',
      (q) => q.inFlight,
    );
    queueGauge('switchyard_sqs_messages_delayed', 'Messages not yet visible because of a delay.', (q) => q.delayed);
    queueGauge(
      'switchyard_sqs_oldest_message_age_seconds',
      'Age of the oldest message in the queue (0 when empty).',
      (q) => q.oldestMessageAgeSeconds ?? 0,
    );

    new Gauge({
      name: 'switchyard_events_outbox_deliveries',
      help: 'EventBridge deliveries waiting in the outbox (HTTP and bus targets, retries).',
      registers,
      async collect() {
        this.set(await options.store.countDeliveries());
      },
    });
    const ruleCounter = (name: string, help: string, read: (c: ReturnType<EventMetrics['rule']>) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['bus', 'rule'],
        registers,
        collect() {
          // The counts live in EventMetrics; the counter mirrors them at each scrape.
          this.reset();
          for (const { key, counters } of options.events.byRule()) {
            this.inc({ bus: key.busName, rule: key.ruleName }, read(counters));
          }
        },
      });
    ruleCounter('switchyard_events_matched_total', 'Events that matched a rule.', (c) => c.MatchedEvents);
    ruleCounter(
      'switchyard_events_invocations_total',
      'Target invocations of a rule, final outcomes.',
      (c) => c.Invocations,
    );
    ruleCounter(
      'switchyard_events_failed_invocations_total',
      'Target invocations that failed for good.',
      (c) => c.FailedInvocations,
    );
    ruleCounter(
      'switchyard_events_dead_letter_invocations_total',
      "Events sent to a target's dead-letter queue.",
      (c) => c.InvocationsSentToDlq,
    );
    ruleCounter(
      'switchyard_events_dead_letter_failures_total',
      "Events that could not be sent to a target's dead-letter queue.",
      (c) => c.InvocationsFailedToBeSentToDlq,
    );
  }

  sent(queue: QueueRecord, messages: readonly { bytes: number; duplicate: boolean }[]): void {
    let bytes = 0;
    let duplicates = 0;
    for (const m of messages) {
      if (m.duplicate) duplicates += 1;
      else bytes += m.bytes;
    }
    const labels = { queue: queue.name };
    if (messages.length > duplicates) this.sentMessages.inc(labels, messages.length - duplicates);
    if (bytes > 0) this.sentBytes.inc(labels, bytes);
    if (duplicates > 0) this.deduplicated.inc(labels, duplicates);
  }

  received(queue: QueueRecord, count: number): void {
    if (count === 0) this.emptyReceives.inc({ queue: queue.name });
    else this.receivedMessages.inc({ queue: queue.name }, count);
  }

  deleted(queue: QueueRecord, count: number): void {
    this.deletedMessages.inc({ queue: queue.name }, count);
  }

  request(service: string, action: string, status: number, seconds: number): void {
    this.requests.inc({ service, action, status: String(status) });
    this.requestSeconds.observe({ service, action }, seconds);
  }

  commit(seconds: number, writes: number): void {
    this.commitSeconds.observe(seconds);
    this.commitWrites.inc(writes);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
