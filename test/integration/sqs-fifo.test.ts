// FIFO queues end to end through @aws-sdk/client-sqs v3 against a real server: creation and attributes, sends with
// SequenceNumber, ordering and the group lock with real receives, system attributes, deduplication, visibility,
// dead-letter redrive, and several concurrent consumers. Expected values are AWS's
// (/work/shared/notes/sqs-protocol-and-peers.md §1.1 and §1.4; SQS Developer Guide pages cited where used).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  type MessageSystemAttributeName,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SendMessageCommandInput,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { ACCOUNT } from '../helpers/account.js';
import { random } from '../helpers/random.js';
import { sqsClient, testServerForFile } from '../helpers/server.js';
import { rejectsWith, sqsHelpers, uniq } from '../helpers/sqs.js';

const t = testServerForFile();

const { createQueue, queueAttributes, counts } = sqsHelpers(() => t.sqs);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A FIFO queue named `<prefix>-<n>.fifo`. */
const createFifo = (prefix: string, Attributes: Record<string, string> = {}) =>
  createQueue(`${uniq(prefix)}.fifo`, { FifoQueue: 'true', ...Attributes });

/** Visible + in flight + delayed. */
async function messageCount(QueueUrl: string): Promise<number> {
  const c = await counts(QueueUrl);
  return c.visible + c.notVisible + c.delayed;
}

let dedupCounter = 0;
function send(
  QueueUrl: string,
  MessageBody: string,
  MessageGroupId: string,
  extra: Partial<SendMessageCommandInput> = {},
) {
  dedupCounter += 1;
  return t.sqs.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody,
      MessageGroupId,
      MessageDeduplicationId: `d-${dedupCounter}`,
      ...extra,
    }),
  );
}

async function receive(QueueUrl: string, extra: Partial<ReceiveMessageCommandInput> = {}): Promise<Message[]> {
  const out = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0, ...extra }));
  return out.Messages ?? [];
}

const bodies = (messages: Message[]) => messages.map((m) => m.Body);
const ofGroup = (list: (string | undefined)[], group: string) =>
  list.filter((b): b is string => b?.startsWith(`${group}:`) ?? false);
const ALL: MessageSystemAttributeName[] = ['All'];

async function deleteMessage(QueueUrl: string, m: Message): Promise<void> {
  await t.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
}

describe('FIFO CreateQueue and attributes', () => {
  test('a FIFO queue reports the FIFO defaults with GetQueueAttributes All', async () => {
    const name = `${uniq('defaults')}.fifo`;
    const url = await createQueue(name, { FifoQueue: 'true' });
    assert.equal(url, `${t.server.url}/${ACCOUNT}/${name}`);
    const a = await queueAttributes(url);
    assert.equal(a.FifoQueue, 'true');
    assert.equal(a.ContentBasedDeduplication, 'false');
    assert.equal(a.DeduplicationScope, 'queue');
    assert.equal(a.FifoThroughputLimit, 'perQueue');
    assert.equal(a.DelaySeconds, '0');
    assert.equal(a.VisibilityTimeout, '30');
    assert.equal(a.MessageRetentionPeriod, '345600');
    assert.equal(a.QueueArn, `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`);
    // A standard queue has none of the FIFO attributes.
    const std = await queueAttributes(await createQueue(uniq('std-defaults')));
    for (const n of ['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']) {
      assert.equal(std[n], undefined, n);
    }
  });

  test('x.fifo without FifoQueue, and FifoQueue without .fifo, are InvalidParameterValue', async () => {
    await rejectsWith(
      t.sqs.send(new CreateQueueCommand({ QueueName: `${uniq('no-attr')}.fifo` })),
      'InvalidParameterValue',
    );
    await rejectsWith(
      t.sqs.send(new CreateQueueCommand({ QueueName: uniq('no-suffix'), Attributes: { FifoQueue: 'true' } })),
      'InvalidParameterValue',
      (e) => assert.match(e.message, /\.fifo/),
    );
  });

  test('FIFO-only attributes on a standard queue are InvalidAttributeName', async () => {
    await rejectsWith(
      t.sqs.send(
        new CreateQueueCommand({ QueueName: uniq('std-cbd'), Attributes: { ContentBasedDeduplication: 'true' } }),
      ),
      'InvalidAttributeName',
      (e) => assert.match(e.message, /ContentBasedDeduplication/),
    );
    const url = await createQueue(uniq('std-set'));
    await rejectsWith(
      t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoQueue: 'true' } })),
      'InvalidAttributeName',
      (e) => assert.equal(e.message, 'Unknown Attribute FifoQueue.'),
    );
    await rejectsWith(
      t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DeduplicationScope: 'messageGroup' } })),
      'InvalidAttributeName',
    );
  });

  test('SetQueueAttributes FifoQueue on a FIFO queue is InvalidAttributeValue', async () => {
    const url = await createFifo('fixed');
    await rejectsWith(
      t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoQueue: 'false' } })),
      'InvalidAttributeValue',
      (e) =>
        assert.equal(
          e.message,
          'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
        ),
    );
  });
});

