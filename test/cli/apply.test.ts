// `switchyard apply` and `switchyard serve --config`, run as a user runs them: the plan on stdout, changes made
// (or not, with --dry-run), "No changes." the second time, exit status 2 and file:line:column for a bad file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueUrlCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { loadTopology } from '../../src/topology/load.js';
import { runCli, serverProcesses } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const EXAMPLE = 'examples/ecommerce/switchyard.yaml';
const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-apply-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const BAD = [
  'version: 1',
  'queues:',
  '  orders: { visibilityTimout: 30 }',
  'rules:',
  '  r:',
  '    pattern: { source: [x] }',
  '    targets: [{ id: t, queue: ordrs }]',
  '',
].join('\n');

async function resources(): Promise<number> {
  const t = await loadTopology(EXAMPLE);
  return (
    t.queues.length +
    t.buses.length +
    t.rules.length +
    t.rules.reduce((n, r) => n + r.targets.length, 0) +
    t.alarms.length
  );
}

describe('switchyard apply', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());
  const queueNames = async () =>
    ((await server.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).map((url) => url.split('/').pop());

  test('--dry-run prints the plan and changes nothing', async () => {
    const result = await runCli(['apply', '--dry-run', '-f', EXAMPLE, '--endpoint-url', server.server.url]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\+ queue orders-dlq\.fifo$/m);
    assert.match(result.stdout, /^\+ rule orders-amazon \(bus commerce\)$/m);
    assert.match(result.stdout, /^\+ target orders-amazon\/orders-queue \(bus commerce\)$/m);
    assert.match(result.stdout, /^\+ alarm orders-dlq-not-empty$/m);
    assert.match(result.stdout, new RegExp(`\\nPlan: ${await resources()} to create, 0 to update, 0 to delete\\.\\n`));
    assert.match(result.stdout, /\nDry run: nothing was applied\.\n$/);
    assert.deepEqual(await queueNames(), []);
  });

  test('--dry-run --json: the plan as JSON', async () => {
    const result = await runCli(['apply', '--dry-run', '--json', '-f', EXAMPLE, '--endpoint-url', server.server.url]);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout) as {
      changes: { action: string; kind: string; name: string }[];
      summary: unknown;
      applied: boolean;
    };
    assert.deepEqual(body.summary, { create: await resources(), update: 0, delete: 0 });
    assert.equal(body.applied, false);
    assert.deepEqual(body.changes[0], { action: 'create', kind: 'queue', name: 'orders-dlq.fifo' });
  });

  test('apply makes the changes; applied again it prints "No changes."', async () => {
    const first = await runCli(['apply', '-f', EXAMPLE, '--endpoint-url', server.server.url]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      new RegExp(`\\nApply complete: ${await resources()} created, 0 updated, 0 deleted\\.\\n$`),
    );
    assert.ok((await queueNames()).includes('orders.fifo'));

    const second = await runCli(['apply', '-f', EXAMPLE, '--endpoint-url', server.server.url]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'No changes.\n');
    assert.equal(second.stderr, '');
  });

  test('SWITCHYARD_ENDPOINT is the default server', async () => {
    process.env.SWITCHYARD_ENDPOINT = server.server.url;
    try {
      const result = await runCli(['apply', '--dry-run', '-f', EXAMPLE]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'No changes.\n');
    } finally {
      delete process.env.SWITCHYARD_ENDPOINT;
    }
  });

  test('a change the server refuses: exit status 1, the change and the AWS error on stderr', async () => {
    // A queue deleted a moment ago cannot be created again for a while (QueueDeletedRecently).
    const { QueueUrl } = await server.sqs.send(new CreateQueueCommand({ QueueName: 'cooling' }));
    await server.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    const file = path.join(dir, 'cooling.yaml');
    writeFileSync(file, 'version: 1\nqueues:\n  cooling: {}\n');
    const result = await runCli(['apply', '-f', file, '--endpoint-url', server.server.url]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^\+ queue cooling$/m);
    assert.match(result.stderr, /^switchyard: cannot create queue cooling: QueueDeletedRecently: /);
    assert.match(
      result.stderr,
      /\nswitchyard: 0 of \d+ changes were made before it; fix the cause and run apply again\n$/,
    );
  });

  test('a bad file: exit status 2 and every problem, file:line:column: field: message', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, BAD);
    const result = await runCli(['apply', '-f', file, '--endpoint-url', server.server.url]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      [
        `${file}:3:13: queues.orders.visibilityTimout: unknown key "visibilityTimout" (did you mean "visibilityTimeout"?)`,
        `${file}:7:24: rules.r.targets[0].queue: no queue "ordrs" is declared (did you mean "orders"?)`,
        '',
      ].join('\n'),
    );
  });

  test('a missing file or a bad flag: exit status 2', async () => {
    const missing = await runCli(['apply', '-f', path.join(dir, 'nope.yaml'), '--endpoint-url', server.server.url]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^switchyard: .*nope\.yaml: no such file/);
    const flag = await runCli(['apply', '--bogus']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--bogus'/);
    const url = await runCli(['apply', '-f', EXAMPLE, '--endpoint-url', 'ftp://example']);
    assert.equal(url.code, 2);
    assert.match(url.stderr, /^switchyard: --endpoint-url: must be an http:\/\/ or https:\/\/ URL/);
  });

  test('no server: exit status 1, cannot reach', async () => {
    const result = await runCli(['apply', '-f', EXAMPLE, '--endpoint-url', 'http://127.0.0.1:9']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^switchyard: cannot reach http:\/\/127\.0\.0\.1:9: connection refused\n$/);
  });

  test('--help names the flags', async () => {
    const result = await runCli(['apply', '--help']);
    assert.equal(result.code, 0);
    for (const flag of ['-f, --file <path>', '--dry-run', '--json', '--endpoint-url <url>']) {
      assert.ok(result.stdout.includes(flag), flag);
    }
    assert.match(result.stdout, /switchyard:managed-by=topology/);
  });
});

