// `switchyard events put` and `switchyard events test-pattern`: PutEvents and TestEventPattern against a
// running server, for trying rules out from a shell without writing an entries file for the aws CLI.
import { readFileSync } from 'node:fs';
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { type Command, InvalidArgumentError } from 'commander';
import { addEndpointOption, awsClientConfig, CliError, resolveEndpoint, toCliError } from '../endpoint.js';

export function eventBridgeClientFor(endpoint: string, env: NodeJS.ProcessEnv = process.env): EventBridgeClient {
  return new EventBridgeClient(awsClientConfig(endpoint, env));
}

/** `--detail`, once known to be a JSON object, is sent as typed: numbers keep their spelling, which matching compares. */
export function parseDetail(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`must be a JSON object, e.g. '{"orderId": "o-1"}'`);
  }
  return value;
}

/** `--time`: an ISO 8601 date and time; AWS keeps it to the second. */
export function parseTime(value: string): Date {
  const ms = Date.parse(value);
  // Date.parse alone also takes `May 1 2024` and the like, read in the local time zone.
  if (!/^\d{4}-\d\d-\d\d(?:[T ]|$)/.test(value.trim()) || Number.isNaN(ms)) {
    throw new InvalidArgumentError('must be an ISO 8601 date and time, e.g. 2024-05-01T12:34:56Z');
  }
  return new Date(ms);
}

/** `--resources a,b` (repeatable) and `--resource a` (repeatable) both add to the list. */
function collectResources(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((arn) => arn.trim())
      .filter((arn) => arn !== ''),
  ];
}

/** The answer without the SDK's `$metadata`: what the API returned. */
function apiOutput<T extends { $metadata?: unknown }>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _metadata, ...rest } = output;
  return rest;
}

const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

interface PutOptions {
  bus: string;
  source: string;
  detailType: string;
  detail: string;
  resources: string[];
  time?: Date;
  json?: boolean;
  endpointUrl?: string;
}

async function putEvent(opts: PutOptions): Promise<void> {
  const endpoint = resolveEndpoint(opts.endpointUrl);
  const client = eventBridgeClientFor(endpoint);
  let output: PutEventsCommandOutput;
  try {
    output = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: opts.bus,
            Source: opts.source,
            DetailType: opts.detailType,
            Detail: opts.detail,
            Resources: opts.resources.length > 0 ? opts.resources : undefined,
            Time: opts.time,
          },
        ],
      }),
    );
  } catch (error) {
    throw toCliError(error, endpoint);
  } finally {
    client.destroy();
  }
  if (opts.json) printJson(apiOutput(output));
  const entry = output.Entries?.[0];
  // A refused entry is not an error of the call (HTTP 200): it is reported in the entry.
  if (entry?.ErrorCode) throw new CliError(`${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`.trimEnd());
  if (!entry?.EventId) throw new CliError('PutEvents returned no EventId');
  if (!opts.json) process.stdout.write(`${entry.EventId}\n`);
}

/** The JSON given inline or in a file; exactly one of the two flags. */
function inlineOrFile(command: Command, inline: string | undefined, file: string | undefined, flag: string): string {
  if (inline !== undefined && file !== undefined) {
    command.error(`error: give ${flag} or ${flag}-file, not both`);
  }
  if (file === undefined) {
    if (inline === undefined) command.error(`error: one of ${flag} <json> or ${flag}-file <path> is required`);
    return inline;
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`${flag}-file: ${(error as Error).message}`);
  }
}

interface TestPatternOptions {
  pattern?: string;
  patternFile?: string;
  event?: string;
  eventFile?: string;
  json?: boolean;
  endpointUrl?: string;
}