describe('FIFO sends', () => {
  test('SendMessage returns a 20-digit SequenceNumber that grows; missing group and per-message delay fail', async () => {
    const url = await createFifo('seq');
    const first = await send(url, 'a:1', 'a');
    const second = await send(url, 'b:1', 'b');
    assert.match(first.SequenceNumber ?? '', /^\d{20}$/);
    assert.match(second.SequenceNumber ?? '', /^\d{20}$/);
    assert.ok(BigInt(second.SequenceNumber ?? '0') > BigInt(first.SequenceNumber ?? '0'));

    await rejectsWith(
      t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'z' })),
      'MissingParameter',
      (e) => assert.equal(e.message, 'The request must contain the parameter MessageGroupId.'),
    );
    await rejectsWith(send(url, 'x', 'a', { DelaySeconds: 2 }), 'InvalidParameterValue', (e) =>
      assert.equal(
        e.message,
        'Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
      ),
    );
    await rejectsWith(
      t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'a' })),
      'InvalidParameterValue',
      (e) =>
        assert.equal(
          e.message,
          'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        ),
    );
    assert.equal(await messageCount(url), 2);
  });

  test('SendMessageBatch with several groups: increasing SequenceNumbers, each group received in order', async () => {
    const url = await createFifo('batch');
    const plan = ['a:1', 'b:1', 'a:2', 'c:1', 'b:2', 'a:3', 'c:2'];
    const out = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: plan.map((body, i) => ({
          Id: `e${i}`,
          MessageBody: body,
          MessageGroupId: body.split(':')[0],
          MessageDeduplicationId: `batch-${i}`,
        })),
      }),
    );
    assert.equal(out.Failed?.length ?? 0, 0);
    const successful = out.Successful ?? [];
    assert.deepEqual(
      successful.map((s) => s.Id),
      plan.map((_, i) => `e${i}`),
    );
    const numbers = successful.map((s) => BigInt(s.SequenceNumber ?? '0'));
    for (let i = 1; i < numbers.length; i++) assert.ok((numbers[i] as bigint) > (numbers[i - 1] as bigint));

    const got = await receive(url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['SequenceNumber'] });
    assert.equal(got.length, plan.length);
    for (const g of ['a', 'b', 'c']) assert.deepEqual(ofGroup(bodies(got), g), ofGroup(plan, g));
    for (const m of got) {
      const i = plan.indexOf(m.Body ?? '');
      assert.equal(m.Attributes?.SequenceNumber, successful[i]?.SequenceNumber, `${m.Body}`);
    }
  });
});

