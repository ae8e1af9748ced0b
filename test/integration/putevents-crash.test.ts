// A PutEvents answer with an EventId means the event is delivered: SIGKILL the server (durability full) while
// PutEvents calls routed by a rule to an SQS queue are in flight, restart it on the same data and check that every
// acknowledged event is in the queue exactly once, and that nothing is there twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PutEventsCommand,
  type PutEventsCommandOutput,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { serverProcesses } from '../helpers/process.js';
import { eventBridgeClient } from '../helpers/server.js';
import { drain } from '../helpers/sqs.js';

const { dataDir: newDataDir, serve } = serverProcesses();

const CALLS = 300;
const WORKERS = 24;
/** SIGKILL once this many calls have been answered. */
const KILL_AFTER = 100;

test('PutEvents acknowledged before a SIGKILL are delivered exactly once after the restart', async () => {
  const dataDir = newDataDir('putevents-crash-');
  let server = await serve(dataDir);
  const eb = eventBridgeClient(server.url);
  const url = (await server.sqs.send(new CreateQueueCommand({ QueueName: 'crash-events' }))).QueueUrl ?? '';
  assert.ok(url);
  await eb.send(new PutRuleCommand({ Name: 'crash-rule', EventPattern: '{"source":["crash.app"]}' }));
  const put = await eb.send(
    new PutTargetsCommand({
      Rule: 'crash-rule',
      Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:000000000000:crash-events' }],
    }),
  );
  assert.equal(put.FailedEntryCount, 0);

  const acknowledged = new Set<string>();
  let answered = 0;
  let failedCalls = 0;
  let unansweredEntries = 0;
  let next = 0;
  const killed = (async () => {
    while (answered < KILL_AFTER && next < CALLS) await new Promise((r) => setTimeout(r, 2));
    await server.stop('SIGKILL');
  })();
  const worker = async () => {
    while (next < CALLS) {
      const call = next++;
      const count = 1 + (call % 10);
      const Entries = Array.from({ length: count }, (_, i) => ({
        Source: 'crash.app',
        DetailType: 'Tick',
        Detail: JSON.stringify({ call, i, pad: 'x'.repeat((call * 7 + i) % 200) }),
      }));
      let out: PutEventsCommandOutput;
      try {
        out = await eb.send(new PutEventsCommand({ Entries }));
      } catch {
        failedCalls += 1;
        unansweredEntries += count;
        continue;
      }
      assert.equal(out.FailedEntryCount, 0);
      for (const entry of out.Entries ?? []) {
        assert.ok(entry.EventId);
        acknowledged.add(entry.EventId);
      }
      answered += 1;
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  await killed;
  eb.destroy();
  assert.ok(answered >= KILL_AFTER, `${answered} calls answered before the kill`);
  assert.ok(failedCalls > 0, 'calls were still being made when the server was killed');

  server = await serve(dataDir);
  const messages = await drain(server.sqs, url, { VisibilityTimeout: 600, max: 10 * CALLS + 10 });
  const counts = new Map<string, number>();
  for (const message of messages) {
    const body = JSON.parse(message.Body ?? '') as { id: string; source: string };
    assert.equal(body.source, 'crash.app');
    counts.set(body.id, (counts.get(body.id) ?? 0) + 1);
  }
  const duplicated = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(duplicated, [], 'no event is delivered twice');
  const missing = [...acknowledged].filter((id) => !counts.has(id));
  assert.deepEqual(missing, [], 'every acknowledged event is in the queue');
  // The rest can only come from calls cut off by the kill.
  assert.ok(
    counts.size - acknowledged.size <= unansweredEntries,
    `${counts.size} delivered, ${acknowledged.size} acked`,
  );
  await server.stop('SIGTERM');
});
