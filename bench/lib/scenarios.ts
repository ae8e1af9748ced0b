import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { benchClientConfig } from './clients.js';
import type { ServerProcess } from './server-process.js';
import {
  type CpuSampler,
  type CpuUse,
  ErrorTally,
  type LatencySummary,
  Phase,
  perServerCpuSecond,
  processMemoryKiB,
  type quietSeconds,
  round,
  summarize,
  Timeline,
} from './stats.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function makeClient(url: string, maxSockets: number): SQSClient {
  return new SQSClient(benchClientConfig(url, maxSockets));
}

export async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

export async function queueDepth(
  sqs: SQSClient,
  QueueUrl: string,
): Promise<{ visible: number; inFlight: number; ms: number }> {
  const t0 = performance.now();
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? Number.NaN),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? Number.NaN),
    ms: round(performance.now() - t0),
  };
}

/** A body of exactly `bytes` ASCII bytes that names its message. */
export function makeBody(tag: string, i: number, bytes: number): string {
  const head = `${tag}-${i}-`;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

function batchEntries(tag: string, first: number, count: number, bodyBytes: number): SendMessageBatchRequestEntry[] {
  const entries: SendMessageBatchRequestEntry[] = [];
  for (let j = 0; j < count; j++) entries.push({ Id: `m${j}`, MessageBody: makeBody(tag, first + j, bodyBytes) });
  return entries;
}

/** After a failed request: if the server has died, every further request would fail too, so stop with its output. */
export function guard(server: ServerProcess): void {
  if (server.exited) throw new Error(`the server exited during the benchmark:\n${server.output.slice(-20).join('\n')}`);
}

// ---- (1) batched send throughput ------------------------------------------------------------------

export interface SendConfig {
  messages: number;
  senders: number;
  batchSize: number;
  bodyBytes: number;
  maxSeconds: number;
}

export interface SendResult {
  config: SendConfig;
  messagesSent: number;
  requests: number;
  seconds: number;
  messagesPerSecond: number;
  requestsPerSecond: number;
  /** True if the time cap ended the phase before the message count was reached. */
  capped: boolean;
  requestLatency: LatencySummary;
  perSecond: number[];
  cpu: CpuUse;
  /** CPU use each second of the phase, aligned with perSecond. */
  cpuPerSecond: ReturnType<CpuSampler['stop']>;
  /** Median msg/s over the seconds in which other processes used at most 10% of a core. */
  quiet: ReturnType<typeof quietSeconds>;
  /** Messages per second of server CPU time: what one server core would carry if the client kept up. */
  messagesPerServerCpuSecond: number | null;
  errors: ReturnType<ErrorTally['toJSON']>;
}

/** Sends `messages` messages with SendMessageBatch from `senders` concurrent loops. */
export async function sendThroughput(
  server: ServerProcess,
  sqs: SQSClient,
  QueueUrl: string,
  config: SendConfig,
  tag = 'send',
  onProgress?: (sent: number) => void,
): Promise<SendResult> {
  const totalBatches = Math.ceil(config.messages / config.batchSize);
  const errors = new ErrorTally();
  const latencies: number[] = [];
  let next = 0;
  let sent = 0;
  let requests = 0;
  let capped = false;
  const phase = new Phase(server.pid);
  const deadline = phase.start + config.maxSeconds * 1000;

  const sender = async () => {
    for (;;) {
      const b = next++;
      if (b >= totalBatches) return;
      if (performance.now() > deadline) {
        capped = true;
        return;
      }
      const first = b * config.batchSize;
      const count = Math.min(config.batchSize, config.messages - first);
      const t0 = performance.now();
      try {
        const out = await sqs.send(
          new SendMessageBatchCommand({ QueueUrl, Entries: batchEntries(tag, first, count, config.bodyBytes) }),
        );
        const t1 = performance.now();
        latencies.push(t1 - t0);
        requests += 1;
        const ok = out.Successful?.length ?? 0;
        sent += ok;
        phase.count(ok, t1);
        if (out.Failed?.length) errors.recordEntries(out.Failed, 'SendMessageBatch');
        onProgress?.(sent);
      } catch (error) {
        errors.record(error, 'SendMessageBatch');
        guard(server);
        await sleep(10);
      }
    }
  };
  await Promise.all(Array.from({ length: config.senders }, sender));
  const p = phase.end();
  return {
    config,
    messagesSent: sent,
    requests,
    seconds: p.seconds,
    messagesPerSecond: p.rate(sent),
    requestsPerSecond: p.rate(requests),
    capped,
    requestLatency: summarize(latencies),
    perSecond: p.perSecond,
    cpu: p.cpu,
    cpuPerSecond: p.cpuPerSecond,
    quiet: p.quiet,
    messagesPerServerCpuSecond: p.perServerCpuSecond(sent),
    errors: errors.toJSON(),
  };
}

// ---- (2) send -> receive -> delete cycle ----------------------------------------------------------

export interface CycleConfig {
  consumers: number;
  producers: number;
  receiveMax: number;
  receiveWaitSeconds: number;
  batchSize: number;
  bodyBytes: number;
  seconds: number;
}

export interface CycleResult {
  config: CycleConfig;
  depthBefore: { visible: number; inFlight: number };
  depthAfter: { visible: number; inFlight: number };
  seconds: number;
  messagesDeleted: number;
  messagesReceived: number;
  messagesProduced: number;
  deletedPerSecond: number;
  receivedPerSecond: number;
  producedPerSecond: number;
  receiveRequests: number;
  emptyReceives: number;
  meanMessagesPerReceive: number;
  receiveLatency: LatencySummary;
  deleteBatchLatency: LatencySummary;
  produceBatchLatency: LatencySummary;
  deletedPerSecondTimeline: number[];
  cpu: CpuUse;
  /** CPU use each second of the phase, aligned with deletedPerSecondTimeline. */
  cpuPerSecond: ReturnType<CpuSampler['stop']>;
  /** Median deleted/s over the seconds in which other processes used at most 10% of a core. */
  quiet: ReturnType<typeof quietSeconds>;
  /** Messages received and deleted per second of server CPU time (which also served the producers). */
  deletedPerServerCpuSecond: number | null;
  errors: ReturnType<ErrorTally['toJSON']>;
}

/** Consumers receive (up to 10) and delete in batches while producers keep sending, for a fixed time. */
export async function cycleThroughput(
  server: ServerProcess,
  sqs: SQSClient,
  QueueUrl: string,
  config: CycleConfig,
): Promise<CycleResult> {
  const depthBefore = await queueDepth(sqs, QueueUrl);
  const errors = new ErrorTally();
  const receiveLat: number[] = [];
  const deleteLat: number[] = [];
  const produceLat: number[] = [];
  let received = 0;
  let deleted = 0;
  let produced = 0;
  let receiveRequests = 0;
  let emptyReceives = 0;
  let produceSeq = 0;
  const phase = new Phase(server.pid);
  const deadline = phase.start + config.seconds * 1000;

  const consumer = async () => {
    while (performance.now() < deadline) {
      let t0 = performance.now();
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: config.receiveMax,
            WaitTimeSeconds: config.receiveWaitSeconds,
          }),
        );
        receiveLat.push(performance.now() - t0);
        receiveRequests += 1;
        const messages = out.Messages ?? [];
        if (messages.length === 0) {
          emptyReceives += 1;
          continue;
        }
        received += messages.length;
        t0 = performance.now();
        const del = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        const t1 = performance.now();
        deleteLat.push(t1 - t0);
        const ok = del.Successful?.length ?? 0;
        deleted += ok;
        phase.count(ok, t1);
        if (del.Failed?.length) errors.recordEntries(del.Failed, 'DeleteMessageBatch');
      } catch (error) {
        errors.record(error, 'consumer');
        guard(server);
        await sleep(10);
      }
    }
  };

  const producer = async () => {
    while (performance.now() < deadline) {
      const first = produceSeq;
      produceSeq += config.batchSize;
      const t0 = performance.now();
      try {
        const out = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl,
            Entries: batchEntries('cycle', first, config.batchSize, config.bodyBytes),
          }),
        );
        produceLat.push(performance.now() - t0);
        produced += out.Successful?.length ?? 0;
        if (out.Failed?.length) errors.recordEntries(out.Failed, 'SendMessageBatch');
      } catch (error) {
        errors.record(error, 'producer');
        guard(server);
        await sleep(10);
      }
    }
  };

  await Promise.all([
    ...Array.from({ length: config.consumers }, consumer),
    ...Array.from({ length: config.producers }, producer),
  ]);
  const p = phase.end();
  const depthAfter = await queueDepth(sqs, QueueUrl);
  return {
    config,
    depthBefore: { visible: depthBefore.visible, inFlight: depthBefore.inFlight },
    depthAfter: { visible: depthAfter.visible, inFlight: depthAfter.inFlight },
    seconds: p.seconds,
    messagesDeleted: deleted,
    messagesReceived: received,
    messagesProduced: produced,
    deletedPerSecond: p.rate(deleted),
    receivedPerSecond: p.rate(received),
    producedPerSecond: p.rate(produced),
    receiveRequests,
    emptyReceives,
    meanMessagesPerReceive: round(received / Math.max(1, receiveRequests), 2),
    receiveLatency: summarize(receiveLat),
    deleteBatchLatency: summarize(deleteLat),
    produceBatchLatency: summarize(produceLat),
    deletedPerSecondTimeline: p.perSecond,
    cpu: p.cpu,
    cpuPerSecond: p.cpuPerSecond,
    quiet: p.quiet,
    deletedPerServerCpuSecond: p.perServerCpuSecond(deleted),
    errors: errors.toJSON(),
  };
}

