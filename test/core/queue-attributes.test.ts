import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/limits.js';
import {
  ALL_ATTRIBUTE_NAMES,
  defaultQueueAttributes,
  FIFO_ATTRIBUTES,
  firstDifferingAttribute,
  mergeQueueAttributes,
  parseRedriveAllowPolicy,
  parseRedrivePolicy,
  redriveAllowed,
  redriveAllowPolicyOf,
  redrivePolicyOf,
  resolveRequestedAttributes,
  validateQueueAttributes,
} from '../../src/core/queue-attributes.js';
import { throwsAws } from '../helpers/aws-error.js';

const limits: Limits = { ...DEFAULT_LIMITS };
const standard = { fifo: false, creating: true };
const validate = (input: Record<string, string>, l: Limits = limits) => validateQueueAttributes(input, l, standard);

const DLQ_ARN = 'arn:aws:sqs:us-east-1:000000000000:dlq';
const SRC_ARN = 'arn:aws:sqs:us-east-1:000000000000:src';

describe('defaultQueueAttributes', () => {
  test('has AWS defaults and the configured maximum message size', () => {
    assert.deepEqual(defaultQueueAttributes(limits), {
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '0',
      VisibilityTimeout: '30',
      SqsManagedSseEnabled: 'true',
    });
    assert.equal(defaultQueueAttributes({ ...limits, maxMessageBytes: 2048 }).MaximumMessageSize, '2048');
  });
});

describe('validateQueueAttributes: integer ranges', () => {
  const ranges: [string, number, number][] = [
    ['DelaySeconds', 0, 900],
    ['MaximumMessageSize', 1024, 1_048_576],
    ['MessageRetentionPeriod', 60, 1_209_600],
    ['ReceiveMessageWaitTimeSeconds', 0, 20],
    ['VisibilityTimeout', 0, 43_200],
    ['KmsDataKeyReusePeriodSeconds', 60, 86_400],
  ];
  for (const [name, min, max] of ranges) {
    test(`${name} accepts ${min}..${max} and nothing outside`, () => {
      assert.deepEqual(validate({ [name]: String(min) }), { [name]: String(min) });
      assert.deepEqual(validate({ [name]: String(max) }), { [name]: String(max) });
      for (const bad of [String(min - 1), String(max + 1), 'abc', '1.5', '', '1e3']) {
        throwsAws(
          () => validate({ [name]: bad }),
          'InvalidAttributeValue',
          new RegExp(`^Invalid value for the parameter ${name}\\.$`),
        );
      }
    });
  }

  test('integer values are normalised', () => {
    assert.deepEqual(validate({ VisibilityTimeout: '007' }), { VisibilityTimeout: '7' });
    assert.deepEqual(validate({ DelaySeconds: ' 5 ' }), { DelaySeconds: '5' });
  });

  test('ranges follow the configured limits', () => {
    const small = { ...limits, maxWaitTimeSeconds: 5, minMessageBytes: 100, maxMessageBytes: 2000 };
    assert.deepEqual(validate({ ReceiveMessageWaitTimeSeconds: '5' }, small), { ReceiveMessageWaitTimeSeconds: '5' });
    throwsAws(() => validate({ ReceiveMessageWaitTimeSeconds: '6' }, small), 'InvalidAttributeValue');
    assert.deepEqual(validate({ MaximumMessageSize: '100' }, small), { MaximumMessageSize: '100' });
    throwsAws(() => validate({ MaximumMessageSize: '2001' }, small), 'InvalidAttributeValue');
  });
});

