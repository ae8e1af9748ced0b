// The AWS Query protocol for SQS (form-encoded requests, XML answers): raw HTTP for every action and for
// XML errors, then end to end with Debian's AWS CLI 2.9 (/usr/bin/aws), which speaks Query.
// Wire facts: /work/shared/notes/sqs-protocol-and-peers.md §1.2 and sqs-query-model-dump.txt.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { md5OfMessageAttributes } from '../../src/core/md5.js';
import { SQS_QUERY_ACTIONS } from '../../src/protocol/aws-query.js';
import { SQS_ACTIONS } from '../../src/protocol/sqs-actions.js';
import { ACCOUNT } from '../helpers/account.js';
import { AWS_CLI, awsCliJson, runAwsCli } from '../helpers/aws-cli.js';
import { testServerForFile } from '../helpers/server.js';
import { uniq } from '../helpers/sqs.js';

const NS = 'http://queue.amazonaws.com/doc/2012-11-05/';

const t = testServerForFile();

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

// ---- a few lines of XML reading (the answers are flat and regular; no parser needed) ----------------

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, ref: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (named[ref] !== undefined) return named[ref];
    return String.fromCodePoint(ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1)));
  });
}

/** The inner markup of every `<name>` element (a `<name/>` counts, as ''). Same-name nesting is not supported. */
function elements(xml: string, name: string): string[] {
  const pattern = new RegExp(`<${name}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${name}>)`, 'g');
  return [...xml.matchAll(pattern)].map((m) => m[1] ?? '');
}

/** The unescaped text of the first `<name>` element, or undefined. */
function text(xml: string, name: string): string | undefined {
  const [first] = elements(xml, name);
  return first === undefined ? undefined : unescapeXml(first);
}

/** Flattened `<item><key/><value/></item>` entries as a record. */
function pairs(xml: string, item: string, key = 'Name', value = 'Value'): Record<string, string> {
  return Object.fromEntries(elements(xml, item).map((entry) => [text(entry, key) ?? '', text(entry, value) ?? '']));
}

// ---- raw requests ---------------------------------------------------------------------------------

interface XmlResponse {
  status: number;
  headers: Headers;
  xml: string;
}

type Form = Record<string, string | number> | [string, string | number][];

function formBody(form: Form): string {
  const entries = Array.isArray(form) ? form : Object.entries(form);
  return new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString();
}

async function fetchXml(path: string, init: RequestInit): Promise<XmlResponse> {
  const res = await fetch(`${t.server.url}${path}`, init);
  return { status: res.status, headers: res.headers, xml: await res.text() };
}

/** A Query POST: `Version` is added as clients do. */
function post(action: string, form: Form = {}, path = '/'): Promise<XmlResponse> {
  const entries: [string, string | number][] = [
    ['Action', action],
    ['Version', '2012-11-05'],
    ...(Array.isArray(form) ? form : Object.entries(form)),
  ];
  return fetchXml(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: formBody(entries),
  });
}

function get(action: string, form: Form = {}): Promise<XmlResponse> {
  const entries: [string, string | number][] = [
    ['Action', action],
    ['Version', '2012-11-05'],
    ...(Array.isArray(form) ? form : Object.entries(form)),
  ];
  return fetchXml(`/?${formBody(entries)}`, { method: 'GET' });
}

/** A 200 `<{action}Response>` with its RequestId; returns the inner markup of `<{action}Result>`. */
function assertResult(r: XmlResponse, action: string, hasResult = true): string {
  assert.equal(r.status, 200, `${action}: ${r.xml}`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/xml/);
  assert.ok(r.xml.startsWith('<?xml version="1.0"?>'), r.xml);
  assert.match(r.xml, new RegExp(`^<\\?xml version="1.0"\\?><${action}Response xmlns="${NS}">`));
  assert.ok(r.xml.endsWith(`</${action}Response>`), r.xml);
  const requestId = text(r.xml, 'RequestId');
  assert.ok(requestId, `${action}: no RequestId`);
  assert.equal(requestId, r.headers.get('x-amzn-requestid'));
  assert.match(r.xml, /<ResponseMetadata><RequestId>[^<]+<\/RequestId><\/ResponseMetadata>/);
  const results = elements(r.xml, `${action}Result`);
  if (!hasResult) {
    assert.equal(results.length, 0, `${action} has no Result element: ${r.xml}`);
    return '';
  }
  assert.equal(results.length, 1, `${action}Result missing: ${r.xml}`);
  return results[0] as string;
}

function assertXmlError(
  r: XmlResponse,
  expected: { status: number; code: string; type?: 'Sender' | 'Receiver'; message?: RegExp },
  label = expected.code,
): void {
  assert.equal(r.status, expected.status, `${label}: ${r.xml}`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/xml/, label);
  assert.match(
    r.xml,
    new RegExp(
      `^<\\?xml version="1.0"\\?><ErrorResponse xmlns="${NS}"><Error><Type>[A-Za-z]+</Type><Code>[^<]+</Code>` +
        '<Message>[^<]*</Message><Detail/></Error><RequestId>[^<]+</RequestId></ErrorResponse>$',
    ),
    label,
  );
  assert.equal(text(r.xml, 'Type'), expected.type ?? 'Sender', label);
  assert.equal(text(r.xml, 'Code'), expected.code, label);
  if (expected.message) assert.match(text(r.xml, 'Message') ?? '', expected.message, label);
  assert.equal(text(r.xml, 'RequestId'), r.headers.get('x-amzn-requestid'), `${label}: RequestId`);
  assert.doesNotMatch(r.xml, /\n\s+at\s|node_modules|ZodError|TypeError/, `${label}: leak`);
}

async function createQueue(name: string, form: Form = {}): Promise<string> {
  const entries = Array.isArray(form) ? form : Object.entries(form);
  const r = await post('CreateQueue', [['QueueName', name], ...entries]);
  const url = text(assertResult(r, 'CreateQueue'), 'QueueUrl');
  assert.ok(url);
  return url;
}

async function sendBody(url: string, body: string, form: Form = {}): Promise<string> {
  const entries = Array.isArray(form) ? form : Object.entries(form);
  const r = await post('SendMessage', [['QueueUrl', url], ['MessageBody', body], ...entries]);
  return assertResult(r, 'SendMessage');
}

