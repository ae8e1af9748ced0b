// EventBridge buses, rules and pattern testing over AWS JSON 1.1, driven by @aws-sdk/client-eventbridge.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  type EventBridgeClient,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  PutRuleCommand,
  TagResourceCommand,
  TestEventPatternCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-eventbridge';
import { eventBridgeClient, startTestServer, type TestServer, tempDataDir } from '../helpers/server.js';
import { rejectsWith } from '../helpers/sqs.js';

const ACCOUNT = '000000000000';
const ARN = `arn:aws:events:us-east-1:${ACCOUNT}`;

const EVENT = JSON.stringify({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'OrderCreated',
  source: 'my.app',
  account: ACCOUNT,
  time: '2024-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { id: 1, status: 'new' },
});

describe('EventBridge buses, rules and TestEventPattern', () => {
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

  test('the default bus exists from the start and cannot be deleted', async () => {
    const bus = await eb.send(new DescribeEventBusCommand({}));
    assert.equal(bus.Name, 'default');
    assert.equal(bus.Arn, `${ARN}:event-bus/default`);
    assert.ok(bus.CreationTime instanceof Date);
    const byArn = await eb.send(new DescribeEventBusCommand({ Name: `${ARN}:event-bus/default` }));
    assert.equal(byArn.Name, 'default');
    await rejectsWith(
      eb.send(new DeleteEventBusCommand({ Name: 'default' })),
      'ValidationException',
      'Cannot delete event bus default.',
    );
  });

  test('CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus', async () => {
    const before = Date.now();
    const created = await eb.send(
      new CreateEventBusCommand({ Name: 'orders', Description: 'order events', Tags: [{ Key: 'team', Value: 'a' }] }),
    );
    assert.equal(created.EventBusArn, `${ARN}:event-bus/orders`);
    assert.equal(created.Description, 'order events');
    const described = await eb.send(new DescribeEventBusCommand({ Name: 'orders' }));
    assert.equal(described.Description, 'order events');
    assert.ok(Math.abs((described.CreationTime?.getTime() ?? 0) - before) < 60_000);

    await rejectsWith(
      eb.send(new CreateEventBusCommand({ Name: 'orders' })),
      'ResourceAlreadyExistsException',
      'Event bus orders already exists.',
    );
    await rejectsWith(eb.send(new CreateEventBusCommand({ Name: 'default' })), 'ResourceAlreadyExistsException');
    await rejectsWith(eb.send(new CreateEventBusCommand({ Name: 'bad name!' })), 'ValidationException');
    await rejectsWith(
      eb.send(new DescribeEventBusCommand({ Name: 'nope' })),
      'ResourceNotFoundException',
      'Event bus nope does not exist.',
    );

    for (const name of ['orders-eu', 'orders-us', 'payments']) {
      await eb.send(new CreateEventBusCommand({ Name: name }));
    }
    const all = await eb.send(new ListEventBusesCommand({}));
    assert.deepEqual(
      all.EventBuses?.map((b) => b.Name),
      ['default', 'orders', 'orders-eu', 'orders-us', 'payments'],
    );
    assert.equal(all.NextToken, undefined);

    const first = await eb.send(new ListEventBusesCommand({ NamePrefix: 'orders', Limit: 2 }));
    assert.deepEqual(
      first.EventBuses?.map((b) => b.Name),
      ['orders', 'orders-eu'],
    );
    assert.ok(first.NextToken);
    const second = await eb.send(
      new ListEventBusesCommand({ NamePrefix: 'orders', Limit: 2, NextToken: first.NextToken }),
    );
    assert.deepEqual(
      second.EventBuses?.map((b) => b.Name),
      ['orders-us'],
    );
    assert.equal(second.NextToken, undefined);
    await rejectsWith(eb.send(new ListEventBusesCommand({ Limit: 101 })), 'ValidationException');
    await rejectsWith(eb.send(new ListEventBusesCommand({ NextToken: 'garbage' })), 'ValidationException');

    await eb.send(new DeleteEventBusCommand({ Name: 'orders-us' }));
    await eb.send(new DeleteEventBusCommand({ Name: 'orders-us' })); // idempotent, as on AWS
    await rejectsWith(eb.send(new DescribeEventBusCommand({ Name: 'orders-us' })), 'ResourceNotFoundException');
  });

  test('DeleteEventBus refuses a bus that still has rules', async () => {
    await eb.send(new CreateEventBusCommand({ Name: 'busy' }));
    await eb.send(new PutRuleCommand({ Name: 'r', EventBusName: 'busy', EventPattern: '{"source":["a"]}' }));
    await rejectsWith(eb.send(new DeleteEventBusCommand({ Name: 'busy' })), 'ValidationException', /still has rules/);
    await eb.send(new DeleteRuleCommand({ Name: 'r', EventBusName: 'busy' }));
    await eb.send(new DeleteEventBusCommand({ Name: 'busy' }));
  });

  test('PutRule creates and updates, DescribeRule shows it', async () => {
    const pattern = '{"source":["my.app"],"detail-type":["OrderCreated"]}';
    const put = await eb.send(
      new PutRuleCommand({
        Name: 'on-order',
        EventPattern: pattern,
        Description: 'd1',
        Tags: [{ Key: 'k', Value: 'v' }],
      }),
    );
    assert.equal(put.RuleArn, `${ARN}:rule/on-order`);
    const rule = await eb.send(new DescribeRuleCommand({ Name: 'on-order' }));
    assert.equal(rule.Name, 'on-order');
    assert.equal(rule.Arn, `${ARN}:rule/on-order`);
    assert.equal(rule.EventPattern, pattern);
    assert.equal(rule.State, 'ENABLED');
    assert.equal(rule.Description, 'd1');
    assert.equal(rule.EventBusName, 'default');

    // Idempotent update: same ARN, new fields, tags kept.
    const again = await eb.send(
      new PutRuleCommand({ Name: 'on-order', EventPattern: '{"source":["other"]}', State: 'DISABLED' }),
    );
    assert.equal(again.RuleArn, put.RuleArn);
    const updated = await eb.send(new DescribeRuleCommand({ Name: 'on-order', EventBusName: 'default' }));
    assert.equal(updated.EventPattern, '{"source":["other"]}');
    assert.equal(updated.State, 'DISABLED');
    assert.equal(updated.Description, undefined);
    const tags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: put.RuleArn }));
    assert.deepEqual(tags.Tags, [{ Key: 'k', Value: 'v' }]);

    await eb.send(new CreateEventBusCommand({ Name: 'custom' }));
    const custom = await eb.send(
      new PutRuleCommand({ Name: 'on-order', EventBusName: `${ARN}:event-bus/custom`, EventPattern: pattern }),
    );
    assert.equal(custom.RuleArn, `${ARN}:rule/custom/on-order`);
    const onCustom = await eb.send(new DescribeRuleCommand({ Name: 'on-order', EventBusName: 'custom' }));
    assert.equal(onCustom.EventBusName, 'custom');
    assert.equal(onCustom.State, 'ENABLED');
  });

  test('PutRule schedule expressions', async () => {
    const put = await eb.send(new PutRuleCommand({ Name: 'every-5', ScheduleExpression: 'rate(5 minutes)' }));
    assert.equal(put.RuleArn, `${ARN}:rule/every-5`);
    const rule = await eb.send(new DescribeRuleCommand({ Name: 'every-5' }));
    assert.equal(rule.ScheduleExpression, 'rate(5 minutes)');
    await eb.send(new PutRuleCommand({ Name: 'nightly', ScheduleExpression: 'cron(0 20 * * ? *)' }));
    await eb.send(new PutRuleCommand({ Name: 'hourly', ScheduleExpression: 'rate(1 hour)' }));
    for (const bad of [
      'rate(1 hours)',
      'rate(0 minutes)',
      'rate(5 weeks)',
      'cron(0 20 * *)',
      'cron(0 20 1 * MON *)',
      'every day',
    ]) {
      await rejectsWith(
        eb.send(new PutRuleCommand({ Name: 'bad', ScheduleExpression: bad })),
        'ValidationException',
        'Parameter ScheduleExpression is not valid.',
      );
    }
    await eb.send(new CreateEventBusCommand({ Name: 'sched-bus' }));
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 's', EventBusName: 'sched-bus', ScheduleExpression: 'rate(5 minutes)' })),
      'ValidationException',
      /only on the default event bus/,
    );
  });

  test('PutRule errors', async () => {
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 'neither' })),
      'ValidationException',
      'Parameter(s) EventPattern or ScheduleExpression must be specified.',
    );
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 'bad-pattern', EventPattern: '{"source":[]}' })),
      'InvalidEventPatternException',
      /^Event pattern is not valid\. Reason: /,
    );
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 'bad-pattern', EventPattern: '{"source":"x"}' })),
      'InvalidEventPatternException',
    );
    const long = JSON.stringify({ source: ['x'.repeat(4100)] });
    await rejectsWith(eb.send(new PutRuleCommand({ Name: 'long', EventPattern: long })), 'ValidationException');
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 'bad name', EventPattern: '{"source":["a"]}' })),
      'ValidationException',
    );
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 'x'.repeat(65), EventPattern: '{"source":["a"]}' })),
      'ValidationException',
    );
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 'r', EventBusName: 'ghost', EventPattern: '{"source":["a"]}' })),
      'ResourceNotFoundException',
      'Event bus ghost does not exist.',
    );
    await rejectsWith(
      eb.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["a"]}', State: 'ON' as never })),
      'ValidationException',
    );
  });

  test('ListRules with prefix, bus and paging', async () => {
    await eb.send(new CreateEventBusCommand({ Name: 'list-bus' }));
    for (const name of ['a1', 'a2', 'a3', 'b1']) {
      await eb.send(new PutRuleCommand({ Name: name, EventBusName: 'list-bus', EventPattern: '{"source":["s"]}' }));
    }
    const all = await eb.send(new ListRulesCommand({ EventBusName: 'list-bus' }));
    assert.deepEqual(
      all.Rules?.map((r) => r.Name),
      ['a1', 'a2', 'a3', 'b1'],
    );
    assert.equal(all.Rules?.[0]?.Arn, `${ARN}:rule/list-bus/a1`);
    assert.equal(all.Rules?.[0]?.EventBusName, 'list-bus');
    assert.equal(all.Rules?.[0]?.State, 'ENABLED');

    const page1 = await eb.send(new ListRulesCommand({ EventBusName: 'list-bus', NamePrefix: 'a', Limit: 2 }));
    assert.deepEqual(
      page1.Rules?.map((r) => r.Name),
      ['a1', 'a2'],
    );
    const page2 = await eb.send(
      new ListRulesCommand({ EventBusName: 'list-bus', NamePrefix: 'a', Limit: 2, NextToken: page1.NextToken }),
    );
    assert.deepEqual(
      page2.Rules?.map((r) => r.Name),
      ['a3'],
    );
    assert.equal(page2.NextToken, undefined);

    const onDefault = await eb.send(new ListRulesCommand({}));
    assert.ok(!onDefault.Rules?.some((r) => r.Name === 'a1'));
    await rejectsWith(
      eb.send(new ListRulesCommand({ EventBusName: 'ghost' })),
      'ResourceNotFoundException',
      'Event bus ghost does not exist.',
    );
    await rejectsWith(eb.send(new ListRulesCommand({ Limit: 0 })), 'ValidationException');
  });

  test('EnableRule, DisableRule, DeleteRule', async () => {
    await eb.send(new PutRuleCommand({ Name: 'toggle', EventPattern: '{"source":["s"]}' }));
    await eb.send(new DisableRuleCommand({ Name: 'toggle' }));
    assert.equal((await eb.send(new DescribeRuleCommand({ Name: 'toggle' }))).State, 'DISABLED');
    await eb.send(new EnableRuleCommand({ Name: 'toggle' }));
    assert.equal((await eb.send(new DescribeRuleCommand({ Name: 'toggle' }))).State, 'ENABLED');

    await rejectsWith(
      eb.send(new EnableRuleCommand({ Name: 'ghost' })),
      'ResourceNotFoundException',
      'Rule ghost does not exist on EventBus default.',
    );
    await rejectsWith(eb.send(new DisableRuleCommand({ Name: 'ghost' })), 'ResourceNotFoundException');
    await rejectsWith(
      eb.send(new DescribeRuleCommand({ Name: 'ghost' })),
      'ResourceNotFoundException',
      'Rule ghost does not exist on EventBus default.',
    );

    await eb.send(new DeleteRuleCommand({ Name: 'toggle' }));
    await rejectsWith(
      eb.send(new DeleteRuleCommand({ Name: 'toggle' })),
      'ResourceNotFoundException',
      'Rule toggle does not exist on EventBus default.',
    );
    await rejectsWith(eb.send(new DescribeRuleCommand({ Name: 'toggle' })), 'ResourceNotFoundException');
  });

  test('TestEventPattern', async () => {
    const yes = await eb.send(new TestEventPatternCommand({ EventPattern: '{"source":["my.app"]}', Event: EVENT }));
    assert.equal(yes.Result, true);
    const no = await eb.send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"status":[{"anything-but":"new"}]}}', Event: EVENT }),
    );
    assert.equal(no.Result, false);
    await rejectsWith(
      eb.send(new TestEventPatternCommand({ EventPattern: '{"source":[]}', Event: EVENT })),
      'InvalidEventPatternException',
      /^Event pattern is not valid\. Reason: /,
    );
    await rejectsWith(
      eb.send(new TestEventPatternCommand({ EventPattern: '{"source":["my.app"]}', Event: '{"source":"my.app"}' })),
      'ValidationException',
      'Parameter Event is not valid.',
    );
    await rejectsWith(
      eb.send(new TestEventPatternCommand({ EventPattern: '{"source":["my.app"]}', Event: 'not json' })),
      'ValidationException',
      'Parameter Event is not valid.',
    );
  });

  test('TagResource, UntagResource, ListTagsForResource on buses and rules', async () => {
    await eb.send(new CreateEventBusCommand({ Name: 'tagged', Tags: [{ Key: 'a', Value: '1' }] }));
    const busArn = `${ARN}:event-bus/tagged`;
    await eb.send(new TagResourceCommand({ ResourceARN: busArn, Tags: [{ Key: 'b', Value: '2' }] }));
    let tags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: busArn }));
    assert.deepEqual(tags.Tags, [
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
    await eb.send(new UntagResourceCommand({ ResourceARN: busArn, TagKeys: ['a'] }));
    tags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: busArn }));
    assert.deepEqual(tags.Tags, [{ Key: 'b', Value: '2' }]);

    const { RuleArn } = await eb.send(
      new PutRuleCommand({ Name: 'tagged-rule', EventBusName: 'tagged', EventPattern: '{"source":["s"]}' }),
    );
    assert.equal(RuleArn, `${ARN}:rule/tagged/tagged-rule`);
    await eb.send(new TagResourceCommand({ ResourceARN: RuleArn, Tags: [{ Key: 'x', Value: 'y' }] }));
    tags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: RuleArn }));
    assert.deepEqual(tags.Tags, [{ Key: 'x', Value: 'y' }]);
    await eb.send(new UntagResourceCommand({ ResourceARN: RuleArn, TagKeys: ['x', 'missing'] }));
    tags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: RuleArn }));
    assert.deepEqual(tags.Tags, []);

    await rejectsWith(
      eb.send(new ListTagsForResourceCommand({ ResourceARN: `${ARN}:event-bus/ghost` })),
      'ResourceNotFoundException',
      'Event bus ghost does not exist.',
    );
    await rejectsWith(
      eb.send(new TagResourceCommand({ ResourceARN: `${ARN}:rule/ghost`, Tags: [{ Key: 'a', Value: 'b' }] })),
      'ResourceNotFoundException',
      'Rule ghost does not exist on EventBus default.',
    );
    await rejectsWith(
      eb.send(new UntagResourceCommand({ ResourceARN: 'arn:aws:sqs:us-east-1:000000000000:q', TagKeys: ['a'] })),
      'ResourceNotFoundException',
    );
    await rejectsWith(
      eb.send(new TagResourceCommand({ ResourceARN: busArn, Tags: [{ Key: 'aws:reserved', Value: 'b' }] })),
      'ValidationException',
    );
    const many = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await rejectsWith(eb.send(new TagResourceCommand({ ResourceARN: busArn, Tags: many })), 'LimitExceededException');
  });

  test('wire format: JSON 1.1 errors with a bare __type; unknown actions', async () => {
    const call = (target: string, body: object) =>
      fetch(t.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
        body: JSON.stringify(body),
      });
    const missing = await call('AWSEvents.DescribeRule', { Name: 'nope' });
    assert.equal(missing.status, 400);
    assert.equal(missing.headers.get('content-type'), 'application/x-amz-json-1.1');
    assert.equal(missing.headers.get('x-amzn-query-error'), null);
    assert.deepEqual(await missing.json(), {
      __type: 'ResourceNotFoundException',
      message: 'Rule nope does not exist on EventBus default.',
    });
    const unknown = await call('AWSEvents.CreatePartnerEventSource', {});
    assert.equal(unknown.status, 400);
    assert.equal(((await unknown.json()) as { __type: string }).__type, 'UnknownOperationException');
    const badType = await call('AWSEvents.ListRules', { Limit: 'ten' });
    assert.equal(badType.status, 400);
    assert.equal(((await badType.json()) as { __type: string }).__type, 'ValidationException');
    const ok = await call('AWSEvents.DescribeEventBus', {});
    const body = (await ok.json()) as { CreationTime: number };
    assert.equal(typeof body.CreationTime, 'number');
    assert.ok(body.CreationTime < 1e11, 'epoch seconds');
  });
});

