// Message-level SQS behaviour through the real SDK: send (MD5s, attributes, delays, sizes), batches, receive
// (long polling, attribute filters, system attributes), visibility, delete and dead-letter redrive.
// Expected values are AWS's (see /work/shared/notes/sqs-protocol-and-peers.md §1.1, §1.3, §1.4).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  ListDeadLetterSourceQueuesCommand,
  type Message,
  type MessageAttributeValue,
  type QueueAttributeName,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { ACCOUNT } from '../helpers/account.js';
import { sqsClient, testServerForFile } from '../helpers/server.js';
import { rejectsWith, sqsHelpers, uniq } from '../helpers/sqs.js';

const MIB = 1_048_576;

const t = testServerForFile();

const { createQueue, queueAttributes, counts } = sqsHelpers(() => t.sqs);

async function send(QueueUrl: string, MessageBody: string, extra: Partial<SendMessageCommand['input']> = {}) {
  return t.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody, ...extra }));
}

async function receive(QueueUrl: string, extra: Partial<ReceiveMessageCommandInput> = {}): Promise<Message[]> {
  const out = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl, ...extra }));
  return out.Messages ?? [];
}

async function receiveOne(QueueUrl: string, extra: Partial<ReceiveMessageCommandInput> = {}): Promise<Message> {
  const messages = await receive(QueueUrl, extra);
  assert.equal(messages.length, 1, 'expected exactly one message');
  const [m] = messages;
  assert.ok(m);
  return m;
}

/**
 * The deprecated ReceiveMessage AttributeNames is typed as queue attribute names, but AWS documents the message
 * system attribute names (SentTimestamp, ApproximateReceiveCount, ...) for it.
 */
const legacy = (...names: string[]) => names as QueueAttributeName[];

const md5 = (data: string | Uint8Array) => createHash('md5').update(data).digest('hex');

/** AWS's MD5 of message attributes, written independently of the server's implementation. */
function md5OfAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const chunks: Buffer[] = [];
  const prefixed = (bytes: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    chunks.push(len, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    assert.ok(value?.DataType);
    prefixed(Buffer.from(name, 'utf8'));
    prefixed(Buffer.from(value.DataType, 'utf8'));
    if (value.BinaryValue !== undefined) {
      chunks.push(Buffer.from([2]));
      prefixed(Buffer.from(value.BinaryValue));
    } else {
      chunks.push(Buffer.from([1]));
      prefixed(Buffer.from(value.StringValue ?? '', 'utf8'));
    }
  }
  return md5(Buffer.concat(chunks));
}

/** The AWS test vectors from the notes (§1.3), all with body "derp". */
const VECTORS: { attributes: Record<string, MessageAttributeValue>; md5: string }[] = [
  {
    attributes: { 'SOME_Valid.attribute-Name': { DataType: 'Number', StringValue: '1493147359900' } },
    md5: '36655e7e9d7c0e8479fa3f3f42247ae7',
  },
  {
    attributes: {
      id: { DataType: 'String', StringValue: '2018fc74-4f77-1a5a-1be0-c2d037d5052b' },
      contentType: { DataType: 'String', StringValue: 'application/json' },
      timestamp: { DataType: 'Number.java.lang.Long', StringValue: '1602845432024' },
    },
    md5: 'b12289320bb6e494b18b645ef562b4a9',
  },
  {
    attributes: {
      id: { DataType: 'String', StringValue: '453ae55e-f03b-21a6-a4b1-70c2e2e8fe71' },
      mybin: { DataType: 'Binary', BinaryValue: new Uint8Array(Buffer.from('kekchebukek')) },
      timestamp: { DataType: 'Number.java.lang.Long', StringValue: '1603134247654' },
      contentType: { DataType: 'String', StringValue: 'application/json' },
    },
    md5: '049075255ebc53fb95f7f9f3cedf3c50',
  },
  {
    attributes: { timestamp: { DataType: 'Number.java.lang.Long', StringValue: '1493147359900' } },
    md5: '2e2e4876d8e0bd6b8c2c8f556831c349',
  },
];

