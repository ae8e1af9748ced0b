// The demo's workload: marketplaces and their sellers changing orders, stock and returns, as events of the
// reference catalogue. Every entity (an order, a listing's stock, a return) keeps its own version, which grows by one
// with each event about it. Seeded, so two runs with the same seed and the same calls produce the same events.
//
// - Steady traffic: orders are created (with a stock reservation), confirmed, processed, shipped (releasing the
//   reservation) or cancelled; stock is recounted, restocked or written off; shipped orders are sometimes returned
//   (requested, received, refunded). A few orders are large (1000 EUR or more: the fraud-review rule takes them).
// - A flash sale (`spike: true`): most events are about a few hot SKUs: many InventoryAdjusted of each, one after
//   another with increasing versions as the stock sells down and is restocked, and orders of those SKUs.
// - Poison: `poison(kind)` makes the events of an entity that fails downstream until fixed (see faults.ts): an order
//   that contains the unmapped SKU, that SKU's stock, or a return whose refund account is frozen. Each poison entity
//   gets its events at once (two or three), and none afterwards.
import {
  type CatalogueDetail,
  type CatalogueEventName,
  entityCoalescingKey,
  entityKey,
  INVENTORY_SOURCE,
  ORDERS_SOURCE,
  RETURNS_SOURCE,
} from '../client/index.js';
import { mulberry32 } from '../core/seeded-random.js';
import { type Faults, FROZEN_REFUND_CAUSE, UNMAPPED_SKU_CAUSE } from './faults.js';
import type { ConsumedQueue } from './topology.js';

/** One event to publish: a catalogue event name with its detail, and where the rules route it among the consumed queues. */
export type WorkloadEvent = {
  [K in CatalogueEventName]: {
    name: K;
    detail: CatalogueDetail<K>;
    queue: ConsumedQueue;
    /** The entity's coalescing key (`order:…`, `inventory:…`, `return:…`). */
    entity: string;
    poison: boolean;
    hot: boolean;
  };
}[CatalogueEventName];

/** Marketplaces and how much of the traffic each has. */
export const MARKETPLACES: readonly { id: string; weight: number }[] = [
  { id: 'amazon-de', weight: 30 },
  { id: 'amazon-fr', weight: 12 },
  { id: 'zalando-de', weight: 22 },
  { id: 'otto-de', weight: 14 },
  { id: 'bol-nl', weight: 12 },
  { id: 'kaufland-de', weight: 10 },
];

/** Sellers; key accounts' ids start with `key-` (the key-account-activity rule routes them). */
export const SELLERS: readonly string[] = [
  'key-0042',
  'key-0107',
  'seller-17',
  'seller-23',
  'seller-58',
  'seller-71',
  'seller-90',
  'seller-113',
];

const WAREHOUSES = ['ber-1', 'ham-2', 'ams-1', 'par-3'];
const CARRIERS = ['dhl', 'dpd', 'ups', 'postnl', 'colissimo'];
/** The SKU the downstream catalogue does not know: what the poison orders and stock updates are about. */
export const UNMAPPED_SKU = 'LEGACY-0007';
const POISON_SKU_MARKETPLACE = 'otto-de';
const POISON_SKU_SELLER = 'seller-58';
const POISON_REFUND_MARKETPLACE = 'bol-nl';
const POISON_REFUND_SELLER = 'seller-23';

interface Listing {
  marketplace: string;
  sellerId: string;
  sku: string;
  warehouse: string;
  price: number;
  available: number;
  version: number;
  hot: boolean;
}

type OrderStage = 'pending' | 'confirmed' | 'processing' | 'shipped';

interface Order {
  marketplace: string;
  sellerId: string;
  orderId: string;
  version: number;
  stage: OrderStage;
  lines: { listing: Listing; quantity: number }[];
  total: number;
  hot: boolean;
}

type ReturnStage = 'requested' | 'received';

interface Return {
  marketplace: string;
  sellerId: string;
  returnId: string;
  orderId: string;
  version: number;
  stage: ReturnStage;
  lines: { sku: string; quantity: number }[];
  amount: number;
}

const eur = (amount: number) => ({ amount: Math.round(amount * 100) / 100, currency: 'EUR' });

const QUEUE_OF_SOURCE: Record<string, ConsumedQueue> = {
  [ORDERS_SOURCE]: 'orders.fifo',
  [INVENTORY_SOURCE]: 'inventory',
  [RETURNS_SOURCE]: 'returns',
};

