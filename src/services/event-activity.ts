/** A rule, by account, bus and name. */
export interface RuleKey {
  accountId: string;
  busName: string;
  ruleName: string;
}

/**
 * What EventBridge observes per rule, named as AWS names its AWS/Events metrics. Counts are one
 * observation each (`value` 1); the `IngestionToInvocation…` latencies carry milliseconds.
 */
export type RuleObservationName =
  /** The rule matched an event (or its schedule fired): it ran. */
  | 'MatchedEvents'
  /** An invocation of one of the rule's targets was created for a matched event. */
  | 'InvocationsCreated'
  /** A target invocation reached its final outcome, success or failure (retries are not counted). */
  | 'Invocations'
  /** A target invocation failed for good. */
  | 'FailedInvocations'
  /** A target was not invoked because the event would loop between buses (AWS's DeadLetterInvocations). */
  | 'DeadLetterInvocations'
  /** A failed event was written to the target's dead-letter queue. */
  | 'InvocationsSentToDlq'
  /** A failed event could not be written to the target's dead-letter queue (missing, FIFO, elsewhere). */
  | 'InvocationsFailedToBeSentToDlq'
  /** One attempt to invoke a target, the first or a retry. */
  | 'InvocationAttempts'
  | 'SuccessfulInvocationAttempts'
  | 'RetryInvocationAttempts'
  /** From the event's ingestion to the start of its first attempt on a target. */
  | 'IngestionToInvocationStartLatency'
  /** From the event's ingestion to the end of its first attempt on a target, whatever its outcome. */
  | 'IngestionToInvocationCompleteLatency'
  /** From the event's ingestion to its successful delivery to a target. */
  | 'IngestionToInvocationSuccessLatency';

export interface RuleObservation {
  rule: RuleKey;
  name: RuleObservationName;
  value: number;
}

/** One PutEvents call, as it ended. */
export interface PutEventsCall {
  accountId: string;
  /** False when the call was refused as a whole (no entry was taken). */
  ok: boolean;
  /** Entries in the request, when it had a list of them. */
  entries?: number | undefined;
  /** Entries refused one by one in a call that succeeded. */
  failedEntries?: number | undefined;
  /** Total size of the entries by AWS's PutEvents entry-size formula, when it was computed. */
  requestBytes?: number | undefined;
  /** Wall time of the call in the service, in milliseconds. */
  millis: number;
}

/**
 * What happens on event buses, reported after the write that makes each outcome durable (a routing
 * commit, a delivery's completion or retry), never before: the feed of the per-rule Prometheus counters
 * and of CloudWatch's AWS/Events metrics. Listeners must be cheap and must not throw: they run on the
 * request path.
 */
export interface EventActivity {
  /** What one committed step of routing or delivery did, per rule. */
  observed(observations: readonly RuleObservation[]): void;
  /** `events` events put on a bus matched at least one of its rules. */
  busMatched(accountId: string, busName: string, events: number): void;
  /** A PutEvents call ended. */
  putEvents(call: PutEventsCall): void;
}

/** Reports to every listener, in order. */
export class EventActivityFanOut implements EventActivity {
  private readonly listeners: EventActivity[] = [];

  add(listener: EventActivity): void {
    this.listeners.push(listener);
  }

  observed(observations: readonly RuleObservation[]): void {
    for (const l of this.listeners) l.observed(observations);
  }

  busMatched(accountId: string, busName: string, events: number): void {
    for (const l of this.listeners) l.busMatched(accountId, busName, events);
  }

  putEvents(call: PutEventsCall): void {
    for (const l of this.listeners) l.putEvents(call);
  }
}
