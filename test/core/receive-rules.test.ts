import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { md5OfMessageAttributes } from '../../src/core/md5.js';
import type { MessageAttributes } from '../../src/core/message.js';
import {
  decideClaim,
  decideVisibilityChange,
  MAX_VISIBILITY_SECONDS,
  MESSAGE_SYSTEM_ATTRIBUTE_NAMES,
  type MessageState,
  messageStatus,
  renderSystemAttributes,
  resolveReceiveParams,
  resolveSystemAttributeNames,
  selectMessageAttributes,
  staleHandleForVisibility,
} from '../../src/core/receive-rules.js';
import { throwsAws } from '../helpers/aws-error.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

describe('decideClaim', () => {
  const retentionMs = 60_000;

  test('delivers a message younger than the retention period', () => {
    assert.equal(decideClaim({ sentAt: T0, receiveCount: 0 }, T0, { retentionMs }), 'deliver');
    assert.equal(decideClaim({ sentAt: T0, receiveCount: 0 }, T0 + retentionMs - 1, { retentionMs }), 'deliver');
  });

  test('expires a message exactly at the retention period and after', () => {
    assert.equal(decideClaim({ sentAt: T0, receiveCount: 0 }, T0 + retentionMs, { retentionMs }), 'expire');
    assert.equal(decideClaim({ sentAt: T0, receiveCount: 5 }, T0 + 10 * retentionMs, { retentionMs }), 'expire');
  });

  test('dead-letters once receiveCount has reached maxReceiveCount', () => {
    const policy = { retentionMs, maxReceiveCount: 3 };
    assert.equal(decideClaim({ sentAt: T0, receiveCount: 2 }, T0, policy), 'deliver');
    assert.equal(decideClaim({ sentAt: T0, receiveCount: 3 }, T0, policy), 'dead-letter');
    assert.equal(decideClaim({ sentAt: T0, receiveCount: 4 }, T0, policy), 'dead-letter');
  });

  test('without a maxReceiveCount a message is delivered however often it was received', () => {
    assert.equal(decideClaim({ sentAt: T0, receiveCount: 1000 }, T0, { retentionMs }), 'deliver');
    assert.equal(
      decideClaim({ sentAt: T0, receiveCount: 1000 }, T0, { retentionMs, maxReceiveCount: undefined }),
      'deliver',
    );
  });

  test('expiry wins over dead-lettering', () => {
    assert.equal(
      decideClaim({ sentAt: T0, receiveCount: 9 }, T0 + retentionMs, { retentionMs, maxReceiveCount: 1 }),
      'expire',
    );
  });
});

describe('messageStatus', () => {
  test('visible once visibleAt has come, whatever the receive count', () => {
    assert.equal(messageStatus({ visibleAt: T0, receiveCount: 0 }, T0), 'visible');
    assert.equal(messageStatus({ visibleAt: T0 - 1, receiveCount: 3 }, T0), 'visible');
  });

  test('delayed before the first receive, in flight after one', () => {
    assert.equal(messageStatus({ visibleAt: T0 + 1, receiveCount: 0 }, T0), 'delayed');
    assert.equal(messageStatus({ visibleAt: T0 + 1, receiveCount: 1 }, T0), 'in-flight');
  });
});

describe('resolveReceiveParams', () => {
  const defaults = { visibilityTimeout: 30, receiveMessageWaitTimeSeconds: 0 };

  test('defaults: one message, the queue visibility timeout and wait time', () => {
    assert.deepEqual(resolveReceiveParams({}, defaults, 20), {
      max: 1,
      visibilityTimeoutSeconds: 30,
      waitTimeSeconds: 0,
    });
    assert.deepEqual(resolveReceiveParams({}, { visibilityTimeout: 45, receiveMessageWaitTimeSeconds: 7 }, 20), {
      max: 1,
      visibilityTimeoutSeconds: 45,
      waitTimeSeconds: 7,
    });
  });

  test('request values override the queue', () => {
    assert.deepEqual(
      resolveReceiveParams({ MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 20 }, defaults, 20),
      { max: 10, visibilityTimeoutSeconds: 0, waitTimeSeconds: 20 },
    );
    assert.equal(resolveReceiveParams({ VisibilityTimeout: 43_200 }, defaults, 20).visibilityTimeoutSeconds, 43_200);
  });

  test('MaxNumberOfMessages must be 1..10', () => {
    for (const bad of [0, 11, -1, 1.5]) {
      throwsAws(
        () => resolveReceiveParams({ MaxNumberOfMessages: bad }, defaults, 20),
        'InvalidParameterValue',
        new RegExp(
          `^Value ${bad} for parameter MaxNumberOfMessages is invalid\\. Reason: Must be between 1 and 10, if provided\\.$`,
        ),
      );
    }
  });

  test('WaitTimeSeconds must be 0..max', () => {
    for (const bad of [21, -1, 2.5]) {
      throwsAws(
        () => resolveReceiveParams({ WaitTimeSeconds: bad }, defaults, 20),
        'InvalidParameterValue',
        new RegExp(
          `^Value ${bad} for parameter WaitTimeSeconds is invalid\\. Reason: Must be >= 0 and <= 20, if provided\\.$`,
        ),
      );
    }
    throwsAws(
      () => resolveReceiveParams({ WaitTimeSeconds: 6 }, defaults, 5),
      'InvalidParameterValue',
      /Must be >= 0 and <= 5, if provided\./,
    );
  });

  test('VisibilityTimeout must be 0..43200', () => {
    for (const bad of [43_201, -1]) {
      throwsAws(
        () => resolveReceiveParams({ VisibilityTimeout: bad }, defaults, 20),
        'InvalidParameterValue',
        new RegExp(
          `^Value ${bad} for parameter VisibilityTimeout is invalid\\. Reason: Must be >= 0 and <= 43200, if provided\\.$`,
        ),
      );
    }
  });
});