describe('SendMessage', () => {
  test('MD5OfMessageBody and MD5OfMessageAttributes match the AWS test vectors', async () => {
    const url = await createQueue(uniq('md5'));
    for (const vector of VECTORS) {
      // Sanity check of the test's own algorithm against AWS's numbers.
      assert.equal(md5OfAttributes(vector.attributes), vector.md5);
      const out = await send(url, 'derp', { MessageAttributes: vector.attributes });
      assert.equal(out.MD5OfMessageBody, '58fd9edd83341c29f1aebba81c31e257');
      assert.equal(out.MD5OfMessageAttributes, vector.md5);
      assert.match(out.MessageId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  test('without attributes there is no MD5OfMessageAttributes; multi-byte bodies hash their UTF-8 bytes', async () => {
    const url = await createQueue(uniq('md5-plain'));
    const out = await send(url, 'plain');
    assert.equal(out.MD5OfMessageAttributes, undefined);
    assert.equal(out.MD5OfMessageSystemAttributes, undefined);
    const body = 'h\u00e9llo \u{1F600} \t\r\n end';
    const multi = await send(url, body);
    assert.equal(multi.MD5OfMessageBody, md5(Buffer.from(body, 'utf8')));
    const got = await receive(url, { MaxNumberOfMessages: 10 });
    const echoed = got.find((m) => m.MessageId === multi.MessageId);
    assert.equal(echoed?.Body, body, 'tab, CR, LF, accents and astral characters survive the round trip');
    assert.equal(echoed?.MD5OfBody, md5(Buffer.from(body, 'utf8')));
  });

  test('attributes round-trip: binary as Uint8Array, custom type suffixes kept, receive MD5 matches', async () => {
    const url = await createQueue(uniq('attrs'));
    const bytes = new Uint8Array([0, 1, 2, 254, 255, 10, 13]);
    const MessageAttributes: Record<string, MessageAttributeValue> = {
      text: { DataType: 'String', StringValue: 'h\u00e9llo' },
      count: { DataType: 'Number', StringValue: '-12.5e3' },
      long: { DataType: 'Number.java.lang.Long', StringValue: '1603134247654' },
      blob: { DataType: 'Binary', BinaryValue: bytes },
      custom: { DataType: 'Binary.gzip', BinaryValue: new Uint8Array([31, 139]) },
      label: { DataType: 'String.utf8', StringValue: 'x' },
    };
    const sent = await send(url, 'with attributes', { MessageAttributes });
    assert.equal(sent.MD5OfMessageAttributes, md5OfAttributes(MessageAttributes));

    const m = await receiveOne(url, { MessageAttributeNames: ['All'] });
    assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    const got = m.MessageAttributes ?? {};
    assert.deepEqual(Object.keys(got).sort(), Object.keys(MessageAttributes).sort());
    assert.ok(got.blob?.BinaryValue instanceof Uint8Array, 'binary values come back as Uint8Array');
    assert.deepEqual([...(got.blob?.BinaryValue ?? [])], [...bytes]);
    assert.equal(got.blob?.DataType, 'Binary');
    assert.equal(got.blob?.StringValue, undefined);
    assert.equal(got.custom?.DataType, 'Binary.gzip');
    assert.deepEqual([...(got.custom?.BinaryValue ?? [])], [31, 139]);
    assert.equal(got.long?.DataType, 'Number.java.lang.Long');
    assert.equal(got.long?.StringValue, '1603134247654');
    assert.equal(got.count?.StringValue, '-12.5e3', 'numbers are kept as sent');
    assert.equal(got.text?.StringValue, 'h\u00e9llo');
    assert.equal(got.label?.DataType, 'String.utf8');
  });

  test('AWSTraceHeader: MD5OfMessageSystemAttributes on send, returned as a system attribute on receive', async () => {
    const url = await createQueue(uniq('trace'));
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const MessageSystemAttributes = { AWSTraceHeader: { DataType: 'String', StringValue: trace } };
    const out = await send(url, 'traced', { MessageSystemAttributes });
    assert.equal(out.MD5OfMessageSystemAttributes, md5OfAttributes(MessageSystemAttributes));
    assert.equal(out.MD5OfMessageAttributes, undefined, 'system attributes are not user attributes');

    const m = await receiveOne(url, {
      MessageSystemAttributeNames: ['AWSTraceHeader'],
      MessageAttributeNames: ['All'],
    });
    assert.deepEqual(m.Attributes, { AWSTraceHeader: trace });
    assert.equal(m.MessageAttributes, undefined);
  });

  test('only AWSTraceHeader may be sent as a system attribute', async () => {
    const url = await createQueue(uniq('trace-bad'));
    await rejectsWith(
      send(url, 'x', { MessageSystemAttributes: { SenderId: { DataType: 'String', StringValue: 'me' } } as never }),
      'InvalidParameterValue',
    );
  });

  test('invalid message attributes answer InvalidParameterValue', async () => {
    const url = await createQueue(uniq('bad-attrs'));
    const eleven = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
    );
    const bad: Record<string, MessageAttributeValue>[] = [
      eleven,
      { empty: { DataType: 'String', StringValue: '' } },
      { num: { DataType: 'Number', StringValue: 'abc' } },
      { 'AWS.reserved': { DataType: 'String', StringValue: 'v' } },
      { 'bad name': { DataType: 'String', StringValue: 'v' } },
      { 'two..dots': { DataType: 'String', StringValue: 'v' } },
      { typed: { DataType: 'Text', StringValue: 'v' } },
      { nobin: { DataType: 'Binary' } },
    ];
    for (const MessageAttributes of bad) {
      await rejectsWith(send(url, 'x', { MessageAttributes }), 'InvalidParameterValue', (e) =>
        assert.equal(e.$metadata?.httpStatusCode, 400, JSON.stringify(Object.keys(MessageAttributes))),
      );
    }
    await rejectsWith(
      send(url, 'x', { MessageAttributes: { ErrorDetails: { DataType: 'String', StringValue: '' } } }),
      'InvalidParameterValue',
      (e) =>
        assert.equal(
          e.message,
          "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.",
        ),
    );
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 0 });
    // Ten is the limit, not one fewer.
    const ten = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]),
    );
    assert.ok((await send(url, 'ten', { MessageAttributes: ten })).MD5OfMessageAttributes);
  });

  test('a per-message DelaySeconds hides the message until it passes and counts it as delayed', async () => {
    const url = await createQueue(uniq('delay-msg'));
    await send(url, 'later', { DelaySeconds: 1 });
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 1 });
    assert.equal((await receive(url)).length, 0);
    await sleep(1200);
    assert.deepEqual(await counts(url), { visible: 1, notVisible: 0, delayed: 0 });
    assert.equal((await receiveOne(url)).Body, 'later');
  });

  test('the queue DelaySeconds applies by default and a per-message value overrides it', async () => {
    const url = await createQueue(uniq('delay-queue'), { DelaySeconds: '1' });
    await send(url, 'queue-delayed');
    await send(url, 'not-delayed', { DelaySeconds: 0 });
    assert.deepEqual(await counts(url), { visible: 1, notVisible: 0, delayed: 1 });
    assert.equal((await receiveOne(url, { MaxNumberOfMessages: 10 })).Body, 'not-delayed');
    await sleep(1200);
    assert.equal((await receiveOne(url, { MaxNumberOfMessages: 10 })).Body, 'queue-delayed');
  });

  test('DelaySeconds above 900 answers InvalidParameterValue', async () => {
    const url = await createQueue(uniq('delay-bad'));
    await rejectsWith(send(url, 'x', { DelaySeconds: 901 }), 'InvalidParameterValue');
    await rejectsWith(send(url, 'x', { DelaySeconds: -1 }), 'InvalidParameterValue');
  });

  test('a body of exactly 1 MiB is accepted and one byte more is rejected', async () => {
    const url = await createQueue(uniq('size'));
    const exact = 'a'.repeat(MIB);
    const ok = await send(url, exact);
    assert.equal(ok.MD5OfMessageBody, md5(exact));
    await rejectsWith(send(url, `${exact}a`), 'InvalidParameterValue', (e) => {
      assert.equal(e.$metadata?.httpStatusCode, 400);
      assert.equal(
        e.message,
        'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.',
      );
    });
    // The limit is in UTF-8 bytes, not characters: 524,289 two-byte characters are 1,048,578 bytes.
    await rejectsWith(send(url, '\u00e9'.repeat(MIB / 2 + 1)), 'InvalidParameterValue');
    const m = await receiveOne(url, { MaxNumberOfMessages: 10 });
    assert.equal(m.Body?.length, MIB);
  });

  test('a queue with MaximumMessageSize 1024 rejects 1025 bytes, attributes included', async () => {
    const url = await createQueue(uniq('small'), { MaximumMessageSize: '1024' });
    await send(url, 'b'.repeat(1024));
    await rejectsWith(send(url, 'b'.repeat(1025)), 'InvalidParameterValue', (e) =>
      assert.match(e.message, /Message must be shorter than 1024 bytes/),
    );
    // Attribute names, types and values count toward the size.
    await rejectsWith(
      send(url, 'b'.repeat(1000), {
        MessageAttributes: { attribute: { DataType: 'String', StringValue: 'v'.repeat(20) } },
      }),
      'InvalidParameterValue',
    );
    assert.deepEqual(await counts(url), { visible: 1, notVisible: 0, delayed: 0 });
  });

  test('characters outside the allowed XML range answer InvalidMessageContents', async () => {
    const url = await createQueue(uniq('chars'));
    for (const body of ['nul\u0000here', 'bell\u0007', '\uFFFE', '\uFFFF', 'lone \uD800 surrogate']) {
      await rejectsWith(send(url, body), 'InvalidMessageContents', (e) =>
        assert.equal(e.$metadata?.httpStatusCode, 400, JSON.stringify(body)),
      );
    }
    await rejectsWith(
      send(url, 'ok', { MessageAttributes: { a: { DataType: 'String', StringValue: 'bad\u0001' } } }),
      'InvalidMessageContents',
    );
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 0 });
  });

  test('an empty body answers MissingParameter', async () => {
    const url = await createQueue(uniq('empty-body'));
    await rejectsWith(send(url, ''), 'MissingParameter', (e) =>
      assert.equal(e.message, 'The request must contain the parameter MessageBody.'),
    );
  });
});

