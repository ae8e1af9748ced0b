import http from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// The SDK warns on every run that its 2027 releases will need Node 22; that is noise in a benchmark report.
// Set here, where every client's configuration comes from, so that it is in place before any client is built.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Settings for every SDK client the benchmarks build, so that the SQS and EventBridge figures are
 * measured over the same transport and stay comparable.
 */
export function benchClientConfig(url: string, maxSockets: number) {
  return {
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
    // No retries: a failed request is counted, not silently repeated.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent({ keepAlive: true, maxSockets }),
      connectionTimeout: 5_000,
      requestTimeout: 35_000,
      throwOnRequestTimeout: true,
    }),
  };
}
