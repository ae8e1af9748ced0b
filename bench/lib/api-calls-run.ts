// The API-call savings benchmark end to end: one seeded workload through polling (simulated, one run per poll
// interval), event-driven and event-driven with coalescing and idempotency (both real, on one Switchyard server), the
// accounting of each, a table on stdout and the JSON report. bench/api-calls.bench.ts parses the flags; the CI test
// calls `runApiCallsBenchmark` at the small scale.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Accounting, analyze } from './api-calls-downstream.js';
import { EVENT_DESIGNS, type EventDesign, type EventRunConfig, runEventDesigns } from './api-calls-events.js';
import { type PollingResult, simulatePolling } from './api-calls-polling.js';
import {
  generateWorkload,
  type Scale,
  summarizeWorkload,
  type WorkloadConfig,
  type WorkloadSummary,
  workloadConfig,
} from './api-calls-workload.js';
import { fmt, machineLine, startRun } from './report.js';
import { type Durability, startServerProcess } from './server-process.js';
import type { CpuUse, LatencySummary } from './stats.js';

export interface ApiCallsOptions {
  scale: Scale;
  seed: number;
  /** Design 3's coalescing window, simulated milliseconds. */
  windowMs: number;
  /** Design 1's poll intervals, simulated seconds: one polling run each. */
  pollSeconds: number[];
  /** Simulated seconds per real second for designs 2 and 3. */
  timeScale: number;
  /** A call overwritten by a newer version within this many simulated milliseconds was superseded. */
  supersedeMs: number;
  /** Entities per list call of the poller. */
  pageSize: number;
  /** Handler slots of each consumer. */
  concurrency: number;
  durability: Durability;
  repoRoot: string;
  /** Where the JSON goes (bench/results for the benchmark). */
  resultsDir: string;
  /** Overrides of the scale's workload parameters (tests). */
  workload?: Partial<WorkloadConfig>;
  log?: (line: string) => void;
}

export const DEFAULTS = {
  seed: 1,
  windowMs: 5000,
  pollSeconds: [60, 10],
  timeScale: 30,
  supersedeMs: 1000,
  pageSize: 100,
  /**
   * Handler slots per consumer. At 30x the flash sale's peak is hundreds of messages a second per queue; with 10
   * slots (one receive loop) the consumers fell behind on a busy 2-core machine and the backlog, not the design,
   * set the staleness of both event-driven designs.
   */
  concurrency: 50,
} as const;

export interface DesignRow {
  id: string;
  name: string;
  /** Messages the design's queues received (designs 2 and 3). */
  events: number | null;
  apiCalls: number;
  reads: number;
  readsEmpty: number;
  pushes: number;
  callsPerChange: number;
  /** Superfluous calls: empty reads + pushes that changed nothing or were superseded. */
  superfluous: number;
  superfluousPercent: number;
  regressions: number;
  /** Pushes by entity kind, and those to the flash sale's hot SKUs (reads are per seller, not per entity). */
  pushesByKind: Record<string, number>;
  hotSkuPushes: number;
  accounting: Omit<Accounting, 'classes'>;
}

type ErrorCounts = { total: number; byName: Record<string, number>; samples: string[] };

