/**
 * Consumer benchmark: messages per second through switchyard/client's consume() and through sqs-consumer (BBC, v14)
 * with a no-op handler, at concurrency 1, 10 and 100, on the same server and the same queue. Starts the server as a
 * child process per durability mode and gives both libraries an @aws-sdk/client-sqs client configured alike.
 *
 *   npm run bench -- --suites consumer          this benchmark alone (npm run bench runs it after the other two)
 *   node --import tsx bench/consumer.bench.ts   the same, directly
 *     --quick                                  smoke run: 1,000 messages (200 at concurrency 1), one round
 *     --modes full,relaxed                     durability modes (default full)
 *     --consumer-messages 5000                 N at concurrency 10 and 100; concurrency 1 drains N / 5
 *     --consumer-rounds 3                      rounds (default 3)
 *     --consumer-concurrency 1,10,100          concurrencies
 *
 * Each case: the queue (standard, VisibilityTimeout 60, empty) is filled with N messages (SendMessageBatch of 10, 8
 * senders; not timed), then the library's consumer is started with a no-op handler, and the clock runs from just
 * before its start() until the SQS client has seen SQS confirm the Nth delete (counted by a middleware on the client
 * both libraries use). The consumer is then stopped gracefully (not timed), the queue checked empty with
 * GetQueueAttributes and purged. In each round both libraries run each concurrency back to back, the order
 * alternating by round and concurrency; a warm-up case per library comes first and is not reported.
 *
 * Concurrency c: switchyard consume({ concurrency: c, batchSize: min(10, c) }); sqs-consumer has no concurrency
 * option (it handles one receive's messages in parallel and polls again when all are done), so ceil(c / 10)
 * Consumer instances of batchSize min(10, c). Both: the same long-poll wait, the queue's visibility timeout,
 * per-message handlers.
 *
 * Results: bench/results/consumer-<ISO time>.json and bench/results/consumer-latest.json.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import {
  type ConsumerCaseConfig,
  type ConsumerCaseResult,
  consumerCase,
  LIBRARIES,
  type Library,
  mapping,
} from './lib/consumer-scenarios.js';
import { fmt, type MachineInfo, machineLine, runMain, startRun, writeReport } from './lib/report.js';
import { makeClient } from './lib/scenarios.js';
import { type Durability, parseModes, type ServerProcess, startServerProcess } from './lib/server-process.js';
import { round } from './lib/stats.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    modes: { type: 'string', default: 'full' },
    'consumer-messages': { type: 'string' },
    'consumer-rounds': { type: 'string' },
    'consumer-concurrency': { type: 'string', default: '1,10,100' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(
    'usage: node --import tsx bench/consumer.bench.ts [--quick] [--modes full,relaxed] [--consumer-messages N] ' +
      '[--consumer-rounds N] [--consumer-concurrency 1,10,100]',
  );
  process.exit(0);
}

const modes = parseModes(args.modes);
const quick = args.quick;
function positive(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} needs a whole number of at least ${min}`);
    process.exit(2);
  }
  return n;
}
const messages = positive('consumer-messages', args['consumer-messages'], quick ? 1_000 : 5_000, 50);
const rounds = positive('consumer-rounds', args['consumer-rounds'], quick ? 1 : 3);
const concurrencies = args['consumer-concurrency'].split(',').map(Number);
for (const c of concurrencies) {
  if (!Number.isInteger(c) || c < 1 || c > 1000) {
    console.error('--consumer-concurrency: each value must be a whole number from 1 to 1000');
    process.exit(2);
  }
}

/** N per concurrency: one message at a time is a round trip per receive and per delete, so fewer there. */
const messagesAt = (c: number) => (c === 1 ? Math.max(10, Math.round(messages / 5)) : messages);

const MAX_SOCKETS = 128;
/** Other processes' CPU, % of a core, above which a case is marked as measured on a busy machine. */
const TAINTED = 15;
const QUEUE_NAME = 'bench-consumer';
const VISIBILITY_TIMEOUT = 60;

const config = {
  profile: quick ? 'quick' : 'full',
  rounds,
  concurrencies,
  messagesPerConcurrency: Object.fromEntries(concurrencies.map((c) => [c, messagesAt(c)])),
  warmup: { concurrency: 10, messages: Math.min(1_000, messages) },
  queue: { name: QUEUE_NAME, visibilityTimeoutSeconds: VISIBILITY_TIMEOUT },
  mapping: Object.fromEntries(concurrencies.map((c) => [c, mapping(c)])),
  serverLimits: { purgeCooldownSeconds: 0 },
  libraries: {
    switchyard: 'switchyard/client consume() from src/client (no-op handler, defaults otherwise)',
    'sqs-consumer': 'sqs-consumer 14 Consumer (no-op handleMessage returning the message, defaults otherwise)',
  },
  case: {
    waitTimeSeconds: 1,
    httpMaxSockets: MAX_SOCKETS,
    fill: { senders: 8, batchSize: 10, bodyBytes: 200, maxSeconds: 120 },
    settleMs: 250,
    maxSeconds: 120,
  } satisfies ConsumerCaseConfig,
};

