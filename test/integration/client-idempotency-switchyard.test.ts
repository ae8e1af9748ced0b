// switchyard/client's SwitchyardIdempotencyStore against a real server: the SwitchyardIdempotency API over HTTP
// (roundtrip, time to live, micro-batching of concurrent calls, errors on the wire and in the client), keys that
// outlive a server restart, and two consumers, each with a store of its own, that share what they handled.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { consume } from '../../src/client/consumer.js';
import { defineEvent, type EventEnvelope } from '../../src/client/events.js';
import { IdempotencyStoreError, SwitchyardIdempotencyStore } from '../../src/client/switchyard-idempotency.js';
import { stoppedAfterEach } from '../helpers/consumers.js';
import { sleep } from '../helpers/process.js';
import { sqsClient, startTestServer, tempDataDir, testServerForFile } from '../helpers/server.js';
import { sqsHelpers, uniq } from '../helpers/sqs.js';
import { waitFor } from '../helpers/wait.js';

const t = testServerForFile();
const { createQueue, counts } = sqsHelpers(() => t.sqs);

const clients: SQSClient[] = [];
const consumers = stoppedAfterEach();
after(() => {
  for (const c of clients) c.destroy();
});

/** A fetch that records the action and body of every request it makes. */
function recordingFetch(): { fetch: typeof fetch; requests: { action: string; body: Record<string, unknown> }[] } {
  const requests: { action: string; body: Record<string, unknown> }[] = [];
  const recording: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    requests.push({
      action: headers.get('x-amz-target') ?? '',
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    });
    return fetch(input, init);
  };
  return { fetch: recording, requests };
}

/** POSTs a SwitchyardIdempotency request as it is, with no client in the way. */
async function post(action: string, body: string): Promise<{ status: number; type: string | null; json: unknown }> {
  const response = await fetch(t.server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `SwitchyardIdempotency.${action}` },
    body,
  });
  return { status: response.status, type: response.headers.get('content-type'), json: await response.json() };
}

test('put, has and delete round-trip through the server; the endpoint comes from the client or is given', async () => {
  const store = new SwitchyardIdempotencyStore({ client: t.sqs });
  const other = new SwitchyardIdempotencyStore({ endpoint: t.server.url });
  const key = uniq('queue#event:roundtrip');
  assert.equal(await store.has(key), false);
  await store.put(key);
  assert.equal(await store.has(key), true);
  assert.equal(await other.has(key), true, 'another store instance sees the key: it lives in the server');
  await other.delete(key);
  assert.equal(await store.has(key), false);
  await store.delete(key); // deleting a key not held is no error
});

test('time to live: milliseconds go out as whole seconds, rounded up and clamped; an expired key is not held', async () => {
  const { fetch, requests } = recordingFetch();
  const store = new SwitchyardIdempotencyStore({ client: t.sqs, fetch, ttlMs: 90_000 });
  const key = uniq('ttl');
  await store.put(`${key}-default`);
  await store.put(`${key}-1ms`, 1);
  await store.put(`${key}-zero`, 0);
  await store.put(`${key}-1.5s`, 1500);
  await store.put(`${key}-month`, 30 * 86_400_000);
  assert.deepEqual(
    requests.map((r) => [r.action, r.body.TtlSeconds]),
    [
      ['SwitchyardIdempotency.PutKeys', 90],
      ['SwitchyardIdempotency.PutKeys', 1],
      ['SwitchyardIdempotency.PutKeys', 1],
      ['SwitchyardIdempotency.PutKeys', 2],
      ['SwitchyardIdempotency.PutKeys', 604_800],
    ],
  );
  assert.equal(await store.has(`${key}-1ms`), true);
  await sleep(1100);
  assert.equal(await store.has(`${key}-1ms`), false, 'expired after its second, before any sweep');
  assert.equal(await store.has(`${key}-1.5s`), true);
  await assert.rejects(store.put(key, -1), RangeError);
});

test('concurrent calls are micro-batched: 250 has() calls in 3 CheckKeys requests, each answered right', async () => {
  const { fetch, requests } = recordingFetch();
  const store = new SwitchyardIdempotencyStore({ client: t.sqs, fetch });
  const keys = Array.from({ length: 250 }, (_, i) => uniq(`batch-${i}`));
  const held = new Set(keys.filter((_, i) => i % 3 === 0));
  await Promise.all([...held].map((key) => store.put(key)));
  assert.deepEqual(
    requests.map((r) => [r.action, (r.body.Keys as string[]).length]),
    [['SwitchyardIdempotency.PutKeys', 84]],
    '84 puts in one request',
  );
  requests.length = 0;

  const answers = await Promise.all(keys.map((key) => store.has(key)));
  assert.deepEqual(
    answers,
    keys.map((key) => held.has(key)),
  );
  assert.ok(requests.length <= 3, `${requests.length} requests`);
  assert.ok(requests.every((r) => r.action === 'SwitchyardIdempotency.CheckKeys'));
  assert.ok(requests.every((r) => (r.body.Keys as string[]).length <= 100));
  assert.equal(requests.flatMap((r) => r.body.Keys as string[]).length, 250);

  // Calls for one key in one batch ask for it once; maxBatch bounds the requests' size.
  requests.length = 0;
  const small = new SwitchyardIdempotencyStore({ client: t.sqs, fetch, maxBatch: 10 });
  const first = keys[0] ?? '';
  assert.deepEqual(await Promise.all([small.has(first), small.has(first), small.has('not-held')]), [true, true, false]);
  assert.deepEqual(
    requests.map((r) => r.body.Keys),
    [[first, 'not-held']],
  );
  requests.length = 0;
  await Promise.all(keys.slice(0, 25).map((key) => small.has(key)));
  assert.deepEqual(
    requests.map((r) => (r.body.Keys as string[]).length),
    [10, 10, 5],
  );
});

