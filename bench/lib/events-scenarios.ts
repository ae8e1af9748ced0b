import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { benchClientConfig } from './clients.js';
import { createQueue, guard, queueArn, queueDepth, sleep } from './scenarios.js';
import type { ServerProcess } from './server-process.js';
import {
  type CpuSampler,
  type CpuUse,
  ErrorTally,
  type LatencySummary,
  Phase,
  processMemoryKiB,
  type quietSeconds,
  round,
  summarize,
} from './stats.js';

export function makeEventBridgeClient(url: string, maxSockets: number): EventBridgeClient {
  return new EventBridgeClient(benchClientConfig(url, maxSockets));
}

// ---- the rule set ---------------------------------------------------------------------------------

/** Rules with SQS targets: the throughput events are spread over these, one queue each. */
export const ROUTED_RULES = 5;
/** One more routed rule, with its own queue, so that the latency phase's queue holds no throughput backlog. */
const LATENCY_FULFILMENT = 'fc-express';
const SOURCE = 'shop.orders';
const DETAIL_TYPE = 'OrderPlaced';

export type DecoyKind = 'exact' | 'prefix' | 'numeric' | 'anything-but';

/**
 * Decoy rule i: no target, matches the events whose marketplace is `mkt-<i>`. Nine in ten are plain
 * exact matches; the tenth cycles through prefix, numeric and anything-but so that a matcher is not
 * measured on string equality alone. All share source and detail-type with the routed rules, so neither
 * field rules them out.
 */
export function decoyRule(i: number): { kind: DecoyKind; pattern: string } {
  const head = `"source":["${SOURCE}"],"detail-type":["${DETAIL_TYPE}"]`;
  if (i % 10 === 3) {
    switch (Math.floor(i / 10) % 3) {
      case 0:
        return { kind: 'prefix', pattern: `{"source":["${SOURCE}"],"detail":{"sku":[{"prefix":"SKU-${i}-"}]}}` };
      case 1:
        return {
          kind: 'numeric',
          pattern: `{${head},"detail":{"marketplace":["mkt-${i}"],"total":[{"numeric":[">=",100,"<",1000]}]}}`,
        };
      default:
        return {
          kind: 'anything-but',
          pattern: `{${head},"detail":{"marketplace":["mkt-${i}"],"currency":[{"anything-but":["USD","GBP"]}]}}`,
        };
    }
  }
  return { kind: 'exact', pattern: `{${head},"detail":{"marketplace":["mkt-${i}"]}}` };
}

function routedPattern(fulfilment: string): string {
  return `{"source":["${SOURCE}"],"detail-type":["${DETAIL_TYPE}"],"detail":{"fulfilment":["${fulfilment}"]}}`;
}

const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY'] as const;

/**
 * An order event (about 300 bytes of detail) that exactly one routed rule takes (`fulfilment`) and,
 * through its marketplace, usually one decoy too. The multiplier scatters consecutive events over the
 * marketplaces; it is prime, so every decoy is hit.
 */
export function orderEvent(busName: string, tag: string, seq: number, fulfilment: string, decoys: number) {
  const m = (seq * 7919) % Math.max(1, decoys);
  const detail = {
    orderId: `o-${tag}-${seq}`,
    marketplace: `mkt-${m}`,
    sku: `SKU-${m}-${seq % 997}`,
    total: round(5 + ((seq * 37) % 199_500) / 100, 2),
    currency: CURRENCIES[seq % CURRENCIES.length],
    customer: { id: `c-${seq % 10_007}`, tier: seq % 5 === 0 ? 'gold' : 'standard', country: 'DE' },
    items: [{ sku: `SKU-${m}-${seq % 997}`, quantity: 1 + (seq % 3) }],
    fulfilment,
    placedAt: '2026-11-25T18:00:00Z',
  };
  return {
    EventBusName: busName,
    Source: SOURCE,
    DetailType: DETAIL_TYPE,
    Detail: JSON.stringify(detail),
  } satisfies PutEventsRequestEntry;
}

// ---- bus set-up -----------------------------------------------------------------------------------

