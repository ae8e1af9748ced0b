// The web console in a real browser (Debian's chromium through playwright-core) against a real server: the pages
// follow the server without a reload, a consumer's dead-lettered message is shown with its source and failure and
// repushed with a move task, the rule tester shows transformed payloads, the trace follows an event, alarms chart
// their threshold, and a server beyond loopback asks for its token. Screenshots go to test-artifacts/console/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEventBusCommand,
  DescribeRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { consume, SwitchyardFailureLog } from '../../src/client/index.js';
import type { SessionInfo } from '../../src/console/api-types.js';
import { CONSOLE_WEB_DIR } from '../../src/console/console-static.js';
import { arnOf } from '../helpers/account.js';
import { stoppedAfterEach } from '../helpers/consumers.js';
import { cloudWatchClient, eventBridgeClient, startTestServer, testServerForFile } from '../helpers/server.js';
import { drain, sqsHelpers } from '../helpers/sqs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSOLE_SRC = path.join(ROOT, 'console');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'console');
const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium';
/** Pages poll every 3 s: anything they show after a change on the server takes up to that, plus the fetch. */
const UI_TIMEOUT = 15_000;

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir).map((name) => {
      const full = path.join(dir, name);
      const stat = statSync(full);
      return stat.isDirectory() ? newestMtime(full) : stat.mtimeMs;
    }),
  );
}

/** Builds the console when dist has none, or one older than its sources: the server serves what Vite wrote. */
function ensureConsoleBuilt(): void {
  const index = path.join(CONSOLE_WEB_DIR, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(CONSOLE_SRC)) return;
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const built = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (built.status !== 0 || !existsSync(index)) {
    throw new Error(
      `the console is not built (${index} missing) and \`npm run build:console\` failed:\n${built.stdout}${built.stderr}`,
    );
  }
}

function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no chromium at ${CHROMIUM}: install Debian's chromium, or set SWITCHYARD_CHROMIUM to a browser`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/** A page of a fresh browser context, with its script errors and failed API calls collected. */
interface Tab {
  page: Page;
  context: BrowserContext;
  problems: string[];
  close(): Promise<void>;
}

async function openTab(browser: Browser, url: string): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(UI_TIMEOUT);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  await page.goto(url);
  return { page, context, problems, close: () => context.close() };
}

/** No script error, and no API error shown to the user. */
async function assertClean(tab: Tab, allowed: RegExp[] = []): Promise<void> {
  const problems = tab.problems.filter((p) => !allowed.some((re) => re.test(p)));
  assert.deepEqual(problems, [], 'the page ran without errors');
  assert.equal(await tab.page.locator('#alert').isVisible(), false, 'no error banner');
}

async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The data-step of each step of the trace timeline, in order. */
async function traceSteps(page: Page): Promise<string[]> {
  const steps = await page.getByTestId('trace-step').all();
  return Promise.all(steps.map(async (s) => (await s.getAttribute('data-step')) ?? ''));
}

function isSubsequence(wanted: string[], list: string[]): boolean {
  let i = 0;
  for (const item of list) if (item === wanted[i]) i += 1;
  return i === wanted.length;
}

