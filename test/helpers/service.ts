// QueueService over an in-memory SqliteStore with a ManualClock, for the service tests: no server, no sleeping.
import { ManualClock } from '../../src/core/clock.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/core/limits.js';
import { QueueService } from '../../src/services/queue-service.js';
import type { ReceiveMessageInput, RequestContext } from '../../src/services/sqs-api.js';
import { InProcessWakeups } from '../../src/services/wakeups.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ACCOUNT, REGION } from './account.js';

/** The request context of every service call. */
export const ctx: RequestContext = {
  accountId: ACCOUNT,
  region: REGION,
  baseUrl: 'http://localhost:4566',
  senderId: 'AKIDTEST',
};

export interface Harness {
  service: QueueService;
  store: SqliteStore;
  clock: ManualClock;
  wakeups: InProcessWakeups;
}

/** A QueueService with the default limits, overridden by `limits`. */
export function harness(limits: Partial<Limits> = {}): Harness {
  const store = new SqliteStore({ dataDir: ':memory:' });
  const clock = new ManualClock();
  const wakeups = new InProcessWakeups();
  const service = new QueueService({ store, clock, limits: { ...DEFAULT_LIMITS, ...limits }, wakeups });
  return { service, store, clock, wakeups };
}

/** Stops the service and closes its store. */
export async function dispose(on: Harness): Promise<void> {
  on.service.stop();
  await on.store.close();
}

/**
 * Calls on a harness: each takes an optional last argument `on`, by default `current()` (the harness of the
 * running test).
 */
export function harnessHelpers(current: () => Harness) {
  async function createQueue(
    name: string,
    Attributes?: Record<string, string>,
    on: Harness = current(),
  ): Promise<string> {
    return (await on.service.createQueue(ctx, { QueueName: name, Attributes })).QueueUrl;
  }

  /** A short-polling receive: WaitTimeSeconds 0, so it never waits. */
  async function receive(QueueUrl: string, extra: Partial<ReceiveMessageInput> = {}, on: Harness = current()) {
    return (await on.service.receiveMessage(ctx, { QueueUrl, WaitTimeSeconds: 0, ...extra })).Messages ?? [];
  }

  /** The three approximate message counts as numbers. */
  async function counts(QueueUrl: string, on: Harness = current()) {
    const { Attributes } = await on.service.getQueueAttributes(ctx, {
      QueueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    });
    return {
      visible: Number(Attributes?.ApproximateNumberOfMessages),
      inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(Attributes?.ApproximateNumberOfMessagesDelayed),
    };
  }

  return { createQueue, receive, counts };
}