test('bad requests over HTTP answer 400 with the error code and message as JSON, and no stack', async () => {
  const cases: [string, string, string, RegExp][] = [
    ['CheckKeys', '{"Keys":[]}', 'ValidationException', /^Keys must hold between 1 and 100 keys; it holds 0\.$/],
    ['PutKeys', '{}', 'ValidationException', /^The request must contain Keys, a list of 1 to 100 keys\.$/],
    [
      'PutKeys',
      JSON.stringify({ Keys: ['ok', 'x'.repeat(1025)] }),
      'ValidationException',
      /^Keys\[1\] is 1025 UTF-8 bytes long; a key is 1 to 1024 UTF-8 bytes\.$/,
    ],
    ['PutKeys', '{"Keys":["k"],"TtlSeconds":604801}', 'ValidationException', /^TtlSeconds must be an integer/],
    ['PutKeys', '{"Keys":["k"],"TtlSeconds":"60"}', 'ValidationException', /^Invalid type for TtlSeconds: /],
    ['DeleteKeys', '{"Keys":[1]}', 'ValidationException', /^Invalid type for Keys\.0: /],
    ['CheckKeys', 'not json', 'SerializationException', /not valid JSON/],
    ['ForgetEverything', '{}', 'UnknownOperationException', /ForgetEverything is not valid/],
  ];
  for (const [action, body, code, message] of cases) {
    const answer = await post(action, body);
    assert.equal(answer.status, 400, `${action} ${body}`);
    assert.equal(answer.type, 'application/x-amz-json-1.0');
    const json = answer.json as { __type: string; message: string };
    assert.deepEqual(Object.keys(json).sort(), ['__type', 'message']);
    assert.equal(json.__type.split('#').at(-1), code, `${action} ${body}`);
    assert.match(json.message, message);
    assert.doesNotMatch(json.message, /\n\s+at /, 'no stack trace');
  }
  const ok = await post('CheckKeys', '{"Keys":["never-put"]}');
  assert.deepEqual([ok.status, ok.json], [200, { Found: [] }]);
});

test('the client rejects with IdempotencyStoreError: the server refused, or could not be reached, or a bad key', async () => {
  // A fetch that empties the Keys of every request on its way: the server's own error comes back.
  const emptying: typeof fetch = (input, init) => fetch(input, { ...init, body: '{"Keys":[]}' });
  const refused = new SwitchyardIdempotencyStore({ client: t.sqs, fetch: emptying });
  await assert.rejects(refused.has('k'), (error: unknown) => {
    assert.ok(error instanceof IdempotencyStoreError);
    assert.equal(error.code, 'IDEMPOTENCY_STORE_FAILED');
    assert.equal(error.action, 'CheckKeys');
    assert.equal(error.status, 400);
    assert.equal(error.errorCode, 'ValidationException');
    assert.equal(error.errorMessage, 'Keys must hold between 1 and 100 keys; it holds 0.');
    return true;
  });

  const unreachable = new SwitchyardIdempotencyStore({ endpoint: 'http://127.0.0.1:1' });
  await assert.rejects(unreachable.put('k'), (error: unknown) => {
    assert.ok(error instanceof IdempotencyStoreError);
    assert.equal(error.errorCode, 'NetworkingError');
    assert.equal(error.status, undefined);
    assert.ok(error.cause, 'the network failure is the cause');
    return true;
  });

  const recording = recordingFetch();
  const store = new SwitchyardIdempotencyStore({ client: t.sqs, fetch: recording.fetch });
  const tooLong = 'é'.repeat(513); // 1026 UTF-8 bytes
  const [bad, good] = await Promise.allSettled([store.has(tooLong), store.has('fine')]);
  assert.equal(bad.status, 'rejected');
  assert.equal((bad as PromiseRejectedResult).reason.errorCode, 'ValidationException');
  assert.deepEqual(good, { status: 'fulfilled', value: false }, 'a bad key does not fail the batch of the others');
  assert.deepEqual(
    recording.requests.map((r) => r.body.Keys),
    [['fine']],
  );
  await assert.rejects(store.has(''), IdempotencyStoreError);

  assert.throws(
    () => new SwitchyardIdempotencyStore({}),
    /needs `endpoint`, or a `client` configured with an endpoint/,
  );
  assert.throws(() => new SwitchyardIdempotencyStore({ endpoint: t.server.url, maxBatch: 101 }), RangeError);
});

