// publishConsumerMetrics against a fake consumer (its stats() and its message_processed event) and a fake
// CloudWatch client that records each PutMetricData input: what is published, as increases, gauges and statistic
// sets; what a failed call carries over; stop(); the interval; and a timer that does not keep the process alive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { MetricDatum, PutMetricDataCommand, PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import type { ConsumerEvents } from '../../src/client/consumer.js';
import { type MeteredStats, publishConsumerMetrics } from '../../src/client/consumer-metrics.js';
import { REPO_ROOT } from '../helpers/process.js';

type Processed = ConsumerEvents['message_processed'][0];

/** The part of a consumer the publisher reads: mutable stats, and message_processed listeners. */
class FakeConsumer {
  current: MeteredStats = {
    handled: 0,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    duplicates: 0,
    released: 0,
    coalesced: 0,
    skipped: 0,
    inFlight: 0,
    running: 0,
    concurrency: 10,
    coalescing: 0,
  };
  readonly listeners = new Set<(info: Processed) => void>();

  stats(): MeteredStats {
    return { ...this.current };
  }
  on(_event: 'message_processed', listener: (info: Processed) => void): this {
    this.listeners.add(listener);
    return this;
  }
  off(_event: 'message_processed', listener: (info: Processed) => void): this {
    this.listeners.delete(listener);
    return this;
  }
  /** A handler succeeded after `durationMs`. */
  processed(durationMs: number): void {
    this.current.handled += 1;
    for (const listener of this.listeners) {
      listener({ messageId: `m-${this.current.handled}`, receiveCount: 1, message: {}, durationMs });
    }
  }
}

/** A PutMetricData sender recording each call's input; `failNext` makes the next calls reject. */
function fakeCloudWatch() {
  const calls: PutMetricDataCommandInput[] = [];
  let failures = 0;
  return {
    calls,
    failNext(n = 1) {
      failures = n;
    },
    async send(command: PutMetricDataCommand): Promise<object> {
      if (failures > 0) {
        failures -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      }
      calls.push(command.input);
      return {};
    },
  };
}

/** The datums of a call by metric name. */
function byName(input: PutMetricDataCommandInput | undefined): Map<string, MetricDatum> {
  assert.ok(input, 'a PutMetricData call was made');
  return new Map((input.MetricData ?? []).map((d) => [d.MetricName ?? '', d]));
}

function metricValue(input: PutMetricDataCommandInput | undefined, name: string): number | undefined {
  return byName(input).get(name)?.Value;
}

const QUEUE_URL = 'http://127.0.0.1:4566/000000000000/orders-queue';
const COUNTERS = ['Handled', 'Failed', 'Retried', 'DeadLettered', 'Duplicates', 'Released', 'Coalesced', 'Skipped'];
const GAUGES = ['InFlight', 'Running', 'Concurrency', 'Coalescing'];

