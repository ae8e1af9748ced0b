// The 182 conformance cases recorded against AWS itself, run through this server's API with
// @aws-sdk/client-eventbridge: TestEventPattern for most, and for the cases AWS recorded by delivery,
// PutRule + PutEvents with the event's fields and a look at the rule's SQS target.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ACCOUNT, REGION } from '../helpers/account.js';
import { conformanceCases, expectedPatternMessage } from '../helpers/conformance.js';
import { eventBridgeClient, startTestServer, type TestServer } from '../helpers/server.js';
import { rejectsWith } from '../helpers/sqs.js';

const cases = conformanceCases().filter((c) => c.awsValidated);

describe('the AWS-recorded conformance cases through the API', () => {
  let t: TestServer;
  let eb: EventBridgeClient;

  before(async () => {
    t = await startTestServer();
    eb = eventBridgeClient(t.server.url);
  });
  after(async () => {
    eb.destroy();
    await t.stop();
  });

  test('all 182 cases recorded against AWS are present', () => {
    assert.equal(cases.length, 182);
  });

  cases.forEach((c, i) => {
    test(`${c.name} (${c.api}) → ${String(c.expected)}`, async () => {
      if (c.api === 'TestEventPattern') {
        const call = eb.send(new TestEventPatternCommand({ EventPattern: c.patternJson, Event: c.eventJson }));
        if (c.expected === 'invalid' && c.invalidInput === 'event') {
          await rejectsWith(call, 'ValidationException', c.errorMessage);
        } else if (c.expected === 'invalid') {
          await rejectsWith(
            call,
            'InvalidEventPatternException',
            c.errorMessage === undefined ? undefined : expectedPatternMessage(c.errorMessage),
          );
        } else {
          assert.equal((await call).Result, c.expected);
        }
        return;
      }
      // Recorded by delivery: a rule with the pattern on a bus of its own, its SQS queue, the event put.
      assert.notEqual(c.expected, 'invalid');
      const bus = `conformance-${i}`;
      const queue = `conformance-${i}`;
      const url = (await t.sqs.send(new CreateQueueCommand({ QueueName: queue }))).QueueUrl as string;
      await eb.send(new CreateEventBusCommand({ Name: bus }));
      await eb.send(new PutRuleCommand({ Name: 'rule', EventBusName: bus, EventPattern: c.patternJson }));
      await eb.send(
        new PutTargetsCommand({
          Rule: 'rule',
          EventBusName: bus,
          Targets: [{ Id: 'q', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}` }],
        }),
      );
      const event = c.event as { source: string; 'detail-type': string; detail?: unknown; resources?: string[] };
      const put = await eb.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: bus,
              Source: event.source,
              DetailType: event['detail-type'],
              Detail: JSON.stringify(event.detail ?? {}),
              Resources: event.resources ?? [],
            },
          ],
        }),
      );
      assert.equal(put.FailedEntryCount, 0);
      // The queue write is committed before PutEvents answers, so a short poll is decisive.
      const got = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
      assert.equal((got.Messages ?? []).length === 1, c.expected);
    });
  });
});