describe('SendMessageBatch', () => {
  test('sends every entry and reports per-entry MD5s', async () => {
    const url = await createQueue(uniq('batch'));
    const Entries: SendMessageBatchRequestEntry[] = [
      { Id: 'first', MessageBody: 'one' },
      { Id: 'second-2', MessageBody: 'derp', MessageAttributes: VECTORS[0]?.attributes },
      { Id: 'third_3', MessageBody: 'three', DelaySeconds: 60 },
    ];
    const out = await t.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
    assert.deepEqual(out.Failed ?? [], []);
    const byId = new Map((out.Successful ?? []).map((s) => [s.Id, s]));
    assert.deepEqual([...byId.keys()].sort(), ['first', 'second-2', 'third_3']);
    assert.equal(byId.get('first')?.MD5OfMessageBody, md5('one'));
    assert.equal(byId.get('first')?.MD5OfMessageAttributes, undefined);
    assert.equal(byId.get('second-2')?.MD5OfMessageBody, '58fd9edd83341c29f1aebba81c31e257');
    assert.equal(byId.get('second-2')?.MD5OfMessageAttributes, '36655e7e9d7c0e8479fa3f3f42247ae7');
    const ids = new Set([...byId.values()].map((s) => s.MessageId));
    assert.equal(ids.size, 3, 'every entry gets its own MessageId');
    assert.deepEqual(await counts(url), { visible: 2, notVisible: 0, delayed: 1 });
  });

  test('invalid entries fail alone, with SenderFault, while the others are sent', async () => {
    const url = await createQueue(uniq('batch-mixed'), { MaximumMessageSize: '1024' });
    const out = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'good', MessageBody: 'fine' },
          { Id: 'badchars', MessageBody: 'nul\u0000' },
          { Id: 'baddelay', MessageBody: 'x', DelaySeconds: 901 },
          { Id: 'toolong', MessageBody: 'z'.repeat(1025) },
          { Id: 'good2', MessageBody: 'also fine' },
        ],
      }),
    );
    assert.deepEqual((out.Successful ?? []).map((s) => s.Id).sort(), ['good', 'good2']);
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    assert.deepEqual([...failed.keys()].sort(), ['badchars', 'baddelay', 'toolong']);
    for (const f of failed.values()) {
      assert.equal(f.SenderFault, true, `${f.Id} is the sender's fault`);
      assert.ok(f.Message, `${f.Id} has a message`);
    }
    assert.equal(failed.get('badchars')?.Code, 'InvalidMessageContents');
    assert.equal(failed.get('baddelay')?.Code, 'InvalidParameterValue');
    assert.equal(failed.get('toolong')?.Code, 'InvalidParameterValue');
    // AWS's wording for an oversized batch entry (AWS-validated snapshot quoted in the notes §1.1).
    assert.equal(
      failed.get('toolong')?.Message,
      'One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes.',
    );
    const bodies = (await receive(url, { MaxNumberOfMessages: 10 })).map((m) => m.Body).sort();
    assert.deepEqual(bodies, ['also fine', 'fine']);
  });

  test('an empty batch answers EmptyBatchRequest', async () => {
    const url = await createQueue(uniq('batch-empty'));
    await rejectsWith(
      t.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })),
      'EmptyBatchRequest',
      (e) => assert.equal(e.Code, 'AWS.SimpleQueueService.EmptyBatchRequest'),
    );
  });

  test('eleven entries answer TooManyEntriesInBatchRequest and nothing is sent', async () => {
    const url = await createQueue(uniq('batch-11'));
    const Entries = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: `m${i}` }));
    await rejectsWith(
      t.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries })),
      'TooManyEntriesInBatchRequest',
      (e) => {
        assert.equal(e.Code, 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest');
        assert.equal(e.message, 'Maximum number of entries per request are 10. You have sent 11.');
      },
    );
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 0 });
    // Ten is fine.
    const ten = await t.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Entries.slice(0, 10) }));
    assert.equal(ten.Successful?.length, 10);
  });

  test('repeated ids answer BatchEntryIdsNotDistinct; malformed ids answer InvalidBatchEntryId', async () => {
    const url = await createQueue(uniq('batch-ids'));
    await rejectsWith(
      t.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'same', MessageBody: 'a' },
            { Id: 'same', MessageBody: 'b' },
          ],
        }),
      ),
      'BatchEntryIdsNotDistinct',
    );
    for (const Id of ['has space', 'bang!', 'x'.repeat(81), 'dot.id']) {
      await rejectsWith(
        t.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id, MessageBody: 'a' }] })),
        'InvalidBatchEntryId',
        (e) =>
          assert.equal(
            e.message,
            'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
          ),
      );
    }
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 0 });
  });

  test('a batch totalling more than 1 MiB answers BatchRequestTooLong; exactly 1 MiB is fine', async () => {
    const url = await createQueue(uniq('batch-size'));
    const half = 'h'.repeat(MIB / 2);
    await rejectsWith(
      t.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'a', MessageBody: half },
            { Id: 'b', MessageBody: `${half}xx` },
          ],
        }),
      ),
      'BatchRequestTooLong',
      (e) => {
        assert.equal(e.Code, 'AWS.SimpleQueueService.BatchRequestTooLong');
        assert.equal(e.message, 'Batch requests cannot be longer than 1048576 bytes. You have sent 1048578 bytes.');
      },
    );
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 0 });
    const ok = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', MessageBody: half },
          { Id: 'b', MessageBody: half },
        ],
      }),
    );
    assert.equal(ok.Successful?.length, 2);
  });
});