const SOURCE_OF_NAME: Record<CatalogueEventName, string> = {
  OrderCreated: ORDERS_SOURCE,
  OrderUpdated: ORDERS_SOURCE,
  OrderCancelled: ORDERS_SOURCE,
  OrderShipped: ORDERS_SOURCE,
  InventoryAdjusted: INVENTORY_SOURCE,
  InventoryReserved: INVENTORY_SOURCE,
  InventoryReleased: INVENTORY_SOURCE,
  ReturnRequested: RETURNS_SOURCE,
  ReturnReceived: RETURNS_SOURCE,
  ReturnRefunded: RETURNS_SOURCE,
};

/** The consumed queue the reference deployment routes an event of this name to. */
export function queueOfEvent(name: CatalogueEventName): ConsumedQueue {
  return QUEUE_OF_SOURCE[SOURCE_OF_NAME[name]] as ConsumedQueue;
}

/** The coalescing key of an event's entity (as the consumer's coalescing and the faults see it). */
export function entityOf(source: string, detail: unknown): string | undefined {
  const entity = entityKey({ source, detail });
  return entity && entityCoalescingKey(entity);
}

export interface WorkloadOptions {
  seed: number;
  /** How many SKUs are hot during the flash sale. @defaultValue 3 */
  hotSkus?: number;
  /** Where poison entities are registered. */
  faults: Faults;
  /**
   * Part of every order and return id, so that messages an earlier run left in the queues are about other orders.
   * @defaultValue four base-36 digits of the clock
   */
  runTag?: string;
}

export class Workload {
  readonly #random: () => number;
  readonly #faults: Faults;
  readonly #listings: Listing[] = [];
  readonly #hot: Listing[] = [];
  #orders: Order[] = [];
  readonly #shipped: Order[] = [];
  #returns: Return[] = [];
  #orderSeq = 0;
  #returnSeq = 0;
  #trackingSeq = 0;
  #poisonListing: Listing | undefined;
  readonly #runTag: string;

  constructor(options: WorkloadOptions) {
    this.#random = mulberry32(options.seed);
    this.#faults = options.faults;
    this.#runTag = options.runTag ?? Date.now().toString(36).slice(-4);
    let skuSeq = 1000;
    for (const sellerId of SELLERS) {
      // Each seller sells on three or four marketplaces, with its own SKUs listed on each.
      const on = MARKETPLACES.filter(() => this.#random() < 0.6);
      const marketplaces = on.length > 0 ? on : [MARKETPLACES[0] as { id: string }];
      const skus = Array.from({ length: 10 }, (_, i) => `SKU-${skuSeq + 7 * (i + 1)}`);
      skuSeq += 70;
      for (const { id } of marketplaces) {
        for (const sku of skus) {
          this.#listings.push({
            marketplace: id,
            sellerId,
            sku,
            warehouse: this.#pick(WAREHOUSES),
            price: 8 + Math.floor(this.#random() * 120) + 0.99,
            available: 20 + Math.floor(this.#random() * 80),
            version: 0,
            hot: false,
          });
        }
      }
    }
    // The flash sale's hot SKUs: on different marketplaces, so that they fall in different order groups.
    const wanted = options.hotSkus ?? 3;
    for (const marketplace of ['zalando-de', 'amazon-de', 'otto-de', 'bol-nl', 'amazon-fr']) {
      if (this.#hot.length >= wanted) break;
      const listing = this.#listings.find((l) => l.marketplace === marketplace && !l.hot);
      if (listing) {
        listing.hot = true;
        this.#hot.push(listing);
      }
    }
  }

  /** The hot SKUs, as `marketplace/seller/sku`. */
  get hotSkus(): string[] {
    return this.#hot.map((l) => `${l.marketplace}/${l.sellerId}/${l.sku}`);
  }

  #pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.#random() * list.length)] as T;
  }

  #weighted<T extends { weight: number }>(list: readonly T[]): T {
    const total = list.reduce((sum, x) => sum + x.weight, 0);
    let r = this.#random() * total;
    for (const x of list) {
      r -= x.weight;
      if (r < 0) return x;
    }
    return list[list.length - 1] as T;
  }

