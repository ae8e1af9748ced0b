// switchyard/client typed events and the reference catalogue: entries, envelopes, validation and entity keys.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import {
  CATALOGUE,
  catalogueDefinition,
  defineEvent,
  EnvelopeError,
  type EventEnvelope,
  EventTypeMismatchError,
  EventValidationError,
  entityKey,
  InventoryAdjusted,
  InventoryReserved,
  OrderCreated,
  parseEnvelope,
  ReturnRefunded,
  SwitchyardClientError,
} from '../../src/client/index.js';
import { CATALOGUE_NAMES, sampleDetail } from '../helpers/catalogue.js';

/** The envelope EventBridge would deliver to an SQS target for a PutEvents entry. */
function envelopeOf(
  entry: { Source?: string; DetailType?: string; Detail?: string; Resources?: string[] },
  id = 'a1b2c3d4-0000-4000-8000-000000000001',
): EventEnvelope {
  return {
    version: '0',
    id,
    'detail-type': entry.DetailType ?? '',
    source: entry.Source ?? '',
    account: '000000000000',
    time: '2024-05-01T10:00:00Z',
    region: 'us-east-1',
    resources: entry.Resources ?? [],
    detail: JSON.parse(entry.Detail ?? 'null'),
  };
}

function isValidationError(path: string) {
  return (e: unknown): true => {
    assert.ok(e instanceof EventValidationError, `expected an EventValidationError, got ${String(e)}`);
    assert.ok(e instanceof SwitchyardClientError);
    assert.equal(e.code, 'EVENT_VALIDATION');
    assert.equal(e.name, 'EventValidationError');
    assert.ok(
      e.issues.some((issue) => issue.path.join('.') === path),
      `expected an issue at ${path}: ${JSON.stringify(e.issues)}`,
    );
    return true;
  };
}

describe('defineEvent: entries', () => {
  const Ping = { def: CATALOGUE.InventoryAdjusted, detail: sampleDetail('InventoryAdjusted', 7, 3) };

  test('builds a PutEvents entry with Source, DetailType and the detail as JSON, and no unset members', () => {
    const entry = Ping.def.entry(Ping.detail);
    assert.deepEqual(Object.keys(entry).sort(), ['Detail', 'DetailType', 'Source']);
    assert.equal(entry.Source, 'switchyard.inventory');
    assert.equal(entry.DetailType, 'Inventory Adjusted');
    assert.deepEqual(JSON.parse(entry.Detail ?? ''), Ping.detail);
  });

  test('sets EventBusName, Resources, Time and TraceHeader when given', () => {
    const time = new Date('2024-05-01T10:00:00Z');
    const entry = Ping.def.entry(Ping.detail, {
      eventBusName: 'shop',
      resources: ['arn:aws:s3:::bucket'],
      time,
      traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793',
    });
    assert.equal(entry.EventBusName, 'shop');
    assert.deepEqual(entry.Resources, ['arn:aws:s3:::bucket']);
    assert.equal(entry.Time, time);
    assert.equal(entry.TraceHeader, 'Root=1-5759e988-bd862e3fe1be46a994272793');
  });

  test('strips members the schema does not know', () => {
    const entry = Ping.def.entry({ ...Ping.detail, secret: 'x' } as typeof Ping.detail);
    assert.equal('secret' in JSON.parse(entry.Detail ?? ''), false);
  });

  test('an invalid detail throws EventValidationError with zod issues and where they are', () => {
    assert.throws(
      () => OrderCreated.entry({ ...sampleDetail('OrderCreated'), lines: [] }),
      (e: unknown) => isValidationError('lines')(e) && /Order Created.*at detail\.lines/.test((e as Error).message),
    );
    assert.throws(
      () =>
        OrderCreated.entry({
          ...sampleDetail('OrderCreated'),
          lines: [{ sku: 'A', quantity: 1, price: { amount: 1, currency: 'euro' } }],
        }),
      isValidationError('lines.0.price.currency'),
    );
  });

  test('a schema with defaults: entry takes the input type and carries the parsed value', () => {
    const Custom = defineEvent({
      source: 'test.custom',
      detailType: 'Custom',
      schema: z.object({ id: z.string(), priority: z.enum(['low', 'normal', 'high']).default('normal') }),
    });
    const entry = Custom.entry({ id: 'x' });
    assert.deepEqual(JSON.parse(entry.Detail ?? ''), { id: 'x', priority: 'normal' });
    const parsed = Custom.parse(envelopeOf(entry));
    const priority: 'low' | 'normal' | 'high' = parsed.detail.priority;
    assert.equal(priority, 'normal');
  });
});

