// The plan (pure): what must change for a server to match a topology file, in an order that can be applied, and
// nothing that is not the file's to change.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplyError, applyPlan, type TopologyClients } from '../../src/topology/apply.js';
import { type CurrentState, EMPTY_STATE } from '../../src/topology/current.js';
import { parseTopology } from '../../src/topology/load.js';
import type { Tags, Topology, TopologyQueue } from '../../src/topology/model.js';
import {
  formatPlan,
  MANAGED_TAG_KEY,
  MANAGED_TAG_VALUE,
  type Plan,
  plan,
  planToJson,
  type QueueChange,
} from '../../src/topology/plan.js';

const yaml = (...lines: string[]) => parseTopology(`${lines.join('\n')}\n`, 'test.yaml');
const managed = (tags: Tags): Tags => ({ ...tags, [MANAGED_TAG_KEY]: MANAGED_TAG_VALUE });

/** A server that has exactly `topology`, as apply would have left it (every resource tagged as the topology's). */
function serverWith(topology: Topology, tagged = true): CurrentState {
  const tag = (tags: Tags) => (tagged ? managed(tags) : tags);
  return {
    queues: topology.queues.map((q) => ({ ...q, tags: tag(q.tags) })),
    buses: topology.buses.map((b) => ({ ...b, tags: tag(b.tags) })),
    rules: topology.rules.map((r) => ({ ...r, tags: tag(r.tags) })),
    alarms: topology.alarms.map((a) => ({ ...a, tags: tag(a.tags) })),
  };
}

/** `+ queue a`, `- rule b`: each change's first line. */
const heads = (p: Plan) =>
  formatPlan(p)
    .split('\n')
    .filter((l) => /^[+~-] /.test(l));

const SHOP = yaml(
  'version: 1',
  'queues:',
  '  orders:',
  '    deadLetterQueue: orders-dlq',
  '    tags: { team: orders }',
  '  orders-dlq: {}',
  '  alerts: {}',
  'buses:',
  '  shop: { description: Shop events }',
  'rules:',
  '  orders-to-queue:',
  '    bus: shop',
  '    description: Orders',
  '    pattern: { source: [shop.orders], detail-type: [Order Created] }',
  '    targets:',
  '      - id: q',
  '        queue: orders',
  '        deadLetterQueue: orders-dlq',
  '  tick:',
  '    schedule: rate(5 minutes)',
  '    targets: [{ id: q, queue: alerts }]',
  'alarms:',
  '  dlq-not-empty:',
  '    namespace: AWS/SQS',
  '    metric: ApproximateNumberOfMessagesVisible',
  '    dimensions: { QueueName: orders-dlq }',
  '    statistic: Maximum',
  '    period: 60',
  '    evaluationPeriods: 1',
  '    threshold: 0',
  '    comparison: GreaterThanThreshold',
  '    actions: { alarm: [{ queue: alerts }] }',
);

