// `switchyard redrive <dlq>`: starts a message move task on a running server, follows it to the end and
// cancels it on Ctrl-C.
import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { type Command, InvalidArgumentError } from 'commander';
import { addEndpointOption, CliError, resolveEndpoint, sqsClientFor, toCliError } from '../endpoint.js';
import { moveTaskFinder } from '../move-task-tracking.js';

export const MAX_RATE = 500;
/** How often the task's progress is polled. */
const POLL_MS = 250;
/** How long the progress poll tolerates an unreachable server before giving up on following the task. */
const POLL_PATIENCE_MS = 10_000;
const BAR_WIDTH = 30;

export function parseRate(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < 1 || n > MAX_RATE) {
    throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_RATE} (messages per second)`);
  }
  return n;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function percent(moved: number, toMove: number): number {
  if (toMove <= 0) return 100;
  return Math.min(100, Math.floor((moved / toMove) * 100));
}

/** `120/500 moved  24%  38 msg/s` */
export function progressText(moved: number, toMove: number, rate: number | undefined): string {
  const speed = rate === undefined ? '' : `  ${Math.round(rate)} msg/s`;
  return `${moved}/${toMove} moved  ${percent(moved, toMove)}%${speed}`;
}

/** `[#######-----] 120/500 moved  24%  38 msg/s` */
export function progressBar(moved: number, toMove: number, rate: number | undefined, width = BAR_WIDTH): string {
  const filled = toMove <= 0 ? width : Math.min(width, Math.floor((moved / toMove) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${progressText(moved, toMove, rate)}`;
}

/**
 * `moved 5 messages from dlq to their source queues`; says how many of the messages there at the start
 * were not moved (received meanwhile, or with no source queue to go back to).
 */
export function completedSummary(moved: number, toMove: number, from: string, to: string): string {
  const summary = `moved ${plural(moved, 'message')} from ${from} to ${to}`;
  return moved < toMove ? `${summary} (${toMove - moved} of ${toMove} not moved)` : summary;
}

/** Progress on stderr: a live bar on a terminal, a plain line at most once a second otherwise. */
class ProgressReporter {
  private readonly samples: { at: number; moved: number }[] = [];
  private lastLineAt = 0;
  private lastLineMoved = -1;
  private barShown = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly mode: 'bar' | 'lines' | 'off',
  ) {}

  /** Messages a second over the last few seconds. */
  private rate(now: number, moved: number): number | undefined {
    this.samples.push({ at: now, moved });
    while (this.samples.length > 2 && now - (this.samples[0]?.at ?? now) > 3000) this.samples.shift();
    const first = this.samples[0];
    if (!first || now - first.at < 400) return undefined;
    return ((moved - first.moved) * 1000) / (now - first.at);
  }

  update(moved: number, toMove: number, now = Date.now()): void {
    const rate = this.rate(now, moved);
    if (this.mode === 'bar') {
      this.stream.write(`\r${progressBar(moved, toMove, rate)}\x1b[K`);
      this.barShown = true;
    } else if (this.mode === 'lines') {
      if (now - this.lastLineAt < 1000 || moved === this.lastLineMoved) return;
      this.lastLineAt = now;
      this.lastLineMoved = moved;
      this.stream.write(`${progressText(moved, toMove, rate)}\n`);
    }
  }

  /** Ends the bar's line so that what follows starts on a fresh one. */
  finish(): void {
    if (this.barShown) this.stream.write('\n');
    this.barShown = false;
  }
}

interface ResolvedQueue {
  name: string;
  arn: string;
}

/** A queue name (or URL, or ARN) to its name and ARN. */
async function resolveQueue(sqs: SQSClient, endpoint: string, given: string): Promise<ResolvedQueue> {
  if (given.startsWith('arn:')) return { name: given.split(':').pop() ?? given, arn: given };
  try {
    const url = /^https?:\/\//.test(given)
      ? given
      : (await sqs.send(new GetQueueUrlCommand({ QueueName: given }))).QueueUrl;
    if (!url) throw new CliError(`GetQueueUrl returned no URL for ${given}`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = Attributes?.QueueArn;
    if (!arn) throw new CliError(`GetQueueAttributes returned no QueueArn for ${given}`);
    return { name: arn.split(':').pop() ?? given, arn };
  } catch (error) {
    const cliError = toCliError(error, endpoint);
    // "The specified queue does not exist." says not which one: name it.
    if (/QueueDoesNotExist|NonExistentQueue/.test(cliError.message)) {
      throw new CliError(`${cliError.message.replace(/\.?$/, '')}: ${given}`);
    }
    throw cliError;
  }
}

interface RedriveOptions {
  to?: string;
  rate?: number;
  endpointUrl?: string;
  progress: boolean;
}

/** Sleeps `ms`, or less if `wake` is called. */
function pause(ms: number): { done: Promise<void>; wake: () => void } {
  let wake = () => {};
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, wake };
}

async function redrive(dlqName: string, opts: RedriveOptions): Promise<void> {
  const endpoint = resolveEndpoint(opts.endpointUrl);
  const sqs = sqsClientFor(endpoint);
  const stderr = process.stderr;
  const reporter = new ProgressReporter(stderr, !opts.progress ? 'off' : stderr.isTTY ? 'bar' : 'lines');

  let interrupted = false;
  let wake = () => {};
  const onSigint = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: leave at once
    interrupted = true;
    wake();
  };
  process.on('SIGINT', onSigint);

  try {
    const source = await resolveQueue(sqs, endpoint, dlqName);
    const destination = opts.to === undefined ? undefined : await resolveQueue(sqs, endpoint, opts.to);
    const where = destination ? destination.name : 'their source queues';
    if (interrupted) throw new CliError('interrupted before the move task started', 130);

    let handle: string;
    try {
      const started = await sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: source.arn,
          DestinationArn: destination?.arn,
          MaxNumberOfMessagesPerSecond: opts.rate,
        }),
      );
      if (!started.TaskHandle) throw new CliError('StartMessageMoveTask returned no TaskHandle');
      handle = started.TaskHandle;
    } catch (error) {
      throw toCliError(error, endpoint);
    }

    const ours = moveTaskFinder(handle);

    let last: ListMessageMoveTasksResultEntry | undefined;
    let failingSince: number | undefined;
    const lookingSince = Date.now();
    for (;;) {
      if (interrupted) {
        reporter.finish();
        throw await cancel(sqs, endpoint, handle, source, last);
      }
      try {
        const { Results = [] } = await sqs.send(
          new ListMessageMoveTasksCommand({ SourceArn: source.arn, MaxResults: 10 }),
        );
        failingSince = undefined;
        const entry = ours(Results);
        if (entry) {
          last = entry;
          const moved = entry.ApproximateNumberOfMessagesMoved ?? 0;
          const toMove = entry.ApproximateNumberOfMessagesToMove ?? 0;
          reporter.update(moved, toMove);
          if (entry.Status !== 'RUNNING' && entry.Status !== 'CANCELLING') break;
        } else if (!last && Date.now() - lookingSince > POLL_PATIENCE_MS) {
          throw new CliError('the move task started but ListMessageMoveTasks does not show it');
        }
      } catch (error) {
        const cliError = toCliError(error, endpoint);
        failingSince ??= Date.now();
        if (!cliError.message.startsWith('cannot reach') || Date.now() - failingSince > POLL_PATIENCE_MS) {
          reporter.finish();
          throw new CliError(`${cliError.message} (the move task may still be running)`);
        }
      }
      const sleep = pause(POLL_MS);
      wake = sleep.wake;
      await sleep.done;
    }
    reporter.finish();
    if (!last) throw new CliError('lost track of the move task');

    const moved = last.ApproximateNumberOfMessagesMoved ?? 0;
    const toMove = last.ApproximateNumberOfMessagesToMove ?? 0;
    if (last.Status === 'COMPLETED') {
      process.stdout.write(`${completedSummary(moved, toMove, source.name, where)}\n`);
      return;
    }
    const progress = `moved ${moved} of ${plural(toMove, 'message')} from ${source.name}`;
    if (last.Status === 'FAILED') {
      throw new CliError(`move task failed: ${last.FailureReason || 'no reason given'} (${progress})`);
    }
    throw new CliError(`move task was ${String(last.Status).toLowerCase()} (${progress})`);
  } finally {
    process.off('SIGINT', onSigint);
    sqs.destroy();
  }
}

/** Ctrl-C: cancel the task, say how far it got, exit 130. */
async function cancel(
  sqs: SQSClient,
  endpoint: string,
  handle: string,
  source: ResolvedQueue,
  last: ListMessageMoveTasksResultEntry | undefined,
): Promise<CliError> {
  try {
    const { ApproximateNumberOfMessagesMoved: moved = 0 } = await sqs.send(
      new CancelMessageMoveTaskCommand({ TaskHandle: handle }),
    );
    const of = last?.ApproximateNumberOfMessagesToMove;
    return new CliError(
      `interrupted: cancelled the move task after moving ${of === undefined ? plural(moved, 'message') : `${moved} of ${plural(of, 'message')}`} from ${source.name}`,
      130,
    );
  } catch (error) {
    return new CliError(`interrupted: could not cancel the move task: ${toCliError(error, endpoint).message}`, 130);
  }
}

export function registerRedriveCommand(program: Command): void {
  const command = program
    .command('redrive')
    .description('move the messages of a dead-letter queue back (StartMessageMoveTask) and follow the task to its end')
    .argument('<dlq>', 'name of the dead-letter queue to empty (a queue URL or ARN works too)')
    .option('--to <queue>', "move every message to this queue instead of each message's own source queue")
    .option(
      '--rate <n>',
      `at most n messages a second, 1 to ${MAX_RATE} (default: as fast as the server goes)`,
      parseRate,
    )
    .option('--no-progress', 'do not show progress on stderr, only the final summary');
  addEndpointOption(command)
    .addHelpText(
      'after',
      `
Progress goes to stderr: a live bar on a terminal, a line at most once a second otherwise.
Exit status: 0 when the task completes, 1 when it fails or is cancelled (or on any error),
130 after Ctrl-C, which cancels the task (messages already moved stay moved).`,
    )
    .action(async (dlq: string, opts: RedriveOptions) => {
      await redrive(dlq, opts);
    });
}