async function testPattern(opts: TestPatternOptions, command: Command): Promise<void> {
  const pattern = inlineOrFile(command, opts.pattern, opts.patternFile, '--pattern');
  const event = inlineOrFile(command, opts.event, opts.eventFile, '--event');
  // The server only says `Parameter Event is not valid.`; say where the JSON breaks. The pattern is left to
  // the server, whose InvalidEventPatternException message is the one PutRule would give.
  try {
    JSON.parse(event);
  } catch (error) {
    throw new CliError(
      `${opts.eventFile === undefined ? '--event' : '--event-file'}: not valid JSON (${(error as Error).message})`,
    );
  }
  const endpoint = resolveEndpoint(opts.endpointUrl);
  const client = eventBridgeClientFor(endpoint);
  try {
    const output = await client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: event }));
    if (opts.json) printJson(apiOutput(output));
    else process.stdout.write(`${output.Result === true}\n`);
  } catch (error) {
    const cliError = toCliError(error, endpoint);
    // AWS's message says not what is wrong with the event: most often it lacks part of the envelope.
    if (cliError.message === 'ValidationException: Parameter Event is not valid.') {
      throw new CliError(`${cliError.message} (an event needs id, account, source, time, region and detail-type)`);
    }
    throw cliError;
  } finally {
    client.destroy();
  }
}

export function registerEventsCommand(program: Command): void {
  const events = program
    .command('events')
    .description('put events on a bus (PutEvents) and test event patterns (TestEventPattern) on a running server')
    .addHelpText('after', "\nRun 'switchyard events <command> --help' for a command's flags.");

  const put = events
    .command('put')
    .description('put one event on a bus (PutEvents) and print its event id')
    .option('--bus <name|arn>', 'event bus, by name or ARN', 'default')
    .requiredOption('--source <source>', "the event's source, e.g. com.example.orders")
    .requiredOption('--detail-type <type>', "the event's detail-type, e.g. OrderPlaced")
    .requiredOption('--detail <json>', "the event's detail: a JSON object, sent as given", parseDetail)
    .option('--resources <arns>', "comma-separated ARNs for the event's resources (repeatable)", collectResources)
    .option('--resource <arn>', "one ARN for the event's resources (repeatable)", collectResources)
    .option('--time <iso>', "the event's time, ISO 8601 (default: when the server receives it)", parseTime)
    .option('--json', 'print the PutEvents response as JSON instead of the event id');
  addEndpointOption(put)
    .addHelpText(
      'after',
      `
Example:
  switchyard events put --bus orders --source com.example.orders --detail-type OrderPlaced \\
    --detail '{"orderId": "o-1", "total": 12.5}' --resource arn:aws:example:::order/o-1

Exit status: 0 when the event is accepted; 1 when the server refuses it (stderr: switchyard: <ErrorCode>:
<ErrorMessage>, e.g. ResourceNotFoundException for a missing bus; with --json the response is printed too)
or on any other error.`,
    )
    .action(async (opts: Omit<PutOptions, 'resources'> & { resources?: string[]; resource?: string[] }) => {
      await putEvent({ ...opts, resources: [...(opts.resources ?? []), ...(opts.resource ?? [])] });
    });

  const test = events
    .command('test-pattern')
    .description('test whether an event pattern matches an event (TestEventPattern) and print true or false')
    .option('--pattern <json>', 'the event pattern')
    .option('--pattern-file <path>', 'read the event pattern from a file instead')
    .option('--event <json>', 'the event: a whole event, with id, account, source, time, region and detail-type')
    .option('--event-file <path>', 'read the event from a file instead')
    .option('--json', 'print the TestEventPattern response as JSON instead of true or false');
  addEndpointOption(test)
    .addHelpText(
      'after',
      `
Example:
  switchyard events test-pattern --pattern '{"source": ["com.example.orders"]}' --event-file event.json

Exit status: 0 whether or not the pattern matches; 1 when the server refuses the pattern (stderr:
switchyard: InvalidEventPatternException: <why>) or the event, or on any other error.`,
    )
    .action(async (opts: TestPatternOptions, command: Command) => {
      await testPattern(opts, command);
    });
}