// ---- (3) send -> waiting long poll latency --------------------------------------------------------

export interface LatencyConfig {
  samples: number;
  waitTimeSeconds: number;
  /** How long the long poll is given to reach the server and park before the send. */
  settleMs: number;
  bodyBytes: number;
}

export interface LatencyResult {
  config: LatencyConfig;
  /** From just before SendMessage until the parked ReceiveMessage resolved with the message. */
  sendToReceive: LatencySummary;
  /** From just before SendMessage until SendMessage itself resolved. */
  sendAck: LatencySummary;
  /** Long polls that returned before the send (should be 0) or without the message. */
  misses: { returnedBeforeSend: number; returnedEmpty: number };
  /** Samples of more than a second: the long poll was not woken by the send (see longPollRace). */
  slowSamples: number;
  errors: ReturnType<ErrorTally['toJSON']>;
}

export async function longPollLatency(
  server: ServerProcess,
  sqs: SQSClient,
  QueueUrl: string,
  config: LatencyConfig,
): Promise<LatencyResult> {
  const errors = new ErrorTally();
  const toReceive: number[] = [];
  const ack: number[] = [];
  let returnedBeforeSend = 0;
  let returnedEmpty = 0;
  let attempts = 0;
  while (toReceive.length < config.samples && attempts < config.samples * 2) {
    attempts += 1;
    let sendStarted: number | undefined;
    let receivedAt: number | undefined;
    const receive = sqs
      .send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: config.waitTimeSeconds }))
      .then((out) => {
        receivedAt = performance.now();
        return out;
      });
    receive.catch(() => undefined); // handled below; keeps an early failure from being an unhandled rejection
    // Let the request reach the server and park; a local round trip takes about a millisecond.
    await sleep(config.settleMs);
    try {
      if (receivedAt !== undefined) {
        returnedBeforeSend += 1;
        await receive;
        continue;
      }
      sendStarted = performance.now();
      const send = sqs
        .send(new SendMessageCommand({ QueueUrl, MessageBody: makeBody('latency', attempts, config.bodyBytes) }))
        .then(() => performance.now() - (sendStarted as number));
      send.catch(() => undefined);
      const out = await receive;
      const sendMs = await send;
      const message = out.Messages?.[0];
      if (!message || receivedAt === undefined) {
        returnedEmpty += 1;
        continue;
      }
      toReceive.push(receivedAt - sendStarted);
      ack.push(sendMs);
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    } catch (error) {
      errors.record(error, 'latency');
      guard(server);
      await receive.catch(() => undefined);
    }
  }
  return {
    config,
    sendToReceive: summarize(toReceive),
    sendAck: summarize(ack),
    misses: { returnedBeforeSend, returnedEmpty },
    slowSamples: toReceive.filter((ms) => ms > 1000).length,
    errors: errors.toJSON(),
  };
}

