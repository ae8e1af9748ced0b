import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type Durability = 'full' | 'relaxed';

/** The durability modes a `--modes full,relaxed` flag names; exits with status 2 on an unknown one. */
export function parseModes(value: string): Durability[] {
  const modes = value.split(',').map((m) => m.trim());
  for (const m of modes) {
    if (m !== 'full' && m !== 'relaxed') {
      console.error(`--modes: unknown durability "${m}" (full, relaxed)`);
      process.exit(2);
    }
  }
  return modes as Durability[];
}

export interface DbFileSizes {
  dbBytes: number;
  walBytes: number;
  shmBytes: number;
  totalBytes: number;
}

/** A Switchyard server running as a child process on 127.0.0.1 with its own temporary data directory. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  readonly durability: Durability;
  /** Whether the server records its own metrics (false: started with `--no-metrics`). */
  readonly metrics: boolean;
  /** Whether the child has exited (it should not until stop()). */
  readonly exited: boolean;
  /** Lines the server wrote (pino JSON at warn and above, or anything on stderr), most recent last. */
  readonly output: string[];
  dbFileSizes(): DbFileSizes;
  /** SIGTERM (graceful), SIGKILL after a grace period, then removes the data directory. Idempotent. */
  stop(): Promise<{ exitCode: number | null; signal: string | null; filesAfterShutdown: DbFileSizes }>;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooksInstalled = false;

/** Last-resort cleanup if the benchmark dies or is interrupted: no server or temp dir is left behind. */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, stopping servers and removing temp data`);
      process.exit(130);
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export async function startServerProcess(options: {
  repoRoot: string;
  durability: Durability;
  startTimeoutMs?: number;
  /** Service limit overrides, passed as repeated `--limit name=value` flags. */
  limits?: Readonly<Record<string, number>>;
  /** False starts the server with `--no-metrics`. @defaultValue true */
  metrics?: boolean;
}): Promise<ServerProcess> {
  const metrics = options.metrics ?? true;
  installExitHooks();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchyard-bench-'));
  dirs.add(dataDir);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data',
      dataDir,
      '--durability',
      options.durability,
      '--log-level',
      'warn',
      ...Object.entries(options.limits ?? {}).flatMap(([name, value]) => ['--limit', `${name}=${value}`]),
      ...(metrics ? [] : ['--no-metrics']),
    ],
    { cwd: options.repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      output.push(line.slice(0, 2000));
      if (output.length > 500) output.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitInfo: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      resolve();
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const dbFile = path.join(dataDir, 'switchyard.db');
  const dbFileSizes = (): DbFileSizes => {
    const dbBytes = fileSize(dbFile);
    const walBytes = fileSize(`${dbFile}-wal`);
    const shmBytes = fileSize(`${dbFile}-shm`);
    return { dbBytes, walBytes, shmBytes, totalBytes: dbBytes + walBytes + shmBytes };
  };

  let stopping: ReturnType<ServerProcess['stop']> | undefined;
  const stop: ServerProcess['stop'] = () => {
    stopping ??= (async () => {
      if (!exitInfo) {
        child.kill('SIGTERM');
        const graceful = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 15_000).unref()),
        ]);
        if (!graceful) {
          output.push('bench: server did not stop within 15 s of SIGTERM; sent SIGKILL');
          child.kill('SIGKILL');
          await exited;
        }
      }
      const filesAfterShutdown = dbFileSizes();
      rmSync(dataDir, { recursive: true, force: true });
      dirs.delete(dataDir);
      return { exitCode: exitInfo?.code ?? null, signal: exitInfo?.signal ?? null, filesAfterShutdown };
    })();
    return stopping;
  };

  const server: ServerProcess = {
    url,
    port,
    pid: child.pid as number,
    dataDir,
    durability: options.durability,
    metrics,
    get exited() {
      return exitInfo !== undefined;
    },
    output,
    dbFileSizes,
    stop,
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (exitInfo) throw new Error(`server exited during start-up (code ${exitInfo.code}):\n${output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`server did not answer /health within the start timeout`);
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) {
          const body = (await res.json()) as { status?: string };
          if (body.status === 'ok') break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return server;
}
