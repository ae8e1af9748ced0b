// Queue-level SQS behaviour through the real SDK: create, look up, list, delete, attributes, tags,
// dead-letter sources and purge. Expected values are AWS's (see /work/shared/notes/sqs-protocol-and-peers.md §1.1, §1.4).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AddPermissionCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
  RemovePermissionCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { ACCOUNT, arnOf } from '../helpers/account.js';
import { testServerForFile } from '../helpers/server.js';
import { rejectsWith, sqsHelpers, uniq } from '../helpers/sqs.js';

const t = testServerForFile();

const { createQueue, queueAttributes: attributes, counts } = sqsHelpers(() => t.sqs);

async function listAll(prefix: string): Promise<string[]> {
  const out = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
  return out.QueueUrls ?? [];
}

/** An attribute SQS does not know, typed loosely so the SDK sends it. */
const unknownAttribute: Record<string, string> = { Colour: 'blue' };

const redrive = (dlqName: string, maxReceiveCount: number | string = 3) =>
  JSON.stringify({ deadLetterTargetArn: arnOf(dlqName), maxReceiveCount });

describe('CreateQueue', () => {
  test('returns a URL on the request host and the account path', async () => {
    const name = uniq('create-url');
    const url = await createQueue(name);
    assert.equal(url, `${t.server.url}/${ACCOUNT}/${name}`);
  });

  test('a new queue has exactly the AWS default attributes', async () => {
    const name = uniq('defaults');
    const before = Math.floor(Date.now() / 1000);
    const url = await createQueue(name);
    const after = Math.ceil(Date.now() / 1000);
    const attrs = await attributes(url);
    assert.deepEqual(Object.keys(attrs).sort(), [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesDelayed',
      'ApproximateNumberOfMessagesNotVisible',
      'CreatedTimestamp',
      'DelaySeconds',
      'LastModifiedTimestamp',
      'MaximumMessageSize',
      'MessageRetentionPeriod',
      'QueueArn',
      'ReceiveMessageWaitTimeSeconds',
      'SqsManagedSseEnabled',
      'VisibilityTimeout',
    ]);
    assert.equal(attrs.VisibilityTimeout, '30');
    assert.equal(attrs.MaximumMessageSize, '1048576');
    assert.equal(attrs.MessageRetentionPeriod, '345600');
    assert.equal(attrs.DelaySeconds, '0');
    assert.equal(attrs.ReceiveMessageWaitTimeSeconds, '0');
    assert.equal(attrs.SqsManagedSseEnabled, 'true');
    assert.equal(attrs.QueueArn, `arn:aws:sqs:us-east-1:000000000000:${name}`);
    assert.equal(attrs.ApproximateNumberOfMessages, '0');
    assert.equal(attrs.ApproximateNumberOfMessagesNotVisible, '0');
    assert.equal(attrs.ApproximateNumberOfMessagesDelayed, '0');
    for (const key of ['CreatedTimestamp', 'LastModifiedTimestamp'] as const) {
      const value = attrs[key];
      assert.match(value ?? '', /^\d+$/, `${key} is an integer string`);
      // Epoch seconds, not milliseconds.
      assert.ok(Number(value) >= before && Number(value) <= after, `${key}=${value} not in [${before}, ${after}]`);
    }
  });

  test('attributes given at creation are applied', async () => {
    const url = await createQueue(uniq('create-attrs'), {
      VisibilityTimeout: '45',
      DelaySeconds: '3',
      MaximumMessageSize: '2048',
      MessageRetentionPeriod: '600',
      ReceiveMessageWaitTimeSeconds: '4',
    });
    const attrs = await attributes(url);
    assert.equal(attrs.VisibilityTimeout, '45');
    assert.equal(attrs.DelaySeconds, '3');
    assert.equal(attrs.MaximumMessageSize, '2048');
    assert.equal(attrs.MessageRetentionPeriod, '600');
    assert.equal(attrs.ReceiveMessageWaitTimeSeconds, '4');
  });

  test('is idempotent when called again with identical attributes', async () => {
    const name = uniq('idem');
    const attrs = { VisibilityTimeout: '45', DelaySeconds: '2' };
    const first = await createQueue(name, attrs);
    const second = await createQueue(name, attrs);
    assert.equal(second, first);
    assert.deepEqual(await listAll(name), [first]);
    // No attributes at all is also the same request.
    const plain = uniq('idem-plain');
    assert.equal(await createQueue(plain), await createQueue(plain));
  });

  test('a different attribute value answers QueueNameExists (query code QueueAlreadyExists)', async () => {
    const name = uniq('exists');
    await createQueue(name, { VisibilityTimeout: '30' });
    await rejectsWith(
      t.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } })),
      'QueueNameExists',
      (e) => {
        assert.equal(e.Code, 'QueueAlreadyExists');
        assert.equal(e.$metadata?.httpStatusCode, 400);
        assert.equal(
          e.message,
          'A queue already exists with the same name and a different value for attribute VisibilityTimeout',
        );
      },
    );
    // The existing queue is untouched.
    assert.equal(
      (await attributes(`${t.server.url}/${ACCOUNT}/${name}`, ['VisibilityTimeout'])).VisibilityTimeout,
      '30',
    );
  });

  test('invalid queue names are rejected with InvalidParameterValue', async () => {
    for (const bad of ['has space', 'a'.repeat(81), 'dot.name', 'slash/name', 'caf\u00e9', 'star*']) {
      await rejectsWith(t.sqs.send(new CreateQueueCommand({ QueueName: bad })), 'InvalidParameterValue', (e) => {
        assert.equal(e.$metadata?.httpStatusCode, 400, `name ${JSON.stringify(bad)}`);
      });
    }
    // The limits themselves are fine: 80 characters of letters, digits, hyphens and underscores.
    const longest = `Q_-9${'x'.repeat(76)}`;
    assert.equal(longest.length, 80);
    assert.ok((await createQueue(longest)).endsWith(`/${longest}`));
  });

  test('unknown attributes and out-of-range values are rejected at creation', async () => {
    await rejectsWith(
      t.sqs.send(new CreateQueueCommand({ QueueName: uniq('bad-attr'), Attributes: unknownAttribute })),
      'InvalidAttributeName',
    );
    await rejectsWith(
      t.sqs.send(new CreateQueueCommand({ QueueName: uniq('bad-value'), Attributes: { VisibilityTimeout: '43201' } })),
      'InvalidAttributeValue',
    );
  });

  test('re-creating a just-deleted queue answers QueueDeletedRecently', async () => {
    const name = uniq('deleted-recently');
    const url = await createQueue(name);
    await t.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await rejectsWith(t.sqs.send(new CreateQueueCommand({ QueueName: name })), 'QueueDeletedRecently', (e) => {
      assert.equal(e.Code, 'AWS.SimpleQueueService.QueueDeletedRecently');
      assert.equal(e.$metadata?.httpStatusCode, 400);
    });
    // The failed attempt did not bring it back.
    await rejectsWith(t.sqs.send(new GetQueueUrlCommand({ QueueName: name })), 'QueueDoesNotExist');
  });

  test('tags given at creation are listed by ListQueueTags', async () => {
    const url = await createQueue(uniq('create-tags'), undefined, { team: 'core', env: 'test' });
    const { Tags } = await t.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    assert.deepEqual(Tags, { team: 'core', env: 'test' });
  });

  test('a FIFO queue needs both the FifoQueue attribute and the .fifo suffix', async () => {
    await rejectsWith(
      t.sqs.send(new CreateQueueCommand({ QueueName: uniq('fifo-no-attr').concat('.fifo') })),
      'InvalidParameterValue',
      (e) => assert.match(e.message, /alphanumeric characters, hyphens, or underscores/),
    );
    await rejectsWith(
      t.sqs.send(new CreateQueueCommand({ QueueName: uniq('fifo-no-suffix'), Attributes: { FifoQueue: 'true' } })),
      'InvalidParameterValue',
      (e) => assert.match(e.message, /must end with \.fifo suffix/),
    );
    const name = uniq('fifo-ok').concat('.fifo');
    const { QueueUrl } = await t.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true' } }),
    );
    const { Attributes } = await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    assert.equal(Attributes?.FifoQueue, 'true');
    assert.equal(Attributes?.ContentBasedDeduplication, 'false');
    assert.equal(Attributes?.DeduplicationScope, 'queue');
    assert.equal(Attributes?.FifoThroughputLimit, 'perQueue');
  });
});