describe('ReceiveMessage', () => {
  test('MaxNumberOfMessages: default 1, at most 10, every message eventually received once', async () => {
    const url = await createQueue(uniq('max'));
    const sent = new Set<string>();
    for (let i = 0; i < 12; i++) sent.add((await send(url, `m${i}`)).MessageId ?? '');
    assert.equal((await receive(url, { VisibilityTimeout: 60 })).length, 1);
    const ten = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 60 });
    assert.ok(ten.length >= 1 && ten.length <= 10, `got ${ten.length}`);
    const seen = new Set<string>();
    let batch = ten;
    for (let round = 0; batch.length > 0 && round < 20; round++) {
      for (const m of batch) seen.add(m.MessageId ?? '');
      batch = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 60 });
    }
    assert.equal(seen.size + 1, 12, 'all messages but the first one received');
    assert.ok([...seen].every((id) => sent.has(id)));
  });

  test('one receive never returns the same message twice, even with VisibilityTimeout 0', async () => {
    const url = await createQueue(uniq('zero-vis-once'));
    const one = await send(url, 'only');
    const single = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    assert.deepEqual(
      single.map((m) => m.MessageId),
      [one.MessageId],
    );
    await send(url, 'two');
    await send(url, 'three');
    const three = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    const ids = three.map((m) => m.MessageId);
    assert.equal(new Set(ids).size, ids.length, `duplicates in one answer: ${ids.join(', ')}`);
    assert.ok(ids.length >= 1 && ids.length <= 3);
  });

  test('MaxNumberOfMessages 0 and 11 answer InvalidParameterValue', async () => {
    const url = await createQueue(uniq('max-bad'));
    await rejectsWith(receive(url, { MaxNumberOfMessages: 0 }), 'InvalidParameterValue');
    await rejectsWith(receive(url, { MaxNumberOfMessages: 11 }), 'InvalidParameterValue', (e) =>
      assert.equal(
        e.message,
        'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
      ),
    );
  });

  test('WaitTimeSeconds 21 and VisibilityTimeout 43201 answer InvalidParameterValue', async () => {
    const url = await createQueue(uniq('wait-bad'));
    await rejectsWith(receive(url, { WaitTimeSeconds: 21 }), 'InvalidParameterValue', (e) =>
      assert.equal(
        e.message,
        'Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.',
      ),
    );
    await rejectsWith(receive(url, { VisibilityTimeout: 43201 }), 'InvalidParameterValue');
  });

  test('a long poll returns as soon as another client sends', async () => {
    const url = await createQueue(uniq('long-poll'));
    const other = sqsClient(t.server.url);
    try {
      const started = Date.now();
      const polling = receive(url, { WaitTimeSeconds: 10 });
      await sleep(300);
      const sent = await other.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
      const got = await polling;
      const elapsed = Date.now() - started;
      assert.equal(got.length, 1);
      assert.equal(got[0]?.MessageId, sent.MessageId);
      assert.ok(elapsed >= 250, `returned before the message was sent (${elapsed} ms)`);
      assert.ok(elapsed < 3000, `long poll took ${elapsed} ms; it should end when the message arrives`);
    } finally {
      other.destroy();
    }
  });

  test('a long poll with nothing to receive waits WaitTimeSeconds, then returns empty', async () => {
    const url = await createQueue(uniq('long-empty'));
    const started = Date.now();
    const got = await receive(url, { WaitTimeSeconds: 1 });
    const elapsed = Date.now() - started;
    assert.equal(got.length, 0);
    assert.ok(elapsed >= 900 && elapsed < 3000, `waited ${elapsed} ms`);
  });

  test('the queue ReceiveMessageWaitTimeSeconds makes receives long polls; WaitTimeSeconds 0 overrides it', async () => {
    const url = await createQueue(uniq('queue-wait'), { ReceiveMessageWaitTimeSeconds: '1' });
    let started = Date.now();
    assert.equal((await receive(url)).length, 0);
    assert.ok(Date.now() - started >= 900, 'the queue default wait applies');
    started = Date.now();
    assert.equal((await receive(url, { WaitTimeSeconds: 0 })).length, 0);
    assert.ok(Date.now() - started < 800, 'an explicit short poll returns at once');
  });

  test('a long poll returns when a delayed message becomes visible', async () => {
    const url = await createQueue(uniq('long-delayed'));
    await send(url, 'soon', { DelaySeconds: 1 });
    const started = Date.now();
    const got = await receive(url, { WaitTimeSeconds: 5 });
    const elapsed = Date.now() - started;
    assert.equal(got[0]?.Body, 'soon');
    assert.ok(elapsed >= 700 && elapsed < 3000, `took ${elapsed} ms`);
  });

  test('a long poll returns when ChangeMessageVisibility brings an in-flight message back sooner', async () => {
    const url = await createQueue(uniq('long-cmv'), { VisibilityTimeout: '30' });
    await send(url, 'again');
    const [m] = await receive(url);
    assert.ok(m?.ReceiptHandle);
    // The poll starts while the message is hidden for 30 s, then the timeout is cut to 1 s.
    const started = Date.now();
    const polling = receive(url, { WaitTimeSeconds: 10 });
    await sleep(200);
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 1 }),
    );
    const got = await polling;
    const elapsed = Date.now() - started;
    assert.equal(got[0]?.Body, 'again');
    assert.ok(elapsed >= 1000 && elapsed < 3000, `took ${elapsed} ms`);
  });

  test('MessageAttributeNames selects attributes: none, All, .*, exact names and prefix.*', async () => {
    const url = await createQueue(uniq('attr-filter'));
    const attrs: Record<string, MessageAttributeValue> = {
      color: { DataType: 'String', StringValue: 'red' },
      size: { DataType: 'Number', StringValue: '3' },
      'meta.a': { DataType: 'String', StringValue: 'A' },
      'meta.b': { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
      metadata: { DataType: 'String', StringValue: 'not under meta.' },
    };
    const sent = await send(url, 'filtered', { MessageAttributes: attrs });
    const pick = (...names: string[]) => Object.fromEntries(names.map((n) => [n, attrs[n] as MessageAttributeValue]));
    const cases: [string[] | undefined, string[]][] = [
      [undefined, []],
      [['All'], Object.keys(attrs)],
      [['.*'], Object.keys(attrs)],
      [['color'], ['color']],
      [
        ['color', 'size', 'absent'],
        ['color', 'size'],
      ],
      [['meta.*'], ['meta.a', 'meta.b']],
      [['absent'], []],
    ];
    for (const [requested, expected] of cases) {
      const m = await receiveOne(url, { MessageAttributeNames: requested, VisibilityTimeout: 0 });
      const label = JSON.stringify(requested);
      if (expected.length === 0) {
        assert.equal(m.MessageAttributes, undefined, label);
        assert.equal(m.MD5OfMessageAttributes, undefined, label);
        continue;
      }
      assert.deepEqual(Object.keys(m.MessageAttributes ?? {}).sort(), [...expected].sort(), label);
      // The MD5 covers what was returned.
      assert.equal(m.MD5OfMessageAttributes, md5OfAttributes(pick(...expected)), label);
    }
    const all = await receiveOne(url, { MessageAttributeNames: ['All'], VisibilityTimeout: 0 });
    assert.equal(all.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  });

  test('system attributes: SenderId, SentTimestamp, receive count and first receive time', async () => {
    const url = await createQueue(uniq('sys-attrs'));
    const before = Date.now();
    await send(url, 'sys');
    const afterSend = Date.now();

    const first = await receiveOne(url, { MessageSystemAttributeNames: ['All'], VisibilityTimeout: 0 });
    const a1 = first.Attributes ?? {};
    assert.ok(a1.SenderId, 'SenderId present');
    const sentAt = Number(a1.SentTimestamp);
    assert.ok(sentAt >= before - 1 && sentAt <= afterSend + 1, 'SentTimestamp is epoch milliseconds of the send');
    assert.equal(a1.ApproximateReceiveCount, '1');
    const firstReceive = Number(a1.ApproximateFirstReceiveTimestamp);
    assert.ok(firstReceive >= sentAt && firstReceive <= Date.now() + 1, 'first receive time in ms after the send');
    assert.equal(a1.DeadLetterQueueSourceArn, undefined);
    assert.equal(a1.AWSTraceHeader, undefined);

    await sleep(20);
    const second = await receiveOne(url, { MessageSystemAttributeNames: ['All'], VisibilityTimeout: 0 });
    const a2 = second.Attributes ?? {};
    assert.equal(second.MessageId, first.MessageId);
    assert.equal(a2.ApproximateReceiveCount, '2');
    assert.equal(
      a2.ApproximateFirstReceiveTimestamp,
      a1.ApproximateFirstReceiveTimestamp,
      'first receive time is stable',
    );
    assert.equal(a2.SentTimestamp, a1.SentTimestamp);
    assert.notEqual(second.ReceiptHandle, first.ReceiptHandle, 'every receive issues a new receipt handle');

    // The deprecated AttributeNames still works, and names select single attributes.
    const third = await receiveOne(url, { AttributeNames: legacy('SentTimestamp'), VisibilityTimeout: 0 });
    assert.deepEqual(third.Attributes, { SentTimestamp: a1.SentTimestamp });
    const fourth = await receiveOne(url, { AttributeNames: ['All'], VisibilityTimeout: 0 });
    assert.equal(fourth.Attributes?.ApproximateReceiveCount, '4');
    assert.ok(fourth.Attributes?.SenderId);
    const fifth = await receiveOne(url, {
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      VisibilityTimeout: 0,
    });
    assert.deepEqual(fifth.Attributes, { ApproximateReceiveCount: '5' });
    const plain = await receiveOne(url, { VisibilityTimeout: 0 });
    assert.equal(plain.Attributes, undefined, 'no system attributes unless asked');
    assert.equal(plain.MD5OfBody, md5('sys'));
  });
});

