// EventBridge end to end with Debian's AWS CLI 2.9 (/usr/bin/aws, which speaks AWS JSON 1.1 for `events`):
// rules, SQS targets, PutEvents delivered to a queue read back with `aws sqs`, TestEventPattern and errors.
// CI installs the CLI: without it these tests fail rather than skip, so a missing CLI cannot pass unseen.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ACCOUNT, REGION } from '../helpers/account.js';
import { AWS_CLI, awsCliJson, type CliResult, runAwsCli } from '../helpers/aws-cli.js';
import { testServerForFile } from '../helpers/server.js';

const t = testServerForFile();

const aws = (...args: string[]) => runAwsCli(t.server.url, args);
const awsJson = (...args: string[]) => awsCliJson(t.server.url, args);

/**
 * Asserts that the CLI reported an AWS error with `code` for `operation`. The CLI exits 254 when the service
 * answered with an error (255 for other failures, accepted too).
 */
function assertAwsError(r: CliResult, code: string, operation: string, message?: string): void {
  assert.ok(r.code === 254 || r.code === 255, `exit code ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.ok(
    r.stderr.includes(`An error occurred (${code}) when calling the ${operation} operation`),
    `stderr: ${r.stderr}`,
  );
  if (message !== undefined) assert.ok(r.stderr.includes(message), `stderr: ${r.stderr}`);
}

interface CliMessage {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
}

/** Every message `aws sqs receive-message` gets in one call, waiting a little in case delivery is asynchronous. */
async function receive(queueUrl: string): Promise<CliMessage[]> {
  const out = await awsJson(
    'sqs',
    'receive-message',
    '--queue-url',
    queueUrl,
    '--max-number-of-messages',
    '10',
    '--wait-time-seconds',
    '5',
    '--visibility-timeout',
    '300',
  );
  return (out.Messages as CliMessage[] | undefined) ?? [];
}

interface Envelope {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

/** A whole event, as TestEventPattern wants it. */
const TEST_EVENT = JSON.stringify({
  version: '0',
  id: '7d4e9f38-0000-4000-8000-000000000001',
  'detail-type': 'OrderPlaced',
  source: 'awscli.shop',
  account: ACCOUNT,
  time: '2024-05-01T12:34:56Z',
  region: REGION,
  resources: [],
  detail: { orderId: 'o-1', total: 42 },
});

describe('AWS CLI 2.9 (/usr/bin/aws) and EventBridge end to end', () => {
  const rule = 'awscli-orders';
  const ruleArn = `arn:aws:events:${REGION}:${ACCOUNT}:rule/${rule}`;
  const pattern = JSON.stringify({ source: ['awscli.shop'], 'detail-type': ['OrderPlaced'] });
  const queueName = 'awscli-orders-q';
  const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName}`;
  let queueUrl = '';

  test(`${AWS_CLI} is installed and is aws-cli 2`, async () => {
    assert.ok(existsSync(AWS_CLI), `${AWS_CLI} is missing: install Debian's awscli (apt-get install awscli)`);
    const r = await aws('--version');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /^aws-cli\/2\.\d+/);
  });

  test('put-rule with --event-pattern; put-targets with an SQS queue made by sqs create-queue', async () => {
    const [created, put] = await Promise.all([
      awsJson('sqs', 'create-queue', '--queue-name', queueName),
      awsJson('events', 'put-rule', '--name', rule, '--event-pattern', pattern, '--description', 'orders from the CLI'),
    ]);
    assert.deepEqual(put, { RuleArn: ruleArn });
    queueUrl = String(created.QueueUrl);
    const [attributes, targets] = await Promise.all([
      awsJson('sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'QueueArn'),
      awsJson(
        'events',
        'put-targets',
        '--rule',
        rule,
        '--targets',
        JSON.stringify([{ Id: 'orders-queue', Arn: queueArn }]),
      ),
    ]);
    assert.deepEqual(attributes.Attributes, { QueueArn: queueArn });
    assert.deepEqual(targets, { FailedEntryCount: 0, FailedEntries: [] });
  });

  test('put-events --entries: the matching event reaches the queue with its source, detail-type and detail', async () => {
    const entries = [
      {
        Source: 'awscli.shop',
        DetailType: 'OrderPlaced',
        Detail: JSON.stringify({ orderId: 'o-1', total: 42, lines: ['pen', 'ink'] }),
        Resources: ['arn:aws:shop:::order/o-1'],
        Time: '2024-05-01T12:34:56Z',
      },
      // Same source, another detail-type: accepted, matched by no rule.
      { Source: 'awscli.shop', DetailType: 'OrderCancelled', Detail: '{}' },
    ];
    const out = await awsJson('events', 'put-events', '--entries', JSON.stringify(entries));
    assert.equal(out.FailedEntryCount, 0);
    const results = out.Entries as { EventId?: string }[];
    assert.equal(results.length, 2);
    const id = results[0]?.EventId ?? '';
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const messages = await receive(queueUrl);
    assert.equal(messages.length, 1, `got ${JSON.stringify(messages.map((m) => m.Body))}`);
    const event = JSON.parse(messages[0]?.Body ?? '') as Envelope;
    assert.deepEqual(event, {
      version: '0',
      id,
      'detail-type': 'OrderPlaced',
      source: 'awscli.shop',
      account: ACCOUNT,
      time: '2024-05-01T12:34:56Z',
      region: REGION,
      resources: ['arn:aws:shop:::order/o-1'],
      detail: { orderId: 'o-1', total: 42, lines: ['pen', 'ink'] },
    });

    const deleted = await aws(
      'sqs',
      'delete-message',
      '--queue-url',
      queueUrl,
      '--receipt-handle',
      messages[0]?.ReceiptHandle ?? '',
    );
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  test('put-events to a missing bus: a failed entry, and the CLI still exits 0 as on AWS', async () => {
    const out = await awsJson(
      'events',
      'put-events',
      '--entries',
      JSON.stringify([{ Source: 'awscli.shop', DetailType: 'x', Detail: '{}', EventBusName: 'awscli-no-bus' }]),
    );
    assert.deepEqual(out, {
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus awscli-no-bus does not exist.' }],
    });
  });

  test('test-event-pattern: true, false, and InvalidEventPatternException', async () => {
    // Side by side: each aws run pays the CLI's start-up of a second or more.
    const [yes, no, invalid] = await Promise.all([
      awsJson('events', 'test-event-pattern', '--event-pattern', pattern, '--event', TEST_EVENT),
      awsJson(
        'events',
        'test-event-pattern',
        '--event-pattern',
        JSON.stringify({ detail: { total: [{ numeric: ['>', 100] }] } }),
        '--event',
        TEST_EVENT,
      ),
      aws('events', 'test-event-pattern', '--event-pattern', '{"source":"awscli.shop"}', '--event', TEST_EVENT),
    ]);
    assert.deepEqual(yes, { Result: true });
    assert.deepEqual(no, { Result: false });
    assertAwsError(
      invalid,
      'InvalidEventPatternException',
      'TestEventPattern',
      'Event pattern is not valid. Reason: "source" must be an object or an array',
    );
  });

  test('describe-rule, list-rules and list-targets-by-rule', async () => {
    const [described, listed, none, targets] = await Promise.all([
      awsJson('events', 'describe-rule', '--name', rule),
      awsJson('events', 'list-rules', '--name-prefix', 'awscli-'),
      awsJson('events', 'list-rules', '--name-prefix', 'awscli-none-'),
      awsJson('events', 'list-targets-by-rule', '--rule', rule),
    ]);
    assert.equal(described.Name, rule);
    assert.equal(described.Arn, ruleArn);
    assert.equal(described.EventBusName, 'default');
    assert.equal(described.State, 'ENABLED');
    assert.equal(described.Description, 'orders from the CLI');
    assert.deepEqual(JSON.parse(String(described.EventPattern)), JSON.parse(pattern));

    const rules = listed.Rules as { Name: string; Arn: string; State: string; EventBusName: string }[];
    assert.deepEqual(
      rules.map((r) => [r.Name, r.Arn, r.State, r.EventBusName]),
      [[rule, ruleArn, 'ENABLED', 'default']],
    );
    assert.deepEqual(none.Rules, []);

    assert.deepEqual(targets.Targets, [{ Id: 'orders-queue', Arn: queueArn }]);
  });

  test('remove-targets and delete-rule; the rule is then gone', async () => {
    const removed = await awsJson('events', 'remove-targets', '--rule', rule, '--ids', 'orders-queue');
    assert.deepEqual(removed, { FailedEntryCount: 0, FailedEntries: [] });
    assert.deepEqual((await awsJson('events', 'list-targets-by-rule', '--rule', rule)).Targets, []);

    const deleted = await aws('events', 'delete-rule', '--name', rule);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trim(), '');
    assert.deepEqual((await awsJson('events', 'list-rules', '--name-prefix', 'awscli-')).Rules, []);

    // No rule left to deliver it: the event is accepted and goes nowhere.
    const out = await awsJson(
      'events',
      'put-events',
      '--entries',
      JSON.stringify([{ Source: 'awscli.shop', DetailType: 'OrderPlaced', Detail: '{}' }]),
    );
    assert.equal(out.FailedEntryCount, 0);
    const { Messages } = await awsJson('sqs', 'receive-message', '--queue-url', queueUrl, '--wait-time-seconds', '1');
    assert.equal(Messages, undefined);
  });

  test('errors: describe-rule and list-targets-by-rule on a missing rule are ResourceNotFoundException', async () => {
    const [missingRule, missingTargets] = await Promise.all([
      aws('events', 'describe-rule', '--name', rule),
      aws('events', 'list-targets-by-rule', '--rule', 'awscli-ghost'),
    ]);
    assertAwsError(
      missingRule,
      'ResourceNotFoundException',
      'DescribeRule',
      `Rule ${rule} does not exist on EventBus default.`,
    );
    assertAwsError(
      missingTargets,
      'ResourceNotFoundException',
      'ListTargetsByRule',
      'Rule awscli-ghost does not exist on EventBus default.',
    );
  });
});