describe('web console on loopback', () => {
  const t = testServerForFile();
  const { createQueue } = sqsHelpers(() => t.sqs);
  const consumers = stoppedAfterEach();
  let browser: Browser;
  const consoleUrl = (hash = '#/') => `${t.server.url}/console/${hash}`;
  const open = (hash?: string) => openTab(browser, consoleUrl(hash));

  before(async () => {
    ensureConsoleBuilt();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('the overview lists every queue and follows its counts without a reload', async () => {
    const url = await createQueue('orders-live');
    const tab = await open('#/');
    try {
      const { page } = tab;
      const visible = page.locator('[data-testid="queue-row-orders-live"] td[data-col="visible"]');
      await visible.filter({ hasText: /^0$/ }).waitFor();
      // A marker on the window survives polling but not a reload.
      await page.evaluate('window.__sameDocument = true');
      for (let i = 0; i < 3; i++) {
        await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ order: `o-${i}` }) }));
      }
      await visible.filter({ hasText: /^3$/ }).waitFor();
      assert.equal(await page.evaluate('window.__sameDocument'), true, 'the count changed without a reload');
      assert.match(
        (await page.locator('[data-testid="queue-row-orders-live"] td[data-col="oldest"]').textContent()) ?? '',
        /^\d+s$/,
      );
      await screenshot(page, 'overview');
      await assertClean(tab);
    } finally {
      await tab.close();
    }
  });

  it('the queue page peeks messages, sends a test message, and purges after a typed confirmation', async () => {
    const url = await createQueue('scratch');
    await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"peek":"me"}' }));
    const tab = await open('#/queues/scratch');
    try {
      const { page } = tab;
      await page.locator('tbody.message').first().waitFor();
      await page.getByTestId('send-body').fill('{"from":"the console test"}');
      await page.getByTestId('send-submit').click();
      await page
        .getByTestId('status')
        .filter({ hasText: /Sent message/ })
        .waitFor();
      await page.locator('td[data-col="body"]', { hasText: 'the console test' }).waitFor();
      assert.equal(await page.locator('tbody.message').count(), 2);
      // Peeking leaves the messages as they were: nothing received them.
      assert.deepEqual(await page.getByTestId('message-receive-count').allTextContents(), ['0', '0']);
      await page.getByTestId('message-expand').first().click();
      await page.getByTestId('message-body').first().filter({ hasText: '"peek": "me"' }).waitFor();
      await screenshot(page, 'queue');

      // The purge dialog: Escape cancels and gives focus back to the button that opened it.
      const purge = page.getByTestId('purge-button');
      await purge.click();
      const dialog = page.locator('dialog[open]');
      await dialog.waitFor();
      assert.equal(await page.getByTestId('confirm-button').isDisabled(), true, 'confirm waits for the name');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      assert.equal(await page.evaluate('document.activeElement?.dataset.testid'), 'purge-button');
      assert.equal(await page.locator('tbody.message').count(), 2, 'nothing purged on cancel');

      await purge.click();
      await page.getByTestId('confirm-input').fill('scratch');
      await page.getByTestId('confirm-button').click();
      await page.getByTestId('no-messages').waitFor();
      await page.getByTestId('status').filter({ hasText: 'Purged scratch' }).waitFor();
      await assertClean(tab);
    } finally {
      await tab.close();
    }
  });

  let deadIds: string[] = [];
  let paymentsUrl = '';

  it('a message a consumer kept failing on shows in its DLQ with the source queue and the failure', async () => {
    await createQueue('payments-dlq');
    paymentsUrl = await createQueue('payments', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('payments-dlq'), maxReceiveCount: 2 }),
    });
    deadIds = [];
    for (const order of ['o-1', 'o-2']) {
      const sent = await t.sqs.send(
        new SendMessageCommand({ QueueUrl: paymentsUrl, MessageBody: JSON.stringify({ order }) }),
      );
      assert.ok(sent.MessageId);
      deadIds.push(sent.MessageId);
    }
    const consumer = consumers.track(
      consume({
        client: t.sqs,
        queueUrl: paymentsUrl,
        waitTimeSeconds: 1,
        retry: { baseDelaySeconds: 0, maxDelaySeconds: 0 },
        failureLog: new SwitchyardFailureLog({ client: t.sqs }),
        handler: async () => {
          throw Object.assign(new Error('card declined'), { code: 'PaymentDeclined' });
        },
      }),
    );
    await consumer.start();
    const tab = await open('#/queues/payments-dlq');
    try {
      const { page } = tab;
      await page.getByTestId('dlq-tag').waitFor();
      for (const id of deadIds) {
        const row = page.getByTestId(`message-row-${id}`);
        await row.waitFor({ timeout: 30_000 });
        await row.getByTestId('message-failure').filter({ hasText: 'PaymentDeclined' }).waitFor();
        assert.equal(await row.getByTestId('message-source').textContent(), 'payments');
        assert.match((await row.getByTestId('message-failure').textContent()) ?? '', /card declined/);
        assert.equal(await row.getByTestId('message-receive-count').textContent(), '2');
      }
      await consumer.stop();
      await screenshot(page, 'dlq');

      // The overview flags the source queue's dead-letter queue.
      await page.goto(consoleUrl('#/'));
      const badge = page.getByTestId('dlq-depth-payments');
      await badge.filter({ hasText: /^2$/ }).waitFor();
      assert.match((await badge.getAttribute('class')) ?? '', /badge-danger/);
      await assertClean(tab);
    } finally {
      await tab.close();
    }
  });

  it('repush moves one selected message, then the rest with a move task whose progress bar completes', async () => {
    assert.equal(deadIds.length, 2, 'the previous test dead-lettered two messages');
    const [first, second] = deadIds as [string, string];
    const tab = await open('#/queues/payments-dlq');
    try {
      const { page } = tab;
      // Selected messages: POST messages/move, back to their source queue.
      await page.getByTestId(`message-row-${first}`).getByTestId('message-select').check();
      await page.getByTestId('repush-button').click();
      await page.getByTestId(`message-row-${first}`).waitFor({ state: 'detached' });
      await page.getByTestId('status').filter({ hasText: 'Moved 1 message(s) to their source queues' }).waitFor();
      await page.getByTestId(`message-row-${second}`).waitFor();

      // Every message: POST redrive, a move task at a rate, followed by its progress bar.
      await page.getByTestId('move-scope-all').check();
      await page.getByTestId('move-rate').fill('5');
      await page.getByTestId('repush-button').click();
      const progress = page.getByTestId('move-progress');
      await page.locator('[data-testid="move-progress"][data-status="COMPLETED"]').waitFor();
      assert.equal(await progress.getAttribute('aria-valuenow'), '1');
      assert.equal(await progress.getAttribute('aria-valuemax'), '1');
      assert.match((await page.getByTestId('move-status').textContent()) ?? '', /1 of 1 · COMPLETED · 5\/s/);
      await page.getByTestId('no-messages').waitFor();
      await screenshot(page, 'dlq-repushed');
      await assertClean(tab);
    } finally {
      await tab.close();
    }
    const back = await drain(t.sqs, paymentsUrl, { VisibilityTimeout: 30, max: 2 });
    assert.deepEqual(back.map((m) => JSON.parse(m.Body ?? '{}').order).sort(), ['o-1', 'o-2']);
  });

  it('the rule tester shows the matching rule and the payload after its input transformer; rules toggle', async () => {
    const eb = eventBridgeClient(t.server.url);
    try {
      await eb.send(new CreateEventBusCommand({ Name: 'shop' }));
      await createQueue('order-events');
      await eb.send(
        new PutRuleCommand({
          Name: 'orders-created',
          EventBusName: 'shop',
          EventPattern: JSON.stringify({ source: ['shop.orders'], 'detail-type': ['Order Created'] }),
        }),
      );
      await eb.send(
        new PutTargetsCommand({
          Rule: 'orders-created',
          EventBusName: 'shop',
          Targets: [
            {
              Id: 'to-queue',
              Arn: arnOf('order-events'),
              InputTransformer: {
                InputPathsMap: { order: '$.detail.orderId', total: '$.detail.total' },
                InputTemplate: '{"order": <order>, "total": <total>, "via": "console"}',
              },
            },
          ],
        }),
      );
      await eb.send(
        new PutRuleCommand({
          Name: 'returns',
          EventBusName: 'shop',
          EventPattern: JSON.stringify({ source: ['shop.returns'] }),
        }),
      );
      const tab = await open('#/buses');
      try {
        const { page } = tab;
        await page.getByTestId('rule-row-orders-created').waitFor();
        await page.getByTestId('rule-tester-bus').selectOption('shop');
        await page.getByTestId('rule-tester-input').fill(
          JSON.stringify({
            source: 'shop.orders',
            'detail-type': 'Order Created',
            detail: { orderId: 'o-42', total: 99.5 },
          }),
        );
        await page.getByTestId('rule-tester-submit').click();
        const match = page.getByTestId('rule-match-orders-created');
        await match.waitFor();
        const payload = (await match.getByTestId('rule-test-payload').textContent()) ?? '';
        assert.deepEqual(JSON.parse(payload), { order: 'o-42', total: 99.5, via: 'console' });
        assert.equal(await page.getByTestId('rule-match-returns').count(), 0);
        assert.match((await page.getByTestId('rule-test-unmatched').textContent()) ?? '', /returns/);
        await screenshot(page, 'buses');

        await page.getByTestId('rule-toggle-returns').click();
        await page.getByTestId('rule-row-returns').getByTestId('rule-state').filter({ hasText: 'DISABLED' }).waitFor();
        const rule = await eb.send(new DescribeRuleCommand({ Name: 'returns', EventBusName: 'shop' }));
        assert.equal(rule.State, 'DISABLED');
        await assertClean(tab);
      } finally {
        await tab.close();
      }
    } finally {
      eb.destroy();
    }
  });

  it("the event trace shows a delivered event's path, reached from its message and by searching its id", async () => {
    const eb = eventBridgeClient(t.server.url);
    let eventId: string;
    try {
      const put = await eb.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: 'shop',
              Source: 'shop.orders',
              DetailType: 'Order Created',
              Detail: JSON.stringify({ orderId: 'o-77', total: 10 }),
            },
          ],
        }),
      );
      assert.equal(put.FailedEntryCount, 0);
      eventId = put.Entries?.[0]?.EventId ?? '';
      assert.ok(eventId);
    } finally {
      eb.destroy();
    }
    const tab = await open('#/queues/order-events');
    try {
      const { page } = tab;
      // The message born from the event links to its trace.
      await page.locator(`a[data-testid="message-event-link"][href="#/trace/${eventId}"]`).click();
      await page.locator('[data-testid="trace-step"][data-step="ingested"]').waitFor();
      assert.equal(new URL(page.url()).hash, `#/trace/${eventId}`);

      const queueUrl = `${t.server.url}/000000000000/order-events`;
      const received = await drain(t.sqs, queueUrl, { VisibilityTimeout: 30, max: 1 });
      assert.equal(received.length, 1);
      await t.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: received[0]?.ReceiptHandle }));
      // The open trace follows the receive and the delete on its own.
      await page.locator('[data-testid="trace-step"][data-step="deleted"]').waitFor();
      const steps = await traceSteps(page);
      assert.ok(
        isSubsequence(['ingested', 'matched', 'invoked', 'received', 'deleted'], steps),
        `path in order: ${steps.join(' → ')}`,
      );
      await screenshot(page, 'trace');

      await page.goto(consoleUrl('#/trace'));
      await page.getByTestId('trace-input').fill(eventId);
      await page.getByTestId('trace-submit').click();
      await page.locator('[data-testid="trace-step"][data-step="deleted"]').waitFor();
      assert.deepEqual(await traceSteps(page), steps);
      await assertClean(tab);
    } finally {
      await tab.close();
    }
  });

  it("alarms list their state; an alarm's page charts its metric with the threshold line and its history", async () => {
    const cw = cloudWatchClient(t.server.url);
    try {
      await cw.send(
        new PutMetricAlarmCommand({
          AlarmName: 'orders-live-backlog',
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: 'orders-live' }],
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 2,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
    } finally {
      cw.destroy();
    }
    const tab = await open('#/alarms');
    try {
      const { page } = tab;
      const row = page.getByTestId('alarm-row-orders-live-backlog');
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /ApproximateNumberOfMessagesVisible/);
      await screenshot(page, 'alarms');
      await row.getByRole('link', { name: 'orders-live-backlog' }).click();
      const chart = page.locator('[data-testid="alarm-chart"][data-threshold="2"]');
      await chart.waitFor();
      await chart.locator('canvas').waitFor();
      assert.match((await page.getByTestId('alarm-state').textContent()) ?? '', /^(OK|ALARM|INSUFFICIENT DATA)$/);
      await page.getByTestId('alarm-history').locator('li').first().waitFor();
      await screenshot(page, 'alarm');
      await assertClean(tab);
    } finally {
      await tab.close();
    }
  });

  it('the overview of a busy server (the picture in docs/)', async () => {
    // Something in a dead-letter queue, so the picture shows the highlight: a receive past maxReceiveCount 1.
    await createQueue('shipping-dlq');
    const shipping = await createQueue('shipping', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('shipping-dlq'), maxReceiveCount: 1 }),
    });
    await t.sqs.send(new SendMessageCommand({ QueueUrl: shipping, MessageBody: '{"parcel":"p-1"}' }));
    await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: shipping, VisibilityTimeout: 0 }));
    await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: shipping, VisibilityTimeout: 0 }));
    const tab = await open('#/');
    try {
      const { page } = tab;
      await page.getByTestId('dlq-depth-shipping').filter({ hasText: /^1$/ }).waitFor();
      await page.getByTestId('alarm-row-orders-live-backlog').waitFor();
      await page.getByTestId('bus-row-shop').waitFor();
      const file = await screenshot(page, 'overview-busy');
      mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
      copyFileSync(file, path.join(ROOT, 'docs', 'console-overview.png'));
      await assertClean(tab);
    } finally {
      await tab.close();
    }
  });
});

