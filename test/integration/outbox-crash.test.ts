// Targets delivered through the outbox survive a SIGKILL: with an HTTP target that keeps answering 503 and a
// bus target routing on to a queue, kill the server while PutEvents calls are in flight, restart it with the
// HTTP target healthy, and check that every acknowledged event reaches the HTTP target (at least once) and
// the queue behind the other bus (exactly once).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  CreateEventBusCommand,
  PutEventsCommand,
  type PutEventsCommandOutput,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { serverProcesses, sleep } from '../helpers/process.js';
import { eventBridgeClient } from '../helpers/server.js';
import { drain } from '../helpers/sqs.js';

const { dataDir: newDataDir, serve } = serverProcesses();

const CALLS = 120;
const WORKERS = 12;
const KILL_AFTER = 40;
const FAST_RETRIES = ['--limit', 'deliveryRetryBaseMillis=50', '--limit', 'deliveryRetryMaxDelayMillis=100'];

test('outbox deliveries acknowledged before a SIGKILL are made after the restart; the bus target exactly once', async () => {
  let healthy = false;
  const received = new Map<string, number>();
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!healthy) {
        res.writeHead(503).end();
        return;
      }
      const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id;
      received.set(id, (received.get(id) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const dataDir = newDataDir('outbox-crash-');
  let server = await serve(dataDir, 'full', FAST_RETRIES);
  const eb = eventBridgeClient(server.url);
  const url = (await server.sqs.send(new CreateQueueCommand({ QueueName: 'downstream-orders' }))).QueueUrl ?? '';
  await eb.send(new CreateEventBusCommand({ Name: 'downstream' }));
  await eb.send(
    new PutRuleCommand({ Name: 'all', EventBusName: 'downstream', EventPattern: '{"source":["crash.outbox"]}' }),
  );
  await eb.send(
    new PutTargetsCommand({
      Rule: 'all',
      EventBusName: 'downstream',
      Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:downstream-orders' }],
    }),
  );
  await eb.send(new PutRuleCommand({ Name: 'fan-out', EventPattern: '{"source":["crash.outbox"]}' }));
  const targets = await eb.send(
    new PutTargetsCommand({
      Rule: 'fan-out',
      Targets: [
        { Id: 'hook', Arn: hook },
        { Id: 'bus', Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/downstream' },
      ],
    }),
  );
  assert.equal(targets.FailedEntryCount, 0);

  const acknowledged = new Set<string>();
  let answered = 0;
  let failedCalls = 0;
  let next = 0;
  const killed = (async () => {
    while (answered < KILL_AFTER && next < CALLS) await sleep(2);
    await server.stop('SIGKILL');
  })();
  const worker = async () => {
    while (next < CALLS) {
      const call = next++;
      const Entries = Array.from({ length: 5 }, (_, i) => ({
        Source: 'crash.outbox',
        DetailType: 'OrderPlaced',
        Detail: JSON.stringify({ call, i }),
      }));
      let out: PutEventsCommandOutput;
      try {
        out = await eb.send(new PutEventsCommand({ Entries }));
      } catch {
        failedCalls += 1;
        continue;
      }
      assert.equal(out.FailedEntryCount, 0);
      for (const entry of out.Entries ?? []) acknowledged.add(entry.EventId ?? '');
      answered += 1;
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  await killed;
  eb.destroy();
  assert.ok(answered >= KILL_AFTER && failedCalls > 0, `${answered} answered, ${failedCalls} cut off`);

  healthy = true;
  server = await serve(dataDir, 'full', FAST_RETRIES);
  const deadline = Date.now() + 30_000;
  while ([...acknowledged].some((id) => !received.has(id)) && Date.now() < deadline) await sleep(50);
  const unreached = [...acknowledged].filter((id) => !received.has(id));
  assert.deepEqual(unreached, [], 'every acknowledged event reaches the HTTP target');

  const messages = await drain(server.sqs, url, { VisibilityTimeout: 600, max: 10 * CALLS });
  const counts = new Map<string, number>();
  for (const message of messages) {
    const id = (JSON.parse(message.Body ?? '') as { id: string }).id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  assert.deepEqual(
    [...counts].filter(([, n]) => n > 1),
    [],
    'the bus target routes no event twice',
  );
  assert.deepEqual(
    [...acknowledged].filter((id) => !counts.has(id)),
    [],
    'every acknowledged event is in the queue behind the other bus',
  );
  await server.stop('SIGTERM');
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
