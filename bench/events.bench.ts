/**
 * EventBridge routing benchmark for Switchyard: PutEvents entries per second routed into SQS queues, and
 * the latency from PutEvents to a waiting long poll's return, on buses with 10, 1,000 and 10,000 rules.
 * Starts the server as a child process per durability mode and drives it through @aws-sdk/client-eventbridge
 * and @aws-sdk/client-sqs over keep-alive HTTP on 127.0.0.1.
 *
 *   npm run bench -- --suites events            this benchmark alone (npm run bench runs the SQS one first)
 *   node --import tsx bench/events.bench.ts      the same, directly
 *     --quick                                   smoke run: 10, 100 and 1,000 rules, short phases
 *     --modes full,relaxed                      durability modes (default full)
 *     --rules 10,500                            rule counts per bus
 *
 * Per rule count, on a fresh custom bus: N rules in all, of which 5 route (one SQS target each) the
 * throughput events, one more routes the latency events to a queue of its own, and the rest are target-less
 * decoys (mostly exact marketplace matches, one in ten prefix / numeric / anything-but) that each event's
 * marketplace usually hits one of. Every event matches exactly one routed rule, so the routed queues must
 * end up holding one message per accepted entry; that is checked.
 *
 * Results: bench/results/events-<ISO time>.json and bench/results/events-latest.json.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  makeEventBridgeClient,
  ROUTED_RULES,
  type RuleCountConfig,
  type RuleCountResult,
  ruleCountRun,
} from './lib/events-scenarios.js';
import { fmt, type MachineInfo, machineLine, runMain, startRun, writeReport } from './lib/report.js';
import { makeClient, mib } from './lib/scenarios.js';
import { type Durability, parseModes, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { processMemoryKiB, round } from './lib/stats.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    modes: { type: 'string', default: 'full' },
    rules: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(
    'usage: node --import tsx bench/events.bench.ts [--quick] [--modes full,relaxed] [--rules 10,1000,10000]',
  );
  process.exit(0);
}

const modes = parseModes(args.modes);
const quick = args.quick;
const ruleCounts =
  args.rules === undefined ? (quick ? [10, 100, 1_000] : [10, 1_000, 10_000]) : args.rules.split(',').map(Number);
for (const n of ruleCounts) {
  if (!Number.isInteger(n) || n < ROUTED_RULES + 1) {
    console.error(`--rules: each count must be an integer of at least ${ROUTED_RULES + 1} (the routed rules)`);
    process.exit(2);
  }
}

const MAX_SOCKETS = 64;
// The server's default quota is AWS's 300 rules per bus; the largest bus needs room.
const maxRulesPerBus = Math.max(300, ...ruleCounts);

const config = {
  profile: quick ? 'quick' : 'full',
  ruleCounts,
  routedRules: ROUTED_RULES,
  httpMaxSockets: MAX_SOCKETS,
  serverLimits: { maxRulesPerBus },
  run: {
    createConcurrency: 48,
    warmup: { producers: 8, batchSize: 10, seconds: quick ? 1 : 3 },
    throughput: { producers: 8, batchSize: 10, seconds: quick ? 4 : 20 },
    latency: { samples: quick ? 30 : 200, waitTimeSeconds: 20, settleMs: 20, maxSeconds: quick ? 30 : 120 },
  } satisfies RuleCountConfig,
};

interface ModeResult {
  durability: Durability;
  serverStartMs: number;
  rssAtStartKiB: number | null;
  rssAtEndKiB: number | null;
  runs: RuleCountResult[];
  server: { exitCode: number | null; signal: string | null; outputLines: number; outputSample: string[] };
}

function log(line: string): void {
  console.log(line);
}

async function runMode(durability: Durability): Promise<ModeResult> {
  log(`\n== durability ${durability} ==`);
  const t0 = performance.now();
  const server = await startServerProcess({ repoRoot, durability, limits: config.serverLimits });
  const serverStartMs = round(performance.now() - t0, 0);
  const sqs = makeClient(server.url, MAX_SOCKETS);
  const eb = makeEventBridgeClient(server.url, MAX_SOCKETS);
  let stopped: Awaited<ReturnType<ServerProcess['stop']>> | undefined;
  try {
    log(`  server pid ${server.pid} on ${server.url}, ready in ${serverStartMs} ms`);
    const rssAtStart = processMemoryKiB(server.pid)?.rssKiB ?? null;
    const runs: RuleCountResult[] = [];
    for (const n of ruleCounts) runs.push(await ruleCountRun(server, eb, sqs, n, config.run, log));
    const rssAtEnd = processMemoryKiB(server.pid)?.rssKiB ?? null;
    sqs.destroy();
    eb.destroy();
    stopped = await server.stop();
    return {
      durability,
      serverStartMs,
      rssAtStartKiB: rssAtStart,
      rssAtEndKiB: rssAtEnd,
      runs,
      server: {
        exitCode: stopped.exitCode,
        signal: stopped.signal,
        outputLines: server.output.length,
        outputSample: server.output.slice(0, 10),
      },
    };
  } finally {
    sqs.destroy();
    eb.destroy();
    if (!stopped) await server.stop();
  }
}

function printSummary(results: ModeResult[], machine: MachineInfo): void {
  const lines: string[] = [];
  lines.push('', '================ Switchyard EventBridge routing benchmark ================');
  lines.push(machineLine(machine));
  const c = config.run;
  lines.push(
    `profile: ${config.profile}; throughput: ${c.throughput.producers} producers x PutEvents of ${c.throughput.batchSize} ` +
      `for ${c.throughput.seconds} s (after ${c.warmup.seconds} s warm-up), ${ROUTED_RULES} routed queues; latency: ` +
      `${c.latency.samples} samples, WaitTimeSeconds ${c.latency.waitTimeSeconds}, put ${c.latency.settleMs} ms after the receive`,
  );
  const warnings: string[] = [];
  for (const r of results) {
    lines.push('', `-- durability: ${r.durability} --`);
    lines.push(
      `${'rules'.padStart(6)}  ${'create s'.padStart(8)}  ${'entries/s'.padStart(9)}  ${'req/s'.padStart(7)}  ` +
        `${'put p50/p99 ms'.padStart(15)}  ${'failed'.padStart(6)}  ${'delivered'.padStart(17)}  ` +
        `${'put->poll p50/p99/max ms'.padStart(24)}  ${'srv CPU%'.padStart(8)}  ${'RSS after'.padStart(10)}`,
    );
    for (const x of r.runs) {
      const t = x.throughput;
      const l = x.latency.putToReceive;
      lines.push(
        `${fmt(x.rules).padStart(6)}  ${String(x.creation.seconds).padStart(8)}  ${fmt(t.entriesPerSecond).padStart(9)}  ` +
          `${fmt(t.requestsPerSecond).padStart(7)}  ${`${t.requestLatency.p50Ms} / ${t.requestLatency.p99Ms}`.padStart(15)}  ` +
          `${String(t.failedEntries).padStart(6)}  ` +
          `${`${fmt(x.delivery.delivered)}/${fmt(x.delivery.expected)}${x.delivery.allDelivered ? '' : ' !'}`.padStart(17)}  ` +
          `${`${l.p50Ms} / ${l.p99Ms} / ${l.maxMs}`.padStart(24)}  ${String(t.cpu.serverCpuPercent ?? 'n/a').padStart(8)}  ` +
          `${mib(x.rssAfterKiB).padStart(10)}`,
      );
      const name = `${r.durability} ${x.rules} rules`;
      if (t.failedEntries > 0 || t.errors.total > 0) {
        warnings.push(
          `${name}: ${t.failedEntries} failed entries, ${t.errors.total} errors (${t.errors.samples[0] ?? ''})`,
        );
      }
      if (!x.delivery.allDelivered) {
        warnings.push(
          `${name}: routed queues hold ${x.delivery.delivered} messages for ${x.delivery.expected} entries`,
        );
      }
      const m = x.latency.misses;
      const missed = m.returnedBeforePut + m.returnedEmpty + m.wrongEvent + m.failedEntries;
      if (missed > 0 || x.latency.errors.total > 0 || x.latency.slowSamples > 0) {
        warnings.push(
          `${name} latency: ${missed} misses ${JSON.stringify(m)}, ${x.latency.slowSamples} samples over 1 s, ` +
            `${x.latency.errors.total} errors`,
        );
      }
      if ((t.cpu.otherCpuPercent ?? 0) > 15) {
        warnings.push(`${name}: other processes used ${t.cpu.otherCpuPercent}% of a core during the throughput phase`);
      }
    }
    lines.push(
      `    create s: ${config.run.createConcurrency} concurrent PutRule; entries/s quiet-second medians: ` +
        r.runs.map((x) => `${fmt(x.rules)}: ${fmt(x.throughput.quiet.medianPerSecond ?? Number.NaN)}`).join(', ') +
        `; entries per server CPU-second: ` +
        r.runs.map((x) => `${fmt(x.rules)}: ${fmt(x.throughput.entriesPerServerCpuSecond ?? Number.NaN)}`).join(', '),
    );
    lines.push(
      `    server RSS ${mib(r.rssAtStartKiB)} at start, ${mib(r.rssAtEndKiB)} at end; ` +
        `exit ${r.server.exitCode ?? r.server.signal}; ${r.server.outputLines} warn/error log lines`,
    );
    for (const l of r.server.outputSample) lines.push(`    server: ${l.slice(0, 200)}`);
  }
  if (warnings.length > 0) lines.push('', ...warnings.map((w) => `WARNING: ${w}`));
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const run = startRun(repoRoot);
  log(
    `Switchyard EventBridge routing benchmark (${config.profile}), modes ${modes.join(', ')}, ` +
      `rules ${ruleCounts.join(', ')}`,
  );
  const results: ModeResult[] = [];
  for (const mode of modes) results.push(await runMode(mode));
  const head = run.finish('switchyard-events', 1);
  printSummary(results, run.machine);

  const report = {
    ...head,
    config: {
      ...config,
      modes,
      client: '@aws-sdk/client-eventbridge and client-sqs (maxAttempts 1), NodeHttpHandler keep-alive',
    },
    notes: [
      'Client and server run on the same machine and compete for its CPUs; see the cpu figures of each phase.',
      'Percentiles are nearest-rank over per-request wall times measured in the client, in milliseconds.',
      'A rule count is the number of rules on the bus: 5 routed + 1 latency rule + target-less decoys.',
      'Each bus is new, but earlier buses (and their queues and messages) stay on the server during later runs.',
      'delivery.expected counts the entries accepted in the warm-up and the measured run; delivered is the sum of ' +
        'the routed queues (visible + in flight).',
      'Latency samples put one event while a ReceiveMessage is parked on a queue only the latency rule routes to.',
    ],
    results: Object.fromEntries(results.map((r) => [r.durability, r])),
  };
  writeReport(repoRoot, 'events', 'events-latest.json', report);
}

runMain(main);
