// Message move tasks (DLQ redrive) through the real SDK: StartMessageMoveTask, ListMessageMoveTasks and
// CancelMessageMoveTask, the throttle, failures, FIFO order and RedriveAllowPolicy.
// Expected values are AWS's (see /work/shared/notes/sqs-protocol-and-peers.md §1.5).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CancelMessageMoveTaskCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SetQueueAttributesCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { testServerForFile } from '../helpers/server.js';
import { drain as drainQueue, rejectsWith, sqsHelpers, uniq } from '../helpers/sqs.js';

const t = testServerForFile();

const { createQueue, queueAttributes: attributes, queueArnOf: arnOf, depth } = sqsHelpers(() => t.sqs);

const redrivePolicy = (dlqArn: string, maxReceiveCount = 1) =>
  JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount });

interface Sent {
  id: string;
  body: string;
  md5Attributes: string | undefined;
}

/** Sends `bodies` in batches of 10, with a message attribute each (and FIFO ids for FIFO queues). */
async function sendAll(
  url: string,
  bodies: string[],
  fifo?: (i: number) => { MessageGroupId: string; MessageDeduplicationId: string },
): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let from = 0; from < bodies.length; from += 10) {
    const entries: SendMessageBatchRequestEntry[] = bodies.slice(from, from + 10).map((body, j) => ({
      Id: `e${from + j}`,
      MessageBody: body,
      MessageAttributes: { origin: { DataType: 'String', StringValue: `attr-${body}` } as MessageAttributeValue },
      ...fifo?.(from + j),
    }));
    const out = await t.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
    assert.equal(out.Failed?.length ?? 0, 0, JSON.stringify(out.Failed));
    for (const entry of entries) {
      const ok = out.Successful?.find((s) => s.Id === entry.Id);
      assert.ok(ok?.MessageId);
      sent.push({ id: ok.MessageId, body: entry.MessageBody ?? '', md5Attributes: ok.MD5OfMessageAttributes });
    }
  }
  return sent;
}

/**
 * Receives the messages of a source with maxReceiveCount 1 with a zero visibility timeout until all `n` of
 * them have moved to the dead-letter queue (a receive dead-letters those already received once).
 */
async function deadLetter(source: string, dlq: string, n: number): Promise<void> {
  for (let i = 0; i < 20 + n; i++) {
    if ((await depth(dlq)).visible >= n && (await depth(source)).visible === 0) return;
    await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  }
  assert.fail(`the messages of ${source} did not reach the dead-letter queue`);
}

/** Receives every message (hiding each for 60 s), at most `max`, stopping after two empty answers. */
function drain(url: string, max = 10_000): Promise<Message[]> {
  return drainQueue(t.sqs, url, {
    VisibilityTimeout: 60,
    max,
    extra: { MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] },
  });
}

async function listTasks(SourceArn: string, MaxResults?: number): Promise<ListMessageMoveTasksResultEntry[]> {
  const { Results = [] } = await t.sqs.send(new ListMessageMoveTasksCommand({ SourceArn, MaxResults }));
  return Results;
}

/** Polls the newest task of `sourceArn` until it is no longer RUNNING. */
async function waitForEnd(sourceArn: string, timeoutMs = 10_000): Promise<ListMessageMoveTasksResultEntry> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [task] = await listTasks(sourceArn);
    if (task && task.Status !== 'RUNNING') return task;
    await sleep(50);
  }
  assert.fail(`the move task of ${sourceArn} did not end within ${timeoutMs} ms`);
}

async function start(SourceArn: string, DestinationArn?: string, MaxNumberOfMessagesPerSecond?: number) {
  const { TaskHandle } = await t.sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn, DestinationArn, MaxNumberOfMessagesPerSecond }),
  );
  assert.ok(TaskHandle);
  return TaskHandle;
}

/** A dead-letter queue with `sources` source queues (maxReceiveCount 1). */
async function setup(prefix: string, sources = 1, fifo = false) {
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
  const dlq = await createQueue(`${uniq(`${prefix}-dlq`)}${suffix}`, fifoAttributes);
  const dlqArn = await arnOf(dlq);
  const sourceUrls: string[] = [];
  const sourceArns: string[] = [];
  for (let i = 0; i < sources; i++) {
    const url = await createQueue(`${uniq(`${prefix}-src`)}${suffix}`, {
      ...fifoAttributes,
      RedrivePolicy: redrivePolicy(dlqArn),
    });
    sourceUrls.push(url);
    sourceArns.push(await arnOf(url));
  }
  return { dlq, dlqArn, sources: sourceUrls, sourceArns };
}

