import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { testServerForFile } from '../helpers/server.js';

const t = testServerForFile();

test('send, receive and delete round trip through the SDK', async () => {
  const { QueueUrl } = await t.sqs.send(new CreateQueueCommand({ QueueName: 'smoke' }));
  assert.ok(QueueUrl?.endsWith('/000000000000/smoke'));
  const sent = await t.sqs.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody: 'hello',
      MessageAttributes: { a: { DataType: 'String', StringValue: 'x' } },
    }),
  );
  assert.ok(sent.MessageId);
  const got = await t.sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
  );
  assert.equal(got.Messages?.length, 1);
  const m = got.Messages?.[0];
  assert.equal(m?.Body, 'hello');
  assert.equal(m?.MessageAttributes?.a?.StringValue, 'x');
  assert.equal(m?.Attributes?.ApproximateReceiveCount, '1');
  await t.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m?.ReceiptHandle }));
  const empty = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
  assert.equal(empty.Messages, undefined);
});