export interface RoutedQueue {
  name: string;
  url: string;
  arn: string;
  fulfilment: string;
}

export interface BusSetup {
  busName: string;
  /** All rules on the bus: decoys plus the routed and latency rules. */
  rules: number;
  decoys: number;
  kinds: Record<DecoyKind | 'routed', number>;
  routed: RoutedQueue[];
  latencyQueue: RoutedQueue;
  creation: {
    concurrency: number;
    seconds: number;
    rulesPerSecond: number;
    putRuleLatency: LatencySummary;
    cpu: CpuUse;
    serverCpuSeconds: number | null;
  };
}

async function routedQueue(sqs: SQSClient, prefix: string, fulfilment: string): Promise<RoutedQueue> {
  const name = `${prefix}-${fulfilment}`;
  const url = await createQueue(sqs, name);
  return { name, url, arn: await queueArn(sqs, url), fulfilment };
}

/**
 * A fresh bus with `rules` rules in all. Rules are created from `concurrency` parallel loops because
 * one after another, each waiting for its commit, 10,000 of them would take longer than the measurement.
 */
export async function setUpBus(
  server: ServerProcess,
  eb: EventBridgeClient,
  sqs: SQSClient,
  rules: number,
  concurrency: number,
): Promise<BusSetup> {
  const routedCount = ROUTED_RULES + 1;
  if (rules < routedCount)
    throw new Error(`a bus needs at least ${routedCount} rules (${ROUTED_RULES} routed + latency)`);
  const busName = `bench-events-${rules}`;
  await eb.send(new CreateEventBusCommand({ Name: busName }));
  const routed: RoutedQueue[] = [];
  for (let k = 0; k < ROUTED_RULES; k++) routed.push(await routedQueue(sqs, `ev${rules}`, `fc-${k}`));
  const latencyQueue = await routedQueue(sqs, `ev${rules}`, LATENCY_FULFILMENT);
  for (const q of [...routed, latencyQueue]) {
    const Name = `route-${q.fulfilment}`;
    await eb.send(new PutRuleCommand({ Name, EventBusName: busName, EventPattern: routedPattern(q.fulfilment) }));
    const out = await eb.send(
      new PutTargetsCommand({ Rule: Name, EventBusName: busName, Targets: [{ Id: 'queue', Arn: q.arn }] }),
    );
    if (out.FailedEntryCount) {
      throw new Error(
        `PutTargets ${Name}: ${out.FailedEntries?.[0]?.ErrorCode} ${out.FailedEntries?.[0]?.ErrorMessage}`,
      );
    }
  }

  const decoys = rules - routedCount;
  const kinds: BusSetup['kinds'] = { exact: 0, prefix: 0, numeric: 0, 'anything-but': 0, routed: routedCount };
  const latencies: number[] = [];
  const phase = new Phase(server.pid);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= decoys) return;
      const { kind, pattern } = decoyRule(i);
      kinds[kind] += 1;
      const t0 = performance.now();
      try {
        await eb.send(new PutRuleCommand({ Name: `decoy-${i}`, EventBusName: busName, EventPattern: pattern }));
      } catch (error) {
        guard(server);
        // A bus without all its rules would measure something else: stop here, naming the cause.
        const e = error as { name?: string; message?: string };
        throw new Error(`PutRule decoy-${i} on ${busName} failed: ${e.name}: ${e.message}`);
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, decoys)) }, worker));
  const p = phase.end();
  return {
    busName,
    rules,
    decoys,
    kinds,
    routed,
    latencyQueue,
    creation: {
      concurrency,
      seconds: p.seconds,
      rulesPerSecond: p.rate(decoys),
      putRuleLatency: summarize(latencies),
      cpu: p.cpu,
      serverCpuSeconds: p.serverCpuSeconds,
    },
  };
}

// ---- PutEvents throughput -------------------------------------------------------------------------

export interface RoutedThroughputConfig {
  producers: number;
  /** Entries per PutEvents (AWS allows at most 10). */
  batchSize: number;
  /** The phase runs for this long rather than to a count, so that a slow matcher cannot stretch the run. */
  seconds: number;
}