describe('switchyard serve --config', () => {
  const processes = serverProcesses();

  test('applies the file once listening; started again on the same data, it finds no changes', async () => {
    const data = processes.dataDir('switchyard-serve-config-');
    const first = await processes.serve(data, 'relaxed', ['--config', EXAMPLE]);
    await waitFor('the topology applied line', () => /"msg":"topology applied: \d+ created/.test(first.stdout()));
    const { QueueUrl } = await first.sqs.send(new GetQueueUrlCommand({ QueueName: 'orders.fifo' }));
    assert.ok(QueueUrl?.endsWith('/orders.fifo'));
    const line = JSON.parse(
      first
        .stdout()
        .split('\n')
        .find((l) => l.includes('"msg":"topology applied')) ?? '{}',
    );
    assert.equal(line.config, EXAMPLE);
    assert.equal(line.create, await resources());
    await first.stop('SIGTERM');

    const second = await processes.serve(data, 'relaxed', ['--config', EXAMPLE]);
    await waitFor('the topology line', () => second.stdout().includes('"msg":"topology: no changes"'));
    await second.stop('SIGTERM');
  });

  test('a bad file stops the start: exit status 2, its problems on stderr, no database opened', async () => {
    const file = path.join(dir, 'bad-serve.yaml');
    writeFileSync(file, BAD);
    const data = path.join(dir, 'never-opened');
    const result = await runCli(['serve', '--port', '0', '--data', data, '--config', file]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:13: queues\\.orders`));
    assert.equal(result.stderr.split('\n').filter(Boolean).length, 2);
    assert.equal(existsSync(data), false);

    const missing = await runCli(['serve', '--port', '0', '--data', data, '--config', path.join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^switchyard: --config .*nope\.yaml: no such file\n$/);
  });
});
