// runDemo: the whole demo against a running server with the reference deployment. Producers emulating marketplaces
// publish steady traffic with a flash sale on a few hot SKUs and some poison events; consumers handle the orders,
// inventory and returns queues (with transient failures, retries, coalescing and autoscaling); partway through the
// poison cause is fixed and the dead-letter queues are redriven; a live summary is printed while it runs, and a
// report is returned at the end. Everything goes through switchyard/client and the AWS SDK: no server internals.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CATALOGUE, createProducer, type EventDefinition, type Producer } from '../client/index.js';
import { createConsumers } from './consumers.js';
import { Faults } from './faults.js';
import { Ledger } from './ledger.js';
import { Monitor } from './monitor.js';
import { type MoveTaskResult, queueDepth, redriveQueue, waitForDeadLetters } from './redrive.js';
import { type DemoReport, formatLiveStatus, LiveOutput, type QueueReport } from './report.js';
import { COMMERCE_BUS, CONSUMED_QUEUES, type ConsumedQueue, checkTopology, type DemoTopology } from './topology.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook.js';
import { MARKETPLACES, UNMAPPED_SKU, Workload, type WorkloadEvent } from './workload.js';

export type DemoScale = 'small' | 'full';

interface ScalePreset {
  durationSeconds: number;
  rate: number;
  spikeMultiplier: number;
  /** The longest the drain may take (it ends sooner when everything is settled, or nothing is left to come). */
  drainMaxSeconds: number;
  /** Poison entities per consumed queue. */
  poison: Record<ConsumedQueue, number>;
  transientRate: number;
  ordersConcurrency: number;
  inventoryConcurrency: { min: number; max: number };
  returnsConcurrency: number;
  coalesceWindowMs: number;
}

export const SCALES: Readonly<Record<DemoScale, ScalePreset>> = {
  small: {
    durationSeconds: 20,
    rate: 25,
    spikeMultiplier: 6,
    drainMaxSeconds: 90,
    poison: { 'orders.fifo': 2, inventory: 2, returns: 2 },
    transientRate: 0.04,
    ordersConcurrency: 15,
    inventoryConcurrency: { min: 2, max: 12 },
    returnsConcurrency: 4,
    coalesceWindowMs: 500,
  },
  full: {
    durationSeconds: 100,
    rate: 40,
    spikeMultiplier: 8,
    drainMaxSeconds: 180,
    poison: { 'orders.fifo': 3, inventory: 3, returns: 3 },
    transientRate: 0.03,
    ordersConcurrency: 15,
    inventoryConcurrency: { min: 2, max: 24 },
    returnsConcurrency: 4,
    coalesceWindowMs: 500,
  },
};

/** Where in the traffic (fractions of its duration) things happen. */
const TIMELINE = {
  poisonFrom: 0.05,
  poisonTo: 0.35,
  spikeFrom: 0.25,
  spikeTo: 0.5,
  /** The flash sale lasts at most this long, whatever the duration: the consumers' capacity does not grow with it. */
  spikeMaxSeconds: 25,
  fixAt: 0.6,
};

export interface DemoOptions {
  /** The server's base URL. */
  endpoint: string;
  /** @defaultValue 'full' */
  scale?: DemoScale;
  /** Seconds of traffic (the drain comes after). @defaultValue 20 small, 100 full */
  durationSeconds?: number;
  /** Events per second outside the flash sale. @defaultValue 25 small, 40 full */
  rate?: number;
  /** Aborting it stops the demo gracefully: producers, then consumers; the report says `interrupted`. */
  signal?: AbortSignal;
  /** Where the live summary goes (none: no live output). */
  live?: NodeJS.WritableStream & { isTTY?: boolean };
  /** @defaultValue 2000 */
  summaryIntervalMs?: number;
  /** Seed of the workload. @defaultValue 7 */
  seed?: number;
  /** Answer the low-stock webhook locally when its URL is local (see webhook.ts). @defaultValue true */
  webhook?: boolean;
  /** Settings for the AWS SDK clients (credentials, region, …), merged over the demo's defaults. */
  clientConfig?: Record<string, unknown>;
}

function clients(endpoint: string, extra: Record<string, unknown> | undefined) {
  // The SDK warns on every start under Node 20 that its future versions will need Node 22: noise in a demo.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'switchyard', secretAccessKey: 'switchyard' },
    maxAttempts: 3,
    ...extra,
    requestHandler: {
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 128 }),
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
    },
  };
  return {
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
    cloudwatch: new CloudWatchClient(config),
  };
}