/** A dead-letter queue holding `n` messages that came from one source. */
async function filledDlq(prefix: string, n: number) {
  const s = await setup(prefix);
  const source = s.sources[0] ?? '';
  const sent = await sendAll(
    source,
    Array.from({ length: n }, (_, i) => `${prefix}-${i}`),
  );
  await deadLetter(source, s.dlq, n);
  return { ...s, source, sourceArn: s.sourceArns[0] ?? '', sent };
}

describe('StartMessageMoveTask', () => {
  test('without DestinationArn every message goes back to its own source queue, fresh', async () => {
    const { dlq, dlqArn, sources, sourceArns } = await setup('home', 2);
    const [a = '', b = ''] = sources;
    const sentA = await sendAll(a, ['a1', 'a2', 'a3']);
    const sentB = await sendAll(b, ['b1', 'b2']);
    await deadLetter(a, dlq, 3);
    await deadLetter(b, dlq, 5);
    assert.deepEqual(await depth(dlq), { visible: 5, inFlight: 0 });

    // In the DLQ they carry their origin; peek with a zero visibility timeout.
    const peek = await t.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    assert.ok((peek.Messages?.length ?? 0) > 0);
    for (const m of peek.Messages ?? []) {
      assert.ok(sourceArns.includes(m.Attributes?.DeadLetterQueueSourceArn ?? ''), 'the DLQ copy names its source');
    }

    const handle = await start(dlqArn);
    const done = await waitForEnd(dlqArn);
    assert.equal(done.Status, 'COMPLETED');
    assert.equal(done.ApproximateNumberOfMessagesMoved, 5);
    assert.equal(done.ApproximateNumberOfMessagesToMove, 5);
    assert.equal(done.DestinationArn, undefined);
    assert.equal(done.TaskHandle, undefined, 'a finished task has no handle');
    assert.equal(done.SourceArn, dlqArn);
    assert.notEqual(handle, '');

    assert.deepEqual(await depth(dlq), { visible: 0, inFlight: 0 });
    for (const [url, sent] of [
      [a, sentA],
      [b, sentB],
    ] as const) {
      // Matched by body: AWS gives a redriven message a new MessageId (see the tests under "redriven messages are new messages").
      const back = await drain(url);
      assert.deepEqual(back.map((m) => m.Body).sort(), sent.map((s) => s.body).sort(), 'each went home');
      for (const m of back) {
        const original = sent.find((s) => s.body === m.Body);
        assert.ok(original);
        assert.equal(m.Body, original.body);
        assert.equal(m.MessageAttributes?.origin?.StringValue, `attr-${original.body}`);
        assert.equal(m.MD5OfMessageAttributes, original.md5Attributes);
        assert.equal(m.Attributes?.ApproximateReceiveCount, '1', 'the receive count starts again');
        assert.equal(m.Attributes?.DeadLetterQueueSourceArn, undefined, 'no longer a dead letter');
      }
    }
  });

  test('with DestinationArn every message goes to that queue', async () => {
    const { dlqArn, dlq, source, sent } = await filledDlq('custom', 6);
    const target = await createQueue(uniq('custom-target'));
    const targetArn = await arnOf(target);
    await start(dlqArn, targetArn);
    const done = await waitForEnd(dlqArn);
    assert.equal(done.Status, 'COMPLETED');
    assert.equal(done.DestinationArn, targetArn);
    assert.equal(done.ApproximateNumberOfMessagesMoved, 6);
    const moved = await drain(target);
    assert.deepEqual(moved.map((m) => m.Body).sort(), sent.map((s) => s.body).sort());
    assert.ok(moved.every((m) => m.Attributes?.ApproximateReceiveCount === '1'));
    assert.deepEqual(await depth(source), { visible: 0, inFlight: 0 }, 'nothing went to the source');
    assert.deepEqual(await depth(dlq), { visible: 0, inFlight: 0 });
  });

  test('MaxNumberOfMessagesPerSecond throttles the move', async () => {
    const { dlqArn, source } = await filledDlq('rate', 30);
    const started = Date.now();
    await start(dlqArn, undefined, 10);
    await sleep(1000);
    const [sample] = await listTasks(dlqArn);
    assert.equal(sample?.Status, 'RUNNING');
    assert.equal(sample?.MaxNumberOfMessagesPerSecond, 10);
    const movedAt1s = sample?.ApproximateNumberOfMessagesMoved ?? -1;
    assert.ok(movedAt1s >= 3 && movedAt1s <= 20, `about 10 moved after 1 s at 10/s, got ${movedAt1s}`);
    const done = await waitForEnd(dlqArn, 15_000);
    assert.equal(done.Status, 'COMPLETED');
    assert.equal(done.ApproximateNumberOfMessagesMoved, 30);
    assert.ok(Date.now() - started >= 1900, `30 messages at 10/s took ${Date.now() - started} ms`);
    assert.equal((await depth(source)).visible, 30);
  });

  test('one active task per source', async () => {
    const { dlqArn } = await filledDlq('one', 10);
    const handle = await start(dlqArn, undefined, 1);
    await rejectsWith(
      start(dlqArn),
      'InvalidParameterValue',
      'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      400,
    );
    await t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: handle }));
    // Once it has ended another may start.
    await start(dlqArn);
    assert.equal((await waitForEnd(dlqArn)).Status, 'COMPLETED');
  });

  test('errors: not a DLQ, unknown queues, same or mismatched destination, rate out of range', async () => {
    const { dlqArn } = await filledDlq('errs', 1);
    const plain = await arnOf(await createQueue(uniq('errs-plain')));
    await rejectsWith(start(plain), 'InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.');
    const ghost = plain.replace(/[^:]+$/, uniq('errs-ghost'));
    await rejectsWith(
      start(ghost),
      'ResourceNotFoundException',
      "The resource that you specified for the SourceArn parameter doesn't exist.",
      404,
    );
    await rejectsWith(
      start(dlqArn, ghost),
      'ResourceNotFoundException',
      "The resource that you specified for the DestinationArn parameter doesn't exist.",
      404,
    );
    await rejectsWith(start(dlqArn, dlqArn), 'InvalidParameterValue');
    const fifo = await arnOf(await createQueue(`${uniq('errs-fifo')}.fifo`, { FifoQueue: 'true' }));
    await rejectsWith(start(dlqArn, fifo), 'InvalidParameterValue');
    for (const rate of [0, 501, -1]) {
      await rejectsWith(start(dlqArn, undefined, rate), 'InvalidParameterValue', /MaxNumberOfMessagesPerSecond/);
    }
    await rejectsWith(
      t.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: 'not-an-arn' })),
      'ResourceNotFoundException',
    );
    // None of these started a task.
    assert.deepEqual(await listTasks(dlqArn, 10), []);
  });

  test('a destination deleted mid-task fails the task with NonExistentQueue; the rest stays in the DLQ', async () => {
    const { dlqArn, dlq } = await filledDlq('gone', 30);
    const target = await createQueue(uniq('gone-target'));
    await start(dlqArn, await arnOf(target), 10);
    await sleep(600);
    await t.sqs.send(new DeleteQueueCommand({ QueueUrl: target }));
    const done = await waitForEnd(dlqArn);
    assert.equal(done.Status, 'FAILED');
    assert.equal(done.FailureReason, 'AWS.SimpleQueueService.NonExistentQueue');
    const moved = done.ApproximateNumberOfMessagesMoved ?? -1;
    assert.ok(moved >= 1 && moved < 30, `some but not all moved: ${moved}`);
    assert.equal((await depth(dlq)).visible, 30 - moved);
  });

  test('FIFO: redrive back to the FIFO source keeps the order of each group', async () => {
    const { dlq, dlqArn, sources } = await setup('fifo', 1, true);
    const source = sources[0] ?? '';
    // Two groups, interleaved.
    const bodies = ['g1-0', 'g2-0', 'g1-1', 'g1-2', 'g2-1', 'g1-3', 'g2-2', 'g1-4'];
    const sent = await sendAll(source, bodies, (i) => ({
      MessageGroupId: (bodies[i] ?? '').slice(0, 2),
      MessageDeduplicationId: `d-${i}`,
    }));
    await deadLetter(source, dlq, bodies.length);
    await start(dlqArn);
    const done = await waitForEnd(dlqArn);
    assert.equal(done.Status, 'COMPLETED');
    assert.equal(done.ApproximateNumberOfMessagesMoved, bodies.length);

    // Receive and delete until all are back: FIFO hands out a group's next message only after the previous.
    const got: Message[] = [];
    for (let i = 0; i < 30 && got.length < bodies.length; i++) {
      const { Messages = [] } = await t.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: source,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      got.push(...Messages);
      if (Messages.length > 0) {
        await t.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: source,
            Entries: Messages.map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    }
    assert.deepEqual(got.map((m) => m.Body).sort(), sent.map((s) => s.body).sort());
    for (const group of ['g1', 'g2']) {
      const order = got.filter((m) => m.Attributes?.MessageGroupId === group).map((m) => m.Body);
      assert.deepEqual(
        order,
        bodies.filter((b) => b.startsWith(group)),
        `group ${group} in send order`,
      );
    }
    assert.ok(got.every((m) => m.Attributes?.ApproximateReceiveCount === '1'));
  });
});