  #int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  #event<K extends CatalogueEventName>(
    name: K,
    detail: CatalogueDetail<K>,
    flags: { poison?: boolean; hot?: boolean } = {},
  ): WorkloadEvent {
    const entity = entityOf(SOURCE_OF_NAME[name], detail) ?? '';
    return {
      name,
      detail,
      queue: queueOfEvent(name),
      entity,
      poison: flags.poison ?? false,
      hot: flags.hot ?? false,
    } as WorkloadEvent;
  }

  #now(): string {
    return new Date().toISOString();
  }

  // ---- steady traffic ---------------------------------------------------------------------------------

  /** The next events of steady traffic (one, or two when a change brings another, as an order its reservation). */
  steady(): WorkloadEvent[] {
    const choice = this.#weighted([
      { kind: 'create', weight: 16 },
      { kind: 'advance', weight: 22 },
      { kind: 'stock', weight: 22 },
      { kind: 'return', weight: 9 },
    ]).kind;
    if (choice === 'advance' && this.#orders.length > 0) return this.#advanceOrder();
    if (choice === 'stock') return [this.#adjust(this.#pick(this.#listings))];
    if (choice === 'return') {
      const returned = this.#returnStep();
      if (returned) return returned;
    }
    return this.#createOrder(this.#pickListingFor(this.#weighted(MARKETPLACES).id));
  }

  /** The next events of the flash sale: mostly the hot SKUs' stock and orders. */
  spike(): WorkloadEvent[] {
    const r = this.#random();
    const hot = this.#pick(this.#hot);
    if (!hot || r >= 0.85) return this.steady();
    if (r < 0.6) return [this.#adjust(hot, true)];
    return this.#createOrder(hot, true);
  }

  #pickListingFor(marketplace: string): Listing {
    const candidates = this.#listings.filter((l) => l.marketplace === marketplace && !l.hot);
    return candidates.length > 0 ? this.#pick(candidates) : this.#pick(this.#listings);
  }

  #adjust(listing: Listing, hot = false): WorkloadEvent {
    let delta: number;
    let reason: 'restock' | 'recount' | 'damaged' | 'correction';
    if (listing.available <= 5) {
      delta = this.#int(30, 60);
      reason = 'restock';
    } else if (hot) {
      // Sold through channels that report as corrections (the marketplace's own stock sync), a few at a time.
      delta = -Math.min(listing.available, this.#int(1, 4));
      reason = 'correction';
    } else {
      const r = this.#random();
      delta = r < 0.5 ? this.#int(5, 25) : -Math.min(listing.available, this.#int(1, 3));
      reason = r < 0.5 ? 'restock' : r < 0.85 ? 'recount' : 'damaged';
    }
    listing.available += delta;
    listing.version += 1;
    return this.#event(
      'InventoryAdjusted',
      {
        marketplace: listing.marketplace,
        sellerId: listing.sellerId,
        sku: listing.sku,
        version: listing.version,
        warehouse: listing.warehouse,
        delta,
        available: listing.available,
        reason,
        adjustedAt: this.#now(),
      },
      { hot: listing.hot },
    );
  }

  #createOrder(listing: Listing, hot = false, poison = false): WorkloadEvent[] {
    this.#orderSeq += 1;
    const large = !hot && this.#random() < 0.03;
    const quantity = large ? this.#int(10, 20) : this.#int(1, 3);
    const lines = [{ listing, quantity }];
    const total = listing.price * quantity + (large ? 900 : 0);
    const order: Order = {
      marketplace: listing.marketplace,
      sellerId: listing.sellerId,
      orderId: `o-${listing.marketplace.slice(0, 3)}-${this.#runTag}-${100_000 + this.#orderSeq}`,
      version: 1,
      stage: 'pending',
      lines,
      total,
      hot,
    };
    const events: WorkloadEvent[] = [
      this.#event(
        'OrderCreated',
        {
          marketplace: order.marketplace,
          sellerId: order.sellerId,
          orderId: order.orderId,
          customerId: `c-${this.#int(1, 50_000)}`,
          version: 1,
          status: 'pending',
          lines: lines.map((l) => ({ sku: l.listing.sku, quantity: l.quantity, price: eur(l.listing.price) })),
          total: eur(total),
          createdAt: this.#now(),
        },
        { hot, poison },
      ),
    ];
    if (poison) {
      this.#faults.markPoison(events[0]?.entity ?? '', UNMAPPED_SKU_CAUSE);
      return events;
    }
    this.#orders.push(order);
    if (this.#orders.length > 600) this.#orders = this.#orders.slice(-400);
    if (listing.available >= quantity) {
      listing.available -= quantity;
      listing.version += 1;
      events.push(
        this.#event(
          'InventoryReserved',
          {
            marketplace: listing.marketplace,
            sellerId: listing.sellerId,
            sku: listing.sku,
            version: listing.version,
            warehouse: listing.warehouse,
            orderId: order.orderId,
            quantity,
            available: listing.available,
            reservedAt: this.#now(),
          },
          { hot: listing.hot },
        ),
      );
    }
    return events;
  }

  #orderBase(order: Order) {
    order.version += 1;
    return {
      marketplace: order.marketplace,
      sellerId: order.sellerId,
      orderId: order.orderId,
      version: order.version,
    };
  }

  #advanceOrder(): WorkloadEvent[] {
    const index = Math.floor(this.#random() * this.#orders.length);
    const order = this.#orders[index];
    if (!order) return [];
    const done = () => {
      this.#orders.splice(index, 1);
    };
    const flags = { hot: order.hot };
    if (order.stage === 'pending') {
      order.stage = 'confirmed';
      return [
        this.#event('OrderUpdated', { ...this.#orderBase(order), status: 'confirmed', updatedAt: this.#now() }, flags),
      ];
    }
    if (order.stage === 'confirmed') {
      if (this.#random() < 0.12) {
        done();
        const line = order.lines[0];
        const events = [
          this.#event(
            'OrderCancelled',
            {
              ...this.#orderBase(order),
              cancelledBy: this.#pick(['buyer', 'seller', 'marketplace'] as const),
              reason: this.#pick(['buyer_request', 'out_of_stock', 'payment_failed', 'fraud_suspected'] as const),
              cancelledAt: this.#now(),
            },
            flags,
          ),
        ];
        if (line) events.push(this.#release(line.listing, order.orderId, line.quantity, 'order_cancelled'));
        return events;
      }
      order.stage = 'processing';
      return [
        this.#event('OrderUpdated', { ...this.#orderBase(order), status: 'processing', updatedAt: this.#now() }, flags),
      ];
    }
    done();
    order.stage = 'shipped';
    this.#shipped.push(order);
    if (this.#shipped.length > 300) this.#shipped.splice(0, 100);
    this.#trackingSeq += 1;
    return [
      this.#event(
        'OrderShipped',
        {
          ...this.#orderBase(order),
          warehouse: order.lines[0]?.listing.warehouse ?? 'ber-1',
          carrier: this.#pick(CARRIERS),
          trackingNumber: `TRK${String(7_000_000 + this.#trackingSeq)}`,
          lines: order.lines.map((l) => ({ sku: l.listing.sku, quantity: l.quantity })),
          shippedAt: this.#now(),
        },
        flags,
      ),
    ];
  }

  #release(
    listing: Listing,
    orderId: string,
    quantity: number,
    reason: 'order_cancelled' | 'reservation_expired' | 'order_shipped',
  ): WorkloadEvent {
    listing.available += quantity;
    listing.version += 1;
    return this.#event(
      'InventoryReleased',
      {
        marketplace: listing.marketplace,
        sellerId: listing.sellerId,
        sku: listing.sku,
        version: listing.version,
        warehouse: listing.warehouse,
        orderId,
        quantity,
        available: listing.available,
        reason,
        releasedAt: this.#now(),
      },
      { hot: listing.hot },
    );
  }

  #returnStep(): WorkloadEvent[] | undefined {
    if (this.#returns.length > 0 && this.#random() < 0.6) {
      const index = Math.floor(this.#random() * this.#returns.length);
      const ret = this.#returns[index];
      if (!ret) return undefined;
      return [this.#advanceReturn(ret, () => this.#returns.splice(index, 1))];
    }
    const order = this.#shipped.shift();
    if (!order) return undefined;
    const ret = this.#newReturn(order.marketplace, order.sellerId, order.orderId, order.lines, order.total);
    this.#returns.push(ret);
    return [this.#requestReturn(ret)];
  }

  #newReturn(
    marketplace: string,
    sellerId: string,
    orderId: string,
    lines: { listing: { sku: string }; quantity: number }[],
    total: number,
  ): Return {
    this.#returnSeq += 1;
    return {
      marketplace,
      sellerId,
      returnId: `r-${marketplace.slice(0, 3)}-${this.#runTag}-${50_000 + this.#returnSeq}`,
      orderId,
      version: 0,
      stage: 'requested',
      lines: lines.map((l) => ({ sku: l.listing.sku, quantity: 1 })),
      amount: Math.min(total, total / Math.max(1, lines[0]?.quantity ?? 1)),
    };
  }

  #returnBase(ret: Return) {
    ret.version += 1;
    return {
      marketplace: ret.marketplace,
      sellerId: ret.sellerId,
      returnId: ret.returnId,
      orderId: ret.orderId,
      version: ret.version,
    };
  }

  #requestReturn(ret: Return, poison = false): WorkloadEvent {
    return this.#event(
      'ReturnRequested',
      {
        ...this.#returnBase(ret),
        lines: ret.lines,
        reason: this.#pick(['damaged', 'defective', 'wrong_item', 'not_as_described', 'no_longer_needed'] as const),
        requestedAt: this.#now(),
      },
      { poison },
    );
  }

  #advanceReturn(ret: Return, done: () => void, poison = false): WorkloadEvent {
    if (ret.stage === 'requested') {
      ret.stage = 'received';
      return this.#event(
        'ReturnReceived',
        {
          ...this.#returnBase(ret),
          warehouse: this.#pick(WAREHOUSES),
          lines: ret.lines.map((l) => ({ ...l, condition: this.#pick(['sellable', 'damaged', 'defective'] as const) })),
          receivedAt: this.#now(),
        },
        { poison },
      );
    }
    done();
    return this.#event(
      'ReturnRefunded',
      {
        ...this.#returnBase(ret),
        amount: eur(ret.amount),
        method: this.#pick(['original_payment', 'store_credit'] as const),
        refundedAt: this.#now(),
      },
      { poison },
    );
  }

  // ---- poison -----------------------------------------------------------------------------------------

  /**
   * The events of one new poison entity of `kind`: an order containing the unmapped SKU (created, then confirmed),
   * two stock adjustments of that SKU, or a return whose refund account is frozen (requested, then received).
   */
  poison(kind: ConsumedQueue): WorkloadEvent[] {
    if (kind === 'inventory') {
      this.#poisonListing ??= {
        marketplace: POISON_SKU_MARKETPLACE,
        sellerId: POISON_SKU_SELLER,
        sku: UNMAPPED_SKU,
        warehouse: 'ham-2',
        price: 24.99,
        available: 40,
        version: 0,
        hot: false,
      };
      const listing = this.#poisonListing;
      const events = [this.#adjust(listing), this.#adjust(listing)].map((e) => ({ ...e, poison: true }));
      this.#faults.markPoison(events[0]?.entity ?? '', UNMAPPED_SKU_CAUSE);
      return events;
    }
    if (kind === 'orders.fifo') {
      const listing = this.#poisonListing ?? {
        marketplace: POISON_SKU_MARKETPLACE,
        sellerId: POISON_SKU_SELLER,
        sku: UNMAPPED_SKU,
        warehouse: 'ham-2',
        price: 24.99,
        available: 0,
        version: 0,
        hot: false,
      };
      const [created] = this.#createOrder(listing, false, true);
      if (!created) return [];
      const d = created.detail as CatalogueDetail<'OrderCreated'>;
      const updated = this.#event(
        'OrderUpdated',
        {
          marketplace: d.marketplace,
          sellerId: d.sellerId,
          orderId: d.orderId,
          version: 2,
          status: 'confirmed',
          updatedAt: this.#now(),
        },
        { poison: true },
      );
      return [created, updated];
    }
    this.#orderSeq += 1;
    const orderId = `o-${POISON_REFUND_MARKETPLACE.slice(0, 3)}-${this.#runTag}-${100_000 + this.#orderSeq}`;
    const ret = this.#newReturn(
      POISON_REFUND_MARKETPLACE,
      POISON_REFUND_SELLER,
      orderId,
      [{ listing: { sku: 'SKU-2210' }, quantity: 1 }],
      59.9,
    );
    const requested = this.#requestReturn(ret, true);
    this.#faults.markPoison(requested.entity, FROZEN_REFUND_CAUSE);
    return [requested, this.#advanceReturn(ret, () => {}, true)];
  }
}
