// FIFO queues through QueueService over an in-memory SqliteStore, with a ManualClock: no sleeping, every receive
// is a short poll (WaitTimeSeconds 0). Expected behaviour is AWS's: /work/shared/notes/sqs-protocol-and-peers.md
// §1.1 and §1.4, and the SQS Developer Guide pages cited next to the tests that rely on them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import fc from 'fast-check';
import type { ReceivedMessage, SendMessageInput } from '../../src/services/sqs-api.js';
import { arnOf } from '../helpers/account.js';
import { rejectsAws } from '../helpers/aws-error.js';
import { ctx, dispose, type Harness, harness, harnessHelpers } from '../helpers/service.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => dispose(h));

const { createQueue, receive, counts } = harnessHelpers(() => h);

/** A FIFO queue named `<base>.fifo`. */
function createFifo(base: string, Attributes: Record<string, string> = {}, on: Harness = h): Promise<string> {
  return createQueue(`${base}.fifo`, { FifoQueue: 'true', ...Attributes }, on);
}

let dedupCounter = 0;
/** Sends to a FIFO queue with a fresh explicit deduplication id unless one is given. */
function send(
  QueueUrl: string,
  MessageBody: string,
  MessageGroupId: string,
  extra: Partial<SendMessageInput> = {},
  on: Harness = h,
) {
  dedupCounter += 1;
  return on.service.sendMessage(ctx, {
    QueueUrl,
    MessageBody,
    MessageGroupId,
    MessageDeduplicationId: `dedup-${dedupCounter}`,
    ...extra,
  });
}

const bodies = (messages: ReceivedMessage[]) => messages.map((m) => m.Body);

async function deleteAll(QueueUrl: string, messages: ReceivedMessage[], on: Harness = h): Promise<void> {
  for (const m of messages) await on.service.deleteMessage(ctx, { QueueUrl, ReceiptHandle: m.ReceiptHandle });
}

const total = async (QueueUrl: string, on: Harness = h) => {
  const c = await counts(QueueUrl, on);
  return c.visible + c.inFlight + c.delayed;
};

/** Bodies of one group, in the order given. Bodies are `<group>:<n>`. */
const ofGroup = (list: readonly (string | undefined)[], group: string) =>
  list.filter((b): b is string => b?.startsWith(`${group}:`) ?? false);

describe('FIFO queues: creation and attributes', () => {
  test('a FIFO queue has the FIFO defaults; creating it again with the same attributes returns the same URL', async () => {
    const url = await createFifo('defaults');
    assert.equal(url, 'http://localhost:4566/000000000000/defaults.fifo');
    const { Attributes } = await h.service.getQueueAttributes(ctx, { QueueUrl: url, AttributeNames: ['All'] });
    assert.equal(Attributes?.FifoQueue, 'true');
    assert.equal(Attributes?.ContentBasedDeduplication, 'false');
    assert.equal(Attributes?.DeduplicationScope, 'queue');
    assert.equal(Attributes?.FifoThroughputLimit, 'perQueue');
    assert.equal(Attributes?.DelaySeconds, '0');
    assert.equal(Attributes?.VisibilityTimeout, '30');
    assert.equal(await createFifo('defaults', { ContentBasedDeduplication: 'false' }), url);
  });

  test('a .fifo name needs FifoQueue, and FifoQueue needs a .fifo name', async () => {
    await rejectsAws(createQueue('named.fifo'), 'InvalidParameterValue');
    await rejectsAws(createQueue('unnamed', { FifoQueue: 'true' }), 'InvalidParameterValue', /\.fifo/);
    await rejectsAws(h.service.getQueueUrl(ctx, { QueueName: 'named.fifo' }), 'QueueDoesNotExist');
    await rejectsAws(h.service.getQueueUrl(ctx, { QueueName: 'unnamed' }), 'QueueDoesNotExist');
  });

  test('FIFO-only attributes on a standard queue are InvalidAttributeName', async () => {
    await rejectsAws(
      createQueue('std-cbd', { ContentBasedDeduplication: 'true' }),
      'InvalidAttributeName',
      /ContentBasedDeduplication/,
    );
    const url = await createQueue('std');
    for (const [name, value] of [
      ['DeduplicationScope', 'messageGroup'],
      ['FifoThroughputLimit', 'perQueue'],
      ['ContentBasedDeduplication', 'false'],
    ] as const) {
      await rejectsAws(
        h.service.setQueueAttributes(ctx, { QueueUrl: url, Attributes: { [name]: value } }),
        'InvalidAttributeName',
        new RegExp(name),
      );
    }
    await rejectsAws(
      h.service.setQueueAttributes(ctx, { QueueUrl: url, Attributes: { FifoQueue: 'true' } }),
      'InvalidAttributeName',
      'Unknown Attribute FifoQueue.',
    );
  });

  test('SetQueueAttributes FifoQueue on a FIFO queue is InvalidAttributeValue (the type cannot change)', async () => {
    const url = await createFifo('fixed-type');
    for (const value of ['true', 'false']) {
      await rejectsAws(
        h.service.setQueueAttributes(ctx, { QueueUrl: url, Attributes: { FifoQueue: value } }),
        'InvalidAttributeValue',
        'Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.',
      );
    }
    const { Attributes } = await h.service.getQueueAttributes(ctx, { QueueUrl: url, AttributeNames: ['FifoQueue'] });
    assert.equal(Attributes?.FifoQueue, 'true');
  });

  test('FifoThroughputLimit perMessageGroupId requires DeduplicationScope messageGroup', async () => {
    await rejectsAws(
      createFifo('throughput-bad', { FifoThroughputLimit: 'perMessageGroupId' }),
      'InvalidAttributeValue',
      /FifoThroughputLimit|DeduplicationScope/,
    );
    await rejectsAws(
      createFifo('throughput-bad2', { FifoThroughputLimit: 'perMessageGroupId', DeduplicationScope: 'queue' }),
      'InvalidAttributeValue',
    );
    await rejectsAws(h.service.getQueueUrl(ctx, { QueueName: 'throughput-bad.fifo' }), 'QueueDoesNotExist');

    const url = await createFifo('high-throughput', {
      FifoThroughputLimit: 'perMessageGroupId',
      DeduplicationScope: 'messageGroup',
    });
    const read = async () =>
      (
        await h.service.getQueueAttributes(ctx, {
          QueueUrl: url,
          AttributeNames: ['FifoThroughputLimit', 'DeduplicationScope'],
        })
      ).Attributes;
    assert.deepEqual(await read(), { FifoThroughputLimit: 'perMessageGroupId', DeduplicationScope: 'messageGroup' });

    // Changing the scope alone would break the rule: refused, nothing changes.
    await rejectsAws(
      h.service.setQueueAttributes(ctx, { QueueUrl: url, Attributes: { DeduplicationScope: 'queue' } }),
      'InvalidAttributeValue',
    );
    assert.deepEqual(await read(), { FifoThroughputLimit: 'perMessageGroupId', DeduplicationScope: 'messageGroup' });

    // Both at once is fine.
    await h.service.setQueueAttributes(ctx, {
      QueueUrl: url,
      Attributes: { DeduplicationScope: 'queue', FifoThroughputLimit: 'perQueue' },
    });
    assert.deepEqual(await read(), { FifoThroughputLimit: 'perQueue', DeduplicationScope: 'queue' });

    // And on a normal-throughput queue, turning on perMessageGroupId alone is refused.
    const plain = await createFifo('plain-throughput');
    await rejectsAws(
      h.service.setQueueAttributes(ctx, { QueueUrl: plain, Attributes: { FifoThroughputLimit: 'perMessageGroupId' } }),
      'InvalidAttributeValue',
    );
  });
});