/** When each poison entity's events are published: spread over the poison window, the kinds interleaved. */
function poisonPlan(durationSeconds: number, counts: Record<ConsumedQueue, number>) {
  const plan: { at: number; kind: ConsumedQueue }[] = [];
  const from = durationSeconds * TIMELINE.poisonFrom;
  const to = durationSeconds * TIMELINE.poisonTo;
  for (const kind of CONSUMED_QUEUES) {
    const c = counts[kind];
    for (let i = 0; i < c; i += 1) plan.push({ at: from + ((i + 0.5) * (to - from)) / c, kind });
  }
  return plan.sort((a, b) => a.at - b.at);
}

export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const scale = options.scale ?? 'full';
  const preset = SCALES[scale];
  const duration = options.durationSeconds ?? preset.durationSeconds;
  const rate = options.rate ?? preset.rate;
  const signal = options.signal ?? new AbortController().signal;
  const out = options.live ? new LiveOutput(options.live, Boolean(options.live.isTTY)) : undefined;
  const { sqs, events, cloudwatch } = clients(options.endpoint, options.clientConfig);
  try {
    const topology = await checkTopology({ sqs, events }, options.endpoint);
    return await run({ ...options, scale, duration, rate, signal, out, preset, topology, sqs, events, cloudwatch });
  } finally {
    sqs.destroy();
    events.destroy();
    cloudwatch.destroy();
  }
}

interface RunContext {
  endpoint: string;
  scale: DemoScale;
  duration: number;
  rate: number;
  signal: AbortSignal;
  out: LiveOutput | undefined;
  preset: ScalePreset;
  topology: DemoTopology;
  sqs: SQSClient;
  events: EventBridgeClient;
  cloudwatch: CloudWatchClient;
  summaryIntervalMs?: number;
  seed?: number;
  webhook?: boolean;
}

