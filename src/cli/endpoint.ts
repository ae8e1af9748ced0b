// What the client commands (`queues`, `redrive`) share: where the server is, an SQS client for it, and
// turning failures into one line on stderr. These commands talk to a running server over HTTP only: nothing
// here may import server code.

import http from 'node:http';
import https from 'node:https';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Command, Option } from 'commander';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4566';

/** A failure to report as `switchyard: <message>` and exit with `exitCode`, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Adds `--endpoint-url`, as the aws CLI spells it; the default comes from `SWITCHYARD_ENDPOINT`. */
export function addEndpointOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--endpoint-url <url>',
      `URL of the running server (env: SWITCHYARD_ENDPOINT; default ${DEFAULT_ENDPOINT})`,
    ),
  );
}

/** The server's base URL, without a trailing slash: the flag, else `SWITCHYARD_ENDPOINT`, else the default. */
export function resolveEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = (flag ?? env.SWITCHYARD_ENDPOINT ?? '').trim() || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--endpoint-url: not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--endpoint-url: must be an http:// or https:// URL: ${raw}`);
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * Client settings like the aws CLI's: credentials and region from its environment variables, dummies a local
 * server accepts otherwise, and a single attempt, so an unreachable server is reported at once and a request
 * whose answer was lost (a PutEvents, say) is never sent twice.
 */
export function awsClientConfig(endpoint: string, env: NodeJS.ProcessEnv = process.env) {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const credentials =
    accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : { accessKeyId: 'switchyard', secretAccessKey: 'switchyard' };
  // The SDK warns on every run under Node 20 that its future versions will need Node 22: noise for a CLI
  // that supports Node 20.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return {
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    credentials,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  };
}

export function sqsClientFor(endpoint: string, env: NodeJS.ProcessEnv = process.env): SQSClient {
  return new SQSClient(awsClientConfig(endpoint, env));
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
  TimeoutError: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  UND_ERR_SOCKET: 'connection reset',
};

/** The network error code behind an SDK or fetch failure, if it is one. */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const e = error as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && e.code in NETWORK_REASONS) return e.code;
  if (typeof e.name === 'string' && e.name in NETWORK_REASONS) return e.name;
  const nested = [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  for (const inner of nested) {
    const code = networkCode(inner, depth + 1);
    if (code) return code;
  }
  return undefined;
}

/** The error an AWS API call answered with, if it answered. */
function awsErrorOf(error: unknown): { code: string; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { $metadata?: { httpStatusCode?: number }; name?: unknown; message?: unknown };
  if (e.$metadata?.httpStatusCode === undefined || typeof e.name !== 'string') return undefined;
  return { code: e.name, message: typeof e.message === 'string' ? e.message : '' };
}

/**
 * Turns any failure of a call to the server into a CliError: `cannot reach <url>: <reason>` when the
 * server did not answer, `<Code>: <message>` when it answered with an AWS error.
 */
export function toCliError(error: unknown, endpoint: string): CliError {
  if (error instanceof CliError) return error;
  const code = networkCode(error);
  if (code) return new CliError(`cannot reach ${endpoint}: ${NETWORK_REASONS[code]}`);
  const aws = awsErrorOf(error);
  if (aws) return new CliError(aws.message ? `${aws.code}: ${aws.message}` : aws.code);
  return new CliError(error instanceof Error ? error.message : String(error));
}

/** GET over node:http(s): unlike fetch, it does not refuse the ports browsers block (6000, 6665...). */
function get(url: string, timeoutMs: number, token: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const headers = { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const req = lib.get(url, { headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

/**
 * GET a JSON document from the server's console API; beyond loopback that asks for the console token, taken from
 * SWITCHYARD_CONSOLE_TOKEN.
 */
export async function getJson(
  endpoint: string,
  path: string,
  token: string | undefined = process.env.SWITCHYARD_CONSOLE_TOKEN || undefined,
): Promise<unknown> {
  const url = `${endpoint}${path}`;
  let res: { status: number; body: string };
  try {
    res = await get(url, 30_000, token);
  } catch (error) {
    throw toCliError(error, endpoint);
  }
  if (res.status === 401) {
    throw new CliError(`GET ${url}: the server asks for its console token: set SWITCHYARD_CONSOLE_TOKEN`);
  }
  if (res.status < 200 || res.status > 299) {
    throw new CliError(`GET ${url}: HTTP ${res.status}${res.body ? ` ${res.body.slice(0, 200)}` : ''}`);
  }
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    throw new CliError(`GET ${url}: the answer is not JSON (is ${endpoint} a Switchyard server?)`);
  }
}

/** Whether to colour stdout: a terminal, and NO_COLOR not set. */
export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}
