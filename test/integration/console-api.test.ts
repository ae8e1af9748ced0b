import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type {
  AlarmDetail,
  ApiError,
  BusList,
  MessagePage,
  Overview,
  QueueDetail,
  RuleTestResult,
  SessionInfo,
} from '../../src/console/api-types.js';
import { cloudWatchClient, eventBridgeClient, startTestServer, testServerForFile } from '../helpers/server.js';

/** A console API call as the browser makes it: JSON, with the session's CSRF token on POSTs. */
async function api<T>(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; csrf?: string | undefined; cookie?: string; bearer?: string } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.csrf !== undefined) headers['x-switchyard-csrf'] = init.csrf;
  if (init.cookie !== undefined) headers.cookie = init.cookie;
  if (init.bearer !== undefined) headers.authorization = `Bearer ${init.bearer}`;
  const res = await fetch(`${base}/console/api/${path}`, {
    method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

describe('console API on loopback', () => {
  const t = testServerForFile();
  let csrf: string | undefined;
  const base = () => t.server.url;
  const post = <T>(path: string, body: unknown) => api<T>(base(), path, { body, csrf });

  it('needs no login and hands out a CSRF token', async () => {
    const { status, body } = await api<SessionInfo>(base(), 'session');
    assert.equal(status, 200);
    assert.equal(body.authRequired, false);
    assert.equal(body.authenticated, true);
    assert.equal(body.locked, false);
    assert.ok(body.csrfToken && body.csrfToken.length >= 20);
    csrf = body.csrfToken;
  });

  it('refuses a POST without the CSRF token, and one with a wrong token', async () => {
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'csrf-target' }));
    for (const token of [undefined, 'not-the-token']) {
      const res = await api<ApiError>(base(), 'queues/csrf-target/purge', {
        body: { confirm: 'csrf-target' },
        csrf: token,
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'CsrfTokenMismatch');
    }
  });

  it('answers only requests addressed to a loopback name (DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${base()}/console/api/overview`, { headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    assert.equal(status, 421);
  });

  it('shows queues with their counts and dead-letter queues in the overview', async () => {
    const dlq = await t.sqs.send(new CreateQueueCommand({ QueueName: 'orders-dlq' }));
    const dlqArn = (
      await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const orders = await t.sqs.send(
      new CreateQueueCommand({
        QueueName: 'orders',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
      }),
    );
    for (let i = 0; i < 3; i++)
      await t.sqs.send(new SendMessageCommand({ QueueUrl: orders.QueueUrl, MessageBody: `o${i}` }));
    await t.sqs.send(new SendMessageCommand({ QueueUrl: dlq.QueueUrl, MessageBody: 'dead' }));
    await t.server.sqsCloudWatch.sample();
    const { status, body } = await api<Overview>(base(), 'overview');
    assert.equal(status, 200);
    const row = body.queues.find((q) => q.name === 'orders');
    assert.ok(row);
    assert.equal(row.visible, 3);
    assert.deepEqual(row.deadLetterQueue, { name: 'orders-dlq', visible: 1 });
    assert.equal(row.maxReceiveCount, 2);
    assert.ok(row.sendRate > 0, 'three sends in the last five minutes');
    assert.ok(row.depth.length >= 1 && row.depth.at(-1)?.[1] === 3, 'the depth sparkline ends at 3');
    assert.deepEqual(body.queues.find((q) => q.name === 'orders-dlq')?.deadLetterSources, ['orders']);
    assert.ok(body.buses.some((b) => b.name === 'default'));
  });

  it('gives a queue its attributes, and its messages without changing their visibility', async () => {
    const detail = await api<QueueDetail>(base(), 'queues/orders');
    assert.equal(detail.status, 200);
    assert.equal(detail.body.attributes.VisibilityTimeout, '30');
    assert.ok(detail.body.otherQueues.includes('orders-dlq'));
    const page = await api<MessagePage>(base(), 'queues/orders/messages?limit=2');
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.messages.map((m) => m.body),
      ['o0', 'o1'],
    );
    assert.ok(page.body.nextCursor);
    assert.ok(page.body.messages.every((m) => m.state === 'visible' && m.attributes.ApproximateReceiveCount === '0'));
    const rest = await api<MessagePage>(
      base(),
      `queues/orders/messages?limit=2&after=${encodeURIComponent(page.body.nextCursor ?? '')}`,
    );
    assert.deepEqual(
      rest.body.messages.map((m) => m.body),
      ['o2'],
    );
    // Peeked three times over, still all there to receive.
    const url = (await api<QueueDetail>(base(), 'queues/orders')).body.url;
    const received = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.equal(received.Messages?.length, 3);
  });

  it('downloads a queue as a JSON attachment', async () => {
    const res = await fetch(`${base()}/console/api/queues/orders-dlq/messages?download=1`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="orders-dlq-messages.json"/);
    const body = (await res.json()) as { queue: string; messages: { body: string }[] };
    assert.equal(body.queue, 'orders-dlq');
    assert.deepEqual(
      body.messages.map((m) => m.body),
      ['dead'],
    );
  });

  it('repushes a dead-letter queue by a move task at a rate, and cancels it', async () => {
    const dlqUrl = (await api<QueueDetail>(base(), 'queues/orders-dlq')).body.url;
    for (let i = 0; i < 20; i++) await t.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: `d${i}` }));
    const started = await post<{ taskHandle: string }>('queues/orders-dlq/redrive', {
      destination: 'orders',
      maxPerSecond: 1,
    });
    assert.equal(started.status, 200);
    const running = (await api<QueueDetail>(base(), 'queues/orders-dlq')).body.moveTasks[0];
    assert.equal(running?.status, 'RUNNING');
    assert.equal(running?.toMove, 21);
    const again = await post<ApiError>('queues/orders-dlq/redrive', {});
    assert.equal(again.status, 400, 'one move task per source at a time');
    const cancelled = await post<{ moved: number }>('move-tasks/cancel', { taskHandle: started.body.taskHandle });
    assert.equal(cancelled.status, 200);
    assert.ok(cancelled.body.moved < 21, `${cancelled.body.moved} moved before the cancel`);
    const task = (await api<QueueDetail>(base(), 'queues/orders-dlq')).body.moveTasks[0];
    assert.equal(task?.status, 'CANCELLED');
    const left = await api<QueueDetail>(base(), 'queues/orders-dlq');
    assert.ok(left.body.visible > 0, 'the rest stays in the dead-letter queue');
  });

  it('sends a test message, and purges only with the queue name confirmed', async () => {
    await t.sqs.send(new CreateQueueCommand({ QueueName: 'scratch' }));
    const sent = await post<{ messageId: string }>('queues/scratch/send', {
      body: 'hello',
      attributes: { kind: 'test' },
    });
    assert.equal(sent.status, 200);
    const peeked = await api<MessagePage>(base(), 'queues/scratch/messages');
    assert.equal(peeked.body.messages[0]?.messageId, sent.body.messageId);
    assert.deepEqual(peeked.body.messages[0]?.messageAttributes.kind, { DataType: 'String', StringValue: 'test' });
    const refused = await post<ApiError>('queues/scratch/purge', { confirm: 'scratc' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'ConfirmationRequired');
    assert.equal((await post<{ ok: boolean }>('queues/scratch/purge', { confirm: 'scratch' })).status, 200);
    assert.equal((await api<MessagePage>(base(), 'queues/scratch/messages')).body.messages.length, 0);
  });

  it('answers bad input and unknown things with their codes', async () => {
    const missing = await api<ApiError>(base(), 'queues/no-such-queue');
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'QueueDoesNotExist');
    const badBody = await post<ApiError>('queues/scratch/send', { body: '' });
    assert.equal(badBody.status, 400);
    assert.equal(badBody.body.error.code, 'InvalidParameterValue');
    assert.match(badBody.body.error.message, /^body: /);
    const notJson = await fetch(`${base()}/console/api/queues/scratch/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchyard-csrf': csrf ?? '' },
      body: '{',
    });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as ApiError).error.code, 'SerializationException');
    const nowhere = await api<ApiError>(base(), 'nothing-here');
    assert.equal(nowhere.status, 404);
    const wrongMethod = await api<ApiError>(base(), 'overview', { body: {}, csrf });
    assert.equal(wrongMethod.status, 405);
    const badRange = await api<ApiError>(base(), 'metrics?namespace=AWS/SQS&metric=NumberOfMessagesSent&range=5');
    assert.equal(badRange.status, 400);
  });

  it('lists rules with targets, enables and disables them, and tests an event against them', async () => {
    const events = eventBridgeClient(base());
    await events.send(
      new PutRuleCommand({
        Name: 'big-orders',
        EventPattern: JSON.stringify({ source: ['shop'], detail: { total: [{ numeric: ['>', 100] }] } }),
      }),
    );
    const arn = (
      await t.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: `${base()}/000000000000/scratch`, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    await events.send(
      new PutTargetsCommand({
        Rule: 'big-orders',
        Targets: [
          {
            Id: 'to-scratch',
            Arn: arn,
            InputTransformer: {
              InputPathsMap: { order: '$.detail.orderId' },
              InputTemplate: '{"order": <order>, "kind": "big"}',
            },
          },
        ],
      }),
    );
    const list = await api<BusList>(base(), 'buses');
    const rule = list.body.buses.find((b) => b.name === 'default')?.rules.find((r) => r.name === 'big-orders');
    assert.ok(rule);
    assert.equal(rule.state, 'ENABLED');
    assert.equal(rule.targets[0]?.kind, 'queue');
    assert.equal(rule.targets[0]?.name, 'scratch');

    const disabled = await post<{ state: string }>('buses/default/rules/big-orders/disable', {});
    assert.equal(disabled.body.state, 'DISABLED');
    const enabled = await post<{ state: string }>('buses/default/rules/big-orders/enable', {});
    assert.equal(enabled.body.state, 'ENABLED');

    const tested = await post<RuleTestResult>('buses/default/test', {
      event: JSON.stringify({ source: 'shop', 'detail-type': 'OrderPlaced', detail: { orderId: 'o-7', total: 250 } }),
    });
    assert.equal(tested.status, 200);
    assert.deepEqual(
      tested.body.matches.map((m) => m.rule),
      ['big-orders'],
    );
    assert.equal(tested.body.matches[0]?.targets[0]?.payload, '{"order": "o-7", "kind": "big"}');
    assert.equal(tested.body.event.account, '000000000000');
    const small = await post<RuleTestResult>('buses/default/test', {
      event: JSON.stringify({ source: 'shop', 'detail-type': 'OrderPlaced', detail: { orderId: 'o-8', total: 5 } }),
    });
    assert.deepEqual(small.body.matches, []);
    assert.ok(small.body.unmatched.includes('big-orders'));
    const bad = await post<ApiError>('buses/default/test', { event: '{"source": "shop"}' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /detail-type/);
    // Nothing was sent by testing.
    assert.equal((await api<MessagePage>(base(), 'queues/scratch/messages')).body.messages.length, 0);
  });

  it("shows an alarm with its history and its metric's data", async () => {
    const cw = cloudWatchClient(base());
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'orders-dlq-depth',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: 'orders-dlq' }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    );
    await t.server.sqsCloudWatch.sample();
    const overview = await api<Overview>(base(), 'overview');
    assert.equal(overview.body.alarms.find((a) => a.name === 'orders-dlq-depth')?.state, 'INSUFFICIENT_DATA');
    const detail = await api<AlarmDetail>(base(), 'alarms/orders-dlq-depth');
    assert.equal(detail.status, 200);
    assert.equal(detail.body.threshold, 0);
    assert.equal(detail.body.comparison, 'GreaterThanThreshold');
    assert.ok(detail.body.history.some((h) => h.type === 'ConfigurationUpdate'));
    assert.ok(
      detail.body.metric.some(([, v]) => v === 1),
      'the DLQ depth of 1 is on the chart',
    );
    const missing = await api<ApiError>(base(), 'alarms/nope');
    assert.equal(missing.status, 404);
  });

  it('traces an event from PutEvents to its queue', async () => {
    const events = eventBridgeClient(base());
    const put = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'shop', DetailType: 'OrderPlaced', Detail: JSON.stringify({ orderId: 'o-9', total: 500 }) },
        ],
      }),
    );
    const id = put.Entries?.[0]?.EventId ?? '';
    const trace = await api<{ eventId: string; steps: { step: string; detail: Record<string, unknown> }[] }>(
      base(),
      `events/${id}/trace`,
    );
    assert.equal(trace.status, 200);
    const steps = trace.body.steps.map((s) => s.step);
    assert.equal(steps[0], 'ingested');
    assert.ok(steps.includes('matched'));
    const peeked = await api<MessagePage>(base(), 'queues/scratch/messages');
    const message = peeked.body.messages[0];
    assert.equal(message?.eventId, id);
    // Deleted from the console: the trace says so.
    const deleted = await post<{ deleted: string[] }>('queues/scratch/messages/delete', {
      messageIds: [message?.messageId],
    });
    assert.deepEqual(deleted.body.deleted, [message?.messageId]);
    const after = await api<{ steps: { step: string; detail: Record<string, unknown> }[] }>(
      base(),
      `events/${id}/trace`,
    );
    const last = after.body.steps.at(-1);
    assert.equal(last?.step, 'deleted');
    assert.deepEqual(last?.detail, { queue: 'scratch', messageId: message?.messageId, by: 'console' });
  });

  it('serves the console page itself with a strict content security policy', async () => {
    const res = await fetch(`${base()}/console/`);
    if (res.status === 503) {
      assert.match(await res.text(), /npm run build:console/);
      return;
    }
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const traversal = await fetch(`${base()}/console/%2e%2e/%2e%2e/package.json`);
    assert.equal(traversal.status, 404);
  });
});

describe('console API beyond loopback', () => {
  const token = 'a-long-console-token-for-tests';

  it('asks for the token, keeps a session, and wants the CSRF token on POSTs', async () => {
    const t = await startTestServer({ host: '0.0.0.0', consoleToken: token });
    try {
      const base = `http://127.0.0.1:${t.server.port}`;
      const session = await api<SessionInfo>(base, 'session');
      assert.deepEqual(
        [session.body.authRequired, session.body.authenticated, session.body.csrfToken],
        [true, false, undefined],
      );
      assert.equal((await api<ApiError>(base, 'overview')).status, 401);
      const wrong = await api<ApiError>(base, 'login', { body: { token: 'guess' } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'Unauthorized');

      const login = await api<SessionInfo>(base, 'login', { body: { token } });
      assert.equal(login.status, 200);
      const setCookie = login.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      const cookie = setCookie.split(';')[0] ?? '';
      const csrf = login.body.csrfToken;
      assert.ok(csrf);
      assert.equal((await api<Overview>(base, 'overview', { cookie })).status, 200);
      assert.equal((await api<SessionInfo>(base, 'session', { cookie })).body.authenticated, true);

      await t.sqs.send(new CreateQueueCommand({ QueueName: 'guarded' }));
      const noCsrf = await api<ApiError>(base, 'queues/guarded/send', { body: { body: 'x' }, cookie });
      assert.equal(noCsrf.status, 403);
      const withCsrf = await api<{ messageId: string }>(base, 'queues/guarded/send', {
        body: { body: 'x' },
        cookie,
        csrf,
      });
      assert.equal(withCsrf.status, 200);
      // Scripts use the token itself.
      assert.equal((await api<Overview>(base, 'overview', { bearer: token })).status, 200);
      assert.equal((await api<Overview>(base, 'overview', { bearer: 'nope' })).status, 401);

      const logout = await api<{ ok: boolean }>(base, 'logout', { body: {}, cookie, csrf });
      assert.equal(logout.status, 200);
      assert.equal((await api<ApiError>(base, 'overview', { cookie })).status, 401);
    } finally {
      await t.stop();
    }
  });

  it('keeps the console locked when no token is configured', async () => {
    const t = await startTestServer({ host: '0.0.0.0' });
    try {
      const base = `http://127.0.0.1:${t.server.port}`;
      const res = await api<ApiError>(base, 'overview');
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'ConsoleLocked');
      assert.match(res.body.error.message, /SWITCHYARD_CONSOLE_TOKEN/);
      const session = await api<SessionInfo>(base, 'session');
      assert.deepEqual([session.body.authRequired, session.body.locked], [true, true]);
    } finally {
      await t.stop();
    }
  });
});