describe('visibility timeout', () => {
  test('a received message is invisible until its VisibilityTimeout passes, then comes back', async () => {
    const url = await createQueue(uniq('vis-expiry'));
    const sent = await send(url, 'hide me');
    const first = await receiveOne(url, { VisibilityTimeout: 1, AttributeNames: legacy('ApproximateReceiveCount') });
    assert.equal(first.MessageId, sent.MessageId);
    assert.equal((await receive(url)).length, 0, 'invisible while in flight');
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 1, delayed: 0 });
    await sleep(1200);
    assert.deepEqual(await counts(url), { visible: 1, notVisible: 0, delayed: 0 });
    const again = await receiveOne(url, { AttributeNames: legacy('ApproximateReceiveCount') });
    assert.equal(again.MessageId, sent.MessageId);
    assert.equal(again.Attributes?.ApproximateReceiveCount, '2');
    assert.notEqual(again.ReceiptHandle, first.ReceiptHandle);
  });

  test('the VisibilityTimeout parameter overrides the queue attribute', async () => {
    const url = await createQueue(uniq('vis-param'), { VisibilityTimeout: '0' });
    await send(url, 'x');
    await receiveOne(url, { VisibilityTimeout: 60 });
    assert.equal((await receive(url)).length, 0);
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 1, delayed: 0 });
  });
});

