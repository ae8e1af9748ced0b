// Request logs: one pino line per request with its id, service, action, the resources it names (read by the
// protocol layer from the decoded input, whatever the wire protocol), status and duration; a client error at
// info with its code, once; an unexpected error logged with its stack once, by the error mapper.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { type CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { cloudWatchClient, eventBridgeClient, startTestServer, type TestServer } from '../helpers/server.js';

type Line = Record<string, unknown> & { level: number; msg: string };
const DEBUG = 20;
const INFO = 30;
const ERROR = 50;

describe('request logs', () => {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text));
      done();
    },
  });
  let t: TestServer;
  let eb: EventBridgeClient;
  let cw: CloudWatchClient;

  before(async () => {
    t = await startTestServer({ logger: pino({ level: 'debug' }, stream) });
    eb = eventBridgeClient(t.server.url);
    cw = cloudWatchClient(t.server.url);
  });
  after(async () => {
    eb.destroy();
    cw.destroy();
    await t.stop();
  });

  /** The lines of one request, by the id the server answered with. */
  const linesOf = (requestId: string | undefined) => {
    assert.ok(requestId);
    return lines.filter((l) => l.requestId === requestId);
  };
  /** The one request line of a request. */
  const requestLine = (requestId: string | undefined) => {
    const found = linesOf(requestId).filter((l) => l.msg === 'request');
    assert.equal(found.length, 1, `one request line for ${requestId}`);
    return found[0] as Line;
  };

  test('SQS requests name their queue, over the JSON and the Query protocol', async () => {
    const created = await t.sqs.send(new CreateQueueCommand({ QueueName: 'logs-orders' }));
    const line = requestLine(created.$metadata.requestId);
    assert.equal(line.level, DEBUG);
    assert.equal(line.service, 'sqs');
    assert.equal(line.action, 'CreateQueue');
    assert.equal(line.queue, 'logs-orders');
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');

    const sent = await t.sqs.send(new SendMessageCommand({ QueueUrl: created.QueueUrl, MessageBody: 'x' }));
    assert.deepEqual(
      (({ service, action, queue, status }) => ({ service, action, queue, status }))(
        requestLine(sent.$metadata.requestId),
      ),
      { service: 'sqs', action: 'SendMessage', queue: 'logs-orders', status: 200 },
    );

    const res = await fetch(t.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetQueueUrl&QueueName=logs-orders&Version=2012-11-05',
    });
    assert.equal(res.status, 200);
    const query = requestLine(res.headers.get('x-amzn-requestid') ?? undefined);
    assert.equal(query.action, 'GetQueueUrl');
    assert.equal(query.queue, 'logs-orders');
  });

  test('a client error is one line at info with its code', async () => {
    const error = await t.sqs.send(new GetQueueUrlCommand({ QueueName: 'logs-missing' })).then(
      () => assert.fail('expected an error'),
      (e: { $metadata: { requestId?: string } }) => e,
    );
    const all = linesOf(error.$metadata.requestId);
    assert.equal(all.length, 1, 'logged once');
    const [line] = all as [Line];
    assert.equal(line.msg, 'request');
    assert.equal(line.level, INFO);
    assert.equal(line.status, 400);
    assert.equal(line.code, 'QueueDoesNotExist');
    assert.equal(line.queue, 'logs-missing');
    assert.equal(line.err, undefined, 'no stack for a client error');
  });

  test('EventBridge requests name their bus and rule; PutEvents the buses of its entries', async () => {
    const bus = await eb.send(new CreateEventBusCommand({ Name: 'logs-shop' }));
    assert.equal(requestLine(bus.$metadata.requestId).bus, 'logs-shop');
    const rule = await eb.send(
      new PutRuleCommand({ Name: 'logs-rule', EventBusName: 'logs-shop', EventPattern: '{"source":["x"]}' }),
    );
    const ruleLine = requestLine(rule.$metadata.requestId);
    assert.equal(ruleLine.service, 'events');
    assert.equal(ruleLine.action, 'PutRule');
    assert.equal(ruleLine.bus, 'logs-shop');
    assert.equal(ruleLine.rule, 'logs-rule');
    const put = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'x', DetailType: 'y', Detail: '{}' },
          { Source: 'x', DetailType: 'y', Detail: '{}', EventBusName: 'logs-shop' },
          { Source: 'x', DetailType: 'y', Detail: '{}', EventBusName: 'logs-shop' },
        ],
      }),
    );
    assert.equal(requestLine(put.$metadata.requestId).bus, 'default,logs-shop');
  });

  test('CloudWatch requests name their namespace and metric', async () => {
    const put = await cw.send(
      new PutMetricDataCommand({
        Namespace: 'Logs/Shop',
        MetricData: [
          { MetricName: 'Placed', Value: 1 },
          { MetricName: 'Placed', Value: 2 },
          { MetricName: 'Paid', Value: 1 },
        ],
      }),
    );
    const putLine = requestLine(put.$metadata.requestId);
    assert.equal(putLine.service, 'cloudwatch');
    assert.equal(putLine.action, 'PutMetricData');
    assert.equal(putLine.namespace, 'Logs/Shop');
    assert.equal(putLine.metric, 'Placed,Paid');
    const got = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Logs/Shop',
        MetricName: 'Placed',
        StartTime: new Date(Date.now() - 60_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ['Sum'],
      }),
    );
    const getLine = requestLine(got.$metadata.requestId);
    assert.equal(getLine.namespace, 'Logs/Shop');
    assert.equal(getLine.metric, 'Placed');
  });

  test('an unexpected error: its stack once, from the error mapper, and the request line at error', async () => {
    const queues = t.server.queues;
    const listQueues = queues.listQueues;
    queues.listQueues = async () => {
      throw new Error('the disk is on fire');
    };
    try {
      const error = await t.sqs.send(new ListQueuesCommand({})).then(
        () => assert.fail('expected an error'),
        (e: { $metadata: { requestId?: string; httpStatusCode?: number } }) => e,
      );
      assert.equal(error.$metadata.httpStatusCode, 500);
      const all = linesOf(error.$metadata.requestId);
      const withStack = all.filter((l) => typeof (l.err as { stack?: unknown } | undefined)?.stack === 'string');
      assert.equal(withStack.length, 1, 'the stack is logged once');
      const [logged] = withStack as [Line];
      assert.equal(logged.msg, 'unexpected error');
      assert.match((logged.err as { stack: string }).stack, /the disk is on fire/);
      const line = requestLine(error.$metadata.requestId);
      assert.equal(line.level, ERROR);
      assert.equal(line.status, 500);
      assert.equal(line.code, 'InternalFailure');
      assert.equal(line.err, undefined);
    } finally {
      queues.listQueues = listQueues;
    }
  });

  test('requests outside the AWS APIs get a line too', async () => {
    const res = await fetch(`${t.server.url}/health`);
    const line = requestLine(res.headers.get('x-amzn-requestid') ?? undefined);
    assert.equal(line.level, DEBUG);
    assert.equal(line.action, 'GET /health');
    assert.equal(line.service, undefined);
    assert.equal(line.status, 200);
  });
});
