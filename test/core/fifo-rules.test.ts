// FIFO send rules (group / deduplication identity), sequence numbers and cross-attribute rules.
// Expected texts are AWS's: /work/shared/notes/sqs-protocol-and-peers.md §1.1 and §1.4, and the SendMessage API
// reference (MessageDeduplicationId: "SHA-256 hash ... using the body of the message (but not the attributes)").
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  checkFifoAttributeConsistency,
  DEDUP_WINDOW_MS,
  FIFO_DEFAULT_ATTRIBUTES,
  type FifoSendFields,
  fifoIdentity,
  formatSequenceNumber,
} from '../../src/core/fifo-rules.js';
import type { QueueAttributeValues } from '../../src/core/queue-attributes.js';
import { throwsAws } from '../helpers/aws-error.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const explicitDedup: QueueAttributeValues = { ...FIFO_DEFAULT_ATTRIBUTES };
const contentBased: QueueAttributeValues = { ...FIFO_DEFAULT_ATTRIBUTES, ContentBasedDeduplication: 'true' };
const groupScoped: QueueAttributeValues = { ...FIFO_DEFAULT_ATTRIBUTES, DeduplicationScope: 'messageGroup' };

/** Every character AWS allows in group and deduplication ids. */
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const ALLOWED = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${PUNCTUATION}`;
const validToken = fc.string({ unit: fc.constantFrom(...ALLOWED), minLength: 1, maxLength: 128 });
/** Characters outside the set: space, control characters, non-ASCII letters and symbols, an astral emoji. */
const forbiddenChar = fc.constantFrom(' ', '\t', '\n', '\u0000', '\u007f', 'é', 'ß', '中', '€', '\u00a0', '😀');

const tokenReason = (parameter: string) =>
  `${parameter} can only include alphanumeric and punctuation characters. 1 to 128 in length.`;

describe('fifoIdentity: MessageGroupId', () => {
  test('a missing MessageGroupId is MissingParameter with AWS text', () => {
    throwsAws(
      () => fifoIdentity({ MessageBody: 'x', MessageDeduplicationId: 'd' }, explicitDedup),
      'MissingParameter',
      'The request must contain the parameter MessageGroupId.',
    );
  });

  test('alphanumeric and every punctuation character are accepted, up to 128 characters', () => {
    for (const groupId of [PUNCTUATION, 'a', 'A9', 'g'.repeat(128), ALLOWED.slice(0, 128)]) {
      assert.equal(
        fifoIdentity({ MessageBody: 'x', MessageGroupId: groupId, MessageDeduplicationId: 'd' }, explicitDedup).groupId,
        groupId,
      );
    }
  });

  test('129 characters are rejected with AWS text', () => {
    const groupId = 'g'.repeat(129);
    throwsAws(
      () => fifoIdentity({ MessageBody: 'x', MessageGroupId: groupId, MessageDeduplicationId: 'd' }, explicitDedup),
      'InvalidParameterValue',
      `Value ${groupId} for parameter MessageGroupId is invalid. Reason: ${tokenReason('MessageGroupId')}`,
    );
  });

  test('property: any valid token is accepted as a group id and kept as is', () => {
    fc.assert(
      fc.property(validToken, (groupId) => {
        const identity = fifoIdentity(
          { MessageBody: 'x', MessageGroupId: groupId, MessageDeduplicationId: 'd' },
          explicitDedup,
        );
        assert.equal(identity.groupId, groupId);
      }),
    );
  });

  test('property: a token with any character outside the allowed set is rejected', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...ALLOWED), maxLength: 60 }),
        forbiddenChar,
        fc.string({ unit: fc.constantFrom(...ALLOWED), maxLength: 60 }),
        (before, bad, after) => {
          const groupId = `${before}${bad}${after}`;
          throwsAws(
            () =>
              fifoIdentity({ MessageBody: 'x', MessageGroupId: groupId, MessageDeduplicationId: 'd' }, explicitDedup),
            'InvalidParameterValue',
            /parameter MessageGroupId is invalid/,
          );
        },
      ),
    );
  });
});

describe('fifoIdentity: MessageDeduplicationId', () => {
  test('without a deduplication id and without ContentBasedDeduplication it is InvalidParameterValue', () => {
    const expected =
      'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly';
    throwsAws(
      () => fifoIdentity({ MessageBody: 'x', MessageGroupId: 'g' }, explicitDedup),
      'InvalidParameterValue',
      expected,
    );
    throwsAws(
      () => fifoIdentity({ MessageBody: 'x', MessageGroupId: 'g' }, { FifoQueue: 'true' }),
      'InvalidParameterValue',
      expected,
    );
  });

  test('an explicit id is kept, and accepted with the same character rules as group ids', () => {
    const identity = fifoIdentity(
      { MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: PUNCTUATION },
      explicitDedup,
    );
    assert.equal(identity.dedupId, PUNCTUATION);
    assert.equal(
      fifoIdentity({ MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd'.repeat(128) }, explicitDedup)
        .dedupId,
      'd'.repeat(128),
    );
  });

  test('129 characters or a forbidden character are rejected with AWS text', () => {
    for (const dedupId of ['d'.repeat(129), 'has space', 'naïve']) {
      throwsAws(
        () => fifoIdentity({ MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: dedupId }, explicitDedup),
        'InvalidParameterValue',
        `Value ${dedupId} for parameter MessageDeduplicationId is invalid. Reason: ${tokenReason('MessageDeduplicationId')}`,
      );
    }
  });

  test('property: any valid token is accepted as a deduplication id', () => {
    fc.assert(
      fc.property(validToken, (dedupId) => {
        assert.equal(
          fifoIdentity({ MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: dedupId }, explicitDedup)
            .dedupId,
          dedupId,
        );
      }),
    );
  });

  test('property: content-based deduplication is the SHA-256 hex of the UTF-8 body', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }), (body) => {
        const identity = fifoIdentity({ MessageBody: body, MessageGroupId: 'g' }, contentBased);
        assert.equal(identity.dedupId, sha256(body));
        assert.match(identity.dedupId, /^[0-9a-f]{64}$/);
      }),
    );
    // A known vector, independent of node:crypto.
    assert.equal(
      fifoIdentity({ MessageBody: 'abc', MessageGroupId: 'g' }, contentBased).dedupId,
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  test('content-based deduplication ignores message attributes and the group', () => {
    const plain: FifoSendFields & { MessageAttributes?: unknown } = { MessageBody: 'same', MessageGroupId: 'g1' };
    const withAttributes: FifoSendFields & { MessageAttributes?: unknown } = {
      MessageBody: 'same',
      MessageGroupId: 'g2',
      MessageAttributes: { a: { DataType: 'String', StringValue: 'x' } },
    };
    const a = fifoIdentity(plain, contentBased);
    const b = fifoIdentity(withAttributes, contentBased);
    assert.equal(a.dedupId, b.dedupId);
    assert.equal(a.dedupKey, b.dedupKey, 'queue scope: same body, same key whatever the group');
    assert.notEqual(fifoIdentity({ MessageBody: 'other', MessageGroupId: 'g1' }, contentBased).dedupId, a.dedupId);
  });

  test('an explicit id overrides content-based deduplication; an id equal to a body hash collides with it', () => {
    const explicit = fifoIdentity(
      { MessageBody: 'body', MessageGroupId: 'g', MessageDeduplicationId: 'mine' },
      contentBased,
    );
    assert.equal(explicit.dedupId, 'mine');
    // AWS: a message whose explicit id equals the hash generated for another message is its duplicate.
    const generated = fifoIdentity({ MessageBody: 'first', MessageGroupId: 'g' }, contentBased);
    const spoofed = fifoIdentity(
      { MessageBody: 'second', MessageGroupId: 'g', MessageDeduplicationId: sha256('first') },
      contentBased,
    );
    assert.equal(spoofed.dedupKey, generated.dedupKey);
  });

  test('an empty deduplication id counts as absent', () => {
    throwsAws(
      () => fifoIdentity({ MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: '' }, explicitDedup),
      'InvalidParameterValue',
      /ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly/,
    );
    assert.equal(
      fifoIdentity({ MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: '' }, contentBased).dedupId,
      sha256('x'),
    );
  });
});

describe('fifoIdentity: DeduplicationScope', () => {
  const key = (groupId: string, dedupId: string, attributes: QueueAttributeValues) =>
    fifoIdentity({ MessageBody: 'x', MessageGroupId: groupId, MessageDeduplicationId: dedupId }, attributes).dedupKey;

  test('queue scope (the default) keys by the deduplication id alone', () => {
    assert.equal(key('g1', 'd', explicitDedup), key('g2', 'd', explicitDedup));
    assert.notEqual(key('g1', 'd1', explicitDedup), key('g1', 'd2', explicitDedup));
    assert.equal(key('g1', 'd', { FifoQueue: 'true' }), key('g2', 'd', { FifoQueue: 'true' }));
  });

  test('messageGroup scope keys by group and id', () => {
    assert.notEqual(key('g1', 'd', groupScoped), key('g2', 'd', groupScoped));
    assert.equal(key('g1', 'd', groupScoped), key('g1', 'd', groupScoped));
    assert.notEqual(key('g1', 'd1', groupScoped), key('g1', 'd2', groupScoped));
  });

  test('property: under messageGroup scope distinct (group, id) pairs never share a key', () => {
    fc.assert(
      fc.property(validToken, validToken, validToken, validToken, (g1, d1, g2, d2) => {
        fc.pre(g1 !== g2 || d1 !== d2);
        assert.notEqual(key(g1, d1, groupScoped), key(g2, d2, groupScoped));
      }),
    );
    // Boundary-shifting pairs that a naive concatenation would confuse.
    assert.notEqual(key('a:b', 'c', groupScoped), key('a', 'b:c', groupScoped));
    assert.notEqual(key('a', 'bc', groupScoped), key('ab', 'c', groupScoped));
    assert.notEqual(key('a","b', 'c', groupScoped), key('a', 'b","c', groupScoped));
  });

  test('property: under queue scope the key depends on the id only', () => {
    fc.assert(
      fc.property(validToken, validToken, validToken, (g1, g2, d) => {
        assert.equal(key(g1, d, explicitDedup), key(g2, d, explicitDedup));
      }),
    );
  });
});

describe('fifoIdentity: DelaySeconds', () => {
  test('absent or 0 is accepted', () => {
    assert.equal(
      fifoIdentity(
        { MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 0 },
        explicitDedup,
      ).groupId,
      'g',
    );
    assert.equal(
      fifoIdentity({ MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd' }, explicitDedup).groupId,
      'g',
    );
  });

  test('a non-zero per-message delay is InvalidParameterValue with AWS text', () => {
    throwsAws(
      () =>
        fifoIdentity(
          { MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 2 },
          explicitDedup,
        ),
      'InvalidParameterValue',
      'Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.',
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 900 }), (delay) => {
        throwsAws(
          () =>
            fifoIdentity(
              { MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: delay },
              contentBased,
            ),
          'InvalidParameterValue',
          /parameter DelaySeconds is invalid/,
        );
      }),
    );
  });
});

describe('formatSequenceNumber', () => {
  test('property: always 20 decimal digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        assert.match(formatSequenceNumber(n), /^[1-9]\d{19}$/);
      }),
    );
    assert.match(formatSequenceNumber(0), /^\d{20}$/);
    assert.match(formatSequenceNumber(1), /^\d{20}$/);
  });

  test('property: strictly increasing, numerically and as strings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (a, step) => {
          const b = Math.min(a + step, Number.MAX_SAFE_INTEGER);
          fc.pre(b > a);
          const [sa, sb] = [formatSequenceNumber(a), formatSequenceNumber(b)];
          assert.ok(BigInt(sa) < BigInt(sb), `${sa} < ${sb}`);
          assert.ok(sa < sb, 'same length, so string order is numeric order');
          assert.equal(BigInt(sb) - BigInt(sa), BigInt(b - a), 'distinct counters never collapse');
        },
      ),
    );
  });

  test('consecutive counters give consecutive numbers', () => {
    const seq = Array.from({ length: 50 }, (_, i) => BigInt(formatSequenceNumber(i + 1)));
    for (let i = 1; i < seq.length; i++) assert.equal((seq[i] as bigint) - (seq[i - 1] as bigint), 1n);
  });
});

describe('checkFifoAttributeConsistency', () => {
  test('perMessageGroupId needs DeduplicationScope messageGroup', () => {
    throwsAws(
      () => checkFifoAttributeConsistency({ FifoThroughputLimit: 'perMessageGroupId', DeduplicationScope: 'queue' }),
      'InvalidAttributeValue',
      /FifoThroughputLimit/,
    );
    throwsAws(
      () => checkFifoAttributeConsistency({ FifoThroughputLimit: 'perMessageGroupId' }),
      'InvalidAttributeValue',
      /perMessageGroupId/,
    );
    assert.doesNotThrow(() =>
      checkFifoAttributeConsistency({ FifoThroughputLimit: 'perMessageGroupId', DeduplicationScope: 'messageGroup' }),
    );
  });

  test('perQueue goes with either scope; the defaults are consistent', () => {
    for (const scope of ['queue', 'messageGroup']) {
      assert.doesNotThrow(() =>
        checkFifoAttributeConsistency({ FifoThroughputLimit: 'perQueue', DeduplicationScope: scope }),
      );
    }
    assert.doesNotThrow(() => checkFifoAttributeConsistency({}));
    assert.doesNotThrow(() => checkFifoAttributeConsistency({ ...FIFO_DEFAULT_ATTRIBUTES }));
  });
});

describe('constants', () => {
  test('the deduplication window is 5 minutes and the defaults are AWS defaults', () => {
    assert.equal(DEDUP_WINDOW_MS, 300_000);
    assert.deepEqual(
      { ...FIFO_DEFAULT_ATTRIBUTES },
      {
        FifoQueue: 'true',
        ContentBasedDeduplication: 'false',
        DeduplicationScope: 'queue',
        FifoThroughputLimit: 'perQueue',
      },
    );
    assert.ok(Object.isFrozen(FIFO_DEFAULT_ATTRIBUTES));
  });
});
