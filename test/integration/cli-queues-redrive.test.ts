// The client commands against a real server process: `switchyard queues` (table and --json) and
// `switchyard redrive` (summary, progress, errors, Ctrl-C), with --endpoint-url and SWITCHYARD_ENDPOINT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueOverview } from '../../src/cli/commands/queues.js';
import { killAllServers, REPO_ROOT, type ServerProcess, sleep, spawnServer, within } from '../helpers/process.js';
import { tempDataDir } from '../helpers/server.js';
import { createQueue as createSdkQueue, queueArnOf } from '../helpers/sqs.js';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ReturnType<typeof spawn>>();

/** Starts `switchyard <args>` the way a user would, without SWITCHYARD_ENDPOINT unless `env` sets it. */
function startCli(args: string[], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  delete childEnv.NODE_OPTIONS;
  if (!('SWITCHYARD_ENDPOINT' in env)) delete childEnv.SWITCHYARD_ENDPOINT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out.stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    out.stderr += chunk;
  });
  const done = new Promise<Run>((resolve) => {
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, ...out });
    });
  });
  return { child, out, done: within(done, 25_000, `switchyard ${args.join(' ')}`) };
}

const cli = (args: string[], env?: Record<string, string>) => startCli(args, env).done;

let server: ServerProcess;
let sqs: SQSClient;
let dataDir: string;
const url: Record<string, string> = {};