describe('validateQueueAttributes: other attributes and names', () => {
  test('SqsManagedSseEnabled accepts true/false in any case', () => {
    assert.deepEqual(validate({ SqsManagedSseEnabled: 'TRUE' }), { SqsManagedSseEnabled: 'true' });
    assert.deepEqual(validate({ SqsManagedSseEnabled: 'False' }), { SqsManagedSseEnabled: 'false' });
    throwsAws(() => validate({ SqsManagedSseEnabled: 'yes' }), 'InvalidAttributeValue', /SqsManagedSseEnabled/);
  });

  test('Policy must be a JSON document; empty removes it', () => {
    const policy = '{"Version":"2012-10-17","Statement":[]}';
    assert.deepEqual(validate({ Policy: policy }), { Policy: policy });
    assert.deepEqual(validate({ Policy: '' }), { Policy: '' });
    for (const bad of ['not json', '"a string"', 'null', '42']) {
      throwsAws(() => validate({ Policy: bad }), 'InvalidAttributeValue', /Policy is not a valid JSON document/);
    }
  });

  test('KmsMasterKeyId is stored as given', () => {
    assert.deepEqual(validate({ KmsMasterKeyId: 'alias/aws/sqs' }), { KmsMasterKeyId: 'alias/aws/sqs' });
  });

  test('unknown names are InvalidAttributeName', () => {
    throwsAws(() => validate({ Bogus: '1' }), 'InvalidAttributeName', /^Unknown Attribute Bogus\.$/);
    throwsAws(() => validate({ visibilitytimeout: '1' }), 'InvalidAttributeName', /visibilitytimeout/);
  });

  test('computed attributes cannot be set', () => {
    for (const name of ['QueueArn', 'ApproximateNumberOfMessages', 'CreatedTimestamp', 'All']) {
      throwsAws(() => validate({ [name]: '1' }), 'InvalidAttributeName', new RegExp(`Unknown Attribute ${name}`));
    }
  });

  test('FIFO-only attributes on a standard queue are InvalidAttributeName', () => {
    for (const name of FIFO_ATTRIBUTES) {
      throwsAws(
        () => validateQueueAttributes({ [name]: 'true' }, limits, { fifo: false, creating: true }),
        'InvalidAttributeName',
        new RegExp(`^Unknown Attribute ${name}\\.$`),
      );
      throwsAws(
        () => validateQueueAttributes({ [name]: 'true' }, limits, { fifo: false, creating: false }),
        'InvalidAttributeName',
      );
    }
  });

  test('FIFO attributes on a FIFO queue are validated and normalised', () => {
    assert.deepEqual(
      validateQueueAttributes(
        {
          FifoQueue: 'TRUE',
          ContentBasedDeduplication: 'True',
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
        },
        limits,
        { fifo: true, creating: true },
      ),
      {
        FifoQueue: 'true',
        ContentBasedDeduplication: 'true',
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
      },
    );
    throwsAws(
      () => validateQueueAttributes({ DeduplicationScope: 'group' }, limits, { fifo: true, creating: true }),
      'InvalidAttributeValue',
      /DeduplicationScope/,
    );
    throwsAws(
      () => validateQueueAttributes({ FifoThroughputLimit: 'perGroup' }, limits, { fifo: true, creating: false }),
      'InvalidAttributeValue',
      /FifoThroughputLimit/,
    );
  });

  test('the queue type cannot change after creation', () => {
    throwsAws(
      () => validateQueueAttributes({ FifoQueue: 'true' }, limits, { fifo: true, creating: false }),
      'InvalidAttributeValue',
      /Modifying queue type is not supported/,
    );
  });

  test('several valid attributes are all returned', () => {
    assert.deepEqual(validate({ VisibilityTimeout: '60', DelaySeconds: '10', MessageRetentionPeriod: '600' }), {
      VisibilityTimeout: '60',
      DelaySeconds: '10',
      MessageRetentionPeriod: '600',
    });
  });
});

