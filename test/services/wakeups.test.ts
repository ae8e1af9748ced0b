import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemClock } from '../../src/core/clock.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { QueueService } from '../../src/services/queue-service.js';
import { InProcessWakeups } from '../../src/services/wakeups.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

test('a notify between reading the version and waiting ends the wait at once', async () => {
  const wakeups = new InProcessWakeups();
  const seen = wakeups.version(7);
  wakeups.notify(7);
  const outcome = await Promise.race([
    wakeups.wait(7, 60_000, undefined, seen).then(() => 'woken'),
    new Promise((resolve) => setTimeout(() => resolve('slept'), 500)),
  ]);
  assert.equal(outcome, 'woken');
  // Without a newer notify the same version waits.
  const current = wakeups.version(7);
  const idle = await Promise.race([
    wakeups.wait(7, 60_000, undefined, current).then(() => 'woken'),
    new Promise((resolve) => setTimeout(() => resolve('slept'), 100)),
  ]);
  assert.equal(idle, 'slept');
  wakeups.close();
});

test('a long poll and a send issued together: the poll gets the message, never sleeps out its wait', async () => {
  const store = new SqliteStore({ dataDir: ':memory:' });
  const wakeups = new InProcessWakeups();
  const queues = new QueueService({ store, clock: systemClock, limits: { ...DEFAULT_LIMITS }, wakeups });
  const ctx = { accountId: '000000000000', region: 'us-east-1', baseUrl: 'http://localhost:4566', senderId: 'test' };
  const { QueueUrl } = await queues.createQueue(ctx, { QueueName: 'race' });
  try {
    for (let i = 0; i < 40; i++) {
      // Same tick: both writes share one group commit, the receive's claim possibly before the send.
      const receiving = queues.receiveMessage(ctx, { QueueUrl, WaitTimeSeconds: 20 });
      const sending = queues.sendMessage(ctx, { QueueUrl, MessageBody: `m${i}` });
      const winner = await Promise.race([
        receiving.then((r) => r.Messages?.[0]?.Body ?? 'empty'),
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
      ]);
      await sending;
      assert.equal(winner, `m${i}`, `round ${i}`);
      const [message] = (await receiving).Messages ?? [];
      await queues.deleteMessage(ctx, { QueueUrl, ReceiptHandle: message?.ReceiptHandle ?? '' });
    }
  } finally {
    queues.stop();
    await store.close();
  }
});