describe('FIFO queues: sending', () => {
  test('MessageGroupId is required; per-message DelaySeconds other than 0 is rejected', async () => {
    const url = await createFifo('send-rules');
    await rejectsAws(
      h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' }),
      'MissingParameter',
      'The request must contain the parameter MessageGroupId.',
    );
    await rejectsAws(
      send(url, 'x', 'g', { DelaySeconds: 5 }),
      'InvalidParameterValue',
      'Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
    );
    const ok = await send(url, 'x', 'g', { DelaySeconds: 0 });
    assert.ok(ok.SequenceNumber);
    assert.equal(await total(url), 1, 'only the valid send was stored');
  });

  test('without a deduplication id the queue needs ContentBasedDeduplication', async () => {
    const url = await createFifo('no-dedup');
    await rejectsAws(
      h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' }),
      'InvalidParameterValue',
      'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
    );
    assert.equal(await total(url), 0);
  });

  test('a standard queue refuses MessageDeduplicationId but takes MessageGroupId without a SequenceNumber', async () => {
    const url = await createQueue('std-send');
    await rejectsAws(
      h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' }),
      'InvalidParameterValue',
      /MessageDeduplicationId/,
    );
    const sent = await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'tenant' });
    assert.equal(sent.SequenceNumber, undefined);
  });

  test('SequenceNumber: 20 digits, strictly increasing per queue across groups and batches', async () => {
    const url = await createFifo('sequence');
    const other = await createFifo('sequence-other');
    const sequenceOf = new Map<string, string>();
    const numbers: bigint[] = [];
    for (let i = 0; i < 30; i++) {
      const group = ['a', 'b', 'c'][i % 3] as string;
      const out = await send(url, `${group}:${i}`, group);
      assert.match(out.SequenceNumber ?? '', /^\d{20}$/);
      sequenceOf.set(`${group}:${i}`, out.SequenceNumber ?? '');
      numbers.push(BigInt(out.SequenceNumber ?? '0'));
      // Another queue's sends do not disturb this one's order.
      await send(other, `x:${i}`, 'x');
    }
    const entries = ['a', 'b', 'c', 'd'].map((g, i) => ({
      Id: `e${i}`,
      MessageBody: `${g}:batch`,
      MessageGroupId: g,
      MessageDeduplicationId: `batch-${i}`,
    }));
    const batch = await h.service.sendMessageBatch(ctx, { QueueUrl: url, Entries: entries });
    assert.deepEqual(batch.Failed, []);
    for (const [i, entry] of batch.Successful.entries()) {
      assert.equal(entry.Id, entries[i]?.Id);
      assert.match(entry.SequenceNumber ?? '', /^\d{20}$/);
      sequenceOf.set(entries[i]?.MessageBody ?? '', entry.SequenceNumber ?? '');
      numbers.push(BigInt(entry.SequenceNumber ?? '0'));
    }
    for (let i = 1; i < numbers.length; i++) {
      assert.ok((numbers[i] as bigint) > (numbers[i - 1] as bigint), `sequence ${i} grows`);
    }

    // Each receive reports the SequenceNumber its send returned.
    const seen = new Set<string>();
    for (let round = 0; round < 20 && seen.size < sequenceOf.size; round++) {
      const received = await receive(url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['SequenceNumber'] });
      for (const m of received) {
        assert.equal(m.Attributes?.SequenceNumber, sequenceOf.get(m.Body ?? ''), `${m.Body}`);
        seen.add(m.Body ?? '');
      }
      await deleteAll(url, received);
    }
    assert.equal(seen.size, sequenceOf.size);
  });

  test('a batch to a FIFO queue reports per-entry errors and sends the rest in entry order', async () => {
    const url = await createFifo('batch-errors');
    const out = await h.service.sendMessageBatch(ctx, {
      QueueUrl: url,
      Entries: [
        { Id: 'ok1', MessageBody: 'a:1', MessageGroupId: 'a', MessageDeduplicationId: 'x1' },
        { Id: 'nogroup', MessageBody: 'a:bad', MessageDeduplicationId: 'x2' },
        { Id: 'delayed', MessageBody: 'a:bad2', MessageGroupId: 'a', MessageDeduplicationId: 'x3', DelaySeconds: 3 },
        { Id: 'ok2', MessageBody: 'a:2', MessageGroupId: 'a', MessageDeduplicationId: 'x4' },
      ],
    });
    assert.deepEqual(
      out.Successful.map((s) => s.Id),
      ['ok1', 'ok2'],
    );
    assert.deepEqual(
      out.Failed.map((f) => [f.Id, f.Code, f.SenderFault]),
      [
        ['nogroup', 'MissingParameter', true],
        ['delayed', 'InvalidParameterValue', true],
      ],
    );
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10 })), ['a:1', 'a:2']);
  });
});

