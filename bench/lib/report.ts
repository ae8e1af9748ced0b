import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { round } from './stats.js';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  node: string;
  platform: string;
  arch: string;
  osRelease: string;
  loadAverageAtStart: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
  };
}

export const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US') : 'n/a');
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function machineLine(m: MachineInfo): string {
  return (
    `machine: ${m.cpuModel} x${m.cpuCount}, ${mb(m.totalMemoryBytes)} RAM, ` +
    `node ${m.node}, ${m.platform}/${m.arch}; client and server share the machine`
  );
}

/** `dirty` looks at src only: that is what the figures measure, and bench results themselves change the tree. */
export function gitInfo(repoRoot: string): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: null, dirty: null };
  }
}

/**
 * Starts the clock of a benchmark run. `finish` gives the fields every report opens with, in the order
 * the result files have always had them.
 */
export function startRun(repoRoot: string) {
  const startedAt = new Date();
  const machine = machineInfo();
  return {
    machine,
    finish(benchmark: string, schemaVersion: number) {
      const finishedAt = new Date();
      return {
        benchmark,
        schemaVersion,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        totalSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
        git: gitInfo(repoRoot),
        machine,
      };
    },
  };
}

/**
 * Writes bench/results/<prefix>-<start time>.json, to keep, and the same JSON as `latestName`, which
 * is overwritten each run so that there is a fixed path to compare against.
 */
export function writeReport(
  repoRoot: string,
  prefix: string,
  latestName: string,
  report: { startedAt: string; totalSeconds: number },
): void {
  const resultsDir = path.join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${prefix}-${report.startedAt.replace(/:/g, '-')}.json`);
  const latest = path.join(resultsDir, latestName);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(file, json);
  writeFileSync(latest, json);
  console.log(
    `\nresults: ${path.relative(repoRoot, file)} and ${path.relative(repoRoot, latest)} (${report.totalSeconds} s in all)`,
  );
}

/**
 * Runs a benchmark's main and exits with its outcome. The exit is explicit so that nothing a failed
 * run left open (a socket, a timer, a server child) keeps the process alive; the exit hook of
 * server-process.ts then removes any server still running and its data.
 */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
