// EventBridge InputTransformer validation and rendering. Rules: AWS's InputTransformer API reference and the
// "Amazon EventBridge input transformation" user guide page (predefined variables, JSON vs string templates).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  InvalidInputTransformerError,
  renderInputTransformer,
  validateInputTransformer,
  valueAtJsonPath,
} from '../../src/core/input-transformer.js';

const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'OrderCreated',
  source: 'my.app',
  account: '123456789012',
  time: '2024-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    orderId: 'o-42',
    total: 12.5,
    paid: true,
    items: [{ sku: 'a' }, { sku: 'b' }],
    customer: { name: 'Ann "A"' },
    'ship-to': 'home',
    none: null,
  },
};
const context = {
  ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/orders',
  ruleName: 'orders',
  ingestionTime: Date.UTC(2024, 0, 1, 0, 0, 1, 250),
};

function render(InputPathsMap: Record<string, string> | undefined, InputTemplate: string): string {
  return renderInputTransformer(validateInputTransformer({ InputPathsMap, InputTemplate }), event, context);
}

function invalid(input: unknown, message: RegExp): void {
  assert.throws(
    () => validateInputTransformer(input),
    (e: unknown) => e instanceof InvalidInputTransformerError && message.test(e.message),
  );
}

describe('valueAtJsonPath', () => {
  test('root, members, dashes and array indices', () => {
    assert.deepEqual(valueAtJsonPath(event, '$'), event);
    assert.equal(valueAtJsonPath(event, '$.detail.orderId'), 'o-42');
    assert.equal(valueAtJsonPath(event, '$.detail.ship-to'), 'home');
    assert.equal(valueAtJsonPath(event, '$.detail-type'), 'OrderCreated');
    assert.equal(valueAtJsonPath(event, '$.detail.items[1].sku'), 'b');
    assert.equal(valueAtJsonPath(event, '$.detail.items[5]'), undefined);
    assert.deepEqual(valueAtJsonPath(event, '$.detail.items[*].sku'), ['a', 'b']);
    assert.deepEqual(valueAtJsonPath(event, '$.detail.items.*.sku'), ['a', 'b']);
    assert.deepEqual(valueAtJsonPath(event, '$.detail.nothing[*]'), []);
    assert.deepEqual(valueAtJsonPath({ a: { x: 1, y: [2] } }, '$.a.*'), [1, [2]]);
    assert.equal(valueAtJsonPath(event, '$.detail.orderId.x'), undefined);
    assert.equal(valueAtJsonPath(event, '$.detail.items.sku'), undefined);
  });
});

describe('JSON templates', () => {
  test('strings are inserted JSON-quoted, numbers, booleans, objects and arrays raw', () => {
    const out = render(
      {
        order: '$.detail.orderId',
        total: '$.detail.total',
        paid: '$.detail.paid',
        customer: '$.detail.customer',
        items: '$.detail.items',
        first: '$.detail.items[0].sku',
      },
      '{"order": <order>, "total": <total>, "paid": <paid>, "customer": <customer>, "items": <items>, "list": [1, <first>]}',
    );
    assert.deepEqual(JSON.parse(out), {
      order: 'o-42',
      total: 12.5,
      paid: true,
      customer: { name: 'Ann "A"' },
      items: [{ sku: 'a' }, { sku: 'b' }],
      list: [1, 'a'],
    });
  });

  test('a path that matches nothing, or a null value, gives null', () => {
    const out = render({ gone: '$.detail.missing', none: '$.detail.none' }, '{"gone": <gone>, "none": <none>}');
    assert.deepEqual(JSON.parse(out), { gone: null, none: null });
  });

  test('inside a JSON string values go in as text, escaped so the output stays JSON', () => {
    const out = render(
      { order: '$.detail.orderId', total: '$.detail.total', customer: '$.detail.customer' },
      '{"text": "order <order> costs <total> for <customer>"}',
    );
    assert.deepEqual(JSON.parse(out), { text: 'order o-42 costs 12.5 for {name:Ann \\A\\}' });
    const quoted = render({ name: '$.detail.customer.name' }, '{"who": "<name>"}');
    assert.deepEqual(JSON.parse(quoted), { who: 'Ann "A"' });
  });

  test('array templates are JSON templates too', () => {
    assert.deepEqual(JSON.parse(render({ o: '$.detail.orderId' }, '[<o>, "<o>"]')), ['o-42', 'o-42']);
  });
});

