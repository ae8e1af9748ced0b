import { readFileSync } from 'node:fs';

/** Latency summary in milliseconds (nearest-rank percentiles). */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    minMs: round(sorted[0] ?? Number.NaN),
    meanMs: round(sorted.length ? sum / sorted.length : Number.NaN),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

export { round };

/** Counts errors by name and keeps a few samples, so that failures under load are reported, not hidden. */
export class ErrorTally {
  readonly byName: Record<string, number> = {};
  readonly samples: string[] = [];
  total = 0;

  record(error: unknown, where: string): void {
    this.total += 1;
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = `${where}:${e?.name ?? 'Error'}`;
    this.byName[name] = (this.byName[name] ?? 0) + 1;
    if (this.samples.length < 5) {
      const status = e?.$metadata?.httpStatusCode;
      this.samples.push(`${name}${status ? ` (HTTP ${status})` : ''}: ${e?.message ?? String(error)}`.slice(0, 300));
    }
  }

  /** Per-entry failures inside a successful batch answer. */
  recordEntries(failed: readonly { Code?: string | undefined; Message?: string | undefined }[], where: string): void {
    for (const f of failed) {
      this.record({ name: `entry:${f.Code ?? 'unknown'}`, message: f.Message ?? '' }, where);
    }
  }

  toJSON(): { total: number; byName: Record<string, number>; samples: string[] } {
    return { total: this.total, byName: this.byName, samples: this.samples };
  }
}

/** Messages completed per wall-clock second since `start`, to see whether throughput holds or collapses. */
export class Timeline {
  private readonly buckets: number[] = [];
  constructor(private readonly start: number) {}

  add(n: number, now = performance.now()): void {
    const i = Math.floor((now - this.start) / 1000);
    while (this.buckets.length <= i) this.buckets.push(0);
    this.buckets[i] = (this.buckets[i] ?? 0) + n;
  }

  /** Whole seconds only: the last, partial second is dropped. */
  perSecond(elapsedMs: number): number[] {
    return this.buckets.slice(0, Math.floor(elapsedMs / 1000));
  }
}

/** Clock ticks per second for /proc/<pid>/stat; 100 on every mainstream Linux build. */
const CLK_TCK = 100;

/** CPU seconds (user + system, all threads) a process has used, from /proc; undefined off Linux. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM (peak RSS) of a process in KiB, from /proc/<pid>/status. */
export function processMemoryKiB(pid: number): { rssKiB: number; peakRssKiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssKiB: field('VmRSS'), peakRssKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Machine-wide CPU ticks from /proc/stat: busy (all but idle and iowait) and iowait; undefined off Linux. */
function systemTicks(): { busy: number; iowait: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = v[3] ?? 0;
    const iowait = v[4] ?? 0;
    return { busy: total - idle - iowait, iowait };
  } catch {
    return undefined;
  }
}

export interface CpuUse {
  /** The server process, % of one core. */
  serverCpuPercent: number | null;
  /** This benchmark process (the SDK clients), % of one core. */
  benchCpuPercent: number;
  /** Everything else on the machine (other processes, kernel threads), % of one core; high values taint a run. */
  otherCpuPercent: number | null;
  /** Machine-wide iowait, % of one core. */
  iowaitPercent: number | null;
}

/** CPU use of the server, of this benchmark process and of the rest of the machine over a phase. */
export class CpuMeter {
  private readonly serverStart: number | undefined;
  private readonly selfStart = process.cpuUsage();
  private readonly systemStart = systemTicks();
  private readonly wallStart = performance.now();

  constructor(private readonly serverPid: number) {
    this.serverStart = processCpuSeconds(serverPid);
  }

  read(): CpuUse {
    const wall = (performance.now() - this.wallStart) / 1000;
    const serverNow = processCpuSeconds(this.serverPid);
    const self = process.cpuUsage(this.selfStart);
    const systemNow = systemTicks();
    const pct = (seconds: number) => round((seconds / wall) * 100, 1);
    const server = serverNow !== undefined && this.serverStart !== undefined ? serverNow - this.serverStart : undefined;
    const bench = (self.user + self.system) / 1e6;
    let other: number | null = null;
    let iowait: number | null = null;
    if (systemNow && this.systemStart) {
      const busy = (systemNow.busy - this.systemStart.busy) / CLK_TCK;
      other = Math.max(0, pct(busy - bench - (server ?? 0)));
      iowait = pct((systemNow.iowait - this.systemStart.iowait) / CLK_TCK);
    }
    return {
      serverCpuPercent: server === undefined ? null : pct(server),
      benchCpuPercent: pct(bench),
      otherCpuPercent: other,
      iowaitPercent: iowait,
    };
  }
}

