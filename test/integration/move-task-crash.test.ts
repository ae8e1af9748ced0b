// A message move task survives a crash: SIGKILL the server (durability full) in the middle of a throttled
// redrive, restart it on the same data and check that every message is exactly once in the DLQ or back at
// its source, that the task resumes on its own and that its moved count matches what moved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { serverProcesses, sleep } from '../helpers/process.js';
import { depth, drain as drainQueue } from '../helpers/sqs.js';

const TOTAL = 3000;
const RATE = 500;

const { dataDir: newDataDir, serve } = serverProcesses();

async function newestTask(sqs: SQSClient, SourceArn: string): Promise<ListMessageMoveTasksResultEntry | undefined> {
  const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn }));
  return Results[0];
}

/** Receives every message of a queue (hidden for 5 minutes), stopping after two empty answers. */
function drain(sqs: SQSClient, QueueUrl: string): Promise<Message[]> {
  return drainQueue(sqs, QueueUrl, {
    VisibilityTimeout: 300,
    max: TOTAL * 2 + 1,
    extra: { MessageSystemAttributeNames: ['All'] },
  });
}

test('a redrive killed mid-task resumes after the restart: no message lost or duplicated', async () => {
  const dataDir = newDataDir('switchyard-movecrash-');
  let server = await serve(dataDir);
  let sqs = server.sqs;

  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'crash-dlq' }))).QueueUrl ?? '';
  const dlqArn =
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes
      ?.QueueArn ?? '';
  assert.ok(dlqArn);
  const source =
    (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'crash-source',
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
        }),
      )
    ).QueueUrl ?? '';

  // Send TOTAL messages, 8 batches at a time.
  const sent = new Set<string>();
  const batches = Array.from({ length: TOTAL / 10 }, (_, b) => b);
  for (let i = 0; i < batches.length; i += 8) {
    const outs = await Promise.all(
      batches.slice(i, i + 8).map((b) =>
        sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: source,
            Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `m${j}`, MessageBody: `message-${b * 10 + j}` })),
          }),
        ),
      ),
    );
    outs.forEach((out, k) => {
      assert.equal(out.Successful?.length, 10);
      for (let j = 0; j < 10; j++) sent.add(`message-${(i + k) * 10 + j}`);
    });
  }
  assert.equal(sent.size, TOTAL);

  // maxReceiveCount 1: a receive (visibility 0) counts one delivery; the next receive dead-letters them.
  for (let i = 0; i < TOTAL / 10 + 50; i++) {
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    if (i % 50 === 49 && (await depth(sqs, dlq)).visible === TOTAL) break;
  }
  assert.deepEqual(await depth(sqs, dlq), { visible: TOTAL, inFlight: 0 }, 'every message is dead-lettered');
  assert.deepEqual(await depth(sqs, source), { visible: 0, inFlight: 0 });

  // A throttled redrive back to the source; kill the server a few hundred messages in.
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: RATE }),
  );
  assert.ok(TaskHandle);
  let seenBeforeKill = 0;
  const deadline = Date.now() + 10_000;
  while (seenBeforeKill < 700 && Date.now() < deadline) {
    seenBeforeKill = (await newestTask(sqs, dlqArn))?.ApproximateNumberOfMessagesMoved ?? 0;
    await sleep(50);
  }
  assert.ok(seenBeforeKill >= 700 && seenBeforeKill < TOTAL, `killed mid-task, ${seenBeforeKill} moved`);
  await server.stop('SIGKILL');

  server = await serve(dataDir);
  sqs = server.sqs;
  const resumed = await newestTask(sqs, dlqArn);
  assert.ok(resumed);
  assert.equal(resumed.ApproximateNumberOfMessagesToMove, TOTAL);
  const movedAfterRestart = resumed.ApproximateNumberOfMessagesMoved ?? -1;
  assert.ok(
    movedAfterRestart >= seenBeforeKill,
    `a moved count that was seen is durable: ${movedAfterRestart} >= ${seenBeforeKill}`,
  );
  assert.ok(movedAfterRestart < TOTAL, `the restart came before the end: ${movedAfterRestart}`);

  // The task carries on by itself (or, acceptable too, reports FAILED).
  let end = resumed;
  const endBy = Date.now() + 15_000;
  while (end.Status === 'RUNNING' && Date.now() < endBy) {
    await sleep(100);
    end = (await newestTask(sqs, dlqArn)) ?? end;
  }
  assert.ok(end.Status === 'COMPLETED' || end.Status === 'FAILED', `the task ended: ${end.Status}`);
  const moved = end.ApproximateNumberOfMessagesMoved ?? -1;
  const atSource = await depth(sqs, source);
  const inDlq = await depth(sqs, dlq);
  assert.equal(atSource.visible, moved, 'the moved count is what reached the source');
  assert.equal(atSource.visible + inDlq.visible, TOTAL, 'nothing lost, nothing doubled (counts)');
  if (end.Status === 'COMPLETED') {
    assert.equal(moved, TOTAL);
    assert.equal(inDlq.visible, 0);
  }

  // Every message exactly once across the two queues, known by its body (unique): AWS gives a redriven
  // message a new MessageId, so the ids are not what identifies it.
  const back = await drain(sqs, source);
  const left = await drain(sqs, dlq);
  const bodies = [...back, ...left].map((m) => m.Body ?? '');
  assert.equal(bodies.length, TOTAL, `${back.length} at the source + ${left.length} in the DLQ`);
  assert.equal(new Set(bodies).size, TOTAL, 'no message is duplicated');
  assert.deepEqual(new Set(bodies), sent, 'no message is lost');
  assert.ok(
    back.every((m) => m.Attributes?.ApproximateReceiveCount === '1' && !m.Attributes?.DeadLetterQueueSourceArn),
    'moved messages start afresh',
  );
});