export interface ApiCallsReport {
  benchmark: string;
  schemaVersion: number;
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  git: { commit: string | null; dirty: boolean | null };
  machine: ReturnType<typeof startRun>['machine'];
  config: Record<string, unknown>;
  workload: WorkloadSummary;
  designs: DesignRow[];
  /** Design 3's API calls against each other design's: (1 - calls3 / callsX) in percent, by row id. */
  savingsPercent: Record<string, number>;
  eventRun: {
    replaySeconds: number;
    drainSeconds: number;
    drained: boolean;
    published: number;
    publishLagMs: LatencySummary;
    publishErrors: ErrorCounts;
    cpu: CpuUse;
    maxBacklog: Record<string, number>;
    perDesign: Record<string, { counters: Record<string, number>; callLatencyMs: LatencySummary; errors: ErrorCounts }>;
    server: { exitCode: number | null; signal: string | null; lastOutput: string[] };
  };
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

/** Pushes by entity kind (the key's prefix) and to the hot SKUs. */
function breakdown(calls: readonly { key: string }[], hot: ReadonlySet<string>) {
  const pushesByKind: Record<string, number> = { inventory: 0, order: 0, return: 0 };
  let hotSkuPushes = 0;
  for (const c of calls) {
    const kind = c.key.slice(0, c.key.indexOf(':'));
    pushesByKind[kind] = (pushesByKind[kind] ?? 0) + 1;
    if (hot.has(c.key)) hotSkuPushes += 1;
  }
  return { pushesByKind, hotSkuPushes };
}

function pollingRow(result: PollingResult, changes: number, hot: ReadonlySet<string>): DesignRow {
  const a = result.accounting;
  const superfluous = result.readsEmpty + a.superfluous;
  return {
    id: `polling-${result.pollSeconds}s`,
    name: `1. polling every ${result.pollSeconds} s`,
    events: null,
    apiCalls: result.apiCalls,
    reads: result.reads,
    readsEmpty: result.readsEmpty,
    pushes: result.pushes,
    callsPerChange: Math.round((result.apiCalls / changes) * 100) / 100,
    superfluous,
    superfluousPercent: pct(superfluous, result.apiCalls),
    regressions: a.regressions,
    ...breakdown(result.calls, hot),
    accounting: a,
  };
}

function eventRow(
  design: EventDesign,
  events: number,
  calls: readonly { key: string }[],
  accounting: Accounting,
  changes: number,
  hot: ReadonlySet<string>,
): DesignRow {
  const { classes: _classes, ...a } = accounting;
  return {
    id: design,
    name: design === 'event-driven' ? '2. event-driven' : '3. coalesced + idempotent',
    events,
    apiCalls: a.calls,
    reads: 0,
    readsEmpty: 0,
    pushes: a.calls,
    callsPerChange: Math.round((a.calls / changes) * 100) / 100,
    superfluous: a.superfluous,
    superfluousPercent: pct(a.superfluous, a.calls),
    regressions: a.regressions,
    ...breakdown(calls, hot),
    accounting: a,
  };
}

const s1 = (n: number | null) => (n === null ? 'n/a' : n.toFixed(1));

/** The table printed on stdout (and in the README). */
export function formatTable(rows: readonly DesignRow[]): string {
  const header = [
    'design',
    'events',
    'API calls',
    'reads / pushes',
    'calls per change',
    'superfluous',
    'regressions',
    'staleness p50 / p99 / max (sim s)',
    'never synced',
    'final state wrong',
  ];
  const lines = rows.map((r) => [
    r.name,
    r.events === null ? '-' : fmt(r.events),
    fmt(r.apiCalls),
    `${fmt(r.reads)} / ${fmt(r.pushes)}`,
    r.callsPerChange.toFixed(2),
    `${fmt(r.superfluous)} (${r.superfluousPercent}%)`,
    fmt(r.regressions),
    `${s1(r.accounting.staleness.p50Seconds)} / ${s1(r.accounting.staleness.p99Seconds)} / ${s1(r.accounting.staleness.maxSeconds)}`,
    fmt(r.accounting.staleness.neverSynced),
    fmt(r.accounting.entities.finalStateWrong),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}

export async function runApiCallsBenchmark(
  options: ApiCallsOptions,
): Promise<{ report: ApiCallsReport; file: string; latest: string }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const run = startRun(options.repoRoot);
  const config: WorkloadConfig = { ...workloadConfig(options.scale, options.seed), ...options.workload };
  const workload = generateWorkload(config);
  const summary = summarizeWorkload(workload);
  const changes = summary.changes;
  log(machineLine(run.machine));
  log(
    `workload (${options.scale}, seed ${config.seed}): ${config.durationSeconds} s simulated, ` +
      `${config.marketplaces} marketplaces x ${config.sellersPerMarketplace} sellers x ${config.skusPerSeller} SKUs; ` +
      `${fmt(changes)} changes (${fmt(summary.noopChanges)} no-ops) of ${fmt(summary.entities.inventory)} SKUs, ` +
      `${fmt(summary.entities.order)} orders, ${fmt(summary.entities.return)} returns; ` +
      `${fmt(summary.publications)} publications (${fmt(summary.duplicatePublications)} repeated, ` +
      `${fmt(summary.latePublications)} late, ${fmt(summary.outOfOrderPublications)} out of order); flash sale ` +
      `${fmt(summary.flashSale.changes)} changes, busiest hot SKU ${fmt(summary.flashSale.busiestHotSku?.changes ?? 0)}`,
  );
  log(`parameters: ${JSON.stringify(config)}`);

  // Design 1: polling, simulated.
  const polling = options.pollSeconds.map((pollSeconds) =>
    simulatePolling(workload, { pollSeconds, pageSize: options.pageSize, supersedeMs: options.supersedeMs }),
  );

  // Designs 2 and 3: for real.
  const eventConfig: EventRunConfig = {
    timeScale: options.timeScale,
    windowMs: options.windowMs,
    concurrency: options.concurrency,
    waitTimeSeconds: 20,
    lingerMs: 1,
    drainTimeoutSeconds: 60,
  };
  log(
    `designs 2 and 3: replaying ${fmt(summary.publications)} publications at ${options.timeScale}x ` +
      `(${(config.durationSeconds / options.timeScale).toFixed(0)} s real) on a server (durability ${options.durability})`,
  );
  const server = await startServerProcess({ repoRoot: options.repoRoot, durability: options.durability });
  let eventRun: Awaited<ReturnType<typeof runEventDesigns>>;
  let stopped: Awaited<ReturnType<typeof server.stop>>;
  try {
    eventRun = await runEventDesigns(server, workload, eventConfig, log);
  } finally {
    stopped = await server.stop();
  }
  if (!eventRun.drained) log(`warning: the queues did not drain within ${eventConfig.drainTimeoutSeconds} s`);

  const hot = new Set(workload.hotSkus);
  const rows: DesignRow[] = polling.map((p) => pollingRow(p, changes, hot));
  for (const design of EVENT_DESIGNS) {
    const calls = eventRun.designs[design].downstream.calls;
    const accounting = analyze(workload.changes, calls, {
      supersedeMs: options.supersedeMs,
      initial: workload.initial,
    });
    rows.push(eventRow(design, eventRun.published, calls, accounting, changes, hot));
  }
  const coalesced = rows.find((r) => r.id === 'coalesced');
  const savingsPercent: Record<string, number> = {};
  for (const r of rows) {
    if (coalesced && r !== coalesced) {
      savingsPercent[r.id] = Math.round((1 - coalesced.apiCalls / r.apiCalls) * 1000) / 10;
    }
  }

  log('');
  log(formatTable(rows));
  log('');
  log(
    `staleness: from a change to the first downstream call (or poll) holding its version or a newer one, in simulated ` +
      `seconds; designs 2 and 3 ran at ${options.timeScale}x, so each real millisecond of pipeline counts ` +
      `${options.timeScale} ms`,
  );
  for (const design of EVENT_DESIGNS) {
    const d = eventRun.designs[design];
    const c = d.counters;
    log(
      `${design}: handler calls ${fmt(c.handled)}, coalesced ${fmt(c.coalesced)}, skipped as stale ${fmt(c.skipped)}, ` +
        `duplicates ${fmt(c.duplicates)}, failed ${fmt(c.failed)}; publish → call p50 ${d.callLatencyMs.p50Ms} ms, ` +
        `p99 ${d.callLatencyMs.p99Ms} ms real; errors ${d.errors.total}`,
    );
  }
  log(
    `replay ${eventRun.replaySeconds} s, drain ${eventRun.drainSeconds} s; publish lag p50 ${eventRun.publishLagMs.p50Ms} ms, ` +
      `p99 ${eventRun.publishLagMs.p99Ms} ms; publish errors ${eventRun.publishErrors.total}; largest backlog ` +
      `${eventRun.maxBacklog['event-driven']} / ${eventRun.maxBacklog.coalesced} messages (event-driven / coalesced)`,
  );
  const cpu = eventRun.cpu;
  log(
    `CPU during the replay, % of one core: server ${cpu.serverCpuPercent ?? 'n/a'}, benchmark ${cpu.benchCpuPercent}, ` +
      `other processes ${cpu.otherCpuPercent ?? 'n/a'}${(cpu.otherCpuPercent ?? 0) > 15 ? ' (a busy machine: the staleness of designs 2 and 3 suffers)' : ''}`,
  );
  const hotChanges = workload.changes.filter((c) => hot.has(c.key)).length;
  log(
    `the ${hot.size} hot SKUs changed ${fmt(hotChanges)} times: pushes to them ` +
      rows.map((r) => `${fmt(r.hotSkuPushes)} (${r.name})`).join(', '),
  );
  for (const r of rows) {
    const k = r.pushesByKind;
    log(
      `${r.name}: pushes for stock ${fmt(k.inventory ?? 0)}, orders ${fmt(k.order ?? 0)}, returns ${fmt(k.return ?? 0)}`,
    );
  }
  for (const [id, saving] of Object.entries(savingsPercent)) {
    const name = rows.find((r) => r.id === id)?.name ?? id;
    log(`design 3 makes ${Math.abs(saving)}% ${saving >= 0 ? 'fewer' : 'more'} API calls than ${name}`);
  }

  const report: ApiCallsReport = {
    ...run.finish('api-calls', 1),
    config: {
      scale: options.scale,
      seed: config.seed,
      timeScale: options.timeScale,
      windowMs: options.windowMs,
      windowMsReal: options.windowMs / options.timeScale,
      pollSeconds: options.pollSeconds,
      pageSize: options.pageSize,
      supersedeMs: options.supersedeMs,
      durability: options.durability,
      consumer: {
        concurrency: eventConfig.concurrency,
        waitTimeSeconds: eventConfig.waitTimeSeconds,
        queues: 'one per design and source (orders, inventory, returns), one consumer each',
        coalesced:
          'coalesce { windowMs: windowMs / timeScale }, idempotency MemoryIdempotencyStore keyed by entity@version',
      },
      producer: { lingerMs: eventConfig.lingerMs },
      workload: config,
    },
    workload: summary,
    designs: rows,
    savingsPercent,
    eventRun: {
      replaySeconds: eventRun.replaySeconds,
      drainSeconds: eventRun.drainSeconds,
      drained: eventRun.drained,
      published: eventRun.published,
      publishLagMs: eventRun.publishLagMs,
      publishErrors: eventRun.publishErrors,
      cpu: eventRun.cpu,
      maxBacklog: eventRun.maxBacklog,
      perDesign: Object.fromEntries(
        EVENT_DESIGNS.map((d) => [
          d,
          {
            counters: { ...eventRun.designs[d].counters },
            callLatencyMs: eventRun.designs[d].callLatencyMs,
            errors: eventRun.designs[d].errors,
          },
        ]),
      ),
      server: { exitCode: stopped.exitCode, signal: stopped.signal, lastOutput: server.output.slice(-20) },
    },
  };
  mkdirSync(options.resultsDir, { recursive: true });
  const file = path.join(options.resultsDir, `api-calls-${report.startedAt.replace(/:/g, '-')}.json`);
  const latest = path.join(options.resultsDir, 'api-calls-latest.json');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(latest, json);
  log(
    `\nresults: ${path.relative(options.repoRoot, file)} and ${path.relative(options.repoRoot, latest)} (${report.totalSeconds} s in all)`,
  );
  return { report, file, latest };
}