/** Samples CpuMeter once a second, so that a throughput dip can be matched with who was using the CPU. */
export class CpuSampler {
  readonly samples: CpuUse[] = [];
  private meter: CpuMeter;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly serverPid: number) {
    this.meter = new CpuMeter(serverPid);
    this.timer = setInterval(() => {
      this.samples.push(this.meter.read());
      this.meter = new CpuMeter(this.serverPid);
    }, 1000);
  }

  stop(): { server: (number | null)[]; bench: number[]; other: (number | null)[]; iowait: (number | null)[] } {
    clearInterval(this.timer);
    return {
      server: this.samples.map((s) => s.serverCpuPercent),
      bench: this.samples.map((s) => s.benchCpuPercent),
      other: this.samples.map((s) => s.otherCpuPercent),
      iowait: this.samples.map((s) => s.iowaitPercent),
    };
  }
}

/**
 * Throughput over the seconds in which the rest of the machine stayed quiet: on a shared machine the
 * phase average mixes in other processes' load, the median of quiet seconds does not.
 */
export function quietSeconds(
  perSecond: readonly number[],
  otherCpu: readonly (number | null)[],
  maxOtherPercent = 10,
): { seconds: number; medianPerSecond: number | null; maxOtherPercent: number } {
  const quiet = perSecond
    .filter((_, i) => {
      const other = otherCpu[i];
      return other !== null && other !== undefined && other <= maxOtherPercent;
    })
    .sort((a, b) => a - b);
  return {
    seconds: quiet.length,
    medianPerSecond: quiet.length > 0 ? percentile(quiet, 50) : null,
    maxOtherPercent,
  };
}

/** Items per second of server CPU time: what one server core would carry if the client kept up. */
export function perServerCpuSecond(count: number, elapsedMs: number, cpu: CpuUse): number | null {
  if (!cpu.serverCpuPercent) return null;
  return round(count / ((elapsedMs / 1000) * (cpu.serverCpuPercent / 100)), 0);
}

/**
 * The clock and CPU accounting of one timed phase, started together so that the throughput, the
 * per-second timeline and the CPU figures all cover the same span.
 */
export class Phase {
  readonly start: number;
  private readonly cpu: CpuMeter;
  private readonly sampler: CpuSampler;
  private readonly serverCpuStart: number | undefined;
  private readonly timeline: Timeline;

  constructor(private readonly serverPid: number) {
    this.cpu = new CpuMeter(serverPid);
    this.sampler = new CpuSampler(serverPid);
    this.serverCpuStart = processCpuSeconds(serverPid);
    this.start = performance.now();
    this.timeline = new Timeline(this.start);
  }

  /** Counts `n` completed items into the per-second timeline that `quiet` is taken from. */
  count(n: number, now?: number): void {
    this.timeline.add(n, now);
  }

  /** Stops the sampling; `rate` and `perServerCpuSecond` turn the phase's own counts into per-second figures. */
  end() {
    const elapsedMs = performance.now() - this.start;
    const cpu = this.cpu.read();
    const cpuPerSecond = this.sampler.stop();
    const serverCpuEnd = processCpuSeconds(this.serverPid);
    const perSecond = this.timeline.perSecond(elapsedMs);
    return {
      elapsedMs,
      seconds: round(elapsedMs / 1000, 3),
      perSecond,
      cpu,
      cpuPerSecond,
      quiet: quietSeconds(perSecond, cpuPerSecond.other),
      serverCpuSeconds:
        this.serverCpuStart === undefined || serverCpuEnd === undefined
          ? null
          : round(serverCpuEnd - this.serverCpuStart, 2),
      rate: (count: number) => round(count / (elapsedMs / 1000), 1),
      perServerCpuSecond: (count: number) => perServerCpuSecond(count, elapsedMs, cpu),
    };
  }
}