// ---- (3b) long poll started together with a send ----------------------------------------------------

export interface RaceConfig {
  samples: number;
  /** Short, so that each lost wake-up costs little time; a receive that takes about this long missed one. */
  waitTimeSeconds: number;
}

export interface RaceResult {
  config: RaceConfig;
  /** Receives that came back with the message only when their wait ran out, although it was sent at once. */
  lostWakeups: number;
  /** Receives that came back empty (the message was then drained separately). */
  returnedEmpty: number;
  receiveLatency: LatencySummary;
  errors: ReturnType<ErrorTally['toJSON']>;
}

/**
 * ReceiveMessage with a wait and SendMessage issued back to back, as a consumer and a producer racing.
 * A correct server answers the receive as soon as the send has committed; one that checks the queue, then
 * starts waiting for a notification without covering the gap between the two, sleeps the whole wait.
 */
export async function longPollRace(
  server: ServerProcess,
  sqs: SQSClient,
  QueueUrl: string,
  config: RaceConfig,
): Promise<RaceResult> {
  const errors = new ErrorTally();
  const times: number[] = [];
  let lost = 0;
  let empty = 0;
  const fullWaitMs = config.waitTimeSeconds * 1000 * 0.9;
  for (let i = 0; i < config.samples; i++) {
    try {
      const t0 = performance.now();
      const receive = sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: config.waitTimeSeconds }),
      );
      receive.catch(() => undefined);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: makeBody('race', i, 50) }));
      const out = await receive;
      const ms = performance.now() - t0;
      times.push(ms);
      const message = out.Messages?.[0];
      if (message) {
        if (ms >= fullWaitMs) lost += 1;
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
      } else {
        empty += 1;
        const drained = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
        for (const m of drained.Messages ?? []) {
          await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
    } catch (error) {
      errors.record(error, 'race');
      guard(server);
    }
  }
  return { config, lostWakeups: lost, returnedEmpty: empty, receiveLatency: summarize(times), errors: errors.toJSON() };
}

