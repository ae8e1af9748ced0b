// The SwitchyardFailures API against a real server: RecordFailures over HTTP (validation errors on the wire), the
// client's SwitchyardFailureLog (micro-batching, errors), a consume() whose handler fails until the redrive policy
// moves the message to its dead-letter queue, where peek shows what the consumer recorded; and an EventBridge target
// failure dead-lettered to a queue, shown as a target failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { consume, permanent } from '../../src/client/consumer.js';
import { FailureLogError, SwitchyardFailureLog } from '../../src/client/switchyard-failures.js';
import type { RequestContext } from '../../src/services/sqs-api.js';
import { ACCOUNT, arnOf, REGION } from '../helpers/account.js';
import { stoppedAfterEach } from '../helpers/consumers.js';
import { eventBridgeClient, testServerForFile } from '../helpers/server.js';
import { sqsHelpers, uniq } from '../helpers/sqs.js';
import { waitFor } from '../helpers/wait.js';

const t = testServerForFile();
const { createQueue } = sqsHelpers(() => t.sqs);
const consumers = stoppedAfterEach();

/** The console's view of the server's queues: the service called directly. */
const ctx = (): RequestContext => ({ accountId: ACCOUNT, region: REGION, baseUrl: t.server.url, senderId: ACCOUNT });
const peek = async (queueName: string) => (await t.server.queues.peekMessages(ctx(), { queueName })).messages;

