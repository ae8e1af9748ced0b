// The demo's report (what `runDemo` returns and `--json` prints) and its text form, and the live summary lines.
import type { MoveTaskResult } from './redrive.js';
import { CONSUMED_QUEUES, type ConsumedQueue } from './topology.js';

export interface QueueReport {
  /** Events published that the rules route to this queue. */
  routed: number;
  /** Of those, the events its consumer received at least once. */
  delivered: number;
  /** Settled by a successful handler call. */
  handled: number;
  /** Settled with a newer version of their entity, without a handler call of their own (coalescing). */
  coalesced: number;
  /** Deleted unhandled, a newer version having been applied (coalescing). */
  skipped: number;
  /** Failed handler calls retried after a backoff. */
  retries: number;
  /** Published poison events (they fail until the cause is fixed). */
  poison: number;
  /**
   * Events that reached (or were on their way to) the dead-letter queue: given up on by the consumer, or poison and
   * not settled when the redrive started.
   */
  deadLettered: number;
  /** Messages the move tasks took from the dead-letter queue back to this queue. */
  redriven: number;
  /** Dead-lettered events settled after the redrive. */
  handledAfterRedrive: number;
  /** Calls to the emulated downstream system (successful or not). */
  downstreamCalls: number;
  /** The highest concurrency of the consumer. */
  maxConcurrency: number;
  /** The concurrency at start (autoscaling starts at `min`). */
  minConcurrency: number;
  /** The most messages seen waiting in the queue. */
  peakBacklog: number;
  /** Published events not settled at the end. */
  unsettled: number;
  /** Messages in the dead-letter queue at the end. */
  deadLetterQueueAtEnd: number;
  /** FIFO queue only: handler calls that saw an older version of an order than one applied before (must be 0). */
  outOfOrder?: number;
}

export interface AlarmReport {
  name: string;
  /** Seconds from the start when it went into ALARM. */
  firedAtSecond?: number;
  /** Seconds from the start when it left ALARM again. */
  clearedAtSecond?: number;
  /** Its state at the end. */
  state: string;
  /** Its state at the start. */
  initial: string;
}

export interface DemoReport {
  /** Every published event accounted for: settled, none left in a dead-letter queue after the redrive. */
  ok: boolean;
  interrupted: boolean;
  endpoint: string;
  scale: 'small' | 'full';
  seconds: { total: number; traffic: number; drain: number };
  traffic: {
    /** Events per second outside the flash sale. */
    rate: number;
    spikeMultiplier: number;
    spikeFromSecond: number;
    spikeToSecond: number;
    hotSkus: string[];
  };
  published: {
    total: number;
    /** Events the producers gave up on (PublishError). */
    failed: number;
    /** The most events published in one second. */
    peakPerSecond: number;
    byType: Record<string, number>;
  };
  queues: Record<ConsumedQueue, QueueReport>;
  /** Messages added during the run to the queues the demo routes to but does not consume. */
  otherQueues: Record<string, number>;
  downstream: {
    calls: number;
    /** Downstream calls coalescing saved: events settled without a call of their own. */
    savedByCoalescing: number;
  };
  redrive: {
    /** Seconds from the start when the poison cause was fixed (undefined: never). */
    fixedAtSecond?: number;
    tasks: MoveTaskResult[];
    moved: number;
    completed: boolean;
    deadLettered: number;
    handledAfterRedrive: number;
  };
  alarms: { changed: AlarmReport[]; inAlarmAtEnd: string[] };
  webhook: { url?: string; receivedByDemo: boolean; calls: number; note?: string };
  accounting: {
    published: number;
    settled: number;
    /** Dead-lettered events still in a dead-letter queue at the end. */
    inDeadLetterQueues: number;
    /** Published events neither settled nor in a dead-letter queue. */
    unaccounted: number;
    /** Settlements of events already settled (redeliveries). */
    duplicates: number;
    /** Events handled that this run did not publish (left in the queues by an earlier run). */
    fromEarlierRuns: number;
  };
  errors: { consumer: number; monitor: number; lastError?: string; lastPublishError?: string };
}

const n = (x: number) => x.toLocaleString('en-US');
const s1 = (x: number) => `${x.toFixed(1)} s`;
const pad = (text: string, width: number) => text.padStart(width);
const padEnd = (text: string, width: number) => text.padEnd(width);

