// A 200 means committed: SIGKILL the server (durability full) while sends and deletes are in flight,
// restart it on the same data and check that every acknowledged write is there and nothing is corrupt.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import Database from 'better-sqlite3';
import { serverProcesses } from '../helpers/process.js';
import { random } from '../helpers/random.js';

const { dataDir: newDataDir, serve } = serverProcesses();

/** Body of the i-th sent message: its number and a payload of varying length that is checkable. */
function sendBody(i: number): string {
  const payload = createHash('sha256')
    .update(`payload-${i}`)
    .digest('hex')
    .repeat(1 + ((i * 37) % 40));
  return `send-${i}|${payload}`;
}

const PRE = 200;
const SENDS = 500;
const STATIC_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'QueueArn',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'SqsManagedSseEnabled',
];

async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  assert.ok(QueueUrl);
  return QueueUrl;
}

async function staticAttributes(sqs: SQSClient, QueueUrl: string): Promise<Record<string, string>> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  const all: Record<string, string | undefined> = Attributes;
  return Object.fromEntries(STATIC_ATTRIBUTES.filter((n) => n in all).map((n) => [n, all[n] as string]));
}

async function crashRound(
  ctx: TestContext,
  killWindow: [number, number],
  durability: 'full' | 'relaxed' = 'full',
): Promise<void> {
  const seed = Number(process.env.SWITCHYARD_CRASH_SEED ?? Date.now() % 1_000_000);
  const rand = random(seed); // replayable with SWITCHYARD_CRASH_SEED
  const killAfter = killWindow[0] + Math.floor(rand() * (killWindow[1] - killWindow[0]));
  ctx.diagnostic(`seed ${seed}: SIGKILL at request ${killAfter}`);
  const dataDir = newDataDir('switchyard-crash-');

  // ---- setup, fully acknowledged ----------------------------------------------------------------
  const a = await serve(dataDir, durability);
  const dlqUrl = (await a.sqs.send(new CreateQueueCommand({ QueueName: 'crash-dlq' }))).QueueUrl as string;
  const dlqArn = (await staticAttributes(a.sqs, dlqUrl)).QueueArn as string;
  const url = (
    await a.sqs.send(
      new CreateQueueCommand({
        QueueName: 'crash',
        Attributes: {
          VisibilityTimeout: '45',
          MessageRetentionPeriod: '86400',
          MaximumMessageSize: '262144',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
        },
        tags: { purpose: 'crash-test', round: String(seed) },
      }),
    )
  ).QueueUrl as string;
  const attributesBefore = await staticAttributes(a.sqs, url);
  const tagsBefore = (await a.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags;

  // Messages to delete during the crash phase: sent and received (in flight for 10 minutes).
  for (let i = 0; i < PRE; i += 10) {
    const out = await a.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: Array.from({ length: 10 }, (_, k) => ({ Id: `p${i + k}`, MessageBody: `pre-${i + k}` })),
      }),
    );
    assert.equal(out.Successful?.length, 10);
  }
  const handles = new Map<string, string>(); // body -> receipt handle
  const preIds = new Map<string, string>(); // body -> MessageId
  for (let tries = 0; handles.size < PRE && tries < 100; tries++) {
    const got = await a.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    for (const m of got.Messages ?? []) {
      handles.set(m.Body as string, m.ReceiptHandle as string);
      preIds.set(m.Body as string, m.MessageId as string);
    }
  }
  assert.equal(handles.size, PRE);

  // ---- crash phase ------------------------------------------------------------------------------
  const ackedSends = new Map<number, string>(); // i -> MessageId
  const attemptedSends = new Set<number>();
  const ackedDeletes = new Set<string>(); // pre-bodies
  const attemptedDeletes = new Set<string>();
  let issuedRequests = 0;
  let outstanding = 0;
  let outstandingAtKill = 0;
  let failedRequests = 0;
  let killed = false;
  const kill = () => {
    if (killed) return;
    killed = true;
    outstandingAtKill = outstanding;
    a.child.kill('SIGKILL');
  };
  /**
   * Issues a request; the `killAfter`-th one triggers the kill, with the others in flight. The first 11
   * requests go out together, so a kill at request k comes after at least k - 11 answers.
   */
  const issue = async <T>(request: () => Promise<T>): Promise<T> => {
    issuedRequests += 1;
    outstanding += 1;
    if (issuedRequests === killAfter) {
      // Now, with this request not yet written and the others at every stage, or a few ms later.
      if (rand() < 0.5) kill();
      else setTimeout(kill, 1 + Math.floor(rand() * 3));
    }
    try {
      const out = await request();
      return out;
    } finally {
      outstanding -= 1;
    }
  };

  let nextSend = 0;
  let sendRequestNo = 0;
  const sendWorker = async () => {
    while (!killed && nextSend < SENDS) {
      const batch = sendRequestNo++ % 2 === 1;
      const first = nextSend;
      const indices = Array.from({ length: batch ? Math.min(10, SENDS - first) : 1 }, (_, k) => first + k);
      nextSend += indices.length;
      for (const i of indices) attemptedSends.add(i);
      try {
        if (batch) {
          const out = await issue(() =>
            a.sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: url,
                Entries: indices.map((i) => ({ Id: `s${i}`, MessageBody: sendBody(i) })),
              }),
            ),
          );
          assert.deepEqual(out.Failed ?? [], []);
          for (const ok of out.Successful ?? []) ackedSends.set(Number(ok.Id?.slice(1)), ok.MessageId as string);
        } else {
          const i = indices[0] as number;
          const out = await issue(() =>
            a.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: sendBody(i) })),
          );
          ackedSends.set(i, out.MessageId as string);
        }
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        failedRequests += 1;
        if (!killed) throw error;
      }
    }
  };
  const preBodies = [...handles.keys()];
  let nextDelete = 0;
  let deleteRequestNo = 0;
  const deleteWorker = async () => {
    while (!killed && nextDelete < preBodies.length) {
      const batch = deleteRequestNo++ % 2 === 1;
      const bodies = preBodies.slice(nextDelete, nextDelete + (batch ? 5 : 1));
      nextDelete += bodies.length;
      for (const b of bodies) attemptedDeletes.add(b);
      try {
        if (batch) {
          const out = await issue(() =>
            a.sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: url,
                Entries: bodies.map((b) => ({ Id: b, ReceiptHandle: handles.get(b) })),
              }),
            ),
          );
          assert.deepEqual(out.Failed ?? [], []);
          for (const ok of out.Successful ?? []) ackedDeletes.add(ok.Id as string);
        } else {
          await issue(() =>
            a.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handles.get(bodies[0] as string) })),
          );
          ackedDeletes.add(bodies[0] as string);
        }
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        failedRequests += 1;
        if (!killed) throw error;
      }
    }
  };
  const workers = [
    ...Array.from({ length: 8 }, () => sendWorker()),
    ...Array.from({ length: 3 }, () => deleteWorker()),
  ];
  await Promise.all(workers);
  kill(); // in case every request finished first (it should not: killAfter < the number of requests)
  const exit = await a.stop('SIGKILL');
  a.sqs.destroy();
  assert.equal(exit.signal, 'SIGKILL', `server exited on its own: ${JSON.stringify(exit)}\n${a.stderr()}`);
  ctx.diagnostic(
    `at the kill: ${ackedSends.size}/${attemptedSends.size} sends and ${ackedDeletes.size}/${attemptedDeletes.size} ` +
      `deletes acknowledged; ${outstandingAtKill} requests in flight at the kill, ${failedRequests} failed`,
  );
  assert.ok(ackedSends.size > 0 || ackedDeletes.size > 0, 'something was acknowledged before the kill');
  assert.ok(outstandingAtKill > 0, 'requests were in flight at the kill');

  // ---- after the crash ----------------------------------------------------------------------------
  const b = await serve(dataDir, durability);
  const url2 = await queueUrl(b.sqs, 'crash');
  assert.deepEqual(await staticAttributes(b.sqs, url2), attributesBefore, 'queue attributes intact');
  assert.deepEqual((await b.sqs.send(new ListQueueTagsCommand({ QueueUrl: url2 }))).Tags, tagsBefore, 'tags intact');
  await queueUrl(b.sqs, 'crash-dlq');

  // Which pre-messages still exist: their pre-crash handles still work on them.
  const preLeft = new Set<string>();
  for (const body of preBodies) {
    try {
      await b.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url2, ReceiptHandle: handles.get(body), VisibilityTimeout: 0 }),
      );
      preLeft.add(body);
    } catch (error) {
      assert.match(String(error), /does not exist|not available/, `${body}: ${String(error)}`);
    }
  }
  for (const body of ackedDeletes) assert.ok(!preLeft.has(body), `acknowledged delete of ${body} was lost`);
  for (const body of preBodies) {
    if (!attemptedDeletes.has(body)) assert.ok(preLeft.has(body), `${body} vanished without a delete`);
  }

  // Everything in the queue, once.
  const found = new Map<string, string>(); // body -> MessageId
  let empties = 0;
  for (let i = 0; i < 500 && empties < 3; i++) {
    const got = await b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url2, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    const messages = got.Messages ?? [];
    empties = messages.length === 0 ? empties + 1 : 0;
    for (const m of messages) {
      const body = m.Body as string;
      assert.ok(!found.has(body), `${body.slice(0, 20)} received twice`);
      found.set(body, m.MessageId as string);
    }
  }
  for (const [i, id] of ackedSends) {
    assert.equal(found.get(sendBody(i)), id, `acknowledged send ${i} missing or changed after the crash`);
  }
  for (const body of preLeft) assert.equal(found.get(body), preIds.get(body), `${body} not receivable`);
  for (const [body] of found) {
    const sendMatch = /^send-(\d+)\|/.exec(body);
    if (sendMatch) {
      const i = Number(sendMatch[1]);
      assert.ok(attemptedSends.has(i), `message ${i} was never sent`);
      assert.equal(body, sendBody(i), `body of message ${i} corrupted`);
    } else {
      assert.ok(preLeft.has(body), `unexpected message ${body.slice(0, 40)}`);
    }
  }
  const { Attributes } = await b.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url2,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  assert.equal(Attributes?.ApproximateNumberOfMessages, '0');
  assert.equal(Attributes?.ApproximateNumberOfMessagesNotVisible, String(found.size));

  const stopped = await b.stop('SIGTERM');
  assert.deepEqual(stopped, { code: 0, signal: null }, b.stderr());
  const db = new Database(path.join(dataDir, 'switchyard.db'), { readonly: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  } finally {
    db.close();
  }
}

test('SIGKILL early in a burst of sends and deletes loses no acknowledged write', async (ctx) => {
  await crashRound(ctx, [25, 70]);
});

test('SIGKILL late in a burst of sends and deletes loses no acknowledged write', async (ctx) => {
  await crashRound(ctx, [70, 150]);
});

// relaxed skips the fsync but still promises to survive a process crash (the OS keeps the WAL).
test('SIGKILL with --durability relaxed loses no acknowledged write either', async (ctx) => {
  await crashRound(ctx, [25, 150], 'relaxed');
});