describe('RedrivePolicy', () => {
  const policy = (value: unknown) => JSON.stringify(value);

  test('a valid policy is normalised; maxReceiveCount may be a string', () => {
    assert.deepEqual(parseRedrivePolicy(policy({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 })), {
      deadLetterTargetArn: DLQ_ARN,
      maxReceiveCount: 5,
    });
    const out = validate({ RedrivePolicy: policy({ maxReceiveCount: '7', deadLetterTargetArn: DLQ_ARN }) });
    assert.deepEqual(JSON.parse(out.RedrivePolicy ?? ''), { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 7 });
    assert.deepEqual(redrivePolicyOf(out), { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 7 });
  });

  test('maxReceiveCount bounds are 1 and 1000', () => {
    assert.equal(parseRedrivePolicy(policy({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 1 })).maxReceiveCount, 1);
    assert.equal(
      parseRedrivePolicy(policy({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 1000 })).maxReceiveCount,
      1000,
    );
    for (const bad of [0, 1001, 1.5, -1, 'abc', null]) {
      throwsAws(
        () => parseRedrivePolicy(policy({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: bad })),
        'InvalidParameterValue',
        new RegExp(
          `Reason: Invalid value for maxReceiveCount: ${String(bad)}, valid values are from 1 to 1000 both inclusive\\.`,
        ),
      );
    }
  });

  test('malformed JSON and non-maps are rejected with AWS wording', () => {
    for (const raw of ['not json', '[]', '"x"', 'null']) {
      throwsAws(
        () => parseRedrivePolicy(raw),
        'InvalidParameterValue',
        new RegExp(
          `^Value ${raw.replace(/[[\]]/g, '\\$&')} for parameter RedrivePolicy is invalid\\. Reason: Redrive policy is not a valid JSON map\\.$`,
        ),
      );
    }
  });

  test('missing and unknown keys', () => {
    throwsAws(
      () => parseRedrivePolicy(policy({ maxReceiveCount: 3 })),
      'InvalidParameterValue',
      /does not contain mandatory attribute: deadLetterTargetArn/,
    );
    throwsAws(
      () => parseRedrivePolicy(policy({ deadLetterTargetArn: DLQ_ARN })),
      'InvalidParameterValue',
      /does not contain mandatory attribute: maxReceiveCount/,
    );
    throwsAws(
      () => parseRedrivePolicy(policy({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 3, extra: 1 })),
      'InvalidParameterValue',
      /Only following attributes are supported: \[deadLetterTargetArn, maxReceiveCount\]/,
    );
  });

  test('deadLetterTargetArn must be an SQS queue ARN', () => {
    for (const arn of ['nope', 'arn:aws:sns:us-east-1:000000000000:topic', 42]) {
      throwsAws(
        () => parseRedrivePolicy(policy({ deadLetterTargetArn: arn, maxReceiveCount: 3 })),
        'InvalidParameterValue',
        /Invalid value for deadLetterTargetArn/,
      );
    }
  });

  test('validateQueueAttributes reports RedrivePolicy errors as InvalidParameterValue and keeps "" for removal', () => {
    throwsAws(() => validate({ RedrivePolicy: '{' }), 'InvalidParameterValue', /parameter RedrivePolicy is invalid/);
    assert.deepEqual(validate({ RedrivePolicy: '' }), { RedrivePolicy: '' });
    assert.equal(redrivePolicyOf({}), undefined);
  });
});

describe('RedriveAllowPolicy', () => {
  const policy = (value: unknown) => JSON.stringify(value);

  test('allowAll, denyAll and byQueue parse', () => {
    assert.deepEqual(parseRedriveAllowPolicy(policy({ redrivePermission: 'allowAll' })), {
      redrivePermission: 'allowAll',
    });
    assert.deepEqual(parseRedriveAllowPolicy(policy({ redrivePermission: 'denyAll' })), {
      redrivePermission: 'denyAll',
    });
    assert.deepEqual(parseRedriveAllowPolicy(policy({ redrivePermission: 'byQueue', sourceQueueArns: [SRC_ARN] })), {
      redrivePermission: 'byQueue',
      sourceQueueArns: [SRC_ARN],
    });
  });

  test('byQueue needs 1 to 10 SQS ARNs', () => {
    const arns = (n: number) => Array.from({ length: n }, (_, i) => `${SRC_ARN}${i}`);
    assert.equal(
      parseRedriveAllowPolicy(policy({ redrivePermission: 'byQueue', sourceQueueArns: arns(10) })).sourceQueueArns
        ?.length,
      10,
    );
    for (const sourceQueueArns of [undefined, [], arns(11)]) {
      throwsAws(
        () => parseRedriveAllowPolicy(policy({ redrivePermission: 'byQueue', sourceQueueArns })),
        'InvalidParameterValue',
        /sourceQueueArns must contain 1 to 10 queue ARNs/,
      );
    }
    throwsAws(
      () => parseRedriveAllowPolicy(policy({ redrivePermission: 'byQueue', sourceQueueArns: ['not-an-arn'] })),
      'InvalidParameterValue',
      /sourceQueueArns must be SQS queue ARNs/,
    );
  });

  test('sourceQueueArns only with byQueue; unknown permission; bad JSON', () => {
    throwsAws(
      () => parseRedriveAllowPolicy(policy({ redrivePermission: 'allowAll', sourceQueueArns: [SRC_ARN] })),
      'InvalidParameterValue',
      /only allowed when redrivePermission is byQueue/,
    );
    throwsAws(
      () => parseRedriveAllowPolicy(policy({ redrivePermission: 'sometimes' })),
      'InvalidParameterValue',
      /Invalid value for redrivePermission/,
    );
    throwsAws(
      () => parseRedriveAllowPolicy('{{'),
      'InvalidParameterValue',
      /parameter RedriveAllowPolicy is invalid\. Reason: Redrive allow policy is not a valid JSON map\./,
    );
  });

  test('validateQueueAttributes normalises it and keeps "" for removal', () => {
    const out = validate({ RedriveAllowPolicy: policy({ redrivePermission: 'denyAll' }) });
    assert.deepEqual(redriveAllowPolicyOf(out), { redrivePermission: 'denyAll' });
    assert.deepEqual(validate({ RedriveAllowPolicy: '' }), { RedriveAllowPolicy: '' });
  });

  test('redriveAllowed', () => {
    assert.equal(redriveAllowed(undefined, SRC_ARN), true);
    assert.equal(redriveAllowed({ redrivePermission: 'allowAll' }, SRC_ARN), true);
    assert.equal(redriveAllowed({ redrivePermission: 'denyAll' }, SRC_ARN), false);
    assert.equal(redriveAllowed({ redrivePermission: 'byQueue', sourceQueueArns: [SRC_ARN] }, SRC_ARN), true);
    assert.equal(redriveAllowed({ redrivePermission: 'byQueue', sourceQueueArns: [SRC_ARN] }, DLQ_ARN), false);
  });
});

