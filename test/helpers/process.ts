import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient, tempDataDir } from './server.js';

/** The repository root: the CLI runs from here so that `--import tsx` and `src/cli/main.ts` resolve. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CLI_ENTRY = 'src/cli/main.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Base URL, e.g. http://127.0.0.1:54321. */
  readonly url: string;
  /** A client for this server (maxAttempts 1: a failed call is never retried behind our back). */
  readonly sqs: SQSClient;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Whether the process has exited yet. */
  hasExited(): boolean;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` (unless the process is gone) and waits for the exit, SIGKILLing after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** Every child this module started and that has not exited yet; `killAllServers` ends them. */
const live = new Set<ChildProcess>();

/** Child environment: no test-runner context leaks into the server process. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return env;
}

function watchExit(child: ChildProcess): Promise<Exit> {
  return new Promise<Exit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the value, or rejects after `ms` with `what` in the message. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls GET /health until it answers 200 with status "ok", or throws after `timeoutMs`. */
export async function waitForHealth(url: string, timeoutMs = 15_000): Promise<{ status: string; version: string }> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { status: string; version: string };
      if (res.status === 200 && body.status === 'ok') return body;
      last = `HTTP ${res.status} ${JSON.stringify(body)}`;
    } catch (error) {
      last = error;
    }
    await sleep(50);
  }
  throw new Error(`server at ${url} not healthy after ${timeoutMs} ms: ${String(last)}`);
}

export interface SpawnServerOptions {
  dataDir: string;
  durability?: 'full' | 'relaxed';
  /** Extra `serve` arguments. */
  args?: string[];
  /** How long to wait for the listening line and /health. @defaultValue 20000 */
  startTimeoutMs?: number;
}

/**
 * Runs `switchyard serve` as a child process on 127.0.0.1 with port 0, reads the chosen URL from the
 * "switchyard listening" log line and waits for /health.
 */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const args = [
    '--import',
    'tsx',
    CLI_ENTRY,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data',
    options.dataDir,
    '--durability',
    options.durability ?? 'full',
    '--log-level',
    'info',
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const exited = watchExit(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
  });
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const listening = new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'switchyard listening' && entry.url) resolve(entry.url);
        } catch {
          // not a log line
        }
        nl = pending.indexOf('\n');
      }
    });
    void exited.then((exit) =>
      reject(new Error(`server exited before listening (${JSON.stringify(exit)}):\n${out}\n${err}`)),
    );
  });

  let exitedFlag = false;
  void exited.then(() => {
    exitedFlag = true;
  });

  const stop = async (signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<Exit> => {
    if (!exitedFlag && child.exitCode === null && child.signalCode === null) child.kill(signal);
    try {
      return await within(exited, timeoutMs, `exit after ${signal}`);
    } catch (error) {
      child.kill('SIGKILL');
      await exited;
      throw error;
    }
  };

  let url: string;
  try {
    url = await within(listening, startTimeoutMs, 'server listening line');
    await waitForHealth(url, startTimeoutMs);
  } catch (error) {
    await stop('SIGKILL').catch(() => undefined);
    throw error;
  }
  const sqs = sqsClient(url);
  return {
    child,
    pid: child.pid ?? -1,
    url,
    sqs,
    exited,
    hasExited: () => exitedFlag,
    stdout: () => out,
    stderr: () => err,
    stop,
  };
}

/** SIGKILLs every server child still running (for `after` hooks) and waits for them to exit. */
export async function killAllServers(): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await within(watchExit(child), 10_000, `pid ${child.pid} exit`).catch(() => undefined);
    }),
  );
}

export interface ServerProcesses {
  /** A new data directory (named `<prefix>…`), deleted after the file's tests. */
  dataDir(prefix: string): string;
  /**
   * Starts a server process on `dataDir` (durability full unless given, with extra `serve` arguments); its client
   * is destroyed after the tests.
   */
  serve(dataDir: string, durability?: 'full' | 'relaxed', args?: string[]): Promise<ServerProcess>;
  /** Destroys `client` after the tests; returns it. */
  track(client: SQSClient): SQSClient;
}

/**
 * For a test file that runs server processes: registers an `after` hook that SIGKILLs every server still
 * running, then destroys the clients and deletes the data directories handed out here.
 */
export function serverProcesses(): ServerProcesses {
  const dirs: string[] = [];
  const clients: SQSClient[] = [];
  after(async () => {
    await killAllServers();
    for (const c of clients) c.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    dataDir(prefix) {
      const dir = tempDataDir(prefix);
      dirs.push(dir);
      return dir;
    },
    async serve(dataDir, durability = 'full', args = []) {
      const p = await spawnServer({ dataDir, durability, args });
      clients.push(p.sqs);
      return p;
    },
    track(client) {
      clients.push(client);
      return client;
    },
  };
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion with `args` (e.g. `['serve', '--help']`), killing it after `timeoutMs`. */
export async function runCli(args: string[], timeoutMs = 20_000): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = watchExit(child);
  // Wait for the streams to end too, so no output is missed.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const exit = await within(exited, timeoutMs, `switchyard ${args.join(' ')}`);
    await within(closed, 5000, 'output streams closing');
    return { ...exit, stdout, stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