// ---- (4) backlog memory ---------------------------------------------------------------------------

export interface BacklogResult {
  messagesRequested: number;
  fill: Omit<SendResult, 'perSecond' | 'cpuPerSecond'> & { perDecileMessagesPerSecond: number[] };
  rssBeforeKiB: number | null;
  rssAfterKiB: number | null;
  peakRssKiB: number | null;
  rssAfterIdleKiB: number | null;
  dbWhileRunning: ReturnType<ServerProcess['dbFileSizes']>;
  depthAfter: { visible: number; inFlight: number };
  getQueueAttributesMs: number[];
  receiveDeleteMs: LatencySummary;
}

export async function backlogMemory(
  server: ServerProcess,
  sqs: SQSClient,
  config: { messages: number; senders: number; batchSize: number; bodyBytes: number; maxSeconds: number },
  log: (line: string) => void,
): Promise<BacklogResult> {
  const QueueUrl = await createQueue(sqs, 'bench-backlog');
  await sleep(1000);
  const before = processMemoryKiB(server.pid);
  const decileMarks: number[] = [];
  const start = performance.now();
  let nextMark = Math.ceil(config.messages / 10);
  let lastLog = start;
  const fill = await sendThroughput(
    server,
    sqs,
    QueueUrl,
    { ...config, maxSeconds: config.maxSeconds },
    'backlog',
    (sent) => {
      const now = performance.now();
      while (sent >= nextMark && decileMarks.length < 10) {
        decileMarks.push(now);
        nextMark += Math.ceil(config.messages / 10);
      }
      if (now - lastLog > 10_000) {
        lastLog = now;
        const rss = processMemoryKiB(server.pid)?.rssKiB;
        log(`  backlog: ${sent} sent, ${Math.round(sent / ((now - start) / 1000))} msg/s, server RSS ${mib(rss)}`);
      }
    },
  );
  const after = processMemoryKiB(server.pid);
  const dbWhileRunning = server.dbFileSizes();
  const decileSize = Math.ceil(config.messages / 10);
  const perDecile = decileMarks.map((t, i) =>
    round(decileSize / ((t - (i === 0 ? start : (decileMarks[i - 1] as number))) / 1000), 1),
  );
  // Queries over a large backlog: the depth count and a receive + delete.
  const gqa: number[] = [];
  let depth = { visible: Number.NaN, inFlight: Number.NaN };
  for (let i = 0; i < 3; i++) {
    const d = await queueDepth(sqs, QueueUrl);
    gqa.push(d.ms);
    depth = { visible: d.visible, inFlight: d.inFlight };
  }
  const rd: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    if (out.Messages?.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: out.Messages.map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    rd.push(performance.now() - t0);
  }
  await sleep(2000);
  const idle = processMemoryKiB(server.pid);
  const { perSecond: _unused, cpuPerSecond: _unusedCpu, ...fillRest } = fill;
  return {
    messagesRequested: config.messages,
    fill: { ...fillRest, perDecileMessagesPerSecond: perDecile },
    rssBeforeKiB: before?.rssKiB ?? null,
    rssAfterKiB: after?.rssKiB ?? null,
    peakRssKiB: idle?.peakRssKiB ?? after?.peakRssKiB ?? null,
    rssAfterIdleKiB: idle?.rssKiB ?? null,
    dbWhileRunning,
    depthAfter: depth,
    getQueueAttributesMs: gqa,
    receiveDeleteMs: summarize(rd),
  };
}

