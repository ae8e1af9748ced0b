import { z } from 'zod';
import type { QueueService } from '../services/queue-service.js';
import type { RequestContext } from '../services/sqs-api.js';
import { type ExtensionAction, extensionAction, handleExtensionJson } from './extension-json.js';
import type { WireResponse } from './wire.js';

/**
 * The SwitchyardFailures API, a Switchyard extension (no AWS service has it): consumers (switchyard/client's
 * `SwitchyardFailureLog`) record why their handler failed on a message, for the console to show beside the message.
 * AWS JSON 1.0 dispatched by `X-Amz-Target: SwitchyardFailures.<Action>`, errors rendered like SQS's JSON errors
 * (`queryCompatibleJsonError`). The schemas check types only; presence, counts and lengths are the service's.
 */
export const FAILURES_TARGET_PREFIX = 'SwitchyardFailures.';

const action = <I>(
  schema: z.ZodType<I>,
  call: (service: QueueService, ctx: RequestContext, input: I) => Promise<object>,
) => extensionAction(schema, call);

const entry = z.object({
  MessageId: z.string().optional(),
  ErrorCode: z.string().optional(),
  ErrorMessage: z.string().optional(),
});

const ACTIONS: Record<string, ExtensionAction<QueueService, RequestContext> | undefined> = {
  RecordFailures: action(
    z.object({ QueueUrl: z.string().optional(), Entries: z.array(entry).optional() }),
    (s, ctx, i) => s.recordMessageFailures(ctx, i),
  ),
};

export function handleFailuresJson(
  service: QueueService,
  ctx: RequestContext,
  target: string,
  body: Buffer,
): Promise<WireResponse> {
  return handleExtensionJson(
    { prefix: FAILURES_TARGET_PREFIX, service: 'failures', actions: ACTIONS },
    service,
    ctx,
    target,
    body,
  );
}
