// EventBridge delivery beyond SQS: HTTP targets against a local receiver, retries with backoff, target
// dead-letter queues with AWS's message attributes, bus-to-bus targets and the per-rule counters.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseLimitOverrides } from '../../src/core/limits.js';
import { eventBridgeClient, startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const busArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver answering each request with the next status of a script (the last one repeats). */
class Receiver {
  readonly requests: Received[] = [];
  private server: Server | undefined;
  statuses: number[] = [200];
  /** Milliseconds to wait before answering. */
  delayMs = 0;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const status = this.statuses.length > 1 ? (this.statuses.shift() as number) : (this.statuses[0] ?? 200);
        setTimeout(() => {
          res.writeHead(status).end('{}');
        }, this.delayMs);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

async function receiveAll(sqs: SQSClient, url: string, count: number): Promise<Message[]> {
  const all: Message[] = [];
  await waitFor(`${count} messages`, async () => {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    all.push(...(out.Messages ?? []));
    return all.length >= count ? true : undefined;
  });
  return all;
}

const attributes = (m: Message) =>
  Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue]));

describe('EventBridge delivery: HTTP and bus targets, retries, dead-letter queues', () => {
  let t: TestServer;
  let eb: EventBridgeClient;
  let sqs: SQSClient;
  const receiver = new Receiver();
  let endpoint = '';

  before(async () => {
    t = await startTestServer({
      limits: parseLimitOverrides([
        'deliveryRetryBaseMillis=20',
        'deliveryRetryMaxDelayMillis=40',
        'httpTargetTimeoutMillis=300',
      ]),
    });
    eb = eventBridgeClient(t.server.url);
    sqs = t.sqs;
    endpoint = await receiver.start();
  });
  after(async () => {
    eb.destroy();
    await t.stop();
    await receiver.stop();
  });

  const createQueue = async (name: string) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;

  async function rule(name: string, source: string, targets: Target[], bus?: string) {
    await eb.send(
      new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify({ source: [source] }) }),
    );
    const out = await eb.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: targets }));
    assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.FailedEntries));
  }

  async function put(source: string, detail: object, bus?: string): Promise<string> {
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [{ Source: source, DetailType: 'OrderPlaced', Detail: JSON.stringify(detail), EventBusName: bus }],
      }),
    );
    assert.equal(out.FailedEntryCount, 0);
    return out.Entries?.[0]?.EventId as string;
  }

  test('an HTTP target gets a POST of the event, or of its transformed input, with headers and query', async () => {
    receiver.requests.length = 0;
    receiver.statuses = [200];
    await rule('webhook', 'shop.webhook', [
      { Id: 'whole', Arn: `${endpoint}/hooks/orders` },
      {
        Id: 'shaped',
        Arn: `${endpoint}/hooks/shaped`,
        InputTransformer: { InputPathsMap: { order: '$.detail.orderId' }, InputTemplate: '{"order": <order>}' },
        HttpParameters: { HeaderParameters: { 'x-shop': 'eu-1' }, QueryStringParameters: { v: '2' } },
      },
    ]);
    const id = await put('shop.webhook', { orderId: 'o-1', total: 12.5 });
    await waitFor('two POSTs', () => (receiver.requests.length >= 2 ? true : undefined));
    const whole = receiver.requests.find((r) => r.path === '/hooks/orders');
    const shaped = receiver.requests.find((r) => r.path.startsWith('/hooks/shaped'));
    assert.ok(whole && shaped);
    const event = JSON.parse(whole.body) as Record<string, unknown>;
    assert.equal(event.id, id);
    assert.equal(event.source, 'shop.webhook');
    assert.deepEqual(event.detail, { orderId: 'o-1', total: 12.5 });
    assert.match(String(whole.headers['content-type']), /^application\/json/);
    assert.equal(shaped.body, '{"order": "o-1"}');
    assert.equal(shaped.path, '/hooks/shaped?v=2');
    assert.equal(shaped.headers['x-shop'], 'eu-1');
    await waitFor('counted invocations', () =>
      t.server.eventMetrics.rule({ accountId: ACCOUNT, busName: 'default', ruleName: 'webhook' }).Invocations === 2
        ? true
        : undefined,
    );
    assert.equal(await t.server.store.countDeliveries(), 0);
  });

  test('5xx and 429 answers are retried with backoff until the target takes the event', async () => {
    receiver.requests.length = 0;
    receiver.statuses = [503, 429, 500, 200];
    await rule('flaky', 'shop.flaky', [{ Id: 'hook', Arn: `${endpoint}/flaky` }]);
    await put('shop.flaky', { n: 1 });
    await waitFor('the fourth attempt', () => (receiver.requests.length >= 4 ? true : undefined));
    await waitFor('the delivery to complete', async () =>
      (await t.server.store.countDeliveries()) === 0 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(receiver.requests.length, 4, 'no attempt after the 200');
    const counters = t.server.eventMetrics.rule({ accountId: ACCOUNT, busName: 'default', ruleName: 'flaky' });
    assert.equal(counters.Invocations, 1);
    assert.equal(counters.FailedInvocations, 0);
  });

  test('a target that keeps failing ends in its DLQ with RULE_ARN, TARGET_ARN, ERROR_CODE and the retry count', async () => {
    receiver.requests.length = 0;
    receiver.statuses = [500];
    const dlqUrl = await createQueue('webhook-dlq');
    await rule('down', 'shop.down', [
      {
        Id: 'hook',
        Arn: `${endpoint}/down`,
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: queueArn('webhook-dlq') },
      },
    ]);
    const id = await put('shop.down', { orderId: 'o-9' });
    const [dead] = await receiveAll(sqs, dlqUrl, 1);
    assert.ok(dead);
    assert.equal(receiver.requests.length, 3, 'one attempt and two retries');
    assert.equal((JSON.parse(dead.Body ?? '') as { id: string }).id, id, 'the body is the event');
    assert.deepEqual(attributes(dead), {
      RULE_ARN: `arn:aws:events:${REGION}:${ACCOUNT}:rule/down`,
      TARGET_ARN: `${endpoint}/down`,
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: 'The target answered HTTP 500.',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '2',
    });
    const counters = t.server.eventMetrics.rule({ accountId: ACCOUNT, busName: 'default', ruleName: 'down' });
    assert.deepEqual(counters, {
      MatchedEvents: 1,
      Invocations: 1,
      FailedInvocations: 1,
      InvocationsSentToDlq: 1,
      InvocationsFailedToBeSentToDlq: 0,
    });
  });

  test('a 4xx answer is not retried; a timeout and a refused connection are', async () => {
    receiver.requests.length = 0;
    receiver.statuses = [404];
    const dlqUrl = await createQueue('client-error-dlq');
    const dlq = { Arn: queueArn('client-error-dlq') };
    await rule('rejects', 'shop.rejects', [{ Id: 'hook', Arn: `${endpoint}/nope`, DeadLetterConfig: dlq }]);
    await put('shop.rejects', { n: 1 });
    const [rejected] = await receiveAll(sqs, dlqUrl, 1);
    assert.equal(receiver.requests.length, 1);
    assert.equal(attributes(rejected as Message).ERROR_CODE, 'ERROR_FROM_TARGET');
    assert.equal(attributes(rejected as Message).RETRY_ATTEMPTS, '0');
    assert.equal(attributes(rejected as Message).EXHAUSTED_RETRY_CONDITION, undefined);

    receiver.requests.length = 0;
    receiver.statuses = [200];
    receiver.delayMs = 1000;
    await rule('slow', 'shop.slow', [
      { Id: 'hook', Arn: `${endpoint}/slow`, RetryPolicy: { MaximumRetryAttempts: 1 }, DeadLetterConfig: dlq },
    ]);
    await put('shop.slow', { n: 2 });
    const [slow] = await receiveAll(sqs, dlqUrl, 1);
    receiver.delayMs = 0;
    assert.equal(attributes(slow as Message).ERROR_CODE, 'TIMEOUT');
    assert.equal(attributes(slow as Message).RETRY_ATTEMPTS, '1');

    await rule('refused', 'shop.refused', [
      {
        Id: 'hook',
        Arn: 'http://127.0.0.1:9/refused',
        RetryPolicy: { MaximumRetryAttempts: 1 },
        DeadLetterConfig: dlq,
      },
    ]);
    await put('shop.refused', { n: 3 });
    const [refused] = await receiveAll(sqs, dlqUrl, 1);
    assert.equal(attributes(refused as Message).ERROR_CODE, 'CONNECTION_FAILURE');
    assert.equal(attributes(refused as Message).EXHAUSTED_RETRY_CONDITION, 'MaximumRetryAttempts');
  });

  test('an SQS target whose queue is gone sends the event straight to the DLQ as NO_RESOURCE', async () => {
    const goneUrl = await createQueue('gone-target');
    const dlqUrl = await createQueue('gone-dlq');
    await rule('to-gone', 'shop.gone', [
      { Id: 'q', Arn: queueArn('gone-target'), DeadLetterConfig: { Arn: queueArn('gone-dlq') } },
    ]);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: goneUrl }));
    await put('shop.gone', { n: 1 });
    const [dead] = await receiveAll(sqs, dlqUrl, 1);
    assert.equal(attributes(dead as Message).ERROR_CODE, 'NO_RESOURCE');
    assert.equal(attributes(dead as Message).TARGET_ARN, queueArn('gone-target'));
    assert.equal(attributes(dead as Message).RETRY_ATTEMPTS, '0');
  });

  test('a bus target routes the event on through the rules of the other bus', async () => {
    await eb.send(new CreateEventBusCommand({ Name: 'fulfilment' }));
    const url = await createQueue('fulfilment-orders');
    await rule('on-fulfilment', 'shop.orders', [{ Id: 'q', Arn: queueArn('fulfilment-orders') }], 'fulfilment');
    await rule('forward', 'shop.orders', [{ Id: 'bus', Arn: busArn('fulfilment') }]);
    const id = await put('shop.orders', { orderId: 'o-77' });
    const [message] = await receiveAll(sqs, url, 1);
    const event = JSON.parse(message?.Body ?? '') as Record<string, unknown>;
    assert.equal(event.id, id, 'the event keeps its id across buses');
    assert.deepEqual(event.detail, { orderId: 'o-77' });
    await waitFor('the forward to be counted', () =>
      t.server.eventMetrics.rule({ accountId: ACCOUNT, busName: 'default', ruleName: 'forward' }).Invocations === 1
        ? true
        : undefined,
    );
    assert.equal(t.server.eventMetrics.bus(ACCOUNT, 'fulfilment').MatchedEvents, 1);
  });

  test('two buses targeting each other stop after a bounded number of hops', async () => {
    await eb.send(new CreateEventBusCommand({ Name: 'ping' }));
    await eb.send(new CreateEventBusCommand({ Name: 'pong' }));
    const dlqUrl = await createQueue('loop-dlq');
    const dlq = { Arn: queueArn('loop-dlq') };
    await rule('to-pong', 'shop.loop', [{ Id: 'b', Arn: busArn('pong'), DeadLetterConfig: dlq }], 'ping');
    await rule('to-ping', 'shop.loop', [{ Id: 'b', Arn: busArn('ping'), DeadLetterConfig: dlq }], 'pong');
    await put('shop.loop', { n: 1 }, 'ping');
    const [dead] = await receiveAll(sqs, dlqUrl, 1);
    assert.equal(attributes(dead as Message).ERROR_CODE, 'INVALID_PARAMETER');
    assert.match(attributes(dead as Message).ERROR_MESSAGE ?? '', /crossed 5 event buses/);
  });

  test('PutTargets refuses targets this server cannot reach and HttpParameters on non-HTTP targets', async () => {
    await eb.send(new PutRuleCommand({ Name: 'checks', EventPattern: '{"source":["x"]}' }));
    const out = await eb.send(
      new PutTargetsCommand({
        Rule: 'checks',
        Targets: [
          { Id: 'ftp', Arn: 'ftp://example.com/x' },
          { Id: 'other-region', Arn: `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/default` },
          { Id: 'headers', Arn: queueArn('webhook-dlq'), HttpParameters: { HeaderParameters: { a: 'b' } } },
          { Id: 'bus-input', Arn: busArn('fulfilment'), Input: '{}' },
          { Id: 'ok', Arn: `${endpoint}/ok` },
        ],
      }),
    );
    assert.deepEqual(
      out.FailedEntries?.map((e) => e.TargetId),
      ['ftp', 'other-region', 'headers', 'bus-input'],
    );
  });
});
