// A running server fires scheduled rules: the server runs on a manual clock, so a rate(1 minute) rule is
// driven past its fire times without waiting minutes, and the Scheduled Event lands in the target queue.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DescribeRuleCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ManualClock } from '../../src/core/clock.js';
import { ACCOUNT, REGION } from '../helpers/account.js';
import { eventBridgeClient, startTestServer, type TestServer } from '../helpers/server.js';
import { rejectsWith } from '../helpers/sqs.js';

const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
let t: TestServer;
let eb: EventBridgeClient;

before(async () => {
  t = await startTestServer({ clock });
  eb = eventBridgeClient(t.server.url);
});
after(async () => {
  eb.destroy();
  await t.stop();
});

test('a rate(1 minute) rule on the default bus sends a Scheduled Event to its target each minute', async () => {
  const url = (await t.sqs.send(new CreateQueueCommand({ QueueName: 'ticks' }))).QueueUrl as string;
  await eb.send(new PutRuleCommand({ Name: 'tick', ScheduleExpression: 'rate(1 minute)' }));
  await eb.send(
    new PutTargetsCommand({ Rule: 'tick', Targets: [{ Id: 'q', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:ticks` }] }),
  );
  const described = await eb.send(new DescribeRuleCommand({ Name: 'tick' }));
  assert.equal(described.ScheduleExpression, 'rate(1 minute)');
  // The worker ticks every second of real time; let it see the rule before the clock moves.
  await new Promise((r) => setTimeout(r, 1_200));
  clock.advance(60_000);
  const out = await t.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }),
  );
  assert.equal(out.Messages?.length, 1);
  const event = JSON.parse(out.Messages?.[0]?.Body ?? '') as Record<string, unknown>;
  assert.equal(event['detail-type'], 'Scheduled Event');
  assert.equal(event.source, 'aws.events');
  assert.equal(event.time, '2026-11-25T12:01:00Z');
  assert.deepEqual(event.resources, [`arn:aws:events:${REGION}:${ACCOUNT}:rule/tick`]);
});

test('schedule expressions are checked as AWS does, and only the default bus takes them', async () => {
  for (const bad of ['rate(1 minutes)', 'rate(0 hours)', 'cron(0 10 * * * *)', 'cron(0 10 * *)', 'every day']) {
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 'bad', ScheduleExpression: bad })),
      'ValidationException',
      /ScheduleExpression is not valid/,
    );
  }
  await eb.send(new PutRuleCommand({ Name: 'weekdays', ScheduleExpression: 'cron(0/15 8-17 ? * MON-FRI *)' }));
});