describe('web console beyond loopback', () => {
  const token = 'console-browser-test-token';
  let browser: Browser;

  before(async () => {
    ensureConsoleBuilt();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('asks for the token, refuses a wrong one, shows the overview for the right one, and wants CSRF on POSTs', async () => {
    const server = await startTestServer({ host: '0.0.0.0', consoleToken: token });
    const base = `http://127.0.0.1:${server.server.port}`;
    try {
      const session = (await (await fetch(`${base}/console/api/session`)).json()) as SessionInfo;
      assert.equal(session.authRequired, true);
      assert.equal(session.authenticated, false);
      await sqsHelpers(() => server.sqs).createQueue('guarded');

      const tab = await openTab(browser, `${base}/console/`);
      try {
        const { page } = tab;
        await page.getByTestId('login-form').waitFor();
        assert.equal(await page.getByTestId('queues-table').count(), 0, 'nothing shown before the login');
        await screenshot(page, 'login');

        await page.getByTestId('login-token').fill('not-the-token');
        await page.getByTestId('login-submit').click();
        await page.getByTestId('login-error').filter({ hasText: 'Unauthorized' }).waitFor();

        await page.getByTestId('login-token').fill(token);
        await page.getByTestId('login-submit').click();
        await page.getByTestId('queue-row-guarded').waitFor();
        assert.equal(await page.getByTestId('login-form').count(), 0);

        // The browser's session cookie alone does not make a POST: the CSRF header must come with it.
        const sendUrl = `${base}/console/api/queues/guarded/send`;
        const refused = await page.request.post(sendUrl, { data: { body: 'no csrf' } });
        assert.equal(refused.status(), 403);
        const live = (await (await page.request.get(`${base}/console/api/session`)).json()) as SessionInfo;
        assert.equal(live.authenticated, true);
        assert.ok(live.csrfToken);
        const accepted = await page.request.post(sendUrl, {
          data: { body: 'with csrf' },
          headers: { 'x-switchyard-csrf': live.csrfToken },
        });
        assert.equal(accepted.status(), 200);

        await page.locator('#logout').click();
        await page.getByTestId('login-form').waitFor();
        // The wrong token's 401 was logged by the browser as a failed resource: expected here.
        await assertClean(tab, [/status of 401/]);
      } finally {
        await tab.close();
      }
    } finally {
      await server.stop();
    }
  });
});