describe('string templates', () => {
  test('values are inserted raw', () => {
    assert.equal(
      render(
        { order: '$.detail.orderId', total: '$.detail.total', items: '$.detail.items', gone: '$.nope' },
        'Order <order> costs <total>: <items> (<gone>)',
      ),
      'Order o-42 costs 12.5: [{"sku":"a"},{"sku":"b"}] (null)',
    );
  });

  test('a quoted string template keeps its quotes', () => {
    assert.equal(render({ order: '$.detail.orderId' }, '"order <order> is \\"new\\""'), '"order o-42 is \\"new\\""');
  });

  test('text that is not a placeholder stays', () => {
    assert.equal(render(undefined, 'a < b and c > d'), 'a < b and c > d');
  });
});

describe('predefined variables', () => {
  test('rule ARN, rule name and ingestion time', () => {
    assert.deepEqual(
      JSON.parse(
        render(
          undefined,
          '{"arn": <aws.events.rule-arn>, "name": <aws.events.rule-name>, "at": <aws.events.event.ingestion-time>}',
        ),
      ),
      { arn: context.ruleArn, name: 'orders', at: '2024-01-01T00:00:01.250Z' },
    );
    assert.equal(render(undefined, 'rule <aws.events.rule-name>'), 'rule orders');
  });

  test('the event without detail, and the whole event', () => {
    const out = JSON.parse(render(undefined, '{"head": <aws.events.event>, "full": <aws.events.event.json>}'));
    const { detail: _detail, ...head } = event;
    assert.deepEqual(out, { head, full: event });
  });
});

describe('validation', () => {
  test('accepts a template without a paths map', () => {
    assert.deepEqual(validateInputTransformer({ InputTemplate: '"x"' }), { InputTemplate: '"x"' });
  });

  test('InputTemplate is required', () => {
    invalid({}, /inputTemplate/);
    invalid({ InputTemplate: '' }, /inputTemplate/);
    invalid({ InputTemplate: 'x'.repeat(8193) }, /less than or equal to 8192/);
    invalid('text', /must be an object/);
  });

  test('placeholders must be defined', () => {
    invalid({ InputTemplate: '{"a": <nope>}' }, /<nope> is not defined/);
    invalid({ InputPathsMap: { a: '$.detail' }, InputTemplate: 'x <b>' }, /<b> is not defined/);
    invalid({ InputTemplate: '<aws.events.rule-nam>' }, /not defined/);
  });

  test('keys: pattern, reserved names and count', () => {
    invalid({ InputPathsMap: { 'aws.events.rule-name': '$.detail' }, InputTemplate: '"x"' }, /reserved/);
    invalid({ InputPathsMap: { 'aws.events.mine': '$.detail' }, InputTemplate: '"x"' }, /reserved/);
    invalid({ InputPathsMap: { 'bad key': '$.detail' }, InputTemplate: '"x"' }, /not valid/);
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, '$.detail']));
    invalid({ InputPathsMap: many, InputTemplate: '"x"' }, /at most 100/);
    const hundred = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, '$.detail']));
    validateInputTransformer({ InputPathsMap: hundred, InputTemplate: '"x"' });
  });

  test('paths must be the supported JSONPath subset', () => {
    for (const bad of [
      'detail',
      '$.',
      '$..detail',
      "$['detail']",
      '$.detail[a]',
      '$.detail[*',
      '$.detail.**',
      `$.${'a'.repeat(300)}`,
    ]) {
      invalid({ InputPathsMap: { a: bad }, InputTemplate: '"x"' }, /not a valid JSON path/);
    }
    invalid({ InputPathsMap: { a: 3 }, InputTemplate: '"x"' }, /not a valid JSON path/);
  });

  test('a JSON template must stay JSON and cannot use a placeholder as a key', () => {
    invalid({ InputPathsMap: { a: '$.detail' }, InputTemplate: '{"x": <a>' }, /not valid JSON/);
    invalid({ InputPathsMap: { a: '$.detail' }, InputTemplate: '{<a>: 1}' }, /not valid JSON/);
  });
});

describe('wildcard paths', () => {
  test('a wildcard path renders as the JSON array of what it reaches', () => {
    assert.equal(
      render({ skus: '$.detail.items[*].sku' }, '{"skus": <skus>, "first": "<skus>"}'),
      '{"skus": ["a","b"], "first": "[a,b]"}',
    );
    assert.equal(render({ none: '$.detail.nothing[*]' }, '{"none": <none>}'), '{"none": []}');
  });
});
