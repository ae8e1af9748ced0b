import { z } from 'zod';
import { AwsError } from '../core/errors.js';
import type { IdempotencyContext, IdempotencyService } from '../services/idempotency-service.js';
import type { RequestLog } from '../services/sqs-api.js';
import { parseJsonObjectBody } from './json-body.js';
import { noteResource } from './request-resource.js';
import type { WireResponse } from './wire.js';

/**
 * The SwitchyardIdempotency API, a Switchyard extension (no AWS service has it): AWS JSON 1.0 dispatched by
 * `X-Amz-Target: SwitchyardIdempotency.<Action>`, errors rendered like SQS's and CloudWatch's JSON errors
 * (`queryCompatibleJsonError`). The schemas check types only; counts, lengths and ranges are the service's.
 */
export const IDEMPOTENCY_TARGET_PREFIX = 'SwitchyardIdempotency.';

const keys = z.array(z.string()).optional();

interface IdempotencyAction {
  schema: z.ZodType;
  call: (service: IdempotencyService, ctx: IdempotencyContext, input: never) => Promise<object>;
}

const action = <I>(
  schema: z.ZodType<I>,
  call: (service: IdempotencyService, ctx: IdempotencyContext, input: I) => Promise<object>,
): IdempotencyAction => ({ schema, call: call as IdempotencyAction['call'] });

const ACTIONS: Record<string, IdempotencyAction | undefined> = {
  CheckKeys: action(z.object({ Keys: keys }), (s, ctx, i) => s.checkKeys(ctx, i)),
  PutKeys: action(z.object({ Keys: keys, TtlSeconds: z.number().optional() }), (s, ctx, i) => s.putKeys(ctx, i)),
  DeleteKeys: action(z.object({ Keys: keys }), (s, ctx, i) => s.deleteKeys(ctx, i)),
};

export async function handleIdempotencyJson(
  service: IdempotencyService,
  ctx: IdempotencyContext & { log?: RequestLog | undefined },
  target: string,
  body: Buffer,
): Promise<WireResponse> {
  const name = target.slice(IDEMPOTENCY_TARGET_PREFIX.length);
  const spec = ACTIONS[name];
  if (!spec) throw new AwsError('UnknownOperation', `The action ${name} is not valid for this endpoint.`);
  const input = parseJsonObjectBody(body);
  noteResource(ctx, 'idempotency', name, input);
  const parsed = spec.schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the request';
    throw new AwsError('Validation', `Invalid type for ${where}: ${issue?.message ?? 'malformed input'}.`);
  }
  const output = await spec.call(service, ctx, parsed.data as never);
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(output) };
}
