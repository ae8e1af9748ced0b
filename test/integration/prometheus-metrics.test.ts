// GET /metrics: Prometheus text format with the queue, EventBridge, request and store metrics, checked by
// value after known traffic, and by `promtool check metrics` (Debian's prometheus package).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { ACCOUNT, REGION } from '../helpers/account.js';
import { eventBridgeClient, testServerForFile } from '../helpers/server.js';

const t = testServerForFile();
const PROMTOOL = '/usr/bin/promtool';

/** The value of one sample, by metric name and exact label set text (`{a="b"}`, or '' for none). */
function sample(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}${labels} `)) return Number(line.slice(name.length + labels.length + 1));
  }
  return undefined;
}

async function scrape(): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${t.server.url}/metrics`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

test('queue counters and gauges follow the traffic', async () => {
  const url = (await t.sqs.send(new CreateQueueCommand({ QueueName: 'prom-orders' }))).QueueUrl as string;
  await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'abc' }));
  await t.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: [
        { Id: '1', MessageBody: 'defg' },
        { Id: '2', MessageBody: 'hi' },
      ],
    }),
  );
  const got = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2 }));
  assert.equal(got.Messages?.length, 2);
  await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got.Messages?.[0]?.ReceiptHandle }));
  const empty = await t.sqs.send(new CreateQueueCommand({ QueueName: 'prom-empty' }));
  await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: empty.QueueUrl, WaitTimeSeconds: 0 }));

  const { status, type, text } = await scrape();
  assert.equal(status, 200);
  assert.match(type ?? '', /^text\/plain/);
  const q = '{queue="prom-orders"}';
  assert.equal(sample(text, 'switchyard_sqs_messages_sent_total', q), 3);
  assert.equal(sample(text, 'switchyard_sqs_sent_message_bytes_total', q), 9);
  assert.equal(sample(text, 'switchyard_sqs_messages_received_total', q), 2);
  assert.equal(sample(text, 'switchyard_sqs_messages_deleted_total', q), 1);
  assert.equal(sample(text, 'switchyard_sqs_messages_visible', q), 1);
  assert.equal(sample(text, 'switchyard_sqs_messages_in_flight', q), 1);
  assert.equal(sample(text, 'switchyard_sqs_messages_delayed', q), 0);
  assert.equal(sample(text, 'switchyard_sqs_empty_receives_total', '{queue="prom-empty"}'), 1);
  assert.equal(sample(text, 'switchyard_sqs_messages_visible', '{queue="prom-empty"}'), 0);
  assert.equal(sample(text, 'switchyard_requests_total', '{service="sqs",action="SendMessageBatch",status="200"}'), 1);
  assert.equal(sample(text, 'switchyard_request_duration_seconds_count', '{service="sqs",action="ReceiveMessage"}'), 2);
  assert.ok((sample(text, 'switchyard_store_commit_duration_seconds_count') ?? 0) > 0);
  assert.ok((sample(text, 'switchyard_store_committed_writes_total') ?? 0) > 0);
  assert.ok((sample(text, 'switchyard_process_resident_memory_bytes') ?? 0) > 0, 'process metrics');
});

test('EventBridge rule counters and request metrics', async () => {
  const eb = eventBridgeClient(t.server.url);
  try {
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'prom-events' }));
    await eb.send(new PutRuleCommand({ Name: 'prom-rule', EventPattern: '{"source":["prom.test"]}' }));
    await eb.send(
      new PutTargetsCommand({
        Rule: 'prom-rule',
        Targets: [{ Id: 'q', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:prom-events` }],
      }),
    );
    await eb.send(
      new PutEventsCommand({
        Entries: [1, 2].map((n) => ({ Source: 'prom.test', DetailType: 'T', Detail: JSON.stringify({ n }) })),
      }),
    );
  } finally {
    eb.destroy();
  }
  const { text } = await scrape();
  const rule = '{bus="default",rule="prom-rule"}';
  assert.equal(sample(text, 'switchyard_events_matched_total', rule), 2);
  assert.equal(sample(text, 'switchyard_events_invocations_total', rule), 2);
  assert.equal(sample(text, 'switchyard_events_failed_invocations_total', rule), 0);
  assert.equal(
    sample(text, 'switchyard_sqs_messages_sent_total', '{queue="prom-events"}'),
    2,
    'EventBridge sends count',
  );
  assert.equal(sample(text, 'switchyard_requests_total', '{service="events",action="PutEvents",status="200"}'), 1);
  assert.equal(sample(text, 'switchyard_events_outbox_deliveries'), 0);
});

test('promtool check metrics accepts the exposition', async () => {
  const { text } = await scrape();
  const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(result.error, undefined, `${PROMTOOL} could not run (CI installs Debian's prometheus package)`);
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});
