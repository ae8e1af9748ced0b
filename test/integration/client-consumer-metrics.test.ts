// switchyard/client's consumer metrics against a real server: a real consumer works a real queue while
// publishConsumerMetrics sends its counters, gauges and handler latency with PutMetricData (high resolution, every
// second); the server's own CloudWatch API then reads them back: sums that add up exactly, the latency statistic
// set, high-resolution datapoints, and the metrics listed with their QueueName dimension.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  type CloudWatchClient,
  type Dimension,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
} from '@aws-sdk/client-cloudwatch';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { consume } from '../../src/client/consumer.js';
import { publishConsumerMetrics } from '../../src/client/consumer-metrics.js';
import { sleep } from '../helpers/process.js';
import { cloudWatchClient, testServerForFile } from '../helpers/server.js';
import { sqsHelpers, uniq } from '../helpers/sqs.js';
import { waitFor } from '../helpers/wait.js';

const t = testServerForFile();
const { createQueue } = sqsHelpers(() => t.sqs);
/** CloudWatch clients of the tests, destroyed at the end. */
const clients: CloudWatchClient[] = [];
after(() => {
  for (const client of clients) client.destroy();
});

const NAMESPACE = 'Switchyard/Consumer';

test('a consumer’s metrics published with PutMetricData add up in the server’s CloudWatch', async () => {
  const cw = cloudWatchClient(t.server.url);
  clients.push(cw);
  const queueName = uniq('consumer-metrics');
  const queueUrl = await createQueue(queueName);
  const from = new Date(Date.now() - 60_000);
  for (let i = 0; i < 20; i += 10) {
    const out = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: 10 }, (_, k) => ({ Id: `m${i + k}`, MessageBody: String(i + k) })),
      }),
    );
    assert.deepEqual(out.Failed ?? [], []);
  }

  // 15 messages succeed at once; 5 ("0".."4") fail on their first receive and succeed on the second.
  const consumer = consume({
    client: t.sqs,
    queueUrl,
    concurrency: 5,
    waitTimeSeconds: 1,
    retry: { baseDelaySeconds: 0 },
    handler: async (message, ctx) => {
      await sleep(5);
      if (Number(message.Body) < 5 && ctx.receiveCount === 1) throw new Error('not yet');
    },
  });
  const errors: Error[] = [];
  const metrics = publishConsumerMetrics(consumer, {
    client: cw,
    queueUrl,
    intervalMs: 1000,
    storageResolution: 1,
    onError: (e) => errors.push(e),
  });
  try {
    await consumer.start();
    await waitFor('20 messages handled', () => consumer.stats().handled === 20, 20_000);
    // Let the interval publish at least once while the consumer is still there, then stop both.
    await sleep(1100);
  } finally {
    await consumer.stop({ timeoutMs: 2000 });
    await metrics.stop();
  }
  assert.deepEqual(errors, []);
  const stats = consumer.stats();
  assert.equal(stats.failed, 5);
  assert.equal(stats.retried, 5);

  const dimensions: Dimension[] = [{ Name: 'QueueName', Value: queueName }];
  const statistics = async (MetricName: string) => {
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: NAMESPACE,
        MetricName,
        Dimensions: dimensions,
        StartTime: from,
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ['Sum', 'SampleCount', 'Minimum', 'Maximum'],
      }),
    );
    const points = out.Datapoints ?? [];
    return {
      sum: points.reduce((acc, p) => acc + (p.Sum ?? 0), 0),
      samples: points.reduce((acc, p) => acc + (p.SampleCount ?? 0), 0),
      min: Math.min(...points.map((p) => p.Minimum ?? Number.POSITIVE_INFINITY)),
      max: Math.max(...points.map((p) => p.Maximum ?? Number.NEGATIVE_INFINITY)),
      units: new Set(points.map((p) => p.Unit)),
    };
  };

  const handled = await statistics('Handled');
  assert.equal(handled.sum, 20);
  assert.ok(handled.samples >= 2, `published at least twice (the interval, then stop), got ${handled.samples}`);
  assert.deepEqual([...handled.units], ['Count']);
  assert.equal((await statistics('Failed')).sum, 5);
  assert.equal((await statistics('Retried')).sum, 5);
  for (const name of ['DeadLettered', 'Duplicates', 'Released', 'Coalesced', 'Skipped']) {
    const s = await statistics(name);
    assert.equal(s.sum, 0, name);
    assert.equal(s.samples, handled.samples, `${name}: a 0 is published with every publish`);
  }
  const concurrency = await statistics('Concurrency');
  assert.equal(concurrency.max, 5);
  assert.equal(concurrency.samples, handled.samples);
  assert.equal((await statistics('InFlight')).samples, handled.samples);
  assert.equal((await statistics('Running')).samples, handled.samples);

  const latency = await statistics('HandlerLatency');
  assert.equal(latency.samples, 20, 'one sample per successful handler run');
  assert.deepEqual([...latency.units], ['Milliseconds']);
  assert.ok(latency.min >= 4, `the handlers sleep 5 ms, got a minimum of ${latency.min}`);
  assert.ok(latency.max >= latency.min && latency.sum >= 20 * latency.min);

  // High resolution: the same counts in 1-second periods.
  const data = await cw.send(
    new GetMetricDataCommand({
      StartTime: from,
      EndTime: new Date(Date.now() + 60_000),
      MetricDataQueries: [
        {
          Id: 'handled',
          MetricStat: {
            Metric: { Namespace: NAMESPACE, MetricName: 'Handled', Dimensions: dimensions },
            Period: 1,
            Stat: 'Sum',
          },
        },
      ],
    }),
  );
  const values = data.MetricDataResults?.[0]?.Values ?? [];
  assert.equal(
    values.reduce((acc, v) => acc + v, 0),
    20,
  );

  const listed = await cw.send(new ListMetricsCommand({ Namespace: NAMESPACE, Dimensions: dimensions }));
  assert.deepEqual((listed.Metrics ?? []).map((m) => m.MetricName).sort(), [
    'Coalesced',
    'Coalescing',
    'Concurrency',
    'DeadLettered',
    'Duplicates',
    'Failed',
    'Handled',
    'HandlerLatency',
    'InFlight',
    'Released',
    'Retried',
    'Running',
    'Skipped',
  ]);
  for (const metric of listed.Metrics ?? []) assert.deepEqual(metric.Dimensions, dimensions);
});