export interface RoutedThroughputResult {
  config: RoutedThroughputConfig;
  seconds: number;
  requests: number;
  /** Entries that PutEvents accepted (returned an EventId for). */
  entriesAccepted: number;
  /** Sum of FailedEntryCount over all answers; should be 0. */
  failedEntries: number;
  entriesPerSecond: number;
  requestsPerSecond: number;
  requestLatency: LatencySummary;
  perSecond: number[];
  cpu: CpuUse;
  cpuPerSecond: ReturnType<CpuSampler['stop']>;
  serverCpuSeconds: number | null;
  /** Median entries/s over the seconds in which other processes used at most 10% of a core. */
  quiet: ReturnType<typeof quietSeconds>;
  /** Entries per second of server CPU time: what one server core would carry if the client kept up. */
  entriesPerServerCpuSecond: number | null;
  errors: ReturnType<ErrorTally['toJSON']>;
}

/** `producers` loops each sending PutEvents of `batchSize` entries, round-robin over the routed rules. */
export async function routedThroughput(
  server: ServerProcess,
  eb: EventBridgeClient,
  bus: BusSetup,
  config: RoutedThroughputConfig,
  tag: string,
): Promise<RoutedThroughputResult> {
  const errors = new ErrorTally();
  const latencies: number[] = [];
  let seq = 0;
  let accepted = 0;
  let failed = 0;
  let requests = 0;
  const phase = new Phase(server.pid);
  const deadline = phase.start + config.seconds * 1000;

  const producer = async () => {
    while (performance.now() < deadline) {
      const Entries: PutEventsRequestEntry[] = [];
      for (let j = 0; j < config.batchSize; j++) {
        const s = seq++;
        const fulfilment = (bus.routed[s % bus.routed.length] as RoutedQueue).fulfilment;
        Entries.push(orderEvent(bus.busName, tag, s, fulfilment, bus.decoys));
      }
      const t0 = performance.now();
      try {
        const out = await eb.send(new PutEventsCommand({ Entries }));
        const t1 = performance.now();
        latencies.push(t1 - t0);
        requests += 1;
        const ok = (out.Entries ?? []).filter((e) => e.EventId).length;
        accepted += ok;
        phase.count(ok, t1);
        if (out.FailedEntryCount) {
          failed += out.FailedEntryCount;
          errors.recordEntries(
            (out.Entries ?? []).filter((e) => e.ErrorCode).map((e) => ({ Code: e.ErrorCode, Message: e.ErrorMessage })),
            'PutEvents',
          );
        }
      } catch (error) {
        errors.record(error, 'PutEvents');
        guard(server);
        await sleep(10);
      }
    }
  };
  await Promise.all(Array.from({ length: config.producers }, producer));
  const p = phase.end();
  return {
    config,
    seconds: p.seconds,
    requests,
    entriesAccepted: accepted,
    failedEntries: failed,
    entriesPerSecond: p.rate(accepted),
    requestsPerSecond: p.rate(requests),
    requestLatency: summarize(latencies),
    perSecond: p.perSecond,
    cpu: p.cpu,
    cpuPerSecond: p.cpuPerSecond,
    serverCpuSeconds: p.serverCpuSeconds,
    quiet: p.quiet,
    entriesPerServerCpuSecond: p.perServerCpuSecond(accepted),
    errors: errors.toJSON(),
  };
}

// ---- delivery check -------------------------------------------------------------------------------

export interface DeliveryCheck {
  /** Entries accepted by PutEvents (warm-up and measured run): each should be one message in a routed queue. */
  expected: number;
  /** Messages in the routed queues (visible + in flight) at the last read. */
  delivered: number;
  allDelivered: boolean;
  perQueue: Record<string, number>;
  /** From the end of the sends until the counts were final. */
  waitedMs: number;
}

/**
 * Sums the routed queues' depths until it reaches `expected` or stops changing. PutEvents here appends to
 * the queues before it answers, so the first read should already be final; the polling is for a server
 * that delivers asynchronously, where an early read would under-count.
 */
