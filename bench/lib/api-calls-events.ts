// Designs 2 and 3 of the API-call savings benchmark, run for real against a Switchyard server: the workload's
// publications are replayed through EventBridge with switchyard/client's `createProducer`, rules route them by source
// (orders, inventory, returns) to one queue per design and source, and `consume()` consumers call the fake downstream
// in their handlers.
//
// - Design 2, event-driven: a plain consumer, one downstream call per message.
// - Design 3, event-driven with coalescing and idempotency: `coalesce: { windowMs }` (the default key, the catalogue
//   entity and its version) and `idempotency` with a MemoryIdempotencyStore keyed by the change (entity and version):
//   a producer that retries a PutEvents sends a second EventBridge event with a new id, so the event id would not
//   recognise the repeat.
//
// Both designs take the same publications at once (each rule has a twin for the other design), on one server, so they
// see the same timing and load. Time is compressed: simulated time runs `timeScale` times faster than real time, the
// coalescing window is given in simulated milliseconds (the consumer gets windowMs / timeScale), and the downstream's
// call times are converted back to simulated time. The pipeline's own latency (PutEvents, routing, long poll) is
// real time, so it counts `timeScale` times over in simulated seconds: the event-driven staleness figures are upper
// bounds.
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  type ConsumableEvent,
  type Consumer,
  type ConsumerStats,
  consume,
  createProducer,
  type EventDefinition,
  entityCoalescingKey,
  entityKey,
  INVENTORY_SOURCE,
  InventoryAdjusted,
  InventoryReleased,
  InventoryReserved,
  MemoryIdempotencyStore,
  ORDERS_SOURCE,
  OrderCancelled,
  OrderCreated,
  OrderShipped,
  OrderUpdated,
  RETURNS_SOURCE,
  ReturnReceived,
  ReturnRefunded,
  ReturnRequested,
} from '../../src/client/index.js';
import { FakeDownstream } from './api-calls-downstream.js';
import { definitionOf, stateOf, type Workload } from './api-calls-workload.js';
import { benchClientConfig } from './clients.js';
import { createQueue, queueArn, queueDepth, sleep } from './scenarios.js';
import { CpuMeter, type CpuUse, ErrorTally, type LatencySummary, summarize } from './stats.js';

export const EVENT_DESIGNS = ['event-driven', 'coalesced'] as const;
export type EventDesign = (typeof EVENT_DESIGNS)[number];

/** The queues of each design: one per source, as the reference deployment routes them. */
const GROUPS: readonly { name: string; source: string; events: readonly ConsumableEvent[] }[] = [
  { name: 'orders', source: ORDERS_SOURCE, events: [OrderCreated, OrderUpdated, OrderCancelled, OrderShipped] },
  { name: 'inventory', source: INVENTORY_SOURCE, events: [InventoryAdjusted, InventoryReserved, InventoryReleased] },
  { name: 'returns', source: RETURNS_SOURCE, events: [ReturnRequested, ReturnReceived, ReturnRefunded] },
];

export interface EventRunConfig {
  /** Simulated seconds per real second. */
  timeScale: number;
  /** Design 3's coalescing window, in simulated milliseconds. */
  windowMs: number;
  /** Handler slots of each consumer (one consumer per queue). */
  concurrency: number;
  waitTimeSeconds: number;
  /** The producer's linger, real milliseconds. */
  lingerMs: number;
  /** How long the queues may take to drain after the last publication, real seconds. */
  drainTimeoutSeconds: number;
}

/** Consumer counters of one design, summed over its queues. */
export type DesignCounters = Pick<
  ConsumerStats,
  'handled' | 'failed' | 'retried' | 'released' | 'duplicates' | 'coalesced' | 'skipped'
>;

export interface EventDesignRun {
  design: EventDesign;
  downstream: FakeDownstream;
  counters: DesignCounters;
  /** Real milliseconds from a change's first publish to each downstream call carrying its version. */
  callLatencyMs: LatencySummary;
  errors: ReturnType<ErrorTally['toJSON']>;
}

export interface EventRunResult {
  designs: Record<EventDesign, EventDesignRun>;
  /** Real seconds the replay of the publications took, and the drain after it. */
  replaySeconds: number;
  drainSeconds: number;
  drained: boolean;
  /** How late each publish was against its scheduled real time, real milliseconds. */
  publishLagMs: LatencySummary;
  publishErrors: ReturnType<ErrorTally['toJSON']>;
  published: number;
  /** CPU over the replay and drain: the server, this process, and the rest of the machine (% of one core). */
  cpu: CpuUse;
  /** The largest backlog (visible messages, summed over a design's queues) seen by a once-a-second sample. */
  maxBacklog: Record<EventDesign, number>;
}

