import type { EventActivity, RuleKey, RuleObservation } from './event-activity.js';

export type { RuleKey } from './event-activity.js';

/**
 * EventBridge's per-rule delivery counters, which GET /metrics publishes: MatchedEvents, Invocations,
 * FailedInvocations, InvocationsSentToDlq and InvocationsFailedToBeSentToDlq, per rule and summed per bus.
 * Fed as an EventActivity listener, so counted after the write that makes an outcome durable, never
 * before; other observations (attempts, latencies, PutEvents calls) are CloudWatch's and ignored here.
 * In memory: they restart from zero with the process, as counters scraped by Prometheus may.
 */

export const EVENT_METRIC_NAMES = [
  'MatchedEvents',
  'Invocations',
  'FailedInvocations',
  'InvocationsSentToDlq',
  'InvocationsFailedToBeSentToDlq',
] as const;

export type EventMetricName = (typeof EVENT_METRIC_NAMES)[number];

export type EventCounters = Record<EventMetricName, number>;

const COUNTED: ReadonlySet<string> = new Set(EVENT_METRIC_NAMES);

const zero = (): EventCounters => ({
  MatchedEvents: 0,
  Invocations: 0,
  FailedInvocations: 0,
  InvocationsSentToDlq: 0,
  InvocationsFailedToBeSentToDlq: 0,
});

export class EventMetrics implements EventActivity {
  private readonly rules = new Map<string, { key: RuleKey; counters: EventCounters }>();

  observed(observations: readonly RuleObservation[]): void {
    for (const o of observations) if (COUNTED.has(o.name)) this.add(o.rule, o.name as EventMetricName, o.value);
  }

  busMatched(): void {
    // Per rule only.
  }

  putEvents(): void {
    // The request counters of GET /metrics cover PutEvents calls.
  }

  add(key: RuleKey, metric: EventMetricName, amount = 1): void {
    const id = JSON.stringify([key.accountId, key.busName, key.ruleName]);
    let entry = this.rules.get(id);
    if (!entry) {
      entry = { key: { ...key }, counters: zero() };
      this.rules.set(id, entry);
    }
    entry.counters[metric] += amount;
  }

  /** Counters of every rule that has counted anything. */
  byRule(): { key: RuleKey; counters: EventCounters }[] {
    return [...this.rules.values()].map(({ key, counters }) => ({ key, counters: { ...counters } }));
  }

  rule(key: RuleKey): EventCounters {
    return { ...(this.rules.get(JSON.stringify([key.accountId, key.busName, key.ruleName]))?.counters ?? zero()) };
  }

  /** The rules' counters summed per bus. */
  bus(accountId: string, busName: string): EventCounters {
    const sum = zero();
    for (const { key, counters } of this.rules.values()) {
      if (key.accountId !== accountId || key.busName !== busName) continue;
      for (const name of EVENT_METRIC_NAMES) sum[name] += counters[name];
    }
    return sum;
  }
}
