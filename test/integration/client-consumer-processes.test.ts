// switchyard/client's consumer in several processes at once on one queue of a real server: the work is shared, and
// a message is handled again only when the process that had it died before deleting it. The workers are
// test/fixtures/consumer-worker.ts, each reporting on its stdout what its handlers do.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { type Exit, REPO_ROOT, within } from '../helpers/process.js';
import { testServerForFile } from '../helpers/server.js';
import { sqsHelpers, uniq } from '../helpers/sqs.js';
import { waitFor } from '../helpers/wait.js';

const t = testServerForFile();
const { createQueue, counts } = sqsHelpers(() => t.sqs);

const MESSAGES = 600;
const WORKERS = 3;
const body = (i: number) => `body-${String(i).padStart(3, '0')}`;
const ALL_BODIES = Array.from({ length: MESSAGES }, (_, i) => body(i));

/** One handler call, from a worker's `begin` and `done` lines. */
interface Handling {
  messageId: string;
  body: string;
  pid: number;
  beganAt: number;
  doneAt: number | undefined;
}

interface Worker {
  child: ChildProcess;
  pid: number;
  exited: Promise<Exit>;
  /** Handler calls, in the order they began. */
  handlings: Handling[];
  /** The consumer's `error` events: "<operation> <message>". */
  errors: string[];
  /** Lines that are none of the above (`stopped …`, anything unexpected). */
  other: string[];
  stderr(): string;
}

const workers: Worker[] = [];
after(async () => {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await within(w.exited, 10_000, `worker ${w.pid} exit`).catch(() => undefined);
    }),
  );
});

/** Starts a worker on the queue and waits for its `started` line. */
async function startWorker(queueUrl: string, killAfter?: number): Promise<Worker> {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  const args = ['--import', 'tsx', 'test/fixtures/consumer-worker.ts', t.server.url, queueUrl];
  if (killAfter !== undefined) args.push(String(killAfter));
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const w: Worker = {
    child,
    pid: child.pid ?? -1,
    exited,
    handlings: [],
    errors: [],
    other: [],
    stderr: () => stderr,
  };
  workers.push(w);
  const open = new Map<string, Handling>();
  let started = false;
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const [kind, a = '', b = '', c = '', d = ''] = line.split(' ');
      if (kind === 'begin') {
        const h: Handling = { messageId: a, body: b, pid: Number(c), beganAt: Number(d), doneAt: undefined };
        w.handlings.push(h);
        open.set(a, h);
      } else if (kind === 'done') {
        const h = open.get(a);
        if (h) h.doneAt = Number(d);
        else w.other.push(line);
        open.delete(a);
      } else if (kind === 'started') started = true;
      else if (kind === 'error') w.errors.push(line.slice('error '.length));
      else w.other.push(line);
    }
  });
  await Promise.race([
    waitFor(`worker ${w.pid} to start`, () => started, 30_000),
    exited.then((exit) => {
      throw new Error(`worker exited before starting (${JSON.stringify(exit)}):\n${stderr}`);
    }),
  ]);
  return w;
}

/** Sends the 600 numbered bodies, ten to a batch. */
async function sendAll(QueueUrl: string): Promise<void> {
  for (let i = 0; i < MESSAGES; i += 10) {
    const out = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, k) => ({ Id: `m${k}`, MessageBody: body(i + k) })),
      }),
    );
    assert.deepEqual(out.Failed ?? [], []);
  }
}

async function drained(queueUrl: string, timeoutMs: number): Promise<void> {
  await waitFor(
    'the queue to drain',
    async () => {
      const c = await counts(queueUrl);
      return c.visible + c.notVisible + c.delayed === 0;
    },
    timeoutMs,
  );
}

/** SIGTERMs the workers and checks that each stops gracefully and exits with code 0. */
async function terminate(list: Worker[]): Promise<void> {
  for (const w of list) w.child.kill('SIGTERM');
  const exits = await Promise.all(list.map((w) => within(w.exited, 15_000, `worker ${w.pid} to exit after SIGTERM`)));
  for (const [i, exit] of exits.entries()) {
    const w = list[i] as Worker;
    assert.deepEqual(exit, { code: 0, signal: null }, `worker ${w.pid}: ${w.stderr()}`);
    assert.deepEqual(w.other, ['stopped false 0'], `worker ${w.pid}'s other output`);
    assert.equal(w.handlings.filter((h) => h.doneAt === undefined).length, 0, 'no handler was cut off');
  }
}

/** The handler calls of all the workers, by body. */
function byBody(list: Worker[]): Map<string, Handling[]> {
  const out = new Map<string, Handling[]>();
  for (const w of list) {
    for (const h of w.handlings) {
      assert.equal(h.pid, w.pid);
      const calls = out.get(h.body) ?? [];
      calls.push(h);
      out.set(h.body, calls);
    }
  }
  return out;
}

