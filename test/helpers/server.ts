import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
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

/** How the tests' SDK clients reach a server: test credentials, and no retries that would hide an error. */
const clientOptions = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  maxAttempts: 1,
});

export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient(clientOptions(endpoint));
}

export function eventBridgeClient(endpoint: string): EventBridgeClient {
  return new EventBridgeClient(clientOptions(endpoint));
}

export function cloudWatchClient(endpoint: string): CloudWatchClient {
  return new CloudWatchClient(clientOptions(endpoint));
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

/**
 * One test server for all the tests of a file: started in a `before` hook, stopped in an `after` hook. The
 * object returned stands for it; read its members in hooks and tests, once the server has started.
 */
export function testServerForFile(options: StartOptions = {}): TestServer {
  let current: TestServer | undefined;
  const started = (): TestServer => {
    if (!current) throw new Error('the test server of this file has not started');
    return current;
  };
  before(async () => {
    current = await startTestServer(options);
  });
  after(async () => {
    await started().stop();
  });
  return {
    get server() {
      return started().server;
    },
    get sqs() {
      return started().sqs;
    },
    get dataDir() {
      return started().dataDir;
    },
    stop: () => started().stop(),
  };
}
