// EventBridge targets and PutEvents delivering to SQS queues, driven by @aws-sdk/client-eventbridge and client-sqs.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  DisableRuleCommand,
  type EventBridgeClient,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { eventBridgeClient, startTestServer, type TestServer, tempDataDir } from '../helpers/server.js';
import { rejectsWith } from '../helpers/sqs.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  assert.ok(out.QueueUrl);
  return out.QueueUrl;
}

/** Every message currently visible in the queue (received, so they stay invisible afterwards). */
async function drain(sqs: SQSClient, url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 300,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (!out.Messages || out.Messages.length === 0) return all;
    all.push(...out.Messages);
  }
}

const bodies = async (sqs: SQSClient, url: string) => (await drain(sqs, url)).map((m) => m.Body);

describe('EventBridge targets and PutEvents', () => {
  let t: TestServer;
  let eb: EventBridgeClient;
  let sqs: SQSClient;

  before(async () => {
    t = await startTestServer();
    eb = eventBridgeClient(t.server.url);
    sqs = t.sqs;
  });
  after(async () => {
    eb.destroy();
    await t.stop();
  });

  test('PutTargets, ListTargetsByRule, ListRuleNamesByTarget, RemoveTargets and DeleteRule with targets', async () => {
    await createQueue(sqs, 'tgt-a');
    await eb.send(new PutRuleCommand({ Name: 'tgt-rule', EventPattern: '{"source":["tgt"]}' }));
    await eb.send(new PutRuleCommand({ Name: 'tgt-rule-2', EventPattern: '{"source":["tgt"]}' }));
    const put = await eb.send(
      new PutTargetsCommand({
        Rule: 'tgt-rule',
        Targets: [
          { Id: 't1', Arn: queueArn('tgt-a'), RetryPolicy: { MaximumRetryAttempts: 3 } },
          { Id: 'lambda', Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f` },
          { Id: 'elsewhere', Arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:tgt-a` },
          { Id: 't2', Arn: queueArn('tgt-a'), Input: '{"fixed":true}' },
        ],
      }),
    );
    assert.equal(put.FailedEntryCount, 2);
    assert.deepEqual(
      put.FailedEntries?.map((f) => [f.TargetId, f.ErrorCode]),
      [
        ['lambda', 'ValidationException'],
        ['elsewhere', 'ValidationException'],
      ],
    );
    assert.match(put.FailedEntries?.[0]?.ErrorMessage ?? '', /is not supported: targets can be SQS queues/);

    // Request-wide validation.
    await rejectsWith(
      eb.send(
        new PutTargetsCommand({
          Rule: 'tgt-rule',
          Targets: [{ Id: 'both', Arn: queueArn('tgt-a'), Input: '{}', InputPath: '$.detail' }],
        }),
      ),
      'ValidationException',
      /only one of Input, InputPath and InputTransformer/,
    );
    await rejectsWith(
      eb.send(new PutTargetsCommand({ Rule: 'tgt-rule', Targets: [{ Id: 'bad id!', Arn: queueArn('tgt-a') }] })),
      'ValidationException',
      /targets.member.id/,
    );
    await rejectsWith(
      eb.send(new PutTargetsCommand({ Rule: 'tgt-rule', Targets: [{ Id: 'j', Arn: queueArn('tgt-a'), Input: '{' }] })),
      'ValidationException',
      /Input is not valid JSON/,
    );
    await rejectsWith(
      eb.send(
        new PutTargetsCommand({
          Rule: 'tgt-rule',
          Targets: [{ Id: 'r', Arn: queueArn('tgt-a'), RetryPolicy: { MaximumEventAgeInSeconds: 10 } }],
        }),
      ),
      'ValidationException',
      /maximumEventAgeInSeconds/,
    );
    for (const [InputTransformer, message] of [
      [{ InputTemplate: '{"a": <nope>}' }, /<nope> is not defined/],
      [{ InputPathsMap: { 'aws.events.rule-name': '$.detail' }, InputTemplate: '"x"' }, /reserved/],
      [{ InputPathsMap: { a: '$..detail' }, InputTemplate: '<a>' }, /not a valid JSON path/],
    ] as const) {
      await rejectsWith(
        eb.send(
          new PutTargetsCommand({
            Rule: 'tgt-rule',
            Targets: [{ Id: 'tx', Arn: queueArn('tgt-a'), InputTransformer }],
          }),
        ),
        'ValidationException',
        message,
      );
    }
    await rejectsWith(
      eb.send(new PutTargetsCommand({ Rule: 'ghost', Targets: [{ Id: 'x', Arn: queueArn('tgt-a') }] })),
      'ResourceNotFoundException',
      'Rule ghost does not exist on EventBus default.',
    );
    // At most 5 targets per rule: 2 there, 4 new.
    const more: Target[] = ['t3', 't4', 't5', 't6'].map((Id) => ({ Id, Arn: queueArn('tgt-a') }));
    await rejectsWith(eb.send(new PutTargetsCommand({ Rule: 'tgt-rule', Targets: more })), 'LimitExceededException');
    await eb.send(new PutTargetsCommand({ Rule: 'tgt-rule', Targets: more.slice(0, 3) }));
    // Replacing an existing id does not count against the limit.
    await eb.send(new PutTargetsCommand({ Rule: 'tgt-rule', Targets: [{ Id: 't1', Arn: queueArn('tgt-a') }] }));

    const page1 = await eb.send(new ListTargetsByRuleCommand({ Rule: 'tgt-rule', Limit: 2 }));
    assert.deepEqual(
      page1.Targets?.map((x) => x.Id),
      ['t1', 't2'],
    );
    assert.equal(page1.Targets?.[0]?.RetryPolicy, undefined, 'replaced whole');
    assert.equal(page1.Targets?.[1]?.Input, '{"fixed":true}');
    assert.ok(page1.NextToken);
    const page2 = await eb.send(
      new ListTargetsByRuleCommand({ Rule: 'tgt-rule', Limit: 2, NextToken: page1.NextToken }),
    );
    const page3 = await eb.send(
      new ListTargetsByRuleCommand({ Rule: 'tgt-rule', Limit: 2, NextToken: page2.NextToken }),
    );
    assert.deepEqual(
      [...(page2.Targets ?? []), ...(page3.Targets ?? [])].map((x) => x.Id),
      ['t3', 't4', 't5'],
    );
    assert.equal(page3.NextToken, undefined);

    await eb.send(new PutTargetsCommand({ Rule: 'tgt-rule-2', Targets: [{ Id: 'only', Arn: queueArn('tgt-a') }] }));
    const names = await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: queueArn('tgt-a'), Limit: 1 }));
    assert.deepEqual(names.RuleNames, ['tgt-rule']);
    const names2 = await eb.send(
      new ListRuleNamesByTargetCommand({ TargetArn: queueArn('tgt-a'), Limit: 1, NextToken: names.NextToken }),
    );
    assert.deepEqual(names2.RuleNames, ['tgt-rule-2']);
    assert.deepEqual(
      (await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: queueArn('nothing') }))).RuleNames,
      [],
    );

    await rejectsWith(
      eb.send(new DeleteRuleCommand({ Name: 'tgt-rule-2' })),
      'ValidationException',
      "Rule can't be deleted since it has targets.",
    );
    const removed = await eb.send(new RemoveTargetsCommand({ Rule: 'tgt-rule-2', Ids: ['only', 'missing'] }));
    assert.equal(removed.FailedEntryCount, 1);
    assert.equal(removed.FailedEntries?.[0]?.TargetId, 'missing');
    assert.equal(removed.FailedEntries?.[0]?.ErrorCode, 'ResourceNotFoundException');
    await eb.send(new DeleteRuleCommand({ Name: 'tgt-rule-2' }));
    await eb.send(new DeleteRuleCommand({ Name: 'tgt-rule', Force: true }));
    assert.deepEqual((await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: queueArn('tgt-a') }))).RuleNames, []);
  });

  test('PutEvents delivers the exact envelope to matching rules only; Input and InputPath payloads', async () => {
    const orders = await createQueue(sqs, 'pe-orders');
    const other = await createQueue(sqs, 'pe-other');
    const constant = await createQueue(sqs, 'pe-constant');
    const path = await createQueue(sqs, 'pe-path');
    await eb.send(
      new PutRuleCommand({ Name: 'pe-orders', EventPattern: '{"source":["pe.shop"],"detail-type":["OrderPlaced"]}' }),
    );
    await eb.send(new PutRuleCommand({ Name: 'pe-other', EventPattern: '{"source":["pe.elsewhere"]}' }));
    await eb.send(
      new PutTargetsCommand({
        Rule: 'pe-orders',
        Targets: [
          { Id: 'whole', Arn: queueArn('pe-orders') },
          { Id: 'constant', Arn: queueArn('pe-constant'), Input: '{"hello": "world"}' },
          { Id: 'path', Arn: queueArn('pe-path'), InputPath: '$.detail.customer' },
        ],
      }),
    );
    await eb.send(new PutTargetsCommand({ Rule: 'pe-other', Targets: [{ Id: 'o', Arn: queueArn('pe-other') }] }));

    const detail = { orderId: 'o-1', total: 12.5, customer: { id: 'c-9', tier: 'gold' }, lines: [1, 2] };
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'pe.shop',
            DetailType: 'OrderPlaced',
            Detail: JSON.stringify(detail),
            Resources: ['arn:aws:shop:::order/o-1'],
            Time: new Date('2024-05-01T12:34:56.789Z'),
          },
          { Source: 'pe.shop', DetailType: 'OrderCancelled', Detail: '{}' },
        ],
      }),
    );
    assert.equal(out.FailedEntryCount, 0);
    const id = out.Entries?.[0]?.EventId;
    assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.ok(out.Entries?.[1]?.EventId);

    const delivered = await drain(sqs, orders);
    assert.equal(delivered.length, 1);
    assert.equal(
      delivered[0]?.Body,
      `{"version":"0","id":"${id}","detail-type":"OrderPlaced","source":"pe.shop","account":"${ACCOUNT}",` +
        `"time":"2024-05-01T12:34:56Z","region":"${REGION}","resources":["arn:aws:shop:::order/o-1"],` +
        `"detail":${JSON.stringify(detail)}}`,
    );
    assert.equal(delivered[0]?.Attributes?.SenderId, 'AIDAEVENTBRIDGE');
    assert.deepEqual(await bodies(sqs, constant), ['{"hello": "world"}']);
    assert.deepEqual(await bodies(sqs, path), ['{"id":"c-9","tier":"gold"}']);
    assert.deepEqual(await bodies(sqs, other), []);

    // Without Time, the event is stamped now, to the second; resources default to [].
    const before = Math.floor(Date.now() / 1000) * 1000;
    await eb.send(
      new PutEventsCommand({ Entries: [{ Source: 'pe.shop', DetailType: 'OrderPlaced', Detail: '{"n":1}' }] }),
    );
    const [now] = await drain(sqs, orders);
    const event = JSON.parse(now?.Body ?? '{}') as { time: string; resources: unknown[]; detail: unknown };
    assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Date.parse(event.time) >= before && Date.parse(event.time) <= Date.now());
    assert.deepEqual(event.resources, []);
    assert.deepEqual(event.detail, { n: 1 });
  });

  test('InputTransformer: JSON and plain-text templates, listed back by ListTargetsByRule', async () => {
    const jsonUrl = await createQueue(sqs, 'tx-json');
    const textUrl = await createQueue(sqs, 'tx-text');
    await eb.send(new PutRuleCommand({ Name: 'tx-rule', EventPattern: '{"source":["tx.app"]}' }));
    const jsonTransformer = {
      InputPathsMap: {
        order: '$.detail.orderId',
        total: '$.detail.total',
        items: '$.detail.items',
        gone: '$.detail.nope',
      },
      InputTemplate:
        '{"order": <order>, "total": <total>, "items": <items>, "gone": <gone>, "rule": <aws.events.rule-name>, "arn": <aws.events.rule-arn>, "at": <aws.events.event.ingestion-time>, "note": "order <order>", "event": <aws.events.event.json>}',
    };
    const textTransformer = {
      InputPathsMap: { order: '$.detail.orderId', first: '$.detail.items[0]' },
      InputTemplate: 'Order <order> starts with <first> (rule <aws.events.rule-name>)',
    };
    const put = await eb.send(
      new PutTargetsCommand({
        Rule: 'tx-rule',
        Targets: [
          { Id: 'json', Arn: queueArn('tx-json'), InputTransformer: jsonTransformer },
          { Id: 'text', Arn: queueArn('tx-text'), InputTransformer: textTransformer },
        ],
      }),
    );
    assert.equal(put.FailedEntryCount, 0);
    const listed = await eb.send(new ListTargetsByRuleCommand({ Rule: 'tx-rule' }));
    assert.deepEqual(
      listed.Targets?.map((x) => [x.Id, x.InputTransformer]),
      [
        ['json', jsonTransformer],
        ['text', textTransformer],
      ],
    );

    const before = Date.now();
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'tx.app', DetailType: 'Order', Detail: '{"orderId":"o-7","total":19.5,"items":["pen","ink"]}' },
        ],
      }),
    );
    const eventId = out.Entries?.[0]?.EventId;
    assert.ok(eventId);
    const [jsonBody] = await bodies(sqs, jsonUrl);
    const parsed = JSON.parse(jsonBody ?? '');
    assert.equal(parsed.order, 'o-7');
    assert.equal(parsed.total, 19.5);
    assert.deepEqual(parsed.items, ['pen', 'ink']);
    assert.equal(parsed.gone, null);
    assert.equal(parsed.rule, 'tx-rule');
    assert.equal(parsed.arn, `arn:aws:events:${REGION}:${ACCOUNT}:rule/tx-rule`);
    assert.ok(Date.parse(parsed.at) >= before - 1000 && Date.parse(parsed.at) <= Date.now() + 1000);
    assert.equal(parsed.note, 'order o-7');
    assert.equal(parsed.event.id, eventId);
    assert.deepEqual(parsed.event.detail, { orderId: 'o-7', total: 19.5, items: ['pen', 'ink'] });
    assert.deepEqual(await bodies(sqs, textUrl), ['Order o-7 starts with pen (rule tx-rule)']);
    await eb.send(new DeleteRuleCommand({ Name: 'tx-rule', Force: true }));
  });

  test('a disabled rule delivers nothing; a deleted queue is skipped', async () => {
    const q = await createQueue(sqs, 'dis-q');
    await eb.send(new PutRuleCommand({ Name: 'dis-rule', EventPattern: '{"source":["dis"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: 'dis-rule', Targets: [{ Id: 'q', Arn: queueArn('dis-q') }] }));
    await eb.send(new PutTargetsCommand({ Rule: 'dis-rule', Targets: [{ Id: 'gone', Arn: queueArn('never-made') }] }));
    await eb.send(new DisableRuleCommand({ Name: 'dis-rule' }));
    const entry = { Source: 'dis', DetailType: 'x', Detail: '{}' };
    assert.equal((await eb.send(new PutEventsCommand({ Entries: [entry] }))).FailedEntryCount, 0);
    assert.deepEqual(await bodies(sqs, q), []);
    // Re-enabled (PutRule again): delivered to the queue that exists, the missing one skipped.
    await eb.send(new PutRuleCommand({ Name: 'dis-rule', EventPattern: '{"source":["dis"]}', State: 'ENABLED' }));
    assert.equal((await eb.send(new PutEventsCommand({ Entries: [entry] }))).FailedEntryCount, 0);
    assert.equal((await bodies(sqs, q)).length, 1);
  });

  test('a custom bus, by name or ARN; rules of other buses do not see its events', async () => {
    const custom = await createQueue(sqs, 'bus-custom');
    const dflt = await createQueue(sqs, 'bus-default');
    await eb.send(new CreateEventBusCommand({ Name: 'orders-bus' }));
    await eb.send(
      new PutRuleCommand({ Name: 'on-custom', EventBusName: 'orders-bus', EventPattern: '{"source":["bus"]}' }),
    );
    await eb.send(new PutRuleCommand({ Name: 'on-default', EventPattern: '{"source":["bus"]}' }));
    await eb.send(
      new PutTargetsCommand({
        Rule: 'on-custom',
        EventBusName: 'orders-bus',
        Targets: [{ Id: 'q', Arn: queueArn('bus-custom') }],
      }),
    );
    await eb.send(new PutTargetsCommand({ Rule: 'on-default', Targets: [{ Id: 'q', Arn: queueArn('bus-default') }] }));
    const names = await eb.send(
      new ListRuleNamesByTargetCommand({ TargetArn: queueArn('bus-custom'), EventBusName: 'orders-bus' }),
    );
    assert.deepEqual(names.RuleNames, ['on-custom']);
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'bus', DetailType: 'a', Detail: '{"n":1}', EventBusName: 'orders-bus' },
          {
            Source: 'bus',
            DetailType: 'b',
            Detail: '{"n":2}',
            EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/orders-bus`,
          },
        ],
      }),
    );
    assert.equal(out.FailedEntryCount, 0);
    const got = (await bodies(sqs, custom)).map((b) => (JSON.parse(b ?? '') as { detail: { n: number } }).detail.n);
    assert.deepEqual(got.sort(), [1, 2]);
    assert.deepEqual(await bodies(sqs, dflt), []);
  });

  test('per-entry errors alongside successes; request-wide limits', async () => {
    const q = await createQueue(sqs, 'mixed-q');
    await eb.send(new PutRuleCommand({ Name: 'mixed', EventPattern: '{"source":["mixed"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: 'mixed', Targets: [{ Id: 'q', Arn: queueArn('mixed-q') }] }));
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'mixed', DetailType: 'ok', Detail: '{"i":1}' },
          { DetailType: 'x', Detail: '{}' },
          { Source: 'mixed', Detail: '{}' },
          { Source: 'mixed', DetailType: 'x' },
          { Source: 'mixed', DetailType: 'x', Detail: '[1,2]' },
          { Source: 'mixed', DetailType: 'x', Detail: 'not json' },
          { Source: 'mixed', DetailType: 'x', Detail: '{}', EventBusName: 'no-such-bus' },
          { Source: 'aws.cloudwatch', DetailType: 'CloudWatch Alarm State Change', Detail: '{}' },
          { Source: 'mixed', DetailType: 'ok', Detail: '{"i":2}' },
        ],
      }),
    );
    assert.equal(out.FailedEntryCount, 7);
    const entries = out.Entries ?? [];
    assert.equal(entries.length, 9);
    assert.ok(entries[0]?.EventId && entries[8]?.EventId);
    assert.deepEqual(
      entries.slice(1, 8).map((e) => [e.ErrorCode, e.ErrorMessage]),
      [
        ['InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.'],
        ['InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.'],
        ['InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.'],
        ['MalformedDetail', 'Detail is malformed.'],
        ['MalformedDetail', 'Detail is malformed.'],
        ['ResourceNotFoundException', 'Event bus no-such-bus does not exist.'],
        // The aws. sources belong to AWS's services (here, the server's own alarms and schedules).
        ['NotAuthorizedForSourceException', 'Not authorized for the source.'],
      ],
    );
    assert.deepEqual(
      (await bodies(sqs, q)).map((b) => (JSON.parse(b ?? '') as { detail: { i: number } }).detail.i).sort(),
      [1, 2],
    );

    const eleven: PutEventsRequestEntry[] = Array.from({ length: 11 }, () => ({
      Source: 'mixed',
      DetailType: 'x',
      Detail: '{}',
    }));
    await rejectsWith(eb.send(new PutEventsCommand({ Entries: eleven })), 'ValidationException');
    await rejectsWith(eb.send(new PutEventsCommand({ Entries: [] })), 'ValidationException');
    assert.deepEqual(await bodies(sqs, q), []);
  });

  test('a FIFO queue target needs SqsParameters.MessageGroupId and gets content-based dedup', async () => {
    const url = await createQueue(sqs, 'fifo-target.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    await createQueue(sqs, 'fifo-nocbd.fifo', { FifoQueue: 'true' });
    await eb.send(new PutRuleCommand({ Name: 'fifo-rule', EventPattern: '{"source":["fifo"]}' }));
    const refused = await eb.send(
      new PutTargetsCommand({
        Rule: 'fifo-rule',
        Targets: [
          { Id: 'nogroup', Arn: queueArn('fifo-target.fifo') },
          { Id: 'nocbd', Arn: queueArn('fifo-nocbd.fifo'), SqsParameters: { MessageGroupId: 'g' } },
        ],
      }),
    );
    assert.deepEqual(
      refused.FailedEntries?.map((f) => f.TargetId),
      ['nogroup', 'nocbd'],
    );
    assert.match(refused.FailedEntries?.[0]?.ErrorMessage ?? '', /MessageGroupId is required/);
    await eb.send(
      new PutTargetsCommand({
        Rule: 'fifo-rule',
        Targets: [{ Id: 'ok', Arn: queueArn('fifo-target.fifo'), SqsParameters: { MessageGroupId: 'orders' } }],
      }),
    );
    await eb.send(
      new PutEventsCommand({
        Entries: [1, 2, 3].map((n) => ({ Source: 'fifo', DetailType: 'x', Detail: JSON.stringify({ n }) })),
      }),
    );
    const messages = await drain(sqs, url);
    assert.deepEqual(
      messages.map((m) => (JSON.parse(m.Body ?? '') as { detail: { n: number } }).detail.n),
      [1, 2, 3],
    );
    for (const m of messages) {
      assert.equal(m.Attributes?.MessageGroupId, 'orders');
      assert.match(m.Attributes?.MessageDeduplicationId ?? '', /^[0-9a-f]{64}$/);
      assert.ok(m.Attributes?.SequenceNumber);
    }
    // A constant Input makes identical bodies: content-based dedup keeps one.
    await eb.send(
      new PutTargetsCommand({
        Rule: 'fifo-rule',
        Targets: [
          { Id: 'ok', Arn: queueArn('fifo-target.fifo'), Input: '{"ping":1}', SqsParameters: { MessageGroupId: 'p' } },
        ],
      }),
    );
    await eb.send(
      new PutEventsCommand({
        Entries: [1, 2].map((n) => ({ Source: 'fifo', DetailType: 'x', Detail: JSON.stringify({ n }) })),
      }),
    );
    assert.deepEqual(await bodies(sqs, url), ['{"ping":1}']);
  });

  test('e-commerce: order and inventory events from several marketplaces routed by pattern', async () => {
    await eb.send(new CreateEventBusCommand({ Name: 'commerce' }));
    const eu = await createQueue(sqs, 'shop-eu-orders');
    const big = await createQueue(sqs, 'shop-big-orders');
    const restock = await createQueue(sqs, 'shop-restock');
    const audit = await createQueue(sqs, 'shop-audit');
    const rules: [string, object, Target][] = [
      [
        'eu-orders',
        { source: ['shop.orders'], detail: { marketplace: ['amazon.de', 'amazon.fr', 'zalando.de'] } },
        { Id: 'eu', Arn: queueArn('shop-eu-orders') },
      ],
      [
        'big-orders',
        { source: ['shop.orders'], 'detail-type': ['OrderPlaced'], detail: { total: [{ numeric: ['>=', 100] }] } },
        { Id: 'big', Arn: queueArn('shop-big-orders'), InputPath: '$.detail.orderId' },
      ],
      [
        'low-stock',
        {
          source: ['shop.inventory'],
          'detail-type': ['StockChanged'],
          detail: { quantity: [{ numeric: ['<', 5] }], sku: [{ prefix: 'SKU-' }] },
        },
        { Id: 'restock', Arn: queueArn('shop-restock'), InputPath: '$.detail' },
      ],
      ['audit-all', { source: [{ prefix: 'shop.' }] }, { Id: 'audit', Arn: queueArn('shop-audit') }],
    ];
    for (const [name, pattern, target] of rules) {
      await eb.send(
        new PutRuleCommand({ Name: name, EventBusName: 'commerce', EventPattern: JSON.stringify(pattern) }),
      );
      await eb.send(new PutTargetsCommand({ Rule: name, EventBusName: 'commerce', Targets: [target] }));
    }
    const order = (orderId: string, marketplace: string, total: number) => ({
      Source: 'shop.orders',
      DetailType: 'OrderPlaced',
      EventBusName: 'commerce',
      Detail: JSON.stringify({ orderId, marketplace, total }),
    });
    const stock = (sku: string, quantity: number) => ({
      Source: 'shop.inventory',
      DetailType: 'StockChanged',
      EventBusName: 'commerce',
      Detail: JSON.stringify({ sku, quantity, warehouse: 'BER-1' }),
    });
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          order('A-1', 'amazon.de', 25),
          order('E-2', 'ebay.com', 250),
          order('Z-3', 'zalando.de', 120),
          stock('SKU-1', 2),
          stock('SKU-2', 40),
          stock('OLD-3', 1),
          { Source: 'crm.customers', DetailType: 'CustomerCreated', EventBusName: 'commerce', Detail: '{}' },
        ],
      }),
    );
    assert.equal(out.FailedEntryCount, 0);
    const orderIds = async (url: string) =>
      (await bodies(sqs, url)).map((b) => (JSON.parse(b ?? '') as { detail: { orderId: string } }).detail.orderId);
    assert.deepEqual((await orderIds(eu)).sort(), ['A-1', 'Z-3']);
    assert.deepEqual((await bodies(sqs, big)).sort(), ['"E-2"', '"Z-3"']);
    assert.deepEqual(await bodies(sqs, restock), ['{"sku":"SKU-1","quantity":2,"warehouse":"BER-1"}']);
    assert.equal((await bodies(sqs, audit)).length, 6);
  });
});

describe('EventBridge deliveries survive a restart', () => {
  const dataDir = tempDataDir('switchyard-eb-restart-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('messages produced by PutEvents are committed before the answer and kept across a restart', async () => {
    let t = await startTestServer({ dataDir });
    let eb = eventBridgeClient(t.server.url);
    const url = await createQueue(t.sqs, 'durable');
    await eb.send(new PutRuleCommand({ Name: 'durable', EventPattern: '{"source":["durable"]}' }));
    await eb.send(new PutTargetsCommand({ Rule: 'durable', Targets: [{ Id: 'q', Arn: queueArn('durable') }] }));
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [1, 2, 3].map((n) => ({ Source: 'durable', DetailType: 'x', Detail: JSON.stringify({ n }) })),
      }),
    );
    const ids = out.Entries?.map((e) => e.EventId).sort();
    eb.destroy();
    await t.stop();

    t = await startTestServer({ dataDir });
    eb = eventBridgeClient(t.server.url);
    try {
      const got = (await bodies(t.sqs, url)).map((b) => (JSON.parse(b ?? '') as { id: string }).id).sort();
      assert.deepEqual(got, ids);
      // Targets survive too.
      const targets = await eb.send(new ListTargetsByRuleCommand({ Rule: 'durable' }));
      assert.deepEqual(
        targets.Targets?.map((x) => x.Arn),
        [queueArn('durable')],
      );
    } finally {
      eb.destroy();
      await t.stop();
    }
  });
});