describe('AddPermission and RemovePermission', () => {
  test('edit the queue Policy one labelled statement at a time', async () => {
    const url = await createQueue(uniq('permissions'));
    await t.sqs.send(
      new AddPermissionCommand({
        QueueUrl: url,
        Label: 'sellers',
        AWSAccountIds: ['111111111111', '222222222222'],
        Actions: ['SendMessage', 'ReceiveMessage'],
      }),
    );
    const read = async () =>
      (await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy'] }))).Attributes
        ?.Policy;
    const policy = JSON.parse((await read()) ?? '{}') as { Statement: Record<string, unknown>[] };
    assert.equal(policy.Statement.length, 1);
    assert.deepEqual(policy.Statement[0], {
      Sid: 'sellers',
      Effect: 'Allow',
      Principal: { AWS: ['arn:aws:iam::111111111111:root', 'arn:aws:iam::222222222222:root'] },
      Action: ['SQS:SendMessage', 'SQS:ReceiveMessage'],
      Resource: arnOf(url.split('/').pop() ?? ''),
    });
    await rejectsWith(
      t.sqs.send(
        new AddPermissionCommand({
          QueueUrl: url,
          Label: 'sellers',
          AWSAccountIds: ['111111111111'],
          Actions: ['SendMessage'],
        }),
      ),
      'InvalidParameterValue',
      (e) => assert.match(e.message, /Already exists/),
    );
    await t.sqs.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'sellers' }));
    assert.equal(await read(), undefined);
    await rejectsWith(
      t.sqs.send(new RemovePermissionCommand({ QueueUrl: url, Label: 'sellers' })),
      'InvalidParameterValue',
      (e) => assert.match(e.message, /can't find label/),
    );
  });
});

