import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { rejectsAws } from '../helpers/aws-error.js';
import { ctx, dispose, type Harness, harness, harnessHelpers } from '../helpers/service.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(() => dispose(h));

const { createQueue, receive, counts: approximateCounts } = harnessHelpers(() => h);

describe('visibility timeout', () => {
  test('a received message is hidden until the timeout passes on the clock', async () => {
    const url = await createQueue('vis', { VisibilityTimeout: '30' });
    const { MessageId } = await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'hello' });

    const [first] = await receive(url, { AttributeNames: ['All'] });
    assert.equal(first?.MessageId, MessageId);
    assert.equal(first?.Attributes?.ApproximateReceiveCount, '1');
    assert.deepEqual(await approximateCounts(url), { visible: 0, inFlight: 1, delayed: 0 });

    h.clock.advance(30 * SECOND - 1);
    assert.deepEqual(await receive(url), []);

    h.clock.advance(1);
    const [second] = await receive(url, { AttributeNames: ['All'] });
    assert.equal(second?.MessageId, MessageId);
    assert.equal(second?.Attributes?.ApproximateReceiveCount, '2');
    assert.equal(
      second?.Attributes?.ApproximateFirstReceiveTimestamp,
      first?.Attributes?.ApproximateFirstReceiveTimestamp,
    );
    assert.notEqual(second?.ReceiptHandle, first?.ReceiptHandle);
  });

  test('the request VisibilityTimeout overrides the queue', async () => {
    const url = await createQueue('vis-override', { VisibilityTimeout: '300' });
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x' });
    assert.equal((await receive(url, { VisibilityTimeout: 5 })).length, 1);
    h.clock.advance(5 * SECOND);
    assert.equal((await receive(url)).length, 1);
  });

  test('ChangeMessageVisibility to 0 makes the message visible at once', async () => {
    const url = await createQueue('vis-zero');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x' });
    const [m] = await receive(url);
    assert.ok(m);
    await h.service.changeMessageVisibility(ctx, {
      QueueUrl: url,
      ReceiptHandle: m.ReceiptHandle,
      VisibilityTimeout: 0,
    });
    assert.equal((await receive(url)).length, 1);
  });
});

describe('delays', () => {
  test('a per-message DelaySeconds hides the message until it passes', async () => {
    const url = await createQueue('delay-msg');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'later', DelaySeconds: 10 });
    assert.deepEqual(await approximateCounts(url), { visible: 0, inFlight: 0, delayed: 1 });
    assert.deepEqual(await receive(url), []);
    h.clock.advance(10 * SECOND - 1);
    assert.deepEqual(await receive(url), []);
    h.clock.advance(1);
    assert.deepEqual(
      (await receive(url)).map((m) => m.Body),
      ['later'],
    );
  });

  test('the queue DelaySeconds applies by default and a message DelaySeconds overrides it', async () => {
    const url = await createQueue('delay-queue', { DelaySeconds: '5' });
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'queue-delay' });
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'no-delay', DelaySeconds: 0 });
    assert.deepEqual(
      (await receive(url, { MaxNumberOfMessages: 10 })).map((m) => m.Body),
      ['no-delay'],
    );
    h.clock.advance(5 * SECOND);
    assert.deepEqual(
      (await receive(url, { MaxNumberOfMessages: 10 })).map((m) => m.Body),
      ['queue-delay'],
    );
  });
});