async function run(ctx: RunContext): Promise<DemoReport> {
  const { topology, sqs, events, preset, signal, out, duration, rate } = ctx;
  const faults = new Faults(preset.transientRate);
  const workload = new Workload({ seed: ctx.seed ?? 7, faults });
  const ledger = new Ledger();
  const consumedRefs = CONSUMED_QUEUES.map((q) => topology.queues[q]);
  const dlqRefs = CONSUMED_QUEUES.map((q) => topology.deadLetterQueues[q]);
  const monitor = new Monitor(sqs, ctx.cloudwatch, [...consumedRefs, ...dlqRefs, ...topology.watched]);
  await monitor.sample();
  const leftovers = [...consumedRefs, ...dlqRefs]
    .map((q) => ({ name: q.name, depth: monitor.depth(q.name) }))
    .filter(({ depth }) => depth.visible + depth.notVisible > 0);
  const watchedAtStart = new Map(
    topology.watched.map((q) => {
      const d = monitor.depth(q.name);
      return [q.name, d.visible + d.notVisible] as const;
    }),
  );

  let start = Date.now();
  const second = () => (Date.now() - start) / 1000;
  const stamp = () => `${String(Math.round(second())).padStart(4)}s `;
  const note = (text: string) => out?.note(`${stamp()} ${text}`);

  const webhook: WebhookReceiver =
    ctx.webhook === false
      ? { url: undefined, listening: false, note: 'turned off', calls: 0, close: async () => {} }
      : await startWebhookReceiver(events, ctx.endpoint);

  const consumers = createConsumers({
    sqs,
    topology,
    ledger,
    faults,
    settings: {
      ordersConcurrency: preset.ordersConcurrency,
      inventoryConcurrency: preset.inventoryConcurrency,
      returnsConcurrency: preset.returnsConcurrency,
      coalesceWindowMs: preset.coalesceWindowMs,
    },
  });
  await consumers.start();
  const minConcurrency = Object.fromEntries(
    CONSUMED_QUEUES.map((q) => [q, consumers.consumers[q].stats().concurrency]),
  ) as Record<ConsumedQueue, number>;

  // ---- producers --------------------------------------------------------------------------------------------
  const producers = new Map<string, Producer>(
    MARKETPLACES.map((m) => [m.id, createProducer({ client: events, eventBusName: COMMERCE_BUS, lingerMs: 10 })]),
  );
  let published = 0;
  let failed = 0;
  let pending = 0;
  let lastPublishError: string | undefined;
  const byType: Record<string, number> = {};
  const perSecond = new Map<number, number>();
  const publish = (event: WorkloadEvent) => {
    const producer = producers.get(event.detail.marketplace);
    if (!producer) return;
    pending += 1;
    const definition = CATALOGUE[event.name] as unknown as EventDefinition<unknown, unknown>;
    producer.publish(definition, event.detail).then(
      ({ eventId }) => {
        pending -= 1;
        published += 1;
        byType[event.name] = (byType[event.name] ?? 0) + 1;
        const s = Math.floor(second());
        perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
        const book = ledger.queues[event.queue];
        book.published.add(eventId);
        if (event.poison) book.poison.add(eventId);
      },
      (error: unknown) => {
        pending -= 1;
        failed += 1;
        lastPublishError = error instanceof Error ? error.message : String(error);
      },
    );
  };

  // ---- phases -------------------------------------------------------------------------------------------------
  const spikeFrom = duration * TIMELINE.spikeFrom;
  const spikeTo = spikeFrom + Math.min(duration * (TIMELINE.spikeTo - TIMELINE.spikeFrom), TIMELINE.spikeMaxSeconds);
  let phase = 'steady';
  const tasks: MoveTaskResult[] = [];
  let redriving = false;
  let redriveRan = false;
  let lastRunError: string | undefined;
  /** A call of the demo's own that failed (the demo goes on; the report shows the last one). */
  const failure = (error: unknown) => {
    lastRunError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  };

  /** Moves what the dead-letter queues hold back to their sources; again while more arrives (up to 3 rounds). */
  const redriveRound = async () => {
    if (redriving) return;
    redriving = true;
    try {
      for (let round = 0; round < 3 && !signal.aborted; round += 1) {
        const full: typeof dlqRefs = [];
        for (const dlq of dlqRefs) if ((await queueDepth(sqs, dlq.url)).visible > 0) full.push(dlq);
        if (full.length === 0) break;
        ledger.startRedrive();
        redriveRan = true;
        note(`redriving ${full.map((d) => d.name).join(', ')} (StartMessageMoveTask)`);
        const results = await Promise.all(
          full.map((dlq) =>
            redriveQueue(sqs, dlq, signal).catch((error: unknown): MoveTaskResult => {
              failure(error);
              return { dlq: dlq.name, status: 'NOT STARTED', moved: 0, toMove: 0, seconds: 0 };
            }),
          ),
        );
        tasks.push(...results);
        note(
          `redrive: ${results.map((r) => `${r.dlq} ${r.moved} moved (${r.status}${r.failureReason ? `: ${r.failureReason}` : ''})`).join(', ')}`,
        );
        await sleep(1000);
      }
    } finally {
      redriving = false;
    }
  };

  const fixAndRedrive = async () => {
    const poison = CONSUMED_QUEUES.map((q) => ({ q, count: ledger.queues[q].poison.size }));
    note(
      `${poison.reduce((s, p) => s + p.count, 0)} poison events published (${poison.map((p) => `${p.q} ${p.count}`).join(', ')}); waiting for them to reach the dead-letter queues`,
    );
    try {
      await waitForDeadLetters(
        sqs,
        poison.map((p) => ({ dlq: topology.deadLetterQueues[p.q], count: p.count })),
        15_000,
        signal,
      );
    } catch (error) {
      failure(error);
    }
    if (signal.aborted) return;
    faults.fix();
    phase = 'fixed, redrive';
    note(`cause fixed: SKU ${UNMAPPED_SKU} mapped downstream, refund account unfrozen`);
    await redriveRound();
  };
  let fixTask: Promise<void> | undefined;

  // ---- live summary -------------------------------------------------------------------------------------------
  let lastTick = { at: Date.now(), published: 0, handled: {} as Record<ConsumedQueue, number> };
  const handledNow = () =>
    Object.fromEntries(CONSUMED_QUEUES.map((q) => [q, consumers.consumers[q].stats().handled])) as Record<
      ConsumedQueue,
      number
    >;
  lastTick.handled = handledNow();
  const tick = async () => {
    await monitor.sample();
    for (const q of CONSUMED_QUEUES) {
      consumers.maxConcurrency[q] = Math.max(consumers.maxConcurrency[q], consumers.consumers[q].stats().concurrency);
    }
    const now = Date.now();
    const dt = Math.max(0.001, (now - lastTick.at) / 1000);
    const handled = handledNow();
    const stats = CONSUMED_QUEUES.map((q) => consumers.consumers[q].stats());
    out?.status(
      formatLiveStatus({
        second: second(),
        phase,
        published,
        publishedPerSecond: (published - lastTick.published) / dt,
        handledPerSecond: Object.fromEntries(
          CONSUMED_QUEUES.map((q) => [q, (handled[q] - (lastTick.handled[q] ?? 0)) / dt]),
        ) as Record<ConsumedQueue, number>,
        depths: Object.fromEntries(consumedRefs.map((q) => [q.name, monitor.depth(q.name)])),
        deadLetterDepths: Object.fromEntries(
          dlqRefs.map((q) => [q.name, monitor.depth(q.name).visible + monitor.depth(q.name).notVisible]),
        ),
        concurrency: Object.fromEntries(CONSUMED_QUEUES.map((q, i) => [q, stats[i]?.concurrency ?? 0])) as Record<
          ConsumedQueue,
          number
        >,
        coalesced: consumers.consumers.inventory.stats().coalesced,
        skipped: consumers.consumers.inventory.stats().skipped,
        retries: stats.reduce((sum, s) => sum + s.retried, 0),
        inAlarm: monitor.inAlarm(),
      }),
    );
    lastTick = { at: now, published, handled };
  };
  let ticking = true;
  const summaryLoop = (async () => {
    const every = ctx.summaryIntervalMs ?? 2000;
    while (ticking) {
      await sleep(every);
      if (!ticking) break;
      try {
        await tick();
      } catch {
        // The next tick tries again; the monitor counts its own failures.
      }
    }
  })();

  // ---- traffic ------------------------------------------------------------------------------------------------
  start = Date.now();
  note(
    `traffic: ${rate} events/s from ${MARKETPLACES.length} marketplaces for ${duration} s; flash sale ×${preset.spikeMultiplier} ` +
      `from ${spikeFrom.toFixed(0)} to ${spikeTo.toFixed(0)} s on ${workload.hotSkus.join(', ')}`,
  );
  note(
    `consumers: orders.fifo (concurrency ${preset.ordersConcurrency}), inventory (autoscaling ${preset.inventoryConcurrency.min}..${preset.inventoryConcurrency.max}, ` +
      `coalescing ${preset.coalesceWindowMs} ms), returns (concurrency ${preset.returnsConcurrency}); ` +
      `webhook ${webhook.listening ? `received at ${webhook.url}` : `not received here (${webhook.note})`}`,
  );
  if (leftovers.length > 0) {
    const list = leftovers.map(
      ({ name, depth }) =>
        `${name} ${depth.visible + depth.notVisible}${depth.notVisible > 0 ? ` (${depth.notVisible} in flight)` : ''}`,
    );
    note(
      `left by an earlier run: ${list.join(', ')}; consumed (and redriven) with the rest` +
        (leftovers.some((l) => l.name.endsWith('.fifo') && l.depth.notVisible > 0)
          ? ' (a FIFO group waits behind a message in flight until its visibility timeout ends)'
          : ''),
    );
  }
  const plan = poisonPlan(duration, preset.poison);
  const tickMs = 100;
  const maxPending = Math.max(2_000, rate * preset.spikeMultiplier * 5);
  let carry = 0;
  let nextAt = start;
  while (!signal.aborted) {
    const elapsed = second();
    if (elapsed >= duration) break;
    const spike = elapsed >= spikeFrom && elapsed < spikeTo;
    const newPhase = spike ? `flash sale ×${preset.spikeMultiplier}` : faults.fixed ? 'fixed, redrive' : 'steady';
    if (newPhase !== phase) {
      if (spike) note(`flash sale starts: ×${preset.spikeMultiplier} on ${workload.hotSkus.length} hot SKUs`);
      else if (phase.startsWith('flash')) note('flash sale ends');
      phase = newPhase;
    }
    while (plan[0] && plan[0].at <= elapsed) {
      const { kind } = plan.shift() as { kind: ConsumedQueue };
      for (const event of workload.poison(kind)) publish(event);
    }
    if (!fixTask && elapsed >= duration * TIMELINE.fixAt) fixTask = fixAndRedrive();
    carry += (rate * (spike ? preset.spikeMultiplier : 1) * tickMs) / 1000;
    if (pending < maxPending) {
      while (carry >= 1) {
        const batch = spike ? workload.spike() : workload.steady();
        carry -= Math.max(1, batch.length);
        for (const event of batch) publish(event);
      }
    } else {
      carry = Math.min(carry, rate);
    }
    nextAt += tickMs;
    await sleep(Math.max(0, nextAt - Date.now()));
  }
  await Promise.all([...producers.values()].map((p) => p.close()));
  const trafficEnded = Date.now();
  fixTask ??= signal.aborted ? undefined : fixAndRedrive();

  // ---- drain --------------------------------------------------------------------------------------------------
  if (!signal.aborted) {
    phase = 'draining';
    note(`traffic stopped after ${published} events; draining`);
    const deadline = Date.now() + preset.drainMaxSeconds * 1000;
    let fixDone = false;
    void fixTask?.then(
      () => {
        fixDone = true;
      },
      () => {
        fixDone = true;
      },
    );
    let checkedAt = 0;
    let emptySince: number | undefined;
    let outcome = 'the drain reached its limit';
    while (!signal.aborted && Date.now() < deadline) {
      if (fixDone && !redriving && Date.now() - checkedAt >= 1000) {
        checkedAt = Date.now();
        try {
          // Anything that reached a dead-letter queue after the last move task goes back too.
          const dlqs = await Promise.all(dlqRefs.map((d) => queueDepth(sqs, d.url)));
          if (dlqs.some((d) => d.visible > 0)) {
            emptySince = undefined;
            await redriveRound();
          } else if (ledger.allSettled()) {
            outcome = 'every published event is accounted for';
            break;
          } else {
            // Messages still in the queues (in flight ones included: a FIFO group waits behind one until its
            // visibility timeout ends) are still to come; when there are none for a while, nothing more will.
            const queues = await Promise.all(consumedRefs.map((q) => queueDepth(sqs, q.url)));
            const held = CONSUMED_QUEUES.reduce((sum, q) => sum + consumers.consumers[q].stats().inFlight, 0);
            const empty = held === 0 && queues.every((d) => d.visible + d.notVisible === 0);
            if (!empty) emptySince = undefined;
            else if (emptySince === undefined) emptySince = Date.now();
            else if (Date.now() - emptySince >= 5_000) {
              outcome = 'the queues are empty, yet some published events never arrived';
              break;
            }
          }
        } catch (error) {
          failure(error);
        }
      }
      await sleep(250);
    }
    note(outcome);
  }
  if (signal.aborted) note('interrupted: stopping producers and consumers');
  await fixTask?.catch(failure);
  ticking = false;
  await summaryLoop;
  await monitor.sample();
  await consumers.stop();
  await webhook.close();
  const ended = Date.now();

  // ---- report -------------------------------------------------------------------------------------------------
  const movedTo = (q: ConsumedQueue) =>
    tasks.filter((t) => t.dlq === topology.deadLetterQueues[q].name).reduce((sum, t) => sum + t.moved, 0);
  const queues = {} as Record<ConsumedQueue, QueueReport>;
  let settledTotal = 0;
  let inDeadLetterQueues = 0;
  let unsettledTotal = 0;
  let duplicates = 0;
  let fromEarlierRuns = 0;
  for (const q of CONSUMED_QUEUES) {
    const book = ledger.queues[q];
    const stats = consumers.consumers[q].stats();
    let handled = 0;
    let coalesced = 0;
    let skipped = 0;
    let delivered = 0;
    for (const id of book.published) {
      if (book.seen.has(id) || book.settled.has(id)) delivered += 1;
      const how = book.settled.get(id);
      if (how === 'handled') handled += 1;
      else if (how === 'coalesced') coalesced += 1;
      else if (how === 'skipped') skipped += 1;
    }
    const unsettled = book.unsettled();
    const dlqDepth = monitor.depth(topology.deadLetterQueues[q].name);
    const dlqAtEnd = dlqDepth.visible + dlqDepth.notVisible;
    const deadLetteredUnsettled = unsettled.filter(
      (id) => book.deadLettered.has(id) || book.awaitingRedrive.has(id),
    ).length;
    inDeadLetterQueues += Math.min(deadLetteredUnsettled, dlqAtEnd);
    unsettledTotal += unsettled.length;
    settledTotal += handled + coalesced + skipped;
    duplicates += book.duplicates;
    fromEarlierRuns += book.foreign();
    queues[q] = {
      routed: book.published.size,
      delivered,
      handled,
      coalesced,
      skipped,
      retries: stats.retried,
      poison: book.poison.size,
      deadLettered: book.deadLetteredCount(),
      redriven: movedTo(q),
      handledAfterRedrive: book.settledAfterRedrive.size,
      downstreamCalls: consumers.downstream[q].calls,
      maxConcurrency: Math.max(consumers.maxConcurrency[q], stats.concurrency),
      minConcurrency: minConcurrency[q],
      peakBacklog: monitor.peakVisible.get(q) ?? 0,
      unsettled: unsettled.length,
      deadLetterQueueAtEnd: dlqAtEnd,
      ...(q === 'orders.fifo' ? { outOfOrder: book.outOfOrder } : {}),
    };
  }
  const unaccounted = unsettledTotal - inDeadLetterQueues;
  const otherQueues: Record<string, number> = {};
  for (const q of topology.watched) {
    const d = monitor.depth(q.name);
    otherQueues[q.name] = Math.max(0, d.visible + d.notVisible - (watchedAtStart.get(q.name) ?? 0));
  }
  const alarms = [...monitor.alarms.values()];
  const at = (ms: number | undefined) => (ms === undefined ? undefined : Math.max(0, (ms - start) / 1000));
  const fixedAt = at(faults.fixedAt);
  const trafficSeconds = (trafficEnded - start) / 1000;
  return {
    ok: unaccounted === 0 && (inDeadLetterQueues === 0 || !redriveRan),
    interrupted: signal.aborted,
    endpoint: ctx.endpoint,
    scale: ctx.scale,
    seconds: {
      total: (ended - start) / 1000,
      traffic: trafficSeconds,
      drain: (ended - trafficEnded) / 1000,
    },
    traffic: {
      rate,
      spikeMultiplier: preset.spikeMultiplier,
      spikeFromSecond: Math.round(spikeFrom),
      spikeToSecond: Math.round(spikeTo),
      hotSkus: workload.hotSkus,
    },
    published: { total: published, failed, peakPerSecond: Math.max(0, ...perSecond.values()), byType },
    queues,
    otherQueues,
    downstream: {
      calls: CONSUMED_QUEUES.reduce((sum, q) => sum + consumers.downstream[q].calls, 0),
      savedByCoalescing: queues.inventory.coalesced + queues.inventory.skipped,
    },
    redrive: {
      ...(fixedAt !== undefined ? { fixedAtSecond: fixedAt } : {}),
      tasks,
      moved: tasks.reduce((sum, t) => sum + t.moved, 0),
      completed: tasks.length > 0 && tasks.every((t) => t.status === 'COMPLETED'),
      deadLettered: CONSUMED_QUEUES.reduce((sum, q) => sum + queues[q].deadLettered, 0),
      handledAfterRedrive: CONSUMED_QUEUES.reduce((sum, q) => sum + queues[q].handledAfterRedrive, 0),
    },
    alarms: {
      changed: alarms
        .filter((a) => a.firedAt !== undefined || a.state !== a.initial)
        .map((a) => ({
          name: a.name,
          ...(a.firedAt !== undefined ? { firedAtSecond: at(a.firedAt) } : {}),
          ...(a.clearedAt !== undefined ? { clearedAtSecond: at(a.clearedAt) } : {}),
          state: a.state,
          initial: a.initial,
        })),
      inAlarmAtEnd: monitor.inAlarm(),
    },
    webhook: {
      ...(webhook.url ? { url: webhook.url } : {}),
      receivedByDemo: webhook.listening,
      calls: webhook.calls,
      ...(webhook.note ? { note: webhook.note } : {}),
    },
    accounting: {
      published: CONSUMED_QUEUES.reduce((sum, q) => sum + queues[q].routed, 0),
      settled: settledTotal,
      inDeadLetterQueues,
      unaccounted,
      duplicates,
      fromEarlierRuns,
    },
    errors: {
      consumer: CONSUMED_QUEUES.reduce((sum, q) => sum + consumers.errors[q], 0),
      monitor: monitor.errors,
      ...(lastRunError || consumers.lastError ? { lastError: lastRunError ?? consumers.lastError } : {}),
      ...(lastPublishError ? { lastPublishError } : {}),
    },
  };
}
