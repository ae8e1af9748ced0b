import { randomUUID } from 'node:crypto';
import { AwsError } from '../core/errors.js';
import { compileEventPattern, InvalidEventPatternError, matchesEvent } from '../core/event-pattern/index.js';
import type { RuleRecord, Store, TargetRecord } from '../store/types.js';
import {
  type AccountContext,
  allRules,
  classifyTarget,
  eventTime,
  type RoutableEvent,
  ruleArn,
  targetPayload,
} from './event-router.js';
import { validation } from './events-validation.js';

/** Largest event the tester takes: PutEvents' own limit for a whole request. */
const MAX_TEST_EVENT_BYTES = 256 * 1024;

export interface RuleTestTarget {
  id: string;
  arn: string;
  kind: 'queue' | 'bus' | 'http' | 'other';
  payload?: string;
  error?: string;
}

export interface RuleTestOutcome {
  event: Record<string, unknown>;
  matches: { rule: string; state: string; targets: RuleTestTarget[] }[];
  unmatched: string[];
}

/**
 * The event an operator pasted, as a bus would route it: the envelope fields EventBridge sets are filled in
 * where left out, and `source`, `detail-type` and an object `detail` are required, as PutEvents requires them.
 */
export function testEnvelope(ctx: AccountContext, text: string, now: number): RoutableEvent {
  if (Buffer.byteLength(text, 'utf8') > MAX_TEST_EVENT_BYTES) {
    throw validation(`The event is larger than ${MAX_TEST_EVENT_BYTES} bytes.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw validation(`The event is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw validation('The event must be a JSON object.');
  }
  const given = parsed as Record<string, unknown>;
  for (const field of ['source', 'detail-type'] as const) {
    if (typeof given[field] !== 'string' || given[field] === '') {
      throw validation(`The event needs "${field}", a non-empty string.`);
    }
  }
  const detail = given.detail;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    throw validation('The event needs "detail", a JSON object.');
  }
  const event = {
    version: '0',
    id: randomUUID(),
    account: ctx.accountId,
    time: eventTime(now),
    region: ctx.region,
    resources: [],
    ...given,
  } as RoutableEvent['event'];
  return { event, text: JSON.stringify(event), ingestionTime: now };
}

/**
 * Which rules of a bus match an event and what each of their targets would receive: the same matcher and the
 * same payload rules (Input, InputPath, InputTransformer) as routing, without sending anything. Disabled rules
 * are tested too, and reported with their state, so that an operator sees what enabling one would do.
 */
export async function testRules(
  store: Store,
  ctx: AccountContext,
  busName: string,
  routed: RoutableEvent,
): Promise<RuleTestOutcome> {
  const rules = await allRules(store, ctx.accountId, busName);
  const outcome: RuleTestOutcome = { event: routed.event, matches: [], unmatched: [] };
  for (const rule of rules) {
    if (rule.eventPattern === undefined) continue;
    let matched: boolean;
    try {
      matched = matchesEvent(compileEventPattern(rule.eventPattern), routed.text);
    } catch (error) {
      // A stored pattern compiled when it was put; one that no longer does is a server fault, not bad input.
      if (error instanceof InvalidEventPatternError) {
        throw new AwsError('InternalFailure', `Rule ${rule.name} has a pattern that does not compile.`);
      }
      throw error;
    }
    if (!matched) {
      outcome.unmatched.push(rule.name);
      continue;
    }
    const targets = await store.listTargets(ctx.accountId, busName, rule.name, { limit: 100 });
    outcome.matches.push({
      rule: rule.name,
      state: rule.state,
      targets: targets.map((target) => testTarget(ctx, rule, target, routed)),
    });
  }
  return outcome;
}

function testTarget(
  ctx: AccountContext,
  rule: RuleRecord,
  target: TargetRecord,
  routed: RoutableEvent,
): RuleTestTarget {
  const kind = classifyTarget(target.arn, ctx).kind;
  const shown = kind === 'sqs' ? 'queue' : kind === 'unsupported' ? 'other' : kind;
  // A bus target is sent the event itself, whatever the target's input settings say (as routing does).
  if (kind === 'bus') return { id: target.id, arn: target.arn, kind: shown, payload: routed.text };
  const payload = targetPayload(target.settings, routed, {
    ruleArn: ruleArn(ctx, rule.busName, rule.name),
    ruleName: rule.name,
    ingestionTime: routed.ingestionTime,
  });
  return 'error' in payload
    ? { id: target.id, arn: target.arn, kind: shown, error: payload.error }
    : { id: target.id, arn: target.arn, kind: shown, payload: payload.body };
}