describe('retention', () => {
  test('a message older than MessageRetentionPeriod is not received', async () => {
    const url = await createQueue('retention', { MessageRetentionPeriod: '60' });
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'old' });
    h.clock.advance(59 * SECOND);
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'young' });
    h.clock.advance(1 * SECOND);
    assert.deepEqual(
      (await receive(url, { MaxNumberOfMessages: 10 })).map((m) => m.Body),
      ['young'],
    );
    assert.deepEqual(await approximateCounts(url), { visible: 0, inFlight: 1, delayed: 0 });
  });

  test('sweepExpired deletes messages past retention, and only those', async () => {
    const short = await createQueue('sweep-short', { MessageRetentionPeriod: '60' });
    const long = await createQueue('sweep-long', { MessageRetentionPeriod: '120' });
    await h.service.sendMessage(ctx, { QueueUrl: short, MessageBody: 'a' });
    await h.service.sendMessage(ctx, { QueueUrl: long, MessageBody: 'b' });
    h.clock.advance(60 * SECOND - 1);
    assert.equal(await h.service.sweepExpired(), 0);
    h.clock.advance(1);
    assert.equal(await h.service.sweepExpired(), 1);
    assert.deepEqual(await approximateCounts(short), { visible: 0, inFlight: 0, delayed: 0 });
    assert.deepEqual(await approximateCounts(long), { visible: 1, inFlight: 0, delayed: 0 });
    h.clock.advance(60 * SECOND);
    assert.equal(await h.service.sweepExpired(), 1);
    assert.deepEqual(await approximateCounts(long), { visible: 0, inFlight: 0, delayed: 0 });
  });
});

describe('dead-letter queues', () => {
  test('after maxReceiveCount receives the message moves to the DLQ with DeadLetterQueueSourceArn', async () => {
    const dlqUrl = await createQueue('dlq');
    const dlqArn = (await h.service.getQueueAttributes(ctx, { QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))
      .Attributes?.QueueArn;
    assert.equal(dlqArn, 'arn:aws:sqs:us-east-1:000000000000:dlq');
    const srcUrl = await createQueue('src', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
      VisibilityTimeout: '10',
    });
    const sent = await h.service.sendMessage(ctx, {
      QueueUrl: srcUrl,
      MessageBody: 'poison',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'bad' } },
    });

    for (let i = 1; i <= 2; i++) {
      const [m] = await receive(srcUrl, { AttributeNames: ['ApproximateReceiveCount'] });
      assert.equal(m?.MessageId, sent.MessageId, `receive ${i}`);
      assert.equal(m?.Attributes?.ApproximateReceiveCount, String(i));
      h.clock.advance(10 * SECOND);
    }
    assert.deepEqual(await receive(srcUrl), [], 'the third receive moves it instead of delivering it');
    assert.deepEqual(await approximateCounts(srcUrl), { visible: 0, inFlight: 0, delayed: 0 });

    const [moved] = await receive(dlqUrl, {
      MessageSystemAttributeNames: ['DeadLetterQueueSourceArn', 'SentTimestamp'],
      MessageAttributeNames: ['All'],
    });
    assert.ok(moved);
    assert.equal(moved.MessageId, sent.MessageId);
    assert.equal(moved.Body, 'poison');
    assert.equal(moved.Attributes?.DeadLetterQueueSourceArn, 'arn:aws:sqs:us-east-1:000000000000:src');
    assert.equal(moved.Attributes?.SentTimestamp, String(Date.UTC(2026, 0, 1)), 'the original send time is kept');
    assert.deepEqual(moved.MessageAttributes, { kind: { DataType: 'String', StringValue: 'bad' } });
    assert.equal(moved.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  });

  test('a redrive policy naming a missing queue is rejected', async () => {
    await rejectsAws(
      createQueue('orphan', {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nowhere',
          maxReceiveCount: 2,
        }),
      }),
      'InvalidParameterValue',
      /Dead letter target does not exist/,
    );
  });
});

