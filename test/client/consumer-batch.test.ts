// The consumer's batched deletes and visibility changes, against a scripted stand-in for the SQS client: what goes
// out in one call, and which failures are sent once more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { deleteBatcher, isLostHandle, visibilityBatcher } from '../../src/client/consumer-batch.js';

interface Call {
  command: string;
  input: { Entries?: { Id: string; ReceiptHandle: string; VisibilityTimeout?: number }[]; ReceiptHandle?: string };
}

/** A client whose `send` records each call and answers with `answer(call, n)` (n: the call's number, from 0). */
function fakeClient(answer: (call: Call, n: number) => unknown): { client: SQSClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Call['input'] }) {
      const call = { command: command.constructor.name, input: structuredClone(command.input) };
      calls.push(call);
      return answer(call, calls.length - 1);
    },
  } as unknown as SQSClient;
  return { client, calls };
}

const sdkError = (name: string, fault: 'client' | 'server') => Object.assign(new Error(name), { name, $fault: fault });

test('deletes asked for in one turn go out together, ten to a DeleteMessageBatch, a lone rest as DeleteMessage', async () => {
  const { client, calls } = fakeClient(() => ({ Successful: [], Failed: [] }));
  const batcher = deleteBatcher(client, 'q');
  const results = await Promise.all(Array.from({ length: 11 }, (_, i) => batcher.add(`h${i}`)));
  assert.ok(results.every((r) => r.ok));
  assert.deepEqual(
    calls.map((c) => [c.command, c.input.Entries?.map((e) => e.ReceiptHandle)]),
    [
      ['DeleteMessageBatchCommand', ['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'h9']],
      ['DeleteMessageCommand', undefined],
    ],
  );
  assert.equal(calls[1]?.input.ReceiptHandle, 'h10');
});

test('a lone delete is a DeleteMessage; deletes in later turns are later calls', async () => {
  const { client, calls } = fakeClient(() => ({}));
  const batcher = deleteBatcher(client, 'q');
  assert.deepEqual(await batcher.add('a'), { ok: true });
  assert.deepEqual(await batcher.add('b'), { ok: true });
  assert.deepEqual(
    calls.map((c) => [c.command, c.input.ReceiptHandle]),
    [
      ['DeleteMessageCommand', 'a'],
      ['DeleteMessageCommand', 'b'],
    ],
  );
});

test('entries failing by the service are sent once more; the caller’s fault is not retried', async () => {
  const { client, calls } = fakeClient((call, n) => {
    if (n === 0) {
      return {
        Failed: [
          { Id: 'e0', Code: 'InternalError', SenderFault: false, Message: 'try again' },
          { Id: 'e2', Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'bad handle' },
        ],
      };
    }
    assert.equal(call.command, 'ChangeMessageVisibilityCommand');
    return {};
  });
  const batcher = visibilityBatcher(client, 'q');
  const [a, b, c] = await Promise.all([
    batcher.add({ ReceiptHandle: 'a', VisibilityTimeout: 5 }),
    batcher.add({ ReceiptHandle: 'b', VisibilityTimeout: 0 }),
    batcher.add({ ReceiptHandle: 'c', VisibilityTimeout: 7 }),
  ]);
  assert.deepEqual(a, { ok: true }, 'retried, then done');
  assert.deepEqual(b, { ok: true });
  assert.equal(c?.ok, false);
  assert.ok(c && !c.ok && c.code === 'ReceiptHandleIsInvalid' && c.error.message === 'bad handle');
  assert.ok(c && isLostHandle(c));
  assert.deepEqual(
    calls.map((x) => x.command),
    ['ChangeMessageVisibilityBatchCommand', 'ChangeMessageVisibilityCommand'],
  );
  assert.deepEqual(
    calls[0]?.input.Entries?.map((e) => e.VisibilityTimeout),
    [5, 0, 7],
  );
});

test('a batch call that fails as a whole is sent once more, then each entry reports the error', async () => {
  const { client, calls } = fakeClient(() => {
    throw sdkError('ServiceUnavailable', 'server');
  });
  const batcher = deleteBatcher(client, 'q');
  const results = await Promise.all([batcher.add('a'), batcher.add('b')]);
  assert.equal(calls.length, 2);
  for (const r of results) {
    assert.ok(!r.ok && r.code === 'ServiceUnavailable' && !isLostHandle(r));
  }
});

test('a lone call failing by the caller’s fault is not retried', async () => {
  const { client, calls } = fakeClient(() => {
    throw sdkError('MessageNotInflight', 'client');
  });
  const result = await visibilityBatcher(client, 'q').add({ ReceiptHandle: 'a', VisibilityTimeout: 3 });
  assert.equal(calls.length, 1);
  assert.ok(!result.ok && isLostHandle(result));
});

test('idle() resolves once every entry added so far has its outcome', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const { client } = fakeClient(async () => {
    await gate;
    return {};
  });
  const batcher = deleteBatcher(client, 'q');
  let done = false;
  void batcher.add('a').then(() => {
    done = true;
  });
  const idle = batcher.idle().then(() => done);
  setTimeout(release, 20);
  assert.equal(await idle, true);
});