describe('EventBridge buses and rules survive a restart', () => {
  const dataDir = tempDataDir('switchyard-eb-restart-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('stop and start on the same data directory', async () => {
    let t = await startTestServer({ dataDir });
    let eb = eventBridgeClient(t.server.url);
    try {
      await eb.send(
        new CreateEventBusCommand({ Name: 'kept', Description: 'stays', Tags: [{ Key: 't', Value: '1' }] }),
      );
      await eb.send(
        new PutRuleCommand({
          Name: 'kept-rule',
          EventBusName: 'kept',
          EventPattern: '{"source":["s"]}',
          State: 'DISABLED',
          Tags: [{ Key: 'r', Value: '2' }],
        }),
      );
      await eb.send(new PutRuleCommand({ Name: 'sched', ScheduleExpression: 'rate(1 day)' }));
    } finally {
      eb.destroy();
      await t.stop();
    }

    t = await startTestServer({ dataDir });
    eb = eventBridgeClient(t.server.url);
    try {
      const buses = await eb.send(new ListEventBusesCommand({}));
      assert.deepEqual(
        buses.EventBuses?.map((b) => b.Name),
        ['default', 'kept'],
      );
      assert.equal((await eb.send(new DescribeEventBusCommand({ Name: 'kept' }))).Description, 'stays');
      const rule = await eb.send(new DescribeRuleCommand({ Name: 'kept-rule', EventBusName: 'kept' }));
      assert.equal(rule.EventPattern, '{"source":["s"]}');
      assert.equal(rule.State, 'DISABLED');
      assert.equal((await eb.send(new DescribeRuleCommand({ Name: 'sched' }))).ScheduleExpression, 'rate(1 day)');
      const busTags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: `${ARN}:event-bus/kept` }));
      assert.deepEqual(busTags.Tags, [{ Key: 't', Value: '1' }]);
      const ruleTags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: `${ARN}:rule/kept/kept-rule` }));
      assert.deepEqual(ruleTags.Tags, [{ Key: 'r', Value: '2' }]);
    } finally {
      eb.destroy();
      await t.stop();
    }
  });
});
