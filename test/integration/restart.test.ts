// A graceful stop and a start on the same data directory keep everything: queues, their attributes and
// tags, and every message with its id, body, attributes, receive count, visibility and delay.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { sleep } from '../helpers/process.js';
import { startTestServer, type TestServer, tempDataDir } from '../helpers/server.js';
import { counts } from '../helpers/sqs.js';

const dataDir = tempDataDir('switchyard-restart-');
const running: TestServer[] = [];

after(async () => {
  for (const t of running) await t.stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<TestServer> {
  const t = await startTestServer({ dataDir });
  running.push(t);
  return t;
}

/** Seconds of the short visibility timeout and delay that must run out after the restart, not before. */
const SHORT = 6;

const QUEUES = ['rs-dlq', 'rs-orders', 'rs-plain', 'rs-delayed'] as const;
type QueueName = (typeof QUEUES)[number];

/** A comparable view of message attributes: binary values as base64. */
function normalise(attributes: Record<string, MessageAttributeValue> | undefined) {
  const out: Record<string, { DataType?: string; StringValue?: string; BinaryValue?: string }> = {};
  for (const [name, v] of Object.entries(attributes ?? {})) {
    out[name] = {
      DataType: v.DataType,
      ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { BinaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
    };
  }
  return out;
}

interface Snapshot {
  queuePaths: string[];
  urlPaths: Record<string, string>;
  attributes: Record<string, Record<string, string>>;
  tags: Record<string, Record<string, string> | undefined>;
  dlqSources: string[];
}

function pathOf(url: string): string {
  return new URL(url).pathname;
}

async function urls(sqs: SQSClient): Promise<Record<QueueName, string>> {
  const out = {} as Record<QueueName, string>;
  for (const name of QUEUES) {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    assert.ok(QueueUrl, `GetQueueUrl ${name}`);
    out[name] = QueueUrl;
  }
  return out;
}

async function snapshot(sqs: SQSClient): Promise<Snapshot> {
  const q = await urls(sqs);
  const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'rs-' }));
  const attributes: Snapshot['attributes'] = {};
  const tags: Snapshot['tags'] = {};
  for (const name of QUEUES) {
    const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q[name], AttributeNames: ['All'] }));
    attributes[name] = got.Attributes ?? {};
    tags[name] = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: q[name] }))).Tags;
  }
  const sources = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: q['rs-dlq'] }));
  return {
    queuePaths: (listed.QueueUrls ?? []).map(pathOf).sort(),
    urlPaths: Object.fromEntries(QUEUES.map((n) => [n, pathOf(q[n])])),
    attributes,
    tags,
    dlqSources: (sources.queueUrls ?? []).map(pathOf).sort(),
  };
}

async function receive(sqs: SQSClient, QueueUrl: string, VisibilityTimeout: number, max = 10): Promise<Message[]> {
  const got = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: max,
      VisibilityTimeout,
      WaitTimeSeconds: 0,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return got.Messages ?? [];
}

interface Sent {
  body: string;
  messageId: string;
  md5Body: string;
  md5Attributes: string | undefined;
  attributes: Record<string, MessageAttributeValue>;
  traceHeader?: string;
  sentAfter: number;
  sentBefore: number;
}

function only(messages: Message[], body: string): Message {
  const found = messages.filter((m) => m.Body === body);
  assert.equal(found.length, 1, `expected exactly one "${body}" in ${JSON.stringify(messages.map((m) => m.Body))}`);
  return found[0] as Message;
}