/** Receives up to `max` messages; returns each `<Message>` element's inner markup. */
async function receive(url: string, form: Form = {}, max = 10): Promise<string[]> {
  const entries = Array.isArray(form) ? form : Object.entries(form);
  const r = await post('ReceiveMessage', [['QueueUrl', url], ['MaxNumberOfMessages', max], ...entries]);
  return elements(assertResult(r, 'ReceiveMessage'), 'Message');
}

// ---- raw HTTP ------------------------------------------------------------------------------------

describe('Query protocol over raw HTTP', () => {
  test('every action of SQS_ACTIONS is decoded by the Query adapter', () => {
    for (const action of Object.keys(SQS_ACTIONS)) {
      assert.ok(SQS_QUERY_ACTIONS.includes(action), `${action} has no Query decoding`);
    }
  });

  test('CreateQueue with Attribute.N and Tag.N; GetQueueUrl; ListQueues by POST and GET', async () => {
    const name = uniq('q-create');
    const url = await createQueue(name, {
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '42',
      'Attribute.2.Name': 'DelaySeconds',
      'Attribute.2.Value': '3',
      'Tag.1.Key': 'team',
      'Tag.1.Value': 'core',
      'Tag.2.Key': 'quote"amp&',
      'Tag.2.Value': '<v>',
    });
    assert.equal(url, `${t.server.url}/${ACCOUNT}/${name}`);

    const attrs = pairs(
      assertResult(await post('GetQueueAttributes', { QueueUrl: url, 'AttributeName.1': 'All' }), 'GetQueueAttributes'),
      'Attribute',
    );
    assert.equal(attrs.VisibilityTimeout, '42');
    assert.equal(attrs.DelaySeconds, '3');
    assert.equal(attrs.QueueArn, `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`);

    const tags = assertResult(await post('ListQueueTags', { QueueUrl: url }), 'ListQueueTags');
    assert.deepEqual(pairs(tags, 'Tag', 'Key'), { team: 'core', 'quote"amp&': '<v>' });
    assert.match(tags, /<Key>quote&quot;amp&amp;<\/Key><Value>&lt;v&gt;<\/Value>/);

    const found = assertResult(await post('GetQueueUrl', { QueueName: name }), 'GetQueueUrl');
    assert.equal(text(found, 'QueueUrl'), url);

    const other = await createQueue(`${name}-b`);
    const listed = assertResult(await post('ListQueues', { QueueNamePrefix: name }), 'ListQueues');
    assert.deepEqual(elements(listed, 'QueueUrl').map(unescapeXml).sort(), [url, other].sort());
    assert.equal(text(listed, 'NextToken'), undefined);

    const byGet = assertResult(await get('ListQueues', { QueueNamePrefix: name }), 'ListQueues');
    assert.deepEqual(elements(byGet, 'QueueUrl').map(unescapeXml).sort(), [url, other].sort());

    const page = assertResult(await post('ListQueues', { QueueNamePrefix: name, MaxResults: 1 }), 'ListQueues');
    assert.equal(elements(page, 'QueueUrl').length, 1);
    const token = text(page, 'NextToken');
    assert.ok(token, `no NextToken: ${page}`);
    const rest = assertResult(
      await post('ListQueues', { QueueNamePrefix: name, MaxResults: 1, NextToken: token }),
      'ListQueues',
    );
    assert.deepEqual([...elements(page, 'QueueUrl'), ...elements(rest, 'QueueUrl')].sort(), [url, other].sort());

    // No match: an empty Result element, which clients need to find.
    const none = await post('ListQueues', { QueueNamePrefix: uniq('nothing-here') });
    assert.equal(assertResult(none, 'ListQueues'), '');
    assert.match(none.xml, /<ListQueuesResult\/>/);
  });

  test('SetQueueAttributes has no Result element; GetQueueAttributes by name', async () => {
    const url = await createQueue(uniq('q-set'));
    assertResult(
      await post('SetQueueAttributes', {
        QueueUrl: url,
        'Attribute.1.Name': 'VisibilityTimeout',
        'Attribute.1.Value': '77',
        'Attribute.2.Name': 'MaximumMessageSize',
        'Attribute.2.Value': '2048',
      }),
      'SetQueueAttributes',
      false,
    );
    const r = await post('GetQueueAttributes', {
      QueueUrl: url,
      'AttributeName.1': 'VisibilityTimeout',
      'AttributeName.2': 'MaximumMessageSize',
    });
    assert.deepEqual(pairs(assertResult(r, 'GetQueueAttributes'), 'Attribute'), {
      VisibilityTimeout: '77',
      MaximumMessageSize: '2048',
    });
    // Unknown attribute names are the service's error, in XML.
    assertXmlError(
      await post('SetQueueAttributes', { QueueUrl: url, 'Attribute.1.Name': 'Bogus', 'Attribute.1.Value': '1' }),
      { status: 400, code: 'InvalidAttributeName' },
    );
  });

  test('SendMessage and ReceiveMessage: attributes, MD5s, and the &quot; / &#xD; escaping', async () => {
    const url = await createQueue(uniq('q-msg'));
    const body = 'he said "hi" & <left>\r\nline two\rend \u00e9\u{1F600}';
    const sent = await sendBody(url, body, {
      'MessageAttribute.1.Name': 'SOME_Valid.attribute-Name',
      'MessageAttribute.1.Value.DataType': 'Number',
      'MessageAttribute.1.Value.StringValue': '1493147359900',
    });
    assert.match(text(sent, 'MessageId') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(text(sent, 'MD5OfMessageBody'), md5(body));
    // AWS's test vector: the attribute arrived exactly as sent.
    assert.equal(text(sent, 'MD5OfMessageAttributes'), '36655e7e9d7c0e8479fa3f3f42247ae7');

    const attributes = {
      s: { DataType: 'String', StringValue: 'quote " and \r cr' },
      n: { DataType: 'Number.int', StringValue: '-12.5' },
      b: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 250, 251]).toString('base64') },
    };
    const second = await sendBody(url, 'second', {
      'MessageAttribute.1.Name': 's',
      'MessageAttribute.1.Value.DataType': attributes.s.DataType,
      'MessageAttribute.1.Value.StringValue': attributes.s.StringValue,
      'MessageAttribute.2.Name': 'n',
      'MessageAttribute.2.Value.DataType': attributes.n.DataType,
      'MessageAttribute.2.Value.StringValue': attributes.n.StringValue,
      'MessageAttribute.3.Name': 'b',
      'MessageAttribute.3.Value.DataType': attributes.b.DataType,
      'MessageAttribute.3.Value.BinaryValue': attributes.b.BinaryValue,
      'MessageSystemAttribute.1.Name': 'AWSTraceHeader',
      'MessageSystemAttribute.1.Value.DataType': 'String',
      'MessageSystemAttribute.1.Value.StringValue': 'Root=1-5759e988-bd862e3fe1be46a994272793',
      DelaySeconds: '0',
    });
    assert.equal(text(second, 'MD5OfMessageAttributes'), md5OfMessageAttributes(attributes));
    assert.ok(text(second, 'MD5OfMessageSystemAttributes'));

    const messages = await receive(url, {
      'AttributeName.1': 'All',
      'MessageAttributeName.1': 'All',
      'MessageSystemAttributeName.1': 'AWSTraceHeader',
    });
    assert.equal(messages.length, 2);
    const first = messages.find((m) => text(m, 'Body') === body);
    assert.ok(first, `body did not round-trip: ${messages.join('\n')}`);
    assert.match(first, /<Body>he said &quot;hi&quot; &amp; &lt;left&gt;&#xD;\nline two&#xD;end/);
    assert.equal(text(first, 'MD5OfBody'), md5(body));
    assert.ok(text(first, 'ReceiptHandle'));
    const sys = pairs(first, 'Attribute');
    assert.equal(sys.ApproximateReceiveCount, '1');
    assert.match(sys.SentTimestamp ?? '', /^\d{13}$/);
    assert.equal(text(first, 'MD5OfMessageAttributes'), '36655e7e9d7c0e8479fa3f3f42247ae7');
    const [numberAttr] = elements(first, 'MessageAttribute');
    assert.equal(
      numberAttr,
      '<Name>SOME_Valid.attribute-Name</Name><Value><StringValue>1493147359900</StringValue><DataType>Number</DataType></Value>',
    );

    const other = messages.find((m) => text(m, 'Body') === 'second');
    assert.ok(other);
    assert.equal(text(other, 'MD5OfMessageAttributes'), md5OfMessageAttributes(attributes));
    assert.equal(pairs(other, 'Attribute').AWSTraceHeader, 'Root=1-5759e988-bd862e3fe1be46a994272793');
    const got = Object.fromEntries(
      elements(other, 'MessageAttribute').map((entry) => {
        const value = elements(entry, 'Value')[0] ?? '';
        const item: Record<string, string> = { DataType: text(value, 'DataType') ?? '' };
        const sv = text(value, 'StringValue');
        const bv = text(value, 'BinaryValue');
        if (sv !== undefined) item.StringValue = sv;
        if (bv !== undefined) item.BinaryValue = bv;
        return [text(entry, 'Name'), item];
      }),
    );
    assert.deepEqual(got, attributes);
    assert.match(other, /<StringValue>quote &quot; and &#xD; cr<\/StringValue>/);

    // Nothing left: an empty Result element.
    const empty = await post('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 0 });
    assert.equal(assertResult(empty, 'ReceiveMessage'), '');
    assert.match(empty.xml, /<ReceiveMessageResult\/>/);
  });

  test('ChangeMessageVisibility and DeleteMessage have no Result element', async () => {
    const url = await createQueue(uniq('q-del'));
    await sendBody(url, 'one');
    const [message] = await receive(url, { VisibilityTimeout: 30 });
    assert.ok(message);
    const handle = text(message, 'ReceiptHandle') ?? '';
    assertResult(
      await post('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 0 }),
      'ChangeMessageVisibility',
      false,
    );
    const [again] = await receive(url);
    assert.ok(again, 'visible again after ChangeMessageVisibility 0');
    assert.equal(pairs(again, 'Attribute').ApproximateReceiveCount, undefined);
    assertResult(
      await post('DeleteMessage', { QueueUrl: url, ReceiptHandle: text(again, 'ReceiptHandle') ?? '' }),
      'DeleteMessage',
      false,
    );
    const attrs = pairs(
      assertResult(
        await post('GetQueueAttributes', {
          QueueUrl: url,
          'AttributeName.1': 'ApproximateNumberOfMessages',
          'AttributeName.2': 'ApproximateNumberOfMessagesNotVisible',
        }),
        'GetQueueAttributes',
      ),
      'Attribute',
    );
    assert.deepEqual(attrs, { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    assertXmlError(await post('DeleteMessage', { QueueUrl: url, ReceiptHandle: 'garbage' }), {
      status: 404,
      code: 'ReceiptHandleIsInvalid',
    });
  });

  test('SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch: result and error entries', async () => {
    const url = await createQueue(uniq('q-batch'));
    const sent = assertResult(
      await post('SendMessageBatch', {
        QueueUrl: url,
        'SendMessageBatchRequestEntry.1.Id': 'a',
        'SendMessageBatchRequestEntry.1.MessageBody': 'body a',
        'SendMessageBatchRequestEntry.1.MessageAttribute.1.Name': 'k',
        'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType': 'String',
        'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue': 'v',
        'SendMessageBatchRequestEntry.2.Id': 'b',
        'SendMessageBatchRequestEntry.2.MessageBody': 'body b',
        'SendMessageBatchRequestEntry.2.DelaySeconds': '0',
        'SendMessageBatchRequestEntry.3.Id': 'bad',
        'SendMessageBatchRequestEntry.3.MessageBody': 'body c',
        'SendMessageBatchRequestEntry.3.DelaySeconds': '100000',
      }),
      'SendMessageBatch',
    );
    const ok = elements(sent, 'SendMessageBatchResultEntry');
    assert.deepEqual(ok.map((e) => text(e, 'Id')).sort(), ['a', 'b']);
    const a = ok.find((e) => text(e, 'Id') === 'a') ?? '';
    assert.equal(text(a, 'MD5OfMessageBody'), md5('body a'));
    assert.equal(
      text(a, 'MD5OfMessageAttributes'),
      md5OfMessageAttributes({ k: { DataType: 'String', StringValue: 'v' } }),
    );
    assert.match(text(a, 'MessageId') ?? '', /^[0-9a-f-]{36}$/);
    const [failed] = elements(sent, 'BatchResultErrorEntry');
    assert.ok(failed, sent);
    assert.equal(text(failed, 'Id'), 'bad');
    assert.equal(text(failed, 'SenderFault'), 'true');
    assert.equal(text(failed, 'Code'), 'InvalidParameterValue');
    assert.ok(text(failed, 'Message'));
    assert.match(failed, /^<Id>bad<\/Id><SenderFault>true<\/SenderFault><Code>[^<]+<\/Code><Message>/);

    const messages = await receive(url, { VisibilityTimeout: 60 });
    assert.equal(messages.length, 2);
    const [h1, h2] = messages.map((m) => text(m, 'ReceiptHandle') ?? '');

    const changed = assertResult(
      await post('ChangeMessageVisibilityBatch', {
        QueueUrl: url,
        'ChangeMessageVisibilityBatchRequestEntry.1.Id': 'x',
        'ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle': h1 ?? '',
        'ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout': '120',
        'ChangeMessageVisibilityBatchRequestEntry.2.Id': 'y',
        'ChangeMessageVisibilityBatchRequestEntry.2.ReceiptHandle': 'not-a-handle',
        'ChangeMessageVisibilityBatchRequestEntry.2.VisibilityTimeout': '120',
      }),
      'ChangeMessageVisibilityBatch',
    );
    assert.deepEqual(elements(changed, 'ChangeMessageVisibilityBatchResultEntry'), ['<Id>x</Id>']);
    const [changeFailed] = elements(changed, 'BatchResultErrorEntry');
    assert.equal(text(changeFailed ?? '', 'Id'), 'y');
    assert.equal(text(changeFailed ?? '', 'Code'), 'ReceiptHandleIsInvalid');
    assert.equal(text(changeFailed ?? '', 'SenderFault'), 'true');

    const deleted = await post('DeleteMessageBatch', {
      QueueUrl: url,
      'DeleteMessageBatchRequestEntry.1.Id': 'd1',
      'DeleteMessageBatchRequestEntry.1.ReceiptHandle': h1 ?? '',
      'DeleteMessageBatchRequestEntry.2.Id': 'd2',
      'DeleteMessageBatchRequestEntry.2.ReceiptHandle': h2 ?? '',
    });
    const result = assertResult(deleted, 'DeleteMessageBatch');
    assert.deepEqual(elements(result, 'DeleteMessageBatchResultEntry'), ['<Id>d1</Id>', '<Id>d2</Id>']);
    assert.deepEqual(elements(result, 'BatchResultErrorEntry'), []);

    // Envelope errors are whole-request XML errors.
    assertXmlError(await post('DeleteMessageBatch', { QueueUrl: url }), {
      status: 400,
      code: 'AWS.SimpleQueueService.EmptyBatchRequest',
    });
    assertXmlError(
      await post('SendMessageBatch', {
        QueueUrl: url,
        'SendMessageBatchRequestEntry.1.Id': 'same',
        'SendMessageBatchRequestEntry.1.MessageBody': 'x',
        'SendMessageBatchRequestEntry.2.Id': 'same',
        'SendMessageBatchRequestEntry.2.MessageBody': 'y',
      }),
      { status: 400, code: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct' },
    );
    assertXmlError(
      await post('ChangeMessageVisibilityBatch', {
        QueueUrl: url,
        'ChangeMessageVisibilityBatchRequestEntry.1.Id': 'x',
        'ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle': 'h',
        'ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout': 'soon',
      }),
      {
        status: 400,
        code: 'InvalidParameterValue',
        message: /ChangeMessageVisibilityBatchRequestEntry\.1\.VisibilityTimeout/,
      },
    );
  });

  test('list items are taken in numeric index order', async () => {
    const url = await createQueue(uniq('q-order'));
    const r = await post('SendMessageBatch', [
      ['QueueUrl', url],
      ['SendMessageBatchRequestEntry.10.Id', 'ten'],
      ['SendMessageBatchRequestEntry.10.MessageBody', 'x'],
      ['SendMessageBatchRequestEntry.2.Id', 'two'],
      ['SendMessageBatchRequestEntry.2.MessageBody', 'x'],
      ['SendMessageBatchRequestEntry.1.Id', 'one'],
      ['SendMessageBatchRequestEntry.1.MessageBody', 'x'],
    ]);
    const ids = elements(assertResult(r, 'SendMessageBatch'), 'SendMessageBatchResultEntry').map((e) => text(e, 'Id'));
    assert.deepEqual(ids, ['one', 'two', 'ten']);
  });

  test('TagQueue, UntagQueue and ListQueueTags', async () => {
    const url = await createQueue(uniq('q-tags'));
    assertResult(
      await post('TagQueue', {
        QueueUrl: url,
        'Tag.1.Key': 'a',
        'Tag.1.Value': '1',
        'Tag.2.Key': 'b',
        'Tag.2.Value': '',
        'Tag.3.Key': 'c',
        'Tag.3.Value': '3',
      }),
      'TagQueue',
      false,
    );
    assertResult(await post('UntagQueue', { QueueUrl: url, 'TagKey.1': 'c' }), 'UntagQueue', false);
    const listed = assertResult(await post('ListQueueTags', { QueueUrl: url }), 'ListQueueTags');
    assert.deepEqual(pairs(listed, 'Tag', 'Key'), { a: '1', b: '' });
    assertResult(await post('UntagQueue', { QueueUrl: url, 'TagKey.1': 'a', 'TagKey.2': 'b' }), 'UntagQueue', false);
    const empty = await post('ListQueueTags', { QueueUrl: url });
    assert.equal(assertResult(empty, 'ListQueueTags'), '');
    assert.match(empty.xml, /<ListQueueTagsResult\/>/);
  });

  test('PurgeQueue, ListDeadLetterSourceQueues and DeleteQueue', async () => {
    const dlqName = uniq('q-dlq');
    const dlq = await createQueue(dlqName);
    const source = await createQueue(uniq('q-source'), {
      'Attribute.1.Name': 'RedrivePolicy',
      'Attribute.1.Value': JSON.stringify({
        deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${dlqName}`,
        maxReceiveCount: 3,
      }),
    });
    const sources = assertResult(
      await post('ListDeadLetterSourceQueues', { QueueUrl: dlq }),
      'ListDeadLetterSourceQueues',
    );
    assert.deepEqual(elements(sources, 'QueueUrl').map(unescapeXml), [source]);
    const none = await post('ListDeadLetterSourceQueues', { QueueUrl: source });
    assert.equal(assertResult(none, 'ListDeadLetterSourceQueues'), '');

    await sendBody(source, 'to purge');
    assertResult(await post('PurgeQueue', { QueueUrl: source }), 'PurgeQueue', false);
    assert.deepEqual(await receive(source), []);

    assertResult(await post('DeleteQueue', { QueueUrl: source }), 'DeleteQueue', false);
    assertXmlError(await post('GetQueueAttributes', { QueueUrl: source, 'AttributeName.1': 'All' }), {
      status: 400,
      code: 'AWS.SimpleQueueService.NonExistentQueue',
      message: /^The specified queue does not exist for this wsdl version\.$/,
    });
  });

  test('a queue addressed by the request path (Java SDK v1 style) and query-string parameters', async () => {
    const name = uniq('q-path');
    const url = await createQueue(name);
    const path = `/${ACCOUNT}/${name}`;
    const sent = assertResult(await post('SendMessage', { MessageBody: 'via path' }, path), 'SendMessage');
    assert.equal(text(sent, 'MD5OfMessageBody'), md5('via path'));
    const attrs = assertResult(
      await post('GetQueueAttributes', { 'AttributeName.1': 'QueueArn' }, path),
      'GetQueueAttributes',
    );
    assert.deepEqual(pairs(attrs, 'Attribute'), { QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}` });
    // An explicit QueueUrl wins over the path.
    const other = await createQueue(uniq('q-path-other'));
    await sendBody(other, 'x');
    const counted = assertResult(
      await post('GetQueueAttributes', { QueueUrl: other, 'AttributeName.1': 'ApproximateNumberOfMessages' }, path),
      'GetQueueAttributes',
    );
    assert.equal(pairs(counted, 'Attribute').ApproximateNumberOfMessages, '1');
    // Action in the query string, members in the body.
    const mixed = await fetchXml(`/?Action=GetQueueUrl&Version=2012-11-05`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formBody({ QueueName: name }),
    });
    assert.equal(text(assertResult(mixed, 'GetQueueUrl'), 'QueueUrl'), url);
    // A GET naming a missing queue by path.
    const missing = await fetchXml(`/${ACCOUNT}/${uniq('nope')}?Action=GetQueueAttributes&AttributeName.1=All`, {
      method: 'GET',
    });
    assertXmlError(missing, { status: 400, code: 'AWS.SimpleQueueService.NonExistentQueue' });
  });

  test('a member named __proto__ stays data', async () => {
    const url = await createQueue(uniq('q-proto'));
    const sent = await sendBody(url, 'x', {
      'MessageAttribute.1.Name': '__proto__',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'v',
    });
    assert.ok(text(sent, 'MD5OfMessageAttributes'), `attribute dropped: ${sent}`);
    const [message] = await receive(url, { 'MessageAttributeName.1': 'All' });
    assert.ok(message);
    assert.deepEqual(
      elements(message, 'MessageAttribute').map((e) => text(e, 'Name')),
      ['__proto__'],
    );
    assertXmlError(
      await post('CreateQueue', {
        QueueName: uniq('q-proto-attr'),
        'Attribute.1.Name': '__proto__',
        'Attribute.1.Value': '1',
      }),
      { status: 400, code: 'InvalidAttributeName' },
    );
  });

  test('errors: actions, missing and malformed parameters, service errors', async () => {
    assertXmlError(await post('NoSuchAction'), { status: 400, code: 'InvalidAction', message: /NoSuchAction/ });
    assertXmlError(await get('toString'), { status: 400, code: 'InvalidAction' });
    assertXmlError(await get('__proto__'), { status: 400, code: 'InvalidAction' });
    // An error message echoing a character XML cannot carry stays a well-formed document.
    const control = await get('Bad\u0001\uD800Action');
    assertXmlError(control, {
      status: 400,
      code: 'InvalidAction',
      message: /^The action Bad\uFFFD\uFFFDAction is not valid/,
    });
    assert.doesNotMatch(control.xml, /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    const noAction = await fetchXml('/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Version=2012-11-05&QueueName=x',
    });
    assertXmlError(noAction, { status: 400, code: 'InvalidAction', message: /Action/ });
    const emptyPost = await fetchXml('/', { method: 'POST' });
    assertXmlError(emptyPost, { status: 400, code: 'InvalidAction', message: /Action/ });

    const url = await createQueue(uniq('q-errors'));
    for (const [field, value] of [
      ['DelaySeconds', '1.5'],
      ['DelaySeconds', 'ten'],
      ['DelaySeconds', ''],
      ['DelaySeconds', '99999999999999999999'],
    ] as const) {
      assertXmlError(
        await post('SendMessage', { QueueUrl: url, MessageBody: 'x', [field]: value }),
        { status: 400, code: 'InvalidParameterValue', message: new RegExp(`parameter ${field}\\b`) },
        `${field}=${value}`,
      );
    }
    for (const field of ['MaxNumberOfMessages', 'VisibilityTimeout', 'WaitTimeSeconds']) {
      assertXmlError(
        await post('ReceiveMessage', { QueueUrl: url, [field]: 'x' }),
        { status: 400, code: 'InvalidParameterValue', message: new RegExp(`parameter ${field}\\b`) },
        field,
      );
    }
    assertXmlError(await post('ListQueues', { MaxResults: 'many' }), {
      status: 400,
      code: 'InvalidParameterValue',
      message: /MaxResults/,
    });
    // Out of range is the service's call, with the service's message.
    assertXmlError(await post('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 11 }), {
      status: 400,
      code: 'InvalidParameterValue',
    });
    assertXmlError(await post('SendMessage', { QueueUrl: url }), {
      status: 400,
      code: 'MissingParameter',
      message: /MessageBody/,
    });
    assertXmlError(await post('SendMessage', { MessageBody: 'x' }), {
      status: 400,
      code: 'MissingParameter',
      message: /QueueUrl/,
    });
    assertXmlError(await post('CreateQueue', { 'Attribute.1.Value': '1', QueueName: uniq('q-no-name') }), {
      status: 400,
      code: 'MissingParameter',
      message: /Attribute\.1\.Name/,
    });
    assertXmlError(await post('GetQueueUrl', { QueueName: uniq('nope') }), {
      status: 400,
      code: 'AWS.SimpleQueueService.NonExistentQueue',
      message: /for this wsdl version/,
    });
    assertXmlError(await post('CreateQueue', { QueueName: 'bad name!' }), {
      status: 400,
      code: 'InvalidParameterValue',
    });
    assertXmlError(
      await post('CreateQueue', {
        QueueName: uniq('q-errors'),
        'Attribute.1.Name': 'VisibilityTimeout',
        'Attribute.1.Value': '9999999',
      }),
      { status: 400, code: 'InvalidAttributeValue' },
    );
    assertXmlError(
      await post('AddPermission', { QueueUrl: url, Label: 'l', 'AWSAccountId.1': '1', 'ActionName.1': '*' }),
      { status: 400, code: 'InvalidParameterValue' },
    );
    assertResult(
      await post('AddPermission', { QueueUrl: url, Label: 'l', 'AWSAccountId.1': '111111111111', 'ActionName.1': '*' }),
      'AddPermission',
      false,
    );
    assertResult(await post('RemovePermission', { QueueUrl: url, Label: 'l' }), 'RemovePermission', false);
  });

  test('StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask', async () => {
    const dlqName = uniq('q-move-dlq');
    const dlq = await createQueue(dlqName);
    const dlqArn = `arn:aws:sqs:us-east-1:${ACCOUNT}:${dlqName}`;
    await createQueue(uniq('q-move-source'), {
      'Attribute.1.Name': 'RedrivePolicy',
      'Attribute.1.Value': JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
    });
    for (const body of ['m1', 'm2', 'm3', 'm4', 'm5']) await sendBody(dlq, body);

    const started = assertResult(
      await post('StartMessageMoveTask', { SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 }),
      'StartMessageMoveTask',
    );
    const handle = text(started, 'TaskHandle');
    assert.ok(handle, started);

    const listed = assertResult(
      await post('ListMessageMoveTasks', { SourceArn: dlqArn, MaxResults: 10 }),
      'ListMessageMoveTasks',
    );
    const [entry] = elements(listed, 'ListMessageMoveTasksResultEntry');
    assert.ok(entry, listed);
    assert.equal(elements(listed, 'ListMessageMoveTasksResultEntry').length, 1);
    assert.equal(text(entry, 'TaskHandle'), handle);
    assert.equal(text(entry, 'Status'), 'RUNNING');
    assert.equal(text(entry, 'SourceArn'), dlqArn);
    assert.equal(text(entry, 'MaxNumberOfMessagesPerSecond'), '1');
    assert.match(text(entry, 'ApproximateNumberOfMessagesMoved') ?? '', /^\d+$/);
    assert.match(text(entry, 'ApproximateNumberOfMessagesToMove') ?? '', /^\d+$/);
    assert.match(text(entry, 'StartedTimestamp') ?? '', /^\d{13}$/);

    const cancelled = assertResult(
      await post('CancelMessageMoveTask', { TaskHandle: handle }),
      'CancelMessageMoveTask',
    );
    assert.match(text(cancelled, 'ApproximateNumberOfMessagesMoved') ?? '', /^\d+$/);
    const after = assertResult(await post('ListMessageMoveTasks', { SourceArn: dlqArn }), 'ListMessageMoveTasks');
    assert.equal(text(after, 'Status'), 'CANCELLED');
    assert.equal(text(after, 'TaskHandle'), undefined);

    assertXmlError(await post('StartMessageMoveTask', { SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 'fast' }), {
      status: 400,
      code: 'InvalidParameterValue',
      message: /MaxNumberOfMessagesPerSecond/,
    });
    assertXmlError(await post('ListMessageMoveTasks', { SourceArn: dlqArn, MaxResults: '1e3' }), {
      status: 400,
      code: 'InvalidParameterValue',
      message: /MaxResults/,
    });
    assertXmlError(
      await post('StartMessageMoveTask', { SourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${uniq('nope')}` }),
      { status: 404, code: 'ResourceNotFoundException' },
    );
    assertXmlError(await post('CancelMessageMoveTask', { TaskHandle: handle }), {
      status: 404,
      code: 'ResourceNotFoundException',
    });
    assertXmlError(await post('StartMessageMoveTask', {}), { status: 400, code: 'MissingParameter' });
  });

  test('an oversized form body is refused with an XML error', async () => {
    const url = await createQueue(uniq('q-huge'));
    const r = await post('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(9 * 1024 * 1024) });
    assertXmlError(r, { status: 413, code: 'RequestEntityTooLarge' });
  });
});

// ---- Debian's AWS CLI 2.9 (Query protocol) ---------------------------------------------------------

const haveCli = existsSync(AWS_CLI);
const aws = (...args: string[]) => runAwsCli(t.server.url, ['sqs', ...args]);
const awsJson = (...args: string[]) => awsCliJson(t.server.url, ['sqs', ...args]);

interface CliMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
}

describe('AWS CLI 2.9 (/usr/bin/aws, Query protocol) end to end', {
  skip: haveCli ? false : `${AWS_CLI} is not installed (apt-get install awscli); the CLI tests are skipped`,
}, () => {
  const name = uniq('cli-main');
  const dlqName = uniq('cli-dlq');
  let url = '';
  let dlqUrl = '';

  test('is the Query-speaking CLI', async () => {
    const r = await aws('list-queues', '--debug');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /aws-cli\/2\.\d+/);
    assert.match(r.stderr, /x-www-form-urlencoded/, 'this aws does not speak the Query protocol');
    assert.match(r.stderr, /'Action': 'ListQueues'/);
  });

  test('create-queue with --attributes and --tags; get-queue-url; list-queues with a prefix', async () => {
    const created = await awsJson(
      'create-queue',
      '--queue-name',
      name,
      '--attributes',
      JSON.stringify({ VisibilityTimeout: '30', MessageRetentionPeriod: '3600' }),
      '--tags',
      JSON.stringify({ team: 'core', env: 'test' }),
    );
    url = String(created.QueueUrl);
    assert.equal(url, `${t.server.url}/${ACCOUNT}/${name}`);
    dlqUrl = String((await awsJson('create-queue', '--queue-name', dlqName)).QueueUrl);

    assert.deepEqual(await awsJson('get-queue-url', '--queue-name', name), { QueueUrl: url });
    const listed = await awsJson('list-queues', '--queue-name-prefix', 'cli-');
    assert.deepEqual((listed.QueueUrls as string[]).sort(), [url, dlqUrl].sort());
    const none = await awsJson('list-queues', '--queue-name-prefix', 'no-such-prefix');
    assert.equal(none.QueueUrls, undefined);
  });

  test('get-queue-attributes --attribute-names All; set-queue-attributes', async () => {
    const all = (await awsJson('get-queue-attributes', '--queue-url', url, '--attribute-names', 'All'))
      .Attributes as Record<string, string>;
    assert.equal(all.VisibilityTimeout, '30');
    assert.equal(all.MessageRetentionPeriod, '3600');
    assert.equal(all.QueueArn, `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`);
    assert.equal(all.ApproximateNumberOfMessages, '0');

    const set = await aws(
      'set-queue-attributes',
      '--queue-url',
      url,
      '--attributes',
      JSON.stringify({
        VisibilityTimeout: '45',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${dlqName}`,
          maxReceiveCount: 5,
        }),
      }),
    );
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.trim(), '');
    const some = await awsJson(
      'get-queue-attributes',
      '--queue-url',
      url,
      '--attribute-names',
      'VisibilityTimeout',
      'RedrivePolicy',
    );
    const attrs = some.Attributes as Record<string, string>;
    assert.equal(attrs.VisibilityTimeout, '45');
    assert.deepEqual(JSON.parse(attrs.RedrivePolicy ?? '{}'), {
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${dlqName}`,
      maxReceiveCount: 5,
    });
  });

  const body = 'CLI says "hello" & <goodbye>\r\nsecond line \u00fcml\u00e4ut';
  const binary = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]).toString('base64');
  const attributes = {
    text: { DataType: 'String', StringValue: 'a "quoted" value' },
    count: { DataType: 'Number', StringValue: '42' },
    blob: { DataType: 'Binary', BinaryValue: binary },
  };
  let sentId = '';

  test('send-message with String, Number and Binary attributes; send-message-batch', async () => {
    const sent = await awsJson(
      'send-message',
      '--queue-url',
      url,
      '--message-body',
      body,
      '--message-attributes',
      JSON.stringify(attributes),
    );
    sentId = String(sent.MessageId);
    assert.match(sentId, /^[0-9a-f-]{36}$/);
    assert.equal(sent.MD5OfMessageBody, md5(body));
    assert.equal(sent.MD5OfMessageAttributes, md5OfMessageAttributes(attributes));

    const batch = await awsJson(
      'send-message-batch',
      '--queue-url',
      url,
      '--entries',
      JSON.stringify([
        { Id: 'b1', MessageBody: 'batch one' },
        { Id: 'b2', MessageBody: 'batch two', DelaySeconds: 0 },
        {
          Id: 'b3',
          MessageBody: 'batch three',
          MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
        },
      ]),
    );
    const ok = batch.Successful as { Id: string; MD5OfMessageBody: string; MD5OfMessageAttributes?: string }[];
    assert.deepEqual(ok.map((e) => e.Id).sort(), ['b1', 'b2', 'b3']);
    assert.equal(ok.find((e) => e.Id === 'b2')?.MD5OfMessageBody, md5('batch two'));
    assert.equal(
      ok.find((e) => e.Id === 'b3')?.MD5OfMessageAttributes,
      md5OfMessageAttributes({ k: { DataType: 'String', StringValue: 'v' } }),
    );
    assert.equal(batch.Failed, undefined);
  });

  const received: CliMessage[] = [];

  test('receive-message --attribute-names All --message-attribute-names All', async () => {
    for (let attempt = 0; attempt < 5 && received.length < 4; attempt++) {
      const r = await awsJson(
        'receive-message',
        '--queue-url',
        url,
        '--attribute-names',
        'All',
        '--message-attribute-names',
        'All',
        '--max-number-of-messages',
        '10',
        '--visibility-timeout',
        '60',
      );
      received.push(...((r.Messages as CliMessage[] | undefined) ?? []));
    }
    assert.equal(received.length, 4);
    const first = received.find((m) => m.MessageId === sentId);
    assert.ok(first, JSON.stringify(received));
    assert.equal(first.Body, body);
    assert.equal(first.MD5OfBody, md5(body));
    assert.equal(first.MD5OfMessageAttributes, md5OfMessageAttributes(attributes));
    assert.deepEqual(first.MessageAttributes, attributes);
    assert.equal(first.Attributes?.ApproximateReceiveCount, '1');
    assert.equal(first.Attributes?.SenderId, 'AKIDCLITEST');
    assert.match(first.Attributes?.SentTimestamp ?? '', /^\d{13}$/);
    assert.match(first.Attributes?.ApproximateFirstReceiveTimestamp ?? '', /^\d{13}$/);
    for (const m of received) assert.equal(m.MD5OfBody, md5(m.Body));
  });

  test('change-message-visibility, delete-message, delete-message-batch, change-message-visibility-batch', async () => {
    const [m1, m2, m3, m4] = received;
    assert.ok(m1 && m2 && m3 && m4);
    const changed = await aws(
      'change-message-visibility',
      '--queue-url',
      url,
      '--receipt-handle',
      m1.ReceiptHandle,
      '--visibility-timeout',
      '0',
    );
    assert.equal(changed.code, 0, changed.stderr);
    const again = await awsJson('receive-message', '--queue-url', url, '--attribute-names', 'ApproximateReceiveCount');
    const [m1again] = again.Messages as CliMessage[];
    assert.equal(m1again?.MessageId, m1.MessageId);
    assert.equal(m1again?.Attributes?.ApproximateReceiveCount, '2');

    const deleted = await aws('delete-message', '--queue-url', url, '--receipt-handle', m1again.ReceiptHandle);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout.trim(), '');

    const visibility = await awsJson(
      'change-message-visibility-batch',
      '--queue-url',
      url,
      '--entries',
      JSON.stringify([
        { Id: 'v1', ReceiptHandle: m2.ReceiptHandle, VisibilityTimeout: 120 },
        { Id: 'v2', ReceiptHandle: 'bogus-handle', VisibilityTimeout: 120 },
      ]),
    );
    assert.deepEqual(visibility.Successful, [{ Id: 'v1' }]);
    const [vFailed] = visibility.Failed as { Id: string; SenderFault: boolean; Code: string }[];
    assert.equal(vFailed?.Id, 'v2');
    assert.equal(vFailed?.SenderFault, true);
    assert.equal(vFailed?.Code, 'ReceiptHandleIsInvalid');

    const batch = await awsJson(
      'delete-message-batch',
      '--queue-url',
      url,
      '--entries',
      JSON.stringify([
        { Id: 'd2', ReceiptHandle: m2.ReceiptHandle },
        { Id: 'd3', ReceiptHandle: m3.ReceiptHandle },
        { Id: 'bad', ReceiptHandle: 'bogus-handle' },
      ]),
    );
    assert.deepEqual(
      (batch.Successful as { Id: string }[]).map((e) => e.Id),
      ['d2', 'd3'],
    );
    const [failed] = batch.Failed as { Id: string; SenderFault: boolean; Code: string; Message: string }[];
    assert.equal(failed?.Id, 'bad');
    assert.equal(failed?.SenderFault, true);
    assert.equal(failed?.Code, 'ReceiptHandleIsInvalid');
    assert.ok(failed?.Message);
  });

  test('tag-queue, untag-queue, list-queue-tags', async () => {
    const tagged = await aws('tag-queue', '--queue-url', url, '--tags', JSON.stringify({ owner: 'me', env: 'prod' }));
    assert.equal(tagged.code, 0, tagged.stderr);
    const untagged = await aws('untag-queue', '--queue-url', url, '--tag-keys', 'team');
    assert.equal(untagged.code, 0, untagged.stderr);
    assert.deepEqual(await awsJson('list-queue-tags', '--queue-url', url), { Tags: { env: 'prod', owner: 'me' } });
  });

  test('purge-queue; list-dead-letter-source-queues', async () => {
    const purged = await aws('purge-queue', '--queue-url', url);
    assert.equal(purged.code, 0, purged.stderr);
    const counts = (
      await awsJson(
        'get-queue-attributes',
        '--queue-url',
        url,
        '--attribute-names',
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
      )
    ).Attributes;
    assert.deepEqual(counts, { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    assert.deepEqual(await awsJson('list-dead-letter-source-queues', '--queue-url', dlqUrl), { queueUrls: [url] });
  });

  test('delete-queue; a missing queue is AWS.SimpleQueueService.NonExistentQueue', async () => {
    const deleted = await aws('delete-queue', '--queue-url', url);
    assert.equal(deleted.code, 0, deleted.stderr);
    const missing = await aws('get-queue-url', '--queue-name', name);
    assert.ok(missing.code === 254 || missing.code === 255, `exit code ${missing.code}`);
    assert.match(missing.stderr, /AWS\.SimpleQueueService\.NonExistentQueue/);
    assert.match(missing.stderr, /GetQueueUrl operation: The specified queue does not exist for this wsdl version\./);
    const send = await aws('send-message', '--queue-url', url, '--message-body', 'x');
    assert.ok(send.code === 254 || send.code === 255, `exit code ${send.code}`);
    assert.match(send.stderr, /\(AWS\.SimpleQueueService\.NonExistentQueue\) when calling the SendMessage operation/);
    const dlqDeleted = await aws('delete-queue', '--queue-url', dlqUrl);
    assert.equal(dlqDeleted.code, 0, dlqDeleted.stderr);
  });

  test('other CLI errors come through with their Query codes', async () => {
    const bad = await aws('create-queue', '--queue-name', 'no spaces allowed');
    assert.ok(bad.code === 254 || bad.code === 255, `exit code ${bad.code}`);
    assert.match(bad.stderr, /\(InvalidParameterValue\) when calling the CreateQueue operation/);
    const q = String((await awsJson('create-queue', '--queue-name', uniq('cli-err'))).QueueUrl);
    const range = await aws('receive-message', '--queue-url', q, '--max-number-of-messages', '11');
    assert.ok(range.code === 254 || range.code === 255, `exit code ${range.code}`);
    assert.match(range.stderr, /\(InvalidParameterValue\) when calling the ReceiveMessage operation/);
    const handle = await aws('delete-message', '--queue-url', q, '--receipt-handle', 'nope');
    assert.ok(handle.code === 254 || handle.code === 255, `exit code ${handle.code}`);
    assert.match(handle.stderr, /\(ReceiptHandleIsInvalid\)/);
  });

  test('a FIFO queue: create, send with group and dedup ids, duplicates, ordered receive', async () => {
    const fifoName = `${uniq('cli-fifo')}.fifo`;
    const fifo = String(
      (
        await awsJson(
          'create-queue',
          '--queue-name',
          fifoName,
          '--attributes',
          JSON.stringify({ FifoQueue: 'true', ContentBasedDeduplication: 'false' }),
        )
      ).QueueUrl,
    );
    const attributes = (await awsJson('get-queue-attributes', '--queue-url', fifo, '--attribute-names', 'All'))
      .Attributes as Record<string, string>;
    assert.equal(attributes.FifoQueue, 'true');
    assert.equal(attributes.DeduplicationScope, 'queue');

    const send = (body: string, dedup: string) =>
      awsJson(
        'send-message',
        '--queue-url',
        fifo,
        '--message-body',
        body,
        '--message-group-id',
        'order-1',
        '--message-deduplication-id',
        dedup,
      );
    const first = await send('created', 'd1');
    const second = await send('paid', 'd2');
    assert.ok(BigInt(String(second.SequenceNumber)) > BigInt(String(first.SequenceNumber)));
    const duplicate = await send('created again', 'd1');
    assert.equal(duplicate.MessageId, first.MessageId);

    const missingGroup = await aws('send-message', '--queue-url', fifo, '--message-body', 'x');
    assert.ok(missingGroup.code === 254 || missingGroup.code === 255, `exit code ${missingGroup.code}`);
    assert.match(missingGroup.stderr, /\(MissingParameter\)/);

    const got = await awsJson(
      'receive-message',
      '--queue-url',
      fifo,
      '--max-number-of-messages',
      '10',
      '--attribute-names',
      'All',
    );
    const messages = got.Messages as CliMessage[];
    assert.deepEqual(
      messages.map((m) => m.Body),
      ['created', 'paid'],
    );
    assert.equal(messages[0]?.Attributes?.MessageGroupId, 'order-1');
    assert.equal(messages[0]?.Attributes?.MessageDeduplicationId, 'd1');
    assert.equal(messages[0]?.Attributes?.SequenceNumber, first.SequenceNumber);
  });
});