test('keys survive a restart of the server', async () => {
  const dataDir = tempDataDir('switchyard-idempotency-restart-');
  try {
    const first = await startTestServer({ dataDir });
    const key = 'restart#event:1';
    try {
      const store = new SwitchyardIdempotencyStore({ client: first.sqs });
      await store.put(key);
      await store.put('restart#event:short', 1);
      await store.put('restart#event:deleted');
      await store.delete('restart#event:deleted');
    } finally {
      await first.stop();
    }
    const second = await startTestServer({ dataDir });
    try {
      const store = new SwitchyardIdempotencyStore({ client: second.sqs });
      assert.equal(await store.has(key), true, 'put before the restart, held after it');
      assert.equal(await store.has('restart#event:deleted'), false);
      await sleep(1100);
      assert.equal(await store.has('restart#event:short'), false, 'its time to live still runs out');
      assert.equal(await store.has(key), true);
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const OrderPlaced = defineEvent({
  source: 'shop.orders',
  detailType: 'OrderPlaced',
  schema: z.object({ orderId: z.string() }),
});

/** The envelope EventBridge delivers to an SQS target. */
function envelope(orderId: string): string {
  const e: EventEnvelope = {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'OrderPlaced',
    source: 'shop.orders',
    account: '000000000000',
    time: '2024-05-01T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { orderId },
  };
  return JSON.stringify(e);
}

/** A consumer of `queueUrl` with a client and a SwitchyardIdempotencyStore of its own (as in another process). */
async function consumerWithOwnStore(queueUrl: string, name: string, handled: string[], duplicates: string[]) {
  const client = sqsClient(t.server.url);
  clients.push(client);
  const consumer = consume({
    client,
    queueUrl,
    waitTimeSeconds: 1,
    event: OrderPlaced,
    idempotency: { store: new SwitchyardIdempotencyStore({ client }) },
    handler: async (event) => {
      handled.push(`${name}:${event.detail.orderId}`);
    },
  });
  consumers.track(consumer);
  const errors: { error: Error; operation: string }[] = [];
  consumer.on('error', (error, info) => errors.push({ error, operation: info.operation }));
  consumer.on('duplicate', (info) => duplicates.push(`${name}:${info.key}`));
  await consumer.start();
  return { consumer, errors };
}

async function drained(queueUrl: string): Promise<boolean> {
  const c = await counts(queueUrl);
  return c.visible === 0 && c.notVisible === 0;
}

test('consumer: an event delivered twice is handled once, across two consumers with stores of their own', async () => {
  const queueUrl = await createQueue(uniq('idem-shared'), { VisibilityTimeout: '30' });
  const handled: string[] = [];
  const duplicates: string[] = [];

  // Consumer A handles the first copy and goes away; B, started afresh, gets the second copy and skips it.
  const body = envelope('o-1');
  const a = await consumerWithOwnStore(queueUrl, 'A', handled, duplicates);
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  await waitFor('A handled the first copy', async () => handled.length === 1 && (await drained(queueUrl)), 5000);
  await a.consumer.stop();
  const b = await consumerWithOwnStore(queueUrl, 'B', handled, duplicates);
  await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  const id = (JSON.parse(body) as { id: string }).id;
  await waitFor('B skipped the copy', async () => duplicates.length === 1 && (await drained(queueUrl)), 5000);
  assert.deepEqual(handled, ['A:o-1']);
  assert.deepEqual(duplicates, [`B:${queueUrl}#event:${id}`]);

  // Both running: 20 events, then their 20 copies; each event is handled once, whichever consumer gets it.
  const bBefore = b.consumer.stats().duplicates;
  const a2 = await consumerWithOwnStore(queueUrl, 'A', handled, duplicates);
  handled.length = 0;
  duplicates.length = 0;
  const bodies = Array.from({ length: 20 }, (_, i) => envelope(`o-${i}`));
  for (const MessageBody of bodies) await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }));
  await waitFor('the 20 events handled', async () => handled.length === 20 && (await drained(queueUrl)), 10_000);
  for (const MessageBody of bodies) await t.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }));
  await waitFor('the 20 copies skipped', async () => duplicates.length === 20 && (await drained(queueUrl)), 10_000);
  assert.equal(handled.length, 20, 'no copy was handled');
  assert.deepEqual(handled.map((h) => h.slice(2)).sort(), bodies.map((_, i) => `o-${i}`).sort());
  assert.equal(a2.consumer.stats().duplicates + b.consumer.stats().duplicates - bBefore, 20);
  assert.deepEqual([...a.errors, ...a2.errors, ...b.errors], []);
});