/** The report as text, for a terminal or a log. */
export function formatReport(r: DemoReport): string {
  const lines: string[] = [];
  lines.push(
    `Switchyard demo report (${r.scale} scale against ${r.endpoint}): ${s1(r.seconds.total)}, ` +
      `${s1(r.seconds.traffic)} of traffic and ${s1(r.seconds.drain)} to drain${r.interrupted ? ', interrupted' : ''}`,
  );
  lines.push('');
  const byType = Object.entries(r.published.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([type, count]) => `${type} ${n(count)}`)
    .join(' · ');
  lines.push(
    `published      ${n(r.published.total)} events (${r.traffic.rate}/s steady, flash sale ×${r.traffic.spikeMultiplier} ` +
      `from ${r.traffic.spikeFromSecond} to ${r.traffic.spikeToSecond} s on ${r.traffic.hotSkus.length} hot SKUs, ` +
      `peak ${n(r.published.peakPerSecond)}/s), ${n(r.published.failed)} failed`,
  );
  if (byType) lines.push(`               ${byType}`);
  lines.push('');
  const header = [
    padEnd('queue', 12),
    pad('routed', 7),
    pad('delivered', 10),
    pad('handled', 8),
    pad('coalesced', 10),
    pad('skipped', 8),
    pad('retries', 8),
    pad('dead-lettered', 14),
    pad('redriven→handled', 17),
    pad('concurrency', 12),
    pad('peak backlog', 13),
  ];
  lines.push(header.join(''));
  for (const q of CONSUMED_QUEUES) {
    const x = r.queues[q];
    const concurrency =
      x.minConcurrency === x.maxConcurrency ? `${x.maxConcurrency}` : `${x.minConcurrency}→${x.maxConcurrency}`;
    lines.push(
      [
        padEnd(q, 12),
        pad(n(x.routed), 7),
        pad(n(x.delivered), 10),
        pad(n(x.handled), 8),
        pad(q === 'inventory' ? n(x.coalesced) : '-', 10),
        pad(q === 'inventory' ? n(x.skipped) : '-', 8),
        pad(n(x.retries), 8),
        pad(n(x.deadLettered), 14),
        pad(`${n(x.redriven)}→${n(x.handledAfterRedrive)}`, 17),
        pad(concurrency, 12),
        pad(n(x.peakBacklog), 13),
      ].join(''),
    );
  }
  lines.push('');
  const inv = r.queues.inventory;
  const saved = r.downstream.savedByCoalescing;
  const share = inv.routed > 0 ? Math.round((saved / inv.routed) * 100) : 0;
  lines.push(
    `downstream     ${n(r.downstream.calls)} calls; coalescing saved ${n(saved)} of ${n(inv.routed)} inventory ` +
      `events' calls (${share}%)`,
  );
  const fifo = r.queues['orders.fifo'];
  lines.push(
    `order          orders.fifo applied every order's versions in order (${n(fifo.outOfOrder ?? 0)} out of order)`,
  );
  const poison = CONSUMED_QUEUES.reduce((sum, q) => sum + r.queues[q].poison, 0);
  const fixed = r.redrive.fixedAtSecond === undefined ? 'never fixed' : `cause fixed at ${s1(r.redrive.fixedAtSecond)}`;
  lines.push(
    `poison         ${n(poison)} events, ${n(r.redrive.deadLettered)} dead-lettered (${CONSUMED_QUEUES.map((q) => `${q} ${n(r.queues[q].deadLettered)}`).join(', ')}); ${fixed}`,
  );
  const tasks = r.redrive.tasks.map((t) => `${t.dlq} ${n(t.moved)} moved (${t.status}, ${s1(t.seconds)})`).join(' · ');
  lines.push(
    `redrive        ${tasks || 'no move task ran'}${tasks ? `; ${n(r.redrive.handledAfterRedrive)} of the dead-lettered events handled after it` : ''}`,
  );
  const changed = r.alarms.changed
    .map((a) => {
      if (a.firedAtSecond === undefined) return `${a.name} ${a.state} (was ${a.initial})`;
      const cleared = a.clearedAtSecond === undefined ? 'still ALARM' : `cleared at ${Math.round(a.clearedAtSecond)} s`;
      return `${a.name} fired at ${Math.round(a.firedAtSecond)} s, ${cleared}`;
    })
    .join(' · ');
  lines.push(
    `alarms         ${changed || 'none changed state'}; in ALARM at the end: ${r.alarms.inAlarmAtEnd.join(', ') || 'none'}`,
  );
  lines.push(
    `webhook        ${r.webhook.receivedByDemo ? `${n(r.webhook.calls)} low-stock calls received by the demo at ${r.webhook.url}` : `not received by the demo (${r.webhook.note ?? 'no URL'})`}`,
  );
  const others = Object.entries(r.otherQueues)
    .map(([q, count]) => `${q} +${n(count)}`)
    .join(' · ');
  if (others) lines.push(`also routed    ${others} (not consumed by the demo)`);
  const a = r.accounting;
  lines.push(
    `accounted      ${n(a.published)} published: ${n(a.settled)} settled (${n(CONSUMED_QUEUES.reduce((x, q) => x + r.queues[q].handled, 0))} handled, ` +
      `${n(inv.coalesced)} coalesced, ${n(inv.skipped)} skipped), ${n(a.inDeadLetterQueues)} in dead-letter queues, ` +
      `${n(a.unaccounted)} unaccounted; ${n(a.duplicates)} redelivered${a.fromEarlierRuns ? `, ${n(a.fromEarlierRuns)} from earlier runs` : ''}`,
  );
  if (r.errors.lastError || r.errors.lastPublishError) {
    lines.push(
      `errors         consumers ${n(r.errors.consumer)}, monitoring ${n(r.errors.monitor)}` +
        `${r.errors.lastError ? `; last: ${r.errors.lastError}` : ''}` +
        `${r.errors.lastPublishError ? `; last publish error: ${r.errors.lastPublishError}` : ''}`,
    );
  }
  const result = r.interrupted
    ? `INTERRUPTED: ${n(a.unaccounted)} events left in the queues, ${n(a.inDeadLetterQueues)} in dead-letter queues`
    : r.ok
      ? 'OK: every published event was handled'
      : `NOT OK: ${n(a.unaccounted)} published events unaccounted for, ${n(a.inDeadLetterQueues)} left in dead-letter queues`;
  lines.push(`result         ${result}`);
  return `${lines.join('\n')}\n`;
}

