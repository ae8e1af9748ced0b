import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { AwsError, invalidParameter, isAwsError, missingParameter, queueDoesNotExist } from '../core/errors.js';
import {
  checkFifoAttributeConsistency,
  DEDUP_WINDOW_MS,
  FIFO_DEFAULT_ATTRIBUTES,
  type FifoIdentity,
  fifoIdentity,
  formatSequenceNumber,
} from '../core/fifo-rules.js';
import type { Limits } from '../core/limits.js';
import { md5OfBody, md5OfMessageAttributes } from '../core/md5.js';
import { attributesSize, validateOutgoingMessage } from '../core/message.js';
import {
  isValidAccountId,
  isValidBatchEntryId,
  parseQueueArn,
  parseQueueUrlPath,
  queueArn,
  validateQueueName,
} from '../core/names.js';
import {
  defaultQueueAttributes,
  firstDifferingAttribute,
  integerAttribute,
  mergeQueueAttributes,
  type QueueAttributeValues,
  redriveAllowed,
  redriveAllowPolicyOf,
  redrivePolicyOf,
  resolveRequestedAttributes,
  validateQueueAttributes,
} from '../core/queue-attributes.js';
import { addPolicyStatement, removePolicyStatement } from '../core/queue-policy.js';
import {
  decodeReceiptHandle,
  encodeReceiptHandle,
  invalidReceiptHandle,
  newReceiptToken,
} from '../core/receipt-handle.js';
import {
  decideClaim,
  decideVisibilityChange,
  renderSystemAttributes,
  resolveReceiveParams,
  resolveSystemAttributeNames,
  selectMessageAttributes,
  staleHandleForVisibility,
} from '../core/receive-rules.js';
import { validateTagKeys, validateTags } from '../core/tags.js';
import type { AppendResult, NewMessage, QueueRecord, Store } from '../store/types.js';
import type { QueueActivity } from './queue-activity.js';
import {
  type DeleteMessagesByIdInput,
  type DeleteMessagesByIdOutput,
  type MoveMessagesByIdInput,
  type MoveMessagesByIdOutput,
  type PeekMessagesInput,
  type PeekMessagesOutput,
  QueueAdmin,
  type QueueAdminOptions,
  type RecordMessageFailuresInput,
} from './queue-admin.js';
import type {
  AddPermissionInput,
  BatchOutput,
  BatchResultErrorEntry,
  ChangeMessageVisibilityBatchInput,
  ChangeMessageVisibilityInput,
  CreateQueueInput,
  DeleteMessageBatchInput,
  DeleteMessageInput,
  GetQueueAttributesInput,
  GetQueueUrlInput,
  ListDeadLetterSourceQueuesInput,
  ListQueuesInput,
  MessageFields,
  QueueUrlInput,
  ReceivedMessage,
  ReceiveMessageInput,
  RemovePermissionInput,
  RequestContext,
  SendMessageBatchInput,
  SendMessageInput,
  SendMessageOutput,
  SetQueueAttributesInput,
  TagQueueInput,
  UntagQueueInput,
} from './sqs-api.js';
import type { WakeupSignal } from './wakeups.js';

export interface QueueServiceOptions {
  store: Store;
  clock: Clock;
  limits: Limits;
  wakeups: WakeupSignal;
  /** Told of sends, receives and deletes once committed. @defaultValue none */
  activity?: QueueActivity | undefined;
  /** The expiry sweep of consumer-recorded failures (see QueueAdmin). @defaultValue QueueAdmin's defaults */
  failureSweep?: Pick<QueueAdminOptions, 'sweepMs' | 'sweepBatch' | 'onError'> | undefined;
}

export interface QueueOverview {
  name: string;
  url: string;
  arn: string;
  fifo: boolean;
  visible: number;
  inFlight: number;
  delayed: number;
  /** Seconds since the oldest message still in the queue was sent; null when empty. */
  oldestMessageAgeSeconds: number | null;
  /** Name (or ARN, if it is gone) of this queue's dead-letter queue. */
  deadLetterQueue: string | null;
  maxReceiveCount: number | null;
  /** Queues that dead-letter into this one. */
  deadLetterSources: string[];
}

const isFifo = (queue: Pick<QueueRecord, 'attributes'>): boolean => queue.attributes.FifoQueue === 'true';

/**
 * The SQS application service: resolves queues, asks `core` for every decision and applies them through
 * the store. Both the AWS protocols and the console call it, so no rule lives twice.
 */
