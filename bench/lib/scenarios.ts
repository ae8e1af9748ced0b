import http from 'node:http';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ServerProcess } from './server-process.js';
import {
  CpuMeter,
  CpuSampler,
  type CpuUse,
  ErrorTally,
  type LatencySummary,
  processMemoryKiB,
  quietSeconds,
  round,
  summarize,
  Timeline,
} from './stats.js';

// The SDK warns on every run that its 2027 releases will need Node 22; that is noise in a benchmark report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function makeClient(url: string, maxSockets: number): SQSClient {
  return new SQSClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
    // No retries: a failed request is counted, not silently repeated.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent({ keepAlive: true, maxSockets }),
      connectionTimeout: 5_000,
      requestTimeout: 35_000,
      throwOnRequestTimeout: true,
    }),
  });
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

function perServerCpuSecond(messages: number, elapsedMs: number, cpu: CpuUse): number | null {
  if (!cpu.serverCpuPercent) return null;
  return round(messages / ((elapsedMs / 1000) * (cpu.serverCpuPercent / 100)), 0);
}

function guard(server: ServerProcess): void {
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
  const start = performance.now();
  const deadline = start + config.maxSeconds * 1000;
  const timeline = new Timeline(start);
  const cpu = new CpuMeter(server.pid);
  const sampler = new CpuSampler(server.pid);

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
        timeline.add(ok, t1);
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
  const elapsed = performance.now() - start;
  const cpuUse = cpu.read();
  const cpuPerSecond = sampler.stop();
  return {
    config,
    messagesSent: sent,
    requests,
    seconds: round(elapsed / 1000, 3),
    messagesPerSecond: round(sent / (elapsed / 1000), 1),
    requestsPerSecond: round(requests / (elapsed / 1000), 1),
    capped,
    requestLatency: summarize(latencies),
    perSecond: timeline.perSecond(elapsed),
    cpu: cpuUse,
    cpuPerSecond,
    quiet: quietSeconds(timeline.perSecond(elapsed), cpuPerSecond.other),
    messagesPerServerCpuSecond: perServerCpuSecond(sent, elapsed, cpuUse),
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
  const start = performance.now();
  const deadline = start + config.seconds * 1000;
  const timeline = new Timeline(start);
  const cpu = new CpuMeter(server.pid);
  const sampler = new CpuSampler(server.pid);

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
        timeline.add(ok, t1);
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
  const elapsed = performance.now() - start;
  const cpuUse = cpu.read();
  const cpuPerSecond = sampler.stop();
  const depthAfter = await queueDepth(sqs, QueueUrl);
  const perSecond = (n: number) => round(n / (elapsed / 1000), 1);
  return {
    config,
    depthBefore: { visible: depthBefore.visible, inFlight: depthBefore.inFlight },
    depthAfter: { visible: depthAfter.visible, inFlight: depthAfter.inFlight },
    seconds: round(elapsed / 1000, 3),
    messagesDeleted: deleted,
    messagesReceived: received,
    messagesProduced: produced,
    deletedPerSecond: perSecond(deleted),
    receivedPerSecond: perSecond(received),
    producedPerSecond: perSecond(produced),
    receiveRequests,
    emptyReceives,
    meanMessagesPerReceive: round(received / Math.max(1, receiveRequests), 2),
    receiveLatency: summarize(receiveLat),
    deleteBatchLatency: summarize(deleteLat),
    produceBatchLatency: summarize(produceLat),
    deletedPerSecondTimeline: timeline.perSecond(elapsed),
    cpu: cpuUse,
    cpuPerSecond,
    quiet: quietSeconds(timeline.perSecond(elapsed), cpuPerSecond.other),
    deletedPerServerCpuSecond: perServerCpuSecond(deleted, elapsed, cpuUse),
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
