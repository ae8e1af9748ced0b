/**
 * SQS benchmark for Switchyard: starts the server as a child process per durability mode and drives it
 * through @aws-sdk/client-sqs over keep-alive HTTP on 127.0.0.1.
 *
 * `npm run bench` runs bench/run.ts: this benchmark, then the EventBridge one (bench/events.bench.ts), each
 * given its own options from the command line (see bench/run.ts). This one alone:
 *
 *   npm run bench -- --suites sqs [options]
 *   node --import tsx bench/sqs.bench.ts [options]
 *
 *   (no options)                     full run, both durability modes (a few minutes)
 *   --quick                          smoke run with small counts (well under a minute)
 *   --modes relaxed                  one mode only
 *   --only fifo,move                 selected phases only (send, cycle, latency, race, fifo, move, metrics;
 *                                    default all)
 *   --backlog 1000000                also fill a queue with N messages and report server RSS and DB size
 *   --backlog 1000000 --backlog-only only the backlog scenario
 *   --backlog-max-seconds 600        time cap of the backlog fill
 *   --metrics-rounds 6               rounds of the metrics phase (default 4; 1 with --quick)
 *
 * The `metrics` phase measures what the server's own metrics (AWS/SQS, AWS/Events, the /metrics counters)
 * cost: per durability mode it runs the queue cycle (fill, then send → receive → delete) on a server with
 * metrics and on one started with `--no-metrics`, alternating which goes first each round, and reports both,
 * the difference of the medians and the median of the round-by-round differences in percent; and, measured in
 * process where the machine's noise does not reach, the CPU the metrics hooks spend per message.
 *
 * Results: bench/results/sqs-<ISO time>.json and bench/results/latest.json.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { measureRecordingCost, type RecordingCost } from './lib/recording-cost.js';
import { fmt, type MachineInfo, machineLine, mb, runMain, startRun, writeReport } from './lib/report.js';
import {
  type BacklogResult,
  backlogMemory,
  type CycleConfig,
  type CycleResult,
  createQueue,
  cycleThroughput,
  type FifoConfig,
  type FifoResult,
  type FifoRunResult,
  fifoThroughput,
  type LatencyConfig,
  type LatencyResult,
  longPollLatency,
  longPollRace,
  type MoveConfig,
  type MoveResult,
  type MoveRunResult,
  makeClient,
  mib,
  moveTaskThroughput,
  type RaceConfig,
  type RaceResult,
  type SendConfig,
  type SendResult,
  sendThroughput,
} from './lib/scenarios.js';
import { type Durability, parseModes, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { type CpuUse, processMemoryKiB, round } from './lib/stats.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The phases run in each durability mode, in this order; `--only` picks some. */
const PHASES = ['send', 'cycle', 'latency', 'race', 'fifo', 'move', 'metrics'] as const;
type Phase = (typeof PHASES)[number];
/** The phases run on the one server of a mode; `metrics` starts servers of its own. */
const SERVER_PHASES: readonly Phase[] = PHASES.filter((p) => p !== 'metrics');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    modes: { type: 'string', default: 'full,relaxed' },
    only: { type: 'string' },
    backlog: { type: 'string' },
    'backlog-only': { type: 'boolean', default: false },
    'backlog-max-seconds': { type: 'string', default: '600' },
    'metrics-rounds': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(
    `usage: npm run bench -- [--quick] [--modes full,relaxed] [--only ${PHASES.join(',')}] ` +
      `[--backlog N [--backlog-only] [--backlog-max-seconds S]] [--metrics-rounds N]`,
  );
  process.exit(0);
}

const modes = parseModes(args.modes);
const phases = new Set<Phase>(
  args.only === undefined ? PHASES : (args.only.split(',').map((p) => p.trim()) as Phase[]),
);
for (const p of phases) {
  if (!PHASES.includes(p)) {
    console.error(`--only: unknown phase "${p}" (${PHASES.join(', ')})`);
    process.exit(2);
  }
}
if (phases.size === 0) {
  console.error('--only needs at least one phase');
  process.exit(2);
}
const metricsRounds = args['metrics-rounds'] === undefined ? undefined : Number(args['metrics-rounds']);
if (metricsRounds !== undefined && !(Number.isInteger(metricsRounds) && metricsRounds > 0)) {
  console.error('--metrics-rounds needs a positive whole number');
  process.exit(2);
}
const backlogCount = args.backlog === undefined ? undefined : Number(args.backlog);
if (backlogCount !== undefined && (!Number.isInteger(backlogCount) || backlogCount < 10)) {
  console.error('--backlog needs an integer of at least 10');
  process.exit(2);
}
if (args['backlog-only'] && backlogCount === undefined) {
  console.error('--backlog-only needs --backlog N');
  process.exit(2);
}
const backlogMaxSeconds = Number(args['backlog-max-seconds']);

const BODY_BYTES = 200;
const MAX_SOCKETS = 64;
const quick = args.quick;