export function mib(kib: number | null | undefined): string {
  return kib === null || kib === undefined || Number.isNaN(kib) ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`;
}

// ---- (5) FIFO throughput and per-group order -------------------------------------------------------

export interface FifoConfig {
  /** One run per entry, each on a fresh queue: how many message groups the producers spread over. */
  groupCounts: number[];
  producers: number;
  consumers: number;
  /** Entries per SendMessageBatch; consecutive entries go to consecutive groups. */
  batchSize: number;
  receiveMax: number;
  receiveWaitSeconds: number;
  bodyBytes: number;
  /** Wall time of each run (producers and consumers stop starting requests then). */
  seconds: number;
}

export interface FifoOrderCheck {
  /**
   * First deliveries that came after a later message of the same producer and group had already been
   * delivered: FIFO order broken. Must be 0.
   */
  violations: number;
  /** Messages whose SequenceNumber was not above every earlier one of their group seen by the consumers. Must be 0. */
  sequenceViolations: number;
  /** Messages delivered whose MessageGroupId did not match the group named in their body. Must be 0. */
  groupMismatches: number;
  /** Messages delivered again (a visibility timeout ran out before the delete): allowed, not an order fault. */
  duplicates: number;
  /**
   * Acknowledged messages never delivered although a later message of their producer and group was:
   * skipped over (lost, or stuck behind the group lock). Must be 0.
   */
  skipped: number;
  /** Bodies the consumers could not parse (not sent by this phase). */
  unparsed: number;
  /** Distinct groups the consumers received from. */
  groupsDelivered: number;
}

export interface FifoRunResult {
  groups: number;
  queueName: string;
  seconds: number;
  messagesSent: number;
  messagesReceived: number;
  messagesDeleted: number;
  sentPerSecond: number;
  /** Messages received and deleted per second (counted when the DeleteMessageBatch succeeded). */
  deletedPerSecond: number;
  receiveRequests: number;
  emptyReceives: number;
  meanMessagesPerReceive: number;
  receiveLatency: LatencySummary;
  deleteBatchLatency: LatencySummary;
  sendBatchLatency: LatencySummary;
  /** Depth at the end: what the producers sent that the consumers did not get to. */
  depthAfter: { visible: number; inFlight: number };
  order: FifoOrderCheck;
  sentPerSecondTimeline: number[];
  deletedPerSecondTimeline: number[];
  cpu: CpuUse;
  /** CPU use each second of the run, aligned with the timelines. */
  cpuPerSecond: ReturnType<CpuSampler['stop']>;
  /** Median deleted/s over the seconds in which other processes used at most 10% of a core. */
  quiet: ReturnType<typeof quietSeconds>;
  deletedPerServerCpuSecond: number | null;
  errors: ReturnType<ErrorTally['toJSON']>;
}

export interface FifoResult {
  config: FifoConfig;
  runs: FifoRunResult[];
}

const FIFO_BODY = /^fifo-p(\d+)-g(\d+)-n(\d+)-/;

/** A FIFO body: its producer, group and the producer's running number within that group. */
function fifoBody(producer: number, group: number, n: number, bytes: number): string {
  const head = `fifo-p${producer}-g${group}-n${n}-`;
  return head.length >= bytes ? head : head + 'x'.repeat(bytes - head.length);
}

/**
 * Producers send batches spread over `groups` groups of a FIFO queue (ContentBasedDeduplication) while
 * consumers receive and delete in batches, for a fixed time. The consumers check order as each receive
 * answers (the group lock keeps two receives of one group from overlapping, so the moment a receive is
 * handled in this single-threaded client is a valid order): per producer and group the running number
 * must rise, and per group the SequenceNumber must rise.
 */
export async function fifoThroughputRun(
  server: ServerProcess,
  sqs: SQSClient,
  groups: number,
  config: FifoConfig,
): Promise<FifoRunResult> {
  const queueName = `bench-fifo-${groups}g.fifo`;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: queueName,
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
    }),
  );
  if (!QueueUrl) throw new Error(`CreateQueue ${queueName} returned no QueueUrl`);
  const errors = new ErrorTally();
  const receiveLat: number[] = [];
  const deleteLat: number[] = [];
  const sendLat: number[] = [];
  let sent = 0;
  let received = 0;
  let deleted = 0;
  let receiveRequests = 0;
  let emptyReceives = 0;
  // Order bookkeeping, keyed by `${group}/${producer}`.
  const acked = new Map<string, Set<number>>();
  const seen = new Map<string, Set<number>>();
  const highest = new Map<string, number>();
  const lastSequence = new Map<string, bigint>();
  const order: FifoOrderCheck = {
    violations: 0,
    sequenceViolations: 0,
    groupMismatches: 0,
    duplicates: 0,
    skipped: 0,
    unparsed: 0,
    groupsDelivered: 0,
  };
  // The phase's own timeline counts deletes, which is what `quiet` is taken over.
  const phase = new Phase(server.pid);
  const deadline = phase.start + config.seconds * 1000;
  const sentTimeline = new Timeline(phase.start);

  const producer = async (p: number) => {
    // Each producer starts at its own group so that, with many groups, producers do not move in step.
    let cursor = Math.floor((p * groups) / config.producers);
    const next = new Map<number, number>();
    while (performance.now() < deadline) {
      const entries: SendMessageBatchRequestEntry[] = [];
      const keys: { key: string; n: number }[] = [];
      for (let j = 0; j < config.batchSize; j++) {
        const g = cursor % groups;
        cursor += 1;
        const n = next.get(g) ?? 0;
        next.set(g, n + 1);
        entries.push({ Id: `m${j}`, MessageBody: fifoBody(p, g, n, config.bodyBytes), MessageGroupId: `g${g}` });
        keys.push({ key: `${g}/${p}`, n });
      }
      const t0 = performance.now();
      try {
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
        const t1 = performance.now();
        sendLat.push(t1 - t0);
        const ok = out.Successful ?? [];
        sent += ok.length;
        sentTimeline.add(ok.length, t1);
        for (const s of ok) {
          const k = keys[Number(s.Id?.slice(1))];
          if (!k) continue;
          const set = acked.get(k.key) ?? new Set<number>();
          acked.set(k.key, set);
          set.add(k.n);
        }
        if (out.Failed?.length) errors.recordEntries(out.Failed, 'SendMessageBatch');
      } catch (error) {
        errors.record(error, 'producer');
        guard(server);
        await sleep(10);
      }
    }
  };

  const check = (body: string, groupId: string | undefined, sequence: string | undefined) => {
    const m = FIFO_BODY.exec(body);
    if (!m) {
      order.unparsed += 1;
      return;
    }
    const [, p, g, nText] = m;
    const n = Number(nText);
    if (groupId !== `g${g}`) order.groupMismatches += 1;
    const key = `${g}/${p}`;
    const set = seen.get(key) ?? new Set<number>();
    seen.set(key, set);
    if (set.has(n)) {
      order.duplicates += 1;
      return;
    }
    set.add(n);
    const top = highest.get(key) ?? -1;
    if (n < top) order.violations += 1;
    else highest.set(key, n);
    if (sequence !== undefined && groupId !== undefined) {
      const s = BigInt(sequence);
      const last = lastSequence.get(groupId);
      if (last !== undefined && s <= last) order.sequenceViolations += 1;
      else lastSequence.set(groupId, s);
    }
  };

  const consumer = async () => {
    while (performance.now() < deadline) {
      let t0 = performance.now();
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: config.receiveMax,
            WaitTimeSeconds: config.receiveWaitSeconds,
            MessageSystemAttributeNames: ['MessageGroupId', 'SequenceNumber'],
          }),
        );
        receiveLat.push(performance.now() - t0);
        receiveRequests += 1;
        const messages = out.Messages ?? [];
        if (messages.length === 0) {
          emptyReceives += 1;
          continue;
        }
        received += messages.length;
        // Synchronously, before any other answer is handled: this is the order the consumers saw.
        for (const msg of messages) {
          check(msg.Body ?? '', msg.Attributes?.MessageGroupId, msg.Attributes?.SequenceNumber);
        }
        t0 = performance.now();
        const del = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        const t1 = performance.now();
        deleteLat.push(t1 - t0);
        const ok = del.Successful?.length ?? 0;
        deleted += ok;
        phase.count(ok, t1);
        if (del.Failed?.length) errors.recordEntries(del.Failed, 'DeleteMessageBatch');
      } catch (error) {
        errors.record(error, 'consumer');
        guard(server);
        await sleep(10);
      }
    }
  };

  await Promise.all([
    ...Array.from({ length: config.consumers }, () => consumer()),
    ...Array.from({ length: config.producers }, (_, p) => producer(p)),
  ]);
  const p = phase.end();
  const depthAfter = await queueDepth(sqs, QueueUrl);
  for (const [key, top] of highest) {
    const got = seen.get(key);
    for (const n of acked.get(key) ?? []) if (n < top && !got?.has(n)) order.skipped += 1;
  }
  order.groupsDelivered = lastSequence.size;
  return {
    groups,
    queueName,
    seconds: p.seconds,
    messagesSent: sent,
    messagesReceived: received,
    messagesDeleted: deleted,
    sentPerSecond: p.rate(sent),
    deletedPerSecond: p.rate(deleted),
    receiveRequests,
    emptyReceives,
    meanMessagesPerReceive: round(received / Math.max(1, receiveRequests), 2),
    receiveLatency: summarize(receiveLat),
    deleteBatchLatency: summarize(deleteLat),
    sendBatchLatency: summarize(sendLat),
    depthAfter: { visible: depthAfter.visible, inFlight: depthAfter.inFlight },
    order,
    sentPerSecondTimeline: sentTimeline.perSecond(p.elapsedMs),
    deletedPerSecondTimeline: p.perSecond,
    cpu: p.cpu,
    cpuPerSecond: p.cpuPerSecond,
    quiet: p.quiet,
    deletedPerServerCpuSecond: p.perServerCpuSecond(deleted),
    errors: errors.toJSON(),
  };
}

export async function fifoThroughput(
  server: ServerProcess,
  sqs: SQSClient,
  config: FifoConfig,
  onRun?: (run: FifoRunResult) => void,
): Promise<FifoResult> {
  const runs: FifoRunResult[] = [];
  for (const groups of config.groupCounts) {
    const run = await fifoThroughputRun(server, sqs, groups, config);
    onRun?.(run);
    runs.push(run);
  }
  return { config, runs };
}

// ---- (6) message move tasks (DLQ redrive) ----------------------------------------------------------

export interface MoveConfig {
  /** Messages put in the dead-letter queue before the unthrottled ("system optimized") task. */
  messages: number;
  /** A second task with MaxNumberOfMessagesPerSecond: the rate and how many messages it moves. */
  rated: { perSecond: number; messages: number };
  senders: number;
  batchSize: number;
  bodyBytes: number;
  /** How often ListMessageMoveTasks is polled while a task runs. */
  pollMs: number;
  /** A task still running after this long is cancelled and reported as such. */
  maxSeconds: number;
  /** Achieved/requested rate outside 1 ± this is flagged. */
  rateTolerance: number;
}

export interface MoveRunResult {
  /** null: no MaxNumberOfMessagesPerSecond (system optimized). */
  requestedRate: number | null;
  dlqDepthBefore: number;
  fill: { messagesSent: number; seconds: number; messagesPerSecond: number; errors: ReturnType<ErrorTally['toJSON']> };
  startRequestMs: number;
  /** Status when polling stopped: COMPLETED, or FAILED / CANCELLED / RUNNING (time cap, then cancelled). */
  status: string;
  failureReason: string | null;
  timedOut: boolean;
  messagesMoved: number;
  messagesToMove: number;
  /** From the StartMessageMoveTask answer to the first ListMessageMoveTasks that showed the task finished. */
  seconds: number;
  movedPerSecond: number;
  /** Moved per second between the first and the last poll that saw progress: without start-up and poll lag. */
  steadyMovedPerSecond: number | null;
  /** Throttled task only: movedPerSecond / requestedRate, and whether it is within the tolerance. */
  achievedRatio: number | null;
  rateOk: boolean | null;
  movedPerSecondTimeline: number[];
  listRequests: number;
  listLatency: LatencySummary;
  depthAfter: { dlq: number; dlqInFlight: number; destination: number };
  cpu: CpuUse;
  cpuPerSecond: ReturnType<CpuSampler['stop']>;
  movedPerServerCpuSecond: number | null;
  errors: ReturnType<ErrorTally['toJSON']>;
}

export interface MoveResult {
  config: MoveConfig;
  unthrottled: MoveRunResult;
  rated: MoveRunResult;
}

export async function queueArn(sqs: SQSClient, QueueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes ${QueueUrl} returned no QueueArn`);
  return arn;
}

