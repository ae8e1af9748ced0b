/**
 * The API-call savings benchmark: one seeded synthetic workload (marketplaces × sellers × SKUs, orders and returns,
 * a flash sale, repeats) through three designs that keep a seller-facing system in sync: polling (simulated), event-
 * driven (one downstream call per routed event) and event-driven with coalescing and idempotency from
 * switchyard/client (both real, on a Switchyard server started as a child process). For each: downstream API calls,
 * superfluous calls, regressions and staleness. The model is described in bench/lib/api-calls-*.ts and the README.
 *
 *   npm run bench:api-calls                       the full scale (an hour of traffic replayed at 30x)
 *   node --import tsx bench/api-calls.bench.ts
 *     --scale small|full                          small: ten minutes of a smaller business, under a minute (CI)
 *     --seed N                                    the workload's seed (default 1)
 *     --window-ms N                               design 3's coalescing window, simulated ms (default 5000)
 *     --poll-seconds 60,10                        design 1's poll intervals, simulated seconds (one run each)
 *     --time-scale N                              simulated seconds per real second for designs 2 and 3 (default 30)
 *     --supersede-ms N                            a call overwritten within N simulated ms was superseded (1000)
 *
 * Results: bench/results/api-calls-<ISO time>.json and bench/results/api-calls-latest.json.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULTS, runApiCallsBenchmark } from './lib/api-calls-run.js';
import { runMain } from './lib/report.js';
import { parseModes } from './lib/server-process.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: 'full' },
    seed: { type: 'string' },
    'window-ms': { type: 'string' },
    'poll-seconds': { type: 'string' },
    'time-scale': { type: 'string' },
    'supersede-ms': { type: 'string' },
    modes: { type: 'string', default: 'full' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(
    'usage: node --import tsx bench/api-calls.bench.ts [--scale small|full] [--seed N] [--window-ms N] ' +
      '[--poll-seconds 60,10] [--time-scale N] [--supersede-ms N] [--modes full|relaxed]',
  );
  process.exit(0);
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function number(name: string, value: string | undefined, fallback: number, check: (n: number) => boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) fail(`--${name}: invalid value "${value}"`);
  return n;
}

const scale = args.scale;
if (scale !== 'small' && scale !== 'full') fail(`--scale: small or full, got "${scale}"`);
const seed = number('seed', args.seed, DEFAULTS.seed, (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32);
const windowMs = number('window-ms', args['window-ms'], DEFAULTS.windowMs, (n) => n >= 0);
const timeScale = number('time-scale', args['time-scale'], DEFAULTS.timeScale, (n) => n > 0 && n <= 1000);
const supersedeMs = number('supersede-ms', args['supersede-ms'], DEFAULTS.supersedeMs, (n) => n >= 0);
const pollSeconds =
  args['poll-seconds'] === undefined
    ? [...DEFAULTS.pollSeconds]
    : args['poll-seconds'].split(',').map((v) => number('poll-seconds', v.trim(), 0, (n) => n > 0));
const modes = parseModes(args.modes);
if (modes.length !== 1) fail('--modes: one durability mode');

runMain(async () => {
  await runApiCallsBenchmark({
    scale,
    seed,
    windowMs,
    pollSeconds,
    timeScale,
    supersedeMs,
    pageSize: DEFAULTS.pageSize,
    concurrency: DEFAULTS.concurrency,
    durability: modes[0] ?? 'full',
    repoRoot,
    resultsDir: path.join(repoRoot, 'bench', 'results'),
  });
});
