// What the demo needs of the reference deployment (examples/ecommerce/switchyard.yaml), and the check at start that
// the server has it: the `commerce` bus, the rules that feed the consumed queues, and those queues with their
// dead-letter queues. Only public APIs (EventBridge and SQS), like everything in the demo.
import { DescribeEventBusCommand, type EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const COMMERCE_BUS = 'commerce';

/** The queues the demo consumes, each with its dead-letter queue. */
export const CONSUMED_QUEUES = ['orders.fifo', 'inventory', 'returns'] as const;
export type ConsumedQueue = (typeof CONSUMED_QUEUES)[number];

export const DEAD_LETTER_QUEUES: Readonly<Record<ConsumedQueue, string>> = {
  'orders.fifo': 'orders-dlq.fifo',
  inventory: 'inventory-dlq',
  returns: 'returns-dlq',
};

/** Queues the rules also route the demo's events to, which the demo only watches (their depth). */
export const WATCHED_QUEUES = ['key-accounts', 'cancellations', 'fraud-review'] as const;

/** Rules without which the consumed queues get nothing. */
export const REQUIRED_RULES = [
  'orders-amazon',
  'orders-zalando',
  'orders-other-marketplaces',
  'inventory-changes',
  'returns-to-queue',
] as const;

/** The rule whose target is the seller-sync webhook. */
export const WEBHOOK_RULE = 'low-stock-webhook';

export const START_HINT =
  'start the server with `npm start` (or `switchyard serve --config examples/ecommerce/switchyard.yaml`)';

/** The demo cannot run against this server: exit status 2. */
export class DemoSetupError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'DemoSetupError';
  }
}

export interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

export interface DemoTopology {
  queues: Record<ConsumedQueue, QueueRef>;
  deadLetterQueues: Record<ConsumedQueue, QueueRef>;
  /** The watched queues that exist (by name). */
  watched: QueueRef[];
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** Whether an SDK failure is the server not answering at all. */
export function isUnreachable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const e = error as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError') return true;
  const nested = [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return nested.some((inner) => isUnreachable(inner, depth + 1));
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return (
    name === 'ResourceNotFoundException' ||
    name === 'QueueDoesNotExist' ||
    name === 'AWS.SimpleQueueService.NonExistentQueue'
  );
}

async function queueRef(sqs: SQSClient, name: string): Promise<QueueRef | undefined> {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!QueueUrl) return undefined;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const arn = Attributes?.QueueArn;
    if (!arn) return undefined;
    return { name, url: QueueUrl, arn };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Finds the resources the demo uses; throws a DemoSetupError naming what is missing (or that the server does not
 * answer), with how to start a server that has them.
 */
export async function checkTopology(
  clients: { sqs: SQSClient; events: EventBridgeClient },
  endpoint: string,
): Promise<DemoTopology> {
  try {
    const missing: string[] = [];
    try {
      await clients.events.send(new DescribeEventBusCommand({ Name: COMMERCE_BUS }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      missing.push(`event bus ${COMMERCE_BUS}`);
    }
    if (missing.length === 0) {
      const rules = new Set<string>();
      let NextToken: string | undefined;
      do {
        const page = await clients.events.send(new ListRulesCommand({ EventBusName: COMMERCE_BUS, NextToken }));
        for (const rule of page.Rules ?? []) if (rule.Name) rules.add(rule.Name);
        NextToken = page.NextToken;
      } while (NextToken);
      const absent = REQUIRED_RULES.filter((r) => !rules.has(r));
      if (absent.length > 0) missing.push(`rule${absent.length > 1 ? 's' : ''} ${absent.join(', ')}`);
    }
    const queues: Partial<Record<ConsumedQueue, QueueRef>> = {};
    const deadLetterQueues: Partial<Record<ConsumedQueue, QueueRef>> = {};
    const absentQueues: string[] = [];
    for (const name of CONSUMED_QUEUES) {
      const queue = await queueRef(clients.sqs, name);
      const dlq = await queueRef(clients.sqs, DEAD_LETTER_QUEUES[name]);
      if (queue) queues[name] = queue;
      else absentQueues.push(name);
      if (dlq) deadLetterQueues[name] = dlq;
      else absentQueues.push(DEAD_LETTER_QUEUES[name]);
    }
    if (absentQueues.length > 0) missing.push(`queue${absentQueues.length > 1 ? 's' : ''} ${absentQueues.join(', ')}`);
    if (missing.length > 0) {
      throw new DemoSetupError(
        `the reference deployment is not on ${endpoint} (missing: ${missing.join('; ')}): ${START_HINT}`,
      );
    }
    const watched: QueueRef[] = [];
    for (const name of WATCHED_QUEUES) {
      const ref = await queueRef(clients.sqs, name);
      if (ref) watched.push(ref);
    }
    return {
      queues: queues as Record<ConsumedQueue, QueueRef>,
      deadLetterQueues: deadLetterQueues as Record<ConsumedQueue, QueueRef>,
      watched,
    };
  } catch (error) {
    if (error instanceof DemoSetupError) throw error;
    if (isUnreachable(error)) throw new DemoSetupError(`cannot reach ${endpoint}: ${START_HINT}`);
    throw error;
  }
}