describe('GetQueueUrl', () => {
  test('returns the URL CreateQueue returned', async () => {
    const name = uniq('get-url');
    const url = await createQueue(name);
    const out = await t.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    assert.equal(out.QueueUrl, url);
    const owned = await t.sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: ACCOUNT }));
    assert.equal(owned.QueueUrl, url);
  });

  test('an unknown name answers QueueDoesNotExist', async () => {
    await rejectsWith(
      t.sqs.send(new GetQueueUrlCommand({ QueueName: uniq('never-created') })),
      'QueueDoesNotExist',
      (e) => {
        assert.equal(e.Code, 'AWS.SimpleQueueService.NonExistentQueue');
        assert.equal(e.message, 'The specified queue does not exist.');
        assert.equal(e.$metadata?.httpStatusCode, 400);
        assert.equal(e.$fault, 'client');
      },
    );
  });
});

describe('ListQueues', () => {
  test('filters by name prefix', async () => {
    const a1 = await createQueue('lq-alpha-1');
    const a2 = await createQueue('lq-alpha-2');
    const b1 = await createQueue('lq-beta-1');
    assert.deepEqual((await listAll('lq-alpha')).sort(), [a1, a2].sort());
    assert.deepEqual(await listAll('lq-beta'), [b1]);
    assert.deepEqual((await listAll('lq-')).sort(), [a1, a2, b1].sort());
    assert.deepEqual(await listAll('lq-gamma'), []);
    // Prefixes are case-sensitive, like queue names, and '_' or '%' are plain characters, not wildcards.
    assert.deepEqual(await listAll('LQ-ALPHA'), []);
    const under = await createQueue('lq_under_1');
    await createQueue('lqXunderX1');
    assert.deepEqual(await listAll('lq_'), [under]);
    assert.deepEqual(await listAll('lq%'), []);
  });

  test('pages with MaxResults and NextToken over 25 queues', async () => {
    const created: string[] = [];
    for (let i = 0; i < 25; i++) created.push(await createQueue(`page-${String(i).padStart(2, '0')}`));
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const out = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'page-', MaxResults: 10, NextToken }));
      pageSizes.push(out.QueueUrls?.length ?? 0);
      seen.push(...(out.QueueUrls ?? []));
      NextToken = out.NextToken;
      pages += 1;
      assert.ok(pages <= 5, 'paging does not end');
    } while (NextToken);
    assert.deepEqual(pageSizes, [10, 10, 5]);
    assert.equal(new Set(seen).size, 25, 'no queue is listed twice');
    assert.deepEqual([...seen].sort(), [...created].sort());
  });

  test('without MaxResults every match is returned and there is no NextToken', async () => {
    // The 25 page-* queues exist from the previous test; create them if this test runs alone.
    for (let i = 0; i < 25; i++) await createQueue(`page-${String(i).padStart(2, '0')}`);
    const out = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'page-' }));
    assert.equal(out.QueueUrls?.length, 25);
    assert.equal(out.NextToken, undefined);
  });

  test('MaxResults must be between 1 and 1000', async () => {
    for (const MaxResults of [0, 1001]) {
      await rejectsWith(t.sqs.send(new ListQueuesCommand({ MaxResults })), 'InvalidParameterValue', (e) => {
        assert.equal(e.$metadata?.httpStatusCode, 400);
      });
    }
    const one = await t.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'page-', MaxResults: 1 }));
    assert.equal(one.QueueUrls?.length, 1);
    assert.ok(one.NextToken);
  });

  test('a garbage NextToken is rejected', async () => {
    await rejectsWith(
      t.sqs.send(new ListQueuesCommand({ MaxResults: 5, NextToken: 'not-a-token!' })),
      'InvalidParameterValue',
    );
  });
});