export class QueueService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly limits: Limits;
  private readonly wakeups: WakeupSignal;
  private readonly activity: QueueActivity | undefined;
  /** The operators' side (peek, delete and move by id, failure records); its sweep is started by the runtime. */
  readonly admin: QueueAdmin;
  private stopping = false;

  constructor(options: QueueServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.limits = options.limits;
    this.wakeups = options.wakeups;
    this.activity = options.activity;
    this.admin = new QueueAdmin({
      store: this.store,
      clock: this.clock,
      wakeups: this.wakeups,
      resolveQueueUrl: (ctx, queueUrl) => this.resolveQueue(ctx, queueUrl),
      ...options.failureSweep,
    });
  }

  /** Ends every pending long poll with an empty answer and makes new ones return at once. */
  stop(): void {
    this.stopping = true;
    this.wakeups.close();
  }

  queueUrl(ctx: RequestContext, queue: Pick<QueueRecord, 'accountId' | 'name'>): string {
    return `${ctx.baseUrl}/${queue.accountId}/${queue.name}`;
  }

  queueArn(ctx: RequestContext, queue: Pick<QueueRecord, 'accountId' | 'name'>): string {
    return queueArn(ctx.region, queue.accountId, queue.name);
  }

  async resolveQueue(_ctx: RequestContext, queueUrl: string | undefined): Promise<QueueRecord> {
    if (queueUrl === undefined || queueUrl === '') throw missingParameter('QueueUrl');
    const parsed = parseQueueUrlPath(queueUrl);
    if (!parsed) throw invalidParameter('QueueUrl', queueUrl, 'The queue URL is not valid.');
    const queue = await this.store.getQueue(parsed.accountId, parsed.name);
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  // ---- queues ------------------------------------------------------------------------------------

  async createQueue(ctx: RequestContext, input: CreateQueueInput): Promise<{ QueueUrl: string }> {
    const name = input.QueueName;
    if (name === undefined || name === '') throw missingParameter('QueueName');
    // The FifoQueue attribute makes a FIFO queue; its name must then end in .fifo, and only then.
    const fifo = input.Attributes?.FifoQueue?.toLowerCase() === 'true';
    validateQueueName(name, fifo);
    const requested = validateQueueAttributes(input.Attributes ?? {}, this.limits, { fifo, creating: true });
    if (fifo) checkFifoAttributeConsistency({ ...FIFO_DEFAULT_ATTRIBUTES, ...requested });
    const tags = input.tags ?? {};
    validateTags(tags, this.limits.maxTagsPerQueue);
    await this.checkRedriveTarget(ctx, { accountId: ctx.accountId, name }, requested, fifo);

    const now = this.clock.now();
    const existing = await this.store.getQueue(ctx.accountId, name);
    if (!existing) {
      const deletedAt = await this.store.lastDeletedAt(ctx.accountId, name);
      if (deletedAt !== undefined && now - deletedAt < this.limits.queueDeleteCooldownSeconds * 1000) {
        throw new AwsError(
          'QueueDeletedRecently',
          `You must wait ${this.limits.queueDeleteCooldownSeconds} seconds after deleting a queue before you can create another with the same name.`,
        );
      }
    }
    const defaults = defaultQueueAttributes(this.limits);
    const attributes = mergeQueueAttributes(fifo ? { ...defaults, ...FIFO_DEFAULT_ATTRIBUTES } : defaults, requested);
    const { queue, created } = await this.store.createQueue({ accountId: ctx.accountId, name, attributes, tags, now });
    if (!created) {
      const differing = firstDifferingAttribute(queue.attributes, requested);
      if (differing) {
        throw new AwsError(
          'QueueNameExists',
          `A queue already exists with the same name and a different value for attribute ${differing}`,
        );
      }
    }
    return { QueueUrl: this.queueUrl(ctx, queue) };
  }

  async getQueueUrl(ctx: RequestContext, input: GetQueueUrlInput): Promise<{ QueueUrl: string }> {
    if (input.QueueName === undefined || input.QueueName === '') throw missingParameter('QueueName');
    const accountId = input.QueueOwnerAWSAccountId ?? ctx.accountId;
    if (!isValidAccountId(accountId))
      throw invalidParameter('QueueOwnerAWSAccountId', accountId, 'Must be a 12-digit account id.');
    const queue = await this.store.getQueue(accountId, input.QueueName);
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: this.queueUrl(ctx, queue) };
  }

  async listQueues(ctx: RequestContext, input: ListQueuesInput): Promise<{ QueueUrls?: string[]; NextToken?: string }> {
    const page = await this.page(input, (options) =>
      this.store.listQueues(ctx.accountId, { ...options, prefix: input.QueueNamePrefix ?? '' }),
    );
    return {
      ...(page.items.length > 0 ? { QueueUrls: page.items.map((q) => this.queueUrl(ctx, q)) } : {}),
      ...(page.next ? { NextToken: page.next } : {}),
    };
  }

  async listDeadLetterSourceQueues(
    ctx: RequestContext,
    input: ListDeadLetterSourceQueuesInput,
  ): Promise<{ queueUrls: string[]; NextToken?: string }> {
    const dlq = await this.resolveQueue(ctx, input.QueueUrl);
    const arn = this.queueArn(ctx, dlq);
    const page = await this.page(input, async ({ afterName, limit }) => {
      const sources: QueueRecord[] = [];
      let after = afterName;
      // Scan in name order, keeping queues whose redrive policy names this DLQ.
      for (;;) {
        const chunk = await this.store.listQueues(dlq.accountId, { afterName: after, limit: 500 });
        for (const q of chunk) {
          if (redrivePolicyOf(q.attributes)?.deadLetterTargetArn === arn) sources.push(q);
          if (sources.length >= limit) return sources;
        }
        if (chunk.length < 500) return sources;
        after = chunk[chunk.length - 1]?.name ?? after;
      }
    });
    return { queueUrls: page.items.map((q) => this.queueUrl(ctx, q)), ...(page.next ? { NextToken: page.next } : {}) };
  }

  /** Paging as ListQueues does it: up to 1000 results, a NextToken only when MaxResults was given. */
  private async page(
    input: { MaxResults?: number | undefined; NextToken?: string | undefined },
    fetch: (options: { afterName: string; limit: number }) => Promise<QueueRecord[]>,
  ): Promise<{ items: QueueRecord[]; next?: string }> {
    const max = input.MaxResults;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw invalidParameter('MaxResults', max, 'MaxResults must be an integer between 1 and 1000.');
    }
    let afterName = '';
    if (input.NextToken !== undefined && input.NextToken !== '') {
      try {
        const decoded = JSON.parse(Buffer.from(input.NextToken, 'base64').toString('utf8')) as { after?: unknown };
        if (typeof decoded.after !== 'string') throw new Error('bad token');
        afterName = decoded.after;
      } catch {
        throw invalidParameter('NextToken', input.NextToken, 'Invalid NextToken value.');
      }
    }
    const limit = max ?? 1000;
    const items = await fetch({ afterName, limit: limit + 1 });
    const more = items.length > limit;
    const shown = items.slice(0, limit);
    const last = shown[shown.length - 1];
    if (max !== undefined && more && last) {
      return { items: shown, next: Buffer.from(JSON.stringify({ after: last.name }), 'utf8').toString('base64') };
    }
    return { items: shown };
  }

  async deleteQueue(ctx: RequestContext, input: QueueUrlInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    await this.store.deleteQueue(queue.id, this.clock.now());
    this.wakeups.notify(queue.id);
  }

  /**
   * Every queue of the caller's account with its depth, for operators (the CLI's `queues`, the console):
   * what GetQueueAttributes gives plus the age of the oldest message and the dead-letter links both ways.
   */
  async describeQueues(ctx: RequestContext): Promise<QueueOverview[]> {
    const now = this.clock.now();
    const queues = (await this.store.allQueues()).filter((q) => q.accountId === ctx.accountId);
    const nameByArn = new Map(queues.map((q) => [this.queueArn(ctx, q), q.name]));
    const overviews: QueueOverview[] = [];
    for (const queue of queues) {
      const counts = await this.store.counts(queue.id, now);
      const policy = redrivePolicyOf(queue.attributes);
      const arn = this.queueArn(ctx, queue);
      overviews.push({
        name: queue.name,
        url: this.queueUrl(ctx, queue),
        arn,
        fifo: isFifo(queue),
        visible: counts.visible,
        inFlight: counts.inFlight,
        delayed: counts.delayed,
        oldestMessageAgeSeconds:
          counts.oldestSentAt === null ? null : Math.max(0, Math.floor((now - counts.oldestSentAt) / 1000)),
        deadLetterQueue: policy ? (nameByArn.get(policy.deadLetterTargetArn) ?? policy.deadLetterTargetArn) : null,
        maxReceiveCount: policy?.maxReceiveCount ?? null,
        deadLetterSources: queues
          .filter((q) => redrivePolicyOf(q.attributes)?.deadLetterTargetArn === arn)
          .map((q) => q.name),
      });
    }
    return overviews;
  }

  async getQueueAttributes(
    ctx: RequestContext,
    input: GetQueueAttributesInput,
  ): Promise<{ Attributes?: Record<string, string> }> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    const wanted = resolveRequestedAttributes(input.AttributeNames);
    if (wanted.size === 0) return {};
    const values: Record<string, string | undefined> = {
      ...queue.attributes,
      QueueArn: this.queueArn(ctx, queue),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.lastModifiedAt / 1000)),
    };
    if (
      [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ].some((n) => wanted.has(n))
    ) {
      const counts = await this.store.counts(queue.id, this.clock.now());
      values.ApproximateNumberOfMessages = String(counts.visible);
      values.ApproximateNumberOfMessagesNotVisible = String(counts.inFlight);
      values.ApproximateNumberOfMessagesDelayed = String(counts.delayed);
    }
    const Attributes: Record<string, string> = {};
    for (const name of wanted) {
      const value = values[name];
      if (value !== undefined && value !== '') Attributes[name] = value;
    }
    return { Attributes };
  }

  async setQueueAttributes(ctx: RequestContext, input: SetQueueAttributesInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    if (input.Attributes === undefined) throw missingParameter('Attributes');
    const fifo = isFifo(queue);
    const changes = validateQueueAttributes(input.Attributes, this.limits, { fifo, creating: false });
    await this.checkRedriveTarget(ctx, queue, changes, fifo);
    const attributes = mergeQueueAttributes(queue.attributes, changes);
    if (fifo) checkFifoAttributeConsistency(attributes);
    await this.store.updateQueue(queue.id, { attributes, now: this.clock.now() });
    // AWS: a FIFO queue's delay is retroactive, a standard queue's applies to new messages only.
    if (fifo && changes.DelaySeconds !== undefined && changes.DelaySeconds !== queue.attributes.DelaySeconds) {
      await this.store.redelayUnreceived(queue.id, Number(changes.DelaySeconds) * 1000);
    }
    // A shorter wait or a changed delay can change what a parked long poll should do.
    this.wakeups.notify(queue.id);
  }

  /** A redrive policy must name an existing queue of the source's type that allows this source. */
  private async checkRedriveTarget(
    ctx: RequestContext,
    source: Pick<QueueRecord, 'accountId' | 'name'>,
    changes: QueueAttributeValues,
    sourceIsFifo: boolean,
  ): Promise<void> {
    const policy = changes.RedrivePolicy ? redrivePolicyOf(changes) : undefined;
    if (!policy) return;
    const reject = (reason: string) => invalidParameter('RedrivePolicy', changes.RedrivePolicy, reason);
    const arn = parseQueueArn(policy.deadLetterTargetArn);
    const target = arn && (await this.store.getQueue(arn.accountId, arn.name));
    if (!arn || !target || arn.region !== ctx.region) throw reject('Dead letter target does not exist.');
    if (isFifo(target) !== sourceIsFifo) throw reject('Dead-letter queue must be same type of queue as the source.');
    if (!redriveAllowed(redriveAllowPolicyOf(target.attributes), this.queueArn(ctx, source))) {
      throw reject('Dead letter target does not allow this queue as a source (RedriveAllowPolicy).');
    }
  }

  async tagQueue(ctx: RequestContext, input: TagQueueInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    if (input.Tags === undefined) throw missingParameter('Tags');
    validateTags(input.Tags, this.limits.maxTagsPerQueue);
    const tags = { ...queue.tags, ...input.Tags };
    if (Object.keys(tags).length > this.limits.maxTagsPerQueue) {
      throw new AwsError('InvalidParameterValue', `Too many tags added for queue ${queue.name}.`);
    }
    await this.store.updateQueue(queue.id, { tags, now: this.clock.now() });
  }

  async untagQueue(ctx: RequestContext, input: UntagQueueInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    if (input.TagKeys === undefined) throw missingParameter('TagKeys');
    validateTagKeys(input.TagKeys);
    const tags = { ...queue.tags };
    for (const key of input.TagKeys) delete tags[key];
    await this.store.updateQueue(queue.id, { tags, now: this.clock.now() });
  }

  async listQueueTags(ctx: RequestContext, input: QueueUrlInput): Promise<{ Tags?: Record<string, string> }> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    return Object.keys(queue.tags).length > 0 ? { Tags: queue.tags } : {};
  }

  /** Adds a statement to the queue's `Policy`, as AWS's AddPermission generates it. */
  async addPermission(ctx: RequestContext, input: AddPermissionInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    if (!input.Label) throw missingParameter('Label');
    if (!input.AWSAccountIds || input.AWSAccountIds.length === 0) throw missingParameter('AWSAccountId');
    if (!input.Actions || input.Actions.length === 0) throw missingParameter('ActionName');
    const arn = this.queueArn(ctx, queue);
    const policy = addPolicyStatement(queue.attributes.Policy, arn, input.Label, input.AWSAccountIds, input.Actions);
    await this.store.updateQueue(queue.id, {
      attributes: { ...queue.attributes, Policy: policy },
      now: this.clock.now(),
    });
  }

  async removePermission(ctx: RequestContext, input: RemovePermissionInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    if (!input.Label) throw missingParameter('Label');
    const policy = removePolicyStatement(queue.attributes.Policy, input.Label);
    const attributes = { ...queue.attributes };
    if (policy === undefined) delete attributes.Policy;
    else attributes.Policy = policy;
    await this.store.updateQueue(queue.id, { attributes, now: this.clock.now() });
  }

  async purgeQueue(ctx: RequestContext, input: QueueUrlInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    const now = this.clock.now();
    if (queue.lastPurgedAt !== null && now - queue.lastPurgedAt < this.limits.purgeCooldownSeconds * 1000) {
      throw new AwsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${queue.name} is allowed every ${this.limits.purgeCooldownSeconds} seconds.`,
      );
    }
    await this.store.purgeQueue(queue.id, now);
  }

  // ---- messages ----------------------------------------------------------------------------------

  async sendMessage(ctx: RequestContext, input: SendMessageInput): Promise<SendMessageOutput> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    const prepared = this.prepareMessage(ctx, queue, input, 'single');
    const [appended] = await this.store.appendMessages(queue.id, [prepared.stored]);
    this.activity?.sent(queue, [{ bytes: storedSize(prepared.stored), duplicate: appended?.duplicate === true }]);
    // One new message can serve one receive: waking every parked poll would have the rest find nothing.
    this.wakeups.notify(queue.id, 1);
    return completeSendOutput(prepared.output, appended);
  }

  async sendMessageBatch(
    ctx: RequestContext,
    input: SendMessageBatchInput,
  ): Promise<BatchOutput<SendMessageOutput & { Id: string }>> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    this.checkBatchEnvelope(input.Entries, 'SendMessageBatchRequestEntry');
    const total = input.Entries.reduce(
      (sum, e) => sum + Buffer.byteLength(e.MessageBody ?? '', 'utf8') + attributesSize(e.MessageAttributes),
      0,
    );
    if (total > this.limits.maxBatchBytes) {
      throw new AwsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${this.limits.maxBatchBytes} bytes. You have sent ${total} bytes.`,
      );
    }
    const accepted: { Id: string; output: SendMessageOutput; stored: NewMessage }[] = [];
    const Failed: BatchResultErrorEntry[] = [];
    for (const entry of input.Entries) {
      try {
        accepted.push({ Id: entry.Id, ...this.prepareMessage(ctx, queue, entry, 'batch') });
      } catch (error) {
        Failed.push(batchFailure(entry.Id, error));
      }
    }
    const appended =
      accepted.length > 0
        ? await this.store.appendMessages(
            queue.id,
            accepted.map((a) => a.stored),
          )
        : [];
    if (accepted.length > 0) {
      this.wakeups.notify(queue.id, accepted.length);
      this.activity?.sent(
        queue,
        accepted.map((a, i) => ({ bytes: storedSize(a.stored), duplicate: appended[i]?.duplicate === true })),
      );
    }
    const Successful = accepted.map((a, i) => ({ Id: a.Id, ...completeSendOutput(a.output, appended[i]) }));
    return { Successful, Failed };
  }

  private prepareMessage(
    ctx: RequestContext,
    queue: QueueRecord,
    input: MessageFields,
    context: 'single' | 'batch',
  ): { output: SendMessageOutput; stored: NewMessage } {
    validateOutgoingMessage(input, integerAttribute(queue.attributes, 'MaximumMessageSize'), this.limits, context);
    const now = this.clock.now();
    let fifo: FifoIdentity | undefined;
    if (isFifo(queue)) {
      fifo = fifoIdentity(input, queue.attributes);
    } else if (input.MessageDeduplicationId !== undefined) {
      // Standard queues accept MessageGroupId (fair queues) but not deduplication ids.
      throw invalidParameter(
        'MessageDeduplicationId',
        input.MessageDeduplicationId,
        'The request include parameter that is not valid for this queue type.',
      );
    }
    const delay = input.DelaySeconds ?? integerAttribute(queue.attributes, 'DelaySeconds');
    const messageId = randomUUID();
    const output: SendMessageOutput = { MessageId: messageId, MD5OfMessageBody: md5OfBody(input.MessageBody) };
    const md5Attributes = md5OfMessageAttributes(input.MessageAttributes ?? {});
    if (md5Attributes) output.MD5OfMessageAttributes = md5Attributes;
    const md5System = md5OfMessageAttributes(input.MessageSystemAttributes ?? {});
    if (md5System) output.MD5OfMessageSystemAttributes = md5System;
    return {
      output,
      stored: {
        messageId,
        body: input.MessageBody,
        attributes: input.MessageAttributes ?? {},
        traceHeader: input.MessageSystemAttributes?.AWSTraceHeader?.StringValue,
        senderId: ctx.senderId,
        sentAt: now,
        visibleAt: now + delay * 1000,
        groupId: fifo?.groupId ?? input.MessageGroupId,
        dedupId: fifo?.dedupId,
        fifo: fifo && { dedupKey: fifo.dedupKey, dedupExpiresAt: now + DEDUP_WINDOW_MS },
      },
    };
  }

  private checkBatchEnvelope(
    entries: { Id: string }[] | undefined,
    entryName: string,
  ): asserts entries is { Id: string }[] {
    if (entries === undefined || entries.length === 0) {
      throw new AwsError('EmptyBatchRequest', `There should be at least one ${entryName} in the request.`);
    }
    if (entries.length > this.limits.maxBatchEntries) {
      throw new AwsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${this.limits.maxBatchEntries}. You have sent ${entries.length}.`,
      );
    }
    const seen = new Set<string>();
    for (const { Id } of entries) {
      if (typeof Id !== 'string' || !isValidBatchEntryId(Id)) {
        throw new AwsError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      }
      if (seen.has(Id)) throw new AwsError('BatchEntryIdsNotDistinct', `Id ${Id} repeated.`);
      seen.add(Id);
    }
  }

  async receiveMessage(ctx: RequestContext, input: ReceiveMessageInput): Promise<{ Messages?: ReceivedMessage[] }> {
    let queue = await this.resolveQueue(ctx, input.QueueUrl);
    const params = resolveReceiveParams(
      input,
      {
        visibilityTimeout: integerAttribute(queue.attributes, 'VisibilityTimeout'),
        receiveMessageWaitTimeSeconds: integerAttribute(queue.attributes, 'ReceiveMessageWaitTimeSeconds'),
      },
      this.limits.maxWaitTimeSeconds,
    );
    const systemNames = resolveSystemAttributeNames(input.AttributeNames, input.MessageSystemAttributeNames);
    const deadline = this.clock.now() + params.waitTimeSeconds * 1000;
    for (;;) {
      // Read before looking: a send that commits while we look still wakes the wait below.
      const seen = this.wakeups.version(queue.id);
      const claimed = await this.claim(ctx, queue, params.max, params.visibilityTimeoutSeconds);
      if (claimed.length > 0) {
        this.activity?.received(queue, claimed.length);
        return {
          Messages: claimed.map((m) => {
            const selected = selectMessageAttributes(m.attributes, input.MessageAttributeNames);
            const out: ReceivedMessage = {
              MessageId: m.messageId,
              ReceiptHandle: encodeReceiptHandle({ queueId: queue.id, seq: m.seq, token: m.token }),
              MD5OfBody: md5OfBody(m.body),
              Body: m.body,
            };
            const attributes = renderSystemAttributes(m, systemNames);
            if (Object.keys(attributes).length > 0) out.Attributes = attributes;
            if (selected.md5) {
              out.MD5OfMessageAttributes = selected.md5;
              out.MessageAttributes = selected.attributes;
            }
            return out;
          }),
        };
      }
      const now = this.clock.now();
      if (now >= deadline || this.stopping || ctx.signal?.aborted) {
        this.activity?.received(queue, 0);
        return {};
      }
      const next = await this.store.nextVisibleAt(queue.id, now);
      await this.wakeups.wait(queue.id, Math.min(deadline, next ?? deadline) - now, ctx.signal, seen);
      // A wake-up (a send, a visibility change) may be handled before the hang-up of this poll's client that came in
      // with it: one turn of the event loop lets that I/O be seen, so that a client gone does not take messages.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (ctx.signal?.aborted) {
        this.activity?.received(queue, 0);
        return {};
      }
      // The queue may have been deleted or changed while we waited.
      const fresh = await this.store.getQueueById(queue.id);
      if (!fresh) {
        this.activity?.received(queue, 0);
        return {};
      }
      queue = fresh;
    }
  }

  private async claim(ctx: RequestContext, queue: QueueRecord, max: number, visibilitySeconds: number) {
    const now = this.clock.now();
    const retentionMs = integerAttribute(queue.attributes, 'MessageRetentionPeriod') * 1000;
    const policy = redrivePolicyOf(queue.attributes);
    let deadLetter: { queueId: number; sourceArn: string } | undefined;
    if (policy) {
      const arn = parseQueueArn(policy.deadLetterTargetArn);
      const dlq = arn && (await this.store.getQueue(arn.accountId, arn.name));
      if (dlq) deadLetter = { queueId: dlq.id, sourceArn: this.queueArn(ctx, queue) };
    }
    const maxReceiveCount = deadLetter ? policy?.maxReceiveCount : undefined;
    const result = await this.store.claimMessages({
      queueId: queue.id,
      now,
      max,
      visibilityMs: visibilitySeconds * 1000,
      newToken: newReceiptToken,
      decide: (message) => decideClaim(message, now, { retentionMs, maxReceiveCount }),
      deadLetter,
      maxInflight: this.limits.maxInflightPerQueue,
      fifo: isFifo(queue),
    });
    // A FIFO queue at its in-flight limit answers with no messages rather than an error, as AWS does.
    if (result.overLimit && isFifo(queue)) return [];
    if (result.overLimit) {
      throw new AwsError(
        'OverLimit',
        `Too many messages in flight on queue ${queue.name}: the limit is ${this.limits.maxInflightPerQueue}.`,
      );
    }
    if (deadLetter && result.deadLettered > 0) this.wakeups.notify(deadLetter.queueId, result.deadLettered);
    return result.messages;
  }

  async deleteMessage(ctx: RequestContext, input: DeleteMessageInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    await this.deleteOne(queue, input.ReceiptHandle);
  }

  /**
   * A handle we issued for this queue deletes its message when it is the latest receive's; an older
   * handle succeeds without deleting (AWS: "the request succeeds, but the message might not be deleted"),
   * and a handle whose message is already gone succeeds too, so deletes are idempotent.
   */
  private async deleteOne(queue: QueueRecord, raw: string | undefined): Promise<void> {
    if (raw === undefined || raw === '') throw missingParameter('ReceiptHandle');
    const handle = decodeReceiptHandle(raw);
    if (handle.queueId !== queue.id) throw invalidReceiptHandle(raw);
    if (!isFifo(queue)) {
      const options = { now: this.clock.now(), onlyInFlight: false };
      if ((await this.store.deleteMessage(queue.id, handle.seq, handle.token, options)) === 'deleted') {
        this.activity?.deleted(queue, 1);
      }
      return;
    }
    // FIFO: once a handle's visibility has ended, the message may belong to the next receiver, so the
    // old handle must fail rather than delete, or succeed silently and leave the caller believing it did.
    const outcome = await this.store.deleteMessage(queue.id, handle.seq, handle.token, {
      now: this.clock.now(),
      onlyInFlight: true,
    });
    if (outcome === 'expired' || outcome === 'stale') {
      throw invalidParameter('ReceiptHandle', raw, 'The receipt handle has expired.');
    }
    // Deleting a group's message may unlock the group, for one waiting long poll: waking them all would
    // have every one of them search the queue for the single group that came free.
    if (outcome === 'deleted') {
      this.wakeups.notify(queue.id, 1);
      this.activity?.deleted(queue, 1);
    }
  }

  async deleteMessageBatch(ctx: RequestContext, input: DeleteMessageBatchInput): Promise<BatchOutput<{ Id: string }>> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    this.checkBatchEnvelope(input.Entries, 'DeleteMessageBatchRequestEntry');
    return this.runBatch(input.Entries, (entry) => this.deleteOne(queue, entry.ReceiptHandle));
  }

  async changeMessageVisibility(ctx: RequestContext, input: ChangeMessageVisibilityInput): Promise<void> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    if (input.VisibilityTimeout === undefined) throw missingParameter('VisibilityTimeout');
    await this.changeOne(queue, input.ReceiptHandle, input.VisibilityTimeout);
  }

  private async changeOne(queue: QueueRecord, raw: string | undefined, timeoutSeconds: number): Promise<void> {
    if (raw === undefined || raw === '') throw missingParameter('ReceiptHandle');
    const handle = decodeReceiptHandle(raw);
    if (handle.queueId !== queue.id) throw invalidReceiptHandle(raw);
    const state = await this.store.getMessageState(queue.id, handle.seq);
    if (!state || state.token !== handle.token) throw staleHandleForVisibility(raw);
    const { visibleAt } = decideVisibilityChange(state, this.clock.now(), timeoutSeconds, raw);
    const applied = await this.store.setVisibility(queue.id, handle.seq, handle.token, visibleAt);
    if (!applied) throw staleHandleForVisibility(raw);
    // Long polls sleep until the earliest visibleAt they saw. Made visible now, the message needs one of them;
    // made visible sooner than before (a consumer's retry backoff), they must all look again, or they oversleep.
    if (timeoutSeconds === 0) this.wakeups.notify(queue.id, 1);
    else if (visibleAt < state.visibleAt) this.wakeups.notify(queue.id);
  }

  async changeMessageVisibilityBatch(
    ctx: RequestContext,
    input: ChangeMessageVisibilityBatchInput,
  ): Promise<BatchOutput<{ Id: string }>> {
    const queue = await this.resolveQueue(ctx, input.QueueUrl);
    this.checkBatchEnvelope(input.Entries, 'ChangeMessageVisibilityBatchRequestEntry');
    return this.runBatch(input.Entries, (entry) => {
      if (entry.VisibilityTimeout === undefined) throw missingParameter('VisibilityTimeout');
      return this.changeOne(queue, entry.ReceiptHandle, entry.VisibilityTimeout);
    });
  }

  private async runBatch<E extends { Id: string }>(
    entries: E[],
    apply: (entry: E) => Promise<void>,
  ): Promise<BatchOutput<{ Id: string }>> {
    const outcomes = await Promise.allSettled(entries.map((entry) => apply(entry)));
    const result: BatchOutput<{ Id: string }> = { Successful: [], Failed: [] };
    outcomes.forEach((outcome, i) => {
      const Id = (entries[i] as E).Id;
      if (outcome.status === 'fulfilled') result.Successful.push({ Id });
      else result.Failed.push(batchFailure(Id, outcome.reason));
    });
    return result;
  }

  // ---- operators (the console): see QueueAdmin -------------------------------------------------

  peekMessages(ctx: RequestContext, input: PeekMessagesInput): Promise<PeekMessagesOutput> {
    return this.admin.peekMessages(ctx, input);
  }

  deleteMessagesById(ctx: RequestContext, input: DeleteMessagesByIdInput): Promise<DeleteMessagesByIdOutput> {
    return this.admin.deleteMessagesById(ctx, input);
  }

  moveMessagesById(ctx: RequestContext, input: MoveMessagesByIdInput): Promise<MoveMessagesByIdOutput> {
    return this.admin.moveMessagesById(ctx, input);
  }

  /** The SwitchyardFailures API's RecordFailures. */
  recordMessageFailures(ctx: RequestContext, input: RecordMessageFailuresInput): Promise<Record<string, never>> {
    return this.admin.recordMessageFailures(ctx, input);
  }

  // ---- background ----------------------------------------------------------------------------

  /** Deletes messages past their queue's retention period. Returns how many went. */
  async sweepExpired(limitPerQueue = 10_000): Promise<number> {
    const now = this.clock.now();
    let removed = 0;
    for (const queue of await this.store.allQueues()) {
      const retentionMs = integerAttribute(queue.attributes, 'MessageRetentionPeriod') * 1000;
      removed += await this.store.deleteExpired(queue.id, now - retentionMs + 1, limitPerQueue, now);
    }
    await this.store.forgetDedupIds(now);
    return removed;
  }
}

/** Adds what the store decided: a duplicate answers with the original's id; FIFO sends carry a sequence number. */
function completeSendOutput(output: SendMessageOutput, appended: AppendResult | undefined): SendMessageOutput {
  if (!appended) return output;
  const completed = { ...output, MessageId: appended.messageId };
  if (appended.sequence !== undefined) completed.SequenceNumber = formatSequenceNumber(appended.sequence);
  return completed;
}

/** A per-entry failure in a batch answer; an unexpected error is reported, not thrown. */
function batchFailure(Id: string, error: unknown): BatchResultErrorEntry {
  if (isAwsError(error)) {
    return { Id, SenderFault: error.spec.fault === 'Sender', Code: error.spec.queryCode, Message: error.message };
  }
  return { Id, SenderFault: false, Code: 'InternalError', Message: 'The entry could not be processed.' };
}

/** A stored message's size as SQS counts it for SentMessageSize: body plus attributes. */
function storedSize(message: NewMessage): number {
  return Buffer.byteLength(message.body, 'utf8') + attributesSize(message.attributes);
}
