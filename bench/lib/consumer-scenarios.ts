/**
 * The consumer benchmark's one measured case: a queue pre-filled with N messages, drained by a consumer library with
 * a no-op handler at a given concurrency, timed from the consumer's start until the Nth message is deleted.
 *
 * Both libraries drive the same SQSClient (one per case, built by `countingClient`): a middleware on it counts the
 * requests each library makes and the entries SQS confirms deleted, which is how the end of the case is detected for
 * both in the same way (switchyard/client emits `message_processed` before its batched delete, sqs-consumer after
 * its delete, so their own events do not mark the same moment).
 */
import {
  type DeleteMessageBatchCommandOutput,
  type Message,
  PurgeQueueCommand,
  type ReceiveMessageCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Consumer as SqsConsumer } from 'sqs-consumer';
import { consume } from '../../src/client/index.js';
import { benchClientConfig } from './clients.js';
import { guard, queueDepth, sendThroughput } from './scenarios.js';
import type { ServerProcess } from './server-process.js';
import { type CpuUse, ErrorTally, Phase, round } from './stats.js';

export const LIBRARIES = ['switchyard', 'sqs-consumer'] as const;
export type Library = (typeof LIBRARIES)[number];

export interface ConsumerCaseConfig {
  /** Long-poll wait of every receive, for both libraries. */
  waitTimeSeconds: number;
  /** Sockets of the case's SQSClient: enough for sqs-consumer's one DeleteMessage per message at concurrency 100. */
  httpMaxSockets: number;
  /** The pre-fill: SendMessageBatch of `batchSize` from `senders` loops, bodies of `bodyBytes`. */
  fill: { senders: number; batchSize: number; bodyBytes: number; maxSeconds: number };
  /** Pause between the fill and the consumer's start, so that the fill's tail of server work is not timed. */
  settleMs: number;
  /** A case that has not deleted its N messages after this long is stopped and reported as timed out. */
  maxSeconds: number;
}

/** How a concurrency is expressed in each library (see `mapping`). */
export interface ConsumerSetup {
  /** switchyard/client: consume({ concurrency, batchSize }); it runs min(10, ceil(concurrency / batchSize)) loops. */
  switchyard: { concurrency: number; batchSize: number; receiveLoops: number };
  /** sqs-consumer 14 has no concurrency option: `instances` Consumers, each receiving `batchSize` at a time. */
  sqsConsumer: { instances: number; batchSize: number };
}

/**
 * The fair equivalent of a concurrency `c`: sqs-consumer handles the messages of one receive in parallel and polls
 * again when all are done, so `ceil(c / 10)` instances of batch size `min(10, c)` hold at most `c` messages at once,
 * with as many receive loops as switchyard's consumer runs for `concurrency: c, batchSize: min(10, c)`.
 */
export function mapping(c: number): ConsumerSetup {
  const batchSize = Math.min(10, c);
  return {
    switchyard: { concurrency: c, batchSize, receiveLoops: Math.min(10, Math.ceil(c / batchSize)) },
    sqsConsumer: { instances: Math.ceil(c / batchSize), batchSize },
  };
}

/** What a library's requests looked like over one case, counted on the SQSClient. */
export interface RequestCounts {
  receives: number;
  emptyReceives: number;
  messagesReceived: number;
  /** DeleteMessage calls (one entry each). */
  deleteSingle: number;
  /** DeleteMessageBatch calls. */
  deleteBatch: number;
  /** Entries SQS confirmed deleted, by either call. */
  deleted: number;
  changeVisibility: number;
  other: Record<string, number>;
  failedRequests: number;
}

/** An SQSClient as every bench client is configured, with a middleware that counts what goes through it. */
export function countingClient(url: string, maxSockets: number, onDeleted: (n: number, now: number) => void) {
  const sqs = new SQSClient(benchClientConfig(url, maxSockets));
  const counts: RequestCounts = {
    receives: 0,
    emptyReceives: 0,
    messagesReceived: 0,
    deleteSingle: 0,
    deleteBatch: 0,
    deleted: 0,
    changeVisibility: 0,
    other: {},
    failedRequests: 0,
  };
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        counts.failedRequests += 1;
        throw error;
      }
      const now = performance.now();
      switch (context.commandName) {
        case 'ReceiveMessageCommand': {
          const n = (result.output as ReceiveMessageCommandOutput).Messages?.length ?? 0;
          counts.receives += 1;
          counts.messagesReceived += n;
          if (n === 0) counts.emptyReceives += 1;
          break;
        }
        case 'DeleteMessageCommand':
          counts.deleteSingle += 1;
          counts.deleted += 1;
          onDeleted(1, now);
          break;
        case 'DeleteMessageBatchCommand': {
          const n = (result.output as DeleteMessageBatchCommandOutput).Successful?.length ?? 0;
          counts.deleteBatch += 1;
          counts.deleted += n;
          onDeleted(n, now);
          break;
        }
        case 'ChangeMessageVisibilityCommand':
        case 'ChangeMessageVisibilityBatchCommand':
          counts.changeVisibility += 1;
          break;
        default: {
          const name = context.commandName ?? 'unknown';
          counts.other[name] = (counts.other[name] ?? 0) + 1;
        }
      }
      return result;
    },
    { step: 'initialize', name: 'benchRequestCounter' },
  );
  return { sqs, counts };
}