// AWS: "The redrive task resets the retention period. All redriven messages are considered new messages with a
// new messageID and enqueueTime", and "the destination queue ingests the redriven messages, as well as new
// messages from other producers, according to the order in which it receives them" (SQS Developer Guide,
// "Learn how to configure a dead-letter queue redrive").
describe('redriven messages are new messages', () => {
  test('a redriven message is a new message: new MessageId and SentTimestamp', async () => {
    const { dlqArn, source, sent } = await filledDlq('newid', 1);
    const startedAt = Date.now();
    await start(dlqArn);
    assert.equal((await waitForEnd(dlqArn)).Status, 'COMPLETED');
    const [back] = await drain(source);
    assert.equal(back?.Body, sent[0]?.body);
    assert.notEqual(back?.MessageId, sent[0]?.id);
    assert.ok(Number(back?.Attributes?.SentTimestamp) >= startedAt - 1000);
  });

  test('FIFO: redriven messages go after the messages already waiting in the destination group', async () => {
    const { dlq, dlqArn, sources } = await setup('fifo-late', 1, true);
    const source = sources[0] ?? '';
    const group = () => ({ MessageGroupId: 'g', MessageDeduplicationId: uniq('dedup') });
    await sendAll(source, ['dead'], group);
    await deadLetter(source, dlq, 1);
    await sendAll(source, ['waiting'], group);
    await start(dlqArn);
    assert.equal((await waitForEnd(dlqArn)).Status, 'COMPLETED');
    const { Messages = [] } = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    assert.deepEqual(
      Messages.map((m) => m.Body),
      ['waiting', 'dead'],
    );
  });
});

