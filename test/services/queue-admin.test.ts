// The operators' side of queues (QueueService → QueueAdmin): peek, delete and move by id, consumer failure records.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { FAILURE_LIMITS } from '../../src/core/limits.js';
import { md5OfBody } from '../../src/core/md5.js';
import { arnOf } from '../helpers/account.js';
import { rejectsAws } from '../helpers/aws-error.js';
import { ctx, dispose, type Harness, harness, harnessHelpers } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const SECOND = 1000;
const DAY = 86_400 * SECOND;

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => dispose(h));

const { createQueue, receive } = harnessHelpers(() => h);

async function send(QueueUrl: string, MessageBody: string, extra: Record<string, unknown> = {}): Promise<string> {
  return (await h.service.sendMessage(ctx, { QueueUrl, MessageBody, ...extra })).MessageId;
}

const peek = (queueName: string, extra: { limit?: number; after?: string } = {}) =>
  h.service.peekMessages(ctx, { queueName, ...extra });

/** A source queue dead-lettering into `dlq` after one receive, and the ids of `count` messages already moved there. */
async function deadLettered(count: number, fifo = false) {
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {};
  const dlqUrl = await createQueue(`dlq${suffix}`, fifoAttributes);
  const sourceUrl = await createQueue(`source${suffix}`, {
    ...fifoAttributes,
    VisibilityTimeout: '0',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(`dlq${suffix}`), maxReceiveCount: 1 }),
  });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(await send(sourceUrl, `failed ${i}`, fifo ? { MessageGroupId: 'g' } : {}));
  }
  // Received once (count 1 = maxReceiveCount); the next receive moves each to the DLQ.
  for (let i = 0; i < count; i++) await receive(sourceUrl, { MaxNumberOfMessages: 10 });
  assert.deepEqual(await receive(sourceUrl, { MaxNumberOfMessages: 10 }), []);
  return { dlqUrl, sourceUrl, ids };
}

describe('peekMessages', () => {
  test('shows every message with its state and attributes, and changes nothing', async () => {
    const url = await createQueue('orders', { VisibilityTimeout: '30' });
    const first = await send(url, 'first', {
      MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
    });
    const second = await send(url, 'second');
    const delayed = await send(url, 'later', { DelaySeconds: 60 });
    const [received] = await receive(url, { MaxNumberOfMessages: 1 });
    assert.equal(received?.MessageId, first);
    const now = h.clock.now();

    const page = await peek('orders');
    assert.equal(page.nextCursor, undefined);
    assert.deepEqual(
      page.messages.map((m) => [m.messageId, m.state]),
      [
        [first, 'in-flight'],
        [second, 'visible'],
        [delayed, 'delayed'],
      ],
    );
    const [inFlight, visible, later] = page.messages;
    assert.equal(inFlight?.body, 'first');
    assert.equal(inFlight?.md5OfBody, md5OfBody('first'));
    assert.deepEqual(inFlight?.messageAttributes, { tenant: { DataType: 'String', StringValue: 'acme' } });
    assert.deepEqual(inFlight?.attributes, {
      SenderId: ctx.senderId,
      SentTimestamp: String(now),
      ApproximateReceiveCount: '1',
      ApproximateFirstReceiveTimestamp: String(now),
    });
    assert.equal(inFlight?.lastReceivedAt, now);
    assert.equal(inFlight?.visibleAt, now + 30 * SECOND);
    assert.equal(inFlight?.failure, undefined);
    assert.equal(visible?.lastReceivedAt, null);
    assert.equal(visible?.attributes.ApproximateReceiveCount, '0');
    assert.deepEqual(visible?.messageAttributes, {});
    assert.equal(later?.visibleAt, now + 60 * SECOND);

    // A peeked message is received as if nobody had looked, and peeking again shows the same.
    assert.deepEqual(await peek('orders'), page);
    const [next] = await receive(url, { AttributeNames: ['All'] });
    assert.equal(next?.MessageId, second);
    assert.equal(next?.Attributes?.ApproximateReceiveCount, '1');
  });

  test('pages with an opaque cursor, in send order', async () => {
    const url = await createQueue('paged');
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push(await send(url, `m${i}`));
      h.clock.advance(1);
    }
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await peek('paged', { limit: 2, ...(after !== undefined ? { after } : {}) });
      seen.push(...page.messages.map((m) => m.messageId));
      after = page.nextCursor;
      pages += 1;
    } while (after !== undefined);
    assert.deepEqual(seen, sent);
    assert.equal(pages, 3);
    assert.equal((await peek('paged', { limit: 5 })).nextCursor, undefined, 'no cursor that leads nowhere');
    assert.equal((await peek('paged')).messages.length, 5, '50 by default');
  });

  test('refuses a bad limit or cursor and an unknown queue', async () => {
    await createQueue('q');
    await rejectsAws(peek('q', { limit: 0 }), 'InvalidParameterValue', /limit/);
    await rejectsAws(peek('q', { limit: 101 }), 'InvalidParameterValue', /limit/);
    await rejectsAws(peek('q', { limit: 1.5 }), 'InvalidParameterValue');
    await rejectsAws(peek('q', { after: 'not a cursor!' }), 'InvalidParameterValue', /after/);
    await rejectsAws(peek('q', { after: Buffer.from('{"t":"x"}').toString('base64url') }), 'InvalidParameterValue');
    await rejectsAws(peek('nope'), 'QueueDoesNotExist');
    await rejectsAws(peek(''), 'MissingParameter');
  });

  test("shows a target's failure from the attributes EventBridge adds when it dead-letters", async () => {
    const url = await createQueue('target-dlq');
    const text = (StringValue: string) => ({ DataType: 'String', StringValue });
    await send(url, '{"detail":{}}', {
      MessageAttributes: {
        RULE_ARN: text('arn:aws:events:us-east-1:000000000000:rule/orders'),
        TARGET_ARN: text('arn:aws:sqs:us-east-1:000000000000:gone'),
        ERROR_CODE: text('NO_RESOURCE'),
        ERROR_MESSAGE: text('Queue gone does not exist.'),
      },
    });
    await send(url, 'only a code', { MessageAttributes: { ERROR_CODE: text('X') } });
    const [dead, other] = (await peek('target-dlq')).messages;
    assert.deepEqual(dead?.failure, {
      source: 'target',
      code: 'NO_RESOURCE',
      message: 'Queue gone does not exist.',
      ruleArn: 'arn:aws:events:us-east-1:000000000000:rule/orders',
      targetArn: 'arn:aws:sqs:us-east-1:000000000000:gone',
    });
    assert.equal(other?.failure, undefined, 'not a dead-lettered event');
  });
});