describe('decideVisibilityChange', () => {
  const inFlight = (receivedAt: number, visibleAt: number): MessageState => ({
    sentAt: T0,
    visibleAt,
    receiveCount: 1,
    receivedAt,
  });

  test('the new timeout counts from now', () => {
    const now = T0 + 10_000;
    assert.deepEqual(decideVisibilityChange(inFlight(T0, T0 + 30_000), now, 60, 'h'), { visibleAt: now + 60_000 });
    assert.deepEqual(decideVisibilityChange(inFlight(T0, T0 + 30_000), now, 0, 'h'), { visibleAt: now });
  });

  test('may reach exactly 12 hours after the latest receive, not beyond', () => {
    const receivedAt = T0;
    const now = T0 + 6 * HOUR;
    const message = inFlight(receivedAt, now + 1000);
    assert.deepEqual(decideVisibilityChange(message, now, 6 * 3600, 'h'), { visibleAt: receivedAt + 12 * HOUR });
    throwsAws(
      () => decideVisibilityChange(message, now, 6 * 3600 + 1, 'h'),
      'InvalidParameterValue',
      /Value 21601 for parameter VisibilityTimeout is invalid\. Reason: Total VisibilityTimeout for the message is beyond the limit \[43200 seconds\]/,
    );
  });

  test('the ceiling counts from the latest receive, not the first', () => {
    const latest = T0 + 20 * HOUR;
    const message: MessageState = { sentAt: T0, visibleAt: latest + 30_000, receiveCount: 3, receivedAt: latest };
    assert.deepEqual(decideVisibilityChange(message, latest, MAX_VISIBILITY_SECONDS, 'h'), {
      visibleAt: latest + 12 * HOUR,
    });
  });

  test('a message that is not in flight is MessageNotInflight', () => {
    const now = T0 + 60_000;
    throwsAws(
      () => decideVisibilityChange(inFlight(T0, now), now, 10, 'HANDLE-1'),
      'MessageNotInflight',
      /receipt handle HANDLE-1 is not in flight/,
    );
    throwsAws(
      () =>
        decideVisibilityChange({ sentAt: T0, visibleAt: now + 5000, receiveCount: 0, receivedAt: null }, now, 10, 'h'),
      'MessageNotInflight',
    );
  });

  test('the timeout must be 0..43200', () => {
    const message = inFlight(T0, T0 + 30_000);
    for (const bad of [-1, 43_201, 1.5]) {
      throwsAws(() => decideVisibilityChange(message, T0, bad, 'h'), 'InvalidParameterValue', /VisibilityTimeout/);
    }
  });

  test('a stale handle error uses AWS wording', () => {
    const e = staleHandleForVisibility('abc');
    assert.equal(e.code, 'InvalidParameterValue');
    assert.match(e.message, /Message does not exist or is not available for visibility timeout change/);
  });
});