before(async () => {
  dataDir = tempDataDir('switchyard-cli-');
  server = await spawnServer({ dataDir, durability: 'relaxed' });
  sqs = server.sqs;
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await killAllServers();
  sqs?.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Creates a queue and keeps its URL in `url`. */
async function createQueue(name: string, Attributes?: Record<string, string>): Promise<string> {
  const QueueUrl = await createSdkQueue(sqs, name, Attributes);
  url[name] = QueueUrl;
  return QueueUrl;
}

const arnOf = (QueueUrl: string) => queueArnOf(sqs, QueueUrl);

async function visible(QueueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages);
}

async function sendMany(QueueUrl: string, n: number, prefix: string): Promise<void> {
  for (let from = 0; from < n; from += 10) {
    const Entries = Array.from({ length: Math.min(10, n - from) }, (_, i) => ({
      Id: `e${i}`,
      MessageBody: `${prefix}-${from + i}`,
    }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
  }
}

/**
 * Sends `n` messages to `source` (maxReceiveCount 1) and receives until the source is empty: everything in
 * it ends up in its dead-letter queue. Returns how many messages the DLQ then holds.
 */
async function deadLetter(source: string, dlq: string, n: number): Promise<number> {
  await sendMany(source, n, 'dead');
  for (let i = 0; i < 50 + n; i++) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: source,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    if (Attributes?.ApproximateNumberOfMessages === '0' && Attributes.ApproximateNumberOfMessagesNotVisible === '0') {
      return visible(dlq);
    }
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  }
  assert.fail('the source did not empty into its dead-letter queue');
}

const STACK_LINE = /^\s+at /m;

describe('switchyard queues and redrive', () => {
  before(async () => {
    const dlq = await createQueue('orders-dlq');
    const dlqArn = await arnOf(dlq);
    const orders = await createQueue('orders', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
    });
    await createQueue('audit');
    await createQueue('empty');
    assert.equal(await deadLetter(orders, dlq, 2), 2);
    await sendMany(orders, 3, 'fresh');
    // audit: one in flight, one delayed.
    await sqs.send(new SendMessageCommand({ QueueUrl: url.audit, MessageBody: 'seen' }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: url.audit, VisibilityTimeout: 300 }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url.audit, MessageBody: 'later', DelaySeconds: 300 }));
  });

  test('queues --json: every queue with its counts and dead-letter links', async () => {
    // The flag wins over the environment.
    const run = await cli(['queues', '--json', '--endpoint-url', server.url], {
      SWITCHYARD_ENDPOINT: 'http://127.0.0.1:1',
    });
    assert.equal(run.code, 0, run.stderr);
    const queues = JSON.parse(run.stdout) as QueueOverview[];
    const byName = new Map(queues.map((q) => [q.name, q]));
    assert.deepEqual([...byName.keys()].sort(), ['audit', 'empty', 'orders', 'orders-dlq']);
    const dlq = byName.get('orders-dlq');
    const orders = byName.get('orders');
    const audit = byName.get('audit');
    const empty = byName.get('empty');
    assert.ok(dlq && orders && audit && empty);
    assert.deepEqual(
      [dlq.visible, dlq.inFlight, dlq.delayed, dlq.deadLetterQueue, dlq.deadLetterSources],
      [2, 0, 0, null, ['orders']],
    );
    assert.deepEqual(
      [orders.visible, orders.deadLetterQueue, orders.maxReceiveCount, orders.deadLetterSources],
      [3, 'orders-dlq', 1, []],
    );
    assert.deepEqual([audit.visible, audit.inFlight, audit.delayed], [0, 1, 1]);
    assert.equal(empty.oldestMessageAgeSeconds, null);
    assert.equal(typeof orders.oldestMessageAgeSeconds, 'number');
    assert.equal(dlq.fifo, false);
    assert.equal(dlq.arn, await arnOf(url['orders-dlq'] ?? ''));
  });

  test('queues: a table with the names, counts and links; SWITCHYARD_ENDPOINT is honoured', async () => {
    // No flag: the endpoint comes from the environment.
    const run = await cli(['queues'], { SWITCHYARD_ENDPOINT: server.url });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /\x1b\[/, 'no colours when stdout is not a terminal');
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+TYPE\s+VISIBLE\s+IN FLIGHT\s+DELAYED\s+OLDEST\s+DLQ$/);
    const row = (name: string) => lines.find((l) => l.split(/\s+/)[0] === name) ?? '';
    assert.match(row('orders-dlq'), /^orders-dlq\s+std\s+2\s+0\s+0\s+\d+s\s+← orders$/);
    assert.match(row('orders'), /^orders\s+std\s+3\s+0\s+0\s+\d+s\s+→ orders-dlq \(max 1\)$/);
    assert.match(row('audit'), /^audit\s+std\s+0\s+1\s+1\s+\d+s$/);
    assert.match(row('empty'), /^empty\s+std\s+0\s+0\s+0\s+-$/);
    assert.equal(lines.length, 5);
  });

  test('redrive --no-progress: moves the DLQ back to its source and prints a summary', async () => {
    const run = await cli(['redrive', 'orders-dlq', '--no-progress', '--endpoint-url', server.url]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'moved 2 messages from orders-dlq to their source queues\n');
    assert.equal(run.stderr, '', 'no progress output');
    assert.equal(await visible(url['orders-dlq'] ?? ''), 0);
    assert.equal(await visible(url.orders ?? ''), 5);
    const { Results = [] } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: await arnOf(url['orders-dlq'] ?? '') }),
    );
    assert.equal(Results[0]?.Status, 'COMPLETED');
    assert.equal(Results[0]?.ApproximateNumberOfMessagesMoved, 2);
  });

  test('redrive --to --rate: plain progress lines when stderr is not a terminal; Ctrl-C cancels (exit 130)', async () => {
    const dlq = url['orders-dlq'] ?? '';
    // The 5 messages at the source plus 5 new ones.
    assert.equal(await deadLetter(url.orders ?? '', dlq, 5), 10);
    const run = startCli(['redrive', 'orders-dlq', '--to', 'audit', '--rate', '2', '--endpoint-url', server.url]);
    const deadline = Date.now() + 10_000;
    while (!/moved/.test(run.out.stderr) && Date.now() < deadline) await sleep(50);
    assert.match(run.out.stderr, /^\d+\/10 moved {2}\d+%/m, 'a progress line');
    run.child.kill('SIGINT');
    const result = await run.done;
    assert.equal(result.code, 130, result.stderr);
    assert.match(
      result.stderr,
      /switchyard: interrupted: cancelled the move task after moving \d+ of 10 messages from orders-dlq\n$/,
    );
    assert.doesNotMatch(result.stderr, /\[#/, 'no bar when stderr is not a terminal');
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: await arnOf(dlq) }));
    assert.equal(Results[0]?.Status, 'CANCELLED');
    const moved = Results[0]?.ApproximateNumberOfMessagesMoved ?? -1;
    assert.ok(moved >= 0 && moved < 10);
    assert.equal(await visible(dlq), 10 - moved, 'the rest stays in the DLQ');
  });

  test('redrive reports a failed task with its reason (exit 1)', async () => {
    const target = await createQueue('doomed');
    const run = startCli(['redrive', 'orders-dlq', '--to', 'doomed', '--rate', '3', '--endpoint-url', server.url]);
    // Let it start and move a message or two, then take its destination away.
    const deadline = Date.now() + 10_000;
    while ((await visible(target)) === 0 && Date.now() < deadline) await sleep(50);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: target }));
    const result = await run.done;
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /switchyard: move task failed: AWS\.SimpleQueueService\.NonExistentQueue \(moved \d+ of \d+ messages from orders-dlq\)\n$/,
    );
  });

  test('errors: one clear line and exit 1', async () => {
    const [missing, notDlq, unreachableQueues, unreachableRedrive, badRate] = await Promise.all([
      cli(['redrive', 'nope', '--endpoint-url', server.url]),
      cli(['redrive', 'orders', '--endpoint-url', server.url]),
      cli(['queues', '--endpoint-url', 'http://127.0.0.1:1']),
      // The endpoint from the environment.
      cli(['redrive', 'orders-dlq'], { SWITCHYARD_ENDPOINT: 'http://127.0.0.1:1' }),
      cli(['redrive', 'orders-dlq', '--rate', '501', '--endpoint-url', server.url]),
    ]);
    for (const run of [missing, notDlq, unreachableQueues, unreachableRedrive, badRate]) {
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stdout, '');
      assert.doesNotMatch(run.stderr, STACK_LINE, 'no stack trace');
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line: ${run.stderr}`);
    }
    assert.match(missing.stderr, /^switchyard: QueueDoesNotExist: The specified queue does not exist: nope\n$/);
    assert.equal(
      notDlq.stderr,
      'switchyard: InvalidParameterValue: Source queue must be configured as a Dead Letter Queue.\n',
    );
    assert.equal(unreachableQueues.stderr, 'switchyard: cannot reach http://127.0.0.1:1: connection refused\n');
    assert.equal(unreachableRedrive.stderr, 'switchyard: cannot reach http://127.0.0.1:1: connection refused\n');
    assert.match(badRate.stderr, /--rate.*501.*1 to 500/);
  });

  test('--help describes every flag', async () => {
    const [queues, redrive] = await Promise.all([cli(['queues', '--help']), cli(['redrive', '--help'])]);
    assert.equal(queues.code, 0);
    for (const flag of ['--json', '--endpoint-url', 'SWITCHYARD_ENDPOINT'])
      assert.ok(queues.stdout.includes(flag), flag);
    assert.equal(redrive.code, 0);
    for (const flag of ['<dlq>', '--to <queue>', '--rate <n>', '--no-progress', '--endpoint-url']) {
      assert.ok(redrive.stdout.includes(flag), flag);
    }
  });
});