describe('defineEvent: parsing what an SQS target receives', () => {
  const detail = sampleDetail('OrderCreated', 4, 2);
  const body = JSON.stringify(envelopeOf(OrderCreated.entry(detail, { resources: ['arn:aws:x'] })));

  test('parses an envelope from a message body into a typed event', () => {
    const event = OrderCreated.parse(body);
    assert.deepEqual(event, {
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      source: 'switchyard.orders',
      detailType: 'Order Created',
      time: new Date('2024-05-01T10:00:00Z'),
      account: '000000000000',
      region: 'us-east-1',
      resources: ['arn:aws:x'],
      detail,
    });
    // Typed: the compiler knows the detail's members.
    const total: number = event.detail.total.amount;
    assert.equal(total, 39.98);
  });

  test('takes an SQS message, a parsed envelope, or what parseEnvelope returned', () => {
    const fromMessage = OrderCreated.parse({ Body: body });
    assert.deepEqual(OrderCreated.parse(JSON.parse(body) as EventEnvelope), fromMessage);
    assert.deepEqual(OrderCreated.parse(parseEnvelope(body)), fromMessage);
    assert.equal(fromMessage.detail.orderId, 'order-4');
  });

  test('keeps the members EventBridge may add (replay-name) out of the way', () => {
    const replayed = { ...(JSON.parse(body) as EventEnvelope), 'replay-name': 'r1' };
    assert.equal(OrderCreated.parse(replayed).id, 'a1b2c3d4-0000-4000-8000-000000000001');
  });

  test('a detail that does not match the schema throws EventValidationError', () => {
    const bad = envelopeOf({ ...OrderCreated.entry(detail), Detail: JSON.stringify({ ...detail, version: 0 }) });
    assert.throws(() => OrderCreated.parse(JSON.stringify(bad)), isValidationError('version'));
  });

  test('another kind of event throws EventTypeMismatchError', () => {
    const other = JSON.stringify(envelopeOf(InventoryAdjusted.entry(sampleDetail('InventoryAdjusted'))));
    assert.throws(
      () => OrderCreated.parse(other),
      (e: unknown) => {
        assert.ok(e instanceof EventTypeMismatchError);
        assert.equal(e.code, 'EVENT_TYPE_MISMATCH');
        assert.deepEqual(e.actual, { source: 'switchyard.inventory', detailType: 'Inventory Adjusted' });
        return true;
      },
    );
  });

  test('what is not an envelope throws EnvelopeError', () => {
    const envelope = JSON.parse(body) as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      ['not json', /not JSON/],
      ['[1,2]', /not an EventBridge event/],
      [JSON.stringify({ ...envelope, id: undefined }), /not an EventBridge event: id/],
      [JSON.stringify({ ...envelope, 'detail-type': 7 }), /detail-type/],
      [JSON.stringify({ ...envelope, detail: undefined }), /not an EventBridge event: detail:/],
      [JSON.stringify({ ...envelope, time: 'yesterday' }), /time is not a timestamp/],
      [JSON.stringify(detail), /not an EventBridge event/], // InputPath $.detail: the detail alone
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseEnvelope(input as string),
        (e: unknown) => {
          assert.ok(e instanceof EnvelopeError, `expected an EnvelopeError for ${String(input)}, got ${String(e)}`);
          assert.equal(e.code, 'INVALID_ENVELOPE');
          assert.match(e.message, message);
          return true;
        },
      );
      assert.throws(() => OrderCreated.parse(input as string), EnvelopeError);
    }
  });

  test('matches compares source and detail-type, on envelopes and parsed events', () => {
    const envelope = JSON.parse(body) as EventEnvelope;
    assert.equal(OrderCreated.matches(envelope), true);
    assert.equal(OrderCreated.matches(parseEnvelope(envelope)), true);
    assert.equal(CATALOGUE.OrderUpdated.matches(envelope), false);
    assert.equal(OrderCreated.matches({ ...envelope, source: 'switchyard.inventory' }), false);
  });

  test('property: any valid detail survives entry → envelope → parse unchanged', () => {
    const inventory = fc.record(
      {
        marketplace: fc.string({ minLength: 1, maxLength: 20 }),
        sellerId: fc.string({ minLength: 1, maxLength: 20 }),
        version: fc.integer({ min: 1, max: 2 ** 40 }),
        sku: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
        warehouse: fc.constantFrom('ber-1', 'waw-2', 'lyo-3'),
        delta: fc.integer({ min: -1000, max: 1000 }),
        available: fc.nat(),
        reason: fc.constantFrom('restock', 'recount', 'damaged', 'returned', 'correction' as const),
        adjustedAt: fc
          .date({ min: new Date(2000, 0, 1), max: new Date(2100, 0, 1), noInvalidDate: true })
          .map((d) => d.toISOString()),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(inventory, fc.uuid(), (detail, id) => {
        const event = InventoryAdjusted.parse(JSON.stringify(envelopeOf(InventoryAdjusted.entry(detail), id)));
        assert.deepEqual(event.detail, detail);
        assert.equal(event.id, id);
      }),
    );
  });
});

