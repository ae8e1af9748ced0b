// What the demo watches on the server while it runs, through the public APIs: queue depths (GetQueueAttributes) and
// the alarms' states (CloudWatch DescribeAlarms), remembering the peaks and each alarm that fired or cleared.
import { type CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type QueueDepth, queueDepth } from './redrive.js';
import type { QueueRef } from './topology.js';

export interface AlarmTrack {
  name: string;
  /** The state when the demo started. */
  initial: string;
  state: string;
  /** When it went into ALARM during the run (ms since the epoch). */
  firedAt?: number;
  /** When it left ALARM after that. */
  clearedAt?: number;
}

export class Monitor {
  readonly depths = new Map<string, QueueDepth>();
  /** Per queue, the most messages seen waiting (visible). */
  readonly peakVisible = new Map<string, number>();
  readonly alarms = new Map<string, AlarmTrack>();
  /** Failures to read the server's state (the demo goes on). */
  errors = 0;
  lastError: string | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly cloudwatch: CloudWatchClient,
    private readonly queues: QueueRef[],
  ) {}

  async #describeAlarms(): Promise<MetricAlarm[]> {
    const out: MetricAlarm[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 100, NextToken }));
      out.push(...(page.MetricAlarms ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  /** Reads every watched queue's depth and every alarm's state. */
  async sample(now = Date.now()): Promise<void> {
    const readQueues = Promise.all(
      this.queues.map(async (q) => {
        const depth = await queueDepth(this.sqs, q.url);
        this.depths.set(q.name, depth);
        this.peakVisible.set(q.name, Math.max(this.peakVisible.get(q.name) ?? 0, depth.visible));
      }),
    );
    const readAlarms = this.#describeAlarms().then((alarms) => {
      for (const alarm of alarms) {
        const name = alarm.AlarmName;
        const state = alarm.StateValue ?? 'INSUFFICIENT_DATA';
        if (!name) continue;
        const track = this.alarms.get(name);
        if (!track) {
          this.alarms.set(name, { name, initial: state, state });
          continue;
        }
        if (state === 'ALARM' && track.state !== 'ALARM') {
          track.firedAt = now;
          delete track.clearedAt;
        } else if (state !== 'ALARM' && track.state === 'ALARM' && track.firedAt !== undefined) {
          track.clearedAt = now;
        }
        track.state = state;
      }
    });
    const results = await Promise.allSettled([readQueues, readAlarms]);
    for (const r of results) {
      if (r.status === 'rejected') {
        this.errors += 1;
        this.lastError = r.reason instanceof Error ? r.reason.message : String(r.reason);
      }
    }
  }

  /** The alarms in ALARM now. */
  inAlarm(): string[] {
    return [...this.alarms.values()].filter((a) => a.state === 'ALARM').map((a) => a.name);
  }

  depth(queue: string): QueueDepth {
    return this.depths.get(queue) ?? { visible: 0, notVisible: 0 };
  }
}