describe('firstDifferingAttribute', () => {
  const existing = { VisibilityTimeout: '30', DelaySeconds: '0', MessageRetentionPeriod: '345600' };

  test('identical or absent-and-empty values do not differ', () => {
    assert.equal(firstDifferingAttribute(existing, {}), undefined);
    assert.equal(firstDifferingAttribute(existing, { VisibilityTimeout: '30', DelaySeconds: '0' }), undefined);
    assert.equal(firstDifferingAttribute(existing, { Policy: '' }), undefined);
  });

  test('names the first requested attribute that differs', () => {
    assert.equal(
      firstDifferingAttribute(existing, { DelaySeconds: '0', VisibilityTimeout: '31', MessageRetentionPeriod: '60' }),
      'VisibilityTimeout',
    );
    assert.equal(firstDifferingAttribute(existing, { Policy: '{}' }), 'Policy');
  });
});

describe('mergeQueueAttributes', () => {
  test('an empty string removes optional attributes; other values replace', () => {
    const current = {
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 3 }),
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }),
      Policy: '{}',
      KmsMasterKeyId: 'alias/aws/sqs',
    };
    const snapshot = { ...current };
    const merged = mergeQueueAttributes(current, {
      RedrivePolicy: '',
      RedriveAllowPolicy: '',
      Policy: '',
      KmsMasterKeyId: '',
      VisibilityTimeout: '60',
      DelaySeconds: '5',
    });
    assert.deepEqual(merged, { VisibilityTimeout: '60', DelaySeconds: '5' });
    assert.deepEqual(current, snapshot, 'the current attributes are not modified');
  });

  test('validate then merge removes a redrive policy set with ""', () => {
    const current = { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 3 }) };
    const merged = mergeQueueAttributes(current, validate({ RedrivePolicy: '' }));
    assert.equal('RedrivePolicy' in merged, false);
  });
});

describe('resolveRequestedAttributes', () => {
  test('no names means nothing', () => {
    assert.equal(resolveRequestedAttributes(undefined).size, 0);
    assert.equal(resolveRequestedAttributes([]).size, 0);
  });

  test('All expands to every attribute name', () => {
    const all = resolveRequestedAttributes(['All']);
    assert.deepEqual([...all].sort(), [...ALL_ATTRIBUTE_NAMES].sort());
    for (const name of ['QueueArn', 'ApproximateNumberOfMessagesDelayed', 'RedrivePolicy', 'VisibilityTimeout']) {
      assert.ok(all.has(name), name);
    }
  });

  test('named attributes only', () => {
    assert.deepEqual([...resolveRequestedAttributes(['VisibilityTimeout', 'QueueArn'])].sort(), [
      'QueueArn',
      'VisibilityTimeout',
    ]);
  });

  test('an unknown name is InvalidAttributeName', () => {
    throwsAws(
      () => resolveRequestedAttributes(['VisibilityTimeout', 'Nope']),
      'InvalidAttributeName',
      /^Unknown Attribute Nope\.$/,
    );
  });
});