describe('deleteMessagesById', () => {
  test('deletes the named messages, in flight or not, and reports the ids it did not find', async () => {
    const url = await createQueue('del');
    const a = await send(url, 'a');
    const b = await send(url, 'b');
    const c = await send(url, 'c');
    const [held] = await receive(url, { MaxNumberOfMessages: 1 });
    assert.equal(held?.MessageId, a);

    const result = await h.service.deleteMessagesById(ctx, { queueName: 'del', messageIds: [a, c, 'missing', c] });
    assert.deepEqual(result.deleted.sort(), [a, c].sort());
    assert.deepEqual(result.notFound, ['missing']);
    assert.deepEqual(
      (await peek('del')).messages.map((m) => m.messageId),
      [b],
    );
    // The consumer that held it deletes with its handle as if it were still there (SQS: deletes are idempotent).
    await h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: held?.ReceiptHandle ?? '' });
  });

  test('refuses an empty or oversized list and an unknown queue', async () => {
    await createQueue('del');
    const call = (messageIds: readonly string[], queueName = 'del') =>
      h.service.deleteMessagesById(ctx, { queueName, messageIds });
    await rejectsAws(call([]), 'InvalidParameterValue', /messageIds/);
    await rejectsAws(call(Array.from({ length: 1001 }, (_, i) => `id-${i}`)), 'InvalidParameterValue', /1 to 1000/);
    await rejectsAws(call(['']), 'InvalidParameterValue');
    await rejectsAws(call(['x'.repeat(101)]), 'InvalidParameterValue');
    await rejectsAws(call(['x'], 'nope'), 'QueueDoesNotExist');
    assert.deepEqual(await call(Array.from({ length: 1000 }, (_, i) => `id-${i}`)), {
      deleted: [],
      notFound: Array.from({ length: 1000 }, (_, i) => `id-${i}`),
    });
  });
});

