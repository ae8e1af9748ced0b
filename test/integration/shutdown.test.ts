// Graceful shutdown of the CLI server on SIGTERM, and the CLI's help and flag validation.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { runCli, serverProcesses, sleep, within } from '../helpers/process.js';
import { sqsClient } from '../helpers/server.js';

const { dataDir: newDataDir, serve, track } = serverProcesses();

/** HTTP status of an SDK error, when the server answered at all. */
function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

test('SIGTERM ends long polls at once, finishes requests, exits 0 and keeps every acknowledged message', async (ctx) => {
  const dataDir = newDataDir('switchyard-shutdown-');
  const a = await serve(dataDir);
  const url = (await a.sqs.send(new CreateQueueCommand({ QueueName: 'sd' }))).QueueUrl as string;
  const emptyUrl = (await a.sqs.send(new CreateQueueCommand({ QueueName: 'sd-empty' }))).QueueUrl as string;

  const acked = new Map<string, string>(); // body -> MessageId
  const attempted = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const body = `before-${i}`;
    attempted.add(body);
    const out = await a.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    acked.set(body, out.MessageId as string);
  }

  // Two long polls, one on its own connection, parked on an empty queue.
  const pollClient = track(sqsClient(a.url));
  const pollStarted = Date.now();
  const polls = [a.sqs, pollClient].map((client) =>
    client.send(new ReceiveMessageCommand({ QueueUrl: emptyUrl, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 })).then(
      (out) => ({ out, at: Date.now() }),
      (error: unknown) => ({ error, at: Date.now() }),
    ),
  );
  await sleep(500);
  let settled = false;
  void Promise.race(polls).then(() => {
    settled = true;
  });
  await sleep(0);
  assert.equal(settled, false, 'the long polls are waiting before the signal');

  // Senders that keep going until the server refuses them.
  let signalled = false;
  const httpErrors: string[] = [];
  let next = 0;
  const sender = async (w: number) => {
    for (;;) {
      const n = next++;
      const batch = n % 3 === 0;
      const bodies = batch ? Array.from({ length: 5 }, (_, k) => `during-${n}-${k}`) : [`during-${n}`];
      for (const b of bodies) attempted.add(b);
      try {
        if (batch) {
          const out = await a.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: url,
              Entries: bodies.map((b, k) => ({ Id: `e${k}`, MessageBody: b })),
            }),
          );
          for (const ok of out.Successful ?? [])
            acked.set(bodies[Number(ok.Id?.slice(1))] as string, ok.MessageId as string);
          assert.deepEqual(out.Failed ?? [], [], 'batch entries failed');
        } else {
          const out = await a.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: bodies[0] }));
          acked.set(bodies[0] as string, out.MessageId as string);
        }
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        const status = httpStatus(error);
        // Refused or reset connections are expected once the server stops; an error answer is not.
        if (status !== undefined) httpErrors.push(`worker ${w}: HTTP ${status} ${String(error)}`);
        if (!signalled) throw error;
        return;
      }
      if (signalled && Date.now() - signalledAt > 10_000) return;
    }
  };
  let signalledAt = 0;
  const senders = Array.from({ length: 6 }, (_, w) => sender(w));
  await sleep(150);
  const ackedBeforeSignal = acked.size;
  signalled = true;
  signalledAt = Date.now();
  a.child.kill('SIGTERM');

  const results = await within(Promise.all(polls), 5000, 'long polls ending after SIGTERM');
  for (const r of results) {
    assert.ok(!('error' in r), `long poll failed instead of returning empty: ${String('error' in r && r.error)}`);
    assert.equal('out' in r ? r.out.Messages : 'missing', undefined, 'long poll returned no messages');
    assert.ok(r.at - signalledAt < 3000, `long poll returned ${r.at - signalledAt} ms after SIGTERM`);
    assert.ok(r.at - pollStarted < 10_000);
  }
  const exit = await within(a.exited, 5000, 'exit after SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM:\n${a.stderr()}`);
  assert.ok(Date.now() - signalledAt < 5000);
  await within(Promise.all(senders), 15_000, 'senders stopping');
  assert.deepEqual(httpErrors, [], 'no request got an error answer during shutdown');
  ctx.diagnostic(
    `${ackedBeforeSignal - 20} sends acknowledged before SIGTERM, ${acked.size - ackedBeforeSignal} after it, ` +
      `${attempted.size - acked.size} cut off`,
  );
  assert.ok(ackedBeforeSignal > 20, 'sends were acknowledged before the signal');
  assert.match(a.stdout(), /switchyard stopped/);
  assert.doesNotMatch(a.stderr(), /^\s+at /m, 'no stack trace');

  // Everything acknowledged is there after a restart, once, with its MessageId.
  const b = await serve(dataDir);
  const url2 = (await b.sqs.send(new GetQueueUrlCommand({ QueueName: 'sd' }))).QueueUrl as string;
  const found = new Map<string, string>();
  let empties = 0;
  for (let i = 0; i < 1000 && empties < 3; i++) {
    const got = await b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url2, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    const messages = got.Messages ?? [];
    empties = messages.length === 0 ? empties + 1 : 0;
    for (const m of messages) {
      assert.ok(!found.has(m.Body as string), `${m.Body} received twice`);
      assert.ok(attempted.has(m.Body as string), `unexpected message ${m.Body}`);
      found.set(m.Body as string, m.MessageId as string);
    }
  }
  for (const [body, id] of acked) assert.equal(found.get(body), id, `acknowledged ${body} missing after restart`);
  const stopped = await b.stop('SIGTERM', 5000);
  assert.deepEqual(stopped, { code: 0, signal: null });
});

