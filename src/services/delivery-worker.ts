import { actionHistory } from '../core/alarm-messages.js';
import type { Clock } from '../core/clock.js';
import { type DeliveryFailure, decideAfterFailure, httpFailure } from '../core/delivery-retry.js';
import type { Limits } from '../core/limits.js';
import type { DeliveryRecord, NewTraceStep, Store, TraceStepName } from '../store/types.js';
import { BackgroundLoop } from './background-loop.js';
import type { RuleKey } from './event-activity.js';
import { classifyTarget, type EventRouter, MAX_BUS_HOPS, parseRuleArn, RoutingPlan } from './event-router.js';

export interface DeliveryWorkerOptions {
  store: Store;
  clock: Clock;
  router: EventRouter;
  limits: Limits;
  /** Source of jitter, replaceable in tests. @defaultValue Math.random */
  random?: () => number;
  /** How often due deliveries are looked for when nothing signals new ones. @defaultValue 250 */
  pollMs?: number;
  /** Deliveries attempted at once. @defaultValue 16 */
  concurrency?: number;
}

/** The id of a delivery's event (its JSON text), for its trace steps and dead-letter message. */
function eventIdOf(event: string): string | undefined {
  try {
    const id = (JSON.parse(event) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The outbox worker: delivers what PutEvents left for later (HTTP targets, other buses), retries with the
 * target's RetryPolicy, and when a delivery fails for good writes the event to the target's dead-letter
 * queue in the same transaction that removes it from the outbox.
 *
 * Guarantees: a bus target receives each event exactly once (routing on the next bus and completing the
 * delivery are one transaction). An HTTP target receives each event at least once: if the process dies
 * after the POST and before its completion is written, the POST is repeated when the lease runs out.
 */
export class DeliveryWorker {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly router: EventRouter;
  private readonly limits: Limits;
  private readonly random: () => number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly loop: BackgroundLoop;
  private stopping = false;
  private readonly inFlight = new Set<AbortController>();

  constructor(options: DeliveryWorkerOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.router = options.router;
    this.limits = options.limits;
    this.random = options.random ?? Math.random;
    this.pollMs = options.pollMs ?? 250;
    this.concurrency = options.concurrency ?? 16;
    this.loop = new BackgroundLoop(() => this.pass(), this.pollMs);
    this.router.onDeliveries(() => this.kick());
  }

  start(): void {
    this.stopping = false;
    this.loop.start();
  }

  /** Stops polling, aborts HTTP calls under way (they will be retried after a restart) and waits. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const controller of this.inFlight) controller.abort();
    await this.loop.stop();
  }

  /** Runs a pass now, or right after the one under way. */
  kick(): void {
    this.loop.kick();
  }

  /** Delivers what is due until nothing is; resolves when done (tests await it). */
  async pass(): Promise<void> {
    while (!this.stopping) {
      const now = this.clock.now();
      const lease = now + this.limits.httpTargetTimeoutMillis + 10_000;
      const due = await this.store.claimDueDeliveries(now, this.concurrency, lease);
      if (due.length === 0) return;
      await Promise.all(due.map((delivery) => this.deliver(delivery)));
    }
  }

  private async deliver(delivery: DeliveryRecord): Promise<void> {
    if (delivery.settings.alarm) return this.deliverAlarmAction(delivery, delivery.settings.alarm);
    const ctx = { accountId: delivery.accountId, region: delivery.region };
    const parsedRule = parseRuleArn(delivery.ruleArn);
    const rule: RuleKey = parsedRule ?? { accountId: delivery.accountId, busName: '', ruleName: delivery.ruleArn };
    const started = this.clock.now();
    let failure: DeliveryFailure | undefined;
    /** Whether the target was tried at all (an event that would loop is not sent). */
    let attempted = true;
    if (delivery.kind === 'bus') {
      const target = classifyTarget(delivery.targetArn, ctx);
      const hops = (delivery.settings.hops ?? 0) + 1;
      if (target.kind !== 'bus') {
        failure = { code: 'NO_RESOURCE', message: `Target ${delivery.targetArn} cannot be reached.`, retryable: false };
      } else if (hops > MAX_BUS_HOPS) {
        attempted = false;
        failure = {
          code: 'INVALID_PARAMETER',
          message: `The event has crossed ${MAX_BUS_HOPS} event buses already; it is not routed further.`,
          retryable: false,
        };
      } else {
        const plan = new RoutingPlan();
        plan.write.completeDelivery = delivery.id;
        const routed = {
          event: JSON.parse(delivery.payload) as { id: string },
          text: delivery.payload,
          ingestionTime: this.clock.now(),
        };
        // Before the steps of the next bus; should that bus be gone, this plan is dropped with it.
        this.trace(plan.write.trace, delivery, 'delivered', { attempt: delivery.attempts + 1 });
        if (await this.router.planBus(plan, ctx, target.name, [routed], { hops, via: 'bus-target' })) {
          plan.count(rule, 'Invocations');
          this.attempted(plan, delivery, rule, started, true);
          await this.router.commit(plan);
          return;
        }
        failure = { code: 'NO_RESOURCE', message: `Event bus ${target.name} does not exist.`, retryable: false };
      }
    } else {
      const posted = await this.post(delivery);
      failure = posted.failure;
      // Cut short by shutdown: the lease brings the delivery back after a restart, not counted as an attempt.
      if (this.stopping) return;
      if (!failure) {
        const plan = new RoutingPlan();
        plan.write.completeDelivery = delivery.id;
        plan.count(rule, 'Invocations');
        this.attempted(plan, delivery, rule, started, true);
        this.trace(plan.write.trace, delivery, 'delivered', { attempt: delivery.attempts + 1, status: posted.status });
        await this.router.commit(plan);
        return;
      }
    }
    await this.failed(delivery, rule, failure, attempted ? started : undefined);
  }

  /** The observations of one attempt, started at `started`, reported with the commit of `plan`. */
  private attempted(plan: RoutingPlan, delivery: DeliveryRecord, rule: RuleKey, started: number, ok: boolean): void {
    plan.count(rule, 'InvocationAttempts');
    if (delivery.attempts > 0) plan.count(rule, 'RetryInvocationAttempts');
    else {
      plan.latency(rule, 'IngestionToInvocationStartLatency', started - delivery.firstAt);
      plan.latencyToCommit(rule, delivery.firstAt, 'IngestionToInvocationCompleteLatency');
    }
    if (ok) {
      plan.count(rule, 'SuccessfulInvocationAttempts');
      plan.latencyToCommit(rule, delivery.firstAt, 'IngestionToInvocationSuccessLatency');
    }
  }

  /** After a failed attempt: the retry policy's decision, with a retry already scheduled in the store. */
  private async retryOrGiveUp(
    delivery: DeliveryRecord,
    failure: DeliveryFailure,
  ): Promise<ReturnType<typeof decideAfterFailure>> {
    const attempts = delivery.attempts + 1;
    const decision = decideAfterFailure({
      failure,
      attempts,
      firstAt: delivery.firstAt,
      now: this.clock.now(),
      policy: delivery.settings,
      backoff: { baseMs: this.limits.deliveryRetryBaseMillis, capMs: this.limits.deliveryRetryMaxDelayMillis },
      random: this.random(),
    });
    if (decision.kind === 'retry') {
      const trace: NewTraceStep[] = [];
      this.trace(trace, delivery, 'delivery-failed', {
        attempt: attempts,
        code: failure.code,
        message: failure.message,
        nextAttemptAt: decision.at,
      });
      await this.store.retryDelivery(delivery.id, {
        attempts,
        nextAt: decision.at,
        errorCode: failure.code,
        errorMessage: failure.message,
        ...(trace.length > 0 ? { trace } : {}),
      });
    }
    return decision;
  }

  /** Adds a trace step of the delivery's event to `steps` (unless tracing is off or this is an alarm's action). */
  private trace(
    steps: NewTraceStep[],
    delivery: DeliveryRecord,
    step: TraceStepName,
    detail: Record<string, unknown>,
  ): void {
    if (!this.router.tracing || delivery.settings.alarm) return;
    const eventId = eventIdOf(delivery.event);
    if (eventId === undefined) return;
    steps.push({
      accountId: delivery.accountId,
      eventId,
      at: this.clock.now(),
      step,
      detail: { targetArn: delivery.targetArn, ruleArn: delivery.ruleArn, ...detail },
    });
  }

  /** After a failed attempt (started at `started`; undefined when the target was not tried): retry or give up. */
  private async failed(
    delivery: DeliveryRecord,
    rule: RuleKey,
    failure: DeliveryFailure,
    started: number | undefined,
  ): Promise<void> {
    const decision = await this.retryOrGiveUp(delivery, failure);
    if (decision.kind === 'retry') {
      // Nothing more to write: the plan only reports the attempt.
      const plan = new RoutingPlan();
      if (started !== undefined) this.attempted(plan, delivery, rule, started, false);
      await this.router.commit(plan);
      return;
    }
    const plan = new RoutingPlan();
    plan.write.completeDelivery = delivery.id;
    if (started === undefined) plan.count(rule, 'DeadLetterInvocations');
    else {
      plan.count(rule, 'Invocations', 'FailedInvocations');
      this.attempted(plan, delivery, rule, started, false);
      this.trace(plan.write.trace, delivery, 'delivery-failed', {
        attempt: delivery.attempts + 1,
        code: failure.code,
        message: failure.message,
      });
    }
    const deadLettered = await this.router.planDeadLetter(plan, delivery, rule, {
      ruleArn: delivery.ruleArn,
      targetArn: delivery.targetArn,
      event: delivery.event,
      eventId: eventIdOf(delivery.event),
      deadLetterArn: delivery.settings.deadLetterArn,
      failure,
      retryAttempts: delivery.attempts,
      exhausted: decision.exhausted,
    });
    const why = { code: failure.code, message: failure.message, exhausted: decision.exhausted };
    if (deadLettered) {
      this.trace(plan.write.trace, delivery, 'target-dead-lettered', {
        dlq: deadLettered.queue,
        messageId: deadLettered.messageId,
        ...why,
      });
    } else {
      this.trace(plan.write.trace, delivery, 'dropped', { deadLetterArn: delivery.settings.deadLetterArn, ...why });
    }
    await this.router.commit(plan);
  }

  /**
   * A CloudWatch alarm's HTTP action: the same POST and retry schedule as a rule's HTTP target, but no rule to
   * count and no dead-letter queue; its outcome, once known (taken, or failed for good), is an Action item of the
   * alarm's history, written with the completion of the delivery.
   */
  private async deliverAlarmAction(
    delivery: DeliveryRecord,
    alarm: { name: string; stateUpdatedAt: number },
  ): Promise<void> {
    const { failure } = await this.post(delivery);
    if (this.stopping) return;
    if (failure && (await this.retryOrGiveUp(delivery, failure)).kind === 'retry') return;
    const now = this.clock.now();
    const plan = new RoutingPlan();
    plan.write.completeDelivery = delivery.id;
    const item = actionHistory(delivery.targetArn, alarm.stateUpdatedAt, { error: failure?.message });
    plan.write.alarmHistory = [
      { accountId: delivery.accountId, alarmName: alarm.name, timestamp: now, type: 'Action', ...item },
    ];
    await this.router.commit(plan);
  }

  /** One POST of the payload: the failure, none when the target took it, and the HTTP status when there was one. */
  private async post(delivery: DeliveryRecord): Promise<{ failure?: DeliveryFailure | undefined; status?: number }> {
    const url = new URL(delivery.targetArn);
    for (const [key, value] of Object.entries(delivery.settings.query ?? {})) url.searchParams.set(key, value);
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(new Error('timeout')), this.limits.httpTargetTimeoutMillis);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Amazon/EventBridge/ApiDestinations',
          ...delivery.settings.headers,
        },
        body: delivery.payload,
        signal: controller.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      return { failure: httpFailure(response.status), status: response.status };
    } catch (error) {
      if (controller.signal.aborted) {
        return {
          failure: {
            code: 'TIMEOUT',
            message: `The target did not answer within ${this.limits.httpTargetTimeoutMillis} ms.`,
            retryable: true,
          },
        };
      }
      const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
      return {
        failure: { code: 'CONNECTION_FAILURE', message: `Could not reach the target: ${reason}`, retryable: true },
      };
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
  }
}
