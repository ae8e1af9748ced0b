import type { Clock } from '../core/clock.js';
import type { EventActivity, PutEventsCall, RuleKey, RuleObservation, RuleObservationName } from './event-activity.js';
import { DEFAULT_BUS } from './event-router.js';
import { canonicalDimensions } from './metric-input.js';
import type { MetricsService } from './metrics-service.js';

const NAMESPACE = 'AWS/Events';

/** The dimension sets a per-rule observation is recorded under: the rule's, its bus's, the account's. */
interface Recording {
  unit: 'Count' | 'Milliseconds';
  rule: boolean;
  bus: boolean;
  account: boolean;
}

const count = (rule: boolean, bus: boolean, account: boolean): Recording => ({ unit: 'Count', rule, bus, account });
const latency: Recording = { unit: 'Milliseconds', rule: true, bus: true, account: true };

/**
 * Where AWS records each metric (the AWS/Events table of the EventBridge user guide, "Monitoring Amazon
 * EventBridge"): `RuleName` alone for a rule of the default bus, `EventBusName` + `RuleName` for a rule of
 * another bus; `EventBusName` alone; no dimension for the account.
 */
const RECORDINGS: Record<Exclude<RuleObservationName, 'MatchedEvents'>, Recording> = {
  InvocationsCreated: count(false, false, true),
  Invocations: count(true, false, true),
  FailedInvocations: count(true, false, false),
  DeadLetterInvocations: count(true, false, false),
  InvocationsSentToDlq: count(true, false, false),
  InvocationsFailedToBeSentToDlq: count(true, false, false),
  InvocationAttempts: count(true, true, true),
  SuccessfulInvocationAttempts: count(true, true, true),
  RetryInvocationAttempts: count(true, true, true),
  IngestionToInvocationStartLatency: latency,
  IngestionToInvocationCompleteLatency: latency,
  IngestionToInvocationSuccessLatency: latency,
};
/** A rule that matched an event ran: MatchedEvents for the rule, TriggeredRules for the rule, bus and account. */
const TRIGGERED = count(true, true, true);
const ACCOUNT = canonicalDimensions([]);

/**
 * CloudWatch's AWS/Events metrics, recorded as AWS documents them, from what the bus reports after each
 * commit (EventActivity):
 *
 * - per rule: MatchedEvents, TriggeredRules, Invocations, FailedInvocations, DeadLetterInvocations (an event
 *   that would loop between buses is not sent), InvocationsSentToDlq, InvocationsFailedToBeSentToDlq,
 *   InvocationAttempts, SuccessfulInvocationAttempts, RetryInvocationAttempts and the
 *   IngestionToInvocation{Start,Complete,Success}Latency times;
 * - per bus: MatchedEvents (events that matched at least one rule), TriggeredRules, the attempts and the
 *   latencies;
 * - for the account: TriggeredRules, Invocations, InvocationsCreated, the attempts and the latencies, and
 *   the PutEvents call metrics (PutEventsApproximateCallCount, …SuccessCount, …FailedCount,
 *   PutEventsEntriesCount, PutEventsFailedEntriesCount, PutEventsLatency, PutEventsRequestSize).
 *
 * Not recorded, having no meaning here: ThrottledRules and PutEventsApproximateThrottledCount (nothing is
 * throttled), Events and the PutPartnerEvents metrics (no partner event sources), the bus encryption ones.
 * Recording is a map update per dimension set (MetricsService writes in batches).
 */
export class EventsCloudWatchMetrics implements EventActivity {
  private readonly metrics: MetricsService;
  private readonly clock: Clock;
  /** The rule's and the bus's dimension sets, built once per rule. */
  private readonly dimensions = new Map<string, { rule: string; bus: string }>();

  constructor(options: { metrics: MetricsService; clock: Clock }) {
    this.metrics = options.metrics;
    this.clock = options.clock;
  }

  private put(accountId: string, name: string, dimensions: string, unit: string, value: number, at: number): void {
    this.metrics.recordValue({ accountId, namespace: NAMESPACE, name, dimensions }, at, unit, value);
  }

  private dimensionsOf(rule: RuleKey): { rule: string; bus: string } {
    const id = `${rule.busName}\n${rule.ruleName}`;
    let sets = this.dimensions.get(id);
    if (!sets) {
      const bus = { Name: 'EventBusName', Value: rule.busName };
      const name = { Name: 'RuleName', Value: rule.ruleName };
      sets = {
        rule: canonicalDimensions(rule.busName === DEFAULT_BUS ? [name] : [bus, name]),
        bus: canonicalDimensions([bus]),
      };
      this.dimensions.set(id, sets);
    }
    return sets;
  }

  /** Records a step's observations under each dimension set AWS records them with. */
  observed(observations: readonly RuleObservation[]): void {
    const at = this.clock.now();
    const addRule = (rule: RuleKey, name: string, how: Recording, value: number) => {
      const sets = this.dimensionsOf(rule);
      if (how.rule) this.put(rule.accountId, name, sets.rule, how.unit, value, at);
      if (how.bus) this.put(rule.accountId, name, sets.bus, how.unit, value, at);
      if (how.account) this.put(rule.accountId, name, ACCOUNT, how.unit, value, at);
    };
    for (const { rule, name, value } of observations) {
      if (name === 'MatchedEvents') {
        this.put(rule.accountId, 'MatchedEvents', this.dimensionsOf(rule).rule, 'Count', value, at);
        addRule(rule, 'TriggeredRules', TRIGGERED, value);
      } else {
        addRule(rule, name, RECORDINGS[name], value);
      }
    }
  }

  busMatched(accountId: string, busName: string, events: number): void {
    const bus = canonicalDimensions([{ Name: 'EventBusName', Value: busName }]);
    this.put(accountId, 'MatchedEvents', bus, 'Count', events, this.clock.now());
  }

  putEvents(call: PutEventsCall): void {
    const at = this.clock.now();
    const put = (name: string, unit: string, value: number) => this.put(call.accountId, name, ACCOUNT, unit, value, at);
    put('PutEventsApproximateCallCount', 'Count', 1);
    put(call.ok ? 'PutEventsApproximateSuccessCount' : 'PutEventsApproximateFailedCount', 'Count', 1);
    put('PutEventsLatency', 'Milliseconds', call.millis);
    if (call.entries !== undefined) put('PutEventsEntriesCount', 'Count', call.entries);
    if (call.failedEntries !== undefined) put('PutEventsFailedEntriesCount', 'Count', call.failedEntries);
    if (call.requestBytes !== undefined) put('PutEventsRequestSize', 'Bytes', call.requestBytes);
  }
}
