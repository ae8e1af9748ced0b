/**
 * `npm run bench`: the SQS benchmark, then the EventBridge routing benchmark, then the consumer benchmark
 * (switchyard/client's consume() against sqs-consumer), each in its own process.
 * A runner rather than `a && b` in package.json, because npm appends `-- args` to the last command only.
 *
 *   npm run bench                          all three (SQS in full and relaxed mode, the others in full mode)
 *   npm run bench -- --quick               all three, smoke-sized
 *   npm run bench -- --suites consumer     some of them (sqs, events, consumer)
 *
 * Arguments are shared out by name: --quick, --modes and --help go to all, --rules to the events benchmark,
 * --consumer-* to the consumer benchmark, any other to the SQS benchmark (see the headers of bench/sqs.bench.ts,
 * bench/events.bench.ts and bench/consumer.bench.ts). The exit status is the first failing benchmark's; a failure
 * in one does not stop the others.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SUITES = {
  sqs: 'bench/sqs.bench.ts',
  events: 'bench/events.bench.ts',
  consumer: 'bench/consumer.bench.ts',
} as const;
type Suite = keyof typeof SUITES;
const SHARED = new Set(['--quick', '--modes', '--help', '-h']);
const EVENTS_ONLY = new Set(['--rules']);
const CONSUMER_ONLY = new Set(['--consumer-messages', '--consumer-rounds', '--consumer-concurrency']);

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Splits argv into options, each with the values that follow it (`--x=v` keeps its value inline). */
function groups(argv: readonly string[]): string[][] {
  const out: string[][] = [];
  for (const arg of argv) {
    const last = out[out.length - 1];
    if (arg.startsWith('-') || !last) out.push([arg]);
    else last.push(arg);
  }
  return out;
}

function parse(argv: readonly string[]): { suites: Suite[]; perSuite: Record<Suite, string[]> } {
  let suites: Suite[] = ['sqs', 'events', 'consumer'];
  const perSuite: Record<Suite, string[]> = { sqs: [], events: [], consumer: [] };
  for (const group of groups(argv)) {
    const [head = ''] = group;
    const name = head.split('=')[0] ?? head;
    if (name === '--suites') {
      const value = head.includes('=') ? head.slice(head.indexOf('=') + 1) : (group[1] ?? '');
      suites = value.split(',').map((s) => s.trim()) as Suite[];
      const unknown = suites.filter((s) => !(s in SUITES));
      if (unknown.length > 0 || suites.length === 0) {
        console.error(`--suites: unknown suite "${unknown.join(',')}" (${Object.keys(SUITES).join(', ')})`);
        process.exit(2);
      }
    } else if (SHARED.has(name)) {
      perSuite.sqs.push(...group);
      perSuite.events.push(...group);
      perSuite.consumer.push(...group);
    } else if (EVENTS_ONLY.has(name)) perSuite.events.push(...group);
    else if (CONSUMER_ONLY.has(name)) perSuite.consumer.push(...group);
    else perSuite.sqs.push(...group);
  }
  return { suites, perSuite };
}

function run(file: string, args: readonly string[]): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: repoRoot, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

const { suites, perSuite } = parse(process.argv.slice(2));
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log('usage: npm run bench -- [--suites sqs,events,consumer] [options of the benchmarks below]');
}
// Ctrl-C reaches the children too (same process group); they clean up their servers, this one just waits.
process.on('SIGINT', () => undefined);
let status = 0;
for (const suite of suites) {
  const { code, signal } = await run(SUITES[suite], perSuite[suite]);
  if (signal) {
    console.error(`bench: ${suite} benchmark ended by ${signal}`);
    process.exit(130);
  }
  if (code !== 0 && status === 0) status = code ?? 1;
}
process.exit(status);
