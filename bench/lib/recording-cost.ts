/**
 * What the server's own metrics cost per message, measured in process and without the noise of a shared machine: the
 * hooks a queue cycle of batches of ten calls (a SendMessageBatch, a ReceiveMessage, a DeleteMessageBatch, each with
 * its request observation and its store commit) run through the AWS/SQS recorder and the Prometheus counters, with
 * the metrics' periodic flush into an in-memory store included.
 */
import { ManualClock } from '../../src/core/clock.js';
import { EventMetrics } from '../../src/services/event-metrics.js';
import { MetricsService } from '../../src/services/metrics-service.js';
import { PrometheusMetrics } from '../../src/services/prometheus-metrics.js';
import { QueueActivityFanOut } from '../../src/services/queue-activity.js';
import { SqsCloudWatchMetrics } from '../../src/services/sqs-cloudwatch-metrics.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { QueueRecord } from '../../src/store/types.js';

export interface RecordingCost {
  messages: number;
  /** CPU microseconds the metrics hooks spend per message cycled (sent, received and deleted), flushes included. */
  microsPerMessage: number;
}

export async function measureRecordingCost(messages = 200_000, bodyBytes = 200): Promise<RecordingCost> {
  const store = new SqliteStore({ dataDir: ':memory:' });
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const metrics = new MetricsService({ store, clock });
  const prometheus = new PrometheusMetrics({ store, queues: async () => [], events: new EventMetrics() });
  const activity = new QueueActivityFanOut();
  activity.add(new SqsCloudWatchMetrics({ metrics, clock, queues: async () => [] }));
  activity.add(prometheus);
  const queue = { id: 1, accountId: '000000000000', name: 'bench-cycle', attributes: {} } as unknown as QueueRecord;
  const batch = Array.from({ length: 10 }, (_, i) => ({ bytes: bodyBytes + (i % 3), duplicate: false }));
  const started = process.cpuUsage();
  for (let sent = 0; sent < messages; sent += batch.length) {
    activity.sent(queue, batch);
    prometheus.request('sqs', 'SendMessageBatch', 200, 0.002);
    prometheus.commit(0.001, 1);
    activity.received(queue, batch.length);
    prometheus.request('sqs', 'ReceiveMessage', 200, 0.002);
    prometheus.commit(0.001, 1);
    activity.deleted(queue, batch.length);
    prometheus.request('sqs', 'DeleteMessageBatch', 200, 0.002);
    prometheus.commit(0.001, 1);
    // A flush every 5 s of a 3,000 msg/s cycle, as the server's timer does.
    if (sent % 15_000 === 0) {
      clock.advance(5000);
      await metrics.flush();
    }
  }
  await metrics.flush();
  const used = process.cpuUsage(started);
  await store.close();
  return { messages, microsPerMessage: Math.round(((used.user + used.system) / messages) * 100) / 100 };
}