const config = {
  profile: quick ? 'quick' : 'full',
  bodyBytes: BODY_BYTES,
  httpMaxSockets: MAX_SOCKETS,
  warmup: { messages: quick ? 1_000 : 20_000, senders: 8, batchSize: 10, bodyBytes: BODY_BYTES, maxSeconds: 30 },
  send: {
    messages: quick ? 5_000 : 100_000,
    senders: 16,
    batchSize: 10,
    bodyBytes: BODY_BYTES,
    maxSeconds: quick ? 15 : 90,
  } satisfies SendConfig,
  cycle: {
    consumers: 8,
    producers: 4,
    receiveMax: 10,
    receiveWaitSeconds: 1,
    batchSize: 10,
    bodyBytes: BODY_BYTES,
    seconds: quick ? 4 : 30,
  } satisfies CycleConfig,
  latency: {
    samples: quick ? 30 : 200,
    waitTimeSeconds: 20,
    settleMs: 50,
    bodyBytes: BODY_BYTES,
  } satisfies LatencyConfig,
  race: { samples: quick ? 20 : 100, waitTimeSeconds: 1 } satisfies RaceConfig,
  fifo: {
    groupCounts: [1, 10, 100],
    producers: 4,
    consumers: 8,
    batchSize: 10,
    receiveMax: 10,
    receiveWaitSeconds: 1,
    bodyBytes: BODY_BYTES,
    seconds: quick ? 4 : 15,
  } satisfies FifoConfig,
  move: {
    messages: quick ? 5_000 : 50_000,
    rated: { perSecond: 500, messages: quick ? 1_500 : 5_000 },
    senders: 16,
    batchSize: 10,
    bodyBytes: BODY_BYTES,
    pollMs: 100,
    maxSeconds: quick ? 60 : 300,
    rateTolerance: 0.1,
  } satisfies MoveConfig,
  /** The metrics phase: each round fills a queue as the send phase does, then runs the cycle phase on it. */
  metrics: { rounds: metricsRounds ?? (quick ? 1 : 4), fill: 'as send', cycle: 'as cycle' },
  backlog:
    backlogCount === undefined
      ? null
      : { messages: backlogCount, senders: 16, batchSize: 10, bodyBytes: BODY_BYTES, maxSeconds: backlogMaxSeconds },
};

interface ModeResult {
  durability: Durability;
  serverStartMs: number;
  rssAtStartKiB: number | null;
  rssAtEndKiB: number | null;
  /** null when the phase was not selected (--only). */
  send: SendResult | null;
  cycle: CycleResult | null;
  latency: LatencyResult | null;
  race: RaceResult | null;
  fifo: FifoResult | null;
  move: MoveResult | null;
  server: ServerReport;
}

interface ServerReport {
  exitCode: number | null;
  signal: string | null;
  /** Lines the server logged at warn level or above (or wrote to stderr). */
  outputLines: number;
  outputSample: string[];
}

function log(line: string): void {
  console.log(line);
}

function serverReport(server: ServerProcess, stopped: Awaited<ReturnType<ServerProcess['stop']>>): ServerReport {
  return {
    exitCode: stopped.exitCode,
    signal: stopped.signal,
    outputLines: server.output.length,
    outputSample: server.output.slice(0, 10),
  };
}

/**
 * Starts a server, gives it and a client to `work`, then stops it (on failure too) and adds how long it took
 * to start and how it ended to what `work` returned.
 */
async function withServer<T extends object>(
  options: { durability: Durability; metrics?: boolean },
  work: (server: ServerProcess, sqs: SQSClient, serverStartMs: number) => Promise<T>,
): Promise<
  T & { serverStartMs: number; server: ServerReport; dbAfterShutdown: ReturnType<ServerProcess['dbFileSizes']> }
> {
  const t0 = performance.now();
  const server = await startServerProcess({ repoRoot, ...options });
  const serverStartMs = round(performance.now() - t0, 0);
  const sqs = makeClient(server.url, MAX_SOCKETS);
  let stopped: Awaited<ReturnType<ServerProcess['stop']>> | undefined;
  try {
    const result = await work(server, sqs, serverStartMs);
    sqs.destroy();
    stopped = await server.stop();
    return {
      ...result,
      serverStartMs,
      server: serverReport(server, stopped),
      dbAfterShutdown: stopped.filesAfterShutdown,
    };
  } finally {
    sqs.destroy();
    if (!stopped) await server.stop();
  }
}

