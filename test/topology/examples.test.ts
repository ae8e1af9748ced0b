// Every topology under examples/ loads and exports to CloudFormation; the e-commerce reference deployment routes the
// client catalogue's events where its comments say.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CATALOGUE, type CatalogueEventName } from '../../src/client/catalogue.js';
import { compileEventPattern, matchesEvent } from '../../src/core/event-pattern/index.js';
import { loadTopology, type Topology, toCloudFormation } from '../../src/topology/index.js';
import { CATALOGUE_NAMES, sampleDetail } from '../helpers/catalogue.js';

function topologyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return topologyFiles(full);
    return /\.ya?ml$/.test(name) ? [full] : [];
  });
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = topologyFiles(path.join(REPO_ROOT, 'examples'));

describe('examples/', () => {
  test('has the e-commerce reference deployment', () => {
    assert.ok(EXAMPLES.some((f) => f.endsWith(path.join('examples', 'ecommerce', 'switchyard.yaml'))));
  });

  for (const file of EXAMPLES) {
    const name = path.relative(REPO_ROOT, file);
    test(`${name} validates and exports to CloudFormation`, async () => {
      const topology = await loadTopology(file);
      const template = toCloudFormation(topology);
      const types = Object.values(template.Resources).map((r) => r.Type);
      assert.equal(types.filter((t) => t === 'AWS::SQS::Queue').length, topology.queues.length);
      assert.equal(types.filter((t) => t === 'AWS::Events::Rule').length, topology.rules.length);
    });
  }
});

describe('the e-commerce reference deployment', () => {
  let topology: Topology;
  const load = async () => {
    topology ??= await loadTopology(path.join(REPO_ROOT, 'examples/ecommerce/switchyard.yaml'));
    return topology;
  };

  /** The rules of `bus` whose pattern matches a catalogue event with this detail. */
  async function routes(
    name: CatalogueEventName,
    who: { marketplace: string; sellerId: string },
    bus = 'commerce',
  ): Promise<string[]> {
    const definition = CATALOGUE[name];
    const event = {
      version: '0',
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      'detail-type': definition.detailType,
      source: definition.source,
      account: '000000000000',
      time: '2024-05-01T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { ...sampleDetail(name, 7), ...who },
    };
    return (await load()).rules
      .filter((rule) => rule.bus === bus && rule.trigger.kind === 'pattern')
      .filter((rule) => rule.trigger.kind === 'pattern' && matchesEvent(compileEventPattern(rule.trigger.json), event))
      .map((rule) => rule.name);
  }

  const standard = { sellerId: 'seller-17' };
  const keyAccount = { sellerId: 'key-0042' };

  test('order events: one FIFO rule per marketplace family, plus the key-account rule for key accounts', async () => {
    for (const name of ['OrderCreated', 'OrderUpdated', 'OrderShipped'] as const) {
      assert.deepEqual(await routes(name, { marketplace: 'amazon-de', ...standard }), ['orders-amazon'], name);
      assert.deepEqual(await routes(name, { marketplace: 'zalando-fr', ...standard }), ['orders-zalando'], name);
      assert.deepEqual(
        await routes(name, { marketplace: 'otto-de', ...keyAccount }),
        ['orders-other-marketplaces', 'key-account-activity'],
        name,
      );
    }
  });

  test('cancellations the customer must hear about also become notices', async () => {
    assert.deepEqual(await routes('OrderCancelled', { marketplace: 'amazon-fr', ...standard }), ['orders-amazon']);
    const topology = await load();
    const rule = topology.rules.find((r) => r.name === 'cancellation-notices');
    assert.ok(rule?.trigger.kind === 'pattern');
    const event = {
      source: 'switchyard.orders',
      'detail-type': 'Order Cancelled',
      detail: { ...sampleDetail('OrderCancelled', 3), reason: 'out_of_stock' },
    };
    assert.equal(matchesEvent(compileEventPattern(rule.trigger.json), event), true);
  });

  test('inventory and return events reach their queues; inventory is not key-account activity', async () => {
    for (const name of ['InventoryAdjusted', 'InventoryReserved', 'InventoryReleased'] as const) {
      assert.deepEqual(await routes(name, { marketplace: 'amazon-de', ...keyAccount }), ['inventory-changes'], name);
    }
    for (const name of ['ReturnRequested', 'ReturnReceived', 'ReturnRefunded'] as const) {
      assert.deepEqual(await routes(name, { marketplace: 'bol-nl', ...standard }), ['returns-to-queue'], name);
      assert.deepEqual(
        await routes(name, { marketplace: 'bol-nl', ...keyAccount }),
        ['returns-to-queue', 'key-account-activity'],
        name,
      );
    }
  });

  test('every catalogue event is routed somewhere', async () => {
    for (const name of CATALOGUE_NAMES) {
      const matched = await routes(name, { marketplace: 'amazon-it', ...standard });
      assert.ok(matched.length > 0, `${name} matches no rule`);
    }
  });

  test('alarm state changes on the default bus reach ops-alerts', async () => {
    const topology = await load();
    const rule = topology.rules.find((r) => r.name === 'alarm-state-changes');
    assert.equal(rule?.bus, 'default');
    assert.deepEqual(rule?.targets[0]?.destination, { kind: 'queue', queue: 'ops-alerts' });
    assert.ok(rule?.trigger.kind === 'pattern');
    const event = {
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      detail: { alarmName: 'orders-dlq-not-empty', state: { value: 'ALARM' } },
    };
    assert.equal(matchesEvent(compileEventPattern(rule.trigger.json), event), true);
    // Every alarm's subject exists: the loader checks QueueName and RuleName dimensions against the file.
    assert.ok(topology.alarms.length >= 6);
    assert.ok(
      topology.alarms.every((a) => a.actions.alarm.length === 0),
      'alarms reach ops-alerts through events',
    );
  });
});
