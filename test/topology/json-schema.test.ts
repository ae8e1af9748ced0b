// The JSON Schema published for editors (schema/switchyard.schema.json) is what `npm run schema` generates from the
// zod schemas now, so that it cannot go stale; and it describes the format the loader reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { topologyJsonSchema } from '../../src/topology/index.js';

const COMMITTED = new URL('../../schema/switchyard.schema.json', import.meta.url);

test('schema/switchyard.schema.json is up to date (run `npm run schema` after changing src/topology/schema.ts)', () => {
  const committed: unknown = JSON.parse(readFileSync(COMMITTED, 'utf8'));
  // Compared as JSON text, so that the order of keys counts too; the file's layout is Biome's.
  assert.equal(JSON.stringify(committed, null, 2), JSON.stringify(topologyJsonSchema(), null, 2));
});

test('the schema: draft 2020-12, strict objects, AWS ranges and name patterns', () => {
  const schema = topologyJsonSchema() as {
    $schema: string;
    additionalProperties: boolean;
    required: string[];
    properties: Record<string, { propertyNames?: { pattern: string }; additionalProperties?: unknown }>;
  };
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ['version']);
  assert.deepEqual(Object.keys(schema.properties), ['version', 'queues', 'buses', 'rules', 'alarms']);
  const queueNames = new RegExp(schema.properties.queues?.propertyNames?.pattern ?? '');
  assert.ok(queueNames.test('orders') && queueNames.test('stock.fifo'));
  assert.ok(!queueNames.test('orders.eu') && !queueNames.test('x'.repeat(81)));
  const text = JSON.stringify(schema);
  assert.match(text, /"visibilityTimeout":\{[^}]*"minimum":0,"maximum":43200/);
  assert.match(text, /"maximumRetryAttempts":\{[^}]*"minimum":0,"maximum":185/);
});