async function moveRun(
  server: ServerProcess,
  sqs: SQSClient,
  queues: { dlqUrl: string; dlqArn: string; destinationUrl: string; destinationArn: string },
  messages: number,
  rate: number | undefined,
  config: MoveConfig,
  log: (line: string) => void,
): Promise<MoveRunResult> {
  const fill = await sendThroughput(
    server,
    sqs,
    queues.dlqUrl,
    { messages, senders: config.senders, batchSize: config.batchSize, bodyBytes: config.bodyBytes, maxSeconds: 600 },
    rate === undefined ? 'dlq' : 'dlq-rated',
  );
  const dlqBefore = await queueDepth(sqs, queues.dlqUrl);
  log(
    `  move${rate === undefined ? '' : ` at ${rate}/s`}: DLQ filled with ${fill.messagesSent} in ${fill.seconds} s ` +
      `(${fill.messagesPerSecond} msg/s), depth ${dlqBefore.visible}`,
  );
  const errors = new ErrorTally();
  const listLat: number[] = [];
  const samples: { t: number; moved: number }[] = [];
  let status = 'UNKNOWN';
  let failureReason: string | null = null;
  let moved = 0;
  let toMove = 0;
  let timedOut = false;

  // CPU is measured from before StartMessageMoveTask; the move's own clock starts at its answer.
  const phase = new Phase(server.pid);
  const started = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: queues.dlqArn,
      DestinationArn: queues.destinationArn,
      ...(rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: rate }),
    }),
  );
  const start = performance.now();
  const startRequestMs = round(start - phase.start);
  const deadline = start + config.maxSeconds * 1000;
  let end = start;
  for (;;) {
    await sleep(config.pollMs);
    const l0 = performance.now();
    try {
      const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: queues.dlqArn, MaxResults: 1 }));
      const now = performance.now();
      listLat.push(now - l0);
      const task = out.Results?.[0];
      if (task) {
        status = task.Status ?? 'UNKNOWN';
        failureReason = task.FailureReason ?? null;
        moved = task.ApproximateNumberOfMessagesMoved ?? moved;
        toMove = task.ApproximateNumberOfMessagesToMove ?? toMove;
        samples.push({ t: now - start, moved });
      }
      if (status !== 'RUNNING' && status !== 'UNKNOWN') {
        end = now;
        break;
      }
    } catch (error) {
      errors.record(error, 'ListMessageMoveTasks');
      guard(server);
    }
    if (performance.now() > deadline) {
      timedOut = true;
      end = performance.now();
      try {
        if (started.TaskHandle) {
          await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: started.TaskHandle }));
        }
      } catch (error) {
        errors.record(error, 'CancelMessageMoveTask');
      }
      break;
    }
  }
  const elapsed = end - start;
  const { cpu, cpuPerSecond } = phase.end();
  // Moved per whole second, from the last poll at or before each second boundary.
  const timeline: number[] = [];
  let prev = 0;
  for (let s = 1; s * 1000 <= elapsed; s++) {
    let at = prev;
    for (const sample of samples) if (sample.t <= s * 1000) at = sample.moved;
    timeline.push(at - prev);
    prev = at;
  }
  const progressing = samples.filter((s) => s.moved > 0);
  const first = progressing[0];
  const last = progressing[progressing.length - 1];
  const steady =
    first && last && last.t - first.t >= 500
      ? round((last.moved - first.moved) / ((last.t - first.t) / 1000), 1)
      : null;
  const movedPerSecond = round(moved / (elapsed / 1000), 1);
  const dlqAfter = await queueDepth(sqs, queues.dlqUrl);
  const destinationAfter = await queueDepth(sqs, queues.destinationUrl);
  const achievedRatio = rate === undefined ? null : round(movedPerSecond / rate, 3);
  return {
    requestedRate: rate ?? null,
    dlqDepthBefore: dlqBefore.visible,
    fill: {
      messagesSent: fill.messagesSent,
      seconds: fill.seconds,
      messagesPerSecond: fill.messagesPerSecond,
      errors: fill.errors,
    },
    startRequestMs,
    status,
    failureReason,
    timedOut,
    messagesMoved: moved,
    messagesToMove: toMove,
    seconds: round(elapsed / 1000, 3),
    movedPerSecond,
    steadyMovedPerSecond: steady,
    achievedRatio,
    rateOk: achievedRatio === null ? null : Math.abs(achievedRatio - 1) <= config.rateTolerance,
    movedPerSecondTimeline: timeline,
    listRequests: listLat.length,
    listLatency: summarize(listLat),
    depthAfter: { dlq: dlqAfter.visible, dlqInFlight: dlqAfter.inFlight, destination: destinationAfter.visible },
    cpu,
    cpuPerSecond,
    movedPerServerCpuSecond: perServerCpuSecond(moved, elapsed, cpu),
    errors: errors.toJSON(),
  };
}

