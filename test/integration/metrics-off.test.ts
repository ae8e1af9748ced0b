// The metrics switch: a server started with `metrics: false` (`serve --no-metrics`) records nothing of its own
// work (no AWS/SQS or AWS/Events data, no activity counters in GET /metrics), while PutMetricData and the rest
// of the CloudWatch API keep working and GET /metrics still answers with the process metrics.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type CloudWatchClient, ListMetricsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { arnOf } from '../helpers/account.js';
import { killAllServers, spawnServer } from '../helpers/process.js';
import {
  cloudWatchClient,
  eventBridgeClient,
  startTestServer,
  type TestServer,
  tempDataDir,
} from '../helpers/server.js';

/** A send, a receive and a delete on a new queue. */
async function queueCycle(sqs: SQSClient, name: string): Promise<void> {
  const QueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
  const handle = got.Messages?.[0]?.ReceiptHandle;
  assert.ok(handle);
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: handle }));
}

describe('metrics: false', () => {
  let t: TestServer;
  let cw: CloudWatchClient;
  let eb: EventBridgeClient;

  before(async () => {
    t = await startTestServer({ metrics: false });
    cw = cloudWatchClient(t.server.url);
    eb = eventBridgeClient(t.server.url);
  });
  after(async () => {
    cw.destroy();
    eb.destroy();
    await t.stop();
  });

  test('nothing is recorded in AWS/SQS or AWS/Events; PutMetricData still works', async () => {
    await queueCycle(t.sqs, 'quiet-orders');
    await eb.send(new PutRuleCommand({ Name: 'quiet', EventPattern: '{"source":["quiet.shop"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: 'quiet', Targets: [{ Id: 'q', Arn: arnOf('quiet-orders') }] }));
    await eb.send(new PutEventsCommand({ Entries: [{ Source: 'quiet.shop', DetailType: 'x', Detail: '{}' }] }));
    await t.server.sqsCloudWatch.sample();

    for (const Namespace of ['AWS/SQS', 'AWS/Events']) {
      const listed = await cw.send(new ListMetricsCommand({ Namespace }));
      assert.deepEqual(listed.Metrics, [], Namespace);
    }
    assert.deepEqual(t.server.eventMetrics.byRule(), []);

    await cw.send(
      new PutMetricDataCommand({ Namespace: 'Shop/Orders', MetricData: [{ MetricName: 'Placed', Value: 1 }] }),
    );
    const mine = await cw.send(new ListMetricsCommand({ Namespace: 'Shop/Orders' }));
    assert.deepEqual(
      mine.Metrics?.map((m) => m.MetricName),
      ['Placed'],
    );

    const res = await fetch(`${t.server.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^switchyard_process_cpu_seconds_total \d/m);
    for (const counter of [
      'switchyard_sqs_messages_sent_total',
      'switchyard_requests_total',
      'switchyard_events_matched_total',
    ]) {
      assert.doesNotMatch(text, new RegExp(`^${counter}\\{`, 'm'), counter);
    }
  });
});

describe('serve --no-metrics', () => {
  after(killAllServers);

  test('turns the recording off from the command line', async () => {
    const dataDir = tempDataDir();
    const server = await spawnServer({ dataDir, durability: 'relaxed', args: ['--no-metrics'] });
    const cw = cloudWatchClient(server.url);
    try {
      await queueCycle(server.sqs, 'cli-quiet');
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.doesNotMatch(text, /^switchyard_sqs_messages_sent_total\{/m);
      assert.doesNotMatch(text, /^switchyard_requests_total\{/m);
      assert.deepEqual((await cw.send(new ListMetricsCommand({ Namespace: 'AWS/SQS' }))).Metrics, []);
    } finally {
      cw.destroy();
      server.sqs.destroy();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