describe('FIFO receives', () => {
  test('order and the group lock with real receives and VisibilityTimeout 1', async () => {
    const url = await createFifo('lock');
    for (const [body, group] of [
      ['a:1', 'a'],
      ['a:2', 'a'],
      ['b:1', 'b'],
    ] as const) {
      await send(url, body, group);
    }
    const [head] = await receive(url, { VisibilityTimeout: 1 });
    assert.equal(head?.Body, 'a:1');
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 1 })), ['b:1']);
    assert.deepEqual(await receive(url, { MaxNumberOfMessages: 10 }), [], 'both groups are locked');
    await sleep(1100);
    const again = await receive(url, {
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    assert.deepEqual(ofGroup(bodies(again), 'a'), ['a:1', 'a:2'], 'the same head comes back first');
    assert.deepEqual(ofGroup(bodies(again), 'b'), ['b:1']);
    assert.equal(again.find((m) => m.Body === 'a:1')?.Attributes?.ApproximateReceiveCount, '2');
  });

  test('MessageSystemAttributeNames All returns MessageGroupId, MessageDeduplicationId and SequenceNumber', async () => {
    const url = await createFifo('sysattrs');
    const sent = await send(url, 'hello', 'grp-1', { MessageDeduplicationId: 'dedup-1' });
    const [m] = await receive(url, { MessageSystemAttributeNames: ALL });
    assert.ok(m);
    assert.equal(m.MessageId, sent.MessageId);
    assert.equal(m.Attributes?.MessageGroupId, 'grp-1');
    assert.equal(m.Attributes?.MessageDeduplicationId, 'dedup-1');
    assert.equal(m.Attributes?.SequenceNumber, sent.SequenceNumber);
    assert.equal(m.Attributes?.ApproximateReceiveCount, '1');
    assert.ok(m.Attributes?.SentTimestamp);
    assert.ok(m.Attributes?.SenderId);
    // Without the names, no attributes.
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    const [plain] = await receive(url);
    assert.equal(plain?.Attributes, undefined);
  });

  test('ChangeMessageVisibility 0 on the head releases the group', async () => {
    const url = await createFifo('release');
    await send(url, 'a:1', 'a');
    await send(url, 'a:2', 'a');
    const [head] = await receive(url, { VisibilityTimeout: 60 });
    assert.ok(head);
    assert.deepEqual(await receive(url), []);
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: head.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10 })), ['a:1', 'a:2']);
  });

  test('DeleteMessage with an expired handle is InvalidParameterValue: the receipt handle has expired', async () => {
    const url = await createFifo('expired');
    await send(url, 'a:1', 'a');
    const [m] = await receive(url, { VisibilityTimeout: 0 });
    assert.ok(m);
    await rejectsWith(deleteMessage(url, m), 'InvalidParameterValue', (e) =>
      assert.equal(
        e.message,
        `Value ${m.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
      ),
    );
    assert.equal(await messageCount(url), 1);
  });

  test('a long poll returns the next message of a group as soon as the head is deleted', async () => {
    // ReceiveMessage API reference, WaitTimeSeconds: "If a message is available, the call returns sooner than
    // WaitTimeSeconds." Deleting the head makes a:2 available.
    const url = await createFifo('wake-on-delete');
    await send(url, 'a:1', 'a');
    await send(url, 'a:2', 'a');
    const [head] = await receive(url, { VisibilityTimeout: 60 });
    assert.ok(head);
    const other = sqsClient(t.server.url);
    try {
      const started = Date.now();
      const polling = other.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 4 }));
      await sleep(300);
      await deleteMessage(url, head);
      const got = (await polling).Messages ?? [];
      const elapsed = Date.now() - started;
      assert.deepEqual(bodies(got), ['a:2']);
      assert.ok(elapsed < 2000, `the long poll took ${elapsed} ms; a:2 was available after ~300 ms`);
    } finally {
      other.destroy();
    }
  });
});

describe('FIFO deduplication', () => {
  test('content-based deduplication: the same body is a duplicate, even with other attributes', async () => {
    const url = await createFifo('content', { ContentBasedDeduplication: 'true' });
    const first = await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
    const second = await t.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'same',
        MessageGroupId: 'g',
        MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
      }),
    );
    assert.equal(second.MessageId, first.MessageId);
    assert.equal(second.SequenceNumber, first.SequenceNumber);
    const third = await t.sqs.send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'other', MessageGroupId: 'g' }),
    );
    assert.notEqual(third.MessageId, first.MessageId);
    assert.equal(await messageCount(url), 2);
    const got = await receive(url, {
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['MessageDeduplicationId'],
    });
    assert.deepEqual(
      got.map((m) => [m.Body, m.Attributes?.MessageDeduplicationId]),
      [
        ['same', sha256('same')],
        ['other', sha256('other')],
      ],
    );
  });

  test('an explicit duplicate after the original was deleted is accepted but not delivered', async () => {
    const url = await createFifo('dup-deleted');
    const sent = await send(url, 'once', 'g', { MessageDeduplicationId: 'only-once' });
    const [m] = await receive(url);
    assert.ok(m);
    await deleteMessage(url, m);
    const again = await send(url, 'once', 'g', { MessageDeduplicationId: 'only-once' });
    assert.equal(again.MessageId, sent.MessageId);
    assert.deepEqual(await receive(url), []);
  });
});

describe('FIFO dead-letter redrive', () => {
  test('messages move to a FIFO DLQ in group order keeping group, id and body; the DLQ delivers them in order; the dedup id becomes the MessageId', async () => {
    const dlqName = `${uniq('redrive-dlq')}.fifo`;
    const dlq = await createQueue(dlqName, { FifoQueue: 'true' });
    const source = await createFifo('redrive-src', {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${dlqName}`,
        maxReceiveCount: 1,
      }),
    });
    const sourceArn = (await queueAttributes(source, ['QueueArn'])).QueueArn;
    const sent = new Map<string, string | undefined>();
    for (const [body, group] of [
      ['a:1', 'a'],
      ['b:1', 'b'],
      ['a:2', 'a'],
    ] as const) {
      sent.set(body, (await send(source, body, group)).MessageId);
    }
    // Every message received once (VisibilityTimeout 0 makes them visible again at once), then moved.
    const once = await receive(source, { MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    assert.equal(once.length, 3);
    assert.deepEqual(await receive(source, { MaxNumberOfMessages: 10 }), [], 'the next receive moves them');
    assert.equal(await messageCount(source), 0);
    assert.equal(await messageCount(dlq), 3);

    const [head] = await receive(dlq, { MessageSystemAttributeNames: ALL });
    assert.equal(head?.Body, 'a:1');
    assert.equal(head?.MessageId, sent.get('a:1'));
    assert.equal(head?.Attributes?.MessageGroupId, 'a');
    assert.equal(head?.Attributes?.DeadLetterQueueSourceArn, sourceArn);
    assert.deepEqual(bodies(await receive(dlq, { MaxNumberOfMessages: 10 })), ['b:1'], 'a is locked in the DLQ');
    assert.ok(head);
    await deleteMessage(dlq, head);
    const [next] = await receive(dlq, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ALL });
    assert.equal(next?.Body, 'a:2');
    assert.equal(next?.MessageId, sent.get('a:2'));
    assert.equal(next?.Attributes?.MessageGroupId, 'a');
    // SQS Developer Guide, "Learn how to configure a dead-letter queue redrive": "When a message is moved from a FIFO
    // queue to a FIFO DLQ, the original message's deduplication ID will be replaced with the original message's ID."
    assert.equal(next?.Attributes?.MessageDeduplicationId, next?.MessageId);
  });

  test('a FIFO source cannot use a standard DLQ, nor a standard source a FIFO DLQ', async () => {
    const stdName = uniq('std-dlq');
    await createQueue(stdName);
    const fifoName = `${uniq('fifo-dlq')}.fifo`;
    await createQueue(fifoName, { FifoQueue: 'true' });
    const policy = (name: string) =>
      JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`, maxReceiveCount: 2 });
    await rejectsWith(createFifo('fifo-src', { RedrivePolicy: policy(stdName) }), 'InvalidParameterValue');
    await rejectsWith(createQueue(uniq('std-src'), { RedrivePolicy: policy(fifoName) }), 'InvalidParameterValue');
  });
});

describe('FIFO concurrency', () => {
  test('5 groups × 40 messages, 4 long-polling consumers with random failures: in order, each exactly once', async () => {
    const GROUPS = ['g0', 'g1', 'g2', 'g3', 'g4'];
    const PER_GROUP = 40;
    const TOTAL = GROUPS.length * PER_GROUP;
    const seed = Number(process.env.FIFO_SEED ?? Date.now() % 2 ** 31);
    const rnd = random(seed);
    const why = `seed ${seed} (rerun with FIFO_SEED=${seed})`;

    const url = await createFifo('concurrent', { VisibilityTimeout: '30' });
    const plan: { body: string; group: string }[] = [];
    for (let i = 0; i < PER_GROUP; i++) for (const group of GROUPS) plan.push({ body: `${group}:${i}`, group });
    for (let i = 0; i < plan.length; i += 10) {
      const out = await t.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: plan.slice(i, i + 10).map((p, j) => ({
            Id: `e${j}`,
            MessageBody: p.body,
            MessageGroupId: p.group,
            MessageDeduplicationId: p.body,
          })),
        }),
      );
      assert.equal(out.Failed?.length ?? 0, 0);
    }

    const processed = new Map<string, number[]>(GROUPS.map((g) => [g, []]));
    let successes = 0;
    let failures = 0;
    let deliveries = 0;
    const deadline = Date.now() + 20_000;

    async function consumer(): Promise<void> {
      const client = sqsClient(t.server.url);
      try {
        while (successes < TOTAL && Date.now() < deadline) {
          const { Messages = [] } = await client.send(
            new ReceiveMessageCommand({
              QueueUrl: url,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['MessageGroupId'],
            }),
          );
          deliveries += Messages.length;
          const failedGroups = new Set<string>();
          for (const m of Messages) {
            const group = m.Attributes?.MessageGroupId ?? '';
            const [bodyGroup, index] = (m.Body ?? '').split(':');
            assert.equal(bodyGroup, group, why);
            // A failure releases the message; later messages of its group in this batch are released unprocessed.
            if (failedGroups.has(group) || rnd() < 0.2) {
              failedGroups.add(group);
              failures += 1;
              await client.send(
                new ChangeMessageVisibilityCommand({
                  QueueUrl: url,
                  ReceiptHandle: m.ReceiptHandle,
                  VisibilityTimeout: 0,
                }),
              );
              continue;
            }
            processed.get(group)?.push(Number(index));
            await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
            successes += 1;
          }
        }
      } finally {
        client.destroy();
      }
    }

    await Promise.all(Array.from({ length: 4 }, () => consumer()));
    const expected = Array.from({ length: PER_GROUP }, (_, i) => i);
    for (const group of GROUPS) {
      assert.deepEqual(processed.get(group), expected, `group ${group} processed in send order, once each; ${why}`);
    }
    assert.equal(successes, TOTAL, why);
    assert.equal(deliveries, TOTAL + failures, `every delivery was either processed or failed; ${why}`);
    assert.ok(failures > 0, `the run exercised failures; ${why}`);
    assert.equal(await messageCount(url), 0);
  });
});
