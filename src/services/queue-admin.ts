import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AwsError, invalidParameter, missingParameter, queueDoesNotExist } from '../core/errors.js';
import { FAILURE_LIMITS } from '../core/limits.js';
import { md5OfBody } from '../core/md5.js';
import type { MessageAttributes } from '../core/message.js';
import {
  decodePeekCursor,
  encodePeekCursor,
  type MessageVisibilityState,
  messageVisibilityState,
  targetFailureOf,
} from '../core/message-admin.js';
import { checkMoveDestination, moveDestinationProblem } from '../core/move-tasks.js';
import { queueArn } from '../core/names.js';
import { MESSAGE_SYSTEM_ATTRIBUTE_NAMES, renderSystemAttributes } from '../core/receive-rules.js';
import type { MessageFailureRecord, NewMessageFailure, QueueRecord, Store, StoredMessage } from '../store/types.js';
import { ExpirySweep } from './background-loop.js';
import { moveEnd } from './move-task-service.js';
import type { RequestContext } from './sqs-api.js';
import type { WakeupSignal } from './wakeups.js';

/** Messages one peek returns at most, and by default. */
export const MAX_PEEK_MESSAGES = 100;
export const DEFAULT_PEEK_MESSAGES = 50;
/** Message ids one delete or move by id takes at most. */
export const MAX_ADMIN_MESSAGE_IDS = 1000;

export interface PeekMessagesInput {
  queueName: string;
  /** 1 to 100. @defaultValue 50 */
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  after?: string | undefined;
}

/** A message's system attributes, as ReceiveMessage returns them with `AttributeNames: ['All']` (strings). */
export type PeekedMessageAttributes = {
  SenderId: string;
  SentTimestamp: string;
  ApproximateReceiveCount: string;
  ApproximateFirstReceiveTimestamp?: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  SequenceNumber?: string;
  DeadLetterQueueSourceArn?: string;
  AWSTraceHeader?: string;
};

/**
 * Why a message failed, when that is known: `target` when EventBridge dead-lettered it (from the ERROR_CODE,
 * ERROR_MESSAGE, RULE_ARN and TARGET_ARN attributes it adds), `consumer` when a consumer recorded its handler's
 * failure through the SwitchyardFailures API (with when the last one was and how many there were). A message with
 * both shows the consumer's, the later of the two; the target's stays in `messageAttributes`.
 */
export interface PeekedMessageFailure {
  source: 'target' | 'consumer';
  code?: string;
  message: string;
  at?: number;
  count?: number;
  ruleArn?: string;
  targetArn?: string;
}

export interface PeekedMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  /** Every message attribute, as ReceiveMessage returns MessageAttributes. */
  messageAttributes: MessageAttributes;
  attributes: PeekedMessageAttributes;
  /** When it was last received, epoch ms; null if never. */
  lastReceivedAt: number | null;
  /** When it is (or was) visible, epoch ms. */
  visibleAt: number;
  state: MessageVisibilityState;
  failure?: PeekedMessageFailure;
  /** The EventBridge event the message was born from, when it came from a rule. */
  eventId?: string;
}

export interface PeekMessagesOutput {
  /** In send order. */
  messages: PeekedMessage[];
  /** Present when more messages may follow: pass it as `after` for the next page. */
  nextCursor?: string;
}

export interface DeleteMessagesByIdInput {
  queueName: string;
  /** 1 to 1000 ids. */
  messageIds: readonly string[];
}

export interface DeleteMessagesByIdOutput {
  deleted: string[];
  /** Ids of no message of the queue (gone already, say). */
  notFound: string[];
}

export interface MoveMessagesByIdInput {
  queueName: string;
  /** 1 to 1000 ids. */
  messageIds: readonly string[];
  /** Where every message goes; without it, each goes back to the queue named by its DeadLetterQueueSourceArn. */
  destinationQueueName?: string | undefined;
}

export interface MoveMessagesByIdOutput {
  /** Each moved message with its new id and the name of the queue it is now in. */
  moved: { messageId: string; newMessageId: string; destination: string }[];
  notFound: string[];
  /**
   * Messages left where they are, having no destination: no DeadLetterQueueSourceArn, or its queue is gone (or is
   * this queue, or of the other type).
   */
  noDestination: string[];
}

