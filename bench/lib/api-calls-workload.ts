// The API-call savings benchmark's workload: a seeded, synthetic timeline of state changes of a marketplace
// business (marketplaces × sellers × SKUs, and the orders and returns on them), and the publications that carry them
// to EventBridge, repeats included. Pure: the same config (seed included) gives the same changes and publications,
// with no I/O and no clock. Every design of the benchmark is fed from one Workload.
//
// The model, in simulated time from 0 to `durationSeconds`:
// - Entities: every SKU of every seller of every marketplace has a stock level (`available`, synced as a number);
//   orders (synced: their status) and returns (synced: their status) appear as the timeline goes.
// - Orders arrive as a Poisson process at `orders.perSecond` (times `flashSale.multiplier` during the flash sale),
//   for a seller drawn with Zipf popularity (`sellerSkew`) and one or two of its SKUs (Zipf, `skuSkew`); during the
//   sale a line is for one of the hot SKUs with probability `flashSale.hotShare`. An order reserves its lines' stock
//   at once (InventoryReserved; a line is cut to the stock left, an order with no stock left is not placed), is
//   confirmed or cancelled (stock released) after ~`confirmMeanSeconds`, goes to processing and is shipped after
//   exponential delays; some are returned (requested, received (sellable units back in stock), refunded).
// - Stock adjustments (recounts, corrections, damage, restocks) hit random SKUs at `adjustments.perSecond`; during
//   the sale each hot SKU also gets `flashSale.hotAdjustmentsPerSecond` (the warehouse rescanning a busy shelf).
//   A SKU below `restock.threshold` is restocked after ~`restock.meanDelaySeconds`.
// - Realistic repeats: a fraction of adjustments are recounts that find the same number (delta 0) and a fraction of
//   orders get an update that repeats their status: new versions that change nothing (`noop`); a fraction of
//   publications are sent twice (a producer retrying a PutEvents whose answer it lost: a second EventBridge event
//   with the same detail); a fraction are published late, after newer versions of their entity (out of order).
// Every change bumps its entity's `version` (no-ops included): the version in the event detail, as the catalogue
// prescribes.
import {
  CATALOGUE,
  type CatalogueEventName,
  INVENTORY_SOURCE,
  ORDERS_SOURCE,
  RETURNS_SOURCE,
} from '../../src/client/catalogue.js';
import { entityCoalescingKey } from '../../src/client/coalescing.js';
import { mulberry32 } from '../../src/core/seeded-random.js';

// ---- seeded randomness -------------------------------------------------------------------------------------------

export { mulberry32 };

