import type { Clock } from '../core/clock.js';
import { newEventId } from '../core/event-id.js';
import { nextFireTime, parseScheduleExpression, type Schedule } from '../core/schedule.js';
import type { RuleRecord, RuleSchedule, Store } from '../store/types.js';
import { BackgroundLoop } from './background-loop.js';
import { type EventRouter, eventTime, RoutingPlan, ruleArn } from './event-router.js';

/**
 * Fires scheduled rules (`rate(...)`, `cron(...)`, UTC): at each fire time the rule's targets get the event
 * EventBridge sends for schedules (source `aws.events`, detail-type `Scheduled Event`, the rule's ARN in
 * `resources`, an empty `detail`). The delivery and the rule's next fire time are written in one
 * transaction, so a restart neither repeats a fire nor loses one that was due; fires missed while the
 * server was down are not made up, one fire stands for them all.
 *
 * A rate counts from when the rule was last created, changed or enabled: `rate(5 minutes)` fires five
 * minutes after PutRule, then every five minutes.
 */
export class ScheduleWorker {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly router: EventRouter;
  private readonly region: string;
  private readonly parsed = new Map<string, Schedule>();
  private readonly loop: BackgroundLoop;

  constructor(options: { store: Store; clock: Clock; router: EventRouter; region: string; tickMs?: number }) {
    this.store = options.store;
    this.clock = options.clock;
    this.router = options.router;
    this.region = options.region;
    this.loop = new BackgroundLoop(() => this.step(), options.tickMs ?? 1000);
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private schedule(expression: string): Schedule | undefined {
    let schedule = this.parsed.get(expression);
    if (!schedule) {
      try {
        schedule = parseScheduleExpression(expression);
      } catch {
        return undefined; // PutRule validated it; an older, looser check may have let it in
      }
      this.parsed.set(expression, schedule);
    }
    return schedule;
  }

  /** Fires the rules that are due and sets up the clocks of new or changed ones. */
  async step(): Promise<void> {
    const now = this.clock.now();
    for (const { rule, schedule: stored } of await this.store.scheduledRules()) {
      const expression = rule.scheduleExpression;
      const schedule = expression !== undefined ? this.schedule(expression) : undefined;
      if (expression === undefined || !schedule) continue;
      const anchor = rule.lastModifiedAt;
      if (!stored || stored.expression !== expression || stored.anchor !== anchor) {
        await this.store.routeEvents({
          batches: [],
          schedule: this.key(rule, { expression, anchor, nextFireAt: nextFireTime(schedule, now, anchor) ?? null }),
        });
        continue;
      }
      if (stored.nextFireAt === null || stored.nextFireAt > now) continue;
      await this.fire(rule, stored.nextFireAt, {
        expression,
        anchor,
        nextFireAt: nextFireTime(schedule, now, anchor) ?? null,
      });
    }
  }

  private key(rule: RuleRecord, state: RuleSchedule) {
    return { accountId: rule.accountId, busName: rule.busName, ruleName: rule.name, state };
  }

  private async fire(rule: RuleRecord, at: number, next: RuleSchedule): Promise<void> {
    const ctx = { accountId: rule.accountId, region: this.region };
    const event = {
      version: '0',
      id: newEventId(at),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: rule.accountId,
      time: eventTime(at),
      region: this.region,
      resources: [ruleArn(ctx, rule.busName, rule.name)],
      detail: {},
    };
    const plan = new RoutingPlan();
    await this.router.planRule(plan, ctx, rule, { event, text: JSON.stringify(event), ingestionTime: at });
    plan.write.schedule = this.key(rule, next);
    await this.router.commit(plan);
  }
}
