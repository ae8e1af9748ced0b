// The reference e-commerce catalogue: the state changes of orders, inventory and returns that marketplaces and
// sellers publish, as typed event definitions. Every detail names its marketplace, seller and entity (`orderId`,
// `sku` or `returnId`) and carries the entity's `version`, a positive integer that grows with every change of that
// entity, so a consumer can keep the latest state of an entity and drop what is older (see `entityKey`).
import { z } from 'zod';
import { defineEvent, type EventDefinition } from './events.js';

export const ORDERS_SOURCE = 'switchyard.orders';
export const INVENTORY_SOURCE = 'switchyard.inventory';
export const RETURNS_SOURCE = 'switchyard.returns';

const id = z.string().min(1).max(256);
const timestamp = z.iso.datetime({ offset: true });
/** An ISO 4217 currency code. */
const currency = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as EUR');
/** An amount of money in major units (12.5 EUR is `{ amount: 12.5, currency: 'EUR' }`). */
const money = z.object({ amount: z.number().nonnegative(), currency });
const quantity = z.number().int().positive();
/** Stock levels are whole units and never negative. */
const stock = z.number().int().nonnegative();

/** What every detail carries. */
const base = {
  marketplace: id,
  sellerId: id,
  version: z.number().int().positive(),
};

const orderLine = z.object({ sku: id, quantity, price: money });
const shippedLine = z.object({ sku: id, quantity });
const orderStatus = z.enum(['pending', 'confirmed', 'processing', 'partially_shipped', 'shipped', 'delivered']);

export const OrderCreated = defineEvent({
  source: ORDERS_SOURCE,
  detailType: 'Order Created',
  schema: z.object({
    ...base,
    orderId: id,
    customerId: id.optional(),
    status: orderStatus,
    lines: z.array(orderLine).min(1),
    total: money,
    createdAt: timestamp,
  }),
});

export const OrderUpdated = defineEvent({
  source: ORDERS_SOURCE,
  detailType: 'Order Updated',
  schema: z.object({
    ...base,
    orderId: id,
    status: orderStatus,
    /** The order's lines after the change, when they changed. */
    lines: z.array(orderLine).min(1).optional(),
    total: money.optional(),
    updatedAt: timestamp,
  }),
});

export const OrderCancelled = defineEvent({
  source: ORDERS_SOURCE,
  detailType: 'Order Cancelled',
  schema: z.object({
    ...base,
    orderId: id,
    cancelledBy: z.enum(['buyer', 'seller', 'marketplace']),
    reason: z.enum(['buyer_request', 'out_of_stock', 'payment_failed', 'fraud_suspected', 'other']),
    cancelledAt: timestamp,
  }),
});

export const OrderShipped = defineEvent({
  source: ORDERS_SOURCE,
  detailType: 'Order Shipped',
  schema: z.object({
    ...base,
    orderId: id,
    warehouse: id,
    carrier: id,
    trackingNumber: id,
    lines: z.array(shippedLine).min(1),
    shippedAt: timestamp,
  }),
});

export const InventoryAdjusted = defineEvent({
  source: INVENTORY_SOURCE,
  detailType: 'Inventory Adjusted',
  schema: z.object({
    ...base,
    sku: id,
    warehouse: id,
    /** The change in units on hand (negative for shrinkage or a recount down). */
    delta: z.number().int(),
    /** Units available to sell after the change. */
    available: stock,
    reason: z.enum(['restock', 'recount', 'damaged', 'returned', 'correction']),
    adjustedAt: timestamp,
  }),
});

export const InventoryReserved = defineEvent({
  source: INVENTORY_SOURCE,
  detailType: 'Inventory Reserved',
  schema: z.object({
    ...base,
    sku: id,
    warehouse: id,
    orderId: id,
    quantity,
    available: stock,
    reservedAt: timestamp,
  }),
});

export const InventoryReleased = defineEvent({
  source: INVENTORY_SOURCE,
  detailType: 'Inventory Released',
  schema: z.object({
    ...base,
    sku: id,
    warehouse: id,
    orderId: id,
    quantity,
    available: stock,
    reason: z.enum(['order_cancelled', 'reservation_expired', 'order_shipped']),
    releasedAt: timestamp,
  }),
});