/** The SwitchyardFailures API's RecordFailures input; every member is checked here, whatever the wire gave. */
export interface RecordMessageFailuresInput {
  QueueUrl?: string | undefined;
  Entries?: readonly {
    MessageId?: string | undefined;
    ErrorCode?: string | undefined;
    ErrorMessage?: string | undefined;
  }[];
}

export interface QueueAdminOptions {
  store: Store;
  clock: Clock;
  wakeups: WakeupSignal;
  /** Resolves a QueueUrl as the SQS actions do (MissingParameter, InvalidParameterValue, QueueDoesNotExist). */
  resolveQueueUrl: (ctx: RequestContext, queueUrl: string | undefined) => Promise<QueueRecord>;
  /** How often expired failure records are removed, in ms. @defaultValue 60000 */
  sweepMs?: number | undefined;
  /** Most records one sweep transaction removes; a full batch is followed by another at once. @defaultValue 1000 */
  sweepBatch?: number | undefined;
  /** Told of a sweep that failed (it is tried again at the next tick). @defaultValue none */
  onError?: ((error: unknown) => void) | undefined;
}

const ALL_SYSTEM_ATTRIBUTES: ReadonlySet<string> = new Set(MESSAGE_SYSTEM_ATTRIBUTE_NAMES);

const invalid = (message: string) => new AwsError('Validation', message);

/** The distinct ids of a delete or move by id: 1 to 1000 non-empty strings of at most 100 characters. */
function checkMessageIds(ids: readonly string[] | undefined): string[] {
  if (ids === undefined) throw missingParameter('messageIds');
  const given = Array.isArray(ids) ? `[${ids.length} ids]` : typeof ids;
  const reject = (reason: string) => invalidParameter('messageIds', given, reason);
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_ADMIN_MESSAGE_IDS) {
    throw reject(`Give a list of 1 to ${MAX_ADMIN_MESSAGE_IDS} message ids.`);
  }
  for (const id of ids) {
    if (typeof id !== 'string' || id === '' || id.length > FAILURE_LIMITS.maxMessageIdLength) {
      throw reject(`A message id is a string of 1 to ${FAILURE_LIMITS.maxMessageIdLength} characters.`);
    }
  }
  return [...new Set(ids)];
}

/** RecordFailures entries, checked: 1 to 100, each with a MessageId and an ErrorMessage within their lengths. */
function checkFailureEntries(entries: RecordMessageFailuresInput['Entries']): Omit<NewMessageFailure, 'queueName'>[] {
  const { maxEntriesPerRequest, maxMessageIdLength, maxErrorCodeLength, maxErrorMessageLength } = FAILURE_LIMITS;
  if (entries === undefined) {
    throw invalid(`The request must contain Entries, a list of 1 to ${maxEntriesPerRequest} failures.`);
  }
  if (entries.length < 1 || entries.length > maxEntriesPerRequest) {
    throw invalid(`Entries must hold between 1 and ${maxEntriesPerRequest} failures; it holds ${entries.length}.`);
  }
  return entries.map((entry, i) => {
    const { MessageId, ErrorCode, ErrorMessage } = entry;
    if (MessageId === undefined || MessageId === '') throw invalid(`Entries[${i}].MessageId is missing or empty.`);
    if (MessageId.length > maxMessageIdLength) {
      throw invalid(
        `Entries[${i}].MessageId is ${MessageId.length} characters long; a message id is at most ${maxMessageIdLength}.`,
      );
    }
    if (ErrorCode !== undefined && ErrorCode.length > maxErrorCodeLength) {
      throw invalid(
        `Entries[${i}].ErrorCode is ${ErrorCode.length} characters long; an error code is at most ${maxErrorCodeLength}.`,
      );
    }
    if (ErrorMessage === undefined) throw invalid(`Entries[${i}].ErrorMessage is missing.`);
    if (ErrorMessage.length > maxErrorMessageLength) {
      throw invalid(
        `Entries[${i}].ErrorMessage is ${ErrorMessage.length} characters long; an error message is at most ${maxErrorMessageLength}.`,
      );
    }
    return { messageId: MessageId, code: ErrorCode === '' ? undefined : ErrorCode, message: ErrorMessage };
  });
}

