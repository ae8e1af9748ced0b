// Valid details for every event of the client's reference catalogue, for the client's tests.
import { CATALOGUE, type CatalogueDetail, type CatalogueEventName } from '../../src/client/catalogue.js';

const at = '2024-05-01T10:00:00Z';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** A valid detail of catalogue event `name`, for entity number `n` at `version`. */
export function sampleDetail<K extends CatalogueEventName>(name: K, n = 1, version = 1): CatalogueDetail<K> {
  const who = { marketplace: 'amazon-de', sellerId: `seller-${n % 3}`, version };
  const orderId = `order-${n}`;
  const sku = `SKU-${n}`;
  const returnId = `return-${n}`;
  const details: { [N in CatalogueEventName]: CatalogueDetail<N> } = {
    OrderCreated: {
      ...who,
      orderId,
      customerId: `customer-${n}`,
      status: 'pending',
      lines: [{ sku, quantity: 2, price: eur(19.99) }],
      total: eur(39.98),
      createdAt: at,
    },
    OrderUpdated: { ...who, orderId, status: 'confirmed', updatedAt: at },
    OrderCancelled: { ...who, orderId, cancelledBy: 'buyer', reason: 'buyer_request', cancelledAt: at },
    OrderShipped: {
      ...who,
      orderId,
      warehouse: 'ber-1',
      carrier: 'dhl',
      trackingNumber: `00340${n}`,
      lines: [{ sku, quantity: 2 }],
      shippedAt: at,
    },
    InventoryAdjusted: { ...who, sku, warehouse: 'ber-1', delta: -3, available: 17, reason: 'recount', adjustedAt: at },
    InventoryReserved: { ...who, sku, warehouse: 'ber-1', orderId, quantity: 2, available: 15, reservedAt: at },
    InventoryReleased: {
      ...who,
      sku,
      warehouse: 'ber-1',
      orderId,
      quantity: 2,
      available: 17,
      reason: 'order_cancelled',
      releasedAt: at,
    },
    ReturnRequested: {
      ...who,
      returnId,
      orderId,
      lines: [{ sku, quantity: 1 }],
      reason: 'damaged',
      requestedAt: at,
    },
    ReturnReceived: {
      ...who,
      returnId,
      orderId,
      warehouse: 'ber-1',
      lines: [{ sku, quantity: 1, condition: 'damaged' }],
      receivedAt: at,
    },
    ReturnRefunded: { ...who, returnId, orderId, amount: eur(19.99), method: 'original_payment', refundedAt: at },
  };
  return details[name];
}

export const CATALOGUE_NAMES = Object.keys(CATALOGUE) as CatalogueEventName[];
