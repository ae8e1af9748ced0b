// `switchyard queues`: every queue of a running server with its depth and dead-letter links.
import type { Command } from 'commander';
// Type only: erased at build, so the client commands still load no server code.
import type { QueueOverview } from '../../services/queue-service.js';

export type { QueueOverview };

import { addEndpointOption, CliError, getJson, resolveEndpoint, useColor } from '../endpoint.js';

/** `3s`, `5m 2s`, `1h 4m`, `2d 3h`; `-` when there is no message. */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** The DLQ column: `→ dlq (max 3)` for a source, `← a, b` for a dead-letter queue, both for a chain. */
export function dlqLinks(queue: QueueOverview): string {
  const parts: string[] = [];
  if (queue.deadLetterQueue) {
    const max = queue.maxReceiveCount === null ? '' : ` (max ${queue.maxReceiveCount})`;
    parts.push(`→ ${queue.deadLetterQueue}${max}`);
  }
  if (queue.deadLetterSources.length > 0) parts.push(`← ${queue.deadLetterSources.join(', ')}`);
  return parts.join('  ');
}

const isDeadLetterQueue = (queue: QueueOverview): boolean => queue.deadLetterSources.length > 0;
const isEmpty = (queue: QueueOverview): boolean => queue.visible + queue.inFlight + queue.delayed === 0;

const HIGHLIGHT = '\x1b[1;31m';
const RESET = '\x1b[0m';

/** The table, sorted by name; with `color`, non-empty dead-letter queues stand out. */
export function renderQueueTable(queues: readonly QueueOverview[], color = false): string {
  if (queues.length === 0) return 'no queues';
  const header = ['NAME', 'TYPE', 'VISIBLE', 'IN FLIGHT', 'DELAYED', 'OLDEST', 'DLQ'];
  const rightAligned = [false, false, true, true, true, true, false];
  const sorted = [...queues].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows = sorted.map((q) => [
    q.name,
    q.fifo ? 'fifo' : 'std',
    String(q.visible),
    String(q.inFlight),
    String(q.delayed),
    formatAge(q.oldestMessageAgeSeconds),
    dlqLinks(q),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        if (i === cells.length - 1) return cell;
        return rightAligned[i] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const out = [line(header)];
  sorted.forEach((queue, i) => {
    const text = line(rows[i] ?? []);
    out.push(color && isDeadLetterQueue(queue) && !isEmpty(queue) ? `${HIGHLIGHT}${text}${RESET}` : text);
  });
  return out.join('\n');
}

function parseOverview(body: unknown, endpoint: string): QueueOverview[] {
  const queues = (body as { queues?: unknown } | null)?.queues;
  if (!Array.isArray(queues)) {
    throw new CliError(`GET ${endpoint}/console/api/queues: unexpected answer (is this a Switchyard server?)`);
  }
  return queues.map((q: QueueOverview) => ({ ...q, deadLetterSources: q.deadLetterSources ?? [] }));
}

export function registerQueuesCommand(program: Command): void {
  const command = program
    .command('queues')
    .description('list the queues of a running server: depth, oldest message and dead-letter links')
    .option('--json', 'print the queues as a JSON array instead of a table')
    .addHelpText(
      'after',
      `
Columns: NAME, TYPE (std or fifo), VISIBLE, IN FLIGHT, DELAYED, OLDEST (age of the oldest message),
DLQ (→ the queue's dead-letter queue and maxReceiveCount; ← the queues that dead-letter into it).
On a terminal, dead-letter queues that hold messages are highlighted (NO_COLOR turns this off).`,
    );
  addEndpointOption(command).action(async (opts: { json?: boolean; endpointUrl?: string }) => {
    const endpoint = resolveEndpoint(opts.endpointUrl);
    const queues = parseOverview(await getJson(endpoint, '/console/api/queues'), endpoint);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(queues, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${renderQueueTable(queues, useColor(process.stdout))}\n`);
  });
}