function counters(stats: ConsumerStats[]): DesignCounters {
  const sum = (k: keyof DesignCounters) => stats.reduce((s, x) => s + x[k], 0);
  return {
    handled: sum('handled'),
    failed: sum('failed'),
    retried: sum('retried'),
    released: sum('released'),
    duplicates: sum('duplicates'),
    coalesced: sum('coalesced'),
    skipped: sum('skipped'),
  };
}

/** The change's version and key in a received event, and the state it carries. */
function callOf(event: { source: string; detailType: string; detail: unknown }) {
  const entity = entityKey(event);
  const state = stateOf(event.source, event.detailType, event.detail as Record<string, unknown>);
  if (!entity || state === undefined)
    throw new Error(`not a catalogue state change: ${event.source} ${event.detailType}`);
  return { key: entityCoalescingKey(entity), version: entity.version, state };
}

export async function runEventDesigns(
  server: { url: string; pid: number },
  workload: Workload,
  config: EventRunConfig,
  log: (line: string) => void = () => {},
): Promise<EventRunResult> {
  const s = config.timeScale;
  const eb = new EventBridgeClient(benchClientConfig(server.url, 32));
  const sqs = new SQSClient(benchClientConfig(server.url, 128));
  const consumers: Consumer[] = [];
  let sampling = true;
  try {
    const prefix = `api-calls-${Date.now().toString(36)}`;
    const queues: { design: EventDesign; url: string; group: (typeof GROUPS)[number] }[] = [];
    for (const design of EVENT_DESIGNS) {
      for (const group of GROUPS) {
        const name = `${prefix}-${design}-${group.name}`;
        const queueUrl = await createQueue(sqs, name);
        await eb.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: [group.source] }) }));
        const out = await eb.send(
          new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'queue', Arn: await queueArn(sqs, queueUrl) }] }),
        );
        if (out.FailedEntryCount) throw new Error(`PutTargets ${name} failed: ${JSON.stringify(out.FailedEntries)}`);
        queues.push({ design, url: queueUrl, group });
      }
    }

    let t0 = Number.POSITIVE_INFINITY;
    const simNow = () => (performance.now() - t0) * s;
    /** Real time of each change's first publish, by `key@version`. */
    const firstPublish = new Map<string, number>();
    const runs = {} as Record<EventDesign, EventDesignRun>;
    const latencies: Record<EventDesign, number[]> = { 'event-driven': [], coalesced: [] };
    const designConsumers: Record<EventDesign, Consumer[]> = { 'event-driven': [], coalesced: [] };
    const tallies: Record<EventDesign, ErrorTally> = { 'event-driven': new ErrorTally(), coalesced: new ErrorTally() };
    for (const design of EVENT_DESIGNS) {
      const downstream = new FakeDownstream(workload.initial);
      const errors = tallies[design];
      runs[design] = {
        design,
        downstream,
        counters: counters([]),
        callLatencyMs: summarize([]),
        errors: errors.toJSON(),
      };
      for (const q of queues.filter((x) => x.design === design)) {
        const handler = (event: { source: string; detailType: string; detail: unknown }) => {
          const now = performance.now();
          const call = callOf(event);
          downstream.put({ ...call, at: simNow() });
          const published = firstPublish.get(`${call.key}@${call.version}`);
          if (published !== undefined) latencies[design].push(now - published);
        };
        const consumer =
          design === 'coalesced'
            ? consume({
                client: sqs,
                queueUrl: q.url,
                events: q.group.events,
                concurrency: config.concurrency,
                waitTimeSeconds: config.waitTimeSeconds,
                handler,
                coalesce: { windowMs: config.windowMs / s },
                idempotency: {
                  store: new MemoryIdempotencyStore(),
                  key: (_message, input) => {
                    const e = entityKey(input as { source: string; detail: unknown });
                    return e && `${q.group.name}:${entityCoalescingKey(e)}@${e.version}`;
                  },
                },
              })
            : consume({
                client: sqs,
                queueUrl: q.url,
                events: q.group.events,
                concurrency: config.concurrency,
                waitTimeSeconds: config.waitTimeSeconds,
                handler,
              });
        consumer.on('error', (error, info) => errors.record(error, info.operation));
        consumer.on('processing_error', (error) => errors.record(error, 'handler'));
        consumers.push(consumer);
        designConsumers[design].push(consumer);
      }
    }
    await Promise.all(consumers.map((c) => c.start()));

    // A backlog sampler: whether the pipeline kept up with the replay.
    const maxBacklog: Record<EventDesign, number> = { 'event-driven': 0, coalesced: 0 };
    const sampler = (async () => {
      while (sampling) {
        await sleep(1000);
        for (const design of EVENT_DESIGNS) {
          const depths = await Promise.all(
            queues.filter((q) => q.design === design).map((q) => queueDepth(sqs, q.url).catch(() => undefined)),
          );
          const visible = depths.reduce((n, d) => n + (d?.visible ?? 0), 0);
          maxBacklog[design] = Math.max(maxBacklog[design], visible);
        }
      }
    })();

    // The replay: each publication at t0 + at / timeScale.
    const cpu = new CpuMeter(server.pid);
    const producer = createProducer({ client: eb, lingerMs: config.lingerMs });
    const publishErrors = new ErrorTally();
    const lags: number[] = [];
    const pending: Promise<unknown>[] = [];
    const pubs = workload.publications;
    const total = pubs.length;
    t0 = performance.now() + 200;
    let i = 0;
    let nextReport = t0 + 10_000;
    while (i < total) {
      const now = performance.now();
      while (i < total) {
        const pub = pubs[i] as (typeof pubs)[number];
        const due = t0 + pub.at / s;
        if (due > now) break;
        const change = workload.changes[pub.change];
        if (!change) throw new Error(`publication ${i} names no change`);
        lags.push(now - due);
        const id = `${change.key}@${change.version}`;
        if (!firstPublish.has(id)) firstPublish.set(id, now);
        pending.push(
          producer
            .publish(definitionOf(change) as EventDefinition<unknown, unknown>, change.detail)
            .catch((error: unknown) => publishErrors.record(error, 'publish')),
        );
        i += 1;
      }
      if (now >= nextReport) {
        nextReport += 10_000;
        const handled = (d: EventDesign) => designConsumers[d].reduce((n, c) => n + c.stats().handled, 0);
        log(
          `  ${Math.round(simNow() / 1000)} s simulated: ${i} of ${total} published; handler calls ` +
            `${handled('event-driven')} (event-driven), ${handled('coalesced')} (coalesced)`,
        );
      }
      const next = pubs[i];
      if (next) await sleep(Math.max(1, t0 + next.at / s - performance.now()));
    }
    await producer.close();
    await Promise.all(pending);
    const replayEnd = performance.now();
    const replaySeconds = (replayEnd - t0) / 1000;

    // Drain: every queue empty (nothing visible, in flight or delayed) and nothing held, twice in a row.
    let quiet = 0;
    let drained = false;
    const drainDeadline = replayEnd + config.drainTimeoutSeconds * 1000;
    while (performance.now() < drainDeadline) {
      const depths = await Promise.all(queues.map((q) => queueDepth(sqs, q.url)));
      const held = consumers.reduce((n, c) => n + c.stats().inFlight, 0);
      const empty = depths.every((d) => d.visible === 0 && d.inFlight === 0) && held === 0;
      quiet = empty ? quiet + 1 : 0;
      if (quiet >= 2) {
        drained = true;
        break;
      }
      await sleep(100);
    }
    const drainSeconds = (performance.now() - replayEnd) / 1000;
    const cpuUse = cpu.read();
    sampling = false;
    await sampler;
    await Promise.all(consumers.map((c) => c.stop({ timeoutMs: 10_000 })));
    for (const design of EVENT_DESIGNS) {
      runs[design].counters = counters(designConsumers[design].map((c) => c.stats()));
      runs[design].callLatencyMs = summarize(latencies[design]);
      runs[design].errors = tallies[design].toJSON();
    }
    return {
      designs: runs,
      replaySeconds: Math.round(replaySeconds * 10) / 10,
      drainSeconds: Math.round(drainSeconds * 10) / 10,
      drained,
      publishLagMs: summarize(lags),
      publishErrors: publishErrors.toJSON(),
      published: total - publishErrors.total,
      cpu: cpuUse,
      maxBacklog,
    };
  } finally {
    sampling = false;
    await Promise.all(consumers.map((c) => c.stop({ timeoutMs: 1_000 }).catch(() => {})));
    eb.destroy();
    sqs.destroy();
  }
}
