import type { AwsError } from '../core/errors.js';
import type { RequestContext } from '../services/sqs-api.js';
import { type EventsServices, runEventsAction } from './events-actions.js';
import { parseJsonObjectBody } from './json-body.js';
import type { WireResponse } from './wire.js';

export const EVENTS_TARGET_PREFIX = 'AWSEvents.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** AWS JSON 1.1 for EventBridge: no query compatibility, errors carry the bare shape name in `__type`. */
export async function handleEventsJson(
  services: EventsServices,
  ctx: RequestContext,
  target: string,
  body: Buffer,
): Promise<WireResponse> {
  const action = target.slice(EVENTS_TARGET_PREFIX.length);
  const input = parseJsonObjectBody(body);
  const output = await runEventsAction(services, ctx, action, input);
  return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(output) };
}

export function eventsJsonError(error: AwsError): WireResponse {
  return {
    status: error.spec.status,
    headers: { 'content-type': CONTENT_TYPE },
    body: JSON.stringify({ __type: error.spec.shape, message: error.message }),
  };
}