describe('DeleteMessage', () => {
  test('the latest receipt handle deletes the message', async () => {
    const url = await createQueue(uniq('del'));
    await send(url, 'x');
    const m = await receiveOne(url);
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 0 });
  });

  test('an older handle succeeds after a re-receive but leaves the message', async () => {
    const url = await createQueue(uniq('del-stale'));
    await send(url, 'x');
    const first = await receiveOne(url, { VisibilityTimeout: 0 });
    const second = await receiveOne(url, { VisibilityTimeout: 60 });
    assert.equal(second.MessageId, first.MessageId);
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle }));
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 1, delayed: 0 });
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle }));
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 0 });
  });

  test('deleting twice succeeds', async () => {
    const url = await createQueue(uniq('del-twice'));
    await send(url, 'x');
    const m = await receiveOne(url);
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    assert.equal((await receive(url)).length, 0);
  });

  test('a malformed handle answers ReceiptHandleIsInvalid with HTTP 404', async () => {
    const url = await createQueue(uniq('del-bad'));
    for (const handle of ['garbage', 'not a handle at all', Buffer.from('SY1:1:2:zz').toString('base64')]) {
      await rejectsWith(
        t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle })),
        'ReceiptHandleIsInvalid',
        (e) => {
          assert.equal(e.$metadata?.httpStatusCode, 404);
          assert.equal(e.Code, 'ReceiptHandleIsInvalid');
          assert.equal(e.message, `The input receipt handle "${handle}" is not a valid receipt handle.`);
        },
      );
    }
  });

  test('DeleteMessageBatch deletes the valid handles and reports the invalid ones', async () => {
    const url = await createQueue(uniq('del-batch'));
    await send(url, 'a');
    await send(url, 'b');
    await send(url, 'c');
    const got = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 60 });
    assert.equal(got.length, 3);
    const [m1, m2] = got;
    const out = await t.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'one', ReceiptHandle: m1?.ReceiptHandle },
          { Id: 'bad', ReceiptHandle: 'garbage' },
          { Id: 'two', ReceiptHandle: m2?.ReceiptHandle },
        ],
      }),
    );
    assert.deepEqual((out.Successful ?? []).map((s) => s.Id).sort(), ['one', 'two']);
    assert.equal(out.Failed?.length, 1);
    assert.equal(out.Failed?.[0]?.Id, 'bad');
    assert.equal(out.Failed?.[0]?.Code, 'ReceiptHandleIsInvalid');
    assert.equal(out.Failed?.[0]?.SenderFault, true);
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 1, delayed: 0 });
  });

  test('DeleteMessageBatch checks the envelope like SendMessageBatch', async () => {
    const url = await createQueue(uniq('del-batch-env'));
    await rejectsWith(t.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })), 'EmptyBatchRequest');
    await rejectsWith(
      t.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'x', ReceiptHandle: 'a' },
            { Id: 'x', ReceiptHandle: 'b' },
          ],
        }),
      ),
      'BatchEntryIdsNotDistinct',
    );
    await rejectsWith(
      t.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, ReceiptHandle: 'h' })),
        }),
      ),
      'TooManyEntriesInBatchRequest',
    );
  });
});