describe('plan', () => {
  test('an empty server: everything created, dead-letter queues before their sources, then buses, rules, targets, alarms', () => {
    const p = plan(SHOP, EMPTY_STATE);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(heads(p), [
      '+ queue orders-dlq',
      '+ queue orders',
      '+ queue alerts',
      '+ bus shop',
      '+ rule orders-to-queue (bus shop)',
      '+ rule tick',
      '+ target orders-to-queue/q (bus shop)',
      '+ target tick/q',
      '+ alarm dlq-not-empty',
    ]);
    assert.match(formatPlan(p), /\nPlan: 9 to create, 0 to update, 0 to delete\.$/);
    // What apply will write carries the ownership tag, besides the file's own.
    const orders = p.changes.find((c): c is QueueChange => c.kind === 'queue' && c.name === 'orders');
    assert.deepEqual(orders?.desired?.tags, { team: 'orders', [MANAGED_TAG_KEY]: MANAGED_TAG_VALUE });
  });

  test('a server that matches: no changes', () => {
    const p = plan(SHOP, serverWith(SHOP));
    assert.deepEqual(p, { changes: [], errors: [], unmanaged: [] });
    assert.equal(formatPlan(p), 'No changes.');
    assert.deepEqual(planToJson(p).summary, { create: 0, update: 0, delete: 0 });
  });

  test('updates name each field that differs, from → to', () => {
    const current = serverWith(SHOP);
    const edited: CurrentState = {
      ...current,
      queues: current.queues.map((q) =>
        q.name === 'orders' ? { ...q, visibilityTimeout: 60, tags: managed({ team: 'shop', old: 'x' }) } : q,
      ),
      rules: current.rules.map((r) =>
        r.name === 'orders-to-queue'
          ? {
              ...r,
              description: undefined,
              state: 'DISABLED' as const,
              targets: r.targets.map((t) => ({ ...t, retryPolicy: { ...t.retryPolicy, maximumRetryAttempts: 3 } })),
            }
          : r,
      ),
      alarms: current.alarms.map((a) => ({ ...a, threshold: 5, tags: managed({ team: 'ops' }) })),
    };
    const p = plan(SHOP, edited);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(formatPlan(p).split('\n'), [
      '~ queue orders:',
      '    visibilityTimeout 60 → 30',
      '    tags.team "shop" → "orders"',
      '    tags.old "x" → (none)',
      '~ rule orders-to-queue (bus shop):',
      '    description (none) → "Orders"',
      '    state "DISABLED" → "ENABLED"',
      '~ target orders-to-queue/q (bus shop): retryPolicy.maximumRetryAttempts 3 → 185',
      '~ alarm dlq-not-empty:',
      '    threshold 5 → 0',
      '    tags.team "ops" → (none)',
      '',
      'Plan: 0 to create, 4 to update, 0 to delete.',
    ]);
  });

  test('a resource of the file that exists without the ownership tag is adopted: the tag is added', () => {
    const p = plan(SHOP, serverWith(SHOP, false));
    assert.deepEqual(
      p.changes.map((c) => `${c.action} ${c.kind} ${c.name}`),
      [
        'update queue orders-dlq',
        'update queue orders',
        'update queue alerts',
        'update bus shop',
        'update rule orders-to-queue',
        'update rule tick',
        'update alarm dlq-not-empty',
      ],
    );
    assert.match(formatPlan(p), /^~ queue orders-dlq: tags\.switchyard:managed-by \(none\) → "topology"$/m);
  });

  test('deletes: only what carries the ownership tag, dependents first (targets, rules, buses, alarms, sources, DLQs)', () => {
    const p = plan(yaml('version: 1'), serverWith(SHOP));
    assert.deepEqual(p.errors, []);
    assert.deepEqual(heads(p), [
      '- target orders-to-queue/q (bus shop)',
      '- rule orders-to-queue (bus shop)',
      '- target tick/q',
      '- rule tick',
      '- bus shop',
      '- alarm dlq-not-empty',
      '- queue alerts',
      '- queue orders',
      '- queue orders-dlq',
    ]);
    assert.deepEqual(p.unmanaged, []);
    assert.match(formatPlan(p), /\nPlan: 0 to create, 0 to update, 9 to delete\.$/);
  });

  test('what is neither in the file nor tagged as its own is left alone and listed', () => {
    const current = serverWith(SHOP, false);
    const p = plan(yaml('version: 1', 'queues:', '  alerts: {}'), {
      ...current,
      queues: current.queues.map((q) => (q.name === 'alerts' ? { ...q, tags: managed({}) } : q)),
    });
    assert.deepEqual(p.changes, []);
    assert.deepEqual(p.unmanaged, [
      { kind: 'queue', name: 'orders' },
      { kind: 'queue', name: 'orders-dlq' },
      { kind: 'bus', name: 'shop' },
      { kind: 'rule', name: 'tick', bus: 'default' },
      { kind: 'rule', name: 'orders-to-queue', bus: 'shop' },
      { kind: 'alarm', name: 'dlq-not-empty' },
    ]);
    assert.equal(
      formatPlan(p),
      [
        'Not in the file and not managed by it (left alone):',
        '  queue orders',
        '  queue orders-dlq',
        '  bus shop',
        '  rule tick',
        '  rule orders-to-queue (bus shop)',
        '  alarm dlq-not-empty',
        '',
        'No changes.',
      ].join('\n'),
    );
  });

  test('the default bus is never created or deleted', () => {
    const p = plan(yaml('version: 1'), {
      ...EMPTY_STATE,
      buses: [{ name: 'default', tags: managed({}) }],
    });
    assert.deepEqual(p, { changes: [], errors: [], unmanaged: [] });
  });

  test('event patterns are compared as JSON: key order does not matter, a value does', () => {
    const current = serverWith(SHOP);
    const reordered = { 'detail-type': ['Order Created'], source: ['shop.orders'] };
    const withPattern = (pattern: Record<string, unknown>): CurrentState => ({
      ...current,
      rules: current.rules.map((r) =>
        r.name === 'orders-to-queue'
          ? { ...r, trigger: { kind: 'pattern' as const, pattern, json: JSON.stringify(pattern, null, 2) } }
          : r,
      ),
    });
    assert.deepEqual(plan(SHOP, withPattern(reordered)).changes, []);
    const changed = plan(SHOP, withPattern({ ...reordered, source: ['shop.returns'] }));
    assert.equal(
      formatPlan(changed).split('\n')[0],
      '~ rule orders-to-queue (bus shop): pattern {"detail-type":["Order Created"],"source":["shop.returns"]} → {"source":["shop.orders"],"detail-type":["Order Created"]}',
    );
  });

  test('a schedule becoming a pattern is one update of both fields', () => {
    const current = serverWith(SHOP);
    const p = plan(SHOP, {
      ...current,
      rules: current.rules.map((r) =>
        r.name === 'tick' ? { ...r, trigger: { kind: 'pattern' as const, pattern: { source: ['x'] }, json: '' } } : r,
      ),
    });
    assert.deepEqual(formatPlan(p).split('\n').slice(0, 3), [
      '~ rule tick:',
      '    pattern {"source":["x"]} → (none)',
      '    schedule (none) → "rate(5 minutes)"',
    ]);
  });

  test('targets: ids no longer in the file are removed before the rule gets its new ones', () => {
    const current = serverWith(SHOP);
    const p = plan(SHOP, {
      ...current,
      rules: current.rules.map((r) =>
        r.name === 'tick' ? { ...r, targets: r.targets.map((t) => ({ ...t, id: 'old' })) } : r,
      ),
    });
    assert.deepEqual(heads(p), ['- target tick/old', '+ target tick/q']);
    assert.match(formatPlan(p), /\nPlan: 1 to create, 0 to update, 1 to delete\.$/);
  });

  test('a rule moved to another bus: created on the new one, deleted from the old one', () => {
    const current = serverWith(SHOP);
    const p = plan(SHOP, {
      ...current,
      rules: current.rules.map((r) => (r.name === 'orders-to-queue' ? { ...r, bus: 'default' } : r)),
    });
    assert.deepEqual(heads(p), [
      '+ rule orders-to-queue (bus shop)',
      '+ target orders-to-queue/q (bus shop)',
      '- target orders-to-queue/q',
      '- rule orders-to-queue',
    ]);
  });

  test("a queue's type cannot change: an error, and a plan with errors is not applied", async () => {
    const current = serverWith(SHOP);
    const orders = current.queues.find((q) => q.name === 'orders') as TopologyQueue;
    const fifo: TopologyQueue = {
      ...orders,
      fifo: true,
      contentBasedDeduplication: false,
      deduplicationScope: 'queue',
      fifoThroughputLimit: 'perQueue',
    };
    const p = plan(SHOP, { ...current, queues: current.queues.map((q) => (q.name === 'orders' ? fifo : q)) });
    assert.deepEqual(p.changes, []);
    assert.equal(p.errors.length, 1);
    assert.match(p.errors[0] ?? '', /^cannot change fifo of queue orders \(true → false\).*delete it first$/);
    const text = formatPlan(p);
    assert.match(text, /^Error: cannot change fifo of queue orders/);
    assert.match(text, /\n1 error: nothing will be applied\.$/);
    const untouchable = new Proxy({} as TopologyClients, {
      get: () => assert.fail('no call may be made for a plan with errors'),
    });
    await assert.rejects(applyPlan(p, untouchable), (error: unknown) => {
      assert.ok(error instanceof ApplyError);
      assert.deepEqual(error.done, []);
      return true;
    });
  });

  test("a bus's description cannot change (no UpdateEventBus): an error", () => {
    const current = serverWith(SHOP);
    const p = plan(SHOP, { ...current, buses: current.buses.map((b) => ({ ...b, description: 'Old' })) });
    assert.deepEqual(p.changes, []);
    assert.match(p.errors[0] ?? '', /^cannot change the description of bus shop/);
  });

  test('a tagged bus to delete that still has rules the file does not own: an error', () => {
    const current = serverWith(SHOP);
    const p = plan(yaml('version: 1'), {
      ...current,
      rules: current.rules.map((r) => (r.name === 'orders-to-queue' ? { ...r, tags: {} } : r)),
    });
    assert.deepEqual(p.errors, [
      `cannot delete bus shop: it still has rules this file does not manage (orders-to-queue); delete them first, or remove the ${MANAGED_TAG_KEY} tag from the bus to keep it`,
    ]);
  });

  test('JSON: changes with their fields, errors, what is left alone, and the counts', () => {
    const current = serverWith(SHOP);
    const p = plan(SHOP, {
      ...current,
      queues: current.queues.map((q) => (q.name === 'alerts' ? { ...q, delaySeconds: 5 } : q)),
    });
    assert.deepEqual(JSON.parse(JSON.stringify(planToJson(p))), {
      changes: [
        {
          action: 'update',
          kind: 'queue',
          name: 'alerts',
          fields: [{ field: 'delaySeconds', from: 5, to: 0 }],
        },
      ],
      errors: [],
      unmanaged: [],
      summary: { create: 0, update: 1, delete: 0 },
    });
  });
});
