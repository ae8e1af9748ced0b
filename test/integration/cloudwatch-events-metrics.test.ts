// CloudWatch's AWS/Events metrics of a real server on a manual clock: rules on the default bus and on a custom
// bus, an SQS target that takes every event, HTTP targets that fail (retried, then sent to a dead-letter
// queue) or fail once, and PutEvents calls whole, partial and refused; read back through
// @aws-sdk/client-cloudwatch with the dimension sets and units AWS documents.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type CloudWatchClient,
  type Dimension,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ManualClock } from '../../src/core/clock.js';
import { parseLimitOverrides } from '../../src/core/limits.js';
import { ACCOUNT, arnOf, REGION } from '../helpers/account.js';
import { cloudWatchClient, eventBridgeClient, startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const clock = new ManualClock(T0 + 10_000);
const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;

type Dims = Record<string, string>;
const dims = (d: Dims): Dimension[] => Object.entries(d).map(([Name, Value]) => ({ Name, Value }));

describe('AWS/Events metrics', () => {
  let t: TestServer;
  let eb: EventBridgeClient;
  let cw: CloudWatchClient;
  let receiver: Server;
  let endpoint = '';
  /** Requests per path; /flaky fails once, then takes events; /down always fails. */
  const hits: Record<string, number> = {};

  before(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = req.url ?? '';
        hits[path] = (hits[path] ?? 0) + 1;
        res.writeHead(path === '/flaky' && (hits[path] ?? 0) > 1 ? 200 : 500).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // Retries wait at most a second of the manual clock.
    t = await startTestServer({
      clock,
      limits: parseLimitOverrides(['deliveryRetryBaseMillis=1000', 'deliveryRetryMaxDelayMillis=1000']),
    });
    eb = eventBridgeClient(t.server.url);
    cw = cloudWatchClient(t.server.url);
  });
  after(async () => {
    eb.destroy();
    cw.destroy();
    await t.stop();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  async function rule(name: string, source: string, targets: Target[], bus?: string) {
    await eb.send(
      new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify({ source: [source] }) }),
    );
    const out = await eb.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: targets }));
    assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.FailedEntries));
  }

  const entry = (source: string, bus?: string): PutEventsRequestEntry => ({
    Source: source,
    DetailType: 'OrderPlaced',
    Detail: '{"orderId":"o-1"}',
    EventBusName: bus,
  });

  /** One statistic of the minute T0 (or undefined without a datapoint) and the datapoint's unit. */
  async function stat(MetricName: string, dimensions: Dims, statistic: 'Sum' | 'SampleCount' | 'Maximum' = 'Sum') {
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/Events',
        MetricName,
        Dimensions: dims(dimensions),
        StartTime: new Date(T0),
        EndTime: new Date(T0 + 60_000),
        Period: 60,
        Statistics: [statistic],
      }),
    );
    assert.ok((out.Datapoints?.length ?? 0) <= 1);
    const point = out.Datapoints?.[0];
    return { value: point?.[statistic], unit: point?.Unit };
  }

  const sum = async (name: string, d: Dims = {}) => (await stat(name, d)).value;

  test('routing, delivery, retries, dead letters and PutEvents calls are recorded as AWS records them', async () => {
    const queueUrl = (await t.sqs.send(new CreateQueueCommand({ QueueName: 'cw-orders' }))).QueueUrl as string;
    const dlqUrl = (await t.sqs.send(new CreateQueueCommand({ QueueName: 'cw-dlq' }))).QueueUrl as string;
    await eb.send(new CreateEventBusCommand({ Name: 'shop' }));
    await rule('to-queue', 'cw.orders', [{ Id: 'q', Arn: arnOf('cw-orders') }]);
    const retryOnce = { MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 3600 };
    await rule(
      'to-down',
      'cw.down',
      [{ Id: 'h', Arn: `${endpoint}/down`, RetryPolicy: retryOnce, DeadLetterConfig: { Arn: arnOf('cw-dlq') } }],
      'shop',
    );
    await rule('to-flaky', 'cw.flaky', [{ Id: 'h', Arn: `${endpoint}/flaky`, RetryPolicy: retryOnce }], 'shop');

    // Two events to the queue and one refused entry; one event to each HTTP target; a call refused whole.
    const partial = await eb.send(
      new PutEventsCommand({ Entries: [entry('cw.orders'), entry('cw.orders'), { Source: 'cw.orders' }] }),
    );
    assert.equal(partial.FailedEntryCount, 1);
    await eb.send(new PutEventsCommand({ Entries: [entry('cw.down', 'shop'), entry('cw.flaky', 'shop')] }));
    await assert.rejects(
      eb.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry('cw.orders')) })),
    );
    const received = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    assert.equal(received.Messages?.length, 2);

    // The first attempts fail at once (the clock has not moved since the events came in); once both
    // failures are written, a second of the clock brings the retries: /flaky takes the event, /down fails
    // again and the event goes to the dead-letter queue.
    await waitFor('the first attempts', async () => (await sum('InvocationAttempts', { EventBusName: 'shop' })) === 2);
    clock.advance(1000);
    await waitFor('the retries', async () => (await t.server.store.countDeliveries()) === 0);
    const dead = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }));
    assert.equal(dead.Messages?.length, 1);
    assert.deepEqual(hits, { '/down': 2, '/flaky': 2 });

    // A rule of the default bus is named by RuleName alone, a rule of another bus by EventBusName and RuleName.
    const toQueue = { RuleName: 'to-queue' };
    const toDown = { EventBusName: 'shop', RuleName: 'to-down' };
    const toFlaky = { EventBusName: 'shop', RuleName: 'to-flaky' };
    const shop = { EventBusName: 'shop' };

    assert.deepEqual(await stat('MatchedEvents', toQueue), { value: 2, unit: 'Count' });
    assert.equal(await sum('TriggeredRules', toQueue), 2);
    assert.equal(await sum('Invocations', toQueue), 2);
    assert.equal(await sum('InvocationAttempts', toQueue), 2);
    assert.equal(await sum('SuccessfulInvocationAttempts', toQueue), 2);
    assert.equal(await sum('RetryInvocationAttempts', toQueue), undefined);
    assert.deepEqual(await stat('IngestionToInvocationSuccessLatency', toQueue, 'Maximum'), {
      value: 0,
      unit: 'Milliseconds',
    });

    assert.equal(await sum('MatchedEvents', toDown), 1);
    assert.equal(await sum('InvocationAttempts', toDown), 2);
    assert.equal(await sum('RetryInvocationAttempts', toDown), 1);
    assert.equal(await sum('SuccessfulInvocationAttempts', toDown), undefined);
    assert.equal(await sum('Invocations', toDown), 1);
    assert.equal(await sum('FailedInvocations', toDown), 1);
    assert.equal(await sum('InvocationsSentToDlq', toDown), 1);
    assert.equal(await sum('InvocationsFailedToBeSentToDlq', toDown), undefined);
    assert.deepEqual(await stat('IngestionToInvocationStartLatency', toDown, 'SampleCount'), {
      value: 1,
      unit: 'Milliseconds',
    });
    assert.equal((await stat('IngestionToInvocationCompleteLatency', toDown, 'Maximum')).value, 0);
    assert.equal(await sum('IngestionToInvocationSuccessLatency', toDown), undefined);

    assert.equal(await sum('InvocationAttempts', toFlaky), 2);
    assert.equal(await sum('RetryInvocationAttempts', toFlaky), 1);
    assert.equal(await sum('SuccessfulInvocationAttempts', toFlaky), 1);
    assert.equal(await sum('Invocations', toFlaky), 1);
    assert.equal(await sum('FailedInvocations', toFlaky), undefined);
    assert.equal((await stat('IngestionToInvocationSuccessLatency', toFlaky, 'Maximum')).value, 1000);

    // Per bus: events that matched a rule, rules that ran, attempts.
    assert.equal(await sum('MatchedEvents', shop), 2);
    assert.equal(await sum('MatchedEvents', { EventBusName: 'default' }), 2);
    assert.equal(await sum('TriggeredRules', shop), 2);
    assert.equal(await sum('InvocationAttempts', shop), 4);
    assert.equal(await sum('RetryInvocationAttempts', shop), 2);
    assert.equal(await sum('Invocations', shop), undefined, 'Invocations has no bus dimension set');

    // The account.
    assert.equal(await sum('InvocationsCreated'), 4);
    assert.equal(await sum('Invocations'), 4);
    assert.equal(await sum('TriggeredRules'), 4);
    assert.equal(await sum('InvocationAttempts'), 6);
    assert.equal(await sum('SuccessfulInvocationAttempts'), 3);
    assert.equal((await stat('IngestionToInvocationSuccessLatency', {}, 'Maximum')).value, 1000);
    assert.equal(await sum('PutEventsApproximateCallCount'), 3);
    assert.equal(await sum('PutEventsApproximateSuccessCount'), 2);
    assert.equal(await sum('PutEventsApproximateFailedCount'), 1);
    assert.equal(await sum('PutEventsEntriesCount'), 3 + 2 + 11);
    assert.equal(await sum('PutEventsFailedEntriesCount'), 1);
    assert.equal((await stat('PutEventsLatency', {}, 'SampleCount')).unit, 'Milliseconds');
    const size = await stat('PutEventsRequestSize', {}, 'SampleCount');
    assert.deepEqual(size, { value: 3, unit: 'Bytes' });

    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'AWS/Events', MetricName: 'MatchedEvents' }));
    const sets = (listed.Metrics ?? []).map((m) =>
      Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value])),
    );
    assert.deepEqual(
      sets.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [{ EventBusName: 'default' }, shop, toDown, toFlaky, toQueue].sort((a, b) =>
        JSON.stringify(a).localeCompare(JSON.stringify(b)),
      ),
    );
  });

  test('an event cut off from looping between two buses counts as a DeadLetterInvocation, not a failure', async () => {
    await eb.send(new CreateEventBusCommand({ Name: 'ping' }));
    await eb.send(new CreateEventBusCommand({ Name: 'pong' }));
    await rule('to-pong', 'cw.loop', [{ Id: 'b', Arn: busArn('pong') }], 'ping');
    await rule('to-ping', 'cw.loop', [{ Id: 'b', Arn: busArn('ping') }], 'pong');
    await eb.send(new PutEventsCommand({ Entries: [entry('cw.loop', 'ping')] }));
    await waitFor('the loop to end', async () => (await t.server.store.countDeliveries()) === 0);
    const toPong = { EventBusName: 'ping', RuleName: 'to-pong' };
    const toPing = { EventBusName: 'pong', RuleName: 'to-ping' };
    const deadLetters =
      ((await sum('DeadLetterInvocations', toPong)) ?? 0) + ((await sum('DeadLetterInvocations', toPing)) ?? 0);
    assert.equal(deadLetters, 1);
    assert.equal(await sum('FailedInvocations', toPong), undefined);
    assert.equal(await sum('FailedInvocations', toPing), undefined);
    // Five hops made it: three from ping to pong and two back, each one successful attempt and invocation.
    assert.equal(await sum('SuccessfulInvocationAttempts', toPong), 3);
    assert.equal(await sum('Invocations', toPing), 2);
  });
});