describe('ChangeMessageVisibility', () => {
  test('0 makes the message visible at once', async () => {
    const url = await createQueue(uniq('cmv-zero'));
    const sent = await send(url, 'x');
    const m = await receiveOne(url, { VisibilityTimeout: 60 });
    assert.equal((await receive(url)).length, 0);
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    assert.equal((await receiveOne(url)).MessageId, sent.MessageId);
  });

  test('a longer timeout keeps the message hidden past its original one', async () => {
    const url = await createQueue(uniq('cmv-extend'));
    await send(url, 'extended');
    await send(url, 'expiring');
    const got = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 1 });
    assert.equal(got.length, 2);
    const extended = got.find((m) => m.Body === 'extended');
    const expiring = got.find((m) => m.Body === 'expiring');
    assert.ok(extended && expiring);
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: extended.ReceiptHandle,
        VisibilityTimeout: 30,
      }),
    );
    await sleep(1200);
    const visible = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    assert.deepEqual(
      visible.map((m) => m.Body),
      ['expiring'],
    );
    // 'expiring' was just received with VisibilityTimeout 0; 'extended' is still hidden.
    assert.deepEqual(await counts(url), { visible: 1, notVisible: 1, delayed: 0 });
  });

  test('changing an expired (no longer in flight) message answers MessageNotInflight', async () => {
    const url = await createQueue(uniq('cmv-inflight'));
    await send(url, 'x');
    const m = await receiveOne(url, { VisibilityTimeout: 1 });
    await sleep(1200);
    await rejectsWith(
      t.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 10 }),
      ),
      'MessageNotInflight',
      (e) => {
        assert.equal(e.Code, 'AWS.SimpleQueueService.MessageNotInflight');
        assert.equal(e.$metadata?.httpStatusCode, 400);
      },
    );
    // Nothing changed: the message is still visible.
    assert.deepEqual(await counts(url), { visible: 1, notVisible: 0, delayed: 0 });
  });

  test('more than 43200 seconds answers InvalidParameterValue', async () => {
    const url = await createQueue(uniq('cmv-max'));
    await send(url, 'x');
    const m = await receiveOne(url, { VisibilityTimeout: 60 });
    await rejectsWith(
      t.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 43201 }),
      ),
      'InvalidParameterValue',
    );
    // Up to 12 hours counted from the receive is allowed.
    await t.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 43000 }),
    );
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 1, delayed: 0 });
  });

  test('a stale handle (message received again since) or a deleted message answers InvalidParameterValue', async () => {
    const url = await createQueue(uniq('cmv-stale'));
    await send(url, 'x');
    const first = await receiveOne(url, { VisibilityTimeout: 0 });
    const second = await receiveOne(url, { VisibilityTimeout: 60 });
    await rejectsWith(
      t.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }),
      ),
      'InvalidParameterValue',
      (e) => assert.match(e.message, /Message does not exist or is not available for visibility timeout change/),
    );
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 1, delayed: 0 }, 'the stale handle changed nothing');
    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.ReceiptHandle }));
    await rejectsWith(
      t.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: second.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
      'InvalidParameterValue',
    );
    await rejectsWith(
      t.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: 'garbage', VisibilityTimeout: 0 })),
      'ReceiptHandleIsInvalid',
    );
  });

  test('ChangeMessageVisibilityBatch applies each entry and reports failures per entry', async () => {
    const url = await createQueue(uniq('cmv-batch'));
    await send(url, 'show');
    await send(url, 'keep');
    const got = await receive(url, { MaxNumberOfMessages: 10, VisibilityTimeout: 60 });
    assert.equal(got.length, 2);
    const show = got.find((m) => m.Body === 'show');
    const keep = got.find((m) => m.Body === 'keep');
    const out = await t.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'show', ReceiptHandle: show?.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'keep', ReceiptHandle: keep?.ReceiptHandle, VisibilityTimeout: 120 },
          { Id: 'bad', ReceiptHandle: 'garbage', VisibilityTimeout: 0 },
        ],
      }),
    );
    assert.deepEqual((out.Successful ?? []).map((s) => s.Id).sort(), ['keep', 'show']);
    assert.equal(out.Failed?.length, 1);
    assert.equal(out.Failed?.[0]?.Id, 'bad');
    assert.equal(out.Failed?.[0]?.Code, 'ReceiptHandleIsInvalid');
    assert.equal(out.Failed?.[0]?.SenderFault, true);
    const visible = await receive(url, { MaxNumberOfMessages: 10 });
    assert.deepEqual(
      visible.map((m) => m.Body),
      ['show'],
    );
    await rejectsWith(
      t.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: [] })),
      'EmptyBatchRequest',
    );
  });
});

