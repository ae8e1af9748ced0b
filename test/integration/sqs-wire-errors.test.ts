// The AWS JSON 1.0 wire contract, checked with raw HTTP (no SDK): error bodies and headers, malformed
// requests, routing by queue path, the health endpoint, and that none of it takes the server down.
// Expected values are AWS's (see /work/shared/notes/sqs-protocol-and-peers.md §1.1).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { ACCOUNT } from '../helpers/account.js';
import { testServerForFile } from '../helpers/server.js';
import { sqsHelpers, uniq } from '../helpers/sqs.js';

const t = testServerForFile();

const { createQueue } = sqsHelpers(() => t.sqs);

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

/** Every raw response of this file, so the header contract can be checked on all of them at the end. */
const seen: { what: string; response: RawResponse }[] = [];

async function raw(
  what: string,
  init: { method?: string; path?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
): Promise<RawResponse> {
  const res = await fetch(`${t.server.url}${init.path ?? '/'}`, {
    method: init.method ?? 'POST',
    headers: init.headers,
    body: init.body,
    signal: init.signal,
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  const response = { status: res.status, headers: res.headers, text, json };
  seen.push({ what, response });
  return response;
}

/** An SQS JSON 1.0 call: `body` is serialised unless it is already a string. */
function call(action: string, body: unknown, path = '/'): Promise<RawResponse> {
  return raw(`${action} ${path}`, {
    path,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** No stack trace, source path or JavaScript error name leaks into a response body. */
function assertNoLeak(text: string, label: string): void {
  assert.doesNotMatch(text, /\n\s+at\s/, `${label}: stack trace in body`);
  assert.doesNotMatch(text, /\.(ts|js|mjs):\d+/, `${label}: source location in body`);
  assert.doesNotMatch(text, /node_modules|\/work\/|file:\/\//, `${label}: file path in body`);
  assert.doesNotMatch(text, /SyntaxError|TypeError|URIError|ZodError|ReferenceError/, `${label}: JS error in body`);
}

/** Asserts the query-compatible JSON error contract. */
function assertJsonError(
  r: RawResponse,
  expected: { type: string; queryCode: string; status?: number; fault?: 'Sender' | 'Receiver' },
  label: string,
): void {
  assert.equal(r.status, expected.status ?? 400, `${label}: status (body ${r.text})`);
  assert.match(r.headers.get('content-type') ?? '', /^application\/x-amz-json-1\.0/, `${label}: content-type`);
  assert.ok(r.json, `${label}: body is a JSON object: ${r.text}`);
  assert.equal(r.json.__type, expected.type, `${label}: __type`);
  assert.equal(typeof r.json.message, 'string', `${label}: message`);
  assert.ok((r.json.message as string).length > 0, `${label}: message is not empty`);
  assert.equal(
    r.headers.get('x-amzn-query-error'),
    `${expected.queryCode};${expected.fault ?? 'Sender'}`,
    `${label}: x-amzn-query-error`,
  );
  assertNoLeak(r.text, label);
}

describe('error responses', () => {
  test('QueueDoesNotExist has __type, message and x-amzn-query-error, status 400', async () => {
    const r = await call('GetQueueUrl', { QueueName: uniq('missing') });
    assertJsonError(
      r,
      { type: 'com.amazonaws.sqs#QueueDoesNotExist', queryCode: 'AWS.SimpleQueueService.NonExistentQueue' },
      'GetQueueUrl',
    );
    assert.equal(r.json?.message, 'The specified queue does not exist.');
    assert.equal(r.headers.get('x-amzn-query-error'), 'AWS.SimpleQueueService.NonExistentQueue;Sender');
  });

  test('every modelled error carries its own __type, query code and status', async () => {
    const name = uniq('errs');
    const url = await createQueue(name, { VisibilityTimeout: '30' });
    const deleted = uniq('errs-deleted');
    await call('DeleteQueue', { QueueUrl: await createQueue(deleted) });
    const sent = await call('SendMessage', { QueueUrl: url, MessageBody: 'x' });
    assert.equal(sent.status, 200);
    const received = await call('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 0 });
    const handle = (received.json?.Messages as { ReceiptHandle: string }[] | undefined)?.[0]?.ReceiptHandle;
    assert.ok(handle, 'a receipt handle');
    await call('PurgeQueue', { QueueUrl: await createQueue(`${name}-purged`) });

    const sqs = (shape: string, queryCode: string, status = 400) => ({
      type: `com.amazonaws.sqs#${shape}`,
      queryCode,
      status,
    });
    const cases: [string, string, unknown, ReturnType<typeof sqs>][] = [
      [
        'QueueNameExists',
        'CreateQueue',
        { QueueName: name, Attributes: { VisibilityTimeout: '31' } },
        sqs('QueueNameExists', 'QueueAlreadyExists'),
      ],
      [
        'QueueDeletedRecently',
        'CreateQueue',
        { QueueName: deleted },
        sqs('QueueDeletedRecently', 'AWS.SimpleQueueService.QueueDeletedRecently'),
      ],
      [
        'PurgeQueueInProgress',
        'PurgeQueue',
        { QueueUrl: `${url}-purged` },
        sqs('PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', 403),
      ],
      [
        'ReceiptHandleIsInvalid',
        'DeleteMessage',
        { QueueUrl: url, ReceiptHandle: 'garbage' },
        sqs('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', 404),
      ],
      [
        'MessageNotInflight',
        'ChangeMessageVisibility',
        { QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 5 },
        sqs('MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight'),
      ],
      [
        'EmptyBatchRequest',
        'SendMessageBatch',
        { QueueUrl: url, Entries: [] },
        sqs('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest'),
      ],
      [
        'TooManyEntriesInBatchRequest',
        'SendMessageBatch',
        { QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })) },
        sqs('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'),
      ],
      [
        'BatchEntryIdsNotDistinct',
        'DeleteMessageBatch',
        {
          QueueUrl: url,
          Entries: [
            { Id: 'a', ReceiptHandle: 'x' },
            { Id: 'a', ReceiptHandle: 'y' },
          ],
        },
        sqs('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'),
      ],
      [
        'InvalidBatchEntryId',
        'ChangeMessageVisibilityBatch',
        { QueueUrl: url, Entries: [{ Id: 'no spaces', ReceiptHandle: 'x', VisibilityTimeout: 0 }] },
        sqs('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId'),
      ],
      [
        'BatchRequestTooLong',
        'SendMessageBatch',
        {
          QueueUrl: url,
          Entries: [
            { Id: 'a', MessageBody: 'a'.repeat(600_000) },
            { Id: 'b', MessageBody: 'b'.repeat(600_000) },
          ],
        },
        sqs('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong'),
      ],
      [
        'InvalidAttributeName',
        'GetQueueAttributes',
        { QueueUrl: url, AttributeNames: ['Colour'] },
        sqs('InvalidAttributeName', 'InvalidAttributeName'),
      ],
      [
        'InvalidAttributeValue',
        'SetQueueAttributes',
        { QueueUrl: url, Attributes: { DelaySeconds: '901' } },
        sqs('InvalidAttributeValue', 'InvalidAttributeValue'),
      ],
      [
        'InvalidMessageContents',
        'SendMessage',
        { QueueUrl: url, MessageBody: 'nul\u0000' },
        sqs('InvalidMessageContents', 'InvalidMessageContents'),
      ],
      [
        'ResourceNotFoundException',
        'StartMessageMoveTask',
        { SourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}-missing` },
        sqs('ResourceNotFoundException', 'ResourceNotFoundException', 404),
      ],
    ];
    for (const [label, action, body, expected] of cases) {
      assertJsonError(await call(action, body), expected, label);
    }

    // Errors that are not modelled by SQS use the coral namespace, as AWS does.
    assertJsonError(
      await call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 11 }),
      {
        type: 'com.amazon.coral.service#InvalidParameterValueException',
        queryCode: 'InvalidParameterValue',
      },
      'InvalidParameterValue',
    );
    assertJsonError(
      await call('SendMessage', { QueueUrl: url }),
      { type: 'com.amazon.coral.service#MissingRequiredParameterException', queryCode: 'MissingParameter' },
      'MissingParameter',
    );
  });

  test('a malformed JSON body answers 400 with a clean JSON error', async () => {
    for (const body of ['{"QueueName": ', '{bad json}', 'QueueName=x', '\u0000\u0001\u0002']) {
      const r = await call('CreateQueue', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.ok(r.json, `${JSON.stringify(body)}: JSON error body, got ${r.text}`);
      assert.equal(typeof r.json.__type, 'string');
      assert.equal(typeof r.json.message, 'string');
      assert.match(r.headers.get('x-amzn-query-error') ?? '', /^[\w.]+;Sender$/);
      assertNoLeak(r.text, JSON.stringify(body));
    }
  });

  test('a JSON body that is not an object answers 400', async () => {
    for (const body of ['[]', '[{"QueueName":"x"}]', '"CreateQueue"', '42', 'null']) {
      const r = await call('CreateQueue', body);
      assert.equal(r.status, 400, `${body}: ${r.text}`);
      assert.ok(r.json?.__type, `${body}: JSON error`);
      assertNoLeak(r.text, body);
    }
    const list = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'x' }));
    assert.equal(list.QueueUrls, undefined, 'no queue was created from an array body');
  });

  test('members of the wrong type answer 400 InvalidParameterValue', async () => {
    const url = await createQueue(uniq('types'));
    const cases: [string, unknown][] = [
      ['CreateQueue', { QueueName: 5 }],
      ['CreateQueue', { QueueName: 'ok', Attributes: { VisibilityTimeout: 30 } }],
      ['CreateQueue', { QueueName: 'ok', Attributes: ['VisibilityTimeout'] }],
      ['ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 'x' }],
      ['ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 1.5 }],
      ['ReceiveMessage', { QueueUrl: url, AttributeNames: 'All' }],
      ['SendMessage', { QueueUrl: url, MessageBody: { text: 'x' } }],
      ['SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: 'plain' } }],
      ['SendMessage', { QueueUrl: 7, MessageBody: 'x' }],
      ['SendMessageBatch', { QueueUrl: url, Entries: { Id: 'a' } }],
      ['SendMessageBatch', { QueueUrl: url, Entries: [null] }],
      ['DeleteMessage', { QueueUrl: url, ReceiptHandle: ['x'] }],
      ['TagQueue', { QueueUrl: url, Tags: { a: 1 } }],
    ];
    for (const [action, body] of cases) {
      const label = `${action} ${JSON.stringify(body)}`;
      assertJsonError(
        await call(action, body),
        { type: 'com.amazon.coral.service#InvalidParameterValueException', queryCode: 'InvalidParameterValue' },
        label,
      );
    }
  });

  test('an unknown AmazonSQS action answers 400 with a JSON error', async () => {
    const r = await call('Foo', {});
    assert.equal(r.status, 400);
    assert.ok(r.json, r.text);
    assert.match(String(r.json.__type), /#(InvalidAction|UnknownOperationException)$/);
    assert.match(String(r.json.message), /Foo/);
    assert.match(r.headers.get('x-amzn-query-error') ?? '', /^InvalidAction;Sender$/);
    assertNoLeak(r.text, 'AmazonSQS.Foo');
    // A target of another service is refused the same way.
    const other = await raw('AWSEvents.PutEvents', {
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: '{}',
    });
    assert.equal(other.status, 400);
    assert.ok(other.json?.__type);
  });

  test('a Query-protocol request is answered in XML, errors included (see sqs-query.test.ts)', async () => {
    const r = await raw('Query ListQueues', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ListQueues&Version=2012-11-05',
    });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /<ListQueuesResponse /);
    const get = await raw('Query GET', { method: 'GET', path: '/?Action=ListQueues&Version=2012-11-05' });
    assert.equal(get.status, 200, get.text);
    assert.match(get.text, /<ListQueuesResponse /);
    const bad = await raw('Query Foo', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=Foo&Version=2012-11-05',
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<ErrorResponse /);
    assert.match(bad.text, /<Code>InvalidAction<\/Code>/);
    assertNoLeak(bad.text, 'Query Foo');
  });

  test('a QueueUrl with a malformed percent-escape is a client error, not a server error', async () => {
    const r = await call('SendMessage', { QueueUrl: `${t.server.url}/${ACCOUNT}/bad%E0%A4%A`, MessageBody: 'x' });
    assertNoLeak(r.text, 'malformed escape');
    assert.ok(r.status >= 400 && r.status < 500, `expected a 4xx answer, got ${r.status} ${r.text}`);
    assert.notEqual(r.headers.get('x-amzn-query-error'), 'InternalFailure;Receiver');
    // The same queue name in the request path.
    const byPath = await call('SendMessage', { MessageBody: 'x' }, `/${ACCOUNT}/bad%E0%A4%A`);
    assertNoLeak(byPath.text, 'malformed escape in path');
    assert.ok(
      byPath.status >= 400 && byPath.status < 500,
      `expected a 4xx answer, got ${byPath.status} ${byPath.text}`,
    );
  });

  test('a message attribute named __proto__ (a valid name) is kept like any other', async () => {
    const url = await createQueue(uniq('proto'));
    const attr = { DataType: 'String', StringValue: 'v' };
    const body = `{"QueueUrl":${JSON.stringify(url)},"MessageBody":"x","MessageAttributes":{"__proto__":${JSON.stringify(attr)}}}`;
    const sent = await call('SendMessage', body);
    assert.equal(sent.status, 200, sent.text);
    assert.ok(sent.json?.MD5OfMessageAttributes, `no MD5OfMessageAttributes: the attribute was dropped (${sent.text})`);
    const got = await call('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['All'] });
    const message = (got.json?.Messages as Record<string, unknown>[] | undefined)?.[0];
    assert.ok(message);
    const attrs = message.MessageAttributes as Record<string, unknown> | undefined;
    assert.ok(attrs && Object.hasOwn(attrs, '__proto__'), `attribute missing on receive: ${got.text}`);
    assert.equal(message.MD5OfMessageAttributes, sent.json?.MD5OfMessageAttributes);
  });

  test('a queue attribute named __proto__ is an unknown attribute, not silently ignored', async () => {
    const name = uniq('proto-attr');
    const r = await call('CreateQueue', `{"QueueName":"${name}","Attributes":{"__proto__":"1"}}`);
    assertJsonError(r, { type: 'com.amazonaws.sqs#InvalidAttributeName', queryCode: 'InvalidAttributeName' }, name);
  });

  test('an oversized request body is refused with a 4xx JSON error', async () => {
    const url = await createQueue(uniq('huge'));
    const r = await call('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(9 * 1024 * 1024) });
    assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
    assert.ok(r.json?.__type, r.text.slice(0, 200));
    assertNoLeak(r.text, 'oversized');
  });
});

describe('routing and health', () => {
  test("a request posted to the queue's own URL path works without QueueUrl", async () => {
    const name = uniq('by-path');
    await createQueue(name);
    const path = `/${ACCOUNT}/${name}`;
    const sent = await call('SendMessage', { MessageBody: 'via path' }, path);
    assert.equal(sent.status, 200, sent.text);
    assert.ok(sent.json?.MessageId);
    const attrs = await call(
      'GetQueueAttributes',
      { AttributeNames: ['ApproximateNumberOfMessages', 'QueueArn'] },
      path,
    );
    assert.equal(attrs.status, 200, attrs.text);
    assert.deepEqual(attrs.json?.Attributes, {
      ApproximateNumberOfMessages: '1',
      QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`,
    });
    const got = await call('ReceiveMessage', {}, path);
    const messages = got.json?.Messages as { Body: string; MessageId: string }[] | undefined;
    assert.equal(messages?.[0]?.Body, 'via path');
    assert.equal(messages?.[0]?.MessageId, sent.json?.MessageId);
    // A path naming a missing queue is QueueDoesNotExist.
    assertJsonError(
      await call('SendMessage', { MessageBody: 'x' }, `/${ACCOUNT}/${uniq('nope')}`),
      { type: 'com.amazonaws.sqs#QueueDoesNotExist', queryCode: 'AWS.SimpleQueueService.NonExistentQueue' },
      'path to missing queue',
    );
  });

  test('a QueueUrl is resolved by its path, whatever its scheme and host', async () => {
    const name = uniq('any-host');
    await createQueue(name);
    for (const QueueUrl of [
      `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${name}`,
      `http://localhost:1/${ACCOUNT}/${name}`,
    ]) {
      const r = await call('GetQueueAttributes', { QueueUrl, AttributeNames: ['QueueArn'] });
      assert.equal(r.status, 200, `${QueueUrl}: ${r.text}`);
      assert.deepEqual(r.json?.Attributes, { QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}` });
    }
  });

  test('GET /health answers 200 with status, version and store', async () => {
    const r = await raw('health', { method: 'GET', path: '/health' });
    assert.equal(r.status, 200);
    assert.ok(r.json);
    assert.equal(r.json.status, 'ok');
    assert.equal(r.json.store, 'sqlite');
    assert.equal(typeof r.json.version, 'string');
    assert.match(String(r.json.version), /^\d+\.\d+\.\d+/);
  });

  test('a client that hangs up during a long poll loses no message', async () => {
    const url = await createQueue(uniq('hangup'));
    const controller = new AbortController();
    const polling = fetch(`${t.server.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ReceiveMessage' },
      body: JSON.stringify({ QueueUrl: url, WaitTimeSeconds: 10 }),
      signal: controller.signal,
    });
    await sleep(150);
    controller.abort();
    await assert.rejects(polling);
    await sleep(50);
    const sent = await call('SendMessage', { QueueUrl: url, MessageBody: 'kept' });
    assert.equal(sent.status, 200);
    const got = await call('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 1 });
    const messages = got.json?.Messages as { MessageId: string }[] | undefined;
    assert.equal(messages?.[0]?.MessageId, sent.json?.MessageId);
  });
});

describe('response headers and liveness', () => {
  test('every response carries x-amzn-RequestId and a current Date header', async () => {
    // A few more kinds of answer: success, 404 path, and an SQS error.
    await call('ListQueues', {});
    await raw('unknown path', { method: 'GET', path: '/no/such/thing' });
    await call('GetQueueUrl', { QueueName: uniq('nope') });
    assert.ok(seen.length >= 10, `only ${seen.length} responses recorded`);
    const ids = new Set<string>();
    for (const { what, response } of seen) {
      const id = response.headers.get('x-amzn-requestid');
      assert.ok(id, `${what}: x-amzn-RequestId missing`);
      ids.add(id);
      const date = response.headers.get('date');
      assert.ok(date, `${what}: Date missing`);
      const skew = Math.abs(Date.parse(date) - Date.now());
      assert.ok(skew < 5 * 60_000, `${what}: Date ${date} is off by ${skew} ms`);
    }
    assert.equal(ids.size, seen.length, 'request ids are unique');
  });

  test('after all of the above the server still answers normally', async () => {
    const health = await raw('health again', { method: 'GET', path: '/health' });
    assert.equal(health.status, 200);
    assert.equal(health.json?.status, 'ok');
    const name = uniq('still-alive');
    const url = await createQueue(name);
    const list = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: name }));
    assert.deepEqual(list.QueueUrls, [url]);
    const sent = await call('SendMessage', { QueueUrl: url, MessageBody: 'alive' });
    assert.equal(sent.status, 200);
  });
});