describe('resolveSystemAttributeNames', () => {
  test('All from either list selects every system attribute', () => {
    assert.deepEqual(
      [...resolveSystemAttributeNames(['All'], undefined)].sort(),
      [...MESSAGE_SYSTEM_ATTRIBUTE_NAMES].sort(),
    );
    assert.deepEqual(
      [...resolveSystemAttributeNames(undefined, ['All'])].sort(),
      [...MESSAGE_SYSTEM_ATTRIBUTE_NAMES].sort(),
    );
  });

  test('is the union of AttributeNames and MessageSystemAttributeNames', () => {
    assert.deepEqual(
      [...resolveSystemAttributeNames(['SenderId'], ['SentTimestamp', 'ApproximateReceiveCount'])].sort(),
      ['ApproximateReceiveCount', 'SenderId', 'SentTimestamp'],
    );
    assert.equal(resolveSystemAttributeNames(undefined, undefined).size, 0);
  });

  test('queue attribute names in AttributeNames are tolerated and select nothing', () => {
    assert.equal(resolveSystemAttributeNames(['ApproximateNumberOfMessages', 'VisibilityTimeout'], []).size, 0);
  });

  test('unknown names are InvalidAttributeName', () => {
    throwsAws(
      () => resolveSystemAttributeNames(undefined, ['Bogus']),
      'InvalidAttributeName',
      /Unknown Attribute Bogus/,
    );
    throwsAws(() => resolveSystemAttributeNames(['senderid'], undefined), 'InvalidAttributeName', /senderid/);
  });
});

describe('renderSystemAttributes', () => {
  const facts = {
    senderId: 'AKIDTEST',
    sentAt: T0,
    receiveCount: 2,
    firstReceiveAt: T0 + 1000,
  };
  const all = new Set<string>(MESSAGE_SYSTEM_ATTRIBUTE_NAMES);

  test('renders the wanted attributes as strings in AWS order', () => {
    const out = renderSystemAttributes(
      { ...facts, traceHeader: 'Root=1', deadLetterSourceArn: 'arn:aws:sqs:us-east-1:000000000000:src' },
      all,
    );
    assert.deepEqual(out, {
      SenderId: 'AKIDTEST',
      SentTimestamp: String(T0),
      ApproximateReceiveCount: '2',
      ApproximateFirstReceiveTimestamp: String(T0 + 1000),
      AWSTraceHeader: 'Root=1',
      DeadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:000000000000:src',
    });
    assert.deepEqual(Object.keys(out), [
      'SenderId',
      'SentTimestamp',
      'ApproximateReceiveCount',
      'ApproximateFirstReceiveTimestamp',
      'AWSTraceHeader',
      'DeadLetterQueueSourceArn',
    ]);
  });

  test('leaves out unwanted and absent attributes', () => {
    assert.deepEqual(renderSystemAttributes(facts, new Set(['SentTimestamp'])), { SentTimestamp: String(T0) });
    assert.deepEqual(renderSystemAttributes({ ...facts, firstReceiveAt: null }, all), {
      SenderId: 'AKIDTEST',
      SentTimestamp: String(T0),
      ApproximateReceiveCount: '2',
    });
    assert.deepEqual(renderSystemAttributes(facts, new Set()), {});
  });
});

describe('selectMessageAttributes', () => {
  const attributes: MessageAttributes = {
    'foo.a': { DataType: 'String', StringValue: '1' },
    'foo.b': { DataType: 'Number', StringValue: '2' },
    foobar: { DataType: 'String', StringValue: '3' },
    bar: { DataType: 'Binary', BinaryValue: Buffer.from('bin').toString('base64') },
  };
  const names = (requested: string[] | undefined) =>
    Object.keys(selectMessageAttributes(attributes, requested).attributes).sort();

  test('nothing requested, nothing returned and no md5', () => {
    assert.deepEqual(selectMessageAttributes(attributes, undefined), { attributes: {}, md5: undefined });
    assert.deepEqual(selectMessageAttributes(attributes, []), { attributes: {}, md5: undefined });
  });

  test('All and .* return every attribute with the md5 of all', () => {
    for (const requested of [['All'], ['.*'], ['bar', 'All']]) {
      const out = selectMessageAttributes(attributes, requested);
      assert.deepEqual(out.attributes, attributes);
      assert.equal(out.md5, md5OfMessageAttributes(attributes));
    }
  });

  test('prefix.* selects by prefix including the period', () => {
    assert.deepEqual(names(['foo.*']), ['foo.a', 'foo.b']);
    assert.deepEqual(names(['foo.*', 'bar']), ['bar', 'foo.a', 'foo.b'].sort());
  });

  test('exact names select only those', () => {
    assert.deepEqual(names(['foobar']), ['foobar']);
    assert.deepEqual(names(['FOOBAR', 'missing']), []);
  });

  test('the md5 covers only the returned subset', () => {
    const out = selectMessageAttributes(attributes, ['bar', 'foo.a']);
    const subset = { bar: attributes.bar, 'foo.a': attributes['foo.a'] } as MessageAttributes;
    assert.equal(out.md5, md5OfMessageAttributes(subset));
    assert.notEqual(out.md5, md5OfMessageAttributes(attributes));
    assert.equal(selectMessageAttributes(attributes, ['missing']).md5, undefined);
  });
});