async function runMode(durability: Durability): Promise<ModeResult> {
  log(`\n== durability ${durability} ==`);
  const { dbAfterShutdown: _, ...result } = await withServer({ durability }, async (server, sqs, serverStartMs) => {
    log(`  server pid ${server.pid} on ${server.url}, ready in ${serverStartMs} ms`);
    const rssAtStart = processMemoryKiB(server.pid)?.rssKiB ?? null;

    const warmQueue = await createQueue(sqs, 'bench-warmup');
    const warm = await sendThroughput(server, sqs, warmQueue, config.warmup, 'warmup');
    log(`  warm-up: ${warm.messagesSent} messages in ${warm.seconds} s`);

    let send: SendResult | null = null;
    let cycle: CycleResult | null = null;
    let latency: LatencyResult | null = null;
    let race: RaceResult | null = null;
    let fifo: FifoResult | null = null;
    let move: MoveResult | null = null;

    const sendQueue = phases.has('send') || phases.has('cycle') ? await createQueue(sqs, 'bench-send') : '';
    if (phases.has('send')) {
      send = await sendThroughput(server, sqs, sendQueue, config.send);
      log(
        `  send: ${send.messagesSent} messages in ${send.seconds} s = ${send.messagesPerSecond} msg/s` +
          ` (${send.requestsPerSecond} batches/s)${send.capped ? ' [time cap hit]' : ''}, errors ${send.errors.total}`,
      );
    }

    if (phases.has('cycle')) {
      // The cycle consumes the queue the send phase filled (empty without it), while producers keep adding to it.
      cycle = await cycleThroughput(server, sqs, sendQueue, config.cycle);
      log(
        `  cycle: ${cycle.messagesDeleted} received+deleted in ${cycle.seconds} s = ${cycle.deletedPerSecond} msg/s,` +
          ` produced ${cycle.producedPerSecond} msg/s, errors ${cycle.errors.total}`,
      );
    }

    if (phases.has('latency')) {
      const latencyQueue = await createQueue(sqs, 'bench-latency');
      latency = await longPollLatency(server, sqs, latencyQueue, config.latency);
      log(
        `  long-poll latency: p50 ${latency.sendToReceive.p50Ms} ms, p99 ${latency.sendToReceive.p99Ms} ms,` +
          ` max ${latency.sendToReceive.maxMs} ms (${latency.sendToReceive.count} samples)`,
      );
    }
    if (phases.has('race')) {
      const raceQueue = await createQueue(sqs, 'bench-race');
      race = await longPollRace(server, sqs, raceQueue, config.race);
      log(
        `  long poll racing a send: ${race.lostWakeups} of ${race.config.samples} receives slept their whole ` +
          `${race.config.waitTimeSeconds} s wait`,
      );
    }

    if (phases.has('fifo')) {
      fifo = await fifoThroughput(server, sqs, config.fifo, (run) =>
        log(
          `  fifo ${run.groups} group${run.groups === 1 ? '' : 's'}: sent ${run.sentPerSecond} msg/s, ` +
            `received+deleted ${run.deletedPerSecond} msg/s, order violations ${run.order.violations}, ` +
            `errors ${run.errors.total}`,
        ),
      );
    }

    if (phases.has('move')) {
      move = await moveTaskThroughput(server, sqs, config.move, log);
      for (const m of [move.unthrottled, move.rated]) {
        log(
          `  move ${m.requestedRate === null ? 'unthrottled' : `at ${m.requestedRate}/s`}: ${m.status}, ` +
            `${m.messagesMoved} moved in ${m.seconds} s = ${m.movedPerSecond} msg/s`,
        );
      }
    }

    const rssAtEnd = processMemoryKiB(server.pid)?.rssKiB ?? null;
    return {
      durability,
      rssAtStartKiB: rssAtStart,
      rssAtEndKiB: rssAtEnd,
      send,
      cycle,
      latency,
      race,
      fifo,
      move,
    };
  });
  return result;
}

interface BacklogModeResult extends BacklogResult {
  durability: Durability;
  dbAfterShutdown: ReturnType<ServerProcess['dbFileSizes']>;
  server: ServerReport;
}

async function runBacklog(durability: Durability, messages: number): Promise<BacklogModeResult> {
  log(`\n== backlog ${messages} messages, durability ${durability} ==`);
  const backlog = config.backlog;
  if (!backlog) throw new Error('no backlog configuration');
  const { serverStartMs: _, ...result } = await withServer({ durability }, async (server, sqs) => ({
    durability,
    ...(await backlogMemory(server, sqs, { ...backlog, messages }, log)),
  }));
  return result;
}

// ---- the cost of the server's own metrics ---------------------------------------------------------

interface MetricsCostRun {
  round: number;
  metrics: boolean;
  serverStartMs: number;
  fill: SendResult;
  cycle: CycleResult;
  server: ServerReport;
}

/** Medians over the rounds of one setting. */
interface MetricsCostSide {
  cycleDeletedPerSecond: number;
  cycleQuietMedianPerSecond: number | null;
  cycleDeletedPerServerCpuSecond: number | null;
  fillMessagesPerSecond: number;
}

interface MetricsCostResult {
  durability: Durability;
  rounds: number;
  runs: MetricsCostRun[];
  on: MetricsCostSide;
  off: MetricsCostSide;
  /** (off / on - 1) x 100 of the cycle's received+deleted msg/s: positive when metrics cost throughput. */
  cycleDifferencePercent: number | null;
  /** The same of the messages received+deleted per server CPU-second, which other load on the machine blurs less. */
  cyclePerServerCpuDifferencePercent: number | null;
  /** The same of the fill's send msg/s. */
  fillDifferencePercent: number | null;
  /**
   * Per round, (off / on - 1) x 100 of the cycle's msg/s between the two servers run back to back, and its median:
   * pairing runs that are close in time cancels much of the drift of a shared machine.
   */
  roundDifferencesPercent: (number | null)[];
  pairedCycleDifferencePercent: number | null;
  /** The metrics hooks' own CPU per message, measured in process (see lib/recording-cost.ts). */
  recording: RecordingCost;
  /** That cost as a share of the server's CPU per message in the cycle with metrics on. */
  recordingShareOfServerCpuPercent: number | null;
}

/** The middle value (the mean of the two middle ones for an even count), ignoring unknown values. */
const median = (values: readonly (number | null)[]): number | null => {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const mid = known.length / 2;
  return Number.isInteger(mid)
    ? round(((known[mid - 1] ?? 0) + (known[mid] ?? 0)) / 2, 1)
    : (known[Math.floor(mid)] ?? null);
};
const differencePercent = (off: number | null, on: number | null): number | null =>
  off === null || on === null || on === 0 ? null : round((off / on - 1) * 100, 1);

