import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AwsError } from '../../src/core/errors.js';
import {
  isFifoName,
  isValidAccountId,
  isValidBatchEntryId,
  parseQueueArn,
  parseQueueUrlPath,
  queueArn,
  validateQueueName,
} from '../../src/core/names.js';

function rejectsName(name: string, message: RegExp): void {
  assert.throws(
    () => validateQueueName(name),
    (e: unknown) => {
      assert.ok(e instanceof AwsError, `expected an AwsError, got ${String(e)}`);
      assert.equal(e.code, 'InvalidParameterValue');
      assert.match(e.message, message);
      return true;
    },
    `expected ${JSON.stringify(name)} to be rejected`,
  );
}

describe('queue names', () => {
  test('accepts 1 to 80 alphanumerics, hyphens and underscores', () => {
    for (const name of ['q', 'My_Queue-1', 'x'.repeat(80), '0', '-', '_']) {
      assert.doesNotThrow(() => validateQueueName(name), name);
    }
  });

  test('rejects anything else', () => {
    for (const name of ['', 'x'.repeat(81), 'has space', 'dot.ted', 'slash/q', 'ünï', 'q*']) {
      rejectsName(name, /Can only include alphanumeric characters, hyphens, or underscores\. 1 to 80 in length/);
    }
  });

  test('FIFO names end with .fifo and are at most 80 characters in all', () => {
    assert.equal(isFifoName('orders.fifo'), true);
    assert.equal(isFifoName('orders'), false);
    assert.doesNotThrow(() => validateQueueName(`${'x'.repeat(75)}.fifo`));
    rejectsName(`${'x'.repeat(76)}.fifo`, /must end with \.fifo suffix and be 1 to 80 in length/);
    rejectsName('.fifo', /FIFO queue/);
    rejectsName('a.b.fifo', /FIFO queue/);
  });

  test('property: generated valid names pass', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/), (name) => {
        validateQueueName(name);
      }),
    );
  });
});

describe('batch entry ids and account ids', () => {
  test('batch ids are 1 to 80 of [A-Za-z0-9_-]', () => {
    assert.equal(isValidBatchEntryId('a'), true);
    assert.equal(isValidBatchEntryId('Entry_1-x'), true);
    assert.equal(isValidBatchEntryId('x'.repeat(80)), true);
    assert.equal(isValidBatchEntryId('x'.repeat(81)), false);
    assert.equal(isValidBatchEntryId(''), false);
    assert.equal(isValidBatchEntryId('a.b'), false);
    assert.equal(isValidBatchEntryId('a b'), false);
  });

  test('account ids are 12 digits', () => {
    assert.equal(isValidAccountId('000000000000'), true);
    assert.equal(isValidAccountId('12345678901'), false);
    assert.equal(isValidAccountId('1234567890123'), false);
    assert.equal(isValidAccountId('12345678901a'), false);
  });
});

describe('queue ARNs', () => {
  test('format', () => {
    assert.equal(queueArn('us-east-1', '000000000000', 'q'), 'arn:aws:sqs:us-east-1:000000000000:q');
  });

  test('parse, in any partition', () => {
    assert.deepEqual(parseQueueArn('arn:aws:sqs:us-east-1:000000000000:q'), {
      region: 'us-east-1',
      accountId: '000000000000',
      name: 'q',
    });
    assert.deepEqual(parseQueueArn('arn:aws-cn:sqs:cn-north-1:123456789012:orders.fifo'), {
      region: 'cn-north-1',
      accountId: '123456789012',
      name: 'orders.fifo',
    });
  });

  test('property: parse(format(x)) = x', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]{2}-[a-z]+-\d$/),
        fc.stringMatching(/^\d{12}$/),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,80}$/),
        (region, accountId, name) => {
          assert.deepEqual(parseQueueArn(queueArn(region, accountId, name)), { region, accountId, name });
        },
      ),
    );
  });

  test('anything but an SQS queue ARN is undefined', () => {
    for (const arn of [
      '',
      'nope',
      'arn:aws:sns:us-east-1:000000000000:topic',
      'arn:aws:sqs:us-east-1:000000000000',
      'arn:aws:sqs:us-east-1:000000000000:q:extra',
      'arn:aws:sqs::000000000000:q',
      'arn:aws:sqs:us-east-1::q',
      'arn:aws:sqs:us-east-1:000000000000:',
      'urn:aws:sqs:us-east-1:000000000000:q',
    ]) {
      assert.equal(parseQueueArn(arn), undefined, arn);
    }
  });
});

describe('queue URLs', () => {
  test('resolved by the last two path segments with any scheme and host', () => {
    const expected = { accountId: '000000000000', name: 'q' };
    for (const url of [
      'http://localhost:4566/000000000000/q',
      'https://sqs.us-east-1.amazonaws.com/000000000000/q',
      'http://proxy.internal:8080/some/prefix/000000000000/q',
      'http://localhost:4566/000000000000/q/',
      'HTTP://LOCALHOST/000000000000/q',
      'http://localhost:4566/000000000000/q?Action=SendMessage',
      '/000000000000/q',
      '000000000000/q',
    ]) {
      assert.deepEqual(parseQueueUrlPath(url), expected, url);
    }
  });

  test('percent-encoded segments are decoded', () => {
    assert.deepEqual(parseQueueUrlPath('http://h/000000000000/my%2Dqueue'), {
      accountId: '000000000000',
      name: 'my-queue',
    });
  });

  test('fewer than two segments is undefined', () => {
    for (const url of ['http://localhost:4566/', 'http://localhost:4566/q', 'q', '', '/']) {
      assert.equal(parseQueueUrlPath(url), undefined, url);
    }
  });

  test('a URL that cannot be parsed is undefined', () => {
    assert.equal(parseQueueUrlPath('http://[bad/000000000000/q'), undefined);
  });

  test('malformed percent-encoding is undefined, not a thrown URIError', () => {
    for (const url of ['http://h/000000000000/%E0%A4%A', 'http://h/%ZZ/q', '/000000000000/%']) {
      let result: unknown;
      assert.doesNotThrow(() => {
        result = parseQueueUrlPath(url);
      }, url);
      assert.equal(result, undefined, url);
    }
  });
});
