// The demo end to end, at small scale: a real server with the reference deployment (examples/ecommerce), the demo run
// in process through runDemo, and its report checked: deliveries to every consumed queue, retries, dead-letters, a
// completed redrive whose messages are handled, coalescing, and every published event accounted for. And the CLI:
// `switchyard demo` against a server without the deployment (or no server) exits 2 saying how to start one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DemoReport, formatReport, runDemo } from '../../src/demo/index.js';
import { CONSUMED_QUEUES } from '../../src/demo/topology.js';
import { applyTopology, topologyClients } from '../../src/topology/apply.js';
import { loadTopology } from '../../src/topology/load.js';
import { REPO_ROOT, within } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const REFERENCE_DEPLOYMENT = path.join(REPO_ROOT, 'examples/ecommerce/switchyard.yaml');

/** Puts the reference deployment on a server, as `switchyard serve --config` does at start. */
async function applyReferenceDeployment(endpoint: string): Promise<void> {
  const topology = await loadTopology(REFERENCE_DEPLOYMENT);
  const clients = topologyClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
  try {
    await applyTopology(topology, clients);
  } finally {
    clients.destroy();
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `switchyard <args>` as a user would, and collects its output. */
function cli(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  delete env.SWITCHYARD_ENDPOINT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out.stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    out.stderr += chunk;
  });
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, ...out })));
  return within(done, 30_000, `switchyard ${args.join(' ')}`).finally(() => child.kill('SIGKILL'));
}

describe('the demo against the reference deployment', () => {
  let server: TestServer;
  let report: DemoReport;

  before(async () => {
    server = await startTestServer();
    await applyReferenceDeployment(server.server.url);
    report = await runDemo({ endpoint: server.server.url, scale: 'small', durationSeconds: 12 });
  });

  after(async () => {
    await server?.stop();
  });

  test('every consumed queue gets and handles its events, in order on the FIFO queue', () => {
    assert.equal(report.interrupted, false);
    assert.ok(report.published.total > 100, `published ${report.published.total}`);
    assert.equal(report.published.failed, 0);
    for (const q of CONSUMED_QUEUES) {
      const x = report.queues[q];
      assert.ok(x.routed > 0, `${q}: routed ${x.routed}`);
      assert.equal(x.delivered, x.routed, `${q}: every routed event delivered`);
      assert.ok(x.handled > 0, `${q}: handled ${x.handled}`);
      assert.equal(x.unsettled, 0, `${q}: unsettled`);
    }
    assert.equal(report.queues['orders.fifo'].outOfOrder, 0);
  });

  test('transient failures are retried, poison messages dead-lettered, then redriven and handled', () => {
    const retries = CONSUMED_QUEUES.reduce((sum, q) => sum + report.queues[q].retries, 0);
    assert.ok(retries > 0, `retries ${retries}`);
    for (const q of CONSUMED_QUEUES) {
      const x = report.queues[q];
      assert.ok(x.poison > 0, `${q}: poison ${x.poison}`);
      assert.ok(x.deadLettered >= x.poison, `${q}: dead-lettered ${x.deadLettered} of ${x.poison} poison`);
      assert.ok(x.redriven >= x.deadLettered, `${q}: redriven ${x.redriven}`);
      assert.equal(x.handledAfterRedrive, x.deadLettered, `${q}: every redriven event handled`);
      assert.equal(x.deadLetterQueueAtEnd, 0, `${q}: its dead-letter queue is empty at the end`);
    }
    assert.ok(report.redrive.fixedAtSecond !== undefined);
    assert.equal(report.redrive.completed, true, JSON.stringify(report.redrive.tasks));
    assert.ok(report.redrive.tasks.length >= CONSUMED_QUEUES.length);
  });

  test('coalescing saves downstream calls, and everything published is accounted for', () => {
    const inventory = report.queues.inventory;
    assert.ok(inventory.coalesced > 0, `coalesced ${inventory.coalesced}`);
    assert.equal(report.downstream.savedByCoalescing, inventory.coalesced + inventory.skipped);
    assert.ok(inventory.maxConcurrency >= inventory.minConcurrency);
    assert.equal(report.accounting.unaccounted, 0);
    assert.equal(report.accounting.inDeadLetterQueues, 0);
    assert.equal(report.accounting.settled, report.accounting.published);
    assert.equal(report.ok, true);
    const text = formatReport(report);
    assert.match(text, /^result +OK/m);
    assert.match(text, /^orders\.fifo +\d+/m);
  });
});

describe('switchyard demo without the reference deployment', () => {
  let bare: TestServer;

  before(async () => {
    bare = await startTestServer();
  });

  after(async () => {
    await bare?.stop();
  });

  test('exits 2 and says how to start a server that has it', async () => {
    const run = await cli(['demo', '--scale', 'small', '--endpoint-url', bare.server.url]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /the reference deployment is not on/);
    assert.match(run.stderr, /missing: event bus commerce/);
    assert.match(run.stderr, /npm start/);
    assert.match(run.stderr, /switchyard serve --config examples\/ecommerce\/switchyard\.yaml/);
    assert.equal(run.stdout, '');
  });

  test('exits 2 when no server answers', async () => {
    const run = await cli(['demo', '--endpoint-url', 'http://127.0.0.1:9']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
    assert.match(run.stderr, /npm start/);
  });

  test('--help lists the flags', async () => {
    const run = await cli(['demo', '--help']);
    assert.equal(run.code, 0);
    for (const flag of ['--endpoint-url', '--duration', '--rate', '--scale', '--json']) {
      assert.ok(run.stdout.includes(flag), flag);
    }
  });
});