const FLAGS = ['--host', '--port', '--data', '--region', '--account', '--durability', '--log-level', '--limit'];

test('switchyard serve --help lists every flag', async () => {
  const r = await runCli(['serve', '--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const flag of FLAGS) assert.match(r.stdout, new RegExp(`${flag}\\b`), `serve --help lacks ${flag}`);
  assert.match(r.stdout, /full/);
  assert.match(r.stdout, /relaxed/);
});

test('switchyard --help lists the commands and says where their flags are', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /serve \[options\]\s+start the server/);
  assert.match(r.stdout, /switchyard <command> --help/);
});

const BAD_FLAGS: { args: string[]; message: RegExp }[] = [
  { args: ['--durability', 'foo'], message: /--durability.*foo.*full, relaxed/ },
  { args: ['--limit', 'nope=1'], message: /--limit.*unknown limit "nope"/ },
  { args: ['--limit', 'maxBatchEntries=abc'], message: /--limit.*maxBatchEntries.*integer/ },
  { args: ['--account', '12'], message: /--account must be 12 digits, got "12"/ },
  { args: ['--port', 'abc'], message: /--port.*abc.*integer/ },
  { args: ['--port', '70000'], message: /--port must be between 0 and 65535/ },
  { args: ['--log-level', 'loud'], message: /--log-level.*loud/ },
  { args: ['--region', 'moon'], message: /--region.*moon/ },
  { args: ['--bogus'], message: /unknown option '--bogus'/ },
];

for (const { args, message } of BAD_FLAGS) {
  test(`switchyard serve ${args.join(' ')} exits non-zero with a clear message`, async () => {
    const root = newDataDir('switchyard-cli-');
    const dataDir = path.join(root, 'data');
    // --port 0 first: a value check must fail by itself, never by a clash on the default port.
    const r = await runCli(['serve', '--port', '0', '--data', dataDir, ...args], 15_000);
    assert.notEqual(r.code, 0, `exit code ${r.code}`);
    assert.notEqual(r.code, null, `ended by ${r.signal}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /^\s+at /m, `stack trace printed:\n${r.stderr}`);
    assert.ok(r.stderr.trim().split('\n').length <= 3, `a short message, got:\n${r.stderr}`);
    assert.doesNotMatch(r.stdout, /switchyard listening/);
    assert.equal(existsSync(dataDir), false, 'no data directory created');
  });
}
