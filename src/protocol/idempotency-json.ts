import { z } from 'zod';
import type { IdempotencyContext, IdempotencyService } from '../services/idempotency-service.js';
import type { RequestLog } from '../services/sqs-api.js';
import { type ExtensionAction, extensionAction, handleExtensionJson } from './extension-json.js';
import type { WireResponse } from './wire.js';

/**
 * The SwitchyardIdempotency API, a Switchyard extension (no AWS service has it): AWS JSON 1.0 dispatched by
 * `X-Amz-Target: SwitchyardIdempotency.<Action>`, errors rendered like SQS's and CloudWatch's JSON errors
 * (`queryCompatibleJsonError`). The schemas check types only; counts, lengths and ranges are the service's.
 */
export const IDEMPOTENCY_TARGET_PREFIX = 'SwitchyardIdempotency.';

const keys = z.array(z.string()).optional();

const action = <I>(
  schema: z.ZodType<I>,
  call: (service: IdempotencyService, ctx: IdempotencyContext, input: I) => Promise<object>,
) => extensionAction(schema, call);

const ACTIONS: Record<string, ExtensionAction<IdempotencyService, IdempotencyContext> | undefined> = {
  CheckKeys: action(z.object({ Keys: keys }), (s, ctx, i) => s.checkKeys(ctx, i)),
  PutKeys: action(z.object({ Keys: keys, TtlSeconds: z.number().optional() }), (s, ctx, i) => s.putKeys(ctx, i)),
  DeleteKeys: action(z.object({ Keys: keys }), (s, ctx, i) => s.deleteKeys(ctx, i)),
};

export function handleIdempotencyJson(
  service: IdempotencyService,
  ctx: IdempotencyContext & { log?: RequestLog | undefined },
  target: string,
  body: Buffer,
): Promise<WireResponse> {
  return handleExtensionJson(
    { prefix: IDEMPOTENCY_TARGET_PREFIX, service: 'idempotency', actions: ACTIONS },
    service,
    ctx,
    target,
    body,
  );
}
