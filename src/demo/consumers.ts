// The demo's consumers, built on switchyard/client's consume(): one per consumed queue of the reference deployment.
//
// - orders.fifo: a fixed concurrency; the FIFO queue hands each message group (amazon, zalando, other) to one
//   receive at a time and consume() runs a group's messages in order, so each order's versions are applied in
//   order (checked: `outOfOrder` stays 0).
// - inventory: coalescing by SKU (a flash sale's many adjustments of one SKU become one downstream call with the
//   newest stock level) and autoscaling between a minimum and a maximum concurrency with the backlog.
// - returns: a fixed concurrency.
// Every handler emulates its downstream call (a short sleep) and goes through faults.ts, which fails a fraction of
// first deliveries (retried with `retry.baseDelaySeconds: 1`, then they succeed) and the poison entities' events.
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import {
  type Consumer,
  consume,
  entityCoalescingKey,
  entityKey,
  InventoryAdjusted,
  InventoryReleased,
  InventoryReserved,
  OrderCancelled,
  OrderCreated,
  OrderShipped,
  OrderUpdated,
  parseEnvelope,
  ReturnReceived,
  ReturnRefunded,
  ReturnRequested,
} from '../client/index.js';
import { Downstream, type Faults } from './faults.js';
import type { Ledger, QueueLedger } from './ledger.js';
import { CONSUMED_QUEUES, type ConsumedQueue, type DemoTopology } from './topology.js';
import { entityOf } from './workload.js';

export interface ConsumerSettings {
  ordersConcurrency: number;
  inventoryConcurrency: { min: number; max: number };
  returnsConcurrency: number;
  coalesceWindowMs: number;
}

