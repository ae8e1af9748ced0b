// The client commands' pure parts: ages, the queue table, the progress bar, --rate, endpoints and errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatAge, type QueueOverview, renderQueueTable } from '../../src/cli/commands/queues.js';
import { completedSummary, parseRate, progressBar, progressText } from '../../src/cli/commands/redrive.js';
import { CliError, DEFAULT_ENDPOINT, resolveEndpoint, toCliError } from '../../src/cli/endpoint.js';

const queue = (over: Partial<QueueOverview>): QueueOverview => ({
  name: 'q',
  url: 'http://x/000000000000/q',
  arn: 'arn:aws:sqs:us-east-1:000000000000:q',
  fifo: false,
  visible: 0,
  inFlight: 0,
  delayed: 0,
  oldestMessageAgeSeconds: null,
  deadLetterQueue: null,
  maxReceiveCount: null,
  deadLetterSources: [],
  ...over,
});

describe('queues', () => {
  test('formatAge', () => {
    assert.equal(formatAge(null), '-');
    assert.equal(formatAge(0), '0s');
    assert.equal(formatAge(3), '3s');
    assert.equal(formatAge(302), '5m 2s');
    assert.equal(formatAge(3600 + 4 * 60 + 59), '1h 4m');
    assert.equal(formatAge(2 * 86_400 + 3 * 3600), '2d 3h');
  });

  test('the table: sorted, aligned, links both ways; colour only for non-empty DLQs', () => {
    const queues = [
      queue({ name: 'orders', visible: 12, oldestMessageAgeSeconds: 65, deadLetterQueue: 'dlq', maxReceiveCount: 3 }),
      queue({ name: 'dlq', visible: 2, oldestMessageAgeSeconds: 4000, deadLetterSources: ['orders', 'refunds'] }),
      queue({ name: 'refunds', deadLetterQueue: 'dlq', maxReceiveCount: 5 }),
      queue({ name: 'idle-dlq', deadLetterSources: ['x'] }),
      queue({ name: 'jobs.fifo', fifo: true, inFlight: 1, delayed: 7, oldestMessageAgeSeconds: 1 }),
    ];
    const plain = renderQueueTable(queues);
    assert.equal(
      plain,
      [
        'NAME       TYPE  VISIBLE  IN FLIGHT  DELAYED  OLDEST  DLQ',
        'dlq        std         2          0        0   1h 6m  ← orders, refunds',
        'idle-dlq   std         0          0        0       -  ← x',
        'jobs.fifo  fifo        0          1        7      1s',
        'orders     std        12          0        0   1m 5s  → dlq (max 3)',
        'refunds    std         0          0        0       -  → dlq (max 5)',
      ].join('\n'),
    );
    const coloured = renderQueueTable(queues, true).split('\n');
    assert.match(coloured[1] ?? '', /^\x1b\[1;31mdlq .*\x1b\[0m$/, 'a DLQ holding messages stands out');
    assert.doesNotMatch(coloured[2] ?? '', /\x1b/, 'an empty DLQ does not');
    assert.doesNotMatch(coloured[4] ?? '', /\x1b/, 'a source with messages does not');
    assert.equal(renderQueueTable([]), 'no queues');
  });
});

describe('redrive', () => {
  test('progress bar and text', () => {
    assert.equal(progressBar(120, 500, 38.4, 12), '[##----------] 120/500 moved  24%  38 msg/s');
    assert.equal(progressBar(0, 0, undefined, 4), '[####] 0/0 moved  100%');
    assert.equal(progressBar(500, 500, 0, 4), '[####] 500/500 moved  100%  0 msg/s');
    assert.equal(progressText(1, 3, undefined), '1/3 moved  33%');
  });

  test('summary', () => {
    assert.equal(completedSummary(1, 1, 'dlq', 'orders'), 'moved 1 message from dlq to orders');
    assert.equal(
      completedSummary(3, 5, 'dlq', 'their source queues'),
      'moved 3 messages from dlq to their source queues (2 of 5 not moved)',
    );
  });

  test('--rate is an integer from 1 to 500', () => {
    assert.equal(parseRate('1'), 1);
    assert.equal(parseRate('500'), 500);
    for (const bad of ['0', '501', '1.5', 'ten', '', '-3', '1e2']) assert.throws(() => parseRate(bad), /1 to 500/, bad);
  });
});

describe('endpoint', () => {
  test('flag, then SWITCHYARD_ENDPOINT, then the default; no trailing slash', () => {
    assert.equal(resolveEndpoint(undefined, {}), DEFAULT_ENDPOINT);
    assert.equal(resolveEndpoint(undefined, { SWITCHYARD_ENDPOINT: 'http://h:1234/' }), 'http://h:1234');
    assert.equal(resolveEndpoint('http://flag:1', { SWITCHYARD_ENDPOINT: 'http://env:2' }), 'http://flag:1');
    assert.throws(() => resolveEndpoint('not a url', {}), CliError);
    assert.throws(() => resolveEndpoint('ftp://x', {}), /http/);
  });

  test('errors become one line', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(toCliError(refused, 'http://h:1').message, 'cannot reach http://h:1: connection refused');
    const nested = new TypeError('fetch failed', { cause: new AggregateError([refused]) });
    assert.equal(toCliError(nested, 'http://h:1').message, 'cannot reach http://h:1: connection refused');
    const aws = Object.assign(new Error('Task does not exist.'), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    assert.equal(toCliError(aws, 'http://h').message, 'ResourceNotFoundException: Task does not exist.');
    assert.equal(toCliError(new Error('odd'), 'http://h').message, 'odd');
  });
});