describe('moveMessagesById', () => {
  test('without a destination, each message goes back to the queue it was dead-lettered from, as a new message', async () => {
    const { sourceUrl, ids } = await deadLettered(2);
    const peeked = (await peek('dlq')).messages;
    assert.deepEqual(
      peeked.map((m) => m.attributes.DeadLetterQueueSourceArn),
      [arnOf('source'), arnOf('source')],
    );
    const dlqUrl = (await h.service.getQueueUrl(ctx, { QueueName: 'dlq' })).QueueUrl;
    const plain = await send(dlqUrl, 'sent to the DLQ directly');
    h.clock.advance(5 * SECOND);

    const result = await h.service.moveMessagesById(ctx, {
      queueName: 'dlq',
      messageIds: [...ids, plain, 'missing'],
    });
    assert.deepEqual(
      result.moved.map((m) => [m.messageId, m.destination]),
      ids.map((id) => [id, 'source']),
    );
    for (const m of result.moved) assert.notEqual(m.newMessageId, m.messageId, 'a moved message is a new message');
    assert.deepEqual(result.noDestination, [plain]);
    assert.deepEqual(result.notFound, ['missing']);

    const back = await receive(sourceUrl, { MaxNumberOfMessages: 10, AttributeNames: ['All'] });
    assert.deepEqual(
      back.map((m) => m.MessageId),
      result.moved.map((m) => m.newMessageId),
    );
    for (const m of back) {
      assert.equal(m.Attributes?.ApproximateReceiveCount, '1', 'never received before');
      assert.equal(m.Attributes?.SentTimestamp, String(h.clock.now()));
      assert.equal(m.Attributes?.DeadLetterQueueSourceArn, undefined);
    }
  });

  test('a message whose source queue is gone has no destination', async () => {
    const { sourceUrl, ids } = await deadLettered(1);
    await h.service.deleteQueue(ctx, { QueueUrl: sourceUrl });
    const result = await h.service.moveMessagesById(ctx, { queueName: 'dlq', messageIds: ids });
    assert.deepEqual(result, { moved: [], notFound: [], noDestination: ids });
    assert.equal((await peek('dlq')).messages.length, 1, 'left where it was');
  });

  test('to a named queue, checked as StartMessageMoveTask checks its destination', async () => {
    const { ids } = await deadLettered(2);
    const elsewhereUrl = await createQueue('elsewhere');
    await createQueue('other.fifo', { FifoQueue: 'true' });
    const move = (destinationQueueName: string) =>
      h.service.moveMessagesById(ctx, { queueName: 'dlq', messageIds: ids, destinationQueueName });
    await rejectsAws(move('dlq'), 'InvalidParameterValue', /different from the source/);
    await rejectsAws(move('other.fifo'), 'InvalidParameterValue', /same type/);
    await rejectsAws(move('nope'), 'QueueDoesNotExist');
    await rejectsAws(
      h.service.moveMessagesById(ctx, { queueName: 'dlq', messageIds: [] }),
      'InvalidParameterValue',
      /messageIds/,
    );

    const result = await move('elsewhere');
    assert.deepEqual(
      result.moved.map((m) => [m.messageId, m.destination]),
      ids.map((id) => [id, 'elsewhere']),
    );
    assert.deepEqual(
      (await receive(elsewhereUrl, { MaxNumberOfMessages: 10 })).map((m) => m.MessageId),
      result.moved.map((m) => m.newMessageId),
    );
    assert.deepEqual((await peek('dlq')).messages, []);
  });

  test('a FIFO destination gives the moved messages its next sequence numbers, in order', async () => {
    const { ids } = await deadLettered(2, true);
    const destinationUrl = await createQueue('dest.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const existing = await h.service.sendMessage(ctx, {
      QueueUrl: destinationUrl,
      MessageBody: 'already there',
      MessageGroupId: 'h',
    });
    const result = await h.service.moveMessagesById(ctx, {
      queueName: 'dlq.fifo',
      messageIds: [...ids].reverse(),
      destinationQueueName: 'dest.fifo',
    });
    assert.deepEqual(
      result.moved.map((m) => m.messageId),
      ids,
      'in send order',
    );
    const sequences = (await peek('dest.fifo')).messages.map((m) => m.attributes.SequenceNumber);
    assert.equal(sequences[0], existing.SequenceNumber);
    const [first, second, third] = sequences.map((s) => BigInt(s ?? '0'));
    assert.ok(first !== undefined && second !== undefined && third !== undefined);
    assert.ok(first < second && second < third, `increasing: ${sequences.join(', ')}`);
    assert.deepEqual(
      (await peek('dest.fifo')).messages.slice(1).map((m) => m.attributes.MessageGroupId),
      ['g', 'g'],
    );
  });

  test('wakes the long polls of the destination', async () => {
    const { sourceUrl, ids } = await deadLettered(1);
    const polling = h.service.receiveMessage(ctx, { QueueUrl: sourceUrl, WaitTimeSeconds: 20 });
    await waitFor('the poll to park', () => h.wakeups.waiting > 0);
    const result = await h.service.moveMessagesById(ctx, { queueName: 'dlq', messageIds: ids });
    const { Messages } = await polling;
    assert.deepEqual(
      Messages?.map((m) => m.MessageId),
      result.moved.map((m) => m.newMessageId),
    );
  });
});