/** FNV-1a of a string: derives one independent stream per purpose from the seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Draws of one random stream. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number, stream: string) {
    this.next = mulberry32((seed ^ hash(stream)) >>> 0);
  }
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
  /** A whole number from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Exponentially distributed with this mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }
}

/** A Zipf(s) sampler over ranks 0..n-1 (0 the most popular); s = 0 is uniform. */
export function zipf(n: number, s: number): (rng: Rng) => number {
  const cdf: number[] = [];
  let total = 0;
  for (let i = 1; i <= n; i++) {
    total += 1 / i ** s;
    cdf.push(total);
  }
  return (rng) => {
    const u = rng.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

// ---- configuration -------------------------------------------------------------------------------------------------

export interface WorkloadConfig {
  seed: number;
  /** Length of the simulated timeline, in seconds; nothing changes after it. */
  durationSeconds: number;
  marketplaces: number;
  sellersPerMarketplace: number;
  skusPerSeller: number;
  /** Zipf exponent of seller popularity (which seller an order is for); 0: uniform. */
  sellerSkew: number;
  /** Zipf exponent of SKU popularity within a seller. */
  skuSkew: number;
  /** Stock of an ordinary SKU at time 0 (uniform in [min, max]); the downstream starts in sync with it. */
  initialStock: { min: number; max: number };
  /** A SKU whose stock falls below `threshold` gets `quantity` more units after an exponential delay. */
  restock: { threshold: number; quantity: number; meanDelaySeconds: number };
  orders: {
    /** Orders per second over all marketplaces, outside the flash sale. */
    perSecond: number;
    /** Probability an order has two lines instead of one. */
    twoLineRate: number;
    /** Units per line, uniform. */
    quantity: { min: number; max: number };
    confirmMeanSeconds: number;
    /** Probability an order is cancelled (at the confirmation step) instead of confirmed. */
    cancelRate: number;
    processingMeanSeconds: number;
    shipMeanSeconds: number;
    /** Probability a confirmed order gets an OrderUpdated repeating its status (a no-op), after ~mean seconds. */
    noopUpdateRate: number;
    noopUpdateMeanSeconds: number;
    /** Probability a shipped order is returned. */
    returnRate: number;
    returnRequestMeanSeconds: number;
    returnReceiveMeanSeconds: number;
    refundMeanSeconds: number;
    /** Probability returned units are sellable (they go back into stock). */
    sellableRate: number;
  };
  adjustments: {
    /** Stock adjustments per second over all SKUs. */
    perSecond: number;
    /** Probability an adjustment is a recount that finds the same stock (delta 0: a no-op). */
    noopRate: number;
  };
  flashSale: {
    startSeconds: number;
    durationSeconds: number;
    /** Order rate during the sale, as a multiple of `orders.perSecond`. */
    multiplier: number;
    /** How many SKUs are on sale. */
    hotSkus: number;
    /** Probability an order line during the sale is for a hot SKU. */
    hotShare: number;
    /** Extra stock adjustments per second of each hot SKU during the sale. */
    hotAdjustmentsPerSecond: number;
    /** Stock of each hot SKU at time 0. */
    hotStock: number;
  };
  delivery: {
    /** Probability a change is published twice (the producer retries a PutEvents whose answer was lost). */
    duplicateRate: number;
    /** Delay of the second copy after the first, uniform, seconds. */
    duplicateDelaySeconds: { min: number; max: number };
    /** Probability a change is published late (held up in a producer's retry), uniform delay, seconds. */
    lateRate: number;
    lateDelaySeconds: { min: number; max: number };
  };
}

export type Scale = 'small' | 'full';

/** The workload of `--scale full` (npm run bench:api-calls): an hour of a mid-sized marketplace business. */
export const FULL_WORKLOAD: WorkloadConfig = {
  seed: 1,
  durationSeconds: 3600,
  marketplaces: 4,
  sellersPerMarketplace: 25,
  skusPerSeller: 40,
  sellerSkew: 1,
  skuSkew: 1,
  initialStock: { min: 5, max: 200 },
  restock: { threshold: 5, quantity: 100, meanDelaySeconds: 300 },
  orders: {
    perSecond: 0.6,
    twoLineRate: 0.25,
    quantity: { min: 1, max: 3 },
    confirmMeanSeconds: 30,
    cancelRate: 0.05,
    processingMeanSeconds: 120,
    shipMeanSeconds: 600,
    noopUpdateRate: 0.15,
    noopUpdateMeanSeconds: 60,
    returnRate: 0.08,
    returnRequestMeanSeconds: 300,
    returnReceiveMeanSeconds: 300,
    refundMeanSeconds: 120,
    sellableRate: 0.7,
  },
  adjustments: { perSecond: 1, noopRate: 0.15 },
  flashSale: {
    startSeconds: 1500,
    durationSeconds: 120,
    multiplier: 10,
    hotSkus: 5,
    hotShare: 0.8,
    hotAdjustmentsPerSecond: 0.5,
    hotStock: 2000,
  },
  delivery: {
    duplicateRate: 0.03,
    duplicateDelaySeconds: { min: 0.5, max: 3 },
    lateRate: 0.02,
    lateDelaySeconds: { min: 2, max: 15 },
  },
};

/** `--scale small` (the CI test): ten minutes of a smaller business, the same rates and repeats, a one-minute sale. */
export const SMALL_WORKLOAD: WorkloadConfig = {
  ...FULL_WORKLOAD,
  durationSeconds: 600,
  marketplaces: 2,
  sellersPerMarketplace: 5,
  skusPerSeller: 20,
  orders: { ...FULL_WORKLOAD.orders, perSecond: 0.5 },
  flashSale: { ...FULL_WORKLOAD.flashSale, startSeconds: 240, durationSeconds: 60, hotSkus: 3 },
};

export function workloadConfig(scale: Scale, seed?: number): WorkloadConfig {
  const base = scale === 'small' ? SMALL_WORKLOAD : FULL_WORKLOAD;
  return seed === undefined ? structuredClone(base) : { ...structuredClone(base), seed };
}

// ---- the timeline ----------------------------------------------------------------------------------------------------

export type EntityKind = 'inventory' | 'order' | 'return';

/** One state change of one entity: a new version, carried by one catalogue event. */
export interface Change {
  /** Index in `Workload.changes` (which is in time order). */
  index: number;
  /** Simulated time, in milliseconds from the start. */
  at: number;
  kind: EntityKind;
  /** The coalescing key of the entity (`inventory:amazon-de/seller-3/SKU-3-7`), the downstream's record key. */
  key: string;
  marketplace: string;
  sellerId: string;
  version: number;
  /** The synced state after the change: the stock for a SKU, the status for orders and returns. */
  state: string;
  /** The state is the previous version's: this change changes nothing downstream. */
  noop: boolean;
  event: CatalogueEventName;
  /** The event's detail, valid for the catalogue definition `event`. */
  detail: Record<string, unknown>;
}

/** One PutEvents entry the producers send: a change, once, or twice (a retry), possibly late. */
export interface Publication {
  /** Simulated time of the publish, in milliseconds. */
  at: number;
  change: number;
  /** The second copy of a change published twice. */
  duplicate: boolean;
  /** Published after a delay (`delivery.lateRate`), so possibly after newer versions of its entity. */
  late: boolean;
}

export interface Workload {
  config: WorkloadConfig;
  /** In time order (ties: in the order generated). */
  changes: Change[];
  /** In time order. */
  publications: Publication[];
  /** The entities the downstream holds at time 0 (every SKU's stock, at version 0). */
  initial: Map<string, { version: number; state: string }>;
  /** The sellers, `${marketplace}/${sellerId}`, with their SKUs' keys. */
  sellers: { marketplace: string; sellerId: string }[];
  hotSkus: string[];
}

const MARKETPLACES = [
  'amazon-de',
  'ebay-de',
  'zalando-de',
  'otto-de',
  'amazon-fr',
  'kaufland-de',
  'amazon-it',
  'bol-nl',
];

/** The synced state an event carries: the stock for inventory events, the status for orders and returns. */
export function stateOf(source: string, detailType: string, detail: Record<string, unknown>): string | undefined {
  if (source === INVENTORY_SOURCE) return typeof detail.available === 'number' ? String(detail.available) : undefined;
  if (source === ORDERS_SOURCE) {
    if (detailType === 'Order Cancelled') return 'cancelled';
    if (detailType === 'Order Shipped') return 'shipped';
    return typeof detail.status === 'string' ? detail.status : undefined;
  }
  if (source === RETURNS_SOURCE) {
    if (detailType === 'Return Requested') return 'requested';
    if (detailType === 'Return Received') return 'received';
    if (detailType === 'Return Refunded') return 'refunded';
  }
  return undefined;
}

/** A small binary min-heap of scheduled steps, by time then by insertion. */
class Agenda {
  readonly #items: { at: number; seq: number; run: (at: number) => void }[] = [];
  #seq = 0;
  push(at: number, run: (at: number) => void): void {
    const items = this.#items;
    items.push({ at, seq: this.#seq++, run });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }
  pop(): { at: number; run: (at: number) => void } | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (!top || !last) return undefined;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.#less(l, m)) m = l;
        if (r < items.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return top;
  }
  #less(a: number, b: number): boolean {
    const x = this.#items[a];
    const y = this.#items[b];
    if (!x || !y) return false;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
  #swap(a: number, b: number): void {
    const items = this.#items;
    const x = items[a];
    const y = items[b];
    if (!x || !y) return;
    items[a] = y;
    items[b] = x;
  }
}

interface Sku {
  marketplace: string;
  sellerId: string;
  sku: string;
  key: string;
  version: number;
  available: number;
  restockPending: boolean;
}

interface Order {
  marketplace: string;
  sellerId: string;
  orderId: string;
  key: string;
  version: number;
  status: string;
  lines: { sku: Sku; quantity: number }[];
}

const EPOCH = Date.parse('2026-11-27T09:00:00Z');
const WAREHOUSE = 'ber-1';
const iso = (atMs: number) => new Date(EPOCH + Math.round(atMs)).toISOString();
const price = (sku: string) => ({ amount: 5 + (hash(sku) % 9500) / 100, currency: 'EUR' });
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Generates the workload of `config`: deterministic in `config` (the seed included). */
export function generateWorkload(config: WorkloadConfig): Workload {
  const { seed } = config;
  const T = config.durationSeconds * 1000;
  const catalogRng = new Rng(seed, 'catalog');
  const orderRng = new Rng(seed, 'orders');
  const adjustRng = new Rng(seed, 'adjustments');
  const hotRng = new Rng(seed, 'hot');
  const deliveryRng = new Rng(seed, 'delivery');

  // The catalogue of sellers and SKUs.
  const sellers: { marketplace: string; sellerId: string; skus: Sku[] }[] = [];
  const allSkus: Sku[] = [];
  for (let m = 0; m < config.marketplaces; m++) {
    const base = MARKETPLACES[m % MARKETPLACES.length] as string;
    const marketplace = m < MARKETPLACES.length ? base : `${base}-${Math.floor(m / MARKETPLACES.length)}`;
    for (let s = 0; s < config.sellersPerMarketplace; s++) {
      const sellerId = `seller-${s}`;
      const skus: Sku[] = [];
      for (let k = 0; k < config.skusPerSeller; k++) {
        const sku = `SKU-${m}-${s}-${k}`;
        const entry: Sku = {
          marketplace,
          sellerId,
          sku,
          key: entityCoalescingKey({ entity: 'inventory', key: `${marketplace}/${sellerId}/${sku}` }),
          version: 0,
          available: catalogRng.int(config.initialStock.min, config.initialStock.max),
          restockPending: false,
        };
        skus.push(entry);
        allSkus.push(entry);
      }
      sellers.push({ marketplace, sellerId, skus });
    }
  }
  const hot: Sku[] = [];
  const hotCount = Math.min(config.flashSale.hotSkus, allSkus.length);
  while (hot.length < hotCount) {
    const candidate = catalogRng.pick(allSkus);
    if (!hot.includes(candidate)) hot.push(candidate);
  }
  for (const sku of hot) sku.available = config.flashSale.hotStock;
  const initial = new Map<string, { version: number; state: string }>();
  for (const sku of allSkus) initial.set(sku.key, { version: 0, state: String(sku.available) });

  const sellerOf = zipf(sellers.length, config.sellerSkew);
  const skuOf = zipf(config.skusPerSeller, config.skuSkew);
  const saleStart = config.flashSale.startSeconds * 1000;
  const saleEnd = saleStart + config.flashSale.durationSeconds * 1000;
  const inSale = (at: number) => at >= saleStart && at < saleEnd;

  const changes: Change[] = [];
  const agenda = new Agenda();
  const schedule = (at: number, run: (at: number) => void) => {
    if (at < T) agenda.push(at, run);
  };
  const record = (
    at: number,
    kind: EntityKind,
    key: string,
    who: { marketplace: string; sellerId: string },
    version: number,
    state: string,
    previous: string | undefined,
    event: CatalogueEventName,
    detail: Record<string, unknown>,
  ) => {
    const full = { marketplace: who.marketplace, sellerId: who.sellerId, version, ...detail };
    changes.push({
      index: changes.length,
      at,
      kind,
      key,
      marketplace: who.marketplace,
      sellerId: who.sellerId,
      version,
      state,
      noop: state === previous,
      event,
      detail: full,
    });
  };

  // Stock changes.
  const adjustStock = (
    at: number,
    sku: Sku,
    delta: number,
    event: 'InventoryAdjusted' | 'InventoryReserved' | 'InventoryReleased',
    extra: Record<string, unknown>,
  ) => {
    const previous = String(sku.available);
    sku.available += delta;
    sku.version += 1;
    const stamp =
      event === 'InventoryAdjusted' ? 'adjustedAt' : event === 'InventoryReserved' ? 'reservedAt' : 'releasedAt';
    const detail: Record<string, unknown> = { sku: sku.sku, warehouse: WAREHOUSE, ...extra, available: sku.available };
    if (event === 'InventoryAdjusted') detail.delta = delta;
    detail[stamp] = iso(at);
    record(at, 'inventory', sku.key, sku, sku.version, String(sku.available), previous, event, detail);
    if (sku.available < config.restock.threshold && !sku.restockPending) {
      sku.restockPending = true;
      schedule(at + adjustRng.exp(config.restock.meanDelaySeconds * 1000), (t) => {
        sku.restockPending = false;
        adjustStock(t, sku, config.restock.quantity, 'InventoryAdjusted', { reason: 'restock' });
      });
    }
  };

  const adjustment = (at: number, sku: Sku, rng: Rng) => {
    if (rng.chance(config.adjustments.noopRate)) {
      adjustStock(at, sku, 0, 'InventoryAdjusted', { reason: 'recount' });
      return;
    }
    const kind = rng.pick(['recount', 'correction', 'damaged', 'restock'] as const);
    let delta: number;
    if (kind === 'restock') delta = rng.int(10, 50);
    else if (kind === 'damaged') delta = -rng.int(1, 2);
    else delta = rng.pick([-3, -2, -1, 1, 2, 3]);
    delta = Math.max(delta, -sku.available);
    if (delta === 0) delta = 1; // an empty shelf recounted up: a recount that changes nothing is drawn above
    adjustStock(at, sku, delta, 'InventoryAdjusted', { reason: kind });
  };

  // Orders.
  let orderCount = 0;
  let returnCount = 0;
  const setOrder = (
    at: number,
    order: Order,
    status: string,
    event: CatalogueEventName,
    detail: Record<string, unknown>,
  ) => {
    const previous = order.status;
    order.status = status;
    order.version += 1;
    record(at, 'order', order.key, order, order.version, status, previous, event, {
      orderId: order.orderId,
      ...detail,
    });
  };

  const placeOrder = (at: number) => {
    const seller = sellers[sellerOf(orderRng)];
    if (!seller) return;
    const lineCount = orderRng.chance(config.orders.twoLineRate) ? 2 : 1;
    const lines: { sku: Sku; quantity: number }[] = [];
    for (let i = 0; i < lineCount; i++) {
      const sale = inSale(at) && orderRng.chance(config.flashSale.hotShare);
      const sku = sale ? orderRng.pick(hot) : seller.skus[skuOf(orderRng)];
      if (!sku || lines.some((l) => l.sku === sku)) continue;
      const quantity = Math.min(orderRng.int(config.orders.quantity.min, config.orders.quantity.max), sku.available);
      if (quantity > 0) lines.push({ sku, quantity });
    }
    const first = lines[0];
    if (!first) return; // out of stock: no order
    orderCount += 1;
    // A hot SKU belongs to some seller: the order is that seller's (a marketplace order is for one seller).
    const who = { marketplace: first.sku.marketplace, sellerId: first.sku.sellerId };
    const sameSeller = lines.filter((l) => l.sku.marketplace === who.marketplace && l.sku.sellerId === who.sellerId);
    const orderId = `o-${orderCount}`;
    const order: Order = {
      ...who,
      orderId,
      key: entityCoalescingKey({ entity: 'order', key: `${who.marketplace}/${who.sellerId}/${orderId}` }),
      version: 0,
      status: '',
      lines: sameSeller,
    };
    const orderLines = sameSeller.map((l) => ({ sku: l.sku.sku, quantity: l.quantity, price: price(l.sku.sku) }));
    const total = round2(orderLines.reduce((sum, l) => sum + l.quantity * l.price.amount, 0));
    setOrder(at, order, 'pending', 'OrderCreated', {
      customerId: `c-${orderRng.int(1, 100_000)}`,
      status: 'pending',
      lines: orderLines,
      total: { amount: total, currency: 'EUR' },
      createdAt: iso(at),
    });
    for (const line of sameSeller) {
      adjustStock(at, line.sku, -line.quantity, 'InventoryReserved', { orderId, quantity: line.quantity });
    }
    schedule(at + orderRng.exp(config.orders.confirmMeanSeconds * 1000), (t) => confirm(t, order));
  };

  const confirm = (at: number, order: Order) => {
    if (orderRng.chance(config.orders.cancelRate)) {
      const reason = orderRng.pick(['buyer_request', 'payment_failed', 'fraud_suspected'] as const);
      setOrder(at, order, 'cancelled', 'OrderCancelled', {
        cancelledBy: reason === 'buyer_request' ? 'buyer' : 'marketplace',
        reason,
        cancelledAt: iso(at),
      });
      for (const line of order.lines) {
        adjustStock(at, line.sku, line.quantity, 'InventoryReleased', {
          orderId: order.orderId,
          quantity: line.quantity,
          reason: 'order_cancelled',
        });
      }
      return;
    }
    setOrder(at, order, 'confirmed', 'OrderUpdated', { status: 'confirmed', updatedAt: iso(at) });
    if (orderRng.chance(config.orders.noopUpdateRate)) {
      schedule(at + orderRng.exp(config.orders.noopUpdateMeanSeconds * 1000), (t) => {
        // An update that repeats the current status (an address or note edited): nothing the downstream shows.
        setOrder(t, order, order.status, 'OrderUpdated', { status: order.status, updatedAt: iso(t) });
      });
    }
    schedule(at + orderRng.exp(config.orders.processingMeanSeconds * 1000), (t) => {
      setOrder(t, order, 'processing', 'OrderUpdated', { status: 'processing', updatedAt: iso(t) });
      schedule(t + orderRng.exp(config.orders.shipMeanSeconds * 1000), (t2) => ship(t2, order));
    });
  };

  const ship = (at: number, order: Order) => {
    setOrder(at, order, 'shipped', 'OrderShipped', {
      warehouse: WAREHOUSE,
      carrier: 'dhl',
      trackingNumber: `00340${order.orderId.slice(2)}`,
      lines: order.lines.map((l) => ({ sku: l.sku.sku, quantity: l.quantity })),
      shippedAt: iso(at),
    });
    if (!orderRng.chance(config.orders.returnRate)) return;
    const line = order.lines[0];
    if (!line) return;
    returnCount += 1;
    const returnId = `r-${returnCount}`;
    const ret = {
      marketplace: order.marketplace,
      sellerId: order.sellerId,
      key: entityCoalescingKey({ entity: 'return', key: `${order.marketplace}/${order.sellerId}/${returnId}` }),
      version: 0,
      status: '',
    };
    const setReturn = (t: number, status: string, event: CatalogueEventName, detail: Record<string, unknown>) => {
      const previous = ret.status;
      ret.status = status;
      ret.version += 1;
      record(t, 'return', ret.key, ret, ret.version, status, previous, event, {
        returnId,
        orderId: order.orderId,
        ...detail,
      });
    };
    const returned = [{ sku: line.sku.sku, quantity: 1 }];
    schedule(at + orderRng.exp(config.orders.returnRequestMeanSeconds * 1000), (t) => {
      setReturn(t, 'requested', 'ReturnRequested', {
        lines: returned,
        reason: orderRng.pick(['damaged', 'wrong_item', 'no_longer_needed'] as const),
        requestedAt: iso(t),
      });
      schedule(t + orderRng.exp(config.orders.returnReceiveMeanSeconds * 1000), (t2) => {
        const sellable = orderRng.chance(config.orders.sellableRate);
        setReturn(t2, 'received', 'ReturnReceived', {
          warehouse: WAREHOUSE,
          lines: returned.map((l) => ({ ...l, condition: sellable ? 'sellable' : 'damaged' })),
          receivedAt: iso(t2),
        });
        if (sellable) adjustStock(t2, line.sku, 1, 'InventoryAdjusted', { reason: 'returned' });
        schedule(t2 + orderRng.exp(config.orders.refundMeanSeconds * 1000), (t3) => {
          setReturn(t3, 'refunded', 'ReturnRefunded', {
            amount: price(line.sku.sku),
            method: 'original_payment',
            refundedAt: iso(t3),
          });
        });
      });
    });
  };

  // The arrival processes. Orders: a Poisson process thinned from the sale's peak rate.
  const peakOrderRate = config.orders.perSecond * Math.max(1, config.flashSale.multiplier);
  if (peakOrderRate > 0) {
    const nextOrder = (at: number) => {
      const rate = config.orders.perSecond * (inSale(at) ? config.flashSale.multiplier : 1);
      if (orderRng.next() < rate / peakOrderRate) placeOrder(at);
      schedule(at + orderRng.exp(1000 / peakOrderRate), nextOrder);
    };
    schedule(orderRng.exp(1000 / peakOrderRate), nextOrder);
  }
  if (config.adjustments.perSecond > 0) {
    const nextAdjustment = (at: number) => {
      adjustment(at, adjustRng.pick(allSkus), adjustRng);
      schedule(at + adjustRng.exp(1000 / config.adjustments.perSecond), nextAdjustment);
    };
    schedule(adjustRng.exp(1000 / config.adjustments.perSecond), nextAdjustment);
  }
  if (config.flashSale.hotAdjustmentsPerSecond > 0) {
    const mean = 1000 / config.flashSale.hotAdjustmentsPerSecond;
    for (const sku of hot) {
      const nextHot = (at: number) => {
        if (at >= saleEnd) return;
        adjustment(at, sku, hotRng);
        schedule(at + hotRng.exp(mean), nextHot);
      };
      schedule(saleStart + hotRng.exp(mean), nextHot);
    }
  }

  for (let step = agenda.pop(); step; step = agenda.pop()) step.run(step.at);

  // Publications: each change once at its time, some late, some twice.
  const publications: Publication[] = [];
  const { delivery } = config;
  for (const change of changes) {
    const late = deliveryRng.chance(delivery.lateRate);
    const at = late
      ? change.at + 1000 * deliveryRng.uniform(delivery.lateDelaySeconds.min, delivery.lateDelaySeconds.max)
      : change.at;
    publications.push({ at, change: change.index, duplicate: false, late });
    if (deliveryRng.chance(delivery.duplicateRate)) {
      const again =
        at + 1000 * deliveryRng.uniform(delivery.duplicateDelaySeconds.min, delivery.duplicateDelaySeconds.max);
      publications.push({ at: again, change: change.index, duplicate: true, late });
    }
  }
  publications.sort((a, b) => a.at - b.at || a.change - b.change || Number(a.duplicate) - Number(b.duplicate));

  return {
    config,
    changes,
    publications,
    initial,
    sellers: sellers.map(({ marketplace, sellerId }) => ({ marketplace, sellerId })),
    hotSkus: hot.map((s) => s.key),
  };
}

/** The catalogue definition of a change's event. */
export function definitionOf(change: Pick<Change, 'event'>) {
  return CATALOGUE[change.event];
}

export interface WorkloadSummary {
  changes: number;
  noopChanges: number;
  byEvent: Record<string, number>;
  byKind: Record<EntityKind, number>;
  entities: Record<EntityKind, number>;
  orders: number;
  returns: number;
  publications: number;
  duplicatePublications: number;
  latePublications: number;
  /** Changes published after a newer version of their entity was (by publish time). */
  outOfOrderPublications: number;
  flashSale: { changes: number; hotSkuChanges: number; busiestHotSku: { key: string; changes: number } | null };
  busiestSecond: { at: number; changes: number };
  meanChangesPerSecond: number;
}

export function summarizeWorkload(w: Workload): WorkloadSummary {
  const byEvent: Record<string, number> = {};
  const byKind: Record<EntityKind, number> = { inventory: 0, order: 0, return: 0 };
  const entities: Record<EntityKind, Set<string>> = { inventory: new Set(), order: new Set(), return: new Set() };
  const perSecond = new Map<number, number>();
  const saleStart = w.config.flashSale.startSeconds * 1000;
  const saleEnd = saleStart + w.config.flashSale.durationSeconds * 1000;
  const hot = new Map(w.hotSkus.map((k) => [k, 0]));
  let saleChanges = 0;
  let hotSkuChanges = 0;
  for (const c of w.changes) {
    byEvent[c.event] = (byEvent[c.event] ?? 0) + 1;
    byKind[c.kind] += 1;
    entities[c.kind].add(c.key);
    const second = Math.floor(c.at / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    if (c.at >= saleStart && c.at < saleEnd) {
      saleChanges += 1;
      if (hot.has(c.key)) {
        hotSkuChanges += 1;
        hot.set(c.key, (hot.get(c.key) ?? 0) + 1);
      }
    }
  }
  let busiestSecond = { at: 0, changes: 0 };
  for (const [at, n] of perSecond) if (n > busiestSecond.changes) busiestSecond = { at, changes: n };
  let busiestHotSku: { key: string; changes: number } | null = null;
  for (const [key, n] of hot) if (!busiestHotSku || n > busiestHotSku.changes) busiestHotSku = { key, changes: n };
  // Out of order: a first publication of version v of an entity after a publication of a higher version.
  const highest = new Map<string, number>();
  let outOfOrder = 0;
  for (const p of w.publications) {
    const c = w.changes[p.change];
    if (!c) continue;
    const h = highest.get(c.key) ?? 0;
    if (c.version < h) outOfOrder += 1;
    else highest.set(c.key, c.version);
  }
  return {
    changes: w.changes.length,
    noopChanges: w.changes.filter((c) => c.noop).length,
    byEvent,
    byKind,
    entities: { inventory: entities.inventory.size, order: entities.order.size, return: entities.return.size },
    orders: byEvent.OrderCreated ?? 0,
    returns: byEvent.ReturnRequested ?? 0,
    publications: w.publications.length,
    duplicatePublications: w.publications.filter((p) => p.duplicate).length,
    latePublications: w.publications.filter((p) => p.late && !p.duplicate).length,
    outOfOrderPublications: outOfOrder,
    flashSale: { changes: saleChanges, hotSkuChanges, busiestHotSku },
    busiestSecond,
    meanChangesPerSecond: Math.round((w.changes.length / w.config.durationSeconds) * 100) / 100,
  };
}