/** The queue cycle on servers with and without their own metrics, alternating which runs first each round. */
async function runMetricsCost(durability: Durability): Promise<MetricsCostResult> {
  log(`\n== metrics on vs off, durability ${durability} ==`);
  const runs: MetricsCostRun[] = [];
  for (let r = 0; r < config.metrics.rounds; r++) {
    for (const metrics of r % 2 === 0 ? [true, false] : [false, true]) {
      const run = await withServer({ durability, metrics }, async (server, sqs) => {
        await sendThroughput(server, sqs, await createQueue(sqs, 'bench-warmup'), config.warmup, 'warmup');
        const queue = await createQueue(sqs, 'bench-cycle');
        const fill = await sendThroughput(server, sqs, queue, config.send, 'fill');
        const cycle = await cycleThroughput(server, sqs, queue, config.cycle);
        return { round: r + 1, metrics, fill, cycle };
      });
      const { dbAfterShutdown: _, ...kept } = run;
      runs.push(kept);
      log(
        `  round ${r + 1}, metrics ${metrics ? 'on ' : 'off'}: cycle ${fmt(run.cycle.deletedPerSecond)} msg/s ` +
          `(${fmt(run.cycle.deletedPerServerCpuSecond ?? Number.NaN)} per server CPU-second), ` +
          `fill ${fmt(run.fill.messagesPerSecond)} msg/s, errors ${run.cycle.errors.total + run.fill.errors.total}`,
      );
    }
  }
  const side = (metrics: boolean): MetricsCostSide => {
    const mine = runs.filter((r) => r.metrics === metrics);
    return {
      cycleDeletedPerSecond: median(mine.map((r) => r.cycle.deletedPerSecond)) ?? Number.NaN,
      cycleQuietMedianPerSecond: median(mine.map((r) => r.cycle.quiet.medianPerSecond)),
      cycleDeletedPerServerCpuSecond: median(mine.map((r) => r.cycle.deletedPerServerCpuSecond)),
      fillMessagesPerSecond: median(mine.map((r) => r.fill.messagesPerSecond)) ?? Number.NaN,
    };
  };
  const on = side(true);
  const off = side(false);
  const roundDifferencesPercent = Array.from({ length: config.metrics.rounds }, (_, r) => {
    const of = (metrics: boolean) => runs.find((x) => x.round === r + 1 && x.metrics === metrics);
    return differencePercent(of(false)?.cycle.deletedPerSecond ?? null, of(true)?.cycle.deletedPerSecond ?? null);
  });
  const recording = await measureRecordingCost();
  const serverMicrosPerMessage =
    on.cycleDeletedPerServerCpuSecond === null ? null : 1e6 / on.cycleDeletedPerServerCpuSecond;
  log(`  recording hooks: ${recording.microsPerMessage} µs of CPU per message cycled`);
  return {
    durability,
    rounds: config.metrics.rounds,
    runs,
    on,
    off,
    cycleDifferencePercent: differencePercent(off.cycleDeletedPerSecond, on.cycleDeletedPerSecond),
    cyclePerServerCpuDifferencePercent: differencePercent(
      off.cycleDeletedPerServerCpuSecond,
      on.cycleDeletedPerServerCpuSecond,
    ),
    fillDifferencePercent: differencePercent(off.fillMessagesPerSecond, on.fillMessagesPerSecond),
    roundDifferencesPercent,
    pairedCycleDifferencePercent: median(roundDifferencesPercent),
    recording,
    recordingShareOfServerCpuPercent:
      serverMicrosPerMessage === null ? null : round((recording.microsPerMessage / serverMicrosPerMessage) * 100, 2),
  };
}

function cpuText(c: CpuUse): string {
  return (
    `CPU % of a core: server ${c.serverCpuPercent}, bench ${c.benchCpuPercent}, ` +
    `other processes ${c.otherCpuPercent}, iowait ${c.iowaitPercent}`
  );
}

function quietText(q: { seconds: number; medianPerSecond: number | null; maxOtherPercent: number }, unit: string) {
  return q.medianPerSecond === null
    ? `no second with other processes at or under ${q.maxOtherPercent}% of a core`
    : `median ${fmt(q.medianPerSecond)} ${unit} over the ${q.seconds} s with other processes at or under ${q.maxOtherPercent}% of a core`;
}

function fifoLines(f: FifoRunResult): string[] {
  const o = f.order;
  return [
    `    ${String(f.groups).padStart(3)} group${f.groups === 1 ? ': ' : 's:'} sent ${fmt(f.sentPerSecond)} msg/s, ` +
      `received+deleted ${fmt(f.deletedPerSecond)} msg/s (${fmt(f.messagesSent)} sent, ${fmt(f.messagesDeleted)} deleted ` +
      `in ${f.seconds} s; depth after ${fmt(f.depthAfter.visible)} visible, ${fmt(f.depthAfter.inFlight)} in flight)`,
    `        receive p50 ${f.receiveLatency.p50Ms} / p99 ${f.receiveLatency.p99Ms} ms, ${f.meanMessagesPerReceive} msgs/receive, ` +
      `${fmt(f.emptyReceives)} empty of ${fmt(f.receiveRequests)} receives; delete batch p50 ${f.deleteBatchLatency.p50Ms} / ` +
      `p99 ${f.deleteBatchLatency.p99Ms} ms, send batch p50 ${f.sendBatchLatency.p50Ms} / p99 ${f.sendBatchLatency.p99Ms} ms`,
    `        order: ${o.violations} violations, ${o.sequenceViolations} SequenceNumber violations, ${o.skipped} skipped, ` +
      `${o.groupMismatches} group mismatches, ${o.duplicates} redelivered; delivered from ${o.groupsDelivered} of ` +
      `${f.groups} group${f.groups === 1 ? '' : 's'}; ` +
      `errors ${f.errors.total}`,
    `        ${cpuText(f.cpu)}; ${quietText(f.quiet, 'deleted/s')}; ` +
      `${fmt(f.deletedPerServerCpuSecond ?? Number.NaN)} deleted per server CPU-second`,
    `        sent/s each second:       ${f.sentPerSecondTimeline.join(' ')}`,
    `        deleted/s each second:    ${f.deletedPerSecondTimeline.join(' ')}`,
    `        server CPU % each second: ${f.cpuPerSecond.server.join(' ')}`,
    `        other CPU % each second:  ${f.cpuPerSecond.other.join(' ')}`,
  ];
}