export async function checkDelivery(
  sqs: SQSClient,
  queues: readonly RoutedQueue[],
  expected: number,
  maxWaitMs = 15_000,
): Promise<DeliveryCheck> {
  const start = performance.now();
  let last = -1;
  let unchangedSince = start;
  for (;;) {
    const perQueue: Record<string, number> = {};
    let delivered = 0;
    for (const q of queues) {
      const d = await queueDepth(sqs, q.url);
      perQueue[q.name] = d.visible + d.inFlight;
      delivered += d.visible + d.inFlight;
    }
    const now = performance.now();
    if (delivered !== last) unchangedSince = now;
    last = delivered;
    if (delivered >= expected || now - unchangedSince >= 2_000 || now - start >= maxWaitMs) {
      return { expected, delivered, allDelivered: delivered === expected, perQueue, waitedMs: round(now - start, 0) };
    }
    await sleep(200);
  }
}

// ---- PutEvents -> waiting long poll ---------------------------------------------------------------

export interface EventLatencyConfig {
  samples: number;
  waitTimeSeconds: number;
  /** How long the long poll is given to reach the server and park before the PutEvents. */
  settleMs: number;
  /** Sampling stops after this long even if fewer samples were taken. */
  maxSeconds: number;
}

export interface EventLatencyResult {
  config: EventLatencyConfig;
  /** From just before PutEvents until the parked ReceiveMessage resolved with the event. */
  putToReceive: LatencySummary;
  /** From just before PutEvents until PutEvents itself resolved. */
  putAck: LatencySummary;
  misses: {
    /** The long poll answered before the PutEvents was sent (should be 0). */
    returnedBeforePut: number;
    /** The long poll answered without a message. */
    returnedEmpty: number;
    /** The message received was not the event just put. */
    wrongEvent: number;
    /** PutEvents refused the entry; the waiting receive was abandoned. */
    failedEntries: number;
  };
  /** Samples over a second: the long poll was not woken by the delivery. */
  slowSamples: number;
  /** True if maxSeconds ended the sampling early. */
  capped: boolean;
  errors: ReturnType<ErrorTally['toJSON']>;
}

/** One event at a time, each put while a ReceiveMessage is already parked on the latency rule's queue. */
export async function putEventsLatency(
  server: ServerProcess,
  eb: EventBridgeClient,
  sqs: SQSClient,
  bus: BusSetup,
  config: EventLatencyConfig,
): Promise<EventLatencyResult> {
  const errors = new ErrorTally();
  const toReceive: number[] = [];
  const ack: number[] = [];
  const misses = { returnedBeforePut: 0, returnedEmpty: 0, wrongEvent: 0, failedEntries: 0 };
  const QueueUrl = bus.latencyQueue.url;
  const deadline = performance.now() + config.maxSeconds * 1000;
  let attempts = 0;
  let capped = false;
  while (toReceive.length < config.samples && attempts < config.samples * 2) {
    if (performance.now() > deadline) {
      capped = true;
      break;
    }
    attempts += 1;
    let receivedAt: number | undefined;
    const abort = new AbortController();
    const receive = sqs
      .send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: config.waitTimeSeconds }), {
        abortSignal: abort.signal,
      })
      .then((out) => {
        receivedAt = performance.now();
        return out;
      });
    receive.catch(() => undefined); // awaited below; keeps an early failure from being an unhandled rejection
    await sleep(config.settleMs);
    try {
      if (receivedAt !== undefined) {
        misses.returnedBeforePut += 1;
        await receive;
        continue;
      }
      const putStarted = performance.now();
      const entry = orderEvent(bus.busName, 'latency', attempts, bus.latencyQueue.fulfilment, bus.decoys);
      const put = await eb.send(new PutEventsCommand({ Entries: [entry] }));
      const putMs = performance.now() - putStarted;
      const eventId = put.Entries?.[0]?.EventId;
      if (put.FailedEntryCount || !eventId) {
        // Nothing will arrive: do not sit out the whole wait.
        misses.failedEntries += 1;
        const e = put.Entries?.[0];
        errors.recordEntries([{ Code: e?.ErrorCode, Message: e?.ErrorMessage }], 'PutEvents');
        abort.abort();
        await receive.catch(() => undefined);
        continue;
      }
      const out = await receive;
      const message = out.Messages?.[0];
      if (!message || receivedAt === undefined) {
        misses.returnedEmpty += 1;
        continue;
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
      let id: unknown;
      try {
        id = (JSON.parse(message.Body ?? '') as { id?: unknown }).id;
      } catch {
        id = undefined;
      }
      if (id !== eventId) {
        misses.wrongEvent += 1;
        continue;
      }
      toReceive.push(receivedAt - putStarted);
      ack.push(putMs);
    } catch (error) {
      errors.record(error, 'latency');
      guard(server);
      abort.abort();
      await receive.catch(() => undefined);
    }
  }
  return {
    config,
    putToReceive: summarize(toReceive),
    putAck: summarize(ack),
    misses,
    slowSamples: toReceive.filter((ms) => ms > 1000).length,
    capped,
    errors: errors.toJSON(),
  };
}