describe('ListMessageMoveTasks and CancelMessageMoveTask', () => {
  test('cancel mid-way: CANCELLED, moved ones stay moved, the rest stays in the DLQ', async () => {
    const { dlqArn, dlq, source } = await filledDlq('cancel', 40);
    const handle = await start(dlqArn, undefined, 10);
    await sleep(1200);
    const { ApproximateNumberOfMessagesMoved: moved = -1 } = await t.sqs.send(
      new CancelMessageMoveTaskCommand({ TaskHandle: handle }),
    );
    assert.ok(moved >= 1 && moved < 40, `some moved before the cancel: ${moved}`);
    const [task] = await listTasks(dlqArn);
    assert.equal(task?.Status, 'CANCELLED');
    assert.equal(task?.ApproximateNumberOfMessagesMoved, moved);
    assert.equal(task?.TaskHandle, undefined);
    await sleep(400); // the worker moves nothing more
    assert.equal((await listTasks(dlqArn))[0]?.ApproximateNumberOfMessagesMoved, moved);
    assert.equal((await depth(source)).visible, moved);
    assert.equal((await depth(dlq)).visible, 40 - moved);
    // A task that has ended cannot be cancelled.
    await rejectsWith(
      t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: handle })),
      'ResourceNotFoundException',
    );
  });

  test('cancelling a completed task answers ResourceNotFoundException; a bad handle InvalidParameterValue', async () => {
    const { dlqArn } = await filledDlq('cancel-done', 2);
    const handle = await start(dlqArn);
    assert.equal((await waitForEnd(dlqArn)).Status, 'COMPLETED');
    await rejectsWith(
      t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: handle })),
      'ResourceNotFoundException',
      undefined,
      404,
    );
    for (const bad of ['garbage!', 'bm90IGpzb24=', Buffer.from('{"taskId":1}').toString('base64')]) {
      await rejectsWith(
        t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: bad })),
        'InvalidParameterValue',
        'Value for parameter TaskHandle is invalid.',
      );
    }
    // A well-formed handle of a task that never existed.
    const unknown = Buffer.from(JSON.stringify({ taskId: 'nope', sourceArn: dlqArn })).toString('base64');
    await rejectsWith(
      t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: unknown })),
      'ResourceNotFoundException',
      'Task does not exist.',
    );
  });

  test('newest first, MaxResults 1..10 (default 1), TaskHandle only while RUNNING, timestamps in ms', async () => {
    const { dlqArn, dlq, source } = await filledDlq('list', 5);
    const before = Date.now();
    const first = await start(dlqArn, undefined, 1);
    const [running] = await listTasks(dlqArn);
    assert.equal(running?.Status, 'RUNNING');
    assert.equal(running?.TaskHandle, first);
    assert.equal(running?.ApproximateNumberOfMessagesToMove, 5);
    assert.equal(running?.MaxNumberOfMessagesPerSecond, 1);
    const startedAt = running?.StartedTimestamp ?? 0;
    assert.ok(startedAt >= before - 1000 && startedAt <= Date.now() + 1000, `epoch ms: ${startedAt}`);
    await t.sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: first }));

    // Messages that came back to the source: dead-letter them again for a second task.
    await deadLetter(source, dlq, 5);
    await sleep(5); // distinct start times
    await start(dlqArn);
    await waitForEnd(dlqArn);

    const one = await listTasks(dlqArn);
    assert.equal(one.length, 1, 'MaxResults defaults to 1');
    const all = await listTasks(dlqArn, 10);
    assert.equal(all.length, 2);
    assert.deepEqual(
      all.map((r) => r.Status),
      ['COMPLETED', 'CANCELLED'],
      'newest first',
    );
    assert.ok((all[0]?.StartedTimestamp ?? 0) >= startedAt);
    assert.ok(all.every((r) => r.TaskHandle === undefined));
    assert.equal(all[0]?.ApproximateNumberOfMessagesToMove, 5);
    assert.equal(all[0]?.MaxNumberOfMessagesPerSecond, undefined);
    assert.equal((await listTasks(dlqArn, 1))[0]?.Status, 'COMPLETED');

    for (const max of [0, 11]) {
      await rejectsWith(listTasks(dlqArn, max), 'InvalidParameterValue', /MaxResults/);
    }
    await rejectsWith(
      listTasks(dlqArn.replace(/[^:]+$/, 'no-such-queue')),
      'ResourceNotFoundException',
      undefined,
      404,
    );
    // A queue that never had a task lists none.
    assert.deepEqual(await listTasks(await arnOf(await createQueue(uniq('list-none')))), []);
  });
});

