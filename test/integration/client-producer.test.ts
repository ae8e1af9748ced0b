// switchyard/client's producer against a real server: events published through it reach an SQS queue through a rule,
// once each, and parse back typed; failures reject with typed errors; transient failures (injected by a small HTTP
// proxy in front of the server) are retried.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  CATALOGUE,
  type CatalogueEventName,
  catalogueDefinition,
  createProducer,
  defineEvent,
  type EventDefinition,
  EventValidationError,
  entityKey,
  INVENTORY_SOURCE,
  InventoryAdjusted,
  ORDERS_SOURCE,
  type ProducerEvents,
  PublishError,
  parseEnvelope,
  RETURNS_SOURCE,
} from '../../src/client/index.js';
import { CATALOGUE_NAMES, sampleDetail } from '../helpers/catalogue.js';
import { eventBridgeClient, startTestServer, type TestServer } from '../helpers/server.js';

const queueArn = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

/** Every message currently in the queue (received with a long visibility timeout, so they stay out of the way). */
async function drain(sqs: SQSClient, url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300 }),
    );
    if (!out.Messages || out.Messages.length === 0) return all;
    all.push(...out.Messages);
  }
}

/** A queue that a rule on the default bus fills with the catalogue's events whose `detail.sellerId` is `seller`. */
async function catalogueQueue(eb: EventBridgeClient, sqs: SQSClient, name: string, sellers: string[]): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  assert.ok(out.QueueUrl);
  await eb.send(
    new PutRuleCommand({
      Name: name,
      EventPattern: JSON.stringify({
        source: [ORDERS_SOURCE, INVENTORY_SOURCE, RETURNS_SOURCE],
        detail: { sellerId: sellers },
      }),
    }),
  );
  const targets = await eb.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'queue', Arn: queueArn(name) }] }));
  assert.equal(targets.FailedEntryCount, 0);
  return out.QueueUrl;
}

/** Counts the PutEvents calls a client makes (after the producer, before the wire). */
function countPutEvents(eb: EventBridgeClient): { calls: number } {
  const counter = { calls: 0 };
  eb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PutEventsCommand') counter.calls++;
      return next(args);
    },
    { step: 'initialize', name: 'countPutEvents' },
  );
  return counter;
}

/** What the proxy does with a PutEvents call: answer it itself, or forward it without some entries. */
type Intercept =
  | { answer: { status: number; body: unknown } }
  | {
      /** Indexes of entries not forwarded: the client gets a ThrottlingException result for each instead. */
      throttle: number[];
    }
  | undefined;

/**
 * An HTTP proxy in front of the server that lets `intercept` fail the n-th PutEvents call (from 1) or some of its
 * entries, and forwards everything else. Records how many entries each PutEvents call carried.
 */