describe('recordMessageFailures', () => {
  test('records consumer failures that peek shows, in the dead-letter queue too', async () => {
    const { sourceUrl, ids } = await deadLettered(1);
    const [id] = ids;
    assert.ok(id);
    const at = h.clock.now();
    await h.service.recordMessageFailures(ctx, {
      QueueUrl: sourceUrl,
      Entries: [{ MessageId: id, ErrorCode: 'Timeout', ErrorMessage: 'took too long' }],
    });
    h.clock.advance(SECOND);
    await h.service.recordMessageFailures(ctx, {
      QueueUrl: sourceUrl,
      Entries: [{ MessageId: id, ErrorCode: 'PaymentDeclined', ErrorMessage: 'card declined' }],
    });
    const [message] = (await peek('dlq')).messages;
    assert.deepEqual(message?.failure, {
      source: 'consumer',
      code: 'PaymentDeclined',
      message: 'card declined',
      at: at + SECOND,
      count: 2,
    });
    await h.service.recordMessageFailures(ctx, {
      QueueUrl: sourceUrl,
      Entries: [{ MessageId: id, ErrorCode: '', ErrorMessage: '' }],
    });
    const [again] = (await peek('dlq')).messages;
    assert.deepEqual(again?.failure, { source: 'consumer', message: '', at: at + SECOND, count: 3 });
  });

  test('validates the entries and the queue, with messages that say what is wrong', async () => {
    const QueueUrl = await createQueue('q');
    const record = (Entries: { MessageId?: string; ErrorCode?: string; ErrorMessage?: string }[] | undefined) =>
      h.service.recordMessageFailures(ctx, { QueueUrl, Entries });
    const ok = { MessageId: 'm', ErrorMessage: 'boom' };
    await rejectsAws(record(undefined), 'Validation', /must contain Entries/);
    await rejectsAws(record([]), 'Validation', /between 1 and 100.*holds 0/);
    await rejectsAws(record(Array.from({ length: 101 }, () => ok)), 'Validation', /holds 101/);
    await rejectsAws(record([ok, { ErrorMessage: 'x' }]), 'Validation', /Entries\[1\]\.MessageId is missing/);
    await rejectsAws(record([{ ...ok, MessageId: 'x'.repeat(101) }]), 'Validation', /MessageId is 101 characters/);
    await rejectsAws(record([{ ...ok, ErrorCode: 'c'.repeat(257) }]), 'Validation', /ErrorCode is 257 characters/);
    await rejectsAws(record([{ MessageId: 'm' }]), 'Validation', /Entries\[0\]\.ErrorMessage is missing/);
    await rejectsAws(
      record([{ ...ok, ErrorMessage: 'e'.repeat(FAILURE_LIMITS.maxErrorMessageLength + 1) }]),
      'Validation',
      /ErrorMessage is 4097 characters/,
    );
    await rejectsAws(
      h.service.recordMessageFailures(ctx, { QueueUrl: `${QueueUrl}-gone`, Entries: [ok] }),
      'QueueDoesNotExist',
    );
    await rejectsAws(h.service.recordMessageFailures(ctx, { Entries: [ok] }), 'MissingParameter');
    await h.service.recordMessageFailures(ctx, {
      QueueUrl,
      Entries: Array.from({ length: 100 }, (_, i) => ({
        MessageId: `m${i}`.padEnd(100, 'x'),
        ErrorCode: 'c'.repeat(256),
        ErrorMessage: 'e'.repeat(4096),
      })),
    });
  });

  test('records expire 14 days after the last failure', async () => {
    const QueueUrl = await createQueue('q');
    const id = await send(QueueUrl, 'kept for a long time');
    await h.service.recordMessageFailures(ctx, { QueueUrl, Entries: [{ MessageId: id, ErrorMessage: 'boom' }] });
    h.clock.advance(14 * DAY);
    assert.equal(await h.service.admin.sweepExpiredFailures(), 0, 'kept for 14 days');
    assert.equal((await peek('q')).messages[0]?.failure?.source, 'consumer');
    h.clock.advance(1);
    assert.equal(await h.service.admin.sweepExpiredFailures(), 1);
    assert.equal((await peek('q')).messages[0]?.failure, undefined);
  });
});
