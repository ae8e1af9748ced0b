import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import type { Durability } from '../store/sqlite/sqlite-store.js';

export interface ServerConfig {
  /** Address to listen on. @defaultValue '127.0.0.1' */
  host: string;
  /** TCP port; 0 picks a free one. @defaultValue 4566 */
  port: number;
  /** Directory of the SQLite database, or `:memory:`. @defaultValue './.switchyard' */
  dataDir: string;
  /** Region in ARNs. @defaultValue 'us-east-1' */
  region: string;
  /** 12-digit account id that owns every queue. @defaultValue '000000000000' */
  accountId: string;
  /** @defaultValue 'full' */
  durability: Durability;
  /** pino level; `debug` logs one line per request. @defaultValue 'info' */
  logLevel: string;
  /**
   * Whether the server records metrics of its own work: CloudWatch's AWS/SQS and AWS/Events metrics and
   * the activity counters of GET /metrics (which still answers, with the process metrics). PutMetricData and
   * the rest of the CloudWatch API work either way. @defaultValue true
   */
  metrics: boolean;
  limits: Limits;
  /** How often expired messages are removed, in ms. @defaultValue 1000 */
  retentionSweepMs: number;
  /**
   * How long the steps of each event's path (the console's Event trace) are kept, in seconds; 0 records none. The
   * default is SQS's default message retention: a message born from an event keeps its trace as long as it is kept.
   * @defaultValue 345600 (4 days)
   */
  traceRetentionSeconds: number;
  /**
   * A topology file (switchyard.yaml) to apply to the server once it listens, as `switchyard apply` would: read
   * before the database is opened (a file that is not valid stops the start with its problems), applied through the
   * server's own API. @defaultValue none
   */
  config?: string | undefined;
  /**
   * The console's login token, asked for when the server listens on anything but loopback (on loopback the console
   * needs no login). Without one, a server beyond loopback keeps its console locked; `switchyard serve` reads it from
   * SWITCHYARD_CONSOLE_TOKEN when not given. @defaultValue none
   */
  consoleToken?: string | undefined;
}

export const DEFAULT_CONFIG: Readonly<ServerConfig> = Object.freeze({
  host: '127.0.0.1',
  port: 4566,
  dataDir: './.switchyard',
  region: 'us-east-1',
  accountId: '000000000000',
  durability: 'full',
  logLevel: 'info',
  metrics: true,
  limits: { ...DEFAULT_LIMITS },
  retentionSweepMs: 1000,
  traceRetentionSeconds: 345_600,
});

export function resolveConfig(partial: Partial<ServerConfig>): ServerConfig {
  const config = { ...DEFAULT_CONFIG, ...partial, limits: { ...DEFAULT_LIMITS, ...partial.limits } };
  if (!/^\d{12}$/.test(config.accountId)) throw new Error(`--account must be 12 digits, got "${config.accountId}"`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(config.region))
    throw new Error(`--region is not a region name: "${config.region}"`);
  if (config.durability !== 'full' && config.durability !== 'relaxed') {
    throw new Error(`--durability must be "full" or "relaxed", got "${String(config.durability)}"`);
  }
  if (typeof config.metrics !== 'boolean') {
    throw new Error(`metrics must be true or false, got "${String(config.metrics)}"`);
  }
  if (config.config !== undefined && (typeof config.config !== 'string' || config.config === '')) {
    throw new Error(`--config must be the path of a topology file, got "${String(config.config)}"`);
  }
  if (
    config.consoleToken !== undefined &&
    (typeof config.consoleToken !== 'string' || config.consoleToken.length < 16)
  ) {
    throw new Error('the console token must be at least 16 characters');
  }
  if (!Number.isInteger(config.traceRetentionSeconds) || config.traceRetentionSeconds < 0) {
    throw new Error(
      `--trace-retention-seconds must be a whole number of seconds, 0 or more, got "${String(config.traceRetentionSeconds)}"`,
    );
  }
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new Error(`--port must be between 0 and 65535, got "${config.port}"`);
  }
  return config;
}