interface CaseRun extends ConsumerCaseResult {
  round: number;
  /** 1 if this library ran first of the pair, 2 if second. */
  position: number;
}

/** Medians over the rounds of one library at one concurrency. */
interface CaseSummary {
  library: Library;
  concurrency: number;
  messages: number;
  medianMessagesPerSecond: number | null;
  perRoundMessagesPerSecond: number[];
  /** Other processes' CPU during each round's case, % of a core: above 15 the figure understates both libraries. */
  perRoundOtherCpuPercent: (number | null)[];
  medianBenchCpuMicrosPerMessage: number | null;
  medianServerCpuMicrosPerMessage: number | null;
  medianRequestsPerMessage: number | null;
}

interface ModeResult {
  durability: Durability;
  serverStartMs: number;
  runs: CaseRun[];
  summary: CaseSummary[];
  /** Per concurrency: switchyard msg/s / sqs-consumer msg/s, per round (pairs run back to back) and their median. */
  ratios: { concurrency: number; perRound: (number | null)[]; median: number | null; ofMedians: number | null }[];
  server: { exitCode: number | null; signal: string | null; outputLines: number; outputSample: string[] };
}

function log(line: string): void {
  console.log(line);
}

/** The middle value (the mean of the two middle ones for an even count), ignoring unknown values. */
function median(values: readonly (number | null)[], digits = 1): number | null {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const mid = known.length / 2;
  return round(
    Number.isInteger(mid) ? ((known[mid - 1] ?? 0) + (known[mid] ?? 0)) / 2 : (known[Math.floor(mid)] ?? 0),
    digits,
  );
}

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : round(a / b, 2);

function caseLine(r: CaseRun): string {
  const q = r.requests;
  return (
    `  round ${r.round} c=${String(r.concurrency).padEnd(3)} ${r.library.padEnd(12)} ${fmt(r.messages)} in ` +
    `${r.seconds} s = ${fmt(r.messagesPerSecond)} msg/s; ${q.receives} receives (${q.emptyReceives} empty), ` +
    `${q.deleteSingle} DeleteMessage + ${q.deleteBatch} DeleteMessageBatch; CPU µs/msg bench ${r.benchCpuMicrosPerMessage}` +
    `, server ${r.serverCpuMicrosPerMessage ?? 'n/a'}; stop ${r.stopMs} ms` +
    `${r.timedOut ? ' [TIMED OUT]' : ''}${r.errors.total > 0 ? `, errors ${r.errors.total}` : ''}`
  );
}