function moveLines(m: MoveRunResult, c: MoveConfig): string[] {
  const name = m.requestedRate === null ? 'unthrottled' : `MaxNumberOfMessagesPerSecond ${m.requestedRate}`;
  const rate =
    m.achievedRatio === null
      ? ''
      : `; achieved ${Math.round(m.achievedRatio * 100)}% of the requested rate ` +
        `(${m.rateOk ? 'within' : 'OUTSIDE'} ±${Math.round(c.rateTolerance * 100)}%)`;
  return [
    `    ${name}: ${m.status}${m.timedOut ? ' [time cap hit, cancelled]' : ''}${m.failureReason ? ` (${m.failureReason})` : ''}, ` +
      `${fmt(m.messagesMoved)} of ${fmt(m.dlqDepthBefore)} moved in ${m.seconds} s = ${fmt(m.movedPerSecond)} msg/s ` +
      `(between first and last progress poll ${fmt(m.steadyMovedPerSecond ?? Number.NaN)} msg/s)${rate}`,
    `        DLQ filled at ${fmt(m.fill.messagesPerSecond)} msg/s; after: DLQ ${fmt(m.depthAfter.dlq)} visible + ` +
      `${fmt(m.depthAfter.dlqInFlight)} in flight, destination ${fmt(m.depthAfter.destination)}; StartMessageMoveTask ` +
      `${m.startRequestMs} ms, ListMessageMoveTasks p50 ${m.listLatency.p50Ms} / p99 ${m.listLatency.p99Ms} ms; ` +
      `errors ${m.errors.total + m.fill.errors.total}`,
    `        ${cpuText(m.cpu)}; ${fmt(m.movedPerServerCpuSecond ?? Number.NaN)} moved per server CPU-second`,
    `        moved/s each second:      ${m.movedPerSecondTimeline.join(' ')}`,
    `        server CPU % each second: ${m.cpuPerSecond.server.join(' ')}`,
    `        other CPU % each second:  ${m.cpuPerSecond.other.join(' ')}`,
  ];
}

