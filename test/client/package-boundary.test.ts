// The client library ships as its own package (`switchyard/client`): it may import only its own files, the AWS SDK
// clients, zod and Node's built-ins, never the server's code, and the package's exports map must resolve to it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const clientDir = fileURLToPath(new URL('../../src/client/', import.meta.url));
const ALLOWED = [/^\.\/[\w.-]+\.js$/, /^zod$/, /^@aws-sdk\/client-(sqs|eventbridge|cloudwatch)$/, /^node:/];

describe('switchyard/client package boundary', () => {
  test('src/client imports nothing but its own files, the AWS SDK clients, zod and node: built-ins', () => {
    const files = readdirSync(clientDir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 4, 'the client sources are there');
    for (const file of files) {
      const text = readFileSync(path.join(clientDir, file), 'utf8');
      for (const [, specifier] of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
        assert.ok(
          ALLOWED.some((ok) => ok.test(specifier ?? '')),
          `${file} imports ${specifier}, which a client package may not depend on`,
        );
      }
    }
  });

  test('the exports map resolves switchyard/client to the built library', async () => {
    // The build (npm ci runs it through `prepare`) writes dist/; the package resolves itself by name.
    const client = (await import('switchyard/client')) as Record<string, unknown>;
    assert.equal(typeof client.defineEvent, 'function');
    assert.equal(typeof client.createProducer, 'function');
    assert.equal(typeof client.consume, 'function');
    assert.equal(typeof client.Coalescer, 'function');
    assert.equal(typeof client.MemoryIdempotencyStore, 'function');
  });
});