/** A started consumer of either library, as the case drives it. */
interface Running {
  /** Stops it gracefully; resolves once it makes no more requests. */
  stop(): Promise<void>;
}

/** switchyard/client's consume(), no-op handler. */
async function startSwitchyard(
  sqs: SQSClient,
  queueUrl: string,
  setup: ConsumerSetup['switchyard'],
  waitTimeSeconds: number,
  onHandled: () => void,
  errors: ErrorTally,
): Promise<Running> {
  const consumer = consume({
    client: sqs,
    queueUrl,
    concurrency: setup.concurrency,
    batchSize: setup.batchSize,
    waitTimeSeconds,
    handler: async () => {
      onHandled();
    },
  });
  consumer.on('error', (error, info) => errors.record(error, `switchyard:${info.operation}`));
  consumer.on('processing_error', (error) => errors.record(error, 'switchyard:handler'));
  await consumer.start();
  return { stop: () => consumer.stop() };
}

/** sqs-consumer 14: `instances` Consumers sharing the client, no-op handleMessage (returning the message acks it). */
function startSqsConsumer(
  sqs: SQSClient,
  queueUrl: string,
  setup: ConsumerSetup['sqsConsumer'],
  waitTimeSeconds: number,
  onHandled: () => void,
  errors: ErrorTally,
): Running {
  const consumers = Array.from({ length: setup.instances }, () => {
    const consumer = SqsConsumer.create({
      sqs,
      queueUrl,
      batchSize: setup.batchSize,
      waitTimeSeconds,
      handleMessage: async (message: Message) => {
        onHandled();
        return message;
      },
    });
    consumer.on('error', (error) => errors.record(error, 'sqs-consumer:error'));
    consumer.on('processing_error', (error) => errors.record(error, 'sqs-consumer:handler'));
    consumer.on('timeout_error', (error) => errors.record(error, 'sqs-consumer:timeout'));
    return consumer;
  });
  for (const c of consumers) c.start();
  return {
    async stop() {
      // stop() emits 'stopped' synchronously when pollingCompleteWaitTimeMs is 0 (the default), so listen first.
      await Promise.all(
        consumers.map(
          (c) =>
            new Promise<void>((resolve) => {
              c.once('stopped', () => resolve());
              c.stop({ abort: false });
            }),
        ),
      );
      // 'stopped' does not wait for the receive under way (abort: false lets it finish): wait for it, so that no
      // request outlives the case. A receive lasts at most waitTimeSeconds on an empty queue.
      const deadline = performance.now() + (waitTimeSeconds + 10) * 1000;
      while (consumers.some((c) => c.status.isPolling) && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

export interface ConsumerCaseResult {
  library: Library;
  concurrency: number;
  setup: ConsumerSetup['switchyard'] | ConsumerSetup['sqsConsumer'];
  /** N: the messages pre-filled and to be handled and deleted. */
  messages: number;
  fillMessagesPerSecond: number;
  /** From the consumer's start until SQS confirmed the Nth delete. */
  seconds: number;
  messagesPerSecond: number;
  handled: number;
  deleted: number;
  timedOut: boolean;
  /** Time from the Nth delete to the end of the graceful stop (not in `seconds`). */
  stopMs: number;
  /** GetQueueAttributes after the stop: both must be 0. */
  depthAfter: { visible: number; inFlight: number };
  requests: RequestCounts & { perMessage: number; meanMessagesPerReceive: number; meanEntriesPerDeleteBatch: number };
  cpu: CpuUse;
  /** CPU of this process (the library, the SDK) and of the server, microseconds per message. */
  benchCpuMicrosPerMessage: number;
  serverCpuMicrosPerMessage: number | null;
  deletedPerSecondTimeline: number[];
  errors: ReturnType<ErrorTally['toJSON']>;
}

/**
 * One case: fill `queueUrl` (empty) with `messages`, drain it with `library` at `concurrency`, stop the consumer,
 * check the queue is empty and purge it (the server runs with no purge cooldown) so the next case starts clean.
 */
export async function consumerCase(
  server: ServerProcess,
  admin: SQSClient,
  queueUrl: string,
  library: Library,
  concurrency: number,
  messages: number,
  config: ConsumerCaseConfig,
): Promise<ConsumerCaseResult> {
  const before = await queueDepth(admin, queueUrl);
  if (before.visible + before.inFlight !== 0) {
    throw new Error(`queue not empty before a case: ${JSON.stringify(before)}`);
  }
  const fill = await sendThroughput(server, admin, queueUrl, { messages, ...config.fill }, `consume-${library}`);
  if (fill.messagesSent !== messages) {
    throw new Error(`fill sent ${fill.messagesSent} of ${messages} messages (errors ${JSON.stringify(fill.errors)})`);
  }
  await new Promise((r) => setTimeout(r, config.settleMs));

  const errors = new ErrorTally();
  const setup = mapping(concurrency);
  let handled = 0;
  let phase: Phase | undefined;
  let doneAt: number | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const { sqs, counts } = countingClient(server.url, config.httpMaxSockets, (n, now) => {
    phase?.count(n, now);
    if (doneAt === undefined && counts.deleted >= messages) {
      doneAt = now;
      finish();
    }
  });
  let running: Running | undefined;
  let timedOut = false;
  let cap: NodeJS.Timeout | undefined;
  let stopMs = 0;
  let ended: ReturnType<Phase['end']> | undefined;
  try {
    phase = new Phase(server.pid);
    const onHandled = () => {
      handled += 1;
    };
    running =
      library === 'switchyard'
        ? await startSwitchyard(sqs, queueUrl, setup.switchyard, config.waitTimeSeconds, onHandled, errors)
        : startSqsConsumer(sqs, queueUrl, setup.sqsConsumer, config.waitTimeSeconds, onHandled, errors);
    const capped = new Promise<void>((resolve) => {
      cap = setTimeout(() => {
        timedOut = true;
        resolve();
      }, config.maxSeconds * 1000);
    });
    const watch = setInterval(() => guard(server), 1000);
    try {
      await Promise.race([done, capped]);
    } finally {
      clearInterval(watch);
      clearTimeout(cap);
    }
    ended = phase.end();
    const t0 = performance.now();
    await running.stop();
    running = undefined;
    stopMs = round(performance.now() - t0, 0);
  } finally {
    if (running) await running.stop();
    sqs.destroy();
  }
  if (!phase || !ended) throw new Error('the case ended without its measurements');
  const depthAfter = await queueDepth(admin, queueUrl);
  await admin.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));

  const elapsedMs = doneAt === undefined ? ended.elapsedMs : doneAt - phase.start;
  const seconds = round(elapsedMs / 1000, 3);
  // The CPU figures cover the phase, which ends a moment after the Nth delete.
  const benchCpu = ((ended.cpu.benchCpuPercent / 100) * ended.elapsedMs) / 1000;
  const serverCpu = ended.serverCpuSeconds;
  return {
    library,
    concurrency,
    setup: library === 'switchyard' ? setup.switchyard : setup.sqsConsumer,
    messages,
    fillMessagesPerSecond: fill.messagesPerSecond,
    seconds,
    messagesPerSecond: round(counts.deleted / (elapsedMs / 1000), 1),
    handled,
    deleted: counts.deleted,
    timedOut,
    stopMs,
    depthAfter,
    requests: {
      ...counts,
      perMessage: round(
        (counts.receives + counts.deleteSingle + counts.deleteBatch + counts.changeVisibility) /
          Math.max(1, counts.deleted),
        3,
      ),
      meanMessagesPerReceive: round(counts.messagesReceived / Math.max(1, counts.receives), 2),
      meanEntriesPerDeleteBatch: round((counts.deleted - counts.deleteSingle) / Math.max(1, counts.deleteBatch), 2),
    },
    cpu: ended.cpu,
    benchCpuMicrosPerMessage: round((benchCpu / Math.max(1, counts.deleted)) * 1e6, 1),
    serverCpuMicrosPerMessage: serverCpu === null ? null : round((serverCpu / Math.max(1, counts.deleted)) * 1e6, 1),
    deletedPerSecondTimeline: ended.perSecond,
    errors: errors.toJSON(),
  };
}