async function runMode(durability: Durability): Promise<ModeResult> {
  log(`\n== durability ${durability} ==`);
  const t0 = performance.now();
  const server = await startServerProcess({ repoRoot, durability, limits: config.serverLimits });
  const serverStartMs = round(performance.now() - t0, 0);
  const admin = makeClient(server.url, 16);
  let stopped: Awaited<ReturnType<ServerProcess['stop']>> | undefined;
  try {
    log(`  server pid ${server.pid} on ${server.url}, ready in ${serverStartMs} ms`);
    const { QueueUrl } = await admin.send(
      new CreateQueueCommand({
        QueueName: QUEUE_NAME,
        Attributes: { VisibilityTimeout: String(VISIBILITY_TIMEOUT) },
      }),
    );
    if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
    const runCase = (library: Library, c: number, n: number) =>
      consumerCase(server, admin, QueueUrl, library, c, n, config.case);

    for (const library of LIBRARIES) {
      const w = await runCase(library, config.warmup.concurrency, config.warmup.messages);
      log(`  warm-up ${library}: ${fmt(w.messagesPerSecond)} msg/s (not reported)`);
    }
    const runs: CaseRun[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const [ci, c] of concurrencies.entries()) {
        const order: Library[] = (r + ci) % 2 === 0 ? [...LIBRARIES] : [...LIBRARIES].reverse();
        for (const [position, library] of order.entries()) {
          const result = await runCase(library, c, messagesAt(c));
          const run: CaseRun = { round: r + 1, position: position + 1, ...result };
          runs.push(run);
          log(caseLine(run));
        }
      }
    }
    admin.destroy();
    stopped = await server.stop();

    const summary: CaseSummary[] = concurrencies.flatMap((c) =>
      LIBRARIES.map((library) => {
        const mine = runs.filter((x) => x.library === library && x.concurrency === c);
        return {
          library,
          concurrency: c,
          messages: messagesAt(c),
          medianMessagesPerSecond: median(
            mine.map((x) => x.messagesPerSecond),
            0,
          ),
          perRoundMessagesPerSecond: mine.map((x) => round(x.messagesPerSecond, 0)),
          perRoundOtherCpuPercent: mine.map((x) => x.cpu.otherCpuPercent),
          medianBenchCpuMicrosPerMessage: median(mine.map((x) => x.benchCpuMicrosPerMessage)),
          medianServerCpuMicrosPerMessage: median(mine.map((x) => x.serverCpuMicrosPerMessage)),
          medianRequestsPerMessage: median(
            mine.map((x) => x.requests.perMessage),
            3,
          ),
        };
      }),
    );
    const ratios = concurrencies.map((c) => {
      const perRound = Array.from({ length: rounds }, (_, r) => {
        const of = (library: Library) =>
          runs.find((x) => x.round === r + 1 && x.concurrency === c && x.library === library)?.messagesPerSecond;
        return ratio(of('switchyard'), of('sqs-consumer'));
      });
      const of = (library: Library) =>
        summary.find((s) => s.concurrency === c && s.library === library)?.medianMessagesPerSecond;
      return {
        concurrency: c,
        perRound,
        median: median(perRound, 2),
        ofMedians: ratio(of('switchyard'), of('sqs-consumer')),
      };
    });
    return {
      durability,
      serverStartMs,
      runs,
      summary,
      ratios,
      server: {
        exitCode: stopped.exitCode,
        signal: stopped.signal,
        outputLines: server.output.length,
        outputSample: server.output.slice(0, 10),
      },
    };
  } finally {
    admin.destroy();
    if (!stopped) await server.stop();
  }
}

function printSummary(results: ModeResult[], machine: MachineInfo): void {
  const lines: string[] = [];
  lines.push('', '================ Switchyard consumer benchmark: switchyard/client vs sqs-consumer ================');
  lines.push(machineLine(machine));
  lines.push(
    `profile: ${config.profile}; ${rounds} round${rounds === 1 ? '' : 's'}; N = ` +
      concurrencies.map((c) => `${fmt(messagesAt(c))} at c=${c}`).join(', ') +
      `; no-op handler; WaitTimeSeconds ${config.case.waitTimeSeconds}; timed from start() to the Nth confirmed delete`,
  );
  lines.push(
    'mapping: ' +
      concurrencies
        .map((c) => {
          const m = mapping(c);
          return (
            `c=${c}: switchyard concurrency ${c} batchSize ${m.switchyard.batchSize} (${m.switchyard.receiveLoops} loop` +
            `${m.switchyard.receiveLoops === 1 ? '' : 's'}), sqs-consumer ${m.sqsConsumer.instances} x batchSize ` +
            `${m.sqsConsumer.batchSize}`
          );
        })
        .join('; '),
  );
  const warnings: string[] = [];
  const tainted: string[] = [];
  for (const r of results) {
    lines.push('', `-- durability: ${r.durability} --`);
    lines.push(
      `${'c'.padStart(4)}  ${'library'.padEnd(12)}  ${'N'.padStart(6)}  ${'median msg/s'.padStart(12)}  ` +
        `${'per round'.padEnd(24)}  ${'req/msg'.padStart(7)}  ${'bench CPU µs/msg'.padStart(16)}  ${'server CPU µs/msg'.padStart(17)}`,
    );
    for (const s of r.summary) {
      lines.push(
        `${String(s.concurrency).padStart(4)}  ${s.library.padEnd(12)}  ${fmt(s.messages).padStart(6)}  ` +
          `${fmt(s.medianMessagesPerSecond ?? Number.NaN).padStart(12)}  ` +
          `${s.perRoundMessagesPerSecond
            .map((v, i) => `${fmt(v)}${(s.perRoundOtherCpuPercent[i] ?? 0) > TAINTED ? '*' : ''}`)
            .join(' / ')
            .padEnd(24)}  ` +
          `${String(s.medianRequestsPerMessage ?? 'n/a').padStart(7)}  ` +
          `${String(s.medianBenchCpuMicrosPerMessage ?? 'n/a').padStart(16)}  ` +
          `${String(s.medianServerCpuMicrosPerMessage ?? 'n/a').padStart(17)}`,
      );
    }
    for (const x of r.ratios) {
      lines.push(
        `    c=${x.concurrency}: switchyard / sqs-consumer ${x.ofMedians ?? 'n/a'} (medians); round by round ` +
          `${x.perRound.map((p) => p ?? 'n/a').join(' ')}, median ${x.median ?? 'n/a'}`,
      );
    }
    lines.push(`    exit ${r.server.exitCode ?? r.server.signal}; ${r.server.outputLines} warn/error log lines`);
    for (const l of r.server.outputSample) lines.push(`    server: ${l.slice(0, 200)}`);
    for (const x of r.runs) {
      const name = `${r.durability} round ${x.round} ${x.library} c=${x.concurrency}`;
      if (x.timedOut) warnings.push(`${name}: timed out after ${config.case.maxSeconds} s (${x.deleted} deleted)`);
      if (x.errors.total > 0) warnings.push(`${name}: ${x.errors.total} errors (${x.errors.samples[0] ?? ''})`);
      if (x.depthAfter.visible + x.depthAfter.inFlight !== 0) {
        warnings.push(`${name}: queue not empty after the stop: ${JSON.stringify(x.depthAfter)}`);
      }
      if (x.handled !== x.messages || x.deleted !== x.messages) {
        warnings.push(`${name}: handled ${x.handled}, deleted ${x.deleted} of ${x.messages}`);
      }
      if ((x.cpu.otherCpuPercent ?? 0) > TAINTED) tainted.push(`${name} (${x.cpu.otherCpuPercent}%)`);
    }
  }
  if (tainted.length > 0) {
    warnings.push(
      `other processes used more than ${TAINTED}% of a core during ${tainted.join(', ')} (marked * above); ` +
        'those figures understate both libraries',
    );
  }
  if (warnings.length > 0) lines.push('', ...warnings.map((w) => `WARNING: ${w}`));
  console.log(lines.join('\n'));
}