function failureOf(
  message: StoredMessage,
  recorded: MessageFailureRecord | undefined,
): PeekedMessageFailure | undefined {
  if (recorded) {
    return {
      source: 'consumer',
      ...(recorded.code !== undefined ? { code: recorded.code } : {}),
      message: recorded.message,
      at: recorded.at,
      count: recorded.count,
    };
  }
  const target = targetFailureOf(message.attributes);
  if (!target) return undefined;
  return {
    source: 'target',
    ...(target.code !== undefined ? { code: target.code } : {}),
    message: target.message,
    ...(target.ruleArn !== undefined ? { ruleArn: target.ruleArn } : {}),
    ...(target.targetArn !== undefined ? { targetArn: target.targetArn } : {}),
  };
}

/**
 * The operators' side of queues, which SQS has no API for (the console calls it through QueueService): peeking at
 * messages without receiving them, deleting and moving them by id, and the consumers' failure records
 * (SwitchyardFailures) that explain why a message is in a dead-letter queue, with their expiry sweep.
 */
export class QueueAdmin {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly wakeups: WakeupSignal;
  private readonly resolveQueueUrl: QueueAdminOptions['resolveQueueUrl'];
  private readonly sweepBatch: number;
  private readonly sweeper: ExpirySweep;

  constructor(options: QueueAdminOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.wakeups = options.wakeups;
    this.resolveQueueUrl = options.resolveQueueUrl;
    this.sweepBatch = options.sweepBatch ?? 1000;
    this.sweeper = new ExpirySweep(
      () => this.sweepExpiredFailures(),
      this.sweepBatch,
      options.sweepMs ?? 60_000,
      options.onError,
    );
  }