async function startProxy(
  target: string,
  intercept: (call: number) => Intercept,
): Promise<{ url: string; entriesPerCall: number[]; close(): Promise<void> }> {
  const entriesPerCall: number[] = [];
  const upstream = new URL(target);
  const forward = (
    req: { url?: string; method?: string; headers: Record<string, string | string[] | undefined> },
    body: Buffer,
  ) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
      (resolve, reject) => {
        const headers = { ...req.headers, 'content-length': String(body.length) };
        const out = request(
          { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
          (answer) => {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.on('end', () =>
              resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
            );
          },
        );
        out.on('error', reject);
        out.end(body);
      },
    );
  const handle = async (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
    let plan: Intercept;
    let request: { Entries: unknown[] } | undefined;
    if (req.headers['x-amz-target'] === 'AWSEvents.PutEvents') {
      request = JSON.parse(body.toString('utf8')) as { Entries: unknown[] };
      entriesPerCall.push(request.Entries.length);
      plan = intercept(entriesPerCall.length);
    }
    if (plan && 'answer' in plan) {
      const text = JSON.stringify(plan.answer.body);
      res.writeHead(plan.answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(text);
      return;
    }
    if (!plan || !request) {
      const answer = await forward(req, body);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    const throttled = new Set(plan.throttle);
    const kept = request.Entries.filter((_, i) => !throttled.has(i));
    const answer = await forward(req, Buffer.from(JSON.stringify({ ...request, Entries: kept })));
    const out = JSON.parse(answer.body.toString('utf8')) as { FailedEntryCount: number; Entries: unknown[] };
    const results = [...out.Entries];
    const merged = request.Entries.map((_, i) =>
      throttled.has(i) ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : results.shift(),
    );
    const text = JSON.stringify({ FailedEntryCount: out.FailedEntryCount + throttled.size, Entries: merged });
    res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(text);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks), res).catch((error: unknown) => {
        res.writeHead(502);
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    entriesPerCall,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function record(producer: ReturnType<typeof createProducer>) {
  const seen: { [E in keyof ProducerEvents]: ProducerEvents[E][] } = { batch: [], retry: [], error: [] };
  producer.on('batch', (e) => seen.batch.push(e));
  producer.on('retry', (e) => seen.retry.push(e));
  producer.on('error', (e) => seen.error.push(e));
  return seen;
}

describe('switchyard/client producer against a server', () => {
  let t: TestServer;
  let eb: EventBridgeClient;

  before(async () => {
    t = await startTestServer();
    eb = eventBridgeClient(t.server.url);
  });
  after(async () => {
    eb.destroy();
    await t.stop();
  });

  test('25 events of mixed kinds published concurrently arrive once each, in 3 batches, and parse back typed', async () => {
    const url = await catalogueQueue(eb, t.sqs, 'client-mixed', ['seller-0', 'seller-1', 'seller-2']);
    const client = eventBridgeClient(t.server.url);
    const putEvents = countPutEvents(client);
    const producer = createProducer({ client });
    const seen = record(producer);

    const published = Array.from({ length: 25 }, (_, n) => {
      const name = CATALOGUE_NAMES[n % CATALOGUE_NAMES.length] as CatalogueEventName;
      return { name, detail: sampleDetail(name, n, 1 + Math.floor(n / 10)) };
    });
    // Any definition, with the detail checked at runtime (dispatch by name loses the static pairing).
    const results = await Promise.all(
      published.map(({ name, detail }) => {
        const definition: EventDefinition<unknown, unknown> = CATALOGUE[name];
        return producer.publish(definition, detail);
      }),
    );
    await producer.close();
    client.destroy();

    assert.equal(putEvents.calls, 3);
    assert.deepEqual(
      seen.batch.map((b) => b.size),
      [10, 10, 5],
    );
    assert.deepEqual(seen.retry, []);
    assert.deepEqual(seen.error, []);

    const messages = await drain(t.sqs, url);
    assert.equal(messages.length, 25, 'each event once');
    const byId = new Map(results.map((r, i) => [r.eventId, published[i]]));
    assert.equal(byId.size, 25);
    const ids = new Set<string>();
    for (const message of messages) {
      const untyped = parseEnvelope(message);
      const definition = catalogueDefinition(untyped);
      assert.ok(definition, `${untyped.source} / ${untyped.detailType} is a catalogue event`);
      const event = definition.parse(message.Body ?? '');
      const sent = byId.get(event.id);
      assert.ok(sent, `event ${event.id} is one the producer published`);
      assert.equal(definition, CATALOGUE[sent.name]);
      assert.deepEqual(event.detail, sent.detail);
      assert.equal(event.account, '000000000000');
      assert.equal(event.region, 'us-east-1');
      assert.ok(entityKey(event));
      ids.add(event.id);
    }
    assert.equal(ids.size, 25, 'no event twice');
    // Typed parse of a known kind.
    const created = messages.map((m) => parseEnvelope(m)).find((e) => CATALOGUE.OrderCreated.matches(e));
    assert.ok(created);
    assert.equal(CATALOGUE.OrderCreated.parse(created).detail.lines[0]?.price.currency, 'EUR');
  });

  test('an invalid event rejects with EventValidationError and sends nothing', async () => {
    const client = eventBridgeClient(t.server.url);
    const putEvents = countPutEvents(client);
    const producer = createProducer({ client });
    await assert.rejects(
      producer.publish(InventoryAdjusted, { ...sampleDetail('InventoryAdjusted'), version: 0 }),
      (e: unknown) => {
        assert.ok(e instanceof EventValidationError);
        assert.equal(e.issues[0]?.path.join('.'), 'version');
        return true;
      },
    );
    await producer.close();
    client.destroy();
    assert.equal(putEvents.calls, 0);
  });

  test('an aws. source is refused per entry: that promise rejects with PublishError, the batch mate goes through', async () => {
    const url = await catalogueQueue(eb, t.sqs, 'client-forged', ['seller-forged']);
    const Forged = defineEvent({
      source: 'aws.ec2',
      detailType: 'EC2 Instance State-change Notification',
      schema: InventoryAdjusted.schema,
    });
    const client = eventBridgeClient(t.server.url);
    const putEvents = countPutEvents(client);
    const producer = createProducer({ client, maxAttempts: 3, baseDelayMs: 1 });
    const seen = record(producer);
    const detail = { ...sampleDetail('InventoryAdjusted'), sellerId: 'seller-forged' };
    const forged = producer.publish(Forged, detail);
    const real = producer.publish(InventoryAdjusted, detail);
    await assert.rejects(forged, (e: unknown) => {
      assert.ok(e instanceof PublishError);
      assert.equal(e.errorCode, 'NotAuthorizedForSourceException');
      assert.match(e.errorMessage, /Not authorized/);
      assert.equal(e.attempts, 1);
      return true;
    });
    const { eventId } = await real;
    await producer.close();
    client.destroy();
    assert.equal(putEvents.calls, 1, 'one call, no retry of a non-retryable refusal');
    assert.deepEqual(
      seen.error.map((e) => e.errorCode),
      ['NotAuthorizedForSourceException'],
    );
    const messages = await drain(t.sqs, url);
    assert.deepEqual(
      messages.map((m) => InventoryAdjusted.parse(m).id),
      [eventId],
    );
  });

  test('a call answered with HTTP 500 and then with ThrottlingException is retried: every event arrives once', async () => {
    const url = await catalogueQueue(eb, t.sqs, 'client-retry', ['seller-retry']);
    const proxy = await startProxy(t.server.url, (call) => {
      if (call === 1)
        return { answer: { status: 500, body: { __type: 'InternalException', message: 'Internal error' } } };
      if (call === 2)
        return { answer: { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } } };
      return undefined;
    });
    const client = eventBridgeClient(proxy.url);
    try {
      const producer = createProducer({ client, baseDelayMs: 5 });
      const seen = record(producer);
      const details = [1, 2, 3].map((n) => ({ ...sampleDetail('InventoryAdjusted', n), sellerId: 'seller-retry' }));
      const results = await Promise.all(details.map((d) => producer.publish(InventoryAdjusted, d)));
      await producer.close();

      assert.deepEqual(proxy.entriesPerCall, [3, 3, 3], 'two failed calls, then the one that got through');
      assert.deepEqual(
        seen.retry.map((r) => [r.attempt, r.count]),
        [
          [1, 3],
          [2, 3],
        ],
      );
      assert.ok(seen.retry.every((r) => r.delayMs >= 0 && r.delayMs <= 5 * 2 ** (r.attempt - 1)));
      const messages = await drain(t.sqs, url);
      assert.equal(messages.length, 3);
      // Each promise resolved with the id of its own event, the retried one included.
      const idBySku = new Map(messages.map((m) => InventoryAdjusted.parse(m)).map((e) => [e.detail.sku, e.id]));
      assert.deepEqual(
        details.map((d) => idBySku.get(d.sku)),
        results.map((r) => r.eventId),
      );
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  test('entries failed with a retryable code are sent again alone; the others are not sent twice', async () => {
    const url = await catalogueQueue(eb, t.sqs, 'client-entry-retry', ['seller-entry']);
    // The proxy forwards the first call without its second entry, and answers ThrottlingException for that one.
    const proxy = await startProxy(t.server.url, (call) => (call === 1 ? { throttle: [1] } : undefined));
    const client = eventBridgeClient(proxy.url);
    try {
      const producer = createProducer({ client, baseDelayMs: 5 });
      const seen = record(producer);
      const details = [1, 2, 3].map((n) => ({ ...sampleDetail('InventoryAdjusted', n), sellerId: 'seller-entry' }));
      const results = await Promise.all(details.map((d) => producer.publish(InventoryAdjusted, d)));
      await producer.close();
      assert.deepEqual(proxy.entriesPerCall, [3, 1]);
      assert.deepEqual(
        seen.retry.map((r) => [r.attempt, r.count]),
        [[1, 1]],
      );
      const messages = await drain(t.sqs, url);
      assert.equal(messages.length, 3);
      // Each promise resolved with the id of its own event, the retried one included.
      const idBySku = new Map(messages.map((m) => InventoryAdjusted.parse(m)).map((e) => [e.detail.sku, e.id]));
      assert.deepEqual(
        details.map((d) => idBySku.get(d.sku)),
        results.map((r) => r.eventId),
      );
    } finally {
      client.destroy();
      await proxy.close();
    }
  });
});