test('three consumer processes share a queue of 600 messages: each is handled exactly once', {
  timeout: 90_000,
}, async () => {
  const queueUrl = await createQueue(uniq('procs'), { VisibilityTimeout: '30' });
  // All three poll before the first message is sent, so that they all take part.
  const ws = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(queueUrl)));
  await sendAll(queueUrl);
  await drained(queueUrl, 60_000);
  await terminate(ws);

  const handled = byBody(ws);
  assert.deepEqual([...handled.keys()].sort(), ALL_BODIES, 'every body was handled');
  const twice = [...handled].filter(([, calls]) => calls.length > 1).map(([b, calls]) => `${b}×${calls.length}`);
  assert.deepEqual(twice, [], 'no body was handled twice');
  assert.equal(new Set(ws.flatMap((w) => w.handlings.map((h) => h.messageId))).size, MESSAGES);
  const shares = ws.map((w) => w.handlings.length);
  assert.ok(shares.filter((n) => n > 0).length >= 2, `the work was not shared: ${shares.join(', ')}`);
  for (const w of ws) assert.deepEqual(w.errors, [], `worker ${w.pid}'s consumer errors`);
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
});

test('a consumer process SIGKILLed mid-way: its messages come back to the others, none is handled twice after its delete', {
  timeout: 90_000,
}, async () => {
  // 2 s: what the killed process held comes back soon; the survivors' handlers (≤ 20 ms) are far within it.
  const queueUrl = await createQueue(uniq('procs-kill'), { VisibilityTimeout: '2' });
  const [victim, ...survivors] = await Promise.all([
    startWorker(queueUrl, 50),
    ...Array.from({ length: WORKERS - 1 }, () => startWorker(queueUrl)),
  ]);
  assert.ok(victim);
  await sendAll(queueUrl);
  const killed = await within(victim.exited, 30_000, 'the worker to kill itself after 50 messages');
  assert.deepEqual(killed, { code: null, signal: 'SIGKILL' });
  await drained(queueUrl, 60_000);
  await terminate(survivors);

  const killedAt = Math.max(...victim.handlings.map((h) => h.doneAt ?? h.beganAt));
  const victimDone = victim.handlings.filter((h) => h.doneAt !== undefined);
  const victimCutOff = victim.handlings.filter((h) => h.doneAt === undefined);
  assert.ok(victimDone.length >= 50, `the victim completed ${victimDone.length}`);
  assert.ok(victimCutOff.length >= 3, `the victim died with ${victimCutOff.length} handlers running`);
  assert.deepEqual(victim.errors, []);

  const handled = byBody([victim, ...survivors]);
  assert.deepEqual([...handled.keys()].sort(), ALL_BODIES, 'every body was handled at least once');
  const survivorPids = new Set(survivors.map((w) => w.pid));
  for (const [b, calls] of handled) {
    const bySurvivors = calls.filter((h) => survivorPids.has(h.pid));
    const byVictim = calls.filter((h) => h.pid === victim.pid);
    // A survivor deletes what it handled: nobody may get it after that.
    assert.ok(bySurvivors.length <= 1, `${b} handled by survivors ${bySurvivors.length} times`);
    assert.ok(byVictim.length <= 1, `${b} handled by the victim ${byVictim.length} times`);
    // Handled twice: first by the victim, which died before its delete; then, once it reappeared, by a survivor.
    if (calls.length === 2) {
      const [first, second] = calls.toSorted((x, y) => x.beganAt - y.beganAt) as [Handling, Handling];
      assert.equal(first.pid, victim.pid, `${b}: handled first by a survivor, then again`);
      assert.ok(second.beganAt >= killedAt, `${b}: handled again before the victim died`);
    }
  }
  // What the victim was handling when it died, it never deleted: each came back to one survivor.
  for (const h of victimCutOff) assert.equal(handled.get(h.body)?.length, 2, `${h.body}, cut off, handled again`);
  // The message whose handler killed the process finished but was not deleted: it came back too.
  const last = victimDone.toSorted((x, y) => (x.doneAt ?? 0) - (y.doneAt ?? 0)).at(-1);
  assert.equal(handled.get(last?.body ?? '')?.length, 2, 'the last message the victim completed came back');
  for (const w of survivors) {
    assert.ok(w.handlings.length > 0, `survivor ${w.pid} handled nothing`);
    assert.deepEqual(w.errors, [], `survivor ${w.pid}'s consumer errors`);
  }
  assert.deepEqual(await counts(queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
});