/** POSTs a SwitchyardFailures request as it is, with no client in the way. */
async function post(action: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(t.server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `SwitchyardFailures.${action}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const typeOf = (json: Record<string, unknown>) => String(json.__type).replace(/^.*#/, '');

test('RecordFailures over HTTP: recorded failures show in peek; bad input gets a typed error', async () => {
  const name = uniq('api');
  const QueueUrl = await createQueue(name);
  const { MessageId } = await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
  assert.ok(MessageId);

  const ok = await post('RecordFailures', {
    QueueUrl,
    Entries: [{ MessageId, ErrorCode: 'Boom', ErrorMessage: 'it broke' }],
  });
  assert.deepEqual(ok, { status: 200, json: {} });
  const [message] = await peek(name);
  assert.equal(message?.failure?.source, 'consumer');
  assert.equal(message?.failure?.code, 'Boom');
  assert.equal(message?.failure?.message, 'it broke');
  assert.equal(message?.failure?.count, 1);

  const cases: [unknown, number, string, RegExp][] = [
    [{ QueueUrl }, 400, 'ValidationException', /must contain Entries/],
    [{ QueueUrl, Entries: [] }, 400, 'ValidationException', /between 1 and 100/],
    [{ QueueUrl, Entries: [{ ErrorMessage: 'x' }] }, 400, 'ValidationException', /MessageId is missing/],
    [{ QueueUrl, Entries: [{ MessageId: 'm' }] }, 400, 'ValidationException', /ErrorMessage is missing/],
    [{ QueueUrl, Entries: [{ MessageId: 7, ErrorMessage: 'x' }] }, 400, 'ValidationException', /Entries\.0\.MessageId/],
    [{ QueueUrl, Entries: 'all' }, 400, 'ValidationException', /Invalid type for Entries/],
    [{ Entries: [{ MessageId: 'm', ErrorMessage: 'x' }] }, 400, 'MissingRequiredParameterException', /QueueUrl/],
    [
      { QueueUrl: `${QueueUrl}-gone`, Entries: [{ MessageId: 'm', ErrorMessage: 'x' }] },
      400,
      'QueueDoesNotExist',
      /does not exist/,
    ],
    ['not json', 400, 'SerializationException', /./],
  ];
  for (const [body, status, type, message] of cases) {
    const answer = await post('RecordFailures', body);
    assert.equal(answer.status, status, JSON.stringify(body));
    assert.equal(typeOf(answer.json), type, JSON.stringify(body));
    assert.match(String(answer.json.message), message);
  }
  const unknown = await post('ForgetFailures', { QueueUrl });
  assert.equal(typeOf(unknown.json), 'UnknownOperationException');
});

test('SwitchyardFailureLog batches the failures of one queue and rejects with a typed error', async () => {
  const name = uniq('log');
  const QueueUrl = await createQueue(name);
  const requests: unknown[] = [];
  const recording: typeof fetch = (input, init) => {
    requests.push(JSON.parse(String(init?.body)));
    return fetch(input, init);
  };
  const log = new SwitchyardFailureLog({ client: t.sqs, fetch: recording, lingerMs: 5 });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { MessageId } = await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
    ids.push(MessageId ?? '');
  }
  await Promise.all([
    log.record(QueueUrl, [{ messageId: ids[0] ?? '', code: 'A', message: 'first' }]),
    log.record(QueueUrl, [
      { messageId: ids[1] ?? '', message: 'no code' },
      { messageId: ids[2] ?? '', code: 'C', message: 'm'.repeat(5000) },
    ]),
  ]);
  assert.equal(requests.length, 1, 'one request for the three');
  const failures = (await peek(name)).map((m) => m.failure);
  assert.deepEqual(
    failures.map((f) => [f?.code, f?.message.length]),
    [
      ['A', 5],
      [undefined, 7],
      ['C', 4096],
    ],
    'a message too long is cut to the server limit',
  );

  await assert.rejects(
    log.record(`${QueueUrl}-gone`, [{ messageId: 'm', message: 'x' }]),
    (e: unknown) => e instanceof FailureLogError && e.errorCode === 'QueueDoesNotExist' && e.status === 400,
  );
  await assert.rejects(
    log.record(QueueUrl, [{ messageId: '', message: 'x' }]),
    (e: unknown) => e instanceof FailureLogError && e.errorCode === 'ValidationException',
  );
  const unreachable = new SwitchyardFailureLog({ endpoint: 'http://127.0.0.1:9' });
  await assert.rejects(
    unreachable.record(QueueUrl, [{ messageId: 'm', message: 'x' }]),
    (e: unknown) => e instanceof FailureLogError && e.errorCode === 'NetworkingError',
  );
  assert.throws(() => new SwitchyardFailureLog({}), TypeError);
});

test("a consumer's failures reach the dead-letter queue with the message: peek shows them as a consumer failure", async () => {
  const dlqName = uniq('payments-dlq');
  const sourceName = uniq('payments');
  await createQueue(dlqName);
  const QueueUrl = await createQueue(sourceName, {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(dlqName), maxReceiveCount: 2 }),
  });
  const { MessageId } = await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"order":"o-1"}' }));
  let calls = 0;
  const consumer = consumers.track(
    consume({
      client: t.sqs,
      queueUrl: QueueUrl,
      waitTimeSeconds: 1,
      retry: { baseDelaySeconds: 0, maxDelaySeconds: 0 },
      failureLog: new SwitchyardFailureLog({ client: t.sqs }),
      handler: async () => {
        calls += 1;
        throw Object.assign(new Error('card declined'), { code: 'PaymentDeclined' });
      },
    }),
  );
  const errors: Error[] = [];
  consumer.on('error', (error) => errors.push(error));
  await consumer.start();

  const [dead] = await waitFor('the message and its failures in the DLQ', async () => {
    const messages = await peek(dlqName);
    return messages[0]?.failure?.count === 2 && messages;
  });
  await consumer.stop();
  assert.equal(calls, 2);
  assert.equal(dead?.messageId, MessageId, 'a redrive to the DLQ keeps the message id');
  assert.equal(dead?.attributes.DeadLetterQueueSourceArn, arnOf(sourceName));
  assert.equal(dead?.state, 'visible');
  assert.equal(dead?.failure?.source, 'consumer');
  assert.equal(dead?.failure?.code, 'PaymentDeclined');
  assert.equal(dead?.failure?.message, 'card declined');
  assert.equal(typeof dead?.failure?.at, 'number');
  assert.deepEqual(errors, [], 'the failure log worked');
});

test('a failing failure log is reported through `error`, and the message is handled as without one', async () => {
  const QueueUrl = await createQueue(uniq('bad-log'));
  await t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
  let calls = 0;
  const consumer = consumers.track(
    consume({
      client: t.sqs,
      queueUrl: QueueUrl,
      waitTimeSeconds: 1,
      retry: { baseDelaySeconds: 0, maxDelaySeconds: 0 },
      failureLog: {
        record: () => {
          throw new Error('log down');
        },
      },
      handler: async () => {
        calls += 1;
        if (calls === 1) throw new Error('once');
      },
    }),
  );
  const errors: { error: Error; operation: string }[] = [];
  consumer.on('error', (error, info) => errors.push({ error, operation: info.operation }));
  await consumer.start();
  await waitFor('the retry to succeed', () => consumer.stats().handled === 1);
  assert.equal(calls, 2);
  assert.deepEqual(
    errors.map((e) => [e.operation, e.error.message]),
    [['failure_log', 'log down']],
  );
});

test('permanent() errors are recorded as the error they wrap; a batch handler records each failed message', async () => {
  const recorded: { queueUrl: string; messageId: string; code?: string | undefined; message: string }[] = [];
  const failureLog = {
    async record(queueUrl: string, failures: readonly { messageId: string; code?: string; message: string }[]) {
      for (const f of failures) recorded.push({ queueUrl, ...f });
    },
  };
  const single = await createQueue(uniq('permanent'));
  const { MessageId: permanentId } = await t.sqs.send(new SendMessageCommand({ QueueUrl: single, MessageBody: 'x' }));
  const first = consumers.track(
    consume({
      client: t.sqs,
      queueUrl: single,
      waitTimeSeconds: 1,
      failureLog,
      handler: async () => {
        throw permanent(Object.assign(new Error('no such customer'), { code: 'UnknownCustomer' }));
      },
    }),
  );
  await first.start();
  await waitFor('the permanent failure', () => recorded.length === 1);
  await first.stop();
  assert.deepEqual(recorded[0], {
    queueUrl: single,
    messageId: permanentId,
    code: 'UnknownCustomer',
    message: 'no such customer',
  });

  recorded.length = 0;
  const batched = await createQueue(uniq('batch'));
  const sent: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { MessageId } = await t.sqs.send(new SendMessageCommand({ QueueUrl: batched, MessageBody: `m${i}` }));
    sent.push(MessageId ?? '');
  }
  const second = consumers.track(
    consume({
      client: t.sqs,
      queueUrl: batched,
      waitTimeSeconds: 1,
      retry: { baseDelaySeconds: 60 },
      failureLog,
      batchHandler: async (items) => ({ failed: items.filter((i) => i.message.Body !== 'm1').map((i) => i.messageId) }),
    }),
  );
  await second.start();
  await waitFor('two failures', () => recorded.length === 2);
  await second.stop();
  assert.deepEqual(
    recorded.map((r) => [r.messageId, r.code]).sort(),
    [
      [sent[0], 'BatchItemFailure'],
      [sent[2], 'BatchItemFailure'],
    ].sort(),
  );
});

test('an EventBridge target failure dead-lettered to a queue shows as a target failure', async () => {
  const events = eventBridgeClient(t.server.url);
  try {
    const dlqName = uniq('target-dlq');
    await createQueue(dlqName);
    const ruleName = uniq('to-nowhere');
    await events.send(new PutRuleCommand({ Name: ruleName, EventPattern: JSON.stringify({ source: [ruleName] }) }));
    const missing = arnOf(uniq('never-created'));
    await events.send(
      new PutTargetsCommand({
        Rule: ruleName,
        Targets: [{ Id: 'q', Arn: missing, DeadLetterConfig: { Arn: arnOf(dlqName) } }],
      }),
    );
    await events.send(new PutEventsCommand({ Entries: [{ Source: ruleName, DetailType: 'test', Detail: '{"n":1}' }] }));
    const [dead] = await waitFor('the dead-lettered event', async () => {
      const messages = await peek(dlqName);
      return messages.length > 0 && messages;
    });
    assert.deepEqual(dead?.failure, {
      source: 'target',
      code: 'NO_RESOURCE',
      message: `Queue ${missing} does not exist.`,
      ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${ruleName}`,
      targetArn: missing,
    });
  } finally {
    events.destroy();
  }
});