/** One live summary: a few compact lines. */
export interface LiveStatus {
  second: number;
  phase: string;
  publishedPerSecond: number;
  published: number;
  handledPerSecond: Record<ConsumedQueue, number>;
  depths: Record<string, { visible: number; notVisible: number }>;
  deadLetterDepths: Record<string, number>;
  concurrency: Record<ConsumedQueue, number>;
  coalesced: number;
  skipped: number;
  retries: number;
  inAlarm: string[];
}

export function formatLiveStatus(x: LiveStatus): string[] {
  const per = CONSUMED_QUEUES.map((q) => `${q} ${Math.round(x.handledPerSecond[q])}`).join('  ');
  const depths = Object.entries(x.depths)
    .map(([q, d]) => `${q} ${n(d.visible)}/${n(d.notVisible)}`)
    .join('  ');
  const dlq = Object.entries(x.deadLetterDepths)
    .map(([q, d]) => `${q} ${n(d)}`)
    .join('  ');
  const concurrency = CONSUMED_QUEUES.map((q) => `${q} ${x.concurrency[q]}`).join('  ');
  return [
    `${pad(String(Math.round(x.second)), 4)}s  ${padEnd(x.phase, 16)} published ${n(Math.round(x.publishedPerSecond))}/s (${n(x.published)})   handled/s ${per}`,
    `       depth visible/in flight ${depths}   DLQ ${dlq}`,
    `       concurrency ${concurrency}   coalesced ${n(x.coalesced)}  skipped ${n(x.skipped)}  retries ${n(x.retries)}   ALARM: ${x.inAlarm.join(', ') || 'none'}`,
  ];
}

/**
 * Live output: status blocks and notes. On a terminal the status block is redrawn in place (only its own lines are
 * cleared); elsewhere every block and note is printed as plain lines.
 */
export class LiveOutput {
  #drawn = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly tty: boolean,
  ) {}

  #erase(): void {
    if (this.tty && this.#drawn > 0) this.stream.write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  status(lines: string[]): void {
    this.#erase();
    this.stream.write(`${lines.join('\n')}\n`);
    if (this.tty) this.#drawn = lines.length;
  }

  note(line: string): void {
    if (this.tty && this.#drawn > 0) {
      // Above the status block: erase it, print the note, and leave the block to the next status.
      this.#erase();
    }
    this.stream.write(`${line}\n`);
  }
}
