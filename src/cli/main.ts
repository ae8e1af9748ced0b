import { Command, InvalidArgumentError, Option } from 'commander';
import { LIMIT_NAMES, type Limits, parseLimitOverrides } from '../core/limits.js';
import { DEFAULT_CONFIG } from '../server/config.js';
import { VERSION } from '../version.js';
import { registerApplyCommand } from './commands/apply.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerEventsCommand } from './commands/events.js';
import { registerExportCommand } from './commands/export.js';
import { registerQueuesCommand } from './commands/queues.js';
import { registerRedriveCommand } from './commands/redrive.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(): Command {
  const program = new Command('switchyard')
    .description('AWS-compatible event routing server: SQS queues, EventBridge buses and CloudWatch monitoring')
    .version(VERSION)
    .addHelpText('after', "\nRun 'switchyard <command> --help' for a command's flags.");

  program
    .command('serve')
    .description('start the server')
    .option('--host <host>', 'address to listen on', DEFAULT_CONFIG.host)
    .option('--port <port>', 'TCP port (0 picks a free one)', integer, DEFAULT_CONFIG.port)
    .option('--data <dir>', 'data directory of the SQLite database', DEFAULT_CONFIG.dataDir)
    .option('--region <region>', 'region used in ARNs', DEFAULT_CONFIG.region)
    .option('--account <id>', '12-digit account id that owns the queues', DEFAULT_CONFIG.accountId)
    .addOption(
      new Option('--durability <mode>', 'full: fsync every group commit; relaxed: survive process crashes only')
        .choices(['full', 'relaxed'])
        .default(DEFAULT_CONFIG.durability),
    )
    .addOption(
      new Option('--log-level <level>', 'log level (debug logs one line per request)')
        .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default(DEFAULT_CONFIG.logLevel),
    )
    .option('--no-metrics', "record no metrics of the server's own work (AWS/SQS, AWS/Events, /metrics counters)")
    .option('--config <file>', 'a topology file (switchyard.yaml) to apply, as `switchyard apply` does, once listening')
    .option(
      '--trace-retention-seconds <n>',
      "seconds each event's path (the console's Event trace) is kept; 0 records none",
      integer,
      DEFAULT_CONFIG.traceRetentionSeconds,
    )
    .option(
      '--console-token <token>',
      'login token of the web console when listening beyond loopback (default: $SWITCHYARD_CONSOLE_TOKEN)',
    )
    .option(
      '--limit <name=value>',
      `override a service limit, repeatable; names: ${LIMIT_NAMES.join(', ')}`,
      collect,
      [] as string[],
    )
    .action(
      async (opts: {
        host: string;
        port: number;
        data: string;
        region: string;
        account: string;
        durability: 'full' | 'relaxed';
        logLevel: string;
        metrics: boolean;
        config?: string;
        traceRetentionSeconds: number;
        consoleToken?: string;
        limit: string[];
      }) => {
        let limits: Limits | undefined;
        try {
          limits = parseLimitOverrides(opts.limit);
        } catch (error) {
          program.error(`error: --limit: ${(error as Error).message}`);
        }
        if (opts.config !== undefined) {
          // A missing --config file is a usage error, like a bad one: exit 2.
          const { stat } = await import('node:fs/promises');
          const kind = await stat(opts.config).then(
            (s) => (s.isFile() ? 'file' : 'not a file'),
            () => 'no such file',
          );
          if (kind !== 'file') {
            console.error(`switchyard: --config ${opts.config}: ${kind}`);
            process.exit(2);
          }
        }
        // Loaded here so that client commands do not pay for the server (SQLite, pino) at start-up.
        const { startServer } = await import('../server/server.js');
        let server: Awaited<ReturnType<typeof startServer>>;
        try {
          server = await startServer({
            host: opts.host,
            port: opts.port,
            dataDir: opts.data,
            region: opts.region,
            accountId: opts.account,
            durability: opts.durability,
            logLevel: opts.logLevel,
            metrics: opts.metrics,
            config: opts.config,
            traceRetentionSeconds: opts.traceRetentionSeconds,
            consoleToken: opts.consoleToken ?? (process.env.SWITCHYARD_CONSOLE_TOKEN || undefined),
            limits,
          });
        } catch (error) {
          // A --config file that is not valid: its problems, one per line (file:line:column: field: message), exit 2.
          if ((error as Error | null)?.name === 'TopologyError') {
            process.stderr.write(`${(error as Error).message}\n`);
            process.exit(2);
          }
          throw error;
        }
        let signals = 0;
        const stop = () => {
          signals += 1;
          if (signals > 1) process.exit(1);
          server.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      },
    );

  registerQueuesCommand(program);
  registerRedriveCommand(program);
  registerEventsCommand(program);
  registerExportCommand(program);
  registerApplyCommand(program);
  registerDemoCommand(program);

  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(`switchyard: ${error instanceof Error ? error.message : String(error)}`);
    const code = (error as { exitCode?: unknown } | null)?.exitCode;
    process.exit(typeof code === 'number' ? code : 1);
  });