  private async queueNamed(ctx: RequestContext, name: string | undefined, parameter: string): Promise<QueueRecord> {
    if (typeof name !== 'string' || name === '') throw missingParameter(parameter);
    const queue = await this.store.getQueue(ctx.accountId, name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  /**
   * A page of the queue's messages in send order, whatever their state, with why they failed when that is known.
   * Nothing changes: a peeked message is received, counted and timed as if nobody had looked.
   */
  async peekMessages(ctx: RequestContext, input: PeekMessagesInput): Promise<PeekMessagesOutput> {
    const queue = await this.queueNamed(ctx, input.queueName, 'queueName');
    const limit = input.limit ?? DEFAULT_PEEK_MESSAGES;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PEEK_MESSAGES) {
      throw invalidParameter('limit', limit, `Must be an integer from 1 to ${MAX_PEEK_MESSAGES}.`);
    }
    const after = input.after === undefined || input.after === '' ? undefined : decodePeekCursor(input.after);
    // One more than asked tells whether a next page exists without a cursor that leads nowhere.
    const rows = await this.store.peekMessages(queue.id, { after, limit: limit + 1 });
    const shown = rows.slice(0, limit);
    const failures =
      shown.length > 0
        ? await this.store.messageFailures(
            queue.accountId,
            shown.map((m) => m.messageId),
          )
        : new Map<string, MessageFailureRecord>();
    const now = this.clock.now();
    const last = shown[shown.length - 1];
    return {
      messages: shown.map((m) => this.peeked(m, failures.get(m.messageId), now)),
      ...(rows.length > limit && last ? { nextCursor: encodePeekCursor({ sentAt: last.sentAt, seq: last.seq }) } : {}),
    };
  }

  private peeked(m: StoredMessage, recorded: MessageFailureRecord | undefined, now: number): PeekedMessage {
    const failure = failureOf(m, recorded);
    return {
      messageId: m.messageId,
      body: m.body,
      md5OfBody: md5OfBody(m.body),
      messageAttributes: m.attributes,
      // renderSystemAttributes always gives the three required ones when all are wanted.
      attributes: renderSystemAttributes(m, ALL_SYSTEM_ATTRIBUTES) as PeekedMessageAttributes,
      lastReceivedAt: m.receivedAt,
      visibleAt: m.visibleAt,
      state: messageVisibilityState(m, now),
      ...(failure ? { failure } : {}),
      ...(m.eventId !== undefined ? { eventId: m.eventId } : {}),
    };
  }

  /** Deletes the messages of these ids, in flight or not (receipt handles held for them stop working). */
  async deleteMessagesById(ctx: RequestContext, input: DeleteMessagesByIdInput): Promise<DeleteMessagesByIdOutput> {
    const queue = await this.queueNamed(ctx, input.queueName, 'queueName');
    const ids = checkMessageIds(input.messageIds);
    const deleted = await this.store.deleteMessagesById(queue.id, ids, this.clock.now());
    // A FIFO message deleted in flight unlocks its group for a waiting long poll.
    if (deleted.length > 0 && queue.attributes.FifoQueue === 'true') this.wakeups.notify(queue.id);
    const gone = new Set(deleted);
    return { deleted, notFound: ids.filter((id) => !gone.has(id)) };
  }

  /**
   * Moves the messages of these ids, in flight or not, as a redrive (StartMessageMoveTask) moves them: each becomes a
   * new message, with a new id, at the end of its destination. The destination is `destinationQueueName`, checked as
   * StartMessageMoveTask checks its DestinationArn (another queue of the same type), or else each message's
   * dead-letter source queue.
   */
  async moveMessagesById(ctx: RequestContext, input: MoveMessagesByIdInput): Promise<MoveMessagesByIdOutput> {
    const source = await this.queueNamed(ctx, input.queueName, 'queueName');
    const ids = checkMessageIds(input.messageIds);
    const names = new Map<number, string>();
    let destinationFor: (deadLetterSourceArn: string | undefined) => number | 'missing';
    if (input.destinationQueueName !== undefined) {
      const destination = await this.queueNamed(ctx, input.destinationQueueName, 'destinationQueueName');
      checkMoveDestination(moveEnd(source), moveEnd(destination));
      names.set(destination.id, destination.name);
      destinationFor = () => destination.id;
    } else {
      const byArn = new Map<string, QueueRecord>();
      for (const queue of await this.store.allQueues()) {
        if (queue.accountId === source.accountId) byArn.set(queueArn(ctx.region, queue.accountId, queue.name), queue);
      }
      destinationFor = (arn) => {
        const queue = arn === undefined ? undefined : byArn.get(arn);
        if (!queue || moveDestinationProblem(moveEnd(source), moveEnd(queue)) !== undefined) return 'missing';
        names.set(queue.id, queue.name);
        return queue.id;
      };
    }
    const result = await this.store.moveMessagesById({
      sourceQueueId: source.id,
      messageIds: ids,
      now: this.clock.now(),
      newMessageId: randomUUID,
      destinationFor,
    });
    // As the move-task worker does; and a FIFO message moved out in flight unlocks its group in the source.
    for (const queueId of result.destinations) this.wakeups.notify(queueId);
    if (result.moved.length > 0 && source.attributes.FifoQueue === 'true') this.wakeups.notify(source.id);
    return {
      moved: result.moved.map((m) => ({
        messageId: m.messageId,
        newMessageId: m.newMessageId,
        destination: names.get(m.destinationQueueId) ?? String(m.destinationQueueId),
      })),
      notFound: result.notFound,
      noDestination: result.noDestination,
    };
  }

  /**
   * The SwitchyardFailures API's RecordFailures: a consumer's handler failed on these messages of the queue. Each is
   * kept, the last failure with a count, for 14 days after its last failure (the longest an SQS message can live).
   */
  async recordMessageFailures(ctx: RequestContext, input: RecordMessageFailuresInput): Promise<Record<string, never>> {
    const entries = checkFailureEntries(input.Entries);
    const queue = await this.resolveQueueUrl(ctx, input.QueueUrl);
    await this.store.recordMessageFailures(
      queue.accountId,
      entries.map((entry) => ({ ...entry, queueName: queue.name })),
      this.clock.now(),
    );
    return {};
  }

  /** Removes up to one batch of failure records past their 14 days; returns how many. */
  sweepExpiredFailures(): Promise<number> {
    return this.store.expireMessageFailures(this.clock.now() - FAILURE_LIMITS.retentionMs, this.sweepBatch);
  }

  /** Starts the periodic expiry sweep of failure records. */
  start(): void {
    this.sweeper.start();
  }

  /** Stops the sweep, waiting for the one under way. */
  stop(): Promise<void> {
    return this.sweeper.stop();
  }
}
