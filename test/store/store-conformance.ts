/**
 * Behaviour every storage engine must show. Each test gets a fresh store from `makeStore` and closes it.
 * Only the `Store` port is used here, so a PostgreSQL engine can run the same suite.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MessageAttributes } from '../../src/core/message.js';
import type { ClaimDecision } from '../../src/core/receive-rules.js';
import type {
  AlarmRecord,
  ClaimRequest,
  DeliveryRecord,
  NewAlarmHistoryItem,
  NewArchive,
  NewDelivery,
  NewEventBus,
  NewMessage,
  NewQueue,
  NewReplay,
  NewRule,
  NewTarget,
  NewTraceStep,
  QueueRecord,
  RoutedWrite,
  RuleSchedule,
  Store,
  StoredMessage,
} from '../../src/store/types.js';

const ACCOUNT = '000000000000';
const OTHER_ACCOUNT = '111111111111';
const T0 = Date.UTC(2026, 0, 1);
const SOURCE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:source`;

function newQueue(name: string, overrides: Partial<NewQueue> = {}): NewQueue {
  return { accountId: ACCOUNT, name, attributes: { VisibilityTimeout: '30' }, tags: {}, now: T0, ...overrides };
}

let messageCounter = 0;
function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  messageCounter += 1;
  return {
    messageId: `00000000-0000-4000-8000-${String(messageCounter).padStart(12, '0')}`,
    body: `body-${messageCounter}`,
    attributes: {},
    senderId: 'AKIDTEST',
    sentAt: T0,
    visibleAt: T0,
    ...overrides,
  };
}

let tokenCounter = 0;
const newToken = () => {
  tokenCounter += 1;
  return `token${String(tokenCounter).padStart(19, '0')}`;
};

const DAY_MS = 86_400_000;

let deliveryCounter = 0;
/** A delivery; its `targetId` (d1, d2, ...) tells deliveries apart in assertions. */
function newDelivery(overrides: Partial<NewDelivery> = {}): NewDelivery {
  deliveryCounter += 1;
  return {
    accountId: ACCOUNT,
    region: 'us-east-1',
    ruleArn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/b/r`,
    targetId: `d${deliveryCounter}`,
    targetArn: `arn:aws:events:us-east-1:${ACCOUNT}:api-destination/dest/1`,
    kind: 'http',
    payload: `{"n":${deliveryCounter}}`,
    event: `{"id":"e${deliveryCounter}"}`,
    settings: { maxRetryAttempts: 185, maxEventAgeSeconds: 86_400 },
    firstAt: T0,
    nextAt: T0,
    ...overrides,
  };
}

/** The fields of a delivery record that come from its `NewDelivery`. */
function deliveryInput(record: DeliveryRecord): NewDelivery {
  const { id: _id, attempts: _attempts, errorCode: _code, errorMessage: _message, ...input } = record;
  return input;
}

function newArchive(name: string, overrides: Partial<NewArchive> = {}): NewArchive {
  return { accountId: ACCOUNT, name, busName: 'b', retentionDays: 0, now: T0, ...overrides };
}

function claimRequest(queueId: number, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    queueId,
    now: T0,
    max: 10,
    visibilityMs: 30_000,
    newToken,
    decide: () => 'deliver',
    ...overrides,
  };
}

/** An alarm in INSUFFICIENT_DATA since T0; its config is opaque text to the store. */
function newAlarm(name: string, overrides: Partial<AlarmRecord> = {}): AlarmRecord {
  return {
    accountId: ACCOUNT,
    name,
    namespace: 'Shop',
    metricName: 'Errors',
    config: JSON.stringify({ alarm: name }),
    actionsEnabled: true,
    state: {
      value: 'INSUFFICIENT_DATA',
      reason: 'Unchecked: Initial alarm creation',
      updatedAt: T0,
      transitionedAt: T0,
    },
    configUpdatedAt: T0,
    nextEvaluationAt: T0,
    ...overrides,
  };
}

function historyItem(alarmName: string, timestamp: number, overrides: Partial<NewAlarmHistoryItem> = {}) {
  return {
    accountId: ACCOUNT,
    alarmName,
    timestamp,
    type: 'StateUpdate',
    summary: `${alarmName} at ${timestamp}`,
    data: '{}',
    ...overrides,
  } satisfies NewAlarmHistoryItem;
}

export interface ConformanceOptions {
  /** A store of the same engine told to write no event trace step (SQLite: `traceEvents: false`). */
  makeUntracedStore?: (() => Promise<Store> | Store) | undefined;
}

export function storeConformance(
  name: string,
  makeStore: () => Promise<Store> | Store,
  options: ConformanceOptions = {},
): void {
  /** Runs `fn` on a fresh store and always closes it. */
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  async function makeQueue(store: Store, queueName = 'q', overrides: Partial<NewQueue> = {}): Promise<QueueRecord> {
    const { queue, created } = await store.createQueue(newQueue(queueName, overrides));
    assert.equal(created, true);
    return queue;
  }

  async function claimAll(store: Store, queueId: number, now: number, visibilityMs = 30_000) {
    return store.claimMessages(claimRequest(queueId, { now, max: 1000, visibilityMs }));
  }

  describe(`Store conformance: ${name}`, () => {
    describe('queues', () => {
      test('createQueue creates once and then returns the live queue unchanged', () =>
        withStore(async (store) => {
          const first = await store.createQueue(
            newQueue('orders', { attributes: { DelaySeconds: '5' }, tags: { team: 'a' }, now: T0 + 5 }),
          );
          assert.equal(first.created, true);
          assert.equal(first.queue.accountId, ACCOUNT);
          assert.equal(first.queue.name, 'orders');
          assert.deepEqual(first.queue.attributes, { DelaySeconds: '5' });
          assert.deepEqual(first.queue.tags, { team: 'a' });
          assert.equal(first.queue.createdAt, T0 + 5);
          assert.equal(first.queue.lastModifiedAt, T0 + 5);
          assert.equal(first.queue.lastPurgedAt, null);

          const second = await store.createQueue(
            newQueue('orders', { attributes: { DelaySeconds: '9' }, tags: {}, now: T0 + 100 }),
          );
          assert.equal(second.created, false);
          assert.deepEqual(second.queue, first.queue);
        }));

      test('the same name in another account is another queue', () =>
        withStore(async (store) => {
          const a = await makeQueue(store, 'shared');
          const b = await makeQueue(store, 'shared', { accountId: OTHER_ACCOUNT });
          assert.notEqual(a.id, b.id);
          assert.equal((await store.getQueue(OTHER_ACCOUNT, 'shared'))?.id, b.id);
          assert.equal((await store.getQueue(ACCOUNT, 'shared'))?.id, a.id);
        }));

      test('getQueue and getQueueById', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'lookup', { tags: { k: 'v' } });
          assert.deepEqual(await store.getQueue(ACCOUNT, 'lookup'), q);
          assert.deepEqual(await store.getQueueById(q.id), q);
          assert.equal(await store.getQueue(ACCOUNT, 'missing'), undefined);
          assert.equal(await store.getQueue(OTHER_ACCOUNT, 'lookup'), undefined);
          assert.equal(await store.getQueue(ACCOUNT, 'LOOKUP'), undefined);
          assert.equal(await store.getQueueById(q.id + 1000), undefined);
        }));

      test('listQueues: ordered by name, by prefix, after a name, limited, per account', () =>
        withStore(async (store) => {
          for (const n of ['b', 'a', 'c', 'ab', 'other', 'Zed', 'a_2']) await makeQueue(store, n);
          await makeQueue(store, 'a-foreign', { accountId: OTHER_ACCOUNT });
          const names = async (options: { prefix?: string; afterName?: string; limit: number }) =>
            (await store.listQueues(ACCOUNT, options)).map((q) => q.name);

          assert.deepEqual(await names({ limit: 100 }), ['Zed', 'a', 'a_2', 'ab', 'b', 'c', 'other']);
          assert.deepEqual(await names({ prefix: 'a', limit: 100 }), ['a', 'a_2', 'ab']);
          assert.deepEqual(await names({ prefix: 'A', limit: 100 }), [], 'prefixes are case-sensitive');
          assert.deepEqual(await names({ prefix: 'a_', limit: 100 }), ['a_2'], '_ is not a wildcard');
          assert.deepEqual(await names({ afterName: 'ab', limit: 100 }), ['b', 'c', 'other']);
          assert.deepEqual(await names({ prefix: 'a', afterName: 'a', limit: 100 }), ['a_2', 'ab']);
          assert.deepEqual(await names({ limit: 2 }), ['Zed', 'a']);
          assert.deepEqual(await names({ afterName: 'a', limit: 2 }), ['a_2', 'ab']);
          assert.deepEqual(await names({ prefix: 'zz', limit: 10 }), []);
          assert.deepEqual(
            (await store.listQueues(OTHER_ACCOUNT, { limit: 10 })).map((q) => q.name),
            ['a-foreign'],
          );
        }));

      test('allQueues lists live queues of every account', () =>
        withStore(async (store) => {
          const a = await makeQueue(store, 'one');
          const b = await makeQueue(store, 'two', { accountId: OTHER_ACCOUNT });
          const c = await makeQueue(store, 'three');
          await store.deleteQueue(c.id, T0 + 1);
          const ids = (await store.allQueues()).map((q) => q.id).sort((x, y) => x - y);
          assert.deepEqual(
            ids,
            [a.id, b.id].sort((x, y) => x - y),
          );
        }));

      test('updateQueue: an attribute change bumps lastModifiedAt', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'upd', { tags: { keep: 'me' } });
          const updated = await store.updateQueue(q.id, { attributes: { VisibilityTimeout: '60' }, now: T0 + 1000 });
          assert.deepEqual(updated.attributes, { VisibilityTimeout: '60' });
          assert.deepEqual(updated.tags, { keep: 'me' });
          assert.equal(updated.lastModifiedAt, T0 + 1000);
          assert.equal(updated.createdAt, T0);
          assert.deepEqual(await store.getQueueById(q.id), updated);
        }));

      test('updateQueue: a tags-only change keeps attributes and lastModifiedAt', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'tagged', { tags: { a: '1' } });
          const updated = await store.updateQueue(q.id, { tags: { b: '2' }, now: T0 + 5000 });
          assert.deepEqual(updated.tags, { b: '2' });
          assert.deepEqual(updated.attributes, q.attributes);
          assert.equal(updated.lastModifiedAt, T0);
          assert.deepEqual(await store.getQueueById(q.id), updated);
        }));

      test('updateQueue on a missing queue rejects', () =>
        withStore(async (store) => {
          await assert.rejects(store.updateQueue(424242, { attributes: {}, now: T0 }));
        }));

      test('deleteQueue removes the queue and its messages and records when', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'doomed');
          const keep = await makeQueue(store, 'keeper');
          await store.appendMessages(q.id, [newMessage(), newMessage()]);
          await store.appendMessages(keep.id, [newMessage()]);
          assert.equal(await store.lastDeletedAt(ACCOUNT, 'doomed'), undefined);

          await store.deleteQueue(q.id, T0 + 777);
          assert.equal(await store.getQueue(ACCOUNT, 'doomed'), undefined);
          assert.equal(await store.getQueueById(q.id), undefined);
          assert.equal(await store.lastDeletedAt(ACCOUNT, 'doomed'), T0 + 777);
          assert.equal(await store.lastDeletedAt(OTHER_ACCOUNT, 'doomed'), undefined);
          assert.deepEqual(await store.counts(q.id, T0 + 1000), {
            visible: 0,
            inFlight: 0,
            delayed: 0,
            oldestSentAt: null,
          });
          assert.equal((await claimAll(store, q.id, T0 + 1000)).messages.length, 0);
          assert.equal((await store.counts(keep.id, T0 + 1000)).visible, 1, 'other queues keep their messages');

          // A re-created queue of that name starts empty, and the deletion time is remembered afresh.
          const again = await makeQueue(store, 'doomed', { now: T0 + 100_000 });
          assert.equal((await store.counts(again.id, T0 + 100_000)).visible, 0);
          await store.deleteQueue(again.id, T0 + 200_000);
          assert.equal(await store.lastDeletedAt(ACCOUNT, 'doomed'), T0 + 200_000);
        }));
    });

    describe('messages: append and claim', () => {
      test('claims the earliest visible first, ties in append order', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [
            newMessage({ body: 'late', visibleAt: T0 + 20 }),
            newMessage({ body: 'middle', visibleAt: T0 + 10 }),
            newMessage({ body: 'early-1', visibleAt: T0 }),
          ]);
          await store.appendMessages(q.id, [newMessage({ body: 'early-2', visibleAt: T0 })]);
          const result = await store.claimMessages(claimRequest(q.id, { now: T0 + 100 }));
          assert.deepEqual(
            result.messages.map((m) => m.body),
            ['early-1', 'early-2', 'middle', 'late'],
          );
          assert.equal(result.expired, 0);
          assert.equal(result.deadLettered, 0);
          assert.equal(result.overLimit, false);
        }));

      test('respects max and hides what it claimed', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(
            q.id,
            Array.from({ length: 5 }, (_, i) => newMessage({ body: `m${i}` })),
          );
          const first = await store.claimMessages(claimRequest(q.id, { max: 2 }));
          assert.deepEqual(
            first.messages.map((m) => m.body),
            ['m0', 'm1'],
          );
          const second = await store.claimMessages(claimRequest(q.id, { max: 2 }));
          assert.deepEqual(
            second.messages.map((m) => m.body),
            ['m2', 'm3'],
          );
          const third = await store.claimMessages(claimRequest(q.id, { max: 10 }));
          assert.deepEqual(
            third.messages.map((m) => m.body),
            ['m4'],
          );
          assert.equal((await store.claimMessages(claimRequest(q.id))).messages.length, 0);
        }));

      test('a claim keeps the stored fields and sets token, counts and times', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          const attributes: MessageAttributes = {
            s: { DataType: 'String', StringValue: 'v' },
            b: { DataType: 'Binary', BinaryValue: Buffer.from('bin').toString('base64') },
            n: { DataType: 'Number.int', StringValue: '42' },
          };
          const sent = newMessage({ attributes, traceHeader: 'Root=1-abc', sentAt: T0 - 50, visibleAt: T0 - 10 });
          await store.appendMessages(q.id, [sent]);
          const tokens: string[] = [];
          const result = await store.claimMessages(
            claimRequest(q.id, {
              now: T0,
              visibilityMs: 30_000,
              newToken: () => {
                const t = newToken();
                tokens.push(t);
                return t;
              },
            }),
          );
          assert.equal(result.messages.length, 1);
          const m = result.messages[0] as StoredMessage & { token: string };
          assert.equal(m.messageId, sent.messageId);
          assert.equal(m.body, sent.body);
          assert.deepEqual(m.attributes, attributes);
          assert.equal(m.traceHeader, 'Root=1-abc');
          assert.equal(m.senderId, 'AKIDTEST');
          assert.equal(m.sentAt, T0 - 50);
          assert.equal(typeof m.seq, 'number');
          assert.deepEqual(tokens, [m.token]);
          assert.equal(m.receiveCount, 1);
          assert.equal(m.firstReceiveAt, T0);
          assert.equal(m.receivedAt, T0);
          assert.equal(m.visibleAt, T0 + 30_000);
          assert.equal(m.deadLetterSourceArn, undefined);
        }));

      test('a message without attributes comes back with an empty map and no trace header', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage()]);
          const [m] = (await claimAll(store, q.id, T0)).messages;
          assert.deepEqual(m?.attributes, {});
          assert.equal(m?.traceHeader, undefined);
        }));

      test('a re-claim after the visibility timeout issues a new token and counts the receive', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage()]);
          const [first] = (await claimAll(store, q.id, T0, 30_000)).messages;
          assert.ok(first);
          assert.equal((await claimAll(store, q.id, T0 + 29_999)).messages.length, 0, 'still in flight');
          const [second] = (await claimAll(store, q.id, T0 + 30_000, 10_000)).messages;
          assert.ok(second);
          assert.equal(second.seq, first.seq);
          assert.notEqual(second.token, first.token);
          assert.equal(second.receiveCount, 2);
          assert.equal(second.firstReceiveAt, T0);
          assert.equal(second.receivedAt, T0 + 30_000);
          assert.equal(second.visibleAt, T0 + 40_000);
          const state = await store.getMessageState(q.id, second.seq);
          assert.equal(state?.token, second.token);
          assert.equal(state?.receiveCount, 2);
        }));

      test('every claimed message gets its own token', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(
            q.id,
            Array.from({ length: 10 }, () => newMessage()),
          );
          const { messages } = await claimAll(store, q.id, T0);
          assert.equal(messages.length, 10);
          assert.equal(new Set(messages.map((m) => m.token)).size, 10);
          assert.equal(new Set(messages.map((m) => m.seq)).size, 10);
        }));

      test('a delayed message is not claimed before its visibleAt', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage({ body: 'delayed', visibleAt: T0 + 5000 })]);
          assert.equal((await claimAll(store, q.id, T0)).messages.length, 0);
          assert.equal((await claimAll(store, q.id, T0 + 4999)).messages.length, 0);
          const { messages } = await claimAll(store, q.id, T0 + 5000);
          assert.deepEqual(
            messages.map((m) => m.body),
            ['delayed'],
          );
        }));

      test('claims only from the requested queue', () =>
        withStore(async (store) => {
          const a = await makeQueue(store, 'a');
          const b = await makeQueue(store, 'b');
          await store.appendMessages(a.id, [newMessage({ body: 'in-a' })]);
          await store.appendMessages(b.id, [newMessage({ body: 'in-b' })]);
          assert.deepEqual(
            (await claimAll(store, b.id, T0)).messages.map((m) => m.body),
            ['in-b'],
          );
          assert.deepEqual(
            (await claimAll(store, a.id, T0)).messages.map((m) => m.body),
            ['in-a'],
          );
        }));

      test('one claim never returns the same message twice, even with visibilityMs 0', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          // 6 live, 20 to expire, 2 live: enough expired messages that an engine reading candidates in pages
          // needs a second page.
          const bodies = [
            ...Array.from({ length: 6 }, (_, i) => `live-${i}`),
            ...Array.from({ length: 20 }, (_, i) => `old-${i}`),
            ...Array.from({ length: 2 }, (_, i) => `live-${6 + i}`),
          ];
          await store.appendMessages(
            q.id,
            bodies.map((body) => newMessage({ body })),
          );
          const result = await store.claimMessages(
            claimRequest(q.id, {
              now: T0 + 1000,
              max: 10,
              visibilityMs: 0,
              decide: (m) => (m.body.startsWith('old') ? 'expire' : 'deliver'),
            }),
          );
          const ids = result.messages.map((m) => m.messageId);
          assert.equal(new Set(ids).size, ids.length, `duplicates in ${result.messages.map((m) => m.body).join(',')}`);
          assert.equal(result.messages.length, 8);
          assert.equal(result.expired, 20);
          for (const m of result.messages) assert.equal(m.receiveCount, 1, m.body);
        }));
    });

    describe('messages: the decide callback', () => {
      test('sees each candidate as stored', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage({ body: 'seen', sentAt: T0 - 7 })]);
          const seen: StoredMessage[] = [];
          await store.claimMessages(
            claimRequest(q.id, {
              decide: (m) => {
                seen.push(m);
                return 'deliver';
              },
            }),
          );
          assert.equal(seen.length, 1);
          assert.equal(seen[0]?.body, 'seen');
          assert.equal(seen[0]?.sentAt, T0 - 7);
          assert.equal(seen[0]?.receiveCount, 0);
          assert.equal(seen[0]?.firstReceiveAt, null);
        }));

      test('expire deletes the message', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage({ body: 'gone' })]);
          const [probe] = (await claimAll(store, q.id, T0, 0)).messages;
          assert.ok(probe);
          const result = await store.claimMessages(claimRequest(q.id, { now: T0 + 1, decide: () => 'expire' }));
          assert.equal(result.messages.length, 0);
          assert.equal(result.expired, 1);
          assert.equal(await store.getMessageState(q.id, probe.seq), undefined);
          assert.deepEqual(await store.counts(q.id, T0 + 1), {
            visible: 0,
            inFlight: 0,
            delayed: 0,
            oldestSentAt: null,
          });
        }));

      test('dead-letter moves the message to the DLQ keeping its identity and sentAt', () =>
        withStore(async (store) => {
          const source = await makeQueue(store, 'source');
          const dlq = await makeQueue(store, 'dlq');
          const attributes: MessageAttributes = { a: { DataType: 'String', StringValue: 'x' } };
          const sent = newMessage({ body: 'poison', attributes, sentAt: T0 - 100, traceHeader: 'Root=2' });
          await store.appendMessages(source.id, [sent]);

          const result = await store.claimMessages(
            claimRequest(source.id, {
              now: T0 + 10,
              decide: () => 'dead-letter',
              deadLetter: { queueId: dlq.id, sourceArn: SOURCE_ARN },
            }),
          );
          assert.equal(result.messages.length, 0);
          assert.equal(result.deadLettered, 1);
          assert.equal((await store.counts(source.id, T0 + 10)).visible, 0);
          assert.equal((await claimAll(store, source.id, T0 + 10)).messages.length, 0);

          const dlqCounts = await store.counts(dlq.id, T0 + 10);
          assert.equal(dlqCounts.visible + dlqCounts.inFlight + dlqCounts.delayed, 1);
          assert.equal(dlqCounts.oldestSentAt, T0 - 100);
          const [moved] = (await claimAll(store, dlq.id, T0 + 10)).messages;
          assert.ok(moved, 'the message is receivable from the DLQ at once');
          assert.equal(moved.messageId, sent.messageId);
          assert.equal(moved.body, 'poison');
          assert.deepEqual(moved.attributes, attributes);
          assert.equal(moved.sentAt, T0 - 100);
          assert.equal(moved.senderId, sent.senderId);
          assert.equal(moved.traceHeader, 'Root=2');
          assert.equal(moved.deadLetterSourceArn, SOURCE_ARN);
        }));

      test('expired and dead-lettered messages do not count toward max', () =>
        withStore(async (store) => {
          const source = await makeQueue(store, 'source');
          const dlq = await makeQueue(store, 'dlq');
          await store.appendMessages(source.id, [
            newMessage({ body: 'expire-me' }),
            newMessage({ body: 'dlq-me' }),
            newMessage({ body: 'deliver-1' }),
            newMessage({ body: 'deliver-2' }),
          ]);
          const decide = (m: StoredMessage): ClaimDecision =>
            m.body === 'expire-me' ? 'expire' : m.body === 'dlq-me' ? 'dead-letter' : 'deliver';
          const result = await store.claimMessages(
            claimRequest(source.id, { max: 1, decide, deadLetter: { queueId: dlq.id, sourceArn: SOURCE_ARN } }),
          );
          assert.deepEqual(
            result.messages.map((m) => m.body),
            ['deliver-1'],
          );
          assert.equal(result.expired, 1);
          assert.equal(result.deadLettered, 1);
          assert.deepEqual(
            (await claimAll(store, source.id, T0)).messages.map((m) => m.body),
            ['deliver-2'],
          );
        }));

      test('many expired candidates do not stop a claim from filling max', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [
            ...Array.from({ length: 50 }, (_, i) => newMessage({ body: `old-${i}` })),
            ...Array.from({ length: 3 }, (_, i) => newMessage({ body: `new-${i}` })),
          ]);
          const result = await store.claimMessages(
            claimRequest(q.id, { max: 3, decide: (m) => (m.body.startsWith('old') ? 'expire' : 'deliver') }),
          );
          assert.deepEqual(
            result.messages.map((m) => m.body),
            ['new-0', 'new-1', 'new-2'],
          );
          assert.equal(result.expired, 50);
        }));
    });

    describe('messages: in-flight limit', () => {
      test('maxInflight reached gives overLimit and claims nothing', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(
            q.id,
            Array.from({ length: 4 }, () => newMessage()),
          );
          const first = await store.claimMessages(claimRequest(q.id, { max: 2, maxInflight: 2 }));
          assert.equal(first.messages.length, 2);
          assert.equal(first.overLimit, false);

          const blocked = await store.claimMessages(claimRequest(q.id, { max: 2, maxInflight: 2 }));
          assert.equal(blocked.overLimit, true);
          assert.equal(blocked.messages.length, 0);
          assert.equal((await store.counts(q.id, T0)).visible, 2, 'nothing was claimed');

          const allowed = await store.claimMessages(claimRequest(q.id, { max: 1, maxInflight: 3 }));
          assert.equal(allowed.overLimit, false);
          assert.equal(allowed.messages.length, 1);

          // Once the in-flight messages become visible again they no longer count.
          const later = await store.claimMessages(claimRequest(q.id, { now: T0 + 30_000, max: 1, maxInflight: 1 }));
          assert.equal(later.overLimit, false);
          assert.equal(later.messages.length, 1);
        }));

      test('delayed messages do not count as in flight', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage({ visibleAt: T0 + 60_000 }), newMessage()]);
          const result = await store.claimMessages(claimRequest(q.id, { maxInflight: 1 }));
          assert.equal(result.overLimit, false);
          assert.equal(result.messages.length, 1);
        }));
    });

    describe('messages: delete, state and visibility', () => {
      test('deleteMessage: deleted with the current token, then missing', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage()]);
          const [m] = (await claimAll(store, q.id, T0)).messages;
          assert.ok(m);
          assert.equal(await store.deleteMessage(q.id, m.seq, m.token), 'deleted');
          assert.equal(await store.getMessageState(q.id, m.seq), undefined);
          assert.equal(await store.deleteMessage(q.id, m.seq, m.token), 'missing');
        }));

      test('deleteMessage: an older token is stale and leaves the message', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage()]);
          const [first] = (await claimAll(store, q.id, T0, 0)).messages;
          const [second] = (await claimAll(store, q.id, T0, 30_000)).messages;
          assert.ok(first && second);
          assert.equal(await store.deleteMessage(q.id, first.seq, first.token), 'stale');
          assert.equal((await store.getMessageState(q.id, first.seq))?.token, second.token);
          assert.equal(await store.deleteMessage(q.id, second.seq, second.token), 'deleted');
        }));

      test('deleteMessage: another queue or an unknown seq is missing', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q');
          const other = await makeQueue(store, 'other');
          await store.appendMessages(q.id, [newMessage()]);
          const [m] = (await claimAll(store, q.id, T0)).messages;
          assert.ok(m);
          assert.equal(await store.deleteMessage(other.id, m.seq, m.token), 'missing');
          assert.equal(await store.deleteMessage(q.id, m.seq + 1000, m.token), 'missing');
          assert.equal((await store.getMessageState(q.id, m.seq))?.token, m.token, 'still there');
        }));

      test('getMessageState reflects appends and claims', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage({ sentAt: T0 - 5, visibleAt: T0 + 5 })]);
          const [m] = (await claimAll(store, q.id, T0 + 5, 1000)).messages;
          assert.ok(m);
          assert.deepEqual(await store.getMessageState(q.id, m.seq), {
            sentAt: T0 - 5,
            visibleAt: T0 + 1005,
            receiveCount: 1,
            receivedAt: T0 + 5,
            token: m.token,
          });
          assert.equal(await store.getMessageState(q.id + 1, m.seq), undefined);
          assert.equal(await store.getMessageState(q.id, m.seq + 999), undefined);
        }));

      test('a message never received has no token: its state shows none and any token is stale', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage()]);
          const [first] = (await claimAll(store, q.id, T0)).messages;
          assert.ok(first);
          await store.appendMessages(q.id, [newMessage({ sentAt: T0 + 20, visibleAt: T0 + 50 })]);
          // Assumes only that a later append gets a larger seq (seqs are never reused).
          const found = await findUnreceived(store, q.id, first.seq);
          assert.ok(found, 'the second message has a seq above the first');
          assert.deepEqual(found.state, {
            sentAt: T0 + 20,
            visibleAt: T0 + 50,
            receiveCount: 0,
            receivedAt: null,
            token: null,
          });
          assert.equal(await store.deleteMessage(q.id, found.seq, first.token), 'stale');
          assert.equal(await store.setVisibility(q.id, found.seq, first.token, T0), false);
          assert.equal((await store.getMessageState(q.id, found.seq))?.visibleAt, T0 + 50);
        }));

      test('setVisibility applies only with the current token', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage()]);
          const [first] = (await claimAll(store, q.id, T0, 0)).messages;
          const [second] = (await claimAll(store, q.id, T0, 30_000)).messages;
          assert.ok(first && second);
          assert.equal(await store.setVisibility(q.id, first.seq, first.token, T0 + 1), false);
          assert.equal((await store.getMessageState(q.id, first.seq))?.visibleAt, T0 + 30_000);
          assert.equal(await store.setVisibility(q.id, second.seq, second.token, T0 + 99_000), true);
          assert.equal((await store.getMessageState(q.id, second.seq))?.visibleAt, T0 + 99_000);
          assert.equal(await store.setVisibility(q.id, second.seq + 1000, second.token, T0), false);
          assert.equal(await store.setVisibility(q.id + 1000, second.seq, second.token, T0), false);
          // Visible again at once: the next claim at T0 takes it.
          assert.equal(await store.setVisibility(q.id, second.seq, second.token, T0), true);
          assert.equal((await claimAll(store, q.id, T0)).messages.length, 1);
        }));
    });

    describe('purge, expiry, counts', () => {
      test('purgeQueue deletes messages sent at or before now and records lastPurgedAt', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'p');
          const other = await makeQueue(store, 'other');
          await store.appendMessages(q.id, [
            newMessage({ body: 'before', sentAt: T0 }),
            newMessage({ body: 'at', sentAt: T0 + 1000 }),
            newMessage({ body: 'after', sentAt: T0 + 2000, visibleAt: T0 + 2000 }),
          ]);
          await store.appendMessages(other.id, [newMessage()]);
          await store.purgeQueue(q.id, T0 + 1000);
          assert.equal((await store.getQueueById(q.id))?.lastPurgedAt, T0 + 1000);
          assert.equal((await store.getQueueById(other.id))?.lastPurgedAt, null);
          assert.deepEqual(
            (await claimAll(store, q.id, T0 + 2000)).messages.map((m) => m.body),
            ['after'],
          );
          assert.equal((await store.counts(other.id, T0)).visible, 1);
        }));

      test('purgeQueue removes in-flight and delayed messages too', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(q.id, [newMessage(), newMessage({ visibleAt: T0 + 60_000 })]);
          await claimAll(store, q.id, T0);
          await store.purgeQueue(q.id, T0 + 1);
          assert.deepEqual(await store.counts(q.id, T0 + 1), {
            visible: 0,
            inFlight: 0,
            delayed: 0,
            oldestSentAt: null,
          });
        }));

      test('deleteExpired deletes messages sent strictly before, up to a limit, in one queue', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'e');
          const other = await makeQueue(store, 'other');
          await store.appendMessages(
            q.id,
            [0, 1, 2, 3, 4].map((i) => newMessage({ body: `m${i}`, sentAt: T0 + i })),
          );
          await store.appendMessages(other.id, [newMessage({ sentAt: T0 })]);
          assert.equal(await store.deleteExpired(q.id, T0 + 2, 100), 2);
          assert.equal(await store.deleteExpired(q.id, T0 + 2, 100), 0);
          assert.equal(await store.deleteExpired(q.id, T0 + 100, 1), 1);
          assert.deepEqual(
            (await claimAll(store, q.id, T0 + 100)).messages.map((m) => m.body),
            ['m3', 'm4'],
          );
          assert.equal((await store.counts(other.id, T0)).visible, 1);
        }));

      test('counts: visible, in flight, delayed and the oldest sentAt', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          assert.deepEqual(await store.counts(q.id, T0), { visible: 0, inFlight: 0, delayed: 0, oldestSentAt: null });
          await store.appendMessages(q.id, [
            newMessage({ body: 'inflight', sentAt: T0 - 300 }),
            newMessage({ body: 'visible-1', sentAt: T0 - 200 }),
            newMessage({ body: 'visible-2', sentAt: T0 - 100 }),
            newMessage({ body: 'delayed', sentAt: T0 - 50, visibleAt: T0 + 10_000 }),
          ]);
          await store.claimMessages(claimRequest(q.id, { max: 1, visibilityMs: 5000 }));
          assert.deepEqual(await store.counts(q.id, T0), {
            visible: 2,
            inFlight: 1,
            delayed: 1,
            oldestSentAt: T0 - 300,
          });
          // The in-flight message's visibility ends at T0 + 5000.
          assert.deepEqual(await store.counts(q.id, T0 + 5000), {
            visible: 3,
            inFlight: 0,
            delayed: 1,
            oldestSentAt: T0 - 300,
          });
          assert.deepEqual(await store.counts(q.id, T0 + 10_000), {
            visible: 4,
            inFlight: 0,
            delayed: 0,
            oldestSentAt: T0 - 300,
          });
        }));

      test('nextVisibleAt is the earliest visibleAt strictly after now', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          assert.equal(await store.nextVisibleAt(q.id, T0), undefined);
          await store.appendMessages(q.id, [
            newMessage({ body: 'now' }),
            newMessage({ body: 'delayed', visibleAt: T0 + 5000 }),
          ]);
          assert.equal(await store.nextVisibleAt(q.id, T0), T0 + 5000);
          await store.claimMessages(claimRequest(q.id, { max: 1, visibilityMs: 3000 }));
          assert.equal(await store.nextVisibleAt(q.id, T0), T0 + 3000);
          assert.equal(await store.nextVisibleAt(q.id, T0 + 3000), T0 + 5000);
          assert.equal(await store.nextVisibleAt(q.id, T0 + 5000), undefined);
        }));
    });

    describe('concurrency', () => {
      test('200 concurrent appendMessages calls all commit', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          const sent = Array.from({ length: 200 }, (_, i) => newMessage({ body: `c${i}` }));
          await Promise.all(sent.map((m) => store.appendMessages(q.id, [m])));
          assert.equal((await store.counts(q.id, T0)).visible, 200);
          const { messages } = await claimAll(store, q.id, T0);
          assert.deepEqual(new Set(messages.map((m) => m.messageId)), new Set(sent.map((m) => m.messageId)));
        }));

      test('a failing write does not roll back the writes around it', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          const before = Array.from({ length: 50 }, () => store.appendMessages(q.id, [newMessage()]));
          const failing = store.updateQueue(987_654, { attributes: { VisibilityTimeout: '1' }, now: T0 });
          const after = Array.from({ length: 50 }, () => store.appendMessages(q.id, [newMessage()]));
          const outcomes = await Promise.allSettled([...before, failing, ...after]);
          assert.equal(outcomes[50]?.status, 'rejected');
          const others = outcomes.filter((_, i) => i !== 50);
          assert.ok(others.every((o) => o.status === 'fulfilled'));
          assert.equal((await store.counts(q.id, T0)).visible, 100);
        }));

      test('concurrent claims never hand out the same message twice', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          await store.appendMessages(
            q.id,
            Array.from({ length: 30 }, () => newMessage()),
          );
          const results = await Promise.all(
            Array.from({ length: 10 }, () => store.claimMessages(claimRequest(q.id, { max: 5 }))),
          );
          const ids = results.flatMap((r) => r.messages.map((m) => m.messageId));
          assert.equal(ids.length, 30);
          assert.equal(new Set(ids).size, 30);
        }));
    });

    describe('fifo', () => {
      const WINDOW = 300_000;
      /** A FIFO message of `groupId`, deduplicated under `dedupKey` for 5 minutes from its `sentAt`. */
      function fifoMessage(groupId: string, dedupKey: string, overrides: Partial<NewMessage> = {}): NewMessage {
        const sentAt = overrides.sentAt ?? T0;
        return newMessage({
          body: `${groupId}:${dedupKey}`,
          groupId,
          dedupId: dedupKey,
          fifo: { dedupKey, dedupExpiresAt: sentAt + WINDOW },
          sentAt,
          visibleAt: sentAt,
          ...overrides,
        });
      }
      const claimFifo = (store: Store, queueId: number, overrides: Partial<ClaimRequest> = {}) =>
        store.claimMessages(claimRequest(queueId, { fifo: true, ...overrides }));
      const bodiesOf = (result: { messages: StoredMessage[] }) => result.messages.map((m) => m.body);
      const stored = async (store: Store, queueId: number, now = T0) => {
        const c = await store.counts(queueId, now);
        return c.visible + c.inFlight + c.delayed;
      };

      test('appendMessages gives FIFO messages strictly increasing sequences; others get none', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          const results = await store.appendMessages(q.id, [
            fifoMessage('a', 'k1'),
            fifoMessage('b', 'k2'),
            fifoMessage('a', 'k3'),
          ]);
          results.push(...(await store.appendMessages(q.id, [fifoMessage('c', 'k4')])));
          const sequences = results.map((r) => r.sequence);
          assert.ok(sequences.every((n) => typeof n === 'number'));
          for (let i = 1; i < sequences.length; i++) {
            assert.ok((sequences[i] as number) > (sequences[i - 1] as number), `sequence ${i} grows`);
          }
          assert.ok(results.every((r) => !r.duplicate));
          const [plain] = await store.appendMessages(q.id, [newMessage()]);
          assert.equal(plain?.sequence, undefined);
          assert.equal(plain?.duplicate, false);

          const { messages } = await claimFifo(store, q.id);
          const claimedSequence = new Map(messages.map((m) => [m.messageId, m.sequence]));
          assert.deepEqual(
            results.map((r) => claimedSequence.get(r.messageId)),
            sequences,
            'claims report the sequence the append gave',
          );
        }));

      test('a dedup key seen within its window is a duplicate: original id and sequence back, nothing stored', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          const original = fifoMessage('a', 'k');
          const [first] = await store.appendMessages(q.id, [original]);
          assert.equal(first?.duplicate, false);
          assert.equal(first?.messageId, original.messageId);

          const [dup] = await store.appendMessages(q.id, [fifoMessage('a', 'k', { sentAt: T0 + WINDOW - 1 })]);
          assert.deepEqual(dup, { messageId: original.messageId, sequence: first?.sequence, duplicate: true });
          assert.equal(await stored(store, q.id), 1);

          const later = fifoMessage('a', 'k', { sentAt: T0 + WINDOW });
          const [fresh] = await store.appendMessages(q.id, [later]);
          assert.equal(fresh?.duplicate, false, 'at the end of the window the key is free again');
          assert.equal(fresh?.messageId, later.messageId);
          assert.ok((fresh?.sequence ?? 0) > (first?.sequence ?? 0));
          assert.equal(await stored(store, q.id), 2);
        }));

      test('duplicates inside one appendMessages call; keys are per queue', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          const other = await makeQueue(store, 'other.fifo');
          const a = fifoMessage('g', 'k1');
          const results = await store.appendMessages(q.id, [a, fifoMessage('g', 'k2'), fifoMessage('h', 'k1')]);
          assert.deepEqual(
            results.map((r) => r.duplicate),
            [false, false, true],
          );
          assert.equal(results[2]?.messageId, a.messageId);
          assert.equal(results[2]?.sequence, results[0]?.sequence);
          assert.equal(await stored(store, q.id), 2);

          const [elsewhere] = await store.appendMessages(other.id, [fifoMessage('g', 'k1')]);
          assert.equal(elsewhere?.duplicate, false);
          assert.equal(await stored(store, other.id), 1);
        }));

      test('a dedup key outlives its message; forgetDedupIds forgets only expired keys', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          const early = fifoMessage('g', 'early');
          const late = fifoMessage('g', 'late', { sentAt: T0 + 100_000 });
          await store.appendMessages(q.id, [early, late]);
          const { messages } = await claimFifo(store, q.id, { now: T0 + 100_000 });
          assert.equal(messages.length, 2);
          for (const m of messages) assert.equal(await store.deleteMessage(q.id, m.seq, m.token), 'deleted');

          const [again] = await store.appendMessages(q.id, [fifoMessage('g', 'early', { sentAt: T0 + 200_000 })]);
          assert.equal(again?.duplicate, true, 'remembered after the delete');
          assert.equal(again?.messageId, early.messageId);

          assert.equal(await store.forgetDedupIds(T0 + WINDOW), 1);
          const [lateAgain] = await store.appendMessages(q.id, [fifoMessage('g', 'late', { sentAt: T0 + WINDOW })]);
          assert.equal(lateAgain?.duplicate, true, 'an unexpired key is kept');
          assert.equal(await stored(store, q.id), 0);
        }));

      test('deleteQueue forgets the queue’s dedup keys', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          await store.appendMessages(q.id, [fifoMessage('g', 'k')]);
          await store.deleteQueue(q.id, T0);
          const { queue } = await store.createQueue(newQueue('q.fifo'));
          const [result] = await store.appendMessages(queue.id, [fifoMessage('g', 'k', { sentAt: T0 + 1 })]);
          assert.equal(result?.duplicate, false);
          assert.equal(await stored(store, queue.id, T0 + 1), 1);
        }));

      test('claims come in send order within a group, as many of one group as possible, not in visibleAt order', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          await store.appendMessages(q.id, [
            fifoMessage('a', 'a1', { visibleAt: T0 + 10 }),
            fifoMessage('b', 'b1'),
            fifoMessage('a', 'a2', { visibleAt: T0 + 10 }),
            fifoMessage('b', 'b2'),
            fifoMessage('a', 'a3', { visibleAt: T0 + 10 }),
          ]);
          // AWS returns as many messages of one group as it can, leaving other groups to other consumers.
          assert.deepEqual(bodiesOf(await claimFifo(store, q.id, { now: T0 + 10 })), [
            'a:a1',
            'a:a2',
            'a:a3',
            'b:b1',
            'b:b2',
          ]);
        }));

      test('group lock: a group with a message in flight is skipped, other groups are claimed', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          await store.appendMessages(q.id, [fifoMessage('a', 'a1'), fifoMessage('a', 'a2'), fifoMessage('b', 'b1')]);
          assert.deepEqual(bodiesOf(await claimFifo(store, q.id, { max: 1 })), ['a:a1']);
          assert.deepEqual(bodiesOf(await claimFifo(store, q.id)), ['b:b1']);
          assert.deepEqual(bodiesOf(await claimFifo(store, q.id)), []);
          assert.deepEqual(bodiesOf(await claimFifo(store, q.id, { now: T0 + 29_999 })), []);
          const back = await claimFifo(store, q.id, { now: T0 + 30_000 });
          assert.deepEqual(bodiesOf(back), ['a:a1', 'a:a2', 'b:b1']);
          assert.equal(back.messages[0]?.receiveCount, 2);
        }));

      test('a group stays closed while an earlier message of it is delayed, within one claim too', () =>
        withStore(async (store) => {
          // core/fifo-rules.ts: a group is closed "while a message sent before the candidate is not yet visible".
          const q = await makeQueue(store, 'q.fifo');
          await store.appendMessages(q.id, [
            fifoMessage('a', 'a1'),
            fifoMessage('a', 'a2', { visibleAt: T0 + 60_000 }),
            fifoMessage('a', 'a3'),
            fifoMessage('b', 'b1'),
          ]);
          const first = await claimFifo(store, q.id);
          assert.deepEqual(bodiesOf(first), ['a:a1', 'b:b1'], 'a:a3 may not overtake the delayed a:a2');
        }));

      test('a group stays closed while an earlier message of it is delayed, across claims', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          await store.appendMessages(q.id, [
            fifoMessage('a', 'a1', { visibleAt: T0 + 60_000 }),
            fifoMessage('a', 'a2'),
            fifoMessage('b', 'b1'),
          ]);
          assert.deepEqual(bodiesOf(await claimFifo(store, q.id, { visibilityMs: 120_000 })), ['b:b1']);
          assert.deepEqual(bodiesOf(await claimFifo(store, q.id, { now: T0 + 59_999 })), [], 'a:a2 still waits');
          assert.deepEqual(bodiesOf(await claimFifo(store, q.id, { now: T0 + 60_000 })), ['a:a1', 'a:a2']);
        }));

      test('dead-letter from a FIFO claim keeps group and sequence and restarts the enqueue time', () =>
        withStore(async (store) => {
          const source = await makeQueue(store, 'source.fifo');
          const dlq = await makeQueue(store, 'dlq.fifo');
          const [appended] = await store.appendMessages(source.id, [fifoMessage('a', 'a1')]);
          await store.appendMessages(source.id, [newMessage({ body: 'fair', groupId: 'tenant' })]);
          const result = await claimFifo(store, source.id, {
            now: T0 + 40_000,
            decide: () => 'dead-letter',
            deadLetter: { queueId: dlq.id, sourceArn: SOURCE_ARN },
          });
          assert.equal(result.deadLettered, 2);
          const { messages } = await claimFifo(store, dlq.id, { now: T0 + 40_000 });
          const moved = messages.find((m) => m.body === 'a:a1');
          assert.ok(moved);
          assert.equal(moved.groupId, 'a');
          assert.equal(moved.sequence, appended?.sequence);
          assert.equal(moved.sentAt, T0);
          assert.equal(moved.enqueuedAt, T0 + 40_000, 'FIFO retention restarts in the DLQ');
          assert.equal(moved.deadLetterSourceArn, SOURCE_ARN);
          const fair = messages.find((m) => m.body === 'fair');
          assert.ok(fair, 'a message with a group but no deduplication id is moved too');
          assert.equal(fair.enqueuedAt, null, 'a standard message keeps its send time');
        }));

      test('deleteExpired measures a moved FIFO message from when it entered the queue', () =>
        withStore(async (store) => {
          const source = await makeQueue(store, 'source.fifo');
          const dlq = await makeQueue(store, 'dlq.fifo');
          await store.appendMessages(source.id, [fifoMessage('a', 'a1')]);
          await claimFifo(store, source.id, {
            now: T0 + 40_000,
            decide: () => 'dead-letter',
            deadLetter: { queueId: dlq.id, sourceArn: SOURCE_ARN },
          });
          assert.equal(await store.deleteExpired(dlq.id, T0 + 40_000, 100), 0, 'sent before, but entered at 40 s');
          assert.equal(await store.deleteExpired(dlq.id, T0 + 40_001, 100), 1);
        }));

      test('deleteMessage with onlyInFlight: deleted while in flight, expired after, stale with an old token', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          await store.appendMessages(q.id, [fifoMessage('a', 'a1'), fifoMessage('b', 'b1')]);
          const [a, b] = (await claimFifo(store, q.id, { visibilityMs: 10_000 })).messages;
          assert.ok(a && b);
          const options = (now: number) => ({ now, onlyInFlight: true });
          assert.equal(await store.deleteMessage(q.id, a.seq, a.token, options(T0 + 9_999)), 'deleted');
          assert.equal(await store.deleteMessage(q.id, b.seq, b.token, options(T0 + 10_000)), 'expired');
          assert.ok(await store.getMessageState(q.id, b.seq), 'an expired handle leaves the message');
          const [again] = (await claimFifo(store, q.id, { now: T0 + 10_000 })).messages;
          assert.equal(again?.seq, b.seq);
          assert.equal(await store.deleteMessage(q.id, b.seq, b.token, options(T0 + 10_001)), 'stale');
          assert.ok(again);
          assert.equal(await store.deleteMessage(q.id, b.seq, again.token, options(T0 + 10_001)), 'deleted');
        }));

      test('concurrent FIFO claims never hand out a locked group', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q.fifo');
          const groups = ['a', 'b', 'c', 'd', 'e'];
          await store.appendMessages(
            q.id,
            Array.from({ length: 50 }, (_, i) => fifoMessage(groups[i % 5] as string, `m${i}`)),
          );
          const results = await Promise.all(Array.from({ length: 10 }, () => claimFifo(store, q.id, { max: 4 })));
          const claimedBy = new Map<string, number>();
          results.forEach((r, i) => {
            for (const m of r.messages) {
              const group = m.groupId as string;
              assert.ok(claimedBy.get(group) === undefined || claimedBy.get(group) === i, `${group} went to one claim`);
              claimedBy.set(group, i);
            }
          });
          assert.deepEqual([...claimedBy.keys()].sort(), groups, 'every group was claimed by someone');
          const all = results.flatMap((r) => r.messages);
          assert.equal(new Set(all.map((m) => m.seq)).size, all.length);
          for (const g of groups) {
            const got = all.filter((m) => m.groupId === g).map((m) => m.dedupId);
            const expected = Array.from({ length: 50 }, (_, i) => i)
              .filter((i) => i % 5 === groups.indexOf(g))
              .map((i) => `m${i}`)
              .slice(0, got.length);
            assert.deepEqual(got, expected, `group ${g}: a prefix in send order`);
          }
        }));
    });

    describe('event buses and rules', () => {
      const bus = (name: string, overrides: Partial<NewEventBus> = {}): NewEventBus => ({
        accountId: ACCOUNT,
        name,
        tags: {},
        now: T0,
        ...overrides,
      });
      const rule = (busName: string, name: string, overrides: Partial<NewRule> = {}): NewRule => ({
        accountId: ACCOUNT,
        busName,
        name,
        eventPattern: '{"source":["s"]}',
        state: 'ENABLED',
        tags: {},
        now: T0,
        ...overrides,
      });

      test('createEventBus creates once, then returns the existing bus; per account', () =>
        withStore(async (store) => {
          const first = await store.createEventBus(bus('orders', { description: 'd', tags: { a: '1' } }));
          assert.equal(first.outcome, 'created');
          const again = await store.createEventBus(bus('orders', { description: 'other', now: T0 + 5 }));
          assert.equal(again.outcome, 'exists');
          assert.ok(again.outcome === 'exists');
          assert.equal(again.bus.description, 'd');
          assert.deepEqual(again.bus.tags, { a: '1' });
          assert.equal(again.bus.createdAt, T0);
          assert.equal(await store.getEventBus(OTHER_ACCOUNT, 'orders'), undefined);
          const got = await store.getEventBus(ACCOUNT, 'orders');
          assert.equal(got?.name, 'orders');
          assert.equal(got?.accountId, ACCOUNT);
        }));

      test('createEventBus honours maxBuses', () =>
        withStore(async (store) => {
          await store.createEventBus(bus('a', { maxBuses: 2 }));
          await store.createEventBus(bus('b', { maxBuses: 2 }));
          assert.equal((await store.createEventBus(bus('c', { maxBuses: 2 }))).outcome, 'limit-exceeded');
          assert.equal((await store.createEventBus(bus('a', { maxBuses: 2 }))).outcome, 'exists');
          assert.equal(
            (await store.createEventBus(bus('c', { accountId: OTHER_ACCOUNT, maxBuses: 2 }))).outcome,
            'created',
          );
        }));

      test('listEventBuses orders by name, filters by prefix, pages after a name', () =>
        withStore(async (store) => {
          for (const name of ['b', 'a2', 'a1', 'c']) await store.createEventBus(bus(name));
          await store.createEventBus(bus('a0', { accountId: OTHER_ACCOUNT }));
          const names = async (options: { prefix?: string; afterName?: string; limit: number }) =>
            (await store.listEventBuses(ACCOUNT, options)).map((b) => b.name);
          assert.deepEqual(await names({ limit: 10 }), ['a1', 'a2', 'b', 'c']);
          assert.deepEqual(await names({ prefix: 'a', limit: 10 }), ['a1', 'a2']);
          assert.deepEqual(await names({ afterName: 'a2', limit: 2 }), ['b', 'c']);
        }));

      test('deleteEventBus refuses while rules remain', () =>
        withStore(async (store) => {
          await store.createEventBus(bus('busy'));
          assert.equal((await store.putRule(rule('busy', 'r'))).outcome, 'created');
          assert.equal(await store.deleteEventBus(ACCOUNT, 'busy'), 'has-rules');
          assert.equal(await store.deleteRule(ACCOUNT, 'busy', 'r'), true);
          assert.equal(await store.deleteRule(ACCOUNT, 'busy', 'r'), false);
          assert.equal(await store.deleteEventBus(ACCOUNT, 'busy'), 'deleted');
          assert.equal(await store.deleteEventBus(ACCOUNT, 'busy'), 'missing');
          assert.equal(await store.getEventBus(ACCOUNT, 'busy'), undefined);
        }));

      test('setEventBusTags replaces the tags of an existing bus', () =>
        withStore(async (store) => {
          await store.createEventBus(bus('t', { tags: { a: '1' } }));
          const updated = await store.setEventBusTags(ACCOUNT, 't', { b: '2' }, T0 + 1);
          assert.deepEqual(updated?.tags, { b: '2' });
          assert.deepEqual((await store.getEventBus(ACCOUNT, 't'))?.tags, { b: '2' });
          assert.equal(await store.setEventBusTags(ACCOUNT, 'ghost', {}, T0), undefined);
        }));

      test('putRule creates, then updates keeping tags and creation time', () =>
        withStore(async (store) => {
          await store.createEventBus(bus('default'));
          const created = await store.putRule(
            rule('default', 'r', { description: 'd', roleArn: 'arn:role', tags: { k: 'v' } }),
          );
          assert.equal(created.outcome, 'created');
          const updated = await store.putRule(
            rule('default', 'r', {
              eventPattern: undefined,
              scheduleExpression: 'rate(5 minutes)',
              state: 'DISABLED',
              tags: { other: 'x' },
              now: T0 + 10,
            }),
          );
          assert.equal(updated.outcome, 'updated');
          const got = await store.getRule(ACCOUNT, 'default', 'r');
          assert.ok(got);
          assert.equal(got.eventPattern, undefined);
          assert.equal(got.scheduleExpression, 'rate(5 minutes)');
          assert.equal(got.state, 'DISABLED');
          assert.equal(got.description, undefined);
          assert.equal(got.roleArn, undefined);
          assert.deepEqual(got.tags, { k: 'v' });
          assert.equal(got.createdAt, T0);
          assert.equal(got.lastModifiedAt, T0 + 10);
          assert.equal(got.busName, 'default');
        }));

      test('putRule needs the bus and honours maxRules; rules are per bus', () =>
        withStore(async (store) => {
          assert.equal((await store.putRule(rule('ghost', 'r'))).outcome, 'no-bus');
          await store.createEventBus(bus('one'));
          await store.createEventBus(bus('two'));
          await store.putRule(rule('one', 'a', { maxRules: 1 }));
          assert.equal((await store.putRule(rule('one', 'b', { maxRules: 1 }))).outcome, 'limit-exceeded');
          assert.equal((await store.putRule(rule('one', 'a', { maxRules: 1 }))).outcome, 'updated');
          assert.equal((await store.putRule(rule('two', 'a', { maxRules: 1 }))).outcome, 'created');
          assert.equal(await store.getRule(ACCOUNT, 'two', 'b'), undefined);
        }));

      test('listRules orders by name, filters by prefix and bus, pages after a name', () =>
        withStore(async (store) => {
          await store.createEventBus(bus('x'));
          await store.createEventBus(bus('y'));
          for (const name of ['r3', 'r1', 'q', 'r2']) await store.putRule(rule('x', name));
          await store.putRule(rule('y', 'r0'));
          const names = async (options: { prefix?: string; afterName?: string; limit: number }) =>
            (await store.listRules(ACCOUNT, 'x', options)).map((r) => r.name);
          assert.deepEqual(await names({ limit: 10 }), ['q', 'r1', 'r2', 'r3']);
          assert.deepEqual(await names({ prefix: 'r', limit: 2 }), ['r1', 'r2']);
          assert.deepEqual(await names({ prefix: 'r', afterName: 'r2', limit: 2 }), ['r3']);
        }));

      test('updateRule changes state and tags', () =>
        withStore(async (store) => {
          await store.createEventBus(bus('b'));
          await store.putRule(rule('b', 'r', { tags: { a: '1' } }));
          const disabled = await store.updateRule(ACCOUNT, 'b', 'r', { state: 'DISABLED', now: T0 + 1 });
          assert.equal(disabled?.state, 'DISABLED');
          assert.deepEqual(disabled?.tags, { a: '1' });
          assert.equal(disabled?.lastModifiedAt, T0 + 1);
          const tagged = await store.updateRule(ACCOUNT, 'b', 'r', { tags: { b: '2' }, now: T0 + 2 });
          assert.equal(tagged?.state, 'DISABLED');
          assert.deepEqual(tagged?.tags, { b: '2' });
          assert.equal(await store.updateRule(ACCOUNT, 'b', 'ghost', { state: 'ENABLED', now: T0 }), undefined);
        }));
    });

    describe('event targets', () => {
      const setup = async (store: Store) => {
        await store.createEventBus({ accountId: ACCOUNT, name: 'b', tags: {}, now: T0 });
        for (const name of ['r1', 'r2']) {
          await store.putRule({
            accountId: ACCOUNT,
            busName: 'b',
            name,
            eventPattern: '{"source":["s"]}',
            state: 'ENABLED',
            tags: {},
            now: T0,
          });
        }
      };
      const target = (id: string, arn = `arn:aws:sqs:us-east-1:${ACCOUNT}:q-${id}`): NewTarget => ({
        id,
        arn,
        settings: { Input: '{"x":1}', SqsParameters: { MessageGroupId: 'g' } },
      });

      test('putTargets adds and replaces by id, within the per-rule limit, all or none', () =>
        withStore(async (store) => {
          await setup(store);
          assert.equal(await store.putTargets(ACCOUNT, 'b', 'ghost', [target('t1')], 5), 'no-rule');
          assert.equal(await store.putTargets(ACCOUNT, 'b', 'r1', [target('t2'), target('t1')], 3), 'ok');
          assert.equal(await store.putTargets(ACCOUNT, 'b', 'r1', [target('t1', 'arn:new'), target('t3')], 3), 'ok');
          assert.equal(await store.putTargets(ACCOUNT, 'b', 'r1', [target('t4'), target('t1')], 3), 'limit-exceeded');
          const listed = await store.listTargets(ACCOUNT, 'b', 'r1', { limit: 10 });
          assert.deepEqual(
            listed.map((t) => [t.id, t.arn]),
            [
              ['t1', 'arn:new'],
              ['t2', `arn:aws:sqs:us-east-1:${ACCOUNT}:q-t2`],
              ['t3', `arn:aws:sqs:us-east-1:${ACCOUNT}:q-t3`],
            ],
          );
          assert.deepEqual(listed[0]?.settings, { Input: '{"x":1}', SqsParameters: { MessageGroupId: 'g' } });
          assert.equal(listed[0]?.ruleName, 'r1');
          assert.deepEqual(
            (await store.listTargets(ACCOUNT, 'b', 'r1', { afterId: 't1', limit: 1 })).map((t) => t.id),
            ['t2'],
          );
        }));

      test('removeTargets, busTargets, ruleNamesByTarget and deleteRule with targets', () =>
        withStore(async (store) => {
          await setup(store);
          const shared = `arn:aws:sqs:us-east-1:${ACCOUNT}:shared`;
          await store.putTargets(ACCOUNT, 'b', 'r1', [target('a', shared), target('b')], 5);
          await store.putTargets(ACCOUNT, 'b', 'r2', [target('a', shared)], 5);
          assert.deepEqual(await store.ruleNamesByTarget(ACCOUNT, 'b', shared, { limit: 10 }), ['r1', 'r2']);
          assert.deepEqual(await store.ruleNamesByTarget(ACCOUNT, 'b', shared, { afterName: 'r1', limit: 10 }), ['r2']);
          assert.deepEqual(await store.ruleNamesByTarget(ACCOUNT, 'other', shared, { limit: 10 }), []);
          assert.deepEqual(
            (await store.busTargets(ACCOUNT, 'b')).map((t) => `${t.ruleName}/${t.id}`),
            ['r1/a', 'r1/b', 'r2/a'],
          );
          assert.deepEqual(await store.removeTargets(ACCOUNT, 'b', 'r1', ['b', 'nope']), ['b']);
          assert.equal(await store.deleteRule(ACCOUNT, 'b', 'r1'), 'has-targets');
          assert.ok(await store.getRule(ACCOUNT, 'b', 'r1'));
          assert.equal(await store.deleteRule(ACCOUNT, 'b', 'r1', { force: true }), true);
          assert.deepEqual(await store.listTargets(ACCOUNT, 'b', 'r1', { limit: 10 }), []);
          assert.deepEqual(await store.ruleNamesByTarget(ACCOUNT, 'b', shared, { limit: 10 }), ['r2']);
          assert.equal(await store.deleteRule(ACCOUNT, 'b', 'ghost', { force: true }), false);
        }));
    });

    describe('appendToQueues', () => {
      test('appends to several queues in one call, FIFO sequences and dedup included; skips missing queues', () =>
        withStore(async (store) => {
          const std = await makeQueue(store, 'std');
          const fifo = await makeQueue(store, 'f.fifo');
          const gone = await makeQueue(store, 'gone');
          await store.deleteQueue(gone.id, T0);
          const fifoMessage = (body: string) =>
            newMessage({ body, groupId: 'g', dedupId: body, fifo: { dedupKey: body, dedupExpiresAt: T0 + 300_000 } });
          const results = await store.appendToQueues([
            { queueId: std.id, messages: [newMessage({ body: 's1' }), newMessage({ body: 's2' })] },
            { queueId: gone.id, messages: [newMessage({ body: 'lost' })] },
            { queueId: fifo.id, messages: [fifoMessage('k1'), fifoMessage('k2'), fifoMessage('k1')] },
          ]);
          assert.equal(results.length, 3);
          assert.equal(results[0]?.length, 2);
          assert.deepEqual(results[1], []);
          const [first, second, again] = results[2] ?? [];
          assert.equal(first?.duplicate, false);
          assert.ok((second?.sequence ?? 0) > (first?.sequence ?? 0));
          assert.equal(again?.duplicate, true);
          assert.equal(again?.messageId, first?.messageId);
          assert.deepEqual(
            (await claimAll(store, std.id, T0)).messages.map((m) => m.body),
            ['s1', 's2'],
          );
          assert.equal((await store.counts(fifo.id, T0)).visible, 2);
          assert.equal((await store.counts(gone.id, T0)).visible, 0);
        }));

      test('is all or none: a failing batch stores nothing of the others', () =>
        withStore(async (store) => {
          const a = await makeQueue(store, 'a');
          const b = await makeQueue(store, 'b');
          const bad = { ...newMessage(), body: null as unknown as string };
          await assert.rejects(
            store.appendToQueues([
              { queueId: a.id, messages: [newMessage()] },
              { queueId: b.id, messages: [bad] },
            ]),
          );
          assert.equal((await store.counts(a.id, T0)).visible, 0);
          assert.equal((await store.counts(b.id, T0)).visible, 0);
        }));
    });

    // ---- event routing: the outbox, archives, replays and rule schedules ----------------------------

    /** Creates the bus if needed and an archive on it; returns the archive's id. */
    async function makeArchive(store: Store, archiveName: string, overrides: Partial<NewArchive> = {}) {
      const input = newArchive(archiveName, overrides);
      await store.createEventBus({ accountId: input.accountId, name: input.busName, tags: {}, now: T0 });
      assert.equal(await store.createArchive(input), 'created');
      const archive = await store.getArchive(input.accountId, archiveName);
      assert.ok(archive);
      return archive.id;
    }

    async function makeReplay(store: Store, replayName: string, overrides: Partial<NewReplay> = {}) {
      const accountId = overrides.accountId ?? ACCOUNT;
      const archiveName = overrides.archiveName ?? 'arc';
      const archiveId =
        (await store.getArchive(accountId, archiveName))?.id ?? (await makeArchive(store, archiveName, { accountId }));
      const input: NewReplay = {
        accountId,
        name: replayName,
        archiveName,
        archiveId,
        busName: 'b',
        startTime: T0,
        endTime: T0 + 3_600_000,
        ruleNames: [],
        now: T0,
        ...overrides,
      };
      assert.equal(await store.createReplay(input), 'created');
      const replay = await store.getReplay(accountId, replayName);
      assert.ok(replay);
      return replay;
    }

    /** Stores one delivery and returns it with its id: claimed once, leased only until its own `nextAt`. */
    async function makeDelivery(store: Store, delivery: NewDelivery): Promise<DeliveryRecord> {
      await store.routeEvents({ batches: [], deliveries: [delivery] });
      const [record] = await store.claimDueDeliveries(Number.MAX_SAFE_INTEGER, 1000, delivery.nextAt);
      assert.equal(record?.targetId, delivery.targetId);
      assert.ok(record);
      return record;
    }

    async function addScheduledRule(store: Store, busName: string, ruleName: string, overrides: Partial<NewRule> = {}) {
      await store.createEventBus({ accountId: ACCOUNT, name: busName, tags: {}, now: T0 });
      const result = await store.putRule({
        accountId: ACCOUNT,
        busName,
        name: ruleName,
        scheduleExpression: 'rate(5 minutes)',
        state: 'ENABLED',
        tags: {},
        now: T0,
        ...overrides,
      });
      assert.equal(result.outcome, 'created');
    }

    const scheduleWrite = (busName: string, ruleName: string, state: RuleSchedule): RoutedWrite => ({
      batches: [],
      schedule: { accountId: ACCOUNT, busName, ruleName, state },
    });

    const allArchived = (store: Store, archiveId: number) =>
      store.archivedEvents(archiveId, { fromTime: 0, toTime: Number.MAX_SAFE_INTEGER, limit: 1000 });

    describe('event routing: routeEvents', () => {
      test('writes messages, deliveries, archive copies and the step bookkeeping in one call', () =>
        withStore(async (store) => {
          const std = await makeQueue(store, 'std');
          const fifo = await makeQueue(store, 'f.fifo');
          const archiveId = await makeArchive(store, 'arc');
          const replay = await makeReplay(store, 'rp', { archiveName: 'arc' });
          await addScheduledRule(store, 'b', 'every5');
          const old = await makeDelivery(store, newDelivery({ nextAt: T0 }));

          const d1 = newDelivery({ nextAt: T0 + 5 });
          const d2 = newDelivery({
            kind: 'bus',
            targetArn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/other`,
            settings: {
              maxRetryAttempts: 3,
              maxEventAgeSeconds: 60,
              deadLetterArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:dlq`,
              headers: { 'x-h': 'v' },
              query: { q: '1' },
              hops: 2,
            },
            firstAt: T0 - 100,
            nextAt: T0 + 6,
          });
          const schedule: RuleSchedule = { expression: 'rate(5 minutes)', anchor: T0, nextFireAt: T0 + 300_000 };
          const results = await store.routeEvents({
            batches: [
              { queueId: std.id, messages: [newMessage({ body: 's1' }), newMessage({ body: 's2' })] },
              {
                queueId: fifo.id,
                messages: [newMessage({ body: 'f1', groupId: 'g', fifo: { dedupKey: 'k', dedupExpiresAt: T0 + 1 } })],
              },
            ],
            deliveries: [d1, d2],
            archived: [{ archiveId, time: T0 + 1, event: '{"a":1}' }],
            completeDelivery: old.id,
            replayProgress: { id: replay.id, after: { time: T0 + 1, seq: 7 }, lastReplayedTime: T0 + 2 },
            schedule: { accountId: ACCOUNT, busName: 'b', ruleName: 'every5', state: schedule },
          });

          assert.equal(results.length, 2);
          assert.deepEqual(
            results[0]?.map((r) => r.duplicate),
            [false, false],
          );
          assert.equal(results[1]?.[0]?.duplicate, false);
          assert.equal(typeof results[1]?.[0]?.sequence, 'number');
          assert.deepEqual(
            (await claimAll(store, std.id, T0)).messages.map((m) => m.body),
            ['s1', 's2'],
          );
          assert.equal((await store.counts(fifo.id, T0)).visible, 1);

          assert.equal(await store.countDeliveries(), 2, 'the completed delivery is gone, the two new ones are there');
          const claimed = await store.claimDueDeliveries(T0 + 10, 10, T0 + 60_000);
          assert.deepEqual(
            claimed.map((d) => d.targetId),
            [d1.targetId, d2.targetId],
          );
          assert.ok(!claimed.some((d) => d.id === old.id));
          const stored2 = claimed[1];
          assert.ok(stored2);
          assert.deepEqual(deliveryInput(stored2), d2);
          assert.equal(stored2.attempts, 0);
          assert.equal(stored2.errorCode, undefined);
          assert.equal(stored2.errorMessage, undefined);

          const archived = await allArchived(store, archiveId);
          assert.equal(archived.length, 1);
          assert.equal(archived[0]?.time, T0 + 1);
          assert.equal(archived[0]?.event, '{"a":1}');
          assert.equal((await store.getArchive(ACCOUNT, 'arc'))?.eventCount, 1);

          const progressed = await store.getReplay(ACCOUNT, 'rp');
          assert.equal(progressed?.state, 'RUNNING');
          assert.deepEqual(progressed?.after, { time: T0 + 1, seq: 7 });
          assert.equal(progressed?.lastReplayedTime, T0 + 2);

          const scheduled = await store.scheduledRules();
          assert.deepEqual(
            scheduled.map((s) => [s.rule.name, s.schedule]),
            [['every5', schedule]],
          );
        }));

      test('a batch whose queue is gone yields no results; the rest still commits', () =>
        withStore(async (store) => {
          const gone = await makeQueue(store, 'gone');
          const live = await makeQueue(store, 'live');
          await store.deleteQueue(gone.id, T0);
          const archiveId = await makeArchive(store, 'arc');
          const results = await store.routeEvents({
            batches: [
              { queueId: gone.id, messages: [newMessage({ body: 'lost' })] },
              { queueId: live.id, messages: [newMessage({ body: 'kept' })] },
            ],
            deliveries: [newDelivery()],
            archived: [{ archiveId, time: T0, event: '{}' }],
          });
          assert.equal(results.length, 2);
          assert.deepEqual(results[0], []);
          assert.equal(results[1]?.length, 1);
          assert.deepEqual(
            (await claimAll(store, live.id, T0)).messages.map((m) => m.body),
            ['kept'],
          );
          assert.equal((await store.counts(gone.id, T0)).visible, 0);
          assert.equal(await store.countDeliveries(), 1);
          assert.equal((await allArchived(store, archiveId)).length, 1);
        }));

      test('a FIFO duplicate is not an error: it comes back as a duplicate and the rest commits', () =>
        withStore(async (store) => {
          const fifo = await makeQueue(store, 'f.fifo');
          const message = (body: string) =>
            newMessage({ body, groupId: 'g', fifo: { dedupKey: 'same', dedupExpiresAt: T0 + 300_000 } });
          const results = await store.routeEvents({
            batches: [{ queueId: fifo.id, messages: [message('first'), message('second')] }],
            deliveries: [newDelivery()],
          });
          const [first, second] = results[0] ?? [];
          assert.equal(first?.duplicate, false);
          assert.equal(second?.duplicate, true);
          assert.equal(second?.messageId, first?.messageId);
          assert.equal((await store.counts(fifo.id, T0)).visible, 1);
          assert.equal(await store.countDeliveries(), 1);
        }));

      test('is all or none: a write that fails part-way stores nothing', () =>
        withStore(async (store) => {
          const a = await makeQueue(store, 'a');
          const b = await makeQueue(store, 'b');
          const archiveId = await makeArchive(store, 'arc');
          const replay = await makeReplay(store, 'rp', { archiveName: 'arc' });
          await addScheduledRule(store, 'b', 'every5');
          const old = await makeDelivery(store, newDelivery({ nextAt: T0 }));

          const write = (): RoutedWrite => ({
            batches: [
              { queueId: a.id, messages: [newMessage()] },
              { queueId: b.id, messages: [newMessage()] },
            ],
            deliveries: [newDelivery()],
            archived: [{ archiveId, time: T0, event: '{"x":1}' }],
            completeDelivery: old.id,
            replayProgress: { id: replay.id, after: { time: T0, seq: 1 }, lastReplayedTime: T0 },
            schedule: {
              accountId: ACCOUNT,
              busName: 'b',
              ruleName: 'every5',
              state: { expression: 'rate(5 minutes)', anchor: T0, nextFireAt: T0 + 1 },
            },
          });
          // No valid input makes routeEvents fail, so each case breaks one part with a value its column
          // refuses (NOT NULL), as the appendToQueues test does: first the last message, then the schedule.
          const broken: [string, RoutedWrite][] = [];
          const badMessage = write();
          const lastBatch = badMessage.batches[1];
          assert.ok(lastBatch);
          lastBatch.messages.push({ ...newMessage(), body: null as unknown as string });
          broken.push(['a message', badMessage]);
          const badSchedule = write();
          assert.ok(badSchedule.schedule);
          badSchedule.schedule.state.expression = null as unknown as string;
          broken.push(['the schedule', badSchedule]);

          for (const [what, bad] of broken) {
            await assert.rejects(store.routeEvents(bad), `routeEvents rejects when ${what} cannot be stored`);
            assert.equal((await store.counts(a.id, T0)).visible, 0, `${what}: no message in a`);
            assert.equal((await store.counts(b.id, T0)).visible, 0, `${what}: no message in b`);
            assert.equal(await store.countDeliveries(), 1, `${what}: no new delivery, the old one not completed`);
            assert.equal(await store.nextDeliveryAt(), T0, `${what}: the old delivery is untouched`);
            assert.deepEqual(await allArchived(store, archiveId), [], `${what}: nothing archived`);
            const after = await store.getReplay(ACCOUNT, 'rp');
            assert.equal(after?.state, 'STARTING', `${what}: replay progress not recorded`);
            assert.equal(after?.after, undefined);
            assert.equal(after?.lastReplayedTime, undefined);
            const scheduled = await store.scheduledRules();
            assert.equal(scheduled.length, 1);
            assert.equal(scheduled[0]?.schedule, undefined, `${what}: no schedule stored`);
          }

          // The store is still usable, and the same write without the fault commits in full.
          await store.routeEvents(write());
          assert.equal((await store.counts(a.id, T0)).visible, 1);
          assert.equal((await store.counts(b.id, T0)).visible, 1);
          assert.equal(await store.countDeliveries(), 1);
          assert.notEqual((await store.claimDueDeliveries(T0, 10, T0 + 1))[0]?.id, old.id);
          assert.equal((await allArchived(store, archiveId)).length, 1);
          assert.equal((await store.getReplay(ACCOUNT, 'rp'))?.state, 'RUNNING');
          assert.equal((await store.scheduledRules())[0]?.schedule?.nextFireAt, T0 + 1);
        }));

      test('replay progress: STARTING becomes RUNNING, other states stay, lastReplayedTime kept when not given', () =>
        withStore(async (store) => {
          const replay = await makeReplay(store, 'rp');
          await store.routeEvents({
            batches: [],
            replayProgress: { id: replay.id, after: { time: T0 + 5, seq: 3 }, lastReplayedTime: T0 + 5 },
          });
          let got = await store.getReplay(ACCOUNT, 'rp');
          assert.equal(got?.state, 'RUNNING');
          assert.deepEqual(got?.after, { time: T0 + 5, seq: 3 });
          assert.equal(got?.lastReplayedTime, T0 + 5);

          await store.routeEvents({ batches: [], replayProgress: { id: replay.id, after: { time: T0 + 6, seq: 4 } } });
          got = await store.getReplay(ACCOUNT, 'rp');
          assert.equal(got?.state, 'RUNNING');
          assert.deepEqual(got?.after, { time: T0 + 6, seq: 4 });
          assert.equal(got?.lastReplayedTime, T0 + 5);

          await store.setReplayState(ACCOUNT, 'rp', { state: 'CANCELLING' });
          await store.routeEvents({
            batches: [],
            replayProgress: { id: replay.id, after: { time: T0 + 7, seq: 5 }, lastReplayedTime: T0 + 7 },
          });
          got = await store.getReplay(ACCOUNT, 'rp');
          assert.equal(got?.state, 'CANCELLING', 'progress does not undo a cancellation');
          assert.deepEqual(got?.after, { time: T0 + 7, seq: 5 });
          assert.equal(got?.lastReplayedTime, T0 + 7);
        }));
    });

    describe('event routing: delivery outbox', () => {
      test('an empty outbox: no next delivery, nothing to claim', () =>
        withStore(async (store) => {
          assert.equal(await store.nextDeliveryAt(), undefined);
          assert.equal(await store.countDeliveries(), 0);
          assert.deepEqual(await store.claimDueDeliveries(T0, 10, T0 + 1000), []);
        }));

      test('claimDueDeliveries: due ones oldest first up to the limit, hidden until leaseUntil', () =>
        withStore(async (store) => {
          const a = newDelivery({ nextAt: T0 + 30 });
          const b = newDelivery({ nextAt: T0 + 10 });
          const c = newDelivery({ nextAt: T0 + 20 });
          const later = newDelivery({ nextAt: T0 + 100 });
          await store.routeEvents({ batches: [], deliveries: [a, b, c, later] });
          assert.equal(await store.countDeliveries(), 4);
          assert.equal(await store.nextDeliveryAt(), T0 + 10);
          const ids = (ds: DeliveryRecord[]) => ds.map((d) => d.targetId);

          assert.deepEqual(ids(await store.claimDueDeliveries(T0 + 9, 10, T0 + 1000)), [], 'nothing due yet');
          assert.deepEqual(ids(await store.claimDueDeliveries(T0 + 50, 2, T0 + 1000)), [b.targetId, c.targetId]);
          assert.deepEqual(
            ids(await store.claimDueDeliveries(T0 + 50, 10, T0 + 2000)),
            [a.targetId],
            'leased ones are hidden, later is not due',
          );
          assert.deepEqual(ids(await store.claimDueDeliveries(T0 + 50, 10, T0 + 2000)), []);
          assert.deepEqual(ids(await store.claimDueDeliveries(T0 + 999, 10, T0 + 5000)), [later.targetId]);
          assert.deepEqual(
            ids(await store.claimDueDeliveries(T0 + 1000, 10, T0 + 9000)).sort(),
            [b.targetId, c.targetId].sort(),
            'back at leaseUntil',
          );
          assert.deepEqual(ids(await store.claimDueDeliveries(T0 + 2000, 10, T0 + 9000)), [a.targetId]);
          assert.equal(await store.countDeliveries(), 4, 'claiming deletes nothing');
        }));

      test('retryDelivery records the attempt and when to try again; completing removes it', () =>
        withStore(async (store) => {
          const input = newDelivery({ nextAt: T0 });
          const other = newDelivery({ nextAt: T0 + 50_000 });
          await store.routeEvents({ batches: [], deliveries: [input, other] });
          const [first] = await store.claimDueDeliveries(T0, 10, T0 + 60_000);
          assert.equal(first?.targetId, input.targetId);
          assert.ok(first);
          assert.equal(first.attempts, 0);

          await store.retryDelivery(first.id, {
            attempts: 1,
            nextAt: T0 + 5000,
            errorCode: 'SDK_CLIENT_ERROR',
            errorMessage: 'connection refused',
          });
          assert.equal(await store.nextDeliveryAt(), T0 + 5000, 'the retry time replaces the lease');
          assert.deepEqual(await store.claimDueDeliveries(T0 + 4999, 10, T0 + 60_000), []);
          const [again] = await store.claimDueDeliveries(T0 + 5000, 10, T0 + 60_000);
          assert.ok(again);
          assert.equal(again.id, first.id);
          assert.equal(again.attempts, 1);
          assert.equal(again.nextAt, T0 + 5000);
          assert.equal(again.errorCode, 'SDK_CLIENT_ERROR');
          assert.equal(again.errorMessage, 'connection refused');
          assert.deepEqual({ ...deliveryInput(again), nextAt: T0 }, input, 'the rest is unchanged');

          await store.retryDelivery(again.id, {
            attempts: 2,
            nextAt: T0 + 9000,
            errorCode: 'HTTP_503',
            errorMessage: 'x',
          });
          const [third] = await store.claimDueDeliveries(T0 + 9000, 10, T0 + 60_000);
          assert.equal(third?.attempts, 2);
          assert.equal(third?.errorCode, 'HTTP_503');

          await store.routeEvents({ batches: [], completeDelivery: first.id });
          assert.equal(await store.countDeliveries(), 1);
          assert.equal(await store.nextDeliveryAt(), T0 + 50_000);
          await store.routeEvents({ batches: [], completeDelivery: first.id });
          assert.equal(await store.countDeliveries(), 1, 'completing twice is harmless');
        }));
    });

    describe('event routing: archives', () => {
      test('createArchive creates once per account; getArchive reports it', () =>
        withStore(async (store) => {
          await store.createEventBus({ accountId: ACCOUNT, name: 'b', tags: {}, now: T0 });
          const input = newArchive('arc', { description: 'd', eventPattern: '{"source":["s"]}', retentionDays: 7 });
          assert.equal(await store.createArchive({ ...input, now: T0 + 5 }), 'created');
          assert.equal(
            await store.createArchive(newArchive('arc', { description: 'other', retentionDays: 1, now: T0 + 9 })),
            'exists',
          );
          const got = await store.getArchive(ACCOUNT, 'arc');
          assert.ok(got);
          assert.equal(typeof got.id, 'number');
          assert.equal(got.accountId, ACCOUNT);
          assert.equal(got.name, 'arc');
          assert.equal(got.busName, 'b');
          assert.equal(got.description, 'd');
          assert.equal(got.eventPattern, '{"source":["s"]}');
          assert.equal(got.retentionDays, 7);
          assert.equal(got.createdAt, T0 + 5);
          assert.equal(got.state, 'ENABLED');
          assert.equal(got.eventCount, 0);
          assert.equal(got.sizeBytes, 0);

          const bare = await makeArchive(store, 'bare');
          const bareGot = await store.getArchive(ACCOUNT, 'bare');
          assert.equal(bareGot?.description, undefined);
          assert.equal(bareGot?.eventPattern, undefined);
          assert.equal(bareGot?.retentionDays, 0);

          assert.equal(await store.getArchive(OTHER_ACCOUNT, 'arc'), undefined);
          assert.equal(await store.getArchive(ACCOUNT, 'ARC'), undefined);
          const foreign = await makeArchive(store, 'arc', { accountId: OTHER_ACCOUNT });
          assert.equal(new Set([got.id, bare, foreign]).size, 3);
          assert.equal((await store.getArchive(ACCOUNT, 'arc'))?.description, 'd');
        }));

      test('getArchive counts its events and their size in UTF-8 bytes', () =>
        withStore(async (store) => {
          const arc = await makeArchive(store, 'arc');
          const other = await makeArchive(store, 'other');
          // 8 ASCII bytes plus é (2), € (3) and 😀 (4): 17 bytes, though the string's length is 12.
          const wide = '{"v":"é€😀"}';
          await store.routeEvents({
            batches: [],
            archived: [
              { archiveId: arc, time: T0, event: wide },
              { archiveId: arc, time: T0 + 1, event: '{"a":1}' },
              { archiveId: other, time: T0, event: '{"not":"counted"}' },
            ],
          });
          const got = await store.getArchive(ACCOUNT, 'arc');
          assert.equal(got?.eventCount, 2);
          assert.equal(got?.sizeBytes, 17 + 7);
          assert.equal((await store.getArchive(ACCOUNT, 'other'))?.eventCount, 1);
        }));

      test('listArchives orders by name, filters by prefix and bus, pages after a name, per account', () =>
        withStore(async (store) => {
          for (const [archiveName, busName] of [
            ['b', 'x'],
            ['a2', 'y'],
            ['a1', 'x'],
            ['c', 'x'],
            ['a_z', 'y'],
          ] as const) {
            await makeArchive(store, archiveName, { busName });
          }
          await makeArchive(store, 'a0', { accountId: OTHER_ACCOUNT, busName: 'x' });
          const names = async (options: { prefix?: string; busName?: string; afterName?: string; limit: number }) =>
            (await store.listArchives(ACCOUNT, options)).map((a) => a.name);
          assert.deepEqual(await names({ limit: 10 }), ['a1', 'a2', 'a_z', 'b', 'c']);
          assert.deepEqual(await names({ prefix: 'a', limit: 10 }), ['a1', 'a2', 'a_z']);
          assert.deepEqual(await names({ prefix: 'a_', limit: 10 }), ['a_z'], '_ is not a wildcard');
          assert.deepEqual(await names({ busName: 'x', limit: 10 }), ['a1', 'b', 'c']);
          assert.deepEqual(await names({ prefix: 'a', busName: 'y', limit: 10 }), ['a2', 'a_z']);
          assert.deepEqual(await names({ afterName: 'a2', limit: 2 }), ['a_z', 'b']);
          assert.deepEqual(await names({ busName: 'x', afterName: 'a1', limit: 1 }), ['b']);
          assert.deepEqual(await names({ limit: 2 }), ['a1', 'a2']);
          assert.deepEqual(await names({ busName: 'ghost', limit: 10 }), []);
          assert.deepEqual(
            (await store.listArchives(OTHER_ACCOUNT, { limit: 10 })).map((a) => a.name),
            ['a0'],
          );
        }));

      test('updateArchive changes description, pattern and retention; null clears the pattern', () =>
        withStore(async (store) => {
          const id = await makeArchive(store, 'arc', {
            description: 'd',
            eventPattern: '{"source":["a"]}',
            retentionDays: 5,
          });
          await store.routeEvents({ batches: [], archived: [{ archiveId: id, time: T0, event: '{}' }] });

          const described = await store.updateArchive(ACCOUNT, 'arc', { description: 'd2' });
          assert.equal(described?.description, 'd2');
          assert.equal(described?.eventPattern, '{"source":["a"]}');
          assert.equal(described?.retentionDays, 5);

          const repatterned = await store.updateArchive(ACCOUNT, 'arc', {
            eventPattern: '{"source":["b"]}',
            retentionDays: 0,
          });
          assert.equal(repatterned?.description, 'd2');
          assert.equal(repatterned?.eventPattern, '{"source":["b"]}');
          assert.equal(repatterned?.retentionDays, 0);

          const cleared = await store.updateArchive(ACCOUNT, 'arc', { eventPattern: null });
          assert.equal(cleared?.eventPattern, undefined);
          assert.equal(cleared?.description, 'd2');
          assert.equal(cleared?.retentionDays, 0);
          assert.equal(cleared?.id, id);
          assert.equal(cleared?.eventCount, 1, 'events stay');

          const got = await store.getArchive(ACCOUNT, 'arc');
          assert.equal(got?.eventPattern, undefined);
          assert.equal(got?.description, 'd2');
          assert.equal(got?.retentionDays, 0);
          assert.equal(await store.updateArchive(ACCOUNT, 'ghost', { description: 'x' }), undefined);
          assert.equal(await store.updateArchive(OTHER_ACCOUNT, 'arc', { description: 'x' }), undefined);
          assert.equal((await store.getArchive(ACCOUNT, 'arc'))?.description, 'd2');
        }));

      test('deleteArchive removes the archive and its events, once', () =>
        withStore(async (store) => {
          const doomed = await makeArchive(store, 'doomed');
          const keep = await makeArchive(store, 'keep');
          await store.routeEvents({
            batches: [],
            archived: [
              { archiveId: doomed, time: T0, event: '{"d":1}' },
              { archiveId: doomed, time: T0 + 1, event: '{"d":2}' },
              { archiveId: keep, time: T0, event: '{"k":1}' },
            ],
          });
          assert.equal(await store.deleteArchive(OTHER_ACCOUNT, 'doomed'), false);
          assert.equal(await store.deleteArchive(ACCOUNT, 'doomed'), true);
          assert.equal(await store.getArchive(ACCOUNT, 'doomed'), undefined);
          assert.deepEqual(await allArchived(store, doomed), []);
          assert.deepEqual(
            (await store.listArchives(ACCOUNT, { limit: 10 })).map((a) => a.name),
            ['keep'],
          );
          assert.deepEqual(
            (await allArchived(store, keep)).map((e) => e.event),
            ['{"k":1}'],
          );
          assert.equal((await store.getArchive(ACCOUNT, 'keep'))?.eventCount, 1);
          assert.equal(await store.deleteArchive(ACCOUNT, 'doomed'), false);

          assert.equal(await store.createArchive(newArchive('doomed')), 'created');
          const again = await store.getArchive(ACCOUNT, 'doomed');
          assert.equal(again?.eventCount, 0, 'a new archive of that name starts empty');
          assert.equal(again?.sizeBytes, 0);
          assert.deepEqual(await allArchived(store, again?.id ?? -1), []);
        }));

      test('busArchives lists the archives of one bus of one account', () =>
        withStore(async (store) => {
          const a = await makeArchive(store, 'a', { busName: 'x' });
          const b = await makeArchive(store, 'b', { busName: 'x' });
          await makeArchive(store, 'c', { busName: 'y' });
          await makeArchive(store, 'd', { busName: 'x', accountId: OTHER_ACCOUNT });
          const onX = await store.busArchives(ACCOUNT, 'x');
          assert.deepEqual(onX.map((archive) => [archive.name, archive.id]).sort(), [
            ['a', a],
            ['b', b],
          ]);
          assert.ok(onX.every((archive) => archive.busName === 'x' && archive.accountId === ACCOUNT));
          assert.deepEqual(
            (await store.busArchives(OTHER_ACCOUNT, 'x')).map((archive) => archive.name),
            ['d'],
          );
          assert.deepEqual(await store.busArchives(ACCOUNT, 'ghost'), []);
        }));

      test('archivedEvents: [fromTime, toTime), (time, seq) order, after a cursor, limited', () =>
        withStore(async (store) => {
          const arc = await makeArchive(store, 'arc');
          const other = await makeArchive(store, 'other');
          const at = (offset: number, event: string) => ({ archiveId: arc, time: T0 + offset, event });
          await store.routeEvents({
            batches: [],
            archived: [
              at(20, 'e1'),
              at(10, 'e2'),
              at(20, 'e3'),
              at(30, 'e4'),
              at(40, 'e5'),
              at(5, 'e0'),
              { archiveId: other, time: T0 + 20, event: 'foreign' },
            ],
          });
          const window = { fromTime: T0 + 10, toTime: T0 + 40 };
          const all = await store.archivedEvents(arc, { ...window, limit: 100 });
          assert.deepEqual(
            all.map((e) => e.time),
            [T0 + 10, T0 + 20, T0 + 20, T0 + 30],
            'fromTime is in, toTime is out',
          );
          assert.equal(all[0]?.event, 'e2');
          assert.deepEqual(
            all
              .slice(1, 3)
              .map((e) => e.event)
              .sort(),
            ['e1', 'e3'],
          );
          assert.equal(all[3]?.event, 'e4');
          const [, second, third] = all;
          assert.ok(second && third && second.seq < third.seq, 'the same time goes by seq');
          assert.equal(new Set(all.map((e) => e.seq)).size, 4);

          assert.deepEqual(await store.archivedEvents(arc, { ...window, after: second, limit: 100 }), all.slice(2));
          assert.deepEqual(
            await store.archivedEvents(arc, { ...window, after: { time: T0 + 20, seq: third.seq }, limit: 100 }),
            all.slice(3),
          );
          assert.deepEqual(await store.archivedEvents(arc, { ...window, limit: 2 }), all.slice(0, 2));
          assert.deepEqual(
            await store.archivedEvents(arc, { ...window, after: { time: T0, seq: 0 }, limit: 100 }),
            all,
            'a cursor before the window leaves the window as it is',
          );

          const paged = [];
          let after: { time: number; seq: number } | undefined;
          for (;;) {
            const page = await store.archivedEvents(arc, { ...window, ...(after ? { after } : {}), limit: 1 });
            const last = page[page.length - 1];
            if (!last) break;
            assert.equal(page.length, 1);
            paged.push(...page);
            after = { time: last.time, seq: last.seq };
          }
          assert.deepEqual(paged, all);

          assert.deepEqual(
            (await store.archivedEvents(arc, { fromTime: T0 + 20, toTime: T0 + 30, limit: 100 })).map((e) => e.time),
            [T0 + 20, T0 + 20],
          );
          assert.deepEqual(await store.archivedEvents(arc, { fromTime: T0 + 41, toTime: T0 + 100, limit: 100 }), []);
          assert.deepEqual(
            (await store.archivedEvents(other, { fromTime: 0, toTime: T0 + 100, limit: 100 })).map((e) => e.event),
            ['foreign'],
          );
        }));

      test('expireArchivedEvents deletes what is older than the retention at `now`, within the limit', () =>
        withStore(async (store) => {
          const now = T0 + 30 * DAY_MS;
          const short = await makeArchive(store, 'short', { retentionDays: 1 });
          const long = await makeArchive(store, 'long', { retentionDays: 10 });
          const forever = await makeArchive(store, 'forever', { retentionDays: 0 });
          await store.routeEvents({
            batches: [],
            archived: [
              { archiveId: short, time: now - DAY_MS - 1, event: 'short-expired-1' },
              { archiveId: short, time: now - 2 * DAY_MS, event: 'short-expired-2' },
              { archiveId: short, time: now - 5 * DAY_MS, event: 'short-expired-3' },
              { archiveId: short, time: now - DAY_MS, event: 'short-exactly-one-day' },
              { archiveId: short, time: now - 1, event: 'short-fresh' },
              { archiveId: long, time: now - 11 * DAY_MS, event: 'long-expired' },
              { archiveId: long, time: now - 9 * DAY_MS, event: 'long-kept' },
              { archiveId: forever, time: T0 - 400 * DAY_MS, event: 'forever-ancient' },
              { archiveId: forever, time: now - 20 * DAY_MS, event: 'forever-old' },
            ],
          });
          assert.equal(await store.expireArchivedEvents(T0, 100), 0, 'nothing is old yet at T0');
          assert.equal((await store.getArchive(ACCOUNT, 'short'))?.eventCount, 5);

          assert.equal(await store.expireArchivedEvents(now, 3), 3);
          assert.equal(await store.expireArchivedEvents(now, 3), 1);
          assert.equal(await store.expireArchivedEvents(now, 3), 0);

          const events = async (archiveId: number) => (await allArchived(store, archiveId)).map((e) => e.event);
          assert.deepEqual(await events(short), ['short-exactly-one-day', 'short-fresh']);
          assert.deepEqual(await events(long), ['long-kept']);
          assert.deepEqual(await events(forever), ['forever-ancient', 'forever-old'], 'retention 0 keeps forever');
          assert.equal((await store.getArchive(ACCOUNT, 'short'))?.eventCount, 2);
        }));
    });

    describe('event routing: replays', () => {
      test('createReplay creates once per account; a new replay is STARTING with no progress', () =>
        withStore(async (store) => {
          const archiveId = await makeArchive(store, 'arc');
          const input: NewReplay = {
            accountId: ACCOUNT,
            name: 'rp',
            description: 'first',
            archiveName: 'arc',
            archiveId,
            busName: 'b',
            startTime: T0 - 1000,
            endTime: T0 + 1000,
            ruleNames: ['r2', 'r1'],
            now: T0 + 3,
          };
          assert.equal(await store.createReplay(input), 'created');
          const created = await store.getReplay(ACCOUNT, 'rp');
          assert.equal(created?.state, 'STARTING');
          assert.equal(created?.after, undefined);
          assert.equal(created?.lastReplayedTime, undefined);
          assert.equal(created?.endedAt, undefined);
          assert.equal(created?.stateReason, undefined);

          await store.setReplayState(ACCOUNT, 'rp', { state: 'RUNNING' });
          assert.equal(await store.createReplay({ ...input, description: 'second', ruleNames: [] }), 'exists');
          const got = await store.getReplay(ACCOUNT, 'rp');
          assert.ok(got);
          assert.equal(typeof got.id, 'number');
          assert.equal(got.accountId, ACCOUNT);
          assert.equal(got.name, 'rp');
          assert.equal(got.description, 'first');
          assert.equal(got.archiveName, 'arc');
          assert.equal(got.archiveId, archiveId);
          assert.equal(got.busName, 'b');
          assert.equal(got.startTime, T0 - 1000);
          assert.equal(got.endTime, T0 + 1000);
          assert.deepEqual(got.ruleNames, ['r2', 'r1']);
          assert.equal(got.state, 'RUNNING', "'exists' leaves the existing replay alone");

          assert.equal(await store.getReplay(OTHER_ACCOUNT, 'rp'), undefined);
          assert.equal(await store.getReplay(ACCOUNT, 'ghost'), undefined);
          const foreign = await makeReplay(store, 'rp', { accountId: OTHER_ACCOUNT });
          assert.notEqual(foreign.id, got.id);
          assert.deepEqual(foreign.ruleNames, []);
          assert.equal(foreign.description, undefined);
        }));

      test('listReplays filters by prefix, state and archive, pages after a name, per account', () =>
        withStore(async (store) => {
          await makeReplay(store, 'r-b', { archiveName: 'arc1' });
          await makeReplay(store, 'r-a', { archiveName: 'arc2' });
          await makeReplay(store, 'x', { archiveName: 'arc1' });
          await makeReplay(store, 'r-c', { archiveName: 'arc1' });
          await makeReplay(store, 'r-0', { accountId: OTHER_ACCOUNT, archiveName: 'arc1' });
          await store.setReplayState(ACCOUNT, 'r-c', { state: 'RUNNING' });
          const names = async (options: {
            prefix?: string;
            state?: string;
            archiveName?: string;
            afterName?: string;
            limit: number;
          }) => (await store.listReplays(ACCOUNT, options)).map((r) => r.name);
          assert.deepEqual(await names({ limit: 10 }), ['r-a', 'r-b', 'r-c', 'x']);
          assert.deepEqual(await names({ prefix: 'r-', limit: 10 }), ['r-a', 'r-b', 'r-c']);
          assert.deepEqual(await names({ state: 'STARTING', limit: 10 }), ['r-a', 'r-b', 'x']);
          assert.deepEqual(await names({ state: 'RUNNING', limit: 10 }), ['r-c']);
          assert.deepEqual(await names({ state: 'COMPLETED', limit: 10 }), []);
          assert.deepEqual(await names({ archiveName: 'arc1', limit: 10 }), ['r-b', 'r-c', 'x']);
          assert.deepEqual(await names({ prefix: 'r-', archiveName: 'arc1', state: 'STARTING', limit: 10 }), ['r-b']);
          assert.deepEqual(await names({ afterName: 'r-a', limit: 2 }), ['r-b', 'r-c']);
          assert.deepEqual(await names({ archiveName: 'arc1', afterName: 'r-c', limit: 10 }), ['x']);
          assert.deepEqual(
            (await store.listReplays(OTHER_ACCOUNT, { limit: 10 })).map((r) => r.name),
            ['r-0'],
          );
        }));

      test('setReplayState changes the state, records reason and end; onlyFrom guards the change', () =>
        withStore(async (store) => {
          await makeReplay(store, 'rp');
          const cancelling = await store.setReplayState(ACCOUNT, 'rp', { state: 'CANCELLING' }, [
            'STARTING',
            'RUNNING',
          ]);
          assert.equal(cancelling?.state, 'CANCELLING');
          assert.equal(cancelling?.endedAt, undefined);

          const refused = await store.setReplayState(
            ACCOUNT,
            'rp',
            { state: 'RUNNING', reason: 'no', endedAt: T0 + 1 },
            ['STARTING', 'RUNNING'],
          );
          assert.equal(refused?.state, 'CANCELLING', 'not among onlyFrom: unchanged, and returned as it is');
          assert.equal(refused?.stateReason, undefined);
          assert.equal(refused?.endedAt, undefined);
          assert.equal((await store.getReplay(ACCOUNT, 'rp'))?.state, 'CANCELLING');

          const cancelled = await store.setReplayState(
            ACCOUNT,
            'rp',
            { state: 'CANCELLED', reason: 'Replay was cancelled.', endedAt: T0 + 99 },
            ['CANCELLING'],
          );
          assert.equal(cancelled?.state, 'CANCELLED');
          assert.equal(cancelled?.stateReason, 'Replay was cancelled.');
          assert.equal(cancelled?.endedAt, T0 + 99);

          await makeReplay(store, 'other');
          const failed = await store.setReplayState(ACCOUNT, 'other', {
            state: 'FAILED',
            reason: 'archive deleted',
            endedAt: T0 + 7,
          });
          assert.equal(failed?.state, 'FAILED');
          const got = await store.getReplay(ACCOUNT, 'other');
          assert.equal(got?.state, 'FAILED');
          assert.equal(got?.stateReason, 'archive deleted');
          assert.equal(got?.endedAt, T0 + 7);
          assert.equal((await store.getReplay(ACCOUNT, 'rp'))?.state, 'CANCELLED', 'one replay at a time');

          assert.equal(await store.setReplayState(ACCOUNT, 'ghost', { state: 'RUNNING' }), undefined);
          assert.equal(await store.setReplayState(ACCOUNT, 'ghost', { state: 'RUNNING' }, ['STARTING']), undefined);
          assert.equal(await store.setReplayState(OTHER_ACCOUNT, 'rp', { state: 'RUNNING' }), undefined);
        }));

      test('activeReplays lists STARTING, RUNNING and CANCELLING replays of every account', () =>
        withStore(async (store) => {
          const states = ['STARTING', 'RUNNING', 'CANCELLING', 'COMPLETED', 'CANCELLED', 'FAILED'] as const;
          for (const state of states) {
            await makeReplay(store, state.toLowerCase());
            if (state !== 'STARTING') await store.setReplayState(ACCOUNT, state.toLowerCase(), { state });
          }
          await makeReplay(store, 'foreign', { accountId: OTHER_ACCOUNT });
          const active = await store.activeReplays();
          assert.deepEqual(active.map((r) => `${r.accountId}/${r.name}/${r.state}`).sort(), [
            `${ACCOUNT}/cancelling/CANCELLING`,
            `${ACCOUNT}/running/RUNNING`,
            `${ACCOUNT}/starting/STARTING`,
            `${OTHER_ACCOUNT}/foreign/STARTING`,
          ]);
          await store.setReplayState(ACCOUNT, 'running', { state: 'COMPLETED', endedAt: T0 + 1 });
          assert.deepEqual((await store.activeReplays()).map((r) => r.name).sort(), [
            'cancelling',
            'foreign',
            'starting',
          ]);
        }));
    });

    describe('event routing: rule schedules', () => {
      test('scheduledRules lists enabled rules with a schedule expression, with their stored schedule', () =>
        withStore(async (store) => {
          await addScheduledRule(store, 'b', 'plain');
          await addScheduledRule(store, 'b', 'stored', { scheduleExpression: 'cron(0 12 * * ? *)' });
          await addScheduledRule(store, 'b', 'off', { state: 'DISABLED' });
          await addScheduledRule(store, 'b', 'pattern', { scheduleExpression: undefined, eventPattern: '{"a":[1]}' });
          await addScheduledRule(store, 'b2', 'elsewhere');
          const listed = async () =>
            (await store.scheduledRules())
              .map(({ rule, schedule }) => ({ key: `${rule.busName}/${rule.name}`, rule, schedule }))
              .sort((x, y) => (x.key < y.key ? -1 : 1));

          const before = await listed();
          assert.deepEqual(
            before.map((s) => s.key),
            ['b/plain', 'b/stored', 'b2/elsewhere'],
          );
          assert.ok(
            before.every((s) => s.schedule === undefined),
            'no schedule stored yet',
          );
          assert.equal(before[1]?.rule.scheduleExpression, 'cron(0 12 * * ? *)');
          assert.equal(before[1]?.rule.state, 'ENABLED');
          assert.equal(before[1]?.rule.accountId, ACCOUNT);

          const stored: RuleSchedule = { expression: 'cron(0 12 * * ? *)', anchor: T0, nextFireAt: T0 + 3_600_000 };
          await store.routeEvents(scheduleWrite('b', 'stored', stored));
          await store.routeEvents(
            scheduleWrite('b', 'off', { expression: 'rate(5 minutes)', anchor: T0, nextFireAt: T0 }),
          );
          let after = await listed();
          assert.deepEqual(
            after.map((s) => [s.key, s.schedule]),
            [
              ['b/plain', undefined],
              ['b/stored', stored],
              ['b2/elsewhere', undefined],
            ],
          );

          const finished: RuleSchedule = { expression: 'cron(0 12 * * ? *)', anchor: T0 + 5, nextFireAt: null };
          await store.routeEvents(scheduleWrite('b', 'stored', finished));
          after = await listed();
          assert.deepEqual(after.find((s) => s.key === 'b/stored')?.schedule, finished, 'a later write replaces it');

          await store.updateRule(ACCOUNT, 'b', 'off', { state: 'ENABLED', now: T0 + 1 });
          after = await listed();
          assert.deepEqual(after.find((s) => s.key === 'b/off')?.schedule, {
            expression: 'rate(5 minutes)',
            anchor: T0,
            nextFireAt: T0,
          });
          await store.updateRule(ACCOUNT, 'b', 'plain', { state: 'DISABLED', now: T0 + 1 });
          assert.ok(!(await listed()).some((s) => s.key === 'b/plain'), 'a disabled rule is not listed');
        }));

      test('deleteRule forgets the schedule: the rule made again has none stored', () =>
        withStore(async (store) => {
          await addScheduledRule(store, 'b', 'plain');
          await addScheduledRule(store, 'b', 'targeted');
          await addScheduledRule(store, 'b', 'kept');
          const state: RuleSchedule = { expression: 'rate(5 minutes)', anchor: T0, nextFireAt: T0 + 300_000 };
          for (const ruleName of ['plain', 'targeted', 'kept'])
            await store.routeEvents(scheduleWrite('b', ruleName, state));
          assert.equal(
            await store.putTargets(
              ACCOUNT,
              'b',
              'targeted',
              [{ id: 't', arn: 'arn:aws:sqs:us-east-1:0:q', settings: {} }],
              5,
            ),
            'ok',
          );

          assert.equal(await store.deleteRule(ACCOUNT, 'b', 'plain'), true);
          assert.equal(await store.deleteRule(ACCOUNT, 'b', 'targeted', { force: true }), true);
          assert.deepEqual(
            (await store.scheduledRules()).map((s) => [s.rule.name, s.schedule]),
            [['kept', state]],
          );

          await addScheduledRule(store, 'b', 'plain');
          await addScheduledRule(store, 'b', 'targeted');
          const again = (await store.scheduledRules()).sort((x, y) => (x.rule.name < y.rule.name ? -1 : 1));
          assert.deepEqual(
            again.map((s) => [s.rule.name, s.schedule]),
            [
              ['kept', state],
              ['plain', undefined],
              ['targeted', undefined],
            ],
          );
        }));
    });

    describe('metric alarms', () => {
      const summaries = async (store: Store, filter: Parameters<Store['alarmHistory']>[1], account = ACCOUNT) =>
        (await store.alarmHistory(account, filter)).map((h) => h.summary);

      test('putAlarm creates, then replaces, an alarm with its history; getAlarm returns it as written', () =>
        withStore(async (store) => {
          const created = newAlarm('cpu', {
            state: {
              value: 'ALARM',
              reason: 'because',
              reasonData: '{"version":"1.0"}',
              updatedAt: T0 + 5,
              transitionedAt: T0 + 4,
            },
            actionsEnabled: false,
            nextEvaluationAt: T0 + 60_000,
          });
          assert.equal(
            await store.putAlarm(created, [historyItem('cpu', T0, { type: 'ConfigurationUpdate' })]),
            'created',
          );
          assert.deepEqual(await store.getAlarm(ACCOUNT, 'cpu'), created);
          const math = newAlarm('cpu', { namespace: undefined, metricName: undefined, config: '{"math":true}' });
          const { namespace: _n, metricName: _m, ...expected } = math;
          assert.equal(await store.putAlarm(math, [historyItem('cpu', T0 + 1)]), 'updated');
          assert.deepEqual(await store.getAlarm(ACCOUNT, 'cpu'), expected);
          assert.equal(await store.getAlarm(OTHER_ACCOUNT, 'cpu'), undefined);
          assert.equal(await store.getAlarm(ACCOUNT, 'other'), undefined);
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }), [
            'cpu at 1767225600000',
            'cpu at 1767225600001',
          ]);
        }));

      test('putAlarm refuses a new alarm beyond maxAlarms per account, writing nothing, but updates existing ones', () =>
        withStore(async (store) => {
          assert.equal(await store.putAlarm(newAlarm('a'), [], 2), 'created');
          assert.equal(await store.putAlarm(newAlarm('b'), [], 2), 'created');
          assert.equal(await store.putAlarm(newAlarm('c'), [historyItem('c', T0)], 2), 'limit-exceeded');
          assert.equal(await store.getAlarm(ACCOUNT, 'c'), undefined);
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }), [], 'no history for a refused alarm');
          assert.equal(await store.putAlarm(newAlarm('b', { config: '{"v":2}' }), [], 2), 'updated');
          assert.equal(await store.putAlarm(newAlarm('c', { accountId: OTHER_ACCOUNT }), [], 2), 'created');
        }));

      test('listAlarms filters by names, prefix, state and metric, by name order, from a cursor', () =>
        withStore(async (store) => {
          await store.putAlarm(newAlarm('web-5xx', { state: { ...newAlarm('x').state, value: 'ALARM' } }), []);
          await store.putAlarm(newAlarm('web-latency', { metricName: 'Latency' }), []);
          await store.putAlarm(
            newAlarm('db-cpu', { namespace: 'Db', state: { ...newAlarm('x').state, value: 'OK' } }),
            [],
          );
          await store.putAlarm(newAlarm('math', { namespace: undefined, metricName: undefined }), []);
          await store.putAlarm(newAlarm('web-elsewhere', { accountId: OTHER_ACCOUNT }), []);
          const names = async (filter: Partial<Parameters<Store['listAlarms']>[1]>) =>
            (await store.listAlarms(ACCOUNT, { limit: 100, ...filter })).map((a) => a.name);
          assert.deepEqual(await names({}), ['db-cpu', 'math', 'web-5xx', 'web-latency']);
          assert.deepEqual(await names({ prefix: 'web-' }), ['web-5xx', 'web-latency']);
          assert.deepEqual(await names({ names: ['math', 'web-5xx', 'missing'] }), ['math', 'web-5xx']);
          assert.deepEqual(await names({ names: [] }), []);
          assert.deepEqual(await names({ stateValue: 'ALARM' }), ['web-5xx']);
          assert.deepEqual(await names({ stateValue: 'INSUFFICIENT_DATA' }), ['math', 'web-latency']);
          assert.deepEqual(await names({ metric: { namespace: 'Shop', metricName: 'Errors' } }), ['web-5xx']);
          assert.deepEqual(await names({ afterName: 'math', limit: 1 }), ['web-5xx']);
          assert.deepEqual(await names({ prefix: 'web-', afterName: 'web-5xx' }), ['web-latency']);
        }));

      test('deleteAlarms deletes those that exist and writes only their history', () =>
        withStore(async (store) => {
          await store.putAlarm(newAlarm('a'), []);
          await store.putAlarm(newAlarm('b'), []);
          await store.putAlarm(newAlarm('a', { accountId: OTHER_ACCOUNT }), []);
          const deleted = await store.deleteAlarms(
            ACCOUNT,
            ['a', 'missing'],
            [
              historyItem('a', T0, { summary: 'a deleted' }),
              historyItem('missing', T0, { summary: 'missing deleted' }),
            ],
          );
          assert.deepEqual(deleted, ['a']);
          assert.equal(await store.getAlarm(ACCOUNT, 'a'), undefined);
          assert.ok(await store.getAlarm(ACCOUNT, 'b'));
          assert.ok(await store.getAlarm(OTHER_ACCOUNT, 'a'), 'the other account keeps its alarm');
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }), ['a deleted']);
        }));

      test('dueAlarms lists the alarms of every account due at now, earliest first', () =>
        withStore(async (store) => {
          await store.putAlarm(newAlarm('later', { nextEvaluationAt: T0 + 120_000 }), []);
          await store.putAlarm(newAlarm('second', { nextEvaluationAt: T0 + 60_000 }), []);
          await store.putAlarm(newAlarm('first', { accountId: OTHER_ACCOUNT, nextEvaluationAt: T0 }), []);
          const due = async (now: number, limit = 10) => (await store.dueAlarms(now, limit)).map((a) => a.name);
          assert.deepEqual(await due(T0 - 1), []);
          assert.deepEqual(await due(T0 + 60_000), ['first', 'second']);
          assert.deepEqual(await due(T0 + 120_000, 2), ['first', 'second']);
          assert.deepEqual(await due(T0 + 120_000), ['first', 'second', 'later']);
        }));

      test('routeEvents writes an alarm state, its next evaluation and history with the routed messages', () =>
        withStore(async (store) => {
          const queue = await makeQueue(store, 'notifications');
          await store.putAlarm(newAlarm('cpu'), []);
          const state = {
            value: 'ALARM',
            reason: 'high',
            reasonData: '{"a":1}',
            updatedAt: T0 + 60_000,
            transitionedAt: T0 + 60_000,
          } as const;
          await store.routeEvents({
            batches: [{ queueId: queue.id, messages: [newMessage({ body: 'notification' })] }],
            alarm: { accountId: ACCOUNT, name: 'cpu', configUpdatedAt: T0, state, nextEvaluationAt: T0 + 120_000 },
            alarmHistory: [historyItem('cpu', T0 + 60_000, { summary: 'to ALARM' })],
          });
          const alarm = await store.getAlarm(ACCOUNT, 'cpu');
          assert.deepEqual(alarm?.state, state);
          assert.equal(alarm?.nextEvaluationAt, T0 + 120_000);
          assert.equal(alarm?.config, newAlarm('cpu').config, 'the configuration is untouched');
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }), ['to ALARM']);
          assert.equal((await claimAll(store, queue.id, T0 + 60_000)).messages.length, 1);

          // Only the next evaluation time.
          await store.routeEvents({
            batches: [],
            alarm: { accountId: ACCOUNT, name: 'cpu', configUpdatedAt: T0, nextEvaluationAt: T0 + 180_000 },
          });
          const later = await store.getAlarm(ACCOUNT, 'cpu');
          assert.deepEqual(later?.state, state);
          assert.equal(later?.nextEvaluationAt, T0 + 180_000);
        }));

      test('routeEvents refuses the whole write when the alarm changed or is gone', () =>
        withStore(async (store) => {
          const queue = await makeQueue(store, 'notifications');
          await store.putAlarm(newAlarm('cpu', { configUpdatedAt: T0 + 10 }), []);
          const write = (name: string, configUpdatedAt: number) =>
            store.routeEvents({
              batches: [{ queueId: queue.id, messages: [newMessage()] }],
              alarm: {
                accountId: ACCOUNT,
                name,
                configUpdatedAt,
                state: { value: 'OK', reason: 'fine', updatedAt: T0 + 60_000, transitionedAt: T0 + 60_000 },
              },
              alarmHistory: [historyItem(name, T0 + 60_000)],
            });
          await assert.rejects(write('cpu', T0), 'a state computed for an older configuration');
          await assert.rejects(write('gone', T0), 'an alarm that does not exist');
          assert.equal((await store.getAlarm(ACCOUNT, 'cpu'))?.state.value, 'INSUFFICIENT_DATA');
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }), []);
          assert.equal((await claimAll(store, queue.id, T0 + 60_000)).messages.length, 0, 'no message either');
          await write('cpu', T0 + 10);
          assert.equal((await store.getAlarm(ACCOUNT, 'cpu'))?.state.value, 'OK');
        }));

      test('alarmHistory filters by alarm, type and time (inclusive), both ways, from a cursor', () =>
        withStore(async (store) => {
          await store.putAlarm(newAlarm('a'), [
            historyItem('a', T0, { summary: 'a1', type: 'ConfigurationUpdate' }),
            historyItem('a', T0 + 1000, { summary: 'a2' }),
            historyItem('a', T0 + 1000, { summary: 'a3', type: 'Action' }),
            historyItem('a', T0 + 3000, { summary: 'a4' }),
          ]);
          await store.putAlarm(newAlarm('b'), [historyItem('b', T0 + 2000, { summary: 'b1' })]);
          await store.putAlarm(newAlarm('b', { accountId: OTHER_ACCOUNT }), [
            historyItem('b', T0 + 2000, { accountId: OTHER_ACCOUNT, summary: 'other' }),
          ]);
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }), ['a1', 'a2', 'a3', 'b1', 'a4']);
          assert.deepEqual(await summaries(store, { order: 'desc', limit: 10 }), ['a4', 'b1', 'a3', 'a2', 'a1']);
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10, alarmName: 'a' }), [
            'a1',
            'a2',
            'a3',
            'a4',
          ]);
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10, type: 'StateUpdate' }), [
            'a2',
            'b1',
            'a4',
          ]);
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10, fromMs: T0 + 1000, toMs: T0 + 2000 }), [
            'a2',
            'a3',
            'b1',
          ]);
          const [first, second] = await store.alarmHistory(ACCOUNT, { order: 'desc', limit: 2 });
          assert.equal(first?.summary, 'a4');
          assert.equal(second?.accountId, ACCOUNT);
          assert.equal(second?.alarmName, 'b');
          assert.equal(second?.timestamp, T0 + 2000);
          assert.equal(second?.type, 'StateUpdate');
          assert.equal(second?.data, '{}');
          const after = { timestamp: second?.timestamp ?? 0, id: second?.id ?? 0 };
          assert.deepEqual(await summaries(store, { order: 'desc', limit: 10, after }), ['a3', 'a2', 'a1']);
          const a2 = (await store.alarmHistory(ACCOUNT, { order: 'asc', limit: 2 }))[1];
          assert.deepEqual(
            await summaries(store, {
              order: 'asc',
              limit: 2,
              after: { timestamp: a2?.timestamp ?? 0, id: a2?.id ?? 0 },
            }),
            ['a3', 'b1'],
            'a cursor inside a run of equal timestamps',
          );
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }, OTHER_ACCOUNT), ['other']);
        }));

      test('expireAlarmHistory deletes items older than the cutoff, at most limit at a time', () =>
        withStore(async (store) => {
          await store.putAlarm(newAlarm('a'), [
            historyItem('a', T0, { summary: 'old1' }),
            historyItem('a', T0 + 1, { summary: 'old2' }),
            historyItem('a', T0 + 2, { summary: 'old3' }),
            historyItem('a', T0 + DAY_MS, { summary: 'new' }),
          ]);
          assert.equal(await store.expireAlarmHistory(T0 + 3, 2), 2);
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }), ['old3', 'new']);
          assert.equal(await store.expireAlarmHistory(T0 + 3, 10), 1);
          assert.equal(await store.expireAlarmHistory(T0 + 3, 10), 0);
          assert.deepEqual(await summaries(store, { order: 'asc', limit: 10 }), ['new']);
        }));
    });

    describe('idempotency keys', () => {
      test('checkIdempotencyKeys reports the keys held, in the order given, each once, per account', () =>
        withStore(async (store) => {
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, ['a', 'b'], T0), [], 'nothing held yet');
          await store.putIdempotencyKeys(ACCOUNT, ['a', 'b', 'c'], T0 + 1000);
          await store.putIdempotencyKeys(OTHER_ACCOUNT, ['x'], T0 + 1000);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, ['c', 'missing', 'a', 'c', 'x'], T0), ['c', 'a']);
          assert.deepEqual(await store.checkIdempotencyKeys(OTHER_ACCOUNT, ['a', 'x'], T0), ['x']);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, [], T0), []);
        }));

      test('keys are opaque, exact text: case, LIKE wildcards, unicode and 1024-byte keys', () =>
        withStore(async (store) => {
          const long = `${'k'.repeat(1020)}é€`;
          const keys = ['Order-1', 'a%', 'a_', 'queue#événement 🚚', long];
          await store.putIdempotencyKeys(ACCOUNT, keys, T0 + 1000);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, keys, T0), keys);
          assert.deepEqual(
            await store.checkIdempotencyKeys(
              ACCOUNT,
              ['order-1', 'ab', 'a', 'queue#evenement 🚚', long.slice(0, -1)],
              T0,
            ),
            [],
          );
        }));

      test('a key is held while now < expiresAt; putting it again replaces its expiry, expired or not', () =>
        withStore(async (store) => {
          await store.putIdempotencyKeys(ACCOUNT, ['k'], T0 + 1000);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, ['k'], T0 + 999), ['k']);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, ['k'], T0 + 1000), [], 'gone at expiresAt');
          await store.putIdempotencyKeys(ACCOUNT, ['k'], T0 + 5000);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, ['k'], T0 + 4999), ['k'], 'held again, longer');
          await store.putIdempotencyKeys(ACCOUNT, ['k'], T0 + 2000);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, ['k'], T0 + 2000), [], 'the last put wins');
        }));

      test('deleteIdempotencyKeys forgets the keys of one account and counts those it found', () =>
        withStore(async (store) => {
          await store.putIdempotencyKeys(ACCOUNT, ['a', 'b', 'old'], T0 + 1000);
          await store.putIdempotencyKeys(OTHER_ACCOUNT, ['a'], T0 + 1000);
          assert.equal(await store.deleteIdempotencyKeys(ACCOUNT, ['a', 'a', 'missing', 'old']), 2);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, ['a', 'b', 'old'], T0), ['b']);
          assert.deepEqual(
            await store.checkIdempotencyKeys(OTHER_ACCOUNT, ['a'], T0),
            ['a'],
            'the other account keeps it',
          );
          assert.equal(await store.deleteIdempotencyKeys(ACCOUNT, ['a']), 0);
          assert.equal(await store.deleteIdempotencyKeys(ACCOUNT, []), 0);
        }));

      test('expireIdempotencyKeys removes keys of every account expired by now, at most limit at a time', () =>
        withStore(async (store) => {
          await store.putIdempotencyKeys(ACCOUNT, ['e1', 'e2'], T0 + 10);
          await store.putIdempotencyKeys(OTHER_ACCOUNT, ['e3'], T0 + 20);
          await store.putIdempotencyKeys(ACCOUNT, ['live'], T0 + 21);
          assert.equal(await store.expireIdempotencyKeys(T0 + 9, 10), 0, 'nothing expired yet');
          assert.equal(await store.expireIdempotencyKeys(T0 + 20, 2), 2);
          assert.equal(await store.expireIdempotencyKeys(T0 + 20, 10), 1);
          assert.equal(await store.expireIdempotencyKeys(T0 + 20, 10), 0);
          // Removed, not merely expired: deleting them finds nothing.
          assert.equal(await store.deleteIdempotencyKeys(ACCOUNT, ['e1', 'e2']), 0);
          assert.equal(await store.deleteIdempotencyKeys(OTHER_ACCOUNT, ['e3']), 0);
          assert.deepEqual(await store.checkIdempotencyKeys(ACCOUNT, ['live'], T0 + 20), ['live']);
        }));
    });

    describe('event trace', () => {
      /** An event's steps as [step, detail] pairs, in the order the store answers them. */
      async function stepsOf(store: Store, eventId: string, accountId = ACCOUNT) {
        return (await store.eventTrace(accountId, eventId, 100)).map((r) => [r.step, r.detail] as const);
      }
      const step = (
        eventId: string,
        name: NewTraceStep['step'],
        at: number,
        detail: Record<string, unknown> = {},
      ): NewTraceStep => ({ accountId: ACCOUNT, eventId, at, step: name, detail });

      test('routeEvents writes the steps it is given with its messages, which keep their eventId', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q');
          await store.routeEvents({
            batches: [{ queueId: q.id, messages: [newMessage({ messageId: 'm-1', eventId: 'ev-1' })] }],
            trace: [
              step('ev-1', 'ingested', T0, { bus: 'b', via: 'put-events', matchedRules: 1 }),
              step('ev-1', 'matched', T0, { rule: 'r' }),
              step('ev-1', 'invoked', T0, { outcome: 'queued', queue: 'q', messageId: 'm-1' }),
              step('ev-2', 'ingested', T0, { bus: 'b', matchedRules: 0 }),
              { ...step('ev-1', 'ingested', T0), accountId: OTHER_ACCOUNT },
            ],
          });
          const records = await store.eventTrace(ACCOUNT, 'ev-1', 100);
          assert.deepEqual(
            records.map((r) => [r.accountId, r.eventId, r.at, r.step, r.detail]),
            [
              [ACCOUNT, 'ev-1', T0, 'ingested', { bus: 'b', via: 'put-events', matchedRules: 1 }],
              [ACCOUNT, 'ev-1', T0, 'matched', { rule: 'r' }],
              [ACCOUNT, 'ev-1', T0, 'invoked', { outcome: 'queued', queue: 'q', messageId: 'm-1' }],
            ],
          );
          assert.deepEqual(await stepsOf(store, 'ev-2'), [['ingested', { bus: 'b', matchedRules: 0 }]]);
          assert.deepEqual(await stepsOf(store, 'ev-1', OTHER_ACCOUNT), [['ingested', {}]], 'per account');
          assert.deepEqual(await stepsOf(store, 'unknown'), []);
          assert.equal((await store.eventTrace(ACCOUNT, 'ev-1', 2)).length, 2, 'at most limit, the first ones');
          assert.equal((await store.eventTrace(ACCOUNT, 'ev-1', 2))[1]?.step, 'matched');

          const [claimed] = (await claimAll(store, q.id, T0)).messages;
          assert.equal(claimed?.eventId, 'ev-1');
        }));

      test('a routing step with nothing but trace steps writes them', () =>
        withStore(async (store) => {
          await store.routeEvents({ batches: [], trace: [step('lonely', 'ingested', T0, { matchedRules: 0 })] });
          assert.deepEqual(await stepsOf(store, 'lonely'), [['ingested', { matchedRules: 0 }]]);
        }));

      test('receives and the delete of a message born from an event are traced, in order, with counts', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'orders');
          await store.appendMessages(q.id, [
            newMessage({ messageId: 'm-ev', eventId: 'ev' }),
            newMessage({ messageId: 'm-plain' }),
          ]);
          await claimAll(store, q.id, T0 + 1, 0);
          const second = await claimAll(store, q.id, T0 + 2, 0);
          const fromEvent = second.messages.find((m) => m.messageId === 'm-ev');
          const plain = second.messages.find((m) => m.messageId === 'm-plain');
          assert.ok(fromEvent && plain);
          assert.equal(plain.eventId, undefined);
          assert.equal(
            await store.deleteMessage(q.id, plain.seq, plain.token, { now: T0 + 3, onlyInFlight: false }),
            'deleted',
          );
          assert.equal(
            await store.deleteMessage(q.id, fromEvent.seq, fromEvent.token, { now: T0 + 4, onlyInFlight: false }),
            'deleted',
          );
          assert.deepEqual(
            (await store.eventTrace(ACCOUNT, 'ev', 100)).map((r) => [r.at, r.step, r.detail]),
            [
              [T0 + 1, 'received', { queue: 'orders', messageId: 'm-ev', receiveCount: 1 }],
              [T0 + 2, 'received', { queue: 'orders', messageId: 'm-ev', receiveCount: 2 }],
              [T0 + 4, 'deleted', { queue: 'orders', messageId: 'm-ev' }],
            ],
          );
        }));

      test('claims trace dead-lettering and expiry; the dead-lettered message goes on being traced', () =>
        withStore(async (store) => {
          const source = await makeQueue(store, 'source');
          const dlq = await makeQueue(store, 'source-dlq');
          await store.appendMessages(source.id, [
            newMessage({ messageId: 'poison', eventId: 'ev-p' }),
            newMessage({ messageId: 'old', eventId: 'ev-o' }),
          ]);
          await claimAll(store, source.id, T0 + 1, 0);
          const decide = (m: StoredMessage): ClaimDecision => (m.messageId === 'old' ? 'expire' : 'dead-letter');
          await store.claimMessages(
            claimRequest(source.id, { now: T0 + 2, decide, deadLetter: { queueId: dlq.id, sourceArn: SOURCE_ARN } }),
          );
          await claimAll(store, dlq.id, T0 + 3);
          assert.deepEqual(await stepsOf(store, 'ev-p'), [
            ['received', { queue: 'source', messageId: 'poison', receiveCount: 1 }],
            ['dead-lettered', { queue: 'source', messageId: 'poison', dlq: 'source-dlq', receiveCount: 1 }],
            ['received', { queue: 'source-dlq', messageId: 'poison', receiveCount: 2 }],
          ]);
          assert.deepEqual(await stepsOf(store, 'ev-o'), [
            ['received', { queue: 'source', messageId: 'old', receiveCount: 1 }],
            ['expired', { queue: 'source', messageId: 'old' }],
          ]);
        }));

      test('a redrive traces the move; the new message keeps the eventId and is traced under its new id', () =>
        withStore(async (store) => {
          const dlq = await makeQueue(store, 'dlq');
          const home = await makeQueue(store, 'home');
          await store.appendMessages(dlq.id, [newMessage({ messageId: 'before', eventId: 'ev-m' }), newMessage()]);
          const { task } = await store.createMoveTask({
            id: 'task-1',
            sourceQueueId: dlq.id,
            sourceArn: 'arn:aws:sqs:us-east-1:000000000000:dlq',
            startedAt: T0,
          });
          const moved = await store.moveMessages({
            taskId: task.id,
            now: T0 + 5,
            limit: 10,
            newMessageId: (() => {
              let n = 0;
              return () => `after-${++n}`;
            })(),
            destinationFor: () => home.id,
          });
          assert.equal(moved.moved, 2);
          const [received] = (await claimAll(store, home.id, T0 + 6)).messages.filter((m) => m.eventId === 'ev-m');
          assert.equal(received?.messageId, 'after-1');
          assert.deepEqual(
            (await store.eventTrace(ACCOUNT, 'ev-m', 100)).map((r) => [r.at, r.step, r.detail]),
            [
              [
                T0 + 5,
                'moved',
                { queue: 'dlq', messageId: 'before', to: 'home', newMessageId: 'after-1', by: 'move-task' },
              ],
              [T0 + 6, 'received', { queue: 'home', messageId: 'after-1', receiveCount: 1 }],
            ],
          );
        }));

      test('a move by id (the console) is traced like a redrive, by the console', () =>
        withStore(async (store) => {
          const dlq = await makeQueue(store, 'dlq');
          const home = await makeQueue(store, 'home');
          await store.appendMessages(dlq.id, [newMessage({ messageId: 'stuck', eventId: 'ev-c' })]);
          const result = await store.moveMessagesById({
            sourceQueueId: dlq.id,
            messageIds: ['stuck'],
            now: T0 + 5,
            newMessageId: () => 'freed',
            destinationFor: () => home.id,
          });
          assert.equal(result.moved.length, 1);
          assert.deepEqual(await stepsOf(store, 'ev-c'), [
            ['moved', { queue: 'dlq', messageId: 'stuck', to: 'home', newMessageId: 'freed', by: 'console' }],
          ]);
          const [moved] = (await claimAll(store, home.id, T0 + 6)).messages;
          assert.equal(moved?.eventId, 'ev-c');
        }));

      test('the retention sweep and a purge trace the messages they remove', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q');
          await store.appendMessages(q.id, [
            newMessage({ messageId: 'expiring', eventId: 'ev-x', sentAt: T0 - 10 }),
            newMessage({ messageId: 'plain', sentAt: T0 - 10 }),
          ]);
          assert.equal(await store.deleteExpired(q.id, T0, 100, T0 + 7), 2);
          assert.deepEqual(
            (await store.eventTrace(ACCOUNT, 'ev-x', 100)).map((r) => [r.at, r.step, r.detail]),
            [[T0 + 7, 'expired', { queue: 'q', messageId: 'expiring' }]],
          );

          await store.appendMessages(q.id, [
            newMessage({ messageId: 'purged-1', eventId: 'ev-y' }),
            newMessage({ messageId: 'purged-2', eventId: 'ev-y' }),
            newMessage({ messageId: 'later', eventId: 'ev-y', sentAt: T0 + 100 }),
          ]);
          await store.purgeQueue(q.id, T0 + 8);
          assert.deepEqual(
            (await store.eventTrace(ACCOUNT, 'ev-y', 100)).map((r) => [r.at, r.step, r.detail]),
            [
              [T0 + 8, 'purged', { queue: 'q', messageId: 'purged-1' }],
              [T0 + 8, 'purged', { queue: 'q', messageId: 'purged-2' }],
            ],
            'a message sent after the purge stays, untraced',
          );
        }));

      test('a FIFO duplicate born from an event is traced as deduplicated', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'f.fifo', { attributes: { FifoQueue: 'true' } });
          const fifo = { dedupKey: 'same', dedupExpiresAt: T0 + 300_000 };
          await store.appendMessages(q.id, [newMessage({ messageId: 'first', groupId: 'g', fifo, eventId: 'ev-1' })]);
          const [again] = await store.appendMessages(q.id, [
            newMessage({ messageId: 'second', groupId: 'g', fifo, eventId: 'ev-2' }),
          ]);
          assert.equal(again?.duplicate, true);
          assert.deepEqual(await stepsOf(store, 'ev-2'), [
            ['deduplicated', { queue: 'f.fifo', messageId: 'second', originalMessageId: 'first' }],
          ]);
        }));

      test('retryDelivery writes the steps it is given with the retry', () =>
        withStore(async (store) => {
          const delivery = await makeDelivery(store, newDelivery());
          await store.retryDelivery(delivery.id, {
            attempts: 1,
            nextAt: T0 + 1000,
            errorCode: 'CONNECTION_FAILURE',
            errorMessage: 'refused',
            trace: [step('ev-d', 'delivery-failed', T0, { attempt: 1, nextAttemptAt: T0 + 1000 })],
          });
          assert.deepEqual(await stepsOf(store, 'ev-d'), [
            ['delivery-failed', { attempt: 1, nextAttemptAt: T0 + 1000 }],
          ]);
          const [due] = await store.claimDueDeliveries(T0 + 1000, 10, T0 + 2000);
          assert.equal(due?.attempts, 1, 'the retry itself is written as before');
        }));

      test('expireEventTrace removes steps of every account recorded before `before`, at most limit at a time', () =>
        withStore(async (store) => {
          // One call per step: how an engine groups the steps of one call is its own business.
          for (const written of [
            step('e', 'ingested', T0),
            { ...step('e', 'ingested', T0 + 5), accountId: OTHER_ACCOUNT },
            step('e', 'matched', T0 + 10),
            step('e', 'invoked', T0 + 20),
          ]) {
            await store.routeEvents({ batches: [], trace: [written] });
          }
          assert.equal(await store.expireEventTrace(T0, 10), 0, 'at == before is kept');
          assert.equal(await store.expireEventTrace(T0 + 11, 2), 2);
          assert.equal(await store.expireEventTrace(T0 + 11, 10), 1);
          assert.equal(await store.expireEventTrace(T0 + 11, 10), 0);
          assert.deepEqual(
            (await stepsOf(store, 'e')).map(([name]) => name),
            ['invoked'],
          );
          assert.deepEqual(await stepsOf(store, 'e', OTHER_ACCOUNT), []);
        }));

      test('the steps of a message outlive the expiry of its routing only unseen, and never join another event', () =>
        withStore(async (store) => {
          const q = await makeQueue(store, 'q');
          await store.routeEvents({
            batches: [{ queueId: q.id, messages: [newMessage({ messageId: 'old-m', eventId: 'old' })] }],
            trace: [step('old', 'ingested', T0)],
          });
          assert.equal(await store.expireEventTrace(T0 + 1, 10), 1, 'the routing of the old event is gone');
          await store.routeEvents({ batches: [], trace: [step('new', 'ingested', T0 + 2)] });
          const [m] = (await claimAll(store, q.id, T0 + 3)).messages;
          assert.equal(m?.eventId, 'old');
          assert.deepEqual(
            (await stepsOf(store, 'new')).map(([name]) => name),
            ['ingested'],
            "the old message's receive is not the new event's",
          );
        }));

      if (options.makeUntracedStore) {
        const makeUntraced = options.makeUntracedStore;
        test('a store told to trace nothing writes no step, and messages still keep their eventId', async () => {
          const store = await makeUntraced();
          try {
            const q = await makeQueue(store, 'q');
            const dlq = await makeQueue(store, 'dlq');
            await store.routeEvents({
              batches: [{ queueId: q.id, messages: [newMessage({ messageId: 'm', eventId: 'ev' })] }],
              trace: [step('ev', 'ingested', T0)],
            });
            const [m] = (await claimAll(store, q.id, T0, 0)).messages;
            assert.equal(m?.eventId, 'ev');
            await store.claimMessages(
              claimRequest(q.id, {
                decide: () => 'dead-letter',
                deadLetter: { queueId: dlq.id, sourceArn: SOURCE_ARN },
              }),
            );
            const [d] = (await claimAll(store, dlq.id, T0)).messages;
            assert.ok(d);
            await store.deleteMessage(dlq.id, d.seq, d.token, { now: T0, onlyInFlight: false });
            await store.retryDelivery((await makeDelivery(store, newDelivery())).id, {
              attempts: 1,
              nextAt: T0,
              errorCode: 'X',
              errorMessage: 'x',
              trace: [step('ev', 'delivery-failed', T0)],
            });
            assert.deepEqual(await stepsOf(store, 'ev'), []);
          } finally {
            await store.close();
          }
        });
      }
    });

    describe('queue administration: peek, delete and move by id', () => {
      const ids = (messages: readonly { messageId: string }[]) => messages.map((m) => m.messageId);

      test('peekMessages shows every message in send order, whatever its state, and changes nothing', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          const other = await makeQueue(store, 'other');
          const visible = newMessage();
          const inFlight = newMessage();
          const delayed = newMessage({ visibleAt: T0 + 60_000 });
          await store.appendMessages(q.id, [inFlight, visible, delayed]);
          await store.appendMessages(other.id, [newMessage()]);
          const claimed = await store.claimMessages(claimRequest(q.id, { max: 1 }));
          assert.deepEqual(ids(claimed.messages), [inFlight.messageId]);
          const before = await store.getMessageState(q.id, claimed.messages[0]?.seq ?? -1);

          const peeked = await store.peekMessages(q.id, { limit: 10 });
          assert.deepEqual(ids(peeked), [inFlight.messageId, visible.messageId, delayed.messageId]);
          const [first, second, third] = peeked;
          assert.equal(first?.receiveCount, 1);
          assert.equal(first?.visibleAt, T0 + 30_000);
          assert.equal(first?.receivedAt, T0);
          assert.equal(second?.receiveCount, 0);
          assert.equal(second?.body, visible.body);
          assert.equal(third?.visibleAt, T0 + 60_000);
          assert.equal(third?.receivedAt, null);

          // Nothing moved: the in-flight message keeps its token, the others are received as usual.
          assert.deepEqual(await store.getMessageState(q.id, claimed.messages[0]?.seq ?? -1), before);
          const next = await store.claimMessages(claimRequest(q.id, { now: T0 + 1 }));
          assert.deepEqual(ids(next.messages), [visible.messageId]);
          assert.equal(next.messages[0]?.receiveCount, 1, 'a peek is no receive');
        }));

      test('peekMessages pages by (sentAt, seq) from the position after', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          const late = newMessage({ sentAt: T0 + 2 });
          const early = newMessage({ sentAt: T0 + 1 });
          const tie1 = newMessage({ sentAt: T0 + 5 });
          const tie2 = newMessage({ sentAt: T0 + 5 });
          await store.appendMessages(q.id, [late, early, tie1, tie2]);
          const firstPage = await store.peekMessages(q.id, { limit: 2 });
          assert.deepEqual(ids(firstPage), [early.messageId, late.messageId]);
          const last = firstPage[1];
          assert.ok(last);
          const secondPage = await store.peekMessages(q.id, {
            after: { sentAt: last.sentAt, seq: last.seq },
            limit: 2,
          });
          assert.deepEqual(ids(secondPage), [tie1.messageId, tie2.messageId]);
          const end = secondPage[1];
          assert.ok(end);
          assert.deepEqual(
            await store.peekMessages(q.id, { after: { sentAt: end.sentAt, seq: end.seq }, limit: 2 }),
            [],
          );
          const rest = await store.peekMessages(q.id, {
            after: { sentAt: tie1.sentAt, seq: secondPage[0]?.seq ?? 0 },
            limit: 5,
          });
          assert.deepEqual(ids(rest), [tie2.messageId], 'a tie on sentAt is broken by seq');
        }));

      test('deleteMessagesById deletes the named messages of the queue, in flight or not, and reports them', () =>
        withStore(async (store) => {
          const q = await makeQueue(store);
          const other = await makeQueue(store, 'other');
          const [a, b, c] = [newMessage(), newMessage(), newMessage()];
          const elsewhere = newMessage();
          await store.appendMessages(q.id, [a, b, c]);
          await store.appendMessages(other.id, [elsewhere]);
          const claimed = await store.claimMessages(claimRequest(q.id, { max: 1 }));
          assert.deepEqual(ids(claimed.messages), [a.messageId]);

          const deleted = await store.deleteMessagesById(q.id, [
            a.messageId,
            c.messageId,
            c.messageId,
            elsewhere.messageId,
            'no-such-id',
          ]);
          assert.deepEqual(deleted.sort(), [a.messageId, c.messageId].sort());
          assert.deepEqual(ids(await store.peekMessages(q.id, { limit: 10 })), [b.messageId]);
          assert.deepEqual(ids(await store.peekMessages(other.id, { limit: 10 })), [elsewhere.messageId]);
          const token = claimed.messages[0]?.token ?? '';
          assert.equal(await store.deleteMessage(q.id, claimed.messages[0]?.seq ?? -1, token), 'missing');
          assert.deepEqual(await store.deleteMessagesById(q.id, []), []);
          assert.deepEqual(await store.deleteMessagesById(q.id, [a.messageId]), [], 'already gone');
        }));

      test('moveMessagesById moves as a redrive: new ids at the end of each destination, never received', () =>
        withStore(async (store) => {
          const source = await makeQueue(store, 'source');
          const dlq = await makeQueue(store, 'dlq');
          const elsewhere = await makeQueue(store, 'elsewhere');
          const failed = [newMessage(), newMessage()];
          await store.appendMessages(source.id, failed);
          // Dead-lettered: in the DLQ with their source recorded and their receive count.
          const claim = await store.claimMessages(
            claimRequest(source.id, {
              decide: () => 'dead-letter',
              deadLetter: { queueId: dlq.id, sourceArn: SOURCE_ARN },
            }),
          );
          assert.equal(claim.deadLettered, 2);
          const plain = newMessage();
          await store.appendMessages(dlq.id, [plain]);
          await store.appendMessages(source.id, [newMessage({ body: 'already there' })]);

          let n = 0;
          const result = await store.moveMessagesById({
            sourceQueueId: dlq.id,
            messageIds: [plain.messageId, failed[1]?.messageId ?? '', 'gone', failed[0]?.messageId ?? ''],
            now: T0 + 5000,
            newMessageId: () => `new-${++n}`,
            destinationFor: (arn) => (arn === SOURCE_ARN ? source.id : 'missing'),
          });
          assert.deepEqual(result.moved, [
            { messageId: failed[0]?.messageId, newMessageId: 'new-1', destinationQueueId: source.id },
            { messageId: failed[1]?.messageId, newMessageId: 'new-2', destinationQueueId: source.id },
          ]);
          assert.deepEqual(result.notFound, ['gone']);
          assert.deepEqual(result.noDestination, [plain.messageId]);
          assert.deepEqual(result.destinations, [source.id]);
          assert.deepEqual(ids(await store.peekMessages(dlq.id, { limit: 10 })), [plain.messageId]);

          const inSource = await store.peekMessages(source.id, { limit: 10 });
          assert.deepEqual(
            inSource.map((m) => m.body),
            ['already there', failed[0]?.body, failed[1]?.body],
            'at the end of the destination',
          );
          for (const m of inSource.slice(1)) {
            assert.equal(m.sentAt, T0 + 5000);
            assert.equal(m.visibleAt, T0 + 5000);
            assert.equal(m.receiveCount, 0);
            assert.equal(m.firstReceiveAt, null);
            assert.equal(m.deadLetterSourceArn, undefined);
          }

          // A named destination for all; a destination deleted since it was resolved keeps the message in place.
          const toElsewhere = await store.moveMessagesById({
            sourceQueueId: source.id,
            messageIds: ['new-1'],
            now: T0 + 6000,
            newMessageId: () => 'newer-1',
            destinationFor: () => elsewhere.id,
          });
          assert.deepEqual(ids(toElsewhere.moved), ['new-1']);
          assert.deepEqual(ids(await store.peekMessages(elsewhere.id, { limit: 10 })), ['newer-1']);
          await store.deleteQueue(elsewhere.id, T0 + 7000);
          const toDeleted = await store.moveMessagesById({
            sourceQueueId: source.id,
            messageIds: ['new-2'],
            now: T0 + 8000,
            newMessageId: () => 'never',
            destinationFor: () => elsewhere.id,
          });
          assert.deepEqual(toDeleted, { moved: [], notFound: [], noDestination: ['new-2'], destinations: [] });
          assert.ok(ids(await store.peekMessages(source.id, { limit: 10 })).includes('new-2'));
        }));

      test('moveMessagesById gives FIFO messages the next sequence numbers of their destination, in send order', () =>
        withStore(async (store) => {
          const fifo = (groupId: string, dedupKey: string) =>
            newMessage({ groupId, dedupId: dedupKey, fifo: { dedupKey, dedupExpiresAt: T0 + 300_000 } });
          const dlq = await makeQueue(store, 'dlq.fifo');
          const destination = await makeQueue(store, 'dest.fifo');
          const first = fifo('g', 'a');
          const second = fifo('g', 'b');
          await store.appendMessages(dlq.id, [first, second]);
          const existing = await store.appendMessages(destination.id, [fifo('h', 'x'), fifo('h', 'y')]);
          const result = await store.moveMessagesById({
            sourceQueueId: dlq.id,
            messageIds: [second.messageId, first.messageId],
            now: T0 + 1000,
            newMessageId: (() => {
              let n = 0;
              return () => `moved-${++n}`;
            })(),
            destinationFor: () => destination.id,
          });
          assert.deepEqual(
            result.moved.map((m) => m.messageId),
            [first.messageId, second.messageId],
          );
          const moved = (await store.peekMessages(destination.id, { limit: 10 })).slice(2);
          const last = existing[1]?.sequence ?? 0;
          assert.deepEqual(
            moved.map((m) => [m.messageId, m.groupId, m.sequence]),
            [
              ['moved-1', 'g', last + 1],
              ['moved-2', 'g', last + 2],
            ],
          );
        }));
    });

    describe('consumer-recorded message failures', () => {
      test('recordMessageFailures keeps the last failure of a message with a count, per account', () =>
        withStore(async (store) => {
          await store.recordMessageFailures(
            ACCOUNT,
            [
              { queueName: 'orders', messageId: 'm1', code: 'PaymentDeclined', message: 'card declined' },
              { queueName: 'orders', messageId: 'm2', message: 'no code' },
            ],
            T0,
          );
          await store.recordMessageFailures(
            ACCOUNT,
            [{ queueName: 'orders-retry', messageId: 'm1', code: 'Timeout', message: 'took too long' }],
            T0 + 10,
          );
          await store.recordMessageFailures(OTHER_ACCOUNT, [{ queueName: 'x', messageId: 'm1', message: 'other' }], T0);

          const found = await store.messageFailures(ACCOUNT, ['m1', 'm2', 'm3', 'm1']);
          assert.deepEqual([...found.keys()].sort(), ['m1', 'm2']);
          assert.deepEqual(found.get('m1'), {
            queueName: 'orders-retry',
            at: T0 + 10,
            code: 'Timeout',
            message: 'took too long',
            count: 2,
          });
          assert.deepEqual(found.get('m2'), {
            queueName: 'orders',
            at: T0,
            code: undefined,
            message: 'no code',
            count: 1,
          });
          assert.equal((await store.messageFailures(OTHER_ACCOUNT, ['m1'])).get('m1')?.message, 'other');
          assert.equal((await store.messageFailures(ACCOUNT, [])).size, 0);

          // The same id twice in one call counts twice; the later entry wins.
          await store.recordMessageFailures(
            ACCOUNT,
            [
              { queueName: 'q', messageId: 'm3', message: 'first' },
              { queueName: 'q', messageId: 'm3', message: 'second' },
            ],
            T0,
          );
          const m3 = (await store.messageFailures(ACCOUNT, ['m3'])).get('m3');
          assert.equal(m3?.count, 2);
          assert.equal(m3?.message, 'second');
        }));

      test('expireMessageFailures removes records last failed before `before`, at most limit at a time', () =>
        withStore(async (store) => {
          await store.recordMessageFailures(ACCOUNT, [{ queueName: 'q', messageId: 'old1', message: 'x' }], T0);
          await store.recordMessageFailures(
            OTHER_ACCOUNT,
            [{ queueName: 'q', messageId: 'old2', message: 'x' }],
            T0 + 1,
          );
          await store.recordMessageFailures(ACCOUNT, [{ queueName: 'q', messageId: 'edge', message: 'x' }], T0 + 2);
          // Failing again refreshes a record.
          await store.recordMessageFailures(ACCOUNT, [{ queueName: 'q', messageId: 'refreshed', message: 'x' }], T0);
          await store.recordMessageFailures(
            ACCOUNT,
            [{ queueName: 'q', messageId: 'refreshed', message: 'y' }],
            T0 + 9,
          );
          assert.equal(await store.expireMessageFailures(T0, 10), 0, 'nothing before T0');
          assert.equal(await store.expireMessageFailures(T0 + 2, 1), 1);
          assert.equal(await store.expireMessageFailures(T0 + 2, 10), 1);
          assert.equal(await store.expireMessageFailures(T0 + 2, 10), 0);
          assert.deepEqual([...(await store.messageFailures(ACCOUNT, ['old1', 'edge', 'refreshed'])).keys()].sort(), [
            'edge',
            'refreshed',
          ]);
          assert.equal((await store.messageFailures(OTHER_ACCOUNT, ['old2'])).size, 0);
        }));
    });
  });
}

/** The first message with a seq above `afterSeq`, probing a few seqs. */
async function findUnreceived(store: Store, queueId: number, afterSeq: number) {
  for (let seq = afterSeq + 1; seq < afterSeq + 100; seq++) {
    const state = await store.getMessageState(queueId, seq);
    if (state) return { seq, state };
  }
  return undefined;
}