describe('ChangeMessageVisibility', () => {
  test('may extend up to 12 hours after the latest receive, not beyond', async () => {
    const url = await createQueue('ceiling');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x' });
    const [m] = await receive(url, { VisibilityTimeout: 43_200 });
    assert.ok(m);
    h.clock.advance(6 * HOUR);
    await h.service.changeMessageVisibility(ctx, {
      QueueUrl: url,
      ReceiptHandle: m.ReceiptHandle,
      VisibilityTimeout: 6 * 3600,
    });
    await rejectsAws(
      h.service.changeMessageVisibility(ctx, {
        QueueUrl: url,
        ReceiptHandle: m.ReceiptHandle,
        VisibilityTimeout: 6 * 3600 + 1,
      }),
      'InvalidParameterValue',
      /Total VisibilityTimeout for the message is beyond the limit \[43200 seconds\]/,
    );
    // The accepted change holds: visible exactly 12 hours after the receive.
    h.clock.advance(6 * HOUR - 1);
    assert.deepEqual(await receive(url), []);
    h.clock.advance(1);
    assert.equal((await receive(url)).length, 1);
  });

  test('on a message whose visibility has ended it is MessageNotInflight', async () => {
    const url = await createQueue('not-inflight');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x' });
    const [m] = await receive(url, { VisibilityTimeout: 10 });
    assert.ok(m);
    h.clock.advance(10 * SECOND);
    await rejectsAws(
      h.service.changeMessageVisibility(ctx, { QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 30 }),
      'MessageNotInflight',
    );
  });

  test('with an old receipt handle it is rejected as stale', async () => {
    const url = await createQueue('vis-stale');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x' });
    const [first] = await receive(url, { VisibilityTimeout: 0 });
    const [second] = await receive(url, { VisibilityTimeout: 30 });
    assert.ok(first && second);
    await rejectsAws(
      h.service.changeMessageVisibility(ctx, {
        QueueUrl: url,
        ReceiptHandle: first.ReceiptHandle,
        VisibilityTimeout: 60,
      }),
      'InvalidParameterValue',
      /Message does not exist or is not available for visibility timeout change/,
    );
  });
});

describe('PurgeQueue', () => {
  test('deletes the messages; a second purge within 60 s is PurgeQueueInProgress; allowed after', async () => {
    const url = await createQueue('purge');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'a' });
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'b', DelaySeconds: 100 });
    await h.service.purgeQueue(ctx, { QueueUrl: url });
    assert.deepEqual(await approximateCounts(url), { visible: 0, inFlight: 0, delayed: 0 });

    h.clock.advance(59 * SECOND);
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'c' });
    await rejectsAws(
      h.service.purgeQueue(ctx, { QueueUrl: url }),
      'PurgeQueueInProgress',
      /Only one PurgeQueue operation on purge is allowed every 60 seconds/,
    );
    assert.deepEqual(
      await approximateCounts(url),
      { visible: 1, inFlight: 0, delayed: 0 },
      'the refused purge did nothing',
    );

    h.clock.advance(1 * SECOND);
    await h.service.purgeQueue(ctx, { QueueUrl: url });
    assert.deepEqual(await approximateCounts(url), { visible: 0, inFlight: 0, delayed: 0 });
  });

  test('messages sent after the purge survive it', async () => {
    const url = await createQueue('purge-after');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'before' });
    await h.service.purgeQueue(ctx, { QueueUrl: url });
    h.clock.advance(1);
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'after' });
    assert.deepEqual(
      (await receive(url, { MaxNumberOfMessages: 10 })).map((m) => m.Body),
      ['after'],
    );
  });
});

describe('DeleteQueue cooldown', () => {
  test('re-creating a deleted name within 60 s is QueueDeletedRecently; allowed after', async () => {
    const url = await createQueue('phoenix');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x' });
    await h.service.deleteQueue(ctx, { QueueUrl: url });
    await rejectsAws(h.service.getQueueUrl(ctx, { QueueName: 'phoenix' }), 'QueueDoesNotExist');

    h.clock.advance(59 * SECOND);
    await rejectsAws(
      createQueue('phoenix'),
      'QueueDeletedRecently',
      /You must wait 60 seconds after deleting a queue before you can create another with the same name/,
    );
    h.clock.advance(1 * SECOND);
    const again = await createQueue('phoenix');
    assert.equal(again, url);
    assert.deepEqual(await approximateCounts(again), { visible: 0, inFlight: 0, delayed: 0 });
  });

  test('another name is not affected', async () => {
    const url = await createQueue('gone');
    await h.service.deleteQueue(ctx, { QueueUrl: url });
    assert.ok(await createQueue('fresh'));
  });
});

