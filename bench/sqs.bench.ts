/**
 * SQS benchmark for Switchyard: starts the server as a child process per durability mode and drives it
 * through @aws-sdk/client-sqs over keep-alive HTTP on 127.0.0.1.
 *
 *   npm run bench                      full run, both durability modes (a few minutes)
 *   npm run bench -- --quick           smoke run with small counts (well under a minute)
 *   npm run bench -- --modes relaxed   one mode only
 *   npm run bench -- --backlog 1000000 also fill a queue with N messages and report server RSS and DB size
 *   npm run bench -- --backlog 1000000 --backlog-only   only the backlog scenario
 *
 * Results: bench/results/sqs-<ISO time>.json and bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BacklogResult,
  backlogMemory,
  type CycleConfig,
  type CycleResult,
  createQueue,
  cycleThroughput,
  type LatencyConfig,
  type LatencyResult,
  longPollLatency,
  longPollRace,
  makeClient,
  mib,
  type RaceConfig,
  type RaceResult,
  type SendConfig,
  type SendResult,
  sendThroughput,
} from './lib/scenarios.js';
import { type Durability, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { type CpuUse, processMemoryKiB, round } from './lib/stats.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = path.join(repoRoot, 'bench', 'results');

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    modes: { type: 'string', default: 'full,relaxed' },
    backlog: { type: 'string' },
    'backlog-only': { type: 'boolean', default: false },
    'backlog-max-seconds': { type: 'string', default: '600' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(
    `usage: npm run bench -- [--quick] [--modes full,relaxed] [--backlog N [--backlog-only] [--backlog-max-seconds S]]`,
  );
  process.exit(0);
}

const modes = args.modes.split(',').map((m) => m.trim()) as Durability[];
for (const m of modes) {
  if (m !== 'full' && m !== 'relaxed') {
    console.error(`--modes: unknown durability "${m}" (full, relaxed)`);
    process.exit(2);
  }
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
  send: SendResult;
  cycle: CycleResult;
  latency: LatencyResult;
  race: RaceResult;
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

async function runMode(durability: Durability): Promise<ModeResult> {
  log(`\n== durability ${durability} ==`);
  const t0 = performance.now();
  const server = await startServerProcess({ repoRoot, durability });
  const serverStartMs = round(performance.now() - t0, 0);
  const sqs = makeClient(server.url, MAX_SOCKETS);
  let stopped: Awaited<ReturnType<ServerProcess['stop']>> | undefined;
  try {
    log(`  server pid ${server.pid} on ${server.url}, ready in ${serverStartMs} ms`);
    const rssAtStart = processMemoryKiB(server.pid)?.rssKiB ?? null;

    const warmQueue = await createQueue(sqs, 'bench-warmup');
    const warm = await sendThroughput(server, sqs, warmQueue, config.warmup, 'warmup');
    log(`  warm-up: ${warm.messagesSent} messages in ${warm.seconds} s`);

    const sendQueue = await createQueue(sqs, 'bench-send');
    const send = await sendThroughput(server, sqs, sendQueue, config.send);
    log(
      `  send: ${send.messagesSent} messages in ${send.seconds} s = ${send.messagesPerSecond} msg/s` +
        ` (${send.requestsPerSecond} batches/s)${send.capped ? ' [time cap hit]' : ''}, errors ${send.errors.total}`,
    );

    // The cycle consumes the queue the send phase filled, while producers keep adding to it.
    const cycle = await cycleThroughput(server, sqs, sendQueue, config.cycle);
    log(
      `  cycle: ${cycle.messagesDeleted} received+deleted in ${cycle.seconds} s = ${cycle.deletedPerSecond} msg/s,` +
        ` produced ${cycle.producedPerSecond} msg/s, errors ${cycle.errors.total}`,
    );

    const latencyQueue = await createQueue(sqs, 'bench-latency');
    const latency = await longPollLatency(server, sqs, latencyQueue, config.latency);
    log(
      `  long-poll latency: p50 ${latency.sendToReceive.p50Ms} ms, p99 ${latency.sendToReceive.p99Ms} ms,` +
        ` max ${latency.sendToReceive.maxMs} ms (${latency.sendToReceive.count} samples)`,
    );
    const raceQueue = await createQueue(sqs, 'bench-race');
    const race = await longPollRace(server, sqs, raceQueue, config.race);
    log(
      `  long poll racing a send: ${race.lostWakeups} of ${race.config.samples} receives slept their whole ` +
        `${race.config.waitTimeSeconds} s wait`,
    );
    const rssAtEnd = processMemoryKiB(server.pid)?.rssKiB ?? null;
    sqs.destroy();
    stopped = await server.stop();
    return {
      durability,
      serverStartMs,
      rssAtStartKiB: rssAtStart,
      rssAtEndKiB: rssAtEnd,
      send,
      cycle,
      latency,
      race,
      server: serverReport(server, stopped),
    };
  } finally {
    sqs.destroy();
    if (!stopped) await server.stop();
  }
}

interface BacklogModeResult extends BacklogResult {
  durability: Durability;
  dbAfterShutdown: ReturnType<ServerProcess['dbFileSizes']>;
  server: ServerReport;
}

async function runBacklog(durability: Durability, messages: number): Promise<BacklogModeResult> {
  log(`\n== backlog ${messages} messages, durability ${durability} ==`);
  const server = await startServerProcess({ repoRoot, durability });
  const sqs = makeClient(server.url, MAX_SOCKETS);
  let stopped: Awaited<ReturnType<ServerProcess['stop']>> | undefined;
  try {
    if (!config.backlog) throw new Error('no backlog configuration');
    const result = await backlogMemory(server, sqs, { ...config.backlog, messages }, log);
    sqs.destroy();
    stopped = await server.stop();
    return {
      durability,
      ...result,
      dbAfterShutdown: stopped.filesAfterShutdown,
      server: serverReport(server, stopped),
    };
  } finally {
    sqs.destroy();
    if (!stopped) await server.stop();
  }
}

function gitInfo(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: null, dirty: null };
  }
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

const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US') : 'n/a');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function printSummary(results: ModeResult[], backlogs: BacklogModeResult[], machine: Record<string, unknown>): void {
  const lines: string[] = [];
  lines.push('', '================ Switchyard SQS benchmark ================');
  lines.push(
    `machine: ${machine.cpuModel} x${machine.cpuCount}, ${mb(machine.totalMemoryBytes as number)} RAM, ` +
      `node ${machine.node}, ${machine.platform}/${machine.arch}; client and server share the machine`,
  );
  lines.push(`profile: ${config.profile}, body ${BODY_BYTES} B, keep-alive agent maxSockets ${MAX_SOCKETS}`);
  for (const r of results) {
    const { send, cycle, latency } = r;
    lines.push('', `-- durability: ${r.durability} --`);
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
    lines.push(
      `(3) send -> waiting long poll (WaitTimeSeconds ${latency.config.waitTimeSeconds}), ${latency.sendToReceive.count} samples: ` +
        `p50 ${latency.sendToReceive.p50Ms} ms, p99 ${latency.sendToReceive.p99Ms} ms, max ${latency.sendToReceive.maxMs} ms ` +
        `(SendMessage ack p50 ${latency.sendAck.p50Ms} ms, p99 ${latency.sendAck.p99Ms} ms); ` +
        `misses ${latency.misses.returnedBeforeSend + latency.misses.returnedEmpty}, errors ${latency.errors.total}`,
    );
    lines.push(`    samples over 1 s: ${latency.slowSamples}`);
    lines.push(
      `(3b) ReceiveMessage (WaitTimeSeconds ${r.race.config.waitTimeSeconds}) and SendMessage issued together, ` +
        `${r.race.config.samples} times: ${r.race.lostWakeups} receives got the message only when their wait ran out ` +
        `(lost wake-up), ${r.race.returnedEmpty} returned empty; receive p50 ${r.race.receiveLatency.p50Ms} ms, ` +
        `p99 ${r.race.receiveLatency.p99Ms} ms; errors ${r.race.errors.total}`,
    );
    lines.push(
      `    server RSS ${mib(r.rssAtStartKiB)} at start, ${mib(r.rssAtEndKiB)} at end; ` +
        `exit ${r.server.exitCode ?? r.server.signal}; ${r.server.outputLines} warn/error log lines`,
    );
    for (const e of [
      ...send.errors.samples,
      ...cycle.errors.samples,
      ...latency.errors.samples,
      ...r.race.errors.samples,
    ]) {
      lines.push(`    error: ${e}`);
    }
    for (const l of r.server.outputSample) lines.push(`    server: ${l.slice(0, 200)}`);
  }
  const tainted = [
    ...results.flatMap((r) => [
      [`${r.durability} send`, r.send.cpu.otherCpuPercent],
      [`${r.durability} cycle`, r.cycle.cpu.otherCpuPercent],
    ]),
    ...backlogs.map((b) => [`${b.durability} backlog fill`, b.fill.cpu.otherCpuPercent]),
  ].filter(([, other]) => typeof other === 'number' && other > 15);
  if (tainted.length > 0) {
    lines.push(
      '',
      `WARNING: other processes used CPU during ${tainted.map(([name, o]) => `${name} (${o}% of a core)`).join(', ')}; ` +
        'those figures understate the server.',
    );
  }
  if (results.length > 1) {
    const quietCell = (q: { seconds: number; medianPerSecond: number | null }) =>
      q.medianPerSecond === null ? 'n/a' : `${fmt(q.medianPerSecond)} (${q.seconds} s)`;
    lines.push(
      '',
      'mode      send msg/s (quiet-s median)     cycle msg/s (quiet-s median)    long-poll p50 / p99 / max ms',
    );
    for (const r of results) {
      lines.push(
        `${r.durability.padEnd(9)} ${fmt(r.send.messagesPerSecond).padStart(8)} (${quietCell(r.send.quiet)})`.padEnd(
          42,
        ) +
          `${fmt(r.cycle.deletedPerSecond).padStart(8)} (${quietCell(r.cycle.quiet)})`.padEnd(32) +
          `${r.latency.sendToReceive.p50Ms} / ${r.latency.sendToReceive.p99Ms} / ${r.latency.sendToReceive.maxMs}`,
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
  const startedAt = new Date();
  const cpus = os.cpus();
  const machine = {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
  };
  log(`Switchyard SQS benchmark (${config.profile}), modes ${modes.join(', ')}`);
  const results: ModeResult[] = [];
  if (!args['backlog-only']) {
    for (const mode of modes) results.push(await runMode(mode));
  }
  const backlogs: BacklogModeResult[] = [];
  if (backlogCount !== undefined) {
    for (const mode of modes) backlogs.push(await runBacklog(mode, backlogCount));
  }
  const finishedAt = new Date();
  printSummary(results, backlogs, machine);

  const report = {
    benchmark: 'switchyard-sqs',
    schemaVersion: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    totalSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    git: gitInfo(),
    machine,
    config: { ...config, modes, client: '@aws-sdk/client-sqs (maxAttempts 1), NodeHttpHandler keep-alive' },
    notes: [
      'Client and server run on the same machine and compete for its CPUs; see the cpu figures of each phase.',
      'Percentiles are nearest-rank over per-request wall times measured in the client, in milliseconds.',
      'The cycle phase consumes the queue the send phase filled, while producers keep sending.',
      'CPU percentages are of one core (server from /proc/<pid>/stat, bench from process.cpuUsage).',
    ],
    results: Object.fromEntries(results.map((r) => [r.durability, r])),
    backlog: backlogs.length > 0 ? Object.fromEntries(backlogs.map((b) => [b.durability, b])) : null,
  };
  mkdirSync(resultsDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/:/g, '-');
  const file = path.join(resultsDir, `sqs-${stamp}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(path.join(resultsDir, 'latest.json'), json);
  log(`\nresults: ${path.relative(repoRoot, file)} and bench/results/latest.json (${report.totalSeconds} s in all)`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