async function main(): Promise<void> {
  const run = startRun(repoRoot);
  log(
    `Switchyard consumer benchmark (${config.profile}), modes ${modes.join(', ')}, concurrency ` +
      `${concurrencies.join(', ')}, ${rounds} round${rounds === 1 ? '' : 's'}`,
  );
  const results: ModeResult[] = [];
  for (const mode of modes) results.push(await runMode(mode));
  const head = run.finish('switchyard-consumer', 1);
  printSummary(results, run.machine);

  const report = {
    ...head,
    config: {
      ...config,
      modes,
      client:
        '@aws-sdk/client-sqs (maxAttempts 1), NodeHttpHandler keep-alive, one client per case shared by all consumers',
    },
    notes: [
      'Client and server run on the same machine and compete for its CPUs; see the cpu figures of each case.',
      'Timed: from just before the consumer start() (switchyard: which reads the queue attributes first; sqs-consumer: ' +
        'start() of every instance) until the SQS client saw SQS confirm the Nth delete (a middleware on the client ' +
        'counts DeleteMessage and the Successful entries of DeleteMessageBatch). messagesPerSecond = N / that time.',
      'Not timed: the pre-fill (SendMessageBatch of 10 from 8 senders), a 250 ms pause after it, the graceful stop ' +
        '(stopMs: switchyard `await consumer.stop()`; sqs-consumer stop({ abort: false }) on each instance, its ' +
        "'stopped' event, then waiting for the receive under way to return), the GetQueueAttributes check that the " +
        'queue is empty (depthAfter) and the PurgeQueue that follows every case (the server runs with purgeCooldownSeconds 0).',
      'Concurrency c maps to switchyard consume({ concurrency: c, batchSize: min(10, c), waitTimeSeconds }), which ' +
        'runs min(10, ceil(c / batchSize)) receive loops, each asking for as many messages as there are free slots.',
      'sqs-consumer 14 has no concurrency option: one Consumer receives batchSize (1-10) messages, runs handleMessage ' +
        'on all of them in parallel, deletes each with its own DeleteMessage, and polls again once all are done. ' +
        'So c maps to ceil(c / 10) Consumer instances of batchSize min(10, c), sharing the client: at most c ' +
        'messages held, with as many receive loops as switchyard runs.',
      'Both use the queue visibility timeout (60 s), the same WaitTimeSeconds, per-message handlers and their other ' +
        'defaults: switchyard asks for the message system attributes and MessageAttributeNames All, sets heartbeat ' +
        'timers (every 20 s, never firing here) and batches deletes; sqs-consumer asks for no attributes.',
      'One standard queue per server for every case; the order of the two libraries alternates by round and ' +
        'concurrency (position), and the two run back to back, so ratios pair runs close in time.',
      'A warm-up case per library (c=10) precedes the rounds and is not reported.',
      'bench CPU is this process (the consumer library, the SDK and its HTTP), server CPU the server process, both ' +
        'over the timed span, per message.',
    ],
    results: Object.fromEntries(results.map((r) => [r.durability, r])),
  };
  writeReport(repoRoot, 'consumer', 'consumer-latest.json', report);
}

runMain(main);