describe('DeleteQueue', () => {
  test('removes the queue and its messages; a second delete answers QueueDoesNotExist', async () => {
    const name = uniq('delete-me');
    const url = await createQueue(name);
    await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bye' }));
    await t.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    assert.deepEqual(await listAll(name), []);
    await rejectsWith(t.sqs.send(new GetQueueUrlCommand({ QueueName: name })), 'QueueDoesNotExist');
    await rejectsWith(t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), 'QueueDoesNotExist');
    await rejectsWith(t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url })), 'QueueDoesNotExist');
    await rejectsWith(
      t.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })),
      'QueueDoesNotExist',
    );
    await rejectsWith(t.sqs.send(new DeleteQueueCommand({ QueueUrl: url })), 'QueueDoesNotExist');
  });
});

describe('GetQueueAttributes', () => {
  test('each attribute can be asked for by name and only it is returned', async () => {
    const name = uniq('each-attr');
    const url = await createQueue(name);
    const expected: Record<string, string | RegExp> = {
      VisibilityTimeout: '30',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      SqsManagedSseEnabled: 'true',
      QueueArn: arnOf(name),
      CreatedTimestamp: /^\d{10}$/,
      LastModifiedTimestamp: /^\d{10}$/,
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    };
    for (const [attr, value] of Object.entries(expected)) {
      const got = await attributes(url, [attr]);
      assert.deepEqual(Object.keys(got), [attr], `asking for ${attr}`);
      if (typeof value === 'string') assert.equal(got[attr], value, attr);
      else assert.match(got[attr] ?? '', value, attr);
    }
    // Two names give both; the same name twice gives it once.
    assert.deepEqual(Object.keys(await attributes(url, ['DelaySeconds', 'VisibilityTimeout'])).sort(), [
      'DelaySeconds',
      'VisibilityTimeout',
    ]);
    assert.deepEqual(Object.keys(await attributes(url, ['QueueArn', 'QueueArn'])), ['QueueArn']);
  });

  test('without attribute names nothing is returned', async () => {
    const url = await createQueue(uniq('no-names'));
    const out = await t.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url }));
    assert.deepEqual(out.Attributes ?? {}, {});
  });

  test('an unknown attribute name answers InvalidAttributeName', async () => {
    const url = await createQueue(uniq('unknown-attr'));
    await rejectsWith(
      t.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Colour' as QueueAttributeName] })),
      'InvalidAttributeName',
      (e) => {
        assert.equal(e.$metadata?.httpStatusCode, 400);
        assert.match(e.message, /Colour/);
      },
    );
  });

  test('message counts follow sends, delayed sends, receives and deletes', async () => {
    const url = await createQueue(uniq('counts'));
    for (let i = 0; i < 3; i++) await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `now-${i}` }));
    for (let i = 0; i < 2; i++) {
      await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `later-${i}`, DelaySeconds: 60 }));
    }
    assert.deepEqual(await counts(url), { visible: 3, notVisible: 0, delayed: 2 });

    const got = await t.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 2, VisibilityTimeout: 60 }),
    );
    const messages = got.Messages ?? [];
    assert.equal(messages.length, 2);
    assert.ok(
      messages.every((m) => m.Body?.startsWith('now-')),
      'delayed messages are not received',
    );
    assert.deepEqual(await counts(url), { visible: 1, notVisible: 2, delayed: 2 });

    await t.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: messages[0]?.ReceiptHandle }));
    assert.deepEqual(await counts(url), { visible: 1, notVisible: 1, delayed: 2 });
  });
});