describe('RedriveAllowPolicy', () => {
  test('allowAll, denyAll and byQueue decide which queues may name the DLQ in their RedrivePolicy', async () => {
    const dlq = await createQueue(uniq('allow-dlq'));
    const dlqArn = await arnOf(dlq);
    const a = await createQueue(uniq('allow-a'));
    const b = await createQueue(uniq('allow-b'));
    const aArn = await arnOf(a);
    const setPolicy = (QueueUrl: string) =>
      t.sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { RedrivePolicy: redrivePolicy(dlqArn, 3) } }));
    const allow = (policy: object) =>
      t.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: dlq, Attributes: { RedriveAllowPolicy: JSON.stringify(policy) } }),
      );

    await allow({ redrivePermission: 'denyAll' });
    await rejectsWith(setPolicy(a), 'InvalidParameterValue');
    await rejectsWith(
      createQueue(uniq('allow-new'), { RedrivePolicy: redrivePolicy(dlqArn, 3) }),
      'InvalidParameterValue',
    );
    assert.equal((await attributes(a, ['RedrivePolicy'])).RedrivePolicy, undefined);

    await allow({ redrivePermission: 'byQueue', sourceQueueArns: [aArn] });
    await setPolicy(a);
    assert.equal(
      JSON.parse((await attributes(a, ['RedrivePolicy'])).RedrivePolicy ?? '{}').deadLetterTargetArn,
      dlqArn,
    );
    await rejectsWith(setPolicy(b), 'InvalidParameterValue');

    await allow({ redrivePermission: 'allowAll' });
    await setPolicy(b);
    assert.ok((await attributes(b, ['RedrivePolicy'])).RedrivePolicy);

    // byQueue without sourceQueueArns is malformed.
    await rejectsWith(allow({ redrivePermission: 'byQueue' }), 'InvalidParameterValue');
  });
});