describe('publishConsumerMetrics', () => {
  test('publishes every counter as its increase, every gauge as it is, in one call with one timestamp', async () => {
    const consumer = new FakeConsumer();
    consumer.current.handled = 7; // before the publisher: not published
    const cw = fakeCloudWatch();
    const metrics = publishConsumerMetrics(consumer, { client: cw, queueUrl: QUEUE_URL });
    Object.assign(consumer.current, { handled: 10, failed: 2, retried: 2, deadLettered: 1, duplicates: 3 });
    Object.assign(consumer.current, {
      released: 4,
      coalesced: 5,
      skipped: 6,
      inFlight: 8,
      running: 3,
      concurrency: 12,
      coalescing: 9,
    });
    await metrics.flush();
    await metrics.stop();

    const [input] = cw.calls;
    assert.equal(input?.Namespace, 'Switchyard/Consumer');
    const data = byName(input);
    assert.deepEqual([...data.keys()].sort(), [...COUNTERS, ...GAUGES].sort(), 'no HandlerLatency without samples');
    const expected: Record<string, number> = {
      Handled: 3,
      Failed: 2,
      Retried: 2,
      DeadLettered: 1,
      Duplicates: 3,
      Released: 4,
      Coalesced: 5,
      Skipped: 6,
      InFlight: 8,
      Running: 3,
      Concurrency: 12,
      Coalescing: 9,
    };
    const timestamps = new Set<number>();
    for (const [name, datum] of data) {
      assert.equal(datum.Value, expected[name], name);
      assert.equal(datum.Unit, 'Count', name);
      assert.equal(datum.StorageResolution, 60, name);
      assert.deepEqual(datum.Dimensions, [{ Name: 'QueueName', Value: 'orders-queue' }], name);
      assert.ok(datum.Timestamp instanceof Date, name);
      timestamps.add(datum.Timestamp.getTime());
    }
    assert.equal(timestamps.size, 1, 'one timestamp for the whole call');
  });

  test('counters go out as the increase since the previous publish, 0 included; gauges always', async () => {
    const consumer = new FakeConsumer();
    const cw = fakeCloudWatch();
    const metrics = publishConsumerMetrics(consumer, { client: cw, queueUrl: QUEUE_URL });
    consumer.current.failed = 4;
    consumer.current.inFlight = 2;
    await metrics.flush();
    consumer.current.failed = 9;
    await metrics.flush();
    await metrics.flush();
    await metrics.stop();

    assert.deepEqual(
      cw.calls.map((c) => metricValue(c, 'Failed')),
      [4, 5, 0, 0],
    );
    assert.deepEqual(
      cw.calls.map((c) => metricValue(c, 'InFlight')),
      [2, 2, 2, 2],
    );
  });

  test('handler latency goes out as one statistic set per publish, and only when there were samples', async () => {
    const consumer = new FakeConsumer();
    const cw = fakeCloudWatch();
    const metrics = publishConsumerMetrics(consumer, {
      client: cw,
      queueUrl: QUEUE_URL,
      storageResolution: 1,
    });
    for (const ms of [12, 3, 40, 5]) consumer.processed(ms);
    await metrics.flush();
    consumer.processed(7);
    await metrics.flush();
    await metrics.flush();
    await metrics.stop();

    const first = byName(cw.calls[0]).get('HandlerLatency');
    assert.deepEqual(first?.StatisticValues, { SampleCount: 4, Sum: 60, Minimum: 3, Maximum: 40 });
    assert.equal(first?.Unit, 'Milliseconds');
    assert.equal(first?.Value, undefined);
    assert.equal(first?.StorageResolution, 1);
    assert.equal(metricValue(cw.calls[0], 'Handled'), 4);
    assert.deepEqual(byName(cw.calls[1]).get('HandlerLatency')?.StatisticValues, {
      SampleCount: 1,
      Sum: 7,
      Minimum: 7,
      Maximum: 7,
    });
    assert.equal(byName(cw.calls[2]).has('HandlerLatency'), false, 'no sample, no statistic set');
    assert.equal(byName(cw.calls[2]).size, COUNTERS.length + GAUGES.length);
  });

  test('a failed PutMetricData is reported, and its counts and latencies go out with the next publish', async () => {
    const consumer = new FakeConsumer();
    const cw = fakeCloudWatch();
    const errors: Error[] = [];
    const metrics = publishConsumerMetrics(consumer, {
      client: cw,
      queueUrl: QUEUE_URL,
      onError: (e) => errors.push(e),
    });
    consumer.processed(10);
    consumer.processed(20);
    consumer.current.retried = 2;
    cw.failNext(2);
    await metrics.flush(); // fails: resolves all the same
    consumer.processed(1);
    consumer.current.retried = 3;
    await metrics.flush(); // fails again
    consumer.processed(50);
    await metrics.flush();
    await metrics.stop();

    assert.deepEqual(
      errors.map((e) => e.message),
      ['Rate exceeded', 'Rate exceeded'],
    );
    assert.equal(cw.calls.length, 2, 'the third flush and the stop');
    assert.equal(metricValue(cw.calls[0], 'Handled'), 4);
    assert.equal(metricValue(cw.calls[0], 'Retried'), 3);
    assert.deepEqual(byName(cw.calls[0]).get('HandlerLatency')?.StatisticValues, {
      SampleCount: 4,
      Sum: 81,
      Minimum: 1,
      Maximum: 50,
    });
    assert.equal(metricValue(cw.calls[1], 'Handled'), 0, 'published once only');
    assert.equal(byName(cw.calls[1]).has('HandlerLatency'), false);
  });

  test('without onError a failure becomes a process warning', async () => {
    const consumer = new FakeConsumer();
    const cw = fakeCloudWatch();
    const metrics = publishConsumerMetrics(consumer, { client: cw, queueUrl: QUEUE_URL });
    const warned = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve));
    cw.failNext();
    await metrics.flush();
    const warning = await warned;
    assert.match(warning.message, /Rate exceeded/);
    assert.equal(warning.code, 'SWITCHYARD_CONSUMER_METRICS_ERROR');
    await metrics.stop();
  });

  test('flushes at the same time publish one after the other, counting each increase once', async () => {
    const consumer = new FakeConsumer();
    const cw = fakeCloudWatch();
    const metrics = publishConsumerMetrics(consumer, { client: cw, queueUrl: QUEUE_URL });
    consumer.current.handled = 5;
    consumer.processed(2);
    await Promise.all([metrics.flush(), metrics.flush(), metrics.flush()]);
    await metrics.stop();
    assert.deepEqual(
      cw.calls.map((c) => metricValue(c, 'Handled')),
      [6, 0, 0, 0],
    );
    assert.equal(cw.calls.filter((c) => byName(c).has('HandlerLatency')).length, 1);
  });

  test('stop() publishes what is left, stops listening and the interval, and is idempotent', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const consumer = new FakeConsumer();
    const cw = fakeCloudWatch();
    const metrics = publishConsumerMetrics(consumer, { client: cw, queueUrl: QUEUE_URL, intervalMs: 5000 });
    assert.equal(consumer.listeners.size, 1);

    t.mock.timers.tick(4999);
    await metrics.flush();
    assert.equal(cw.calls.length, 1, 'no publish before the interval, only the explicit flush');
    t.mock.timers.tick(1);
    await metrics.flush(); // runs after the one the interval started
    assert.equal(cw.calls.length, 3, 'the interval published');

    consumer.processed(9);
    const stopping = metrics.stop();
    assert.equal(metrics.stop(), stopping, 'the same promise');
    await stopping;
    assert.equal(cw.calls.length, 4);
    assert.equal(metricValue(cw.calls[3], 'Handled'), 1);
    assert.equal(byName(cw.calls[3]).get('HandlerLatency')?.StatisticValues?.SampleCount, 1);
    assert.equal(consumer.listeners.size, 0, 'the listener is removed');

    t.mock.timers.tick(60_000);
    consumer.current.handled = 100;
    await metrics.flush();
    await metrics.stop();
    assert.equal(cw.calls.length, 4, 'nothing after stop');
  });

  test('explicit dimensions and namespace; queueUrl or dimensions is required; options are checked', async () => {
    const consumer = new FakeConsumer();
    const cw = fakeCloudWatch();
    const dimensions = [
      { Name: 'Service', Value: 'billing' },
      { Name: 'QueueName', Value: 'q' },
    ];
    const metrics = publishConsumerMetrics(consumer, { client: cw, dimensions, namespace: 'Acme/Workers' });
    await metrics.stop();
    assert.equal(cw.calls[0]?.Namespace, 'Acme/Workers');
    for (const datum of byName(cw.calls[0]).values()) assert.deepEqual(datum.Dimensions, dimensions);

    const noDimensions = publishConsumerMetrics(consumer, { client: cw, dimensions: [] });
    await noDimensions.stop();
    assert.deepEqual(byName(cw.calls[1]).get('Handled')?.Dimensions, []);

    assert.throws(() => publishConsumerMetrics(consumer, { client: cw }), TypeError);
    assert.throws(() => publishConsumerMetrics(consumer, { client: cw, queueUrl: 'http://host/' }), TypeError);
    assert.throws(
      () => publishConsumerMetrics(consumer, { client: cw, queueUrl: QUEUE_URL, intervalMs: 999 }),
      RangeError,
    );
    assert.throws(
      // @ts-expect-error: 30 is no storage resolution
      () => publishConsumerMetrics(consumer, { client: cw, queueUrl: QUEUE_URL, storageResolution: 30 }),
      RangeError,
    );
    assert.throws(
      () => publishConsumerMetrics(consumer, { client: cw, queueUrl: QUEUE_URL, namespace: 'AWS/SQS' }),
      RangeError,
    );
    assert.equal(consumer.listeners.size, 0, 'a refused publisher does not subscribe');
  });

  test('its timer does not keep the process alive', async () => {
    // A process whose only pending thing is a publisher with a minute's interval exits by itself.
    const script = [
      "import { publishConsumerMetrics } from './src/client/consumer-metrics.ts';",
      'const stats = { handled: 0, failed: 0, retried: 0, deadLettered: 0, duplicates: 0, released: 0, coalesced: 0,',
      '  skipped: 0, inFlight: 0, running: 0, concurrency: 1 };',
      'const consumer = { stats: () => stats, on() {}, off() {} };',
      "publishConsumerMetrics(consumer, { client: { send: async () => ({}) }, queueUrl: 'http://h/1/q' });",
      "console.log('publishing');",
    ].join('\n');
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: REPO_ROOT, env, timeout: 30_000 },
    );
    assert.equal(stdout.trim(), 'publishing');
    assert.ok(Date.now() - started < 30_000, 'exited before the first interval');
  });
});
