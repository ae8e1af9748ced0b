import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import pino from 'pino';
import { type RunningServer, type StartOptions, startServer } from '../../src/server/server.js';

export interface TestServer {
  server: RunningServer;
  sqs: SQSClient;
  dataDir: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

export function tempDataDir(prefix = 'switchyard-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

/** Starts a real server on a free port with its own data directory and a connected SQS client. */
export async function startTestServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDataDir();
  const server = await startServer({
    port: 0,
    logger: pino({ level: 'silent' }),
    durability: 'relaxed',
    ...options,
    dataDir,
  });
  const sqs = sqsClient(server.url);
  return {
    server,
    sqs,
    dataDir,
    async stop() {
      sqs.destroy();
      await server.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