describe('the reference catalogue', () => {
  test('ten events, each one source and detail-type, from the three sources', () => {
    const kinds = Object.values(CATALOGUE).map((d) => `${d.source} / ${d.detailType}`);
    assert.equal(kinds.length, 10);
    assert.equal(new Set(kinds).size, 10);
    assert.deepEqual(
      new Set(Object.values(CATALOGUE).map((d) => d.source)),
      new Set(['switchyard.orders', 'switchyard.inventory', 'switchyard.returns']),
    );
    assert.ok(kinds.includes('switchyard.orders / Order Created'));
    assert.ok(kinds.includes('switchyard.returns / Return Refunded'));
  });

  for (const name of CATALOGUE_NAMES) {
    test(`${name}: the sample is valid; marketplace, sellerId, its entity id and a positive integer version are required`, () => {
      const def = CATALOGUE[name];
      const detail = sampleDetail(name) as Record<string, unknown>;
      assert.doesNotThrow(() => def.entry(detail as never));
      const entity =
        def.source === 'switchyard.orders' ? 'orderId' : def.source === 'switchyard.inventory' ? 'sku' : 'returnId';
      for (const member of ['marketplace', 'sellerId', entity, 'version']) {
        const { [member]: _removed, ...rest } = detail;
        assert.throws(() => def.entry(rest as never), isValidationError(member), `${name} without ${member}`);
      }
      for (const version of [0, -1, 1.5, '2']) {
        assert.throws(() => def.entry({ ...detail, version } as never), isValidationError('version'));
      }
      assert.equal(catalogueDefinition(def), def);
    });
  }

  test('inventory stock cannot go negative; order lines need a positive quantity', () => {
    assert.throws(
      () => InventoryReserved.entry({ ...sampleDetail('InventoryReserved'), available: -1 }),
      isValidationError('available'),
    );
    assert.throws(
      () =>
        OrderCreated.entry({
          ...sampleDetail('OrderCreated'),
          lines: [{ sku: 'A', quantity: 0, price: { amount: 1, currency: 'EUR' } }],
        }),
      isValidationError('lines.0.quantity'),
    );
    assert.throws(
      () => ReturnRefunded.entry({ ...sampleDetail('ReturnRefunded'), refundedAt: 'last tuesday' }),
      isValidationError('refundedAt'),
    );
  });
});

describe('entityKey', () => {
  test('orders by order id, inventory by SKU (even when an order is named), returns by return id', () => {
    const key = (name: (typeof CATALOGUE_NAMES)[number]) => {
      const def = CATALOGUE[name];
      return entityKey({ source: def.source, detail: sampleDetail(name, 5, 9) });
    };
    assert.deepEqual(key('OrderShipped'), { entity: 'order', key: 'amazon-de/seller-2/order-5', version: 9 });
    assert.deepEqual(key('InventoryReserved'), { entity: 'inventory', key: 'amazon-de/seller-2/SKU-5', version: 9 });
    assert.deepEqual(key('ReturnRefunded'), { entity: 'return', key: 'amazon-de/seller-2/return-5', version: 9 });
    for (const name of CATALOGUE_NAMES) assert.ok(key(name), `${name} has an entity key`);
  });

  test('the events of one entity share a key; a parsed event works as it is', () => {
    const a = OrderCreated.parse(JSON.stringify(envelopeOf(OrderCreated.entry(sampleDetail('OrderCreated', 1, 1)))));
    const b = parseEnvelope(envelopeOf(CATALOGUE.OrderCancelled.entry(sampleDetail('OrderCancelled', 1, 2))));
    assert.equal(entityKey(a)?.key, entityKey(b)?.key);
    assert.deepEqual([entityKey(a)?.version, entityKey(b)?.version], [1, 2]);
  });

  test('undefined for other sources and for details without the members', () => {
    assert.equal(entityKey({ source: 'shop.orders', detail: sampleDetail('OrderCreated') }), undefined);
    assert.equal(
      entityKey({ source: 'switchyard.orders', detail: { marketplace: 'm', sellerId: 's', version: 1 } }),
      undefined,
    );
    assert.equal(
      entityKey({ source: 'switchyard.orders', detail: { ...sampleDetail('OrderCreated'), version: 0 } }),
      undefined,
    );
    assert.equal(entityKey({ source: 'switchyard.orders', detail: null }), undefined);
    assert.equal(entityKey({ source: 'toString', detail: {} }), undefined);
  });
});