describe('SetQueueAttributes', () => {
  test('every settable attribute can be set and read back', async () => {
    const dlqName = uniq('set-dlq');
    await createQueue(dlqName);
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: arnOf('x') }],
    });
    const cases: Record<string, string> = {
      DelaySeconds: '5',
      MaximumMessageSize: '2048',
      MessageRetentionPeriod: '120',
      ReceiveMessageWaitTimeSeconds: '3',
      VisibilityTimeout: '90',
      Policy: policy,
      KmsMasterKeyId: 'alias/aws/sqs',
      KmsDataKeyReusePeriodSeconds: '600',
      SqsManagedSseEnabled: 'false',
      RedrivePolicy: redrive(dlqName, 4),
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [arnOf('some-source')] }),
    };
    for (const [attr, value] of Object.entries(cases)) {
      const url = await createQueue(uniq(`set-${attr}`));
      await t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { [attr]: value } }));
      const got = (await attributes(url, [attr]))[attr];
      assert.ok(got !== undefined, `${attr} was not returned after setting it`);
      if (value.startsWith('{')) assert.deepEqual(JSON.parse(got), JSON.parse(value), attr);
      else assert.equal(got, value, attr);
    }
  });

  test('several attributes at once, and the new values take effect', async () => {
    const url = await createQueue(uniq('set-many'));
    await t.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '0', DelaySeconds: '0' } }),
    );
    const attrs = await attributes(url);
    assert.equal(attrs.VisibilityTimeout, '0');
    // VisibilityTimeout 0 from the queue: a received message is visible again at once.
    await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    const second = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    assert.equal(first.Messages?.[0]?.Body, 'again');
    assert.equal(second.Messages?.[0]?.MessageId, first.Messages?.[0]?.MessageId);
  });

  test('range limits are inclusive', async () => {
    const url = await createQueue(uniq('bounds'));
    const bounds: Record<string, string[]> = {
      VisibilityTimeout: ['0', '43200'],
      DelaySeconds: ['0', '900'],
      MaximumMessageSize: ['1024', '1048576'],
      MessageRetentionPeriod: ['60', '1209600'],
      ReceiveMessageWaitTimeSeconds: ['0', '20'],
      KmsDataKeyReusePeriodSeconds: ['60', '86400'],
    };
    for (const [attr, values] of Object.entries(bounds)) {
      for (const value of values) {
        await t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { [attr]: value } }));
        assert.equal((await attributes(url, [attr]))[attr], value, `${attr}=${value}`);
      }
    }
  });

  test('values out of range or not numbers answer InvalidAttributeValue and change nothing', async () => {
    const url = await createQueue(uniq('out-of-range'));
    const bad: [string, string][] = [
      ['VisibilityTimeout', '43201'],
      ['VisibilityTimeout', '-1'],
      ['VisibilityTimeout', 'abc'],
      ['DelaySeconds', '901'],
      ['MaximumMessageSize', '1023'],
      ['MaximumMessageSize', '1048577'],
      ['MessageRetentionPeriod', '59'],
      ['MessageRetentionPeriod', '1209601'],
      ['ReceiveMessageWaitTimeSeconds', '21'],
      ['KmsDataKeyReusePeriodSeconds', '59'],
      ['KmsDataKeyReusePeriodSeconds', '86401'],
      ['SqsManagedSseEnabled', 'maybe'],
    ];
    for (const [attr, value] of bad) {
      await rejectsWith(
        t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { [attr]: value } })),
        'InvalidAttributeValue',
        (e) => assert.equal(e.$metadata?.httpStatusCode, 400, `${attr}=${value}`),
      );
    }
    const attrs = await attributes(url);
    assert.equal(attrs.VisibilityTimeout, '30');
    assert.equal(attrs.DelaySeconds, '0');
    assert.equal(attrs.MaximumMessageSize, '1048576');
  });

  test('unknown attributes answer InvalidAttributeName', async () => {
    const url = await createQueue(uniq('set-unknown'));
    await rejectsWith(
      t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: unknownAttribute })),
      'InvalidAttributeName',
    );
    await rejectsWith(
      t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoQueue: 'true' } })),
      'InvalidAttributeName',
      (e) => assert.equal(e.message, 'Unknown Attribute FifoQueue.'),
    );
  });

  test('an invalid RedrivePolicy answers InvalidParameterValue', async () => {
    const dlq = uniq('rp-dlq');
    await createQueue(dlq);
    const url = await createQueue(uniq('rp-source'));
    const bad = [
      'not json',
      '[1,2]',
      JSON.stringify({ maxReceiveCount: 3 }),
      JSON.stringify({ deadLetterTargetArn: arnOf(dlq) }),
      JSON.stringify({ deadLetterTargetArn: arnOf(dlq), maxReceiveCount: 0 }),
      JSON.stringify({ deadLetterTargetArn: arnOf(dlq), maxReceiveCount: 1001 }),
      JSON.stringify({ deadLetterTargetArn: 'not-an-arn', maxReceiveCount: 3 }),
      redrive(uniq('no-such-dlq')),
    ];
    for (const RedrivePolicy of bad) {
      await rejectsWith(
        t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy } })),
        'InvalidParameterValue',
        (e) => {
          assert.equal(e.$metadata?.httpStatusCode, 400, RedrivePolicy);
          assert.match(e.message, /RedrivePolicy/, RedrivePolicy);
        },
      );
    }
    assert.equal((await attributes(url)).RedrivePolicy, undefined);
  });

  test('maxReceiveCount may be given as a string', async () => {
    const dlq = uniq('rp-string-dlq');
    await createQueue(dlq);
    const url = await createQueue(uniq('rp-string'));
    await t.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: redrive(dlq, '5') } }),
    );
    const stored = JSON.parse((await attributes(url, ['RedrivePolicy'])).RedrivePolicy ?? '{}');
    assert.equal(stored.deadLetterTargetArn, arnOf(dlq));
    assert.equal(Number(stored.maxReceiveCount), 5);
  });

  test('a RedriveAllowPolicy of denyAll (or byQueue without the source) blocks redrive to that queue', async () => {
    const denyAll = uniq('deny-all');
    await createQueue(denyAll, { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    const sourceName = uniq('blocked-source');
    const source = await createQueue(sourceName);
    await rejectsWith(
      t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: source, Attributes: { RedrivePolicy: redrive(denyAll) } })),
      'InvalidParameterValue',
    );
    await rejectsWith(
      t.sqs.send(
        new CreateQueueCommand({
          QueueName: uniq('blocked-at-create'),
          Attributes: { RedrivePolicy: redrive(denyAll) },
        }),
      ),
      'InvalidParameterValue',
    );

    const byQueue = uniq('by-queue');
    await createQueue(byQueue, {
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [arnOf(sourceName)] }),
    });
    const other = await createQueue(uniq('not-listed'));
    await rejectsWith(
      t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: other, Attributes: { RedrivePolicy: redrive(byQueue) } })),
      'InvalidParameterValue',
    );
    // The listed source may.
    await t.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: source, Attributes: { RedrivePolicy: redrive(byQueue) } }),
    );
    assert.equal(JSON.parse((await attributes(source)).RedrivePolicy ?? '{}').deadLetterTargetArn, arnOf(byQueue));
  });

  test('an empty RedrivePolicy removes it', async () => {
    const dlqName = uniq('rm-dlq');
    const dlq = await createQueue(dlqName);
    const source = await createQueue(uniq('rm-source'), { RedrivePolicy: redrive(dlqName) });
    assert.ok((await attributes(source)).RedrivePolicy);
    await t.sqs.send(new SetQueueAttributesCommand({ QueueUrl: source, Attributes: { RedrivePolicy: '' } }));
    assert.equal((await attributes(source)).RedrivePolicy, undefined);
    const { queueUrls } = await t.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    assert.deepEqual(queueUrls ?? [], []);
  });

  test('a nonexistent queue answers QueueDoesNotExist', async () => {
    await rejectsWith(
      t.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: `${t.server.url}/${ACCOUNT}/${uniq('ghost')}`,
          Attributes: { VisibilityTimeout: '5' },
        }),
      ),
      'QueueDoesNotExist',
    );
  });
});

