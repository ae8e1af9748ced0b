// `switchyard demo` (also `npm run demo`): runs the demo of src/demo against a running server that has the reference
// deployment (examples/ecommerce/switchyard.yaml), prints a live summary and a report. Ctrl-C stops it gracefully.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { addEndpointOption, awsClientConfig, CliError, resolveEndpoint, toCliError } from '../endpoint.js';

export function parseDuration(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !Number.isFinite(n) || n < 5 || n > 3600) {
    throw new InvalidArgumentError('must be a number of seconds from 5 to 3600');
  }
  return n;
}

export function parseDemoRate(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < 1 || n > 1000) {
    throw new InvalidArgumentError('must be an integer from 1 to 1000 (events per second)');
  }
  return n;
}

interface DemoCommandOptions {
  endpointUrl?: string;
  duration?: number;
  rate?: number;
  scale: 'small' | 'full';
  json?: boolean;
}

async function demo(opts: DemoCommandOptions): Promise<void> {
  const endpoint = resolveEndpoint(opts.endpointUrl);
  // Loaded here so that the other commands do not pay for it at start-up.
  const { DemoSetupError, formatReport, runDemo } = await import('../../demo/index.js');
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: leave at once
    process.stderr.write('\nstopping: producers, then consumers (Ctrl-C again to leave at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const { credentials, region } = awsClientConfig(endpoint);
    const report = await runDemo({
      endpoint,
      scale: opts.scale,
      ...(opts.duration !== undefined ? { durationSeconds: opts.duration } : {}),
      ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
      signal: controller.signal,
      // With --json, stdout holds the report alone.
      live: opts.json ? process.stderr : process.stdout,
      clientConfig: { credentials, region },
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`\n${formatReport(report)}`);
    process.exitCode = report.interrupted ? 130 : report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof DemoSetupError) throw new CliError(error.message, error.exitCode);
    throw toCliError(error, endpoint);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function registerDemoCommand(program: Command): void {
  const command = program
    .command('demo')
    .description(
      'run the e-commerce demo against a server with the reference deployment: producers, consumers, failures, a redrive, a live summary and a report',
    )
    .option(
      '--duration <s>',
      'seconds of traffic, 5 to 3600 (default: 20 with --scale small, 100 with full)',
      parseDuration,
    )
    .option('--rate <n>', 'events per second outside the flash sale (default: 25 small, 40 full)', parseDemoRate)
    .addOption(
      new Option('--scale <scale>', 'small: about 25 s in all (for CI); full: about 2 minutes')
        .choices(['small', 'full'])
        .default('full'),
    )
    .option('--json', 'print the report as JSON on stdout (the live summary goes to stderr)');
  addEndpointOption(command)
    .addHelpText(
      'after',
      `
The server must have the reference deployment (examples/ecommerce/switchyard.yaml): start it with
\`npm start\`, or \`switchyard serve --config examples/ecommerce/switchyard.yaml\`.
Exit status: 0 when every published event was handled (none left in a dead-letter queue after the
redrive), 1 when some are unaccounted for, 2 when the server or its topology is missing,
130 after Ctrl-C (which stops the producers, then the consumers, and prints the report).`,
    )
    .action(async (opts: DemoCommandOptions) => {
      await demo(opts);
    });
}