/**
 * A source queue whose RedrivePolicy names a dead-letter queue; the DLQ is filled by sending to it
 * directly, then StartMessageMoveTask moves it to a separate destination queue, first as fast as the
 * server goes, then at a fixed MaxNumberOfMessagesPerSecond.
 */
export async function moveTaskThroughput(
  server: ServerProcess,
  sqs: SQSClient,
  config: MoveConfig,
  log: (line: string) => void,
): Promise<MoveResult> {
  const dlqUrl = await createQueue(sqs, 'bench-move-dlq');
  const dlqArn = await queueArn(sqs, dlqUrl);
  const { QueueUrl: sourceUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'bench-move-source',
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) },
    }),
  );
  if (!sourceUrl) throw new Error('CreateQueue bench-move-source returned no QueueUrl');
  const destinationUrl = await createQueue(sqs, 'bench-move-destination');
  const destinationArn = await queueArn(sqs, destinationUrl);
  const ratedUrl = await createQueue(sqs, 'bench-move-destination-rated');
  const ratedArn = await queueArn(sqs, ratedUrl);

  const unthrottled = await moveRun(
    server,
    sqs,
    { dlqUrl, dlqArn, destinationUrl, destinationArn },
    config.messages,
    undefined,
    config,
    log,
  );
  const rated = await moveRun(
    server,
    sqs,
    { dlqUrl, dlqArn, destinationUrl: ratedUrl, destinationArn: ratedArn },
    config.rated.messages,
    config.rated.perSecond,
    config,
    log,
  );
  return { config, unthrottled, rated };
}