describe('tags', () => {
  test('TagQueue adds and overwrites, UntagQueue removes, ListQueueTags lists', async () => {
    const url = await createQueue(uniq('tags'));
    const empty = await t.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }));
    assert.deepEqual(empty.Tags ?? {}, {});

    await t.sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { a: '1', b: '2' } }));
    await t.sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { b: 'two', c: '3' } }));
    assert.deepEqual((await t.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, {
      a: '1',
      b: 'two',
      c: '3',
    });

    await t.sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['a', 'not-there'] }));
    assert.deepEqual((await t.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { b: 'two', c: '3' });

    await t.sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['b', 'c'] }));
    assert.deepEqual((await t.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {}, {});
  });

  test('tag operations on a missing queue answer QueueDoesNotExist', async () => {
    const ghost = `${t.server.url}/${ACCOUNT}/${uniq('ghost-tags')}`;
    await rejectsWith(t.sqs.send(new TagQueueCommand({ QueueUrl: ghost, Tags: { a: '1' } })), 'QueueDoesNotExist');
    await rejectsWith(t.sqs.send(new ListQueueTagsCommand({ QueueUrl: ghost })), 'QueueDoesNotExist');
  });
});

describe('ListDeadLetterSourceQueues', () => {
  test('lists exactly the queues whose RedrivePolicy targets the DLQ', async () => {
    const dlqName = uniq('dlq');
    const dlq = await createQueue(dlqName);
    const s1 = await createQueue(uniq('src'), { RedrivePolicy: redrive(dlqName) });
    const s2 = await createQueue(uniq('src'));
    await t.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: s2, Attributes: { RedrivePolicy: redrive(dlqName, 7) } }),
    );
    const otherDlq = uniq('other-dlq');
    await createQueue(otherDlq);
    await createQueue(uniq('unrelated'), { RedrivePolicy: redrive(otherDlq) });

    const out = await t.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    assert.deepEqual([...(out.queueUrls ?? [])].sort(), [s1, s2].sort());
    assert.equal(out.NextToken, undefined);

    // Paging, as with ListQueues.
    const first = await t.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq, MaxResults: 1 }));
    assert.equal(first.queueUrls?.length, 1);
    assert.ok(first.NextToken, 'a NextToken when more sources remain');
    const second = await t.sqs.send(
      new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq, MaxResults: 1, NextToken: first.NextToken }),
    );
    assert.equal(second.queueUrls?.length, 1);
    assert.deepEqual([...(first.queueUrls ?? []), ...(second.queueUrls ?? [])].sort(), [s1, s2].sort());
  });

  test('a queue nobody redrives to has no sources; a missing queue answers QueueDoesNotExist', async () => {
    const lonely = await createQueue(uniq('lonely'));
    const out = await t.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: lonely }));
    assert.deepEqual(out.queueUrls ?? [], []);
    await rejectsWith(
      t.sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/${uniq('nope')}` })),
      'QueueDoesNotExist',
    );
  });
});

describe('PurgeQueue', () => {
  test('removes every message, visible or in flight', async () => {
    const url = await createQueue(uniq('purge'));
    for (let i = 0; i < 4; i++) await t.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 60 }));
    assert.deepEqual(await counts(url), { visible: 3, notVisible: 1, delayed: 0 });
    await t.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    assert.deepEqual(await counts(url), { visible: 0, notVisible: 0, delayed: 0 });
    const after = await t.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.equal(after.Messages?.length ?? 0, 0);
  });

  test('a second purge within 60 seconds answers PurgeQueueInProgress with HTTP 403', async () => {
    const name = uniq('purge-twice');
    const url = await createQueue(name);
    await t.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    await rejectsWith(t.sqs.send(new PurgeQueueCommand({ QueueUrl: url })), 'PurgeQueueInProgress', (e) => {
      assert.equal(e.$metadata?.httpStatusCode, 403);
      assert.equal(e.Code, 'AWS.SimpleQueueService.PurgeQueueInProgress');
      assert.equal(e.message, `Only one PurgeQueue operation on ${name} is allowed every 60 seconds.`);
    });
    // Another queue is not affected by this queue's cooldown.
    await t.sqs.send(new PurgeQueueCommand({ QueueUrl: await createQueue(uniq('purge-other')) }));
  });

  test('purging a missing queue answers QueueDoesNotExist', async () => {
    await rejectsWith(
      t.sqs.send(new PurgeQueueCommand({ QueueUrl: `${t.server.url}/${ACCOUNT}/${uniq('purge-ghost')}` })),
      'QueueDoesNotExist',
    );
  });
});