test('queues, attributes, tags and messages survive a graceful restart unchanged', async () => {
  // ---- first life -------------------------------------------------------------------------------
  const first = await start();
  const s1 = first.sqs;
  const dlqUrl = (
    await s1.send(
      new CreateQueueCommand({
        QueueName: 'rs-dlq',
        Attributes: {
          MessageRetentionPeriod: '1209600',
          RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'allowAll' }),
        },
        tags: { team: 'core', 'cost-center': '42' },
      }),
    )
  ).QueueUrl as string;
  const dlqArn = (await s1.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })))
    .Attributes?.QueueArn as string;
  assert.ok(dlqArn);
  const ordersUrl = (
    await s1.send(
      new CreateQueueCommand({
        QueueName: 'rs-orders',
        Attributes: {
          VisibilityTimeout: '45',
          MaximumMessageSize: '65536',
          MessageRetentionPeriod: '86400',
          Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        },
        tags: { env: 'test', owner: 'orders' },
      }),
    )
  ).QueueUrl as string;
  const plainUrl = (await s1.send(new CreateQueueCommand({ QueueName: 'rs-plain', tags: { temp: 'yes' } })))
    .QueueUrl as string;
  const delayedUrl = (
    await s1.send(new CreateQueueCommand({ QueueName: 'rs-delayed', Attributes: { DelaySeconds: '900' } }))
  ).QueueUrl as string;
  // Later changes: these must survive as well.
  await s1.send(new SetQueueAttributesCommand({ QueueUrl: plainUrl, Attributes: { VisibilityTimeout: '7' } }));
  await s1.send(new TagQueueCommand({ QueueUrl: plainUrl, Tags: { added: 'later', other: 'x' } }));
  await s1.send(new UntagQueueCommand({ QueueUrl: plainUrl, TagKeys: ['temp'] }));

  const sent = new Map<string, Sent>();
  async function send(
    QueueUrl: string,
    body: string,
    extra: { attributes?: Record<string, MessageAttributeValue>; traceHeader?: string; delay?: number } = {},
  ): Promise<Sent> {
    const sentAfter = Date.now();
    const out = await s1.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: body,
        ...(extra.attributes ? { MessageAttributes: extra.attributes } : {}),
        ...(extra.traceHeader
          ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: extra.traceHeader } } }
          : {}),
        ...(extra.delay !== undefined ? { DelaySeconds: extra.delay } : {}),
      }),
    );
    assert.ok(out.MessageId);
    const record: Sent = {
      body,
      messageId: out.MessageId,
      md5Body: out.MD5OfMessageBody as string,
      md5Attributes: out.MD5OfMessageAttributes,
      attributes: extra.attributes ?? {},
      sentAfter,
      sentBefore: Date.now(),
      ...(extra.traceHeader ? { traceHeader: extra.traceHeader } : {}),
    };
    sent.set(body, record);
    return record;
  }

  // In flight for a long time: one handle deletes after the restart, the other changes visibility.
  await send(ordersUrl, 'inflight-long-a', { attributes: { kind: { DataType: 'String', StringValue: 'a' } } });
  await send(ordersUrl, 'inflight-long-b');
  const longs = await receive(s1, ordersUrl, 600);
  assert.deepEqual(longs.map((m) => m.Body).sort(), ['inflight-long-a', 'inflight-long-b']);
  const longA = only(longs, 'inflight-long-a');
  const longB = only(longs, 'inflight-long-b');

  // In flight for SHORT s: still invisible right after the restart, back (received twice) after its timeout.
  await send(ordersUrl, 'inflight-short', { attributes: { n: { DataType: 'Number', StringValue: '17' } } });
  const shorts = await receive(s1, ordersUrl, SHORT);
  assert.deepEqual(
    shorts.map((m) => m.Body),
    ['inflight-short'],
  );
  const short = shorts[0] as Message;
  const shortFirstReceive = Number(short.Attributes?.ApproximateFirstReceiveTimestamp);
  assert.ok(shortFirstReceive > 0);

  // Received twice and released: the next receive after the restart must move it to the DLQ (maxReceiveCount 2).
  await send(ordersUrl, 'twice');
  let twiceFirstReceive = 0;
  for (let i = 1; i <= 2; i++) {
    const got = await receive(s1, ordersUrl, 30);
    assert.deepEqual(
      got.map((m) => m.Body),
      ['twice'],
    );
    const m = got[0] as Message;
    assert.equal(m.Attributes?.ApproximateReceiveCount, String(i));
    twiceFirstReceive = Number(m.Attributes?.ApproximateFirstReceiveTimestamp);
    await s1.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: ordersUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
    );
  }

  // Visible messages with every kind of attribute.
  const binary = Uint8Array.from([0, 1, 2, 250, 255, 10, 13]);
  await send(ordersUrl, 'plain-0');
  await send(ordersUrl, 'plain-1', {
    attributes: {
      s: { DataType: 'String', StringValue: 'héllo wörld ✓' },
      n: { DataType: 'Number.int', StringValue: '-12.50' },
      b: { DataType: 'Binary', BinaryValue: binary },
      custom: { DataType: 'String.json', StringValue: '{"a":[1,2,3]}' },
    },
  });
  await send(ordersUrl, 'plain-2', { traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' });
  await send(ordersUrl, 'plain-3 \u{1F600} with emoji and\nnewline', {
    attributes: { only: { DataType: 'Binary', BinaryValue: Uint8Array.from([42]) } },
  });
  await send(ordersUrl, `plain-4 ${'x'.repeat(60_000)}`);
  const plainBodies = [...sent.keys()].filter((b) => b.startsWith('plain-'));

  // Delayed: SHORT s (message-level) and 900 s (message-level and queue-level default).
  const delayShort = await send(ordersUrl, 'delay-short', { delay: SHORT });
  await send(ordersUrl, 'delay-long', { delay: 900 });
  await send(delayedUrl, 'queue-delayed');

  // A message received twice on a queue without a redrive policy: its third receive says 3.
  await send(plainUrl, 'thrice');
  let thriceFirstReceive = 0;
  let thriceSentTimestamp = '';
  for (let i = 1; i <= 2; i++) {
    const got = await receive(s1, plainUrl, 30);
    assert.deepEqual(
      got.map((m) => m.Body),
      ['thrice'],
    );
    const m = got[0] as Message;
    thriceFirstReceive = Number(m.Attributes?.ApproximateFirstReceiveTimestamp);
    thriceSentTimestamp = m.Attributes?.SentTimestamp as string;
    await s1.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: plainUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
    );
  }

  const before = await snapshot(s1);
  assert.deepEqual(before.queuePaths, QUEUES.map((n) => `/000000000000/${n}`).sort());
  assert.deepEqual(await counts(s1, ordersUrl), { visible: 6, notVisible: 3, delayed: 2 });
  assert.deepEqual(await counts(s1, plainUrl), { visible: 1, notVisible: 0, delayed: 0 });
  assert.deepEqual(await counts(s1, delayedUrl), { visible: 0, notVisible: 0, delayed: 1 });
  assert.deepEqual(before.tags['rs-plain'], { added: 'later', other: 'x' });
  assert.deepEqual(before.dlqSources, ['/000000000000/rs-orders']);

  await first.stop();

  // ---- second life ------------------------------------------------------------------------------
  const second = await start();
  const s2 = second.sqs;
  const q = await urls(s2);
  const restartedAt = Date.now();
  // The short timers must not have run out yet, or the "still invisible" checks below prove nothing.
  assert.ok(
    restartedAt < shortFirstReceive + SHORT * 1000 - 2000,
    `restart took too long (${restartedAt - shortFirstReceive} ms)`,
  );

  const afterRestart = await snapshot(s2);
  assert.deepEqual(afterRestart, before, 'queues, URLs, attributes (counts included), tags and DLQ sources');
  assert.equal(afterRestart.attributes['rs-plain']?.VisibilityTimeout, '7');
  assert.equal(
    afterRestart.attributes['rs-orders']?.RedrivePolicy,
    JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
  );

  // Visible messages: exactly the plain ones, as sent; "twice" is dead-lettered by this receive.
  const visible = await receive(s2, q['rs-orders'], 600);
  assert.deepEqual(visible.map((m) => m.Body).sort(), [...plainBodies].sort());
  for (const m of visible) {
    const s = sent.get(m.Body as string) as Sent;
    assert.equal(m.MessageId, s.messageId, `${s.body.slice(0, 10)}: MessageId`);
    assert.equal(m.MD5OfBody, s.md5Body);
    assert.equal(m.MD5OfMessageAttributes, s.md5Attributes);
    assert.deepEqual(normalise(m.MessageAttributes), normalise(s.attributes));
    assert.equal(m.Attributes?.ApproximateReceiveCount, '1');
    assert.equal(m.Attributes?.AWSTraceHeader, s.traceHeader);
    const sentTs = Number(m.Attributes?.SentTimestamp);
    assert.ok(sentTs >= s.sentAfter && sentTs <= s.sentBefore, 'SentTimestamp kept');
    assert.equal(m.Attributes?.SenderId, 'AKIDTEST');
  }
  const dead = await receive(s2, q['rs-dlq'], 600);
  assert.deepEqual(
    dead.map((m) => m.Body),
    ['twice'],
  );
  assert.equal(dead[0]?.MessageId, sent.get('twice')?.messageId);
  assert.equal(dead[0]?.Attributes?.DeadLetterQueueSourceArn, before.attributes['rs-orders']?.QueueArn);
  assert.equal(Number(dead[0]?.Attributes?.ApproximateFirstReceiveTimestamp), twiceFirstReceive);

  const thrice = await receive(s2, q['rs-plain'], 600);
  assert.deepEqual(
    thrice.map((m) => m.Body),
    ['thrice'],
  );
  assert.equal(thrice[0]?.MessageId, sent.get('thrice')?.messageId);
  assert.equal(thrice[0]?.Attributes?.ApproximateReceiveCount, '3');
  assert.equal(Number(thrice[0]?.Attributes?.ApproximateFirstReceiveTimestamp), thriceFirstReceive);
  assert.equal(thrice[0]?.Attributes?.SentTimestamp, thriceSentTimestamp);

  // The delayed queue's message is still delayed.
  assert.deepEqual(await receive(s2, q['rs-delayed'], 600), []);
  assert.deepEqual(await counts(s2, q['rs-delayed']), { visible: 0, notVisible: 0, delayed: 1 });

  // Receipt handles from before the restart: one deletes, the other releases its message.
  await s2.send(new DeleteMessageCommand({ QueueUrl: q['rs-orders'], ReceiptHandle: longA.ReceiptHandle }));
  await assert.rejects(
    s2.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: q['rs-orders'],
        ReceiptHandle: longA.ReceiptHandle,
        VisibilityTimeout: 10,
      }),
    ),
    /does not exist|not available/,
    'the message deleted with the old handle is gone',
  );
  await s2.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: q['rs-orders'],
      ReceiptHandle: longB.ReceiptHandle,
      VisibilityTimeout: 0,
    }),
  );
  const released = await receive(s2, q['rs-orders'], 600);
  assert.deepEqual(
    released.map((m) => m.Body),
    ['inflight-long-b'],
    'only the released message is visible: inflight-short and delay-short are still hidden',
  );
  assert.equal(released[0]?.MessageId, longB.MessageId);
  assert.equal(released[0]?.Attributes?.ApproximateReceiveCount, '2');
  assert.ok(Date.now() < shortFirstReceive + SHORT * 1000, 'the checks above ran before the short timers ended');

  // plain (5) + long-b in flight, inflight-short in flight, delay-short and delay-long delayed.
  assert.deepEqual(await counts(s2, q['rs-orders']), { visible: 0, notVisible: 7, delayed: 2 });

  // The short timers run out on schedule, not earlier, and not never.
  const seen = new Map<string, { message: Message; at: number }>();
  const deadline = Date.now() + 15_000;
  while (seen.size < 2 && Date.now() < deadline) {
    for (const m of await receive(s2, q['rs-orders'], 600)) {
      assert.ok(!seen.has(m.Body as string), `${m.Body} received twice`);
      seen.set(m.Body as string, { message: m, at: Date.now() });
    }
    if (seen.size < 2) await sleep(100);
  }
  assert.deepEqual([...seen.keys()].sort(), ['delay-short', 'inflight-short']);
  const backShort = seen.get('inflight-short') as { message: Message; at: number };
  assert.equal(backShort.message.MessageId, short.MessageId);
  assert.equal(backShort.message.Attributes?.ApproximateReceiveCount, '2');
  assert.equal(Number(backShort.message.Attributes?.ApproximateFirstReceiveTimestamp), shortFirstReceive);
  assert.ok(
    backShort.at >= shortFirstReceive + SHORT * 1000,
    'in-flight message came back before its visibility timeout',
  );
  assert.deepEqual(normalise(backShort.message.MessageAttributes), {
    n: { DataType: 'Number', StringValue: '17' },
  });
  const backDelayed = seen.get('delay-short') as { message: Message; at: number };
  assert.equal(backDelayed.message.MessageId, delayShort.messageId);
  assert.equal(backDelayed.message.Attributes?.ApproximateReceiveCount, '1');
  assert.ok(backDelayed.at >= delayShort.sentAfter + SHORT * 1000, 'delayed message was delivered before its delay');

  assert.deepEqual(await counts(s2, q['rs-orders']), { visible: 0, notVisible: 8, delayed: 1 });
});