describe('receipt handles', () => {
  test('DeleteMessage with an old handle after a re-receive succeeds but leaves the message', async () => {
    const url = await createQueue('stale');
    await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: 'x' });
    const [first] = await receive(url, { VisibilityTimeout: 10 });
    assert.ok(first);
    h.clock.advance(10 * SECOND);
    const [second] = await receive(url, { VisibilityTimeout: 10 });
    assert.ok(second);

    await h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: first.ReceiptHandle });
    assert.deepEqual(await approximateCounts(url), { visible: 0, inFlight: 1, delayed: 0 });
    h.clock.advance(10 * SECOND);
    const [third] = await receive(url);
    assert.equal(third?.MessageId, first.MessageId, 'still there');

    assert.ok(third);
    await h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: third.ReceiptHandle });
    assert.deepEqual(await approximateCounts(url), { visible: 0, inFlight: 0, delayed: 0 });
    // Deleting again is idempotent.
    await h.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: third.ReceiptHandle });
  });

  test('a malformed handle is ReceiptHandleIsInvalid; a handle of another queue too', async () => {
    const a = await createQueue('handles-a');
    const b = await createQueue('handles-b');
    await rejectsAws(h.service.deleteMessage(ctx, { QueueUrl: a, ReceiptHandle: 'garbage' }), 'ReceiptHandleIsInvalid');
    await h.service.sendMessage(ctx, { QueueUrl: a, MessageBody: 'x' });
    const [m] = await receive(a);
    assert.ok(m);
    await rejectsAws(
      h.service.deleteMessage(ctx, { QueueUrl: b, ReceiptHandle: m.ReceiptHandle }),
      'ReceiptHandleIsInvalid',
    );
    assert.deepEqual(await approximateCounts(a), { visible: 0, inFlight: 1, delayed: 0 });
  });
});

describe('in-flight limit', () => {
  test('ReceiveMessage answers OverLimit once limits.maxInflightPerQueue messages are in flight', async () => {
    const small = harness({ maxInflightPerQueue: 2 });
    try {
      const url = await createQueue('limited', undefined, small);
      for (const body of ['a', 'b', 'c']) await small.service.sendMessage(ctx, { QueueUrl: url, MessageBody: body });
      assert.equal((await receive(url, { MaxNumberOfMessages: 2 }, small)).length, 2);
      await rejectsAws(receive(url, {}, small), 'OverLimit', /limit is 2/);

      // Once visibility ends nothing is in flight; then deleting one of two in flight frees a slot.
      small.clock.advance(30 * SECOND);
      const back = await receive(url, { MaxNumberOfMessages: 2 }, small);
      assert.equal(back.length, 2);
      const [first] = back;
      assert.ok(first);
      await small.service.deleteMessage(ctx, { QueueUrl: url, ReceiptHandle: first.ReceiptHandle });
      assert.equal((await receive(url, {}, small)).length, 1);
    } finally {
      small.service.stop();
      await small.store.close();
    }
  });
});

describe('receive', () => {
  test('a single receive never returns the same message twice (VisibilityTimeout 0, many expired)', async () => {
    const url = await createQueue('no-dupes', { MessageRetentionPeriod: '60' });
    for (let i = 0; i < 20; i++) await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: `old-${i}` });
    h.clock.advance(60 * SECOND);
    for (let i = 0; i < 8; i++) await h.service.sendMessage(ctx, { QueueUrl: url, MessageBody: `new-${i}` });
    const messages = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    const ids = messages.map((m) => m.MessageId);
    assert.equal(new Set(ids).size, ids.length, `duplicates: ${messages.map((m) => m.Body).join(',')}`);
    assert.equal(messages.length, 8);
  });

  test('returns MD5OfMessageAttributes of the selected attributes only', async () => {
    const url = await createQueue('md5-subset');
    const sent = await h.service.sendMessage(ctx, {
      QueueUrl: url,
      MessageBody: 'derp',
      MessageAttributes: {
        timestamp: { DataType: 'Number.java.lang.Long', StringValue: '1493147359900' },
        other: { DataType: 'String', StringValue: 'x' },
      },
    });
    assert.equal(sent.MD5OfMessageBody, '58fd9edd83341c29f1aebba81c31e257');
    const [m] = await receive(url, { MessageAttributeNames: ['timestamp'] });
    assert.equal(m?.MD5OfBody, '58fd9edd83341c29f1aebba81c31e257');
    assert.deepEqual(Object.keys(m?.MessageAttributes ?? {}), ['timestamp']);
    assert.equal(m?.MD5OfMessageAttributes, '2e2e4876d8e0bd6b8c2c8f556831c349');
  });
});