function printSummary(
  results: ModeResult[],
  metricsCosts: MetricsCostResult[],
  backlogs: BacklogModeResult[],
  machine: MachineInfo,
): void {
  const lines: string[] = [];
  lines.push('', '================ Switchyard SQS benchmark ================');
  lines.push(machineLine(machine));
  lines.push(`profile: ${config.profile}, body ${BODY_BYTES} B, keep-alive agent maxSockets ${MAX_SOCKETS}`);
  for (const r of results) {
    const { send, cycle, latency, race, fifo, move } = r;
    lines.push('', `-- durability: ${r.durability} --`);
    if (send) {
      lines.push(
        `(1) SendMessageBatch x${send.config.batchSize}, ${send.config.senders} senders: ` +
          `${fmt(send.messagesSent)} msgs in ${send.seconds} s = ${fmt(send.messagesPerSecond)} msg/s ` +
          `(${fmt(send.requestsPerSecond)} req/s)${send.capped ? ' [time cap hit]' : ''}`,
      );
      lines.push(
        `    batch latency p50 ${send.requestLatency.p50Ms} / p99 ${send.requestLatency.p99Ms} / max ${send.requestLatency.maxMs} ms; ` +
          `${cpuText(send.cpu)}; errors ${send.errors.total}`,
      );
      lines.push(
        `    ${quietText(send.quiet, 'msg/s')}; ${fmt(send.messagesPerServerCpuSecond ?? Number.NaN)} msgs per server CPU-second`,
      );
      lines.push(`    msg/s each second:        ${send.perSecond.join(' ')}`);
      lines.push(`    server CPU % each second: ${send.cpuPerSecond.server.join(' ')}`);
      lines.push(`    other CPU % each second:  ${send.cpuPerSecond.other.join(' ')}`);
    }
    if (cycle) {
      lines.push(
        `(2) cycle, ${cycle.config.consumers} consumers (receive ${cycle.config.receiveMax} + DeleteMessageBatch) + ` +
          `${cycle.config.producers} producers, ${cycle.seconds} s: ${fmt(cycle.deletedPerSecond)} msg/s received+deleted, ` +
          `${fmt(cycle.producedPerSecond)} msg/s produced`,
      );
      lines.push(
        `    depth ${fmt(cycle.depthBefore.visible)} -> ${fmt(cycle.depthAfter.visible)} visible ` +
          `(${fmt(cycle.depthAfter.inFlight)} in flight after); ${cycle.meanMessagesPerReceive} msgs/receive, ` +
          `${cycle.emptyReceives} empty receives`,
      );
      lines.push(
        `    receive p50 ${cycle.receiveLatency.p50Ms} / p99 ${cycle.receiveLatency.p99Ms} ms, ` +
          `delete batch p50 ${cycle.deleteBatchLatency.p50Ms} / p99 ${cycle.deleteBatchLatency.p99Ms} ms, ` +
          `send batch p50 ${cycle.produceBatchLatency.p50Ms} / p99 ${cycle.produceBatchLatency.p99Ms} ms; ` +
          `${cpuText(cycle.cpu)}; errors ${cycle.errors.total}`,
      );
      lines.push(
        `    ${quietText(cycle.quiet, 'deleted/s')}; ${fmt(cycle.deletedPerServerCpuSecond ?? Number.NaN)} deleted per server CPU-second`,
      );
      lines.push(`    deleted/s each second:    ${cycle.deletedPerSecondTimeline.join(' ')}`);
      lines.push(`    server CPU % each second: ${cycle.cpuPerSecond.server.join(' ')}`);
      lines.push(`    other CPU % each second:  ${cycle.cpuPerSecond.other.join(' ')}`);
    }
    if (latency) {
      lines.push(
        `(3) send -> waiting long poll (WaitTimeSeconds ${latency.config.waitTimeSeconds}), ${latency.sendToReceive.count} samples: ` +
          `p50 ${latency.sendToReceive.p50Ms} ms, p99 ${latency.sendToReceive.p99Ms} ms, max ${latency.sendToReceive.maxMs} ms ` +
          `(SendMessage ack p50 ${latency.sendAck.p50Ms} ms, p99 ${latency.sendAck.p99Ms} ms); ` +
          `misses ${latency.misses.returnedBeforeSend + latency.misses.returnedEmpty}, errors ${latency.errors.total}`,
      );
      lines.push(`    samples over 1 s: ${latency.slowSamples}`);
    }
    if (race) {
      lines.push(
        `(3b) ReceiveMessage (WaitTimeSeconds ${race.config.waitTimeSeconds}) and SendMessage issued together, ` +
          `${race.config.samples} times: ${race.lostWakeups} receives got the message only when their wait ran out ` +
          `(lost wake-up), ${race.returnedEmpty} returned empty; receive p50 ${race.receiveLatency.p50Ms} ms, ` +
          `p99 ${race.receiveLatency.p99Ms} ms; errors ${race.errors.total}`,
      );
    }
    if (fifo) {
      const c = fifo.config;
      lines.push(
        `(5) FIFO (ContentBasedDeduplication), ${c.producers} producers (SendMessageBatch x${c.batchSize} over the groups) + ` +
          `${c.consumers} consumers (receive ${c.receiveMax}, wait ${c.receiveWaitSeconds} s, DeleteMessageBatch), ` +
          `${c.seconds} s per group count:`,
      );
      for (const f of fifo.runs) lines.push(...fifoLines(f));
    }
    if (move) {
      const c = move.config;
      lines.push(
        `(6) message move task, DLQ (sent to directly; RedrivePolicy of a source queue) -> DestinationArn, ` +
          `polled every ${c.pollMs} ms:`,
      );
      for (const m of [move.unthrottled, move.rated]) lines.push(...moveLines(m, c));
    }
    lines.push(
      `    server RSS ${mib(r.rssAtStartKiB)} at start, ${mib(r.rssAtEndKiB)} at end; ` +
        `exit ${r.server.exitCode ?? r.server.signal}; ${r.server.outputLines} warn/error log lines`,
    );
    for (const e of [
      ...(send?.errors.samples ?? []),
      ...(cycle?.errors.samples ?? []),
      ...(latency?.errors.samples ?? []),
      ...(race?.errors.samples ?? []),
      ...(fifo?.runs.flatMap((f) => f.errors.samples.map((x) => `fifo ${f.groups} groups: ${x}`)) ?? []),
      ...(move
        ? [move.unthrottled, move.rated].flatMap((m) =>
            [...m.fill.errors.samples, ...m.errors.samples].map(
              (x) => `move ${m.requestedRate ?? 'unthrottled'}: ${x}`,
            ),
          )
        : []),
    ]) {
      lines.push(`    error: ${e}`);
    }
    for (const l of r.server.outputSample) lines.push(`    server: ${l.slice(0, 200)}`);
  }
  const tainted = [
    ...results.flatMap((r) => [
      ...(r.send ? [[`${r.durability} send`, r.send.cpu.otherCpuPercent]] : []),
      ...(r.cycle ? [[`${r.durability} cycle`, r.cycle.cpu.otherCpuPercent]] : []),
      ...(r.fifo?.runs.map((f) => [`${r.durability} fifo ${f.groups} groups`, f.cpu.otherCpuPercent]) ?? []),
      ...(r.move
        ? [r.move.unthrottled, r.move.rated].map((m) => [
            `${r.durability} move ${m.requestedRate === null ? 'unthrottled' : `at ${m.requestedRate}/s`}`,
            m.cpu.otherCpuPercent,
          ])
        : []),
    ]),
    ...metricsCosts.flatMap((m) =>
      m.runs.map((r) => [
        `${m.durability} metrics ${r.metrics ? 'on' : 'off'} cycle, round ${r.round}`,
        r.cycle.cpu.otherCpuPercent,
      ]),
    ),
    ...backlogs.map((b) => [`${b.durability} backlog fill`, b.fill.cpu.otherCpuPercent]),
  ].filter(([, other]) => typeof other === 'number' && other > 15);
  if (tainted.length > 0) {
    lines.push(
      '',
      `WARNING: other processes used CPU during ${tainted.map(([name, o]) => `${name} (${o}% of a core)`).join(', ')}; ` +
        'those figures understate the server.',
    );
  }
  const faults = results.flatMap((r) => [
    ...(r.fifo?.runs
      .filter(
        (f) =>
          f.order.violations +
            f.order.sequenceViolations +
            f.order.groupMismatches +
            f.order.skipped +
            f.order.unparsed >
          0,
      )
      .map(
        (f) =>
          `${r.durability} fifo ${f.groups} groups: ${f.order.violations} order violations, ${f.order.sequenceViolations} ` +
          `sequence violations, ${f.order.skipped} skipped, ${f.order.groupMismatches} group mismatches`,
      ) ?? []),
    ...(r.move
      ? [r.move.unthrottled, r.move.rated]
          .filter(
            (m) => m.status !== 'COMPLETED' || m.rateOk === false || m.depthAfter.destination !== m.dlqDepthBefore,
          )
          .map(
            (m) =>
              `${r.durability} move ${m.requestedRate ?? 'unthrottled'}: ${m.status}${m.timedOut ? ' (time cap)' : ''}, ` +
              `${m.messagesMoved} of ${m.dlqDepthBefore} moved, destination holds ${m.depthAfter.destination}` +
              (m.rateOk === false ? `, achieved ${m.movedPerSecond}/s for ${m.requestedRate}/s` : ''),
          )
      : []),
  ]);
  if (faults.length > 0) lines.push('', `WARNING: ${faults.join('; ')}`);
  if (results.length > 1 && results.some((r) => r.send || r.cycle || r.latency)) {
    const quietCell = (q: { seconds: number; medianPerSecond: number | null } | undefined) =>
      q === undefined || q.medianPerSecond === null ? 'n/a' : `${fmt(q.medianPerSecond)} (${q.seconds} s)`;
    lines.push(
      '',
      'mode      send msg/s (quiet-s median)     cycle msg/s (quiet-s median)    long-poll p50 / p99 / max ms',
    );
    for (const r of results) {
      const l = r.latency?.sendToReceive;
      lines.push(
        `${r.durability.padEnd(9)} ${fmt(r.send?.messagesPerSecond ?? Number.NaN).padStart(8)} (${quietCell(r.send?.quiet)})`.padEnd(
          42,
        ) +
          `${fmt(r.cycle?.deletedPerSecond ?? Number.NaN).padStart(8)} (${quietCell(r.cycle?.quiet)})`.padEnd(32) +
          (l ? `${l.p50Ms} / ${l.p99Ms} / ${l.maxMs}` : 'n/a'),
      );
    }
  }
  if (results.length > 1 && results.some((r) => r.fifo || r.move)) {
    const groupCounts = config.fifo.groupCounts;
    lines.push(
      '',
      `mode      FIFO received+deleted msg/s at ${groupCounts.join(' / ')} groups`.padEnd(62) +
        `move msg/s unthrottled / at ${config.move.rated.perSecond}/s`,
    );
    for (const r of results) {
      const fifoCell = groupCounts
        .map((g) => fmt(r.fifo?.runs.find((f) => f.groups === g)?.deletedPerSecond ?? Number.NaN))
        .join(' / ');
      const moveCell = r.move
        ? `${fmt(r.move.unthrottled.movedPerSecond)} / ${fmt(r.move.rated.movedPerSecond)}`
        : 'n/a';
      lines.push(`${r.durability.padEnd(9)} ${fifoCell}`.padEnd(62) + moveCell);
    }
  }
  if (metricsCosts.length > 0) {
    const pct = (p: number | null) => (p === null ? 'n/a' : `${p > 0 ? '+' : ''}${p}%`);
    const rounds = metricsCosts[0]?.rounds ?? 0;
    lines.push(
      '',
      `-- the server's own metrics: queue cycle (fill ${fmt(config.send.messages)}, then ${config.cycle.consumers} ` +
        `consumers + ${config.cycle.producers} producers for ${config.cycle.seconds} s), median of ${rounds} ` +
        `round${rounds === 1 ? '' : 's'} --`,
      'mode      metrics  cycle msg/s  quiet-s median  per server CPU-s  fill msg/s',
    );
    for (const m of metricsCosts) {
      for (const [name, side] of [
        ['on', m.on],
        ['off', m.off],
      ] as const) {
        lines.push(
          `${m.durability.padEnd(9)} ${name.padEnd(8)} ${fmt(side.cycleDeletedPerSecond).padStart(11)}  ` +
            `${fmt(side.cycleQuietMedianPerSecond ?? Number.NaN).padStart(14)}  ` +
            `${fmt(side.cycleDeletedPerServerCpuSecond ?? Number.NaN).padStart(16)}  ${fmt(side.fillMessagesPerSecond).padStart(10)}`,
        );
      }
      lines.push(
        `${m.durability.padEnd(9)} off vs on: cycle ${pct(m.cycleDifferencePercent)}, per server CPU-second ` +
          `${pct(m.cyclePerServerCpuDifferencePercent)}, fill ${pct(m.fillDifferencePercent)}; round by round ` +
          `${m.roundDifferencesPercent.map(pct).join(' ')}, median ${pct(m.pairedCycleDifferencePercent)}`,
        `${m.durability.padEnd(9)} the recording hooks alone: ${m.recording.microsPerMessage} µs of CPU per message, ` +
          `${m.recordingShareOfServerCpuPercent ?? 'n/a'}% of the server's CPU per message with metrics on`,
      );
    }
  }
  for (const b of backlogs) {
    lines.push(
      '',
      `-- backlog: ${fmt(b.messagesRequested)} messages of ${BODY_BYTES} B, durability ${b.durability} --`,
    );
    lines.push(
      `(4) filled ${fmt(b.fill.messagesSent)} in ${b.fill.seconds} s = ${fmt(b.fill.messagesPerSecond)} msg/s` +
        `${b.fill.capped ? ' [time cap hit]' : ''}; errors ${b.fill.errors.total}`,
    );
    lines.push(`    msg/s per tenth of the fill: ${b.fill.perDecileMessagesPerSecond.join(' ')}`);
    lines.push(`    ${quietText(b.fill.quiet, 'msg/s')}`);
    lines.push(
      `    server RSS before ${mib(b.rssBeforeKiB)}, after ${mib(b.rssAfterKiB)}, after 2 s idle ${mib(b.rssAfterIdleKiB)}, ` +
        `peak ${mib(b.peakRssKiB)}`,
    );
    lines.push(
      `    database while running: db ${mb(b.dbWhileRunning.dbBytes)} + wal ${mb(b.dbWhileRunning.walBytes)} + ` +
        `shm ${mb(b.dbWhileRunning.shmBytes)} = ${mb(b.dbWhileRunning.totalBytes)}; after shutdown ${mb(b.dbAfterShutdown.totalBytes)} ` +
        `(${round(b.dbAfterShutdown.totalBytes / Math.max(1, b.fill.messagesSent), 0)} B/message)`,
    );
    lines.push(
      `    on the full queue: GetQueueAttributes(depth) ${b.getQueueAttributesMs.join(' / ')} ms ` +
        `(reports ${fmt(b.depthAfter.visible)} visible); receive 10 + delete p50 ${b.receiveDeleteMs.p50Ms} ms, max ${b.receiveDeleteMs.maxMs} ms`,
    );
    lines.push(`    fill ${cpuText(b.fill.cpu)}`);
    for (const e of b.fill.errors.samples) lines.push(`    error: ${e}`);
    for (const l of b.server.outputSample) lines.push(`    server: ${l.slice(0, 200)}`);
  }
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const run = startRun(repoRoot);
  log(`Switchyard SQS benchmark (${config.profile}), modes ${modes.join(', ')}, phases ${[...phases].join(', ')}`);
  const results: ModeResult[] = [];
  const metricsCosts: MetricsCostResult[] = [];
  if (!args['backlog-only']) {
    for (const mode of modes) {
      if (SERVER_PHASES.some((p) => phases.has(p))) results.push(await runMode(mode));
      if (phases.has('metrics')) metricsCosts.push(await runMetricsCost(mode));
    }
  }
  const backlogs: BacklogModeResult[] = [];
  if (backlogCount !== undefined) {
    for (const mode of modes) backlogs.push(await runBacklog(mode, backlogCount));
  }
  const head = run.finish('switchyard-sqs', 3);
  printSummary(results, metricsCosts, backlogs, run.machine);

  const report = {
    ...head,
    config: {
      ...config,
      modes,
      phases: [...phases],
      client: '@aws-sdk/client-sqs (maxAttempts 1), NodeHttpHandler keep-alive',
    },
    notes: [
      'Client and server run on the same machine and compete for its CPUs; see the cpu figures of each phase.',
      'Percentiles are nearest-rank over per-request wall times measured in the client, in milliseconds.',
      'The cycle phase consumes the queue the send phase filled, while producers keep sending.',
      'CPU percentages are of one core (server from /proc/<pid>/stat, bench from process.cpuUsage).',
      'Schema 2 adds results.<mode>.fifo and results.<mode>.move and config.phases; a phase left out with --only is null.',
      'FIFO order is checked as each receive is handled: per producer and group the running number in the body, and ' +
        'per group the SequenceNumber, must rise; redeliveries are counted apart.',
      'Move task throughput is timed from the StartMessageMoveTask answer to the first ListMessageMoveTasks poll that ' +
        'shows the task finished, so it is understated by up to one poll interval.',
      'Schema 3 adds metricsCost.<mode> (the metrics phase): the cycle on a server with its own metrics and on one ' +
        'started with --no-metrics, each round on fresh servers (warm-up, a fill as the send phase, then the cycle), ' +
        'the order alternating per round; on and off are medians over the rounds, and the differences are ' +
        '(off / on - 1) x 100, positive when recording metrics costs throughput.',
    ],
    results: Object.fromEntries(results.map((r) => [r.durability, r])),
    metricsCost: metricsCosts.length > 0 ? Object.fromEntries(metricsCosts.map((m) => [m.durability, m])) : null,
    backlog: backlogs.length > 0 ? Object.fromEntries(backlogs.map((b) => [b.durability, b])) : null,
  };
  writeReport(repoRoot, 'sqs', 'latest.json', report);
}

runMain(main);