// ---- one rule count -------------------------------------------------------------------------------

export interface RuleCountConfig {
  createConcurrency: number;
  warmup: RoutedThroughputConfig;
  throughput: RoutedThroughputConfig;
  latency: EventLatencyConfig;
}

export interface RuleCountResult {
  rules: number;
  busName: string;
  decoys: number;
  kinds: BusSetup['kinds'];
  creation: BusSetup['creation'];
  warmup: { seconds: number; entriesAccepted: number; entriesPerSecond: number; errors: number };
  throughput: RoutedThroughputResult;
  delivery: DeliveryCheck;
  latency: EventLatencyResult;
  rssAfterKiB: number | null;
  peakRssKiB: number | null;
}

/** Set-up, a short unmeasured warm-up (JIT, pattern compilation), throughput, delivery check, latency. */
export async function ruleCountRun(
  server: ServerProcess,
  eb: EventBridgeClient,
  sqs: SQSClient,
  rules: number,
  config: RuleCountConfig,
  log: (line: string) => void,
): Promise<RuleCountResult> {
  const bus = await setUpBus(server, eb, sqs, rules, config.createConcurrency);
  log(
    `  ${rules} rules: created ${bus.decoys} decoys in ${bus.creation.seconds} s ` +
      `(${bus.creation.rulesPerSecond} rules/s, PutRule p50 ${bus.creation.putRuleLatency.p50Ms} ms)`,
  );
  const warm = await routedThroughput(server, eb, bus, config.warmup, `warm${rules}`);
  const run = await routedThroughput(server, eb, bus, config.throughput, `run${rules}`);
  log(
    `  ${rules} rules: ${run.entriesAccepted} entries in ${run.seconds} s = ${run.entriesPerSecond} entries/s ` +
      `(${run.requestsPerSecond} PutEvents/s, p50 ${run.requestLatency.p50Ms} ms), failed entries ${run.failedEntries}, ` +
      `errors ${run.errors.total}`,
  );
  const delivery = await checkDelivery(sqs, bus.routed, warm.entriesAccepted + run.entriesAccepted);
  log(`  ${rules} rules: delivered ${delivery.delivered} of ${delivery.expected}`);
  const latency = await putEventsLatency(server, eb, sqs, bus, config.latency);
  log(
    `  ${rules} rules: PutEvents -> long poll p50 ${latency.putToReceive.p50Ms} ms, p99 ${latency.putToReceive.p99Ms} ms, ` +
      `max ${latency.putToReceive.maxMs} ms (${latency.putToReceive.count} samples${latency.capped ? ', time cap hit' : ''})`,
  );
  const mem = processMemoryKiB(server.pid);
  return {
    rules,
    busName: bus.busName,
    decoys: bus.decoys,
    kinds: bus.kinds,
    creation: bus.creation,
    warmup: {
      seconds: warm.seconds,
      entriesAccepted: warm.entriesAccepted,
      entriesPerSecond: warm.entriesPerSecond,
      errors: warm.errors.total + warm.failedEntries,
    },
    throughput: run,
    delivery,
    latency,
    rssAfterKiB: mem?.rssKiB ?? null,
    peakRssKiB: mem?.peakRssKiB ?? null,
  };
}
