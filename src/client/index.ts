// switchyard/client: typed events, the reference e-commerce catalogue, and producers and consumers on the AWS SDK.
// The public API, deliberately listed: everything else in src/client is internal.
export {
  CATALOGUE,
  type CatalogueDetail,
  type CatalogueEventName,
  catalogueDefinition,
  type EntityKey,
  entityKey,
  INVENTORY_SOURCE,
  InventoryAdjusted,
  InventoryReleased,
  InventoryReserved,
  ORDERS_SOURCE,
  OrderCancelled,
  OrderCreated,
  OrderShipped,
  OrderUpdated,
  RETURNS_SOURCE,
  ReturnReceived,
  ReturnRefunded,
  ReturnRequested,
} from './catalogue.js';
export {
  type AddOutcome,
  type CoalescedGroup,
  type CoalesceItem,
  Coalescer,
  type CoalescerOptions,
  entityCoalescingKey,
} from './coalescing.js';
export {
  type AutoscalingOptions,
  type BatchHandler,
  type BatchItem,
  type BatchResult,
  type CoalesceOptions,
  type ConsumableEvent,
  type ConsumeBaseOptions,
  type Consumer,
  type ConsumerEvents,
  type ConsumerStats,
  consume,
  type EntityVersion,
  type Handlers,
  type IdempotencyOptions,
  isPermanent,
  type Jitter,
  type MessageContext,
  type MessageHandler,
  PermanentError,
  type PermanentFailureReason,
  permanent,
  type RetryOptions,
} from './consumer.js';
export {
  CONSUMER_METRICS_NAMESPACE,
  type ConsumerMetricsOptions,
  type ConsumerMetricsPublisher,
  type MeteredConsumer,
  type MeteredStats,
  type PutMetricDataSender,
  publishConsumerMetrics,
} from './consumer-metrics.js';
export {
  type ClientErrorCode,
  EntryTooLargeError,
  EnvelopeError,
  EventTypeMismatchError,
  EventValidationError,
  ProducerClosedError,
  PublishError,
  SwitchyardClientError,
} from './errors.js';
export {
  defineEvent,
  type EntryOptions,
  type EventDefinition,
  type EventEnvelope,
  type EventInput,
  parseEnvelope,
  type ReceivedEvent,
} from './events.js';
export { type IdempotencyStore, MemoryIdempotencyStore, type MemoryIdempotencyStoreOptions } from './idempotency.js';
export {
  createProducer,
  entrySize,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  type Producer,
  type ProducerEvents,
  type ProducerOptions,
  type PublishRequest,
  type PublishResult,
  type PutEventsSender,
} from './producer.js';
export {
  type FailureLog,
  FailureLogError,
  type RecordedFailure,
  SwitchyardFailureLog,
  type SwitchyardFailureLogOptions,
} from './switchyard-failures.js';
export {
  IdempotencyStoreError,
  SwitchyardIdempotencyStore,
  type SwitchyardIdempotencyStoreOptions,
} from './switchyard-idempotency.js';