export interface DemoConsumers {
  consumers: Record<ConsumedQueue, Consumer>;
  downstream: Record<ConsumedQueue, Downstream>;
  /** The highest concurrency each consumer has had. */
  maxConcurrency: Record<ConsumedQueue, number>;
  /** Errors outside the handlers (receive, delete, …), by queue. */
  errors: Record<ConsumedQueue, number>;
  /** The latest such error, for the report. */
  lastError: string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function eventIdOf(message: Message): string | undefined {
  try {
    return parseEnvelope(message).id;
  } catch {
    return undefined;
  }
}

/** What a handler does for every event: the fault check, the downstream call, then the bookkeeping. */
async function handleEvent(
  event: { id: string; source: string; detail: unknown },
  context: { receiveCount: number; signal: AbortSignal },
  deps: { faults: Faults; downstream: Downstream; ledger: QueueLedger; checkOrder: boolean },
): Promise<void> {
  const entity = entityOf(event.source, event.detail);
  deps.faults.check(entity, event.id, context.receiveCount);
  await deps.downstream.call(context.signal);
  const version = (event.detail as { version?: unknown }).version;
  if (deps.checkOrder && entity !== undefined && typeof version === 'number') deps.ledger.applied(entity, version);
}

export function createConsumers(options: {
  sqs: SQSClient;
  topology: DemoTopology;
  ledger: Ledger;
  faults: Faults;
  settings: ConsumerSettings;
}): DemoConsumers {
  const { sqs, topology, ledger, faults, settings } = options;
  const downstream: Record<ConsumedQueue, Downstream> = {
    'orders.fifo': new Downstream('order management', 8, 20),
    inventory: new Downstream('marketplace stock API', 60, 140),
    returns: new Downstream('returns service', 15, 35),
  };
  const common = {
    client: sqs,
    waitTimeSeconds: 5,
    retry: { baseDelaySeconds: 1, maxDelaySeconds: 30 },
    shutdownTimeoutMs: 5_000,
  };

  const orders = consume({
    ...common,
    queueUrl: topology.queues['orders.fifo'].url,
    events: [OrderCreated, OrderUpdated, OrderShipped, OrderCancelled],
    concurrency: settings.ordersConcurrency,
    // One message per receive: a receive of several messages of a group counts a receive for each, so the messages
    // behind a poison head that bounces back and forth would reach maxReceiveCount with it and be dead-lettered too.
    batchSize: 1,
    handler: (event, context) =>
      handleEvent(event, context, {
        faults,
        downstream: downstream['orders.fifo'],
        ledger: ledger.queues['orders.fifo'],
        checkOrder: true,
      }),
  });

  // Coalesced messages are reported by SQS message id: keep which event each one carries.
  const inventoryIds = new Map<string, string>();
  const inventory = consume({
    ...common,
    queueUrl: topology.queues.inventory.url,
    events: [InventoryAdjusted, InventoryReserved, InventoryReleased],
    concurrency: { ...settings.inventoryConcurrency, intervalMs: 1000, targetDrainSeconds: 2 },
    coalesce: {
      windowMs: settings.coalesceWindowMs,
      key: (event, message) => {
        if (message.MessageId) inventoryIds.set(message.MessageId, event.id);
        ledger.queues.inventory.seen.add(event.id);
        const entity = entityKey(event);
        return entity && { key: entityCoalescingKey(entity), version: entity.version };
      },
    },
    handler: (event, context) =>
      handleEvent(event, context, {
        faults,
        downstream: downstream.inventory,
        ledger: ledger.queues.inventory,
        checkOrder: false,
      }),
  });

  const returns = consume({
    ...common,
    queueUrl: topology.queues.returns.url,
    events: [ReturnRequested, ReturnReceived, ReturnRefunded],
    concurrency: settings.returnsConcurrency,
    handler: (event, context) =>
      handleEvent(event, context, {
        faults,
        downstream: downstream.returns,
        ledger: ledger.queues.returns,
        checkOrder: false,
      }),
  });

  const consumers: Record<ConsumedQueue, Consumer> = { 'orders.fifo': orders, inventory, returns };
  const maxConcurrency = Object.fromEntries(CONSUMED_QUEUES.map((q) => [q, 0])) as Record<ConsumedQueue, number>;
  const errors = Object.fromEntries(CONSUMED_QUEUES.map((q) => [q, 0])) as Record<ConsumedQueue, number>;
  const result: DemoConsumers = {
    consumers,
    downstream,
    maxConcurrency,
    errors,
    lastError: undefined,
    async start() {
      await Promise.all(CONSUMED_QUEUES.map((q) => consumers[q].start()));
      for (const q of CONSUMED_QUEUES)
        maxConcurrency[q] = Math.max(maxConcurrency[q], consumers[q].stats().concurrency);
    },
    async stop() {
      await Promise.all(CONSUMED_QUEUES.map((q) => consumers[q].stop()));
    },
  };

  for (const queue of CONSUMED_QUEUES) {
    const consumer = consumers[queue];
    const book = ledger.queues[queue];
    const settle = (message: Message, how: 'handled' | 'skipped') => {
      const id = eventIdOf(message);
      if (id !== undefined) book.settle(id, how);
    };
    consumer.on('message_processed', (info) => settle(info.message, 'handled'));
    consumer.on('skipped', (info) => settle(info.message, 'skipped'));
    consumer.on('coalesced', (info) => {
      for (const messageId of info.superseded) {
        const id = inventoryIds.get(messageId);
        if (id !== undefined) book.settle(id, 'coalesced');
        inventoryIds.delete(messageId);
      }
    });
    consumer.on('processing_error', (_error, info) => {
      const id = eventIdOf(info.message);
      if (id !== undefined) book.seen.add(id);
    });
    consumer.on('permanent_failure', (info) => {
      const id = eventIdOf(info.message);
      if (id !== undefined && info.deadLetterQueue) book.gaveUp(id);
    });
    consumer.on('concurrency', (info) => {
      maxConcurrency[queue] = Math.max(maxConcurrency[queue], info.to);
    });
    consumer.on('error', (error, info) => {
      errors[queue] += 1;
      result.lastError = `${queue}: ${info.operation}: ${error.message}`;
    });
  }
  // The message id map only needs the messages still held.
  const forget = (info: { message: Message }) => {
    if (info.message.MessageId) inventoryIds.delete(info.message.MessageId);
  };
  consumers.inventory.on('message_processed', forget);
  consumers.inventory.on('skipped', forget);
  return result;
}