describe('dead-letter redrive', () => {
  async function setup(prefix: string) {
    const dlqName = uniq(`${prefix}-dlq`);
    const dlq = await createQueue(dlqName);
    const dlqArn = (await queueAttributes(dlq, ['QueueArn'])).QueueArn;
    const source = await createQueue(uniq(`${prefix}-src`), {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
    });
    const sourceArn = (await queueAttributes(source, ['QueueArn'])).QueueArn;
    return { dlq, source, sourceArn };
  }

  test('after maxReceiveCount receives the message moves to the DLQ with its id, body and attributes', async () => {
    const { dlq, source, sourceArn } = await setup('redrive');
    const MessageAttributes = VECTORS[2]?.attributes ?? {};
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793';
    const sent = await send(source, 'poison', {
      MessageAttributes,
      MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: trace } },
    });
    const r1 = await receiveOne(source, { VisibilityTimeout: 0, AttributeNames: ['All'] });
    const r2 = await receiveOne(source, { VisibilityTimeout: 0 });
    assert.equal(r1.MessageId, sent.MessageId);
    assert.equal(r2.MessageId, sent.MessageId);
    assert.equal((await receive(source, { MaxNumberOfMessages: 10 })).length, 0, 'the third receive finds nothing');
    assert.deepEqual(await counts(source), { visible: 0, notVisible: 0, delayed: 0 });
    assert.deepEqual(await counts(dlq), { visible: 1, notVisible: 0, delayed: 0 });

    const moved = await receiveOne(dlq, { MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] });
    assert.equal(moved.MessageId, sent.MessageId);
    assert.equal(moved.Body, 'poison');
    assert.equal(moved.MD5OfMessageAttributes, VECTORS[2]?.md5);
    assert.deepEqual(Object.keys(moved.MessageAttributes ?? {}).sort(), Object.keys(MessageAttributes).sort());
    assert.deepEqual([...(moved.MessageAttributes?.mybin?.BinaryValue ?? [])], [...Buffer.from('kekchebukek')]);
    assert.equal(moved.Attributes?.DeadLetterQueueSourceArn, sourceArn);
    assert.equal(moved.Attributes?.AWSTraceHeader, trace);
    // Standard queues keep the original enqueue time when a message moves to the DLQ.
    assert.equal(moved.Attributes?.SentTimestamp, r1.Attributes?.SentTimestamp);

    const { queueUrls } = await t.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    assert.deepEqual(queueUrls, [source]);
  });

  test('receives that end with ChangeMessageVisibility 0 count toward maxReceiveCount; other messages stay', async () => {
    const { dlq, source } = await setup('redrive-cmv');
    const poison = await send(source, 'poison');
    for (let i = 0; i < 2; i++) {
      const m = await receiveOne(source, { VisibilityTimeout: 60 });
      assert.equal(m.MessageId, poison.MessageId);
      await t.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: source, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
      );
    }
    const fresh = await send(source, 'fresh');
    const next = await receive(source, { MaxNumberOfMessages: 10 });
    assert.deepEqual(
      next.map((m) => m.MessageId),
      [fresh.MessageId],
      'only the fresh message is delivered; the poison one moved',
    );
    const moved = await receiveOne(dlq);
    assert.equal(moved.MessageId, poison.MessageId);
    assert.equal(moved.Body, 'poison');
  });
  test('a receive that dead-letters many messages returns each remaining message once', async () => {
    const { dlq, source } = await setup('redrive-many');
    const batch = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ Id: `${prefix}${i}`, MessageBody: `${prefix}-${i}` }));
    await t.sqs.send(new SendMessageBatchCommand({ QueueUrl: source, Entries: batch('p', 10) }));
    await t.sqs.send(new SendMessageBatchCommand({ QueueUrl: source, Entries: batch('q', 10) }));
    // Receive each of the 20 twice, which exhausts maxReceiveCount 2.
    const deliveries = new Map<string, number>();
    for (let i = 0; i < 8 && [...deliveries.values()].reduce((a, b) => a + b, 0) < 40; i++) {
      for (const m of await receive(source, { MaxNumberOfMessages: 10, VisibilityTimeout: 0 })) {
        deliveries.set(m.Body ?? '', (deliveries.get(m.Body ?? '') ?? 0) + 1);
      }
    }
    assert.equal(deliveries.size, 20);
    assert.ok(
      [...deliveries.values()].every((n) => n === 2),
      'each poison message was received twice',
    );

    await t.sqs.send(new SendMessageBatchCommand({ QueueUrl: source, Entries: batch('fresh', 7) }));
    const got = await receive(source, { MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    const bodies = got.map((m) => m.Body ?? '');
    assert.equal(new Set(bodies).size, bodies.length, `a message was returned twice: ${bodies.join(', ')}`);
    assert.ok(
      bodies.every((b) => b.startsWith('fresh-')),
      `only fresh messages are delivered: ${bodies.join(', ')}`,
    );
    assert.ok(bodies.length >= 1 && bodies.length <= 7);
    assert.equal((await counts(dlq)).visible, 20);
  });
});

describe('queues that do not exist', () => {
  test('message actions on a missing queue answer QueueDoesNotExist', async () => {
    const ghost = `${t.server.url}/${ACCOUNT}/${uniq('ghost')}`;
    await rejectsWith(send(ghost, 'x'), 'QueueDoesNotExist');
    await rejectsWith(receive(ghost), 'QueueDoesNotExist');
    await rejectsWith(
      t.sqs.send(new SendMessageBatchCommand({ QueueUrl: ghost, Entries: [{ Id: 'a', MessageBody: 'x' }] })),
      'QueueDoesNotExist',
    );
    await rejectsWith(
      t.sqs.send(new DeleteMessageCommand({ QueueUrl: ghost, ReceiptHandle: 'garbage' })),
      'QueueDoesNotExist',
    );
  });
});