describe('FIFO queues: ordering and the group lock', () => {
  test('strict order within a group across many interleaved sends', async () => {
    const url = await createFifo('many');
    const groups = ['red', 'green', 'blue'];
    const sent: string[] = [];
    for (let i = 0; i < 90; i++) {
      const group = groups[(i * 7) % 3] as string;
      const body = `${group}:${i}`;
      sent.push(body);
      await send(url, body, group);
    }
    const received: string[] = [];
    for (let round = 0; round < 100 && received.length < sent.length; round++) {
      const batch = await receive(url, { MaxNumberOfMessages: (round % 10) + 1 });
      for (const group of groups) {
        const got = ofGroup(bodies(batch), group);
        const next = ofGroup(sent, group).slice(
          ofGroup(received, group).length,
          ofGroup(received, group).length + got.length,
        );
        assert.deepEqual(got, next, `round ${round}: group ${group} continues in send order`);
      }
      received.push(...bodies(batch).filter((b): b is string => b !== undefined));
      await deleteAll(url, batch);
    }
    assert.equal(received.length, sent.length);
    for (const group of groups) assert.deepEqual(ofGroup(received, group), ofGroup(sent, group));
  });

  test('while a message of a group is in flight, no later message of that group is delivered; other groups flow', async () => {
    const url = await createFifo('lock');
    for (const [body, group] of [
      ['a:1', 'a'],
      ['a:2', 'a'],
      ['b:1', 'b'],
      ['b:2', 'b'],
      ['c:1', 'c'],
    ]) {
      await send(url, body as string, group as string);
    }
    const [a1] = await receive(url);
    assert.equal(a1?.Body, 'a:1');

    const others = await receive(url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(bodies(others).sort(), ['b:1', 'b:2', 'c:1'], 'a is locked; b and c flow');
    assert.deepEqual(await receive(url, { MaxNumberOfMessages: 10 }), [], 'every group is now locked');
    assert.deepEqual(await counts(url), { visible: 1, inFlight: 4, delayed: 0 }, 'a:2 is visible but locked');

    assert.ok(a1);
    await h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: a1.ReceiptHandle });
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10 })), ['a:2']);
  });

  test('a later in-flight message also locks its group after the head was released', async () => {
    const url = await createFifo('lock-tail');
    await send(url, 'a:1', 'a');
    await send(url, 'a:2', 'a');
    const both = await receive(url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(bodies(both), ['a:1', 'a:2']);
    const [head] = both;
    assert.ok(head);
    await h.service.changeMessageVisibility(ctx, {
      QueueUrl: url,
      ReceiptHandle: head.ReceiptHandle,
      VisibilityTimeout: 0,
    });
    assert.deepEqual(await receive(url, { MaxNumberOfMessages: 10 }), [], 'a:2 is still in flight: a stays locked');
    h.clock.advance(30 * SECOND);
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10 })), ['a:1', 'a:2']);
  });

  test('several messages of one group come in one receive, in order', async () => {
    const url = await createFifo('burst');
    for (let i = 1; i <= 5; i++) await send(url, `a:${i}`, 'a');
    await send(url, 'b:1', 'b');
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 3 })), ['a:1', 'a:2', 'a:3']);
    h.clock.advance(30 * SECOND);
    const all = bodies(await receive(url, { MaxNumberOfMessages: 10 }));
    assert.equal(all.length, 6);
    assert.deepEqual(ofGroup(all, 'a'), ['a:1', 'a:2', 'a:3', 'a:4', 'a:5']);
    assert.deepEqual(ofGroup(all, 'b'), ['b:1']);
  });

  test('after the visibility timeout the same head comes back first', async () => {
    const url = await createFifo('head-again', { VisibilityTimeout: '10' });
    await send(url, 'a:1', 'a');
    await send(url, 'a:2', 'a');
    const [first] = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    assert.equal(first?.Body, 'a:1');
    h.clock.advance(10 * SECOND - 1);
    assert.deepEqual(await receive(url, { MaxNumberOfMessages: 10 }), [], 'still locked 1 ms before the timeout');
    h.clock.advance(1);
    const again = await receive(url, {
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    assert.deepEqual(bodies(again), ['a:1', 'a:2']);
    assert.equal(again[0]?.MessageId, first?.MessageId);
    assert.equal(again[0]?.Attributes?.ApproximateReceiveCount, '2');
    assert.equal(again[1]?.Attributes?.ApproximateReceiveCount, '1');
  });

  test('property: with random receive sizes and random failures each group is processed in send order, once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
        async (sendGroups, sizes, failures) => {
          const run = harness();
          try {
            const url = await createFifo('prop', { VisibilityTimeout: '5' }, run);
            const sent = sendGroups.map((g, i) => `${g}:${i}`);
            for (const [i, body] of sent.entries()) await send(url, body, sendGroups[i] as string, {}, run);
            const processed: string[] = [];
            const failedOnce = new Set<string>();
            let step = 0;
            for (let round = 0; processed.length < sent.length; round++) {
              assert.ok(round < 500, 'the queue drains');
              const batch = await receive(url, { MaxNumberOfMessages: sizes[round % sizes.length] }, run);
              const failedGroups = new Set<string>();
              for (const m of batch) {
                const body = m.Body ?? '';
                const group = body.split(':')[0] as string;
                if (failedGroups.has(group)) continue; // left in flight; comes back after the timeout
                const fail = !failedOnce.has(body) && (failures[step++ % failures.length] ?? false);
                if (fail) {
                  failedOnce.add(body);
                  failedGroups.add(group);
                  continue;
                }
                processed.push(body);
                await run.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: m.ReceiptHandle });
              }
              if (batch.length === 0 || failedGroups.size > 0) run.clock.advance(5 * SECOND);
            }
            for (const g of new Set(sendGroups)) assert.deepEqual(ofGroup(processed, g), ofGroup(sent, g));
            assert.equal(processed.length, sent.length);
            assert.equal(await total(url, run), 0);
          } finally {
            await dispose(run);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('FIFO queues: delays', () => {
  test('a queue DelaySeconds delays every message and keeps the order', async () => {
    const url = await createFifo('delayed', { DelaySeconds: '10' });
    for (const [body, group] of [
      ['a:1', 'a'],
      ['b:1', 'b'],
      ['a:2', 'a'],
      ['a:3', 'a'],
    ]) {
      await send(url, body as string, group as string);
      h.clock.advance(SECOND);
    }
    assert.deepEqual(await counts(url), { visible: 0, inFlight: 0, delayed: 4 });
    h.clock.advance(6 * SECOND); // 10 s after the first send
    const first = bodies(await receive(url, { MaxNumberOfMessages: 10 }));
    assert.deepEqual(first, ['a:1'], 'only a:1 is due yet');
    h.clock.advance(3 * SECOND);
    const rest = await receive(url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(bodies(rest), ['b:1'], 'a:2 and a:3 are due but a is locked by a:1 in flight');
    h.clock.advance(30 * SECOND);
    const again = bodies(await receive(url, { MaxNumberOfMessages: 10 }));
    assert.deepEqual(ofGroup(again, 'a'), ['a:1', 'a:2', 'a:3'], 'a:1 timed out and comes back first');
  });

  test('a message sent with a different queue delay does not let later messages of its group overtake it', async () => {
    // Either AWS's retroactive queue delay (all three due now) or the project's rule (a group is closed while an
    // earlier message is delayed) keeps a:3 behind a:2. Only a prefix of the send order may be delivered.
    const url = await createFifo('delay-changes');
    await send(url, 'a:1', 'a');
    await h.service.setQueueAttributes(ctx, { QueueUrl: url, Attributes: { DelaySeconds: '60' } });
    await send(url, 'a:2', 'a');
    await h.service.setQueueAttributes(ctx, { QueueUrl: url, Attributes: { DelaySeconds: '0' } });
    await send(url, 'a:3', 'a');
    const got = bodies(await receive(url, { MaxNumberOfMessages: 10 }));
    assert.deepEqual(got, ['a:1', 'a:2', 'a:3'].slice(0, got.length), `delivered ${got.join(',')}`);
    assert.ok(got.length >= 1);
  });

  test('the queue DelaySeconds of a FIFO queue is retroactive', async () => {
    // AWS SQS Developer Guide, "Amazon SQS delay queues": "For FIFO queues, the per-queue delay setting is
    // retroactive—changing the setting affects the delay of messages already in the queue."
    const url = await createFifo('retroactive', { DelaySeconds: '60' });
    await send(url, 'a:1', 'a');
    await h.service.setQueueAttributes(ctx, { QueueUrl: url, Attributes: { DelaySeconds: '0' } });
    assert.deepEqual(bodies(await receive(url)), ['a:1'], 'no longer delayed once the queue delay is 0');
  });
});

describe('FIFO queues: deduplication', () => {
  test('a duplicate within 5 minutes succeeds with the original MessageId and SequenceNumber and stores nothing', async () => {
    const url = await createFifo('dup');
    const original = await send(url, 'first', 'g', { MessageDeduplicationId: 'same' });
    h.clock.advance(5 * MINUTE - 1);
    const duplicate = await send(url, 'second', 'g', { MessageDeduplicationId: 'same' });
    assert.equal(duplicate.MessageId, original.MessageId);
    assert.equal(duplicate.SequenceNumber, original.SequenceNumber);
    assert.equal(duplicate.MD5OfMessageBody, md5('second'), 'the MD5 is of the body sent, which the SDK checks');
    assert.deepEqual(await counts(url), { visible: 1, inFlight: 0, delayed: 0 });
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(bodies(messages), ['first']);
  });

  test('the window counts from the first send: a duplicate does not extend it; past 5 minutes the id is new', async () => {
    const url = await createFifo('window');
    const original = await send(url, 'one', 'g', { MessageDeduplicationId: 'w' });
    h.clock.advance(4 * MINUTE);
    assert.equal((await send(url, 'two', 'g', { MessageDeduplicationId: 'w' })).MessageId, original.MessageId);
    h.clock.advance(1 * MINUTE + 1);
    const fresh = await send(url, 'three', 'g', { MessageDeduplicationId: 'w' });
    assert.notEqual(fresh.MessageId, original.MessageId);
    assert.ok(BigInt(fresh.SequenceNumber ?? '0') > BigInt(original.SequenceNumber ?? '0'));
    assert.equal(await total(url), 2);
    // And the new send starts a new window.
    h.clock.advance(4 * MINUTE);
    assert.equal((await send(url, 'four', 'g', { MessageDeduplicationId: 'w' })).MessageId, fresh.MessageId);
    assert.equal(await total(url), 2);
  });

  test('the deduplication id is remembered after the original was received and deleted', async () => {
    const url = await createFifo('dup-deleted');
    const original = await send(url, 'x', 'g', { MessageDeduplicationId: 'gone' });
    await deleteAll(url, await receive(url));
    assert.equal(await total(url), 0);
    h.clock.advance(2 * MINUTE);
    const again = await send(url, 'x', 'g', { MessageDeduplicationId: 'gone' });
    assert.equal(again.MessageId, original.MessageId);
    assert.equal(await total(url), 0);
    assert.deepEqual(await receive(url), []);
  });

  test('the background sweep forgets only expired deduplication ids', async () => {
    const url = await createFifo('dup-sweep');
    const early = await send(url, 'x', 'g', { MessageDeduplicationId: 'early' });
    h.clock.advance(2 * MINUTE);
    const late = await send(url, 'y', 'g', { MessageDeduplicationId: 'late' });
    h.clock.advance(3 * MINUTE);
    await h.service.sweepExpired();
    assert.equal((await send(url, 'y', 'g', { MessageDeduplicationId: 'late' })).MessageId, late.MessageId);
    assert.notEqual((await send(url, 'x', 'g', { MessageDeduplicationId: 'early' })).MessageId, early.MessageId);
  });

  test('DeduplicationScope messageGroup: the same id in two groups is two messages, in one group a duplicate', async () => {
    const url = await createFifo('scope-group', { DeduplicationScope: 'messageGroup' });
    const g1 = await send(url, 'g1:1', 'g1', { MessageDeduplicationId: 'shared' });
    const g2 = await send(url, 'g2:1', 'g2', { MessageDeduplicationId: 'shared' });
    assert.notEqual(g1.MessageId, g2.MessageId);
    const dup = await send(url, 'g1:again', 'g1', { MessageDeduplicationId: 'shared' });
    assert.equal(dup.MessageId, g1.MessageId);
    assert.equal(dup.SequenceNumber, g1.SequenceNumber);
    assert.equal(await total(url), 2);
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10 })).sort(), ['g1:1', 'g2:1']);
  });

  test('DeduplicationScope queue: the same id in another group is a duplicate of the first', async () => {
    const url = await createFifo('scope-queue');
    const g1 = await send(url, 'g1:1', 'g1', { MessageDeduplicationId: 'shared' });
    const g2 = await send(url, 'g2:1', 'g2', { MessageDeduplicationId: 'shared' });
    assert.equal(g2.MessageId, g1.MessageId);
    assert.equal(g2.SequenceNumber, g1.SequenceNumber);
    const messages = await receive(url, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId'] });
    assert.deepEqual(bodies(messages), ['g1:1']);
    assert.equal(messages[0]?.Attributes?.MessageGroupId, 'g1');
  });

  test('content-based deduplication: same body is a duplicate whatever its attributes; explicit ids override', async () => {
    const url = await createFifo('content', { ContentBasedDeduplication: 'true' });
    const a = await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'payload', MessageGroupId: 'g' });
    const b = await h.service.sendMessage(ctx, {
      QueueUrl: url,
      MessageBody: 'payload',
      MessageGroupId: 'g',
      MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } },
    });
    assert.equal(b.MessageId, a.MessageId);
    const c = await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'payload2', MessageGroupId: 'g' });
    assert.notEqual(c.MessageId, a.MessageId);
    const d = await h.service.sendMessage(ctx, {
      QueueUrl: url,
      MessageBody: 'payload',
      MessageGroupId: 'g',
      MessageDeduplicationId: 'explicit',
    });
    assert.notEqual(d.MessageId, a.MessageId);
    assert.equal(await total(url), 3);
    const received = await receive(url, {
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['MessageDeduplicationId'],
    });
    assert.deepEqual(
      received.map((m) => m.Attributes?.MessageDeduplicationId),
      [sha256('payload'), sha256('payload2'), 'explicit'],
    );
  });

  test('duplicates inside one SendMessageBatch answer with the first entry’s MessageId and SequenceNumber', async () => {
    const url = await createFifo('batch-dup');
    const out = await h.service.sendMessageBatch(ctx, {
      QueueUrl: url,
      Entries: [
        { Id: 'e1', MessageBody: 'a:1', MessageGroupId: 'a', MessageDeduplicationId: 'x' },
        { Id: 'e2', MessageBody: 'a:2', MessageGroupId: 'a', MessageDeduplicationId: 'y' },
        { Id: 'e3', MessageBody: 'a:3', MessageGroupId: 'a', MessageDeduplicationId: 'x' },
      ],
    });
    assert.deepEqual(out.Failed, []);
    const [e1, e2, e3] = out.Successful;
    assert.deepEqual(
      out.Successful.map((s) => s.Id),
      ['e1', 'e2', 'e3'],
    );
    assert.equal(e3?.MessageId, e1?.MessageId);
    assert.equal(e3?.SequenceNumber, e1?.SequenceNumber);
    assert.notEqual(e2?.MessageId, e1?.MessageId);
    assert.equal(e3?.MD5OfMessageBody, md5('a:3'));
    assert.equal(await total(url), 2);
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10 })), ['a:1', 'a:2']);
    // A later batch repeating an id from the earlier one is also deduplicated.
    const later = await h.service.sendMessageBatch(ctx, {
      QueueUrl: url,
      Entries: [{ Id: 'again', MessageBody: 'a:4', MessageGroupId: 'a', MessageDeduplicationId: 'y' }],
    });
    assert.equal(later.Successful[0]?.MessageId, e2?.MessageId);
    assert.equal(await total(url), 2);
  });
});