const returnLine = z.object({ sku: id, quantity });

export const ReturnRequested = defineEvent({
  source: RETURNS_SOURCE,
  detailType: 'Return Requested',
  schema: z.object({
    ...base,
    returnId: id,
    orderId: id,
    lines: z.array(returnLine).min(1),
    reason: z.enum(['damaged', 'defective', 'wrong_item', 'not_as_described', 'no_longer_needed', 'other']),
    requestedAt: timestamp,
  }),
});

export const ReturnReceived = defineEvent({
  source: RETURNS_SOURCE,
  detailType: 'Return Received',
  schema: z.object({
    ...base,
    returnId: id,
    orderId: id,
    warehouse: id,
    lines: z.array(returnLine.extend({ condition: z.enum(['sellable', 'damaged', 'defective']) })).min(1),
    receivedAt: timestamp,
  }),
});

export const ReturnRefunded = defineEvent({
  source: RETURNS_SOURCE,
  detailType: 'Return Refunded',
  schema: z.object({
    ...base,
    returnId: id,
    orderId: id,
    amount: money,
    method: z.enum(['original_payment', 'store_credit']),
    refundedAt: timestamp,
  }),
});

/** Every event of the reference catalogue. */
export const CATALOGUE = {
  OrderCreated,
  OrderUpdated,
  OrderCancelled,
  OrderShipped,
  InventoryAdjusted,
  InventoryReserved,
  InventoryReleased,
  ReturnRequested,
  ReturnReceived,
  ReturnRefunded,
} as const;

export type CatalogueEventName = keyof typeof CATALOGUE;
/** The detail type of a catalogue event, such as `CatalogueDetail<'OrderCreated'>`. */
export type CatalogueDetail<K extends CatalogueEventName> =
  (typeof CATALOGUE)[K] extends EventDefinition<infer T, infer _I> ? T : never;

/** The catalogue's definition of an event (by source and detail-type), if it has one. */
export function catalogueDefinition(event: {
  source: string;
  detailType: string;
}): (typeof CATALOGUE)[CatalogueEventName] | undefined {
  return Object.values(CATALOGUE).find((d) => d.source === event.source && d.detailType === event.detailType);
}

/** The entity a catalogue event is about: what a consumer coalesces by. */
export interface EntityKey {
  /** The kind of entity; keys of different kinds may look alike, so coalesce by `entity` and `key` together. */
  entity: 'order' | 'inventory' | 'return';
  /** `${marketplace}/${sellerId}/${orderId}`, `${marketplace}/${sellerId}/${sku}` or `${marketplace}/${sellerId}/${returnId}`. */
  key: string;
  /** The entity's version the event carries: of two events with the same key, the higher version is the newer. */
  version: number;
}

const ENTITY_OF_SOURCE = {
  [ORDERS_SOURCE]: { entity: 'order', member: 'orderId' },
  [INVENTORY_SOURCE]: { entity: 'inventory', member: 'sku' },
  [RETURNS_SOURCE]: { entity: 'return', member: 'returnId' },
} as const;

/**
 * The entity key and version of a catalogue event (by its source: order events are keyed by `orderId`, inventory
 * events by `sku` (an inventory reservation names an order too, but is about the SKU's stock), return events by
 * `returnId`). Undefined for an event of another source, or whose detail lacks the members.
 */
export function entityKey(event: { source: string; detail: unknown }): EntityKey | undefined {
  const kind = Object.hasOwn(ENTITY_OF_SOURCE, event.source)
    ? ENTITY_OF_SOURCE[event.source as keyof typeof ENTITY_OF_SOURCE]
    : undefined;
  const detail = event.detail;
  if (!kind || typeof detail !== 'object' || detail === null) return undefined;
  const { marketplace, sellerId, version } = detail as Record<string, unknown>;
  const entityId = (detail as Record<string, unknown>)[kind.member];
  if (typeof marketplace !== 'string' || typeof sellerId !== 'string' || typeof entityId !== 'string') return undefined;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return undefined;
  return { entity: kind.entity, key: `${marketplace}/${sellerId}/${entityId}`, version };
}
