// Scheduled rules fire on a manual clock: rate and cron, one fire per due time, nothing for disabled rules,
// and the schedule survives a restart of the worker without firing twice.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { EventBusService } from '../../src/services/event-bus-service.js';
import { EventMetrics } from '../../src/services/event-metrics.js';
import { EventRouter } from '../../src/services/event-router.js';
import { ScheduleWorker } from '../../src/services/schedule-worker.js';
import { ACCOUNT, REGION } from '../helpers/account.js';
import { ctx, dispose, type Harness, harness, harnessHelpers } from '../helpers/service.js';

describe('ScheduleWorker', () => {
  let h: Harness;
  let buses: EventBusService;
  let router: EventRouter;
  const { createQueue, receive } = harnessHelpers(() => h);
  const worker = () => new ScheduleWorker({ store: h.store, clock: h.clock, router, region: REGION });

  beforeEach(async () => {
    h = harness();
    h.clock.set(Date.UTC(2026, 10, 25, 9, 58, 30));
    router = new EventRouter({ store: h.store, clock: h.clock, wakeups: h.wakeups, metrics: new EventMetrics() });
    buses = new EventBusService({ store: h.store, clock: h.clock, limits: DEFAULT_LIMITS, router });
    await buses.ensureDefaultBus(ACCOUNT);
  });
  afterEach(() => dispose(h));

  async function scheduled(name: string, expression: string) {
    const url = await createQueue(`${name}-q`);
    await buses.putRule(ctx, { Name: name, ScheduleExpression: expression });
    await buses.putTargets(ctx, {
      Rule: name,
      Targets: [{ Id: 'q', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}-q` }],
    });
    return url;
  }

  /** The messages in the queue, deleted as they are read. */
  async function bodies(url: string) {
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    for (const m of messages) await h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: m.ReceiptHandle });
    return messages.map((m) => JSON.parse(m.Body) as Record<string, unknown>);
  }

  test('a rate rule fires one period after it was created, then every period, with the Scheduled Event envelope', async () => {
    const url = await scheduled('every-minute', 'rate(1 minute)');
    const w = worker();
    await w.step();
    assert.deepEqual(await bodies(url), [], 'nothing before the first period');
    h.clock.advance(59_000);
    await w.step();
    assert.deepEqual(await bodies(url), []);
    h.clock.advance(1_000);
    await w.step();
    await w.step();
    const [event, ...rest] = await bodies(url);
    assert.equal(rest.length, 0, 'one fire per due time');
    assert.ok(event);
    assert.equal(event.source, 'aws.events');
    assert.equal(event['detail-type'], 'Scheduled Event');
    assert.equal(event.time, '2026-11-25T09:59:30Z');
    assert.deepEqual(event.resources, [`arn:aws:events:${REGION}:${ACCOUNT}:rule/every-minute`]);
    assert.deepEqual(event.detail, {});
    assert.equal(event.account, ACCOUNT);
    h.clock.advance(60_000);
    await w.step();
    assert.equal((await bodies(url)).length, 1);
  });

  test('a cron rule fires at its UTC times; missed fires while stopped count once', async () => {
    const url = await scheduled('ten-oclock', 'cron(0 10 * * ? *)');
    const w = worker();
    await w.step();
    h.clock.set(Date.UTC(2026, 10, 25, 10, 0, 0));
    await w.step();
    const [first] = await bodies(url);
    assert.equal(first?.time, '2026-11-25T10:00:00Z');
    // Three days pass with the server down: one fire stands for the missed ones.
    h.clock.set(Date.UTC(2026, 10, 28, 12, 0, 0));
    const restarted = worker();
    await restarted.step();
    await restarted.step();
    assert.equal((await bodies(url)).length, 1);
    h.clock.set(Date.UTC(2026, 10, 29, 10, 0, 0));
    await restarted.step();
    const [next] = await bodies(url);
    assert.equal(next?.time, '2026-11-29T10:00:00Z');
  });

  test('a disabled rule does not fire; enabling it restarts its rate from then', async () => {
    const url = await scheduled('paused', 'rate(2 minutes)');
    const w = worker();
    await w.step();
    await buses.disableRule(ctx, { Name: 'paused' });
    h.clock.advance(10 * 60_000);
    await w.step();
    assert.deepEqual(await bodies(url), []);
    await buses.enableRule(ctx, { Name: 'paused' });
    await w.step();
    h.clock.advance(60_000);
    await w.step();
    assert.deepEqual(await bodies(url), [], 'the period counts from the enable');
    h.clock.advance(60_000);
    await w.step();
    assert.equal((await bodies(url)).length, 1);
  });

  test('changing the expression reschedules; deleting the rule stops it', async () => {
    const url = await scheduled('changing', 'rate(1 hour)');
    const w = worker();
    await w.step();
    await buses.putRule(ctx, { Name: 'changing', ScheduleExpression: 'rate(5 minutes)' });
    await w.step();
    h.clock.advance(5 * 60_000);
    await w.step();
    assert.equal((await bodies(url)).length, 1);
    await buses.deleteRule(ctx, { Name: 'changing', Force: true });
    h.clock.advance(60 * 60_000);
    await w.step();
    assert.deepEqual(await bodies(url), []);
  });
});