describe('FIFO queues: delete and visibility', () => {
  test('DeleteMessage with a handle whose visibility has ended is InvalidParameterValue: the receipt handle has expired', async () => {
    const url = await createFifo('expired-handle', { VisibilityTimeout: '10' });
    await send(url, 'a:1', 'a');
    const [first] = await receive(url);
    assert.ok(first);
    h.clock.advance(10 * SECOND);
    await rejectsAws(
      h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: first.ReceiptHandle }),
      'InvalidParameterValue',
      `Value ${first.ReceiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
    );
    assert.deepEqual(await counts(url), { visible: 1, inFlight: 0, delayed: 0 }, 'the message is still there');

    // After a re-receive the old handle stays expired; the new one deletes.
    const [second] = await receive(url);
    assert.equal(second?.MessageId, first.MessageId);
    assert.ok(second);
    await rejectsAws(
      h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: first.ReceiptHandle }),
      'InvalidParameterValue',
      /The receipt handle has expired\./,
    );
    assert.deepEqual(await counts(url), { visible: 0, inFlight: 1, delayed: 0 });
    await h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: second.ReceiptHandle });
    assert.equal(await total(url), 0);
  });

  test('a handle from a receive with VisibilityTimeout 0 is expired at once; DeleteMessageBatch reports it per entry', async () => {
    const url = await createFifo('zero-vis');
    await send(url, 'a:1', 'a');
    await send(url, 'b:1', 'b');
    const [a] = await receive(url, { VisibilityTimeout: 0 });
    const [b] = (await receive(url, { MaxNumberOfMessages: 10 })).filter((m) => m.Body === 'b:1');
    assert.ok(a && b);
    const out = await h.service.deleteMessageBatch(ctx, {
      QueueUrl: url,
      Entries: [
        { Id: 'a', ReceiptHandle: a.ReceiptHandle },
        { Id: 'b', ReceiptHandle: b.ReceiptHandle },
      ],
    });
    assert.deepEqual(
      out.Successful.map((s) => s.Id),
      ['b'],
    );
    assert.equal(out.Failed.length, 1);
    assert.equal(out.Failed[0]?.Id, 'a');
    assert.equal(out.Failed[0]?.Code, 'InvalidParameterValue');
    assert.equal(out.Failed[0]?.SenderFault, true);
    assert.match(out.Failed[0]?.Message ?? '', /The receipt handle has expired\./);
  });

  test('ChangeMessageVisibility 0 on the head releases its group at once', async () => {
    const url = await createFifo('release');
    await send(url, 'a:1', 'a');
    await send(url, 'a:2', 'a');
    const [head] = await receive(url);
    assert.ok(head);
    assert.deepEqual(await receive(url), []);
    await h.service.changeMessageVisibility(ctx, {
      QueueUrl: url,
      ReceiptHandle: head.ReceiptHandle,
      VisibilityTimeout: 0,
    });
    assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10 })), ['a:1', 'a:2']);
  });

  test('at the in-flight limit a FIFO receive answers no messages, not an error', async () => {
    const small = harness({ maxInflightPerQueue: 2 });
    try {
      const url = await createFifo('limited', {}, small);
      for (const g of ['a', 'b', 'c']) await send(url, `${g}:1`, g, {}, small);
      const firstTwo = await receive(url, { MaxNumberOfMessages: 2 }, small);
      assert.equal(firstTwo.length, 2);
      assert.deepEqual(await receive(url, { MaxNumberOfMessages: 10 }, small), [], 'no OverLimit error');
      assert.deepEqual(await counts(url, small), { visible: 1, inFlight: 2, delayed: 0 });
      await deleteAll(url, firstTwo.slice(0, 1), small);
      assert.deepEqual(bodies(await receive(url, { MaxNumberOfMessages: 10 }, small)), ['c:1']);
    } finally {
      await dispose(small);
    }
  });
});

describe('FIFO queues: dead-letter queues', () => {
  async function fifoPair(base: string, source: Record<string, string> = {}, dlq: Record<string, string> = {}) {
    const dlqUrl = await createFifo(`${base}-dlq`, dlq);
    const srcUrl = await createFifo(base, {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(`${base}-dlq.fifo`), maxReceiveCount: 1 }),
      VisibilityTimeout: '10',
      ...source,
    });
    return { srcUrl, dlqUrl };
  }

  test('with maxReceiveCount 1, messages move in group order keeping group, id and body; the DLQ delivers them in order', async () => {
    const { srcUrl, dlqUrl } = await fifoPair('redrive');
    const sent = new Map<string, string>();
    for (const [body, group] of [
      ['a:1', 'a'],
      ['b:1', 'b'],
      ['a:2', 'a'],
      ['a:3', 'a'],
      ['b:2', 'b'],
    ] as const) {
      sent.set(body, (await send(srcUrl, body, group)).MessageId);
    }
    // A receive takes as many of one group as it can: a:1 and a:2. Let them time out.
    assert.deepEqual(bodies(await receive(srcUrl, { MaxNumberOfMessages: 2 })), ['a:1', 'a:2']);
    h.clock.advance(10 * SECOND);
    const firstRound = bodies(await receive(srcUrl, { MaxNumberOfMessages: 10 }));
    // a:1 and a:2 were received once already: they move; the rest are delivered for the first time.
    assert.deepEqual(firstRound.sort(), ['a:3', 'b:1', 'b:2']);
    h.clock.advance(10 * SECOND);
    assert.deepEqual(await receive(srcUrl, { MaxNumberOfMessages: 10 }), [], 'the second receive moves the rest');
    assert.equal(await total(srcUrl), 0);
    assert.equal(await total(dlqUrl), 5);

    const all = ['MessageGroupId', 'SequenceNumber', 'DeadLetterQueueSourceArn'] as const;
    const [head] = await receive(dlqUrl, { MessageSystemAttributeNames: [...all] });
    assert.equal(head?.Body, 'a:1');
    assert.equal(head?.MessageId, sent.get('a:1'));
    assert.equal(head?.Attributes?.MessageGroupId, 'a');
    assert.equal(head?.Attributes?.DeadLetterQueueSourceArn, arnOf('redrive.fifo'));
    const rest = await receive(dlqUrl, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: [...all] });
    assert.deepEqual(bodies(rest), ['b:1', 'b:2'], 'group a is locked in the DLQ too');
    for (const m of rest) {
      assert.equal(m.MessageId, sent.get(m.Body ?? ''));
      assert.equal(m.Attributes?.MessageGroupId, 'b');
    }
    assert.ok(head);
    await h.service.deleteMessage(ctx, { QueueUrl: dlqUrl, ReceiptHandle: head.ReceiptHandle });
    const tail = await receive(dlqUrl, { MaxNumberOfMessages: 10, MessageSystemAttributeNames: [...all] });
    assert.deepEqual(bodies(tail), ['a:2', 'a:3']);
    assert.deepEqual(
      tail.map((m) => [m.MessageId, m.Attributes?.MessageGroupId]),
      [
        [sent.get('a:2'), 'a'],
        [sent.get('a:3'), 'a'],
      ],
    );
  });

  test('a message moved to a FIFO DLQ gets its MessageId as MessageDeduplicationId', async () => {
    // AWS SQS Developer Guide, "Learn how to configure a dead-letter queue redrive": "When a message is moved from a
    // FIFO queue to a FIFO DLQ, the original message's deduplication ID will be replaced with the original message's
    // ID. This is to make sure that the DLQ deduplication will not prevent storing of two independent messages that
    // happen to share a deduplication ID."
    const { srcUrl, dlqUrl } = await fifoPair('redrive-dedup');
    const sent = await send(srcUrl, 'a:1', 'a', { MessageDeduplicationId: 'orig-dedup' });
    await receive(srcUrl);
    h.clock.advance(10 * SECOND);
    assert.deepEqual(await receive(srcUrl), []);
    const [moved] = await receive(dlqUrl, {
      MessageSystemAttributeNames: ['MessageDeduplicationId', 'MessageGroupId'],
    });
    assert.equal(moved?.MessageId, sent.MessageId);
    assert.equal(moved?.Attributes?.MessageGroupId, 'a');
    assert.equal(moved?.Attributes?.MessageDeduplicationId, sent.MessageId);
  });

  test('a FIFO source needs a FIFO DLQ and a standard source a standard DLQ', async () => {
    await createQueue('std-dlq');
    await createFifo('fifo-dlq');
    const policy = (name: string) => JSON.stringify({ deadLetterTargetArn: arnOf(name), maxReceiveCount: 3 });
    await rejectsAws(
      createFifo('fifo-src', { RedrivePolicy: policy('std-dlq') }),
      'InvalidParameterValue',
      /RedrivePolicy/,
    );
    await rejectsAws(
      createQueue('std-src', { RedrivePolicy: policy('fifo-dlq.fifo') }),
      'InvalidParameterValue',
      /RedrivePolicy/,
    );

    const fifoSrc = await createFifo('fifo-src2');
    const stdSrc = await createQueue('std-src2');
    await rejectsAws(
      h.service.setQueueAttributes(ctx, { QueueUrl: fifoSrc, Attributes: { RedrivePolicy: policy('std-dlq') } }),
      'InvalidParameterValue',
    );
    await rejectsAws(
      h.service.setQueueAttributes(ctx, { QueueUrl: stdSrc, Attributes: { RedrivePolicy: policy('fifo-dlq.fifo') } }),
      'InvalidParameterValue',
    );
    // The matching types are accepted.
    await h.service.setQueueAttributes(ctx, {
      QueueUrl: fifoSrc,
      Attributes: { RedrivePolicy: policy('fifo-dlq.fifo') },
    });
    await h.service.setQueueAttributes(ctx, { QueueUrl: stdSrc, Attributes: { RedrivePolicy: policy('std-dlq') } });
  });

  test('retention restarts when a FIFO message moves to its DLQ', async () => {
    // AWS SQS Developer Guide, "Setting-up dead-letter queue retention": "For FIFO queues, the enqueue timestamp
    // resets when the message is moved to a dead-letter queue."
    const { srcUrl, dlqUrl } = await fifoPair(
      'fifo-retention',
      { MessageRetentionPeriod: '60', VisibilityTimeout: '40' },
      { MessageRetentionPeriod: '60' },
    );
    await send(srcUrl, 'a:1', 'a');
    assert.equal((await receive(srcUrl)).length, 1);
    h.clock.advance(40 * SECOND);
    assert.deepEqual(await receive(srcUrl), [], 'moved at 40 s');
    h.clock.advance(30 * SECOND); // 70 s after the send, 30 s after the move
    assert.equal(await h.service.sweepExpired(), 0);
    assert.equal(await total(dlqUrl), 1, 'the sweep keeps it');
    const [moved] = await receive(dlqUrl, { VisibilityTimeout: 0 });
    assert.equal(moved?.Body, 'a:1', 'still receivable 70 s after its send');
    h.clock.advance(30 * SECOND); // 60 s after the move
    assert.equal(await h.service.sweepExpired(), 1);
    assert.equal(await total(dlqUrl), 0);
  });

  test('a standard message moved to its DLQ keeps its original send time for retention', async () => {
    // Same page: "For standard queues, the expiration of a message is always based on its original enqueue timestamp."
    const dlqUrl = await createQueue('std-retention-dlq', { MessageRetentionPeriod: '60' });
    const srcUrl = await createQueue('std-retention', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf('std-retention-dlq'), maxReceiveCount: 1 }),
      MessageRetentionPeriod: '60',
      VisibilityTimeout: '40',
    });
    await h.service.sendMessage(ctx, { QueueUrl: srcUrl, MessageBody: 'std', MessageGroupId: 'tenant' });
    assert.equal((await receive(srcUrl)).length, 1);
    h.clock.advance(40 * SECOND);
    assert.deepEqual(await receive(srcUrl), []);
    assert.equal(await total(dlqUrl), 1, 'moved at 40 s');
    h.clock.advance(20 * SECOND); // 60 s after the send
    assert.deepEqual(await receive(dlqUrl), [], 'expired by its original send time');
    assert.equal(await total(dlqUrl), 0);
  });
});
