// CloudWatch metrics through @aws-sdk/client-cloudwatch (AWS JSON 1.0, query-compatible errors):
// PutMetricData in its three forms, GetMetricStatistics per period with standard and percentile statistics,
// ListMetrics with filters, and the errors CloudWatch gives for bad input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type CloudWatchClient,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { ManualClock } from '../../src/core/clock.js';
import { cloudWatchClient, startTestServer, type TestServer } from '../helpers/server.js';
import { rejectsWith } from '../helpers/sqs.js';

// Whole minutes, so that periods line up with the data put below.
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const clock = new ManualClock(T0 + 10 * 60_000);
const at = (minute: number, second = 0) => new Date(T0 + minute * 60_000 + second * 1000);

describe('CloudWatch metrics', () => {
  let t: TestServer;
  let cw: CloudWatchClient;

  before(async () => {
    t = await startTestServer({ clock });
    cw = cloudWatchClient(t.server.url);
  });
  after(async () => {
    cw.destroy();
    await t.stop();
  });

  const orders = [{ Name: 'Marketplace', Value: 'eu-1' }];

  test('values, value lists with counts and statistic sets add up per period', async () => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Shop/Orders',
        MetricData: [
          { MetricName: 'DownstreamCalls', Dimensions: orders, Timestamp: at(0, 5), Value: 3, Unit: 'Count' },
          { MetricName: 'DownstreamCalls', Dimensions: orders, Timestamp: at(0, 40), Value: 5, Unit: 'Count' },
          {
            MetricName: 'DownstreamCalls',
            Dimensions: orders,
            Timestamp: at(1, 10),
            Values: [1, 10],
            Counts: [3, 1],
            Unit: 'Count',
          },
          {
            MetricName: 'DownstreamCalls',
            Dimensions: orders,
            Timestamp: at(2, 0),
            StatisticValues: { SampleCount: 4, Sum: 20, Minimum: 2, Maximum: 8 },
            Unit: 'Count',
          },
        ],
      }),
    );
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Shop/Orders',
        MetricName: 'DownstreamCalls',
        Dimensions: orders,
        StartTime: at(0),
        EndTime: at(3),
        Period: 60,
        Statistics: ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'],
      }),
    );
    assert.equal(out.Label, 'DownstreamCalls');
    const points = (out.Datapoints ?? []).map((p) => ({
      t: p.Timestamp?.getTime(),
      n: p.SampleCount,
      sum: p.Sum,
      avg: p.Average,
      min: p.Minimum,
      max: p.Maximum,
      unit: p.Unit,
    }));
    assert.deepEqual(points, [
      { t: at(0).getTime(), n: 2, sum: 8, avg: 4, min: 3, max: 5, unit: 'Count' },
      { t: at(1).getTime(), n: 4, sum: 13, avg: 3.25, min: 1, max: 10, unit: 'Count' },
      { t: at(2).getTime(), n: 4, sum: 20, avg: 5, min: 2, max: 8, unit: 'Count' },
    ]);
    const wide = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Shop/Orders',
        MetricName: 'DownstreamCalls',
        Dimensions: orders,
        StartTime: at(0),
        EndTime: at(5),
        Period: 300,
        Statistics: ['Sum', 'SampleCount'],
      }),
    );
    assert.deepEqual(
      wide.Datapoints?.map((p) => [p.Sum, p.SampleCount]),
      [[41, 10]],
    );
  });

  test('percentiles from raw values; other dimension sets are other metrics', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Shop/Latency',
        MetricData: [
          { MetricName: 'ApiLatency', Timestamp: at(4), Values: values, Unit: 'Milliseconds' },
          {
            MetricName: 'ApiLatency',
            Dimensions: [{ Name: 'Api', Value: 'payments' }],
            Timestamp: at(4),
            Value: 1000,
            Unit: 'Milliseconds',
          },
        ],
      }),
    );
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Shop/Latency',
        MetricName: 'ApiLatency',
        StartTime: at(4),
        EndTime: at(5),
        Period: 60,
        ExtendedStatistics: ['p50', 'p99'],
      }),
    );
    const [point] = out.Datapoints ?? [];
    const p50 = point?.ExtendedStatistics?.p50 ?? Number.NaN;
    const p99 = point?.ExtendedStatistics?.p99 ?? Number.NaN;
    assert.ok(Math.abs(p50 - 50) <= 1.5, `p50 ${p50}`);
    assert.ok(Math.abs(p99 - 99) <= 1.5, `p99 ${p99}`);
  });

  test('high-resolution data answers periods under a minute', async () => {
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Shop/Flash',
        MetricData: [0, 1, 2, 3, 11, 12].map((s) => ({
          MetricName: 'Checkouts',
          Timestamp: at(6, s),
          Value: 1,
          StorageResolution: 1,
        })),
      }),
    );
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Shop/Flash',
        MetricName: 'Checkouts',
        StartTime: at(6),
        EndTime: at(6, 30),
        Period: 10,
        Statistics: ['Sum'],
      }),
    );
    assert.deepEqual(
      out.Datapoints?.map((p) => [p.Timestamp?.getTime(), p.Sum]),
      [
        [at(6, 0).getTime(), 4],
        [at(6, 10).getTime(), 2],
      ],
    );
  });

  test('ListMetrics filters by namespace, name and dimensions', async () => {
    const all = await cw.send(new ListMetricsCommand({ Namespace: 'Shop/Latency' }));
    assert.equal(all.Metrics?.length, 2);
    const payments = await cw.send(
      new ListMetricsCommand({ Namespace: 'Shop/Latency', Dimensions: [{ Name: 'Api', Value: 'payments' }] }),
    );
    assert.deepEqual(payments.Metrics, [
      { Namespace: 'Shop/Latency', MetricName: 'ApiLatency', Dimensions: [{ Name: 'Api', Value: 'payments' }] },
    ]);
    const byName = await cw.send(new ListMetricsCommand({ MetricName: 'DownstreamCalls' }));
    assert.deepEqual(
      byName.Metrics?.map((m) => m.Namespace),
      ['Shop/Orders'],
    );
  });

  test('AWS/SQS metrics by QueueName: counts as they happen, depths sampled', async () => {
    const { CreateQueueCommand, SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageCommand } = await import(
      '@aws-sdk/client-sqs'
    );
    clock.set(T0 + 20 * 60_000);
    const url = (await t.sqs.send(new CreateQueueCommand({ QueueName: 'cw-orders' }))).QueueUrl as string;
    await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: ['a', 'bb', 'ccc'].map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    const got = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got.Messages?.[0]?.ReceiptHandle }));
    await t.server.sqsCloudWatch.sample();
    const stat = async (MetricName: string, statistic: 'Sum' | 'Maximum' | 'Average') => {
      const out = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/SQS',
          MetricName,
          Dimensions: [{ Name: 'QueueName', Value: 'cw-orders' }],
          StartTime: at(20),
          EndTime: at(21),
          Period: 60,
          Statistics: [statistic],
        }),
      );
      return out.Datapoints?.[0]?.[statistic];
    };
    assert.equal(await stat('NumberOfMessagesSent', 'Sum'), 3);
    assert.equal(await stat('SentMessageSize', 'Average'), 2);
    assert.equal(await stat('NumberOfMessagesReceived', 'Sum'), 1);
    assert.equal(await stat('NumberOfMessagesDeleted', 'Sum'), 1);
    assert.equal(await stat('ApproximateNumberOfMessagesVisible', 'Maximum'), 2);
    assert.equal(await stat('ApproximateNumberOfMessagesNotVisible', 'Maximum'), 0);
    const listed = await cw.send(
      new ListMetricsCommand({ Namespace: 'AWS/SQS', Dimensions: [{ Name: 'QueueName', Value: 'cw-orders' }] }),
    );
    assert.ok((listed.Metrics?.length ?? 0) >= 7);

    // Later samples in the same minute are kept at 1-second resolution only: 10-second periods see each sample,
    // while the minute keeps the one sample AWS reports per minute.
    clock.set(T0 + 20 * 60_000 + 30_000);
    await t.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'd', MessageBody: 'dddd' }] }));
    await t.server.sqsCloudWatch.sample();
    const visible = async (Period: number) =>
      (
        await cw.send(
          new GetMetricStatisticsCommand({
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: 'cw-orders' }],
            StartTime: at(20),
            EndTime: at(21),
            Period,
            Statistics: ['Maximum', 'SampleCount'],
          }),
        )
      ).Datapoints?.map((p) => [(p.Timestamp?.getTime() ?? 0) - at(20).getTime(), p.Maximum, p.SampleCount]);
    assert.deepEqual(await visible(10), [
      [0, 2, 1],
      [30_000, 3, 1],
    ]);
    assert.deepEqual(await visible(60), [[0, 2, 1]]);
  });

  test('bad input gets CloudWatch error codes and nothing of a refused call is kept', async () => {
    await rejectsWith(
      cw.send(new PutMetricDataCommand({ Namespace: 'AWS/SQS', MetricData: [{ MetricName: 'x', Value: 1 }] })),
      'InvalidParameterValueException',
    );
    await rejectsWith(
      cw.send(
        new PutMetricDataCommand({
          Namespace: 'Shop/Bad',
          MetricData: [
            { MetricName: 'kept?', Value: 1 },
            { MetricName: 'both', Value: 1, Values: [1] },
          ],
        }),
      ),
      'InvalidParameterCombinationException',
    );
    assert.deepEqual((await cw.send(new ListMetricsCommand({ Namespace: 'Shop/Bad' }))).Metrics, []);
    await rejectsWith(
      cw.send(
        new PutMetricDataCommand({
          Namespace: 'Shop/Bad',
          MetricData: [{ MetricName: 'u', Value: 1, Unit: 'Parsecs' as 'Count' }],
        }),
      ),
      'InvalidParameterValueException',
    );
    await rejectsWith(
      cw.send(new PutMetricDataCommand({ Namespace: 'Shop/Bad' })),
      'MissingRequiredParameterException',
    );
    const query = { Namespace: 'Shop/Orders', MetricName: 'DownstreamCalls', StartTime: at(0), EndTime: at(3) };
    await rejectsWith(
      cw.send(new GetMetricStatisticsCommand({ ...query, Period: 45, Statistics: ['Sum'] })),
      'InvalidParameterValueException',
    );
    await rejectsWith(
      cw.send(
        new GetMetricStatisticsCommand({ ...query, Period: 60, Statistics: ['Sum'], ExtendedStatistics: ['p90'] }),
      ),
      'InvalidParameterCombinationException',
    );
    await rejectsWith(
      cw.send(new GetMetricStatisticsCommand({ ...query, EndTime: at(60 * 24 * 2), Period: 60, Statistics: ['Sum'] })),
      'InvalidParameterCombinationException',
      /exceeds the limit of 1440/,
    );
    await rejectsWith(
      cw.send(new GetMetricStatisticsCommand({ ...query, Period: 60, Statistics: ['Median'] as unknown as 'Sum'[] })),
      'InvalidParameterValueException',
    );
  });
});
