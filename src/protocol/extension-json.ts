import type { z } from 'zod';
import { AwsError } from '../core/errors.js';
import type { RequestLog } from '../services/sqs-api.js';
import { parseJsonObjectBody } from './json-body.js';
import { noteResource } from './request-resource.js';
import type { WireResponse } from './wire.js';

/**
 * What Switchyard's own AWS JSON 1.0 APIs (SwitchyardIdempotency, SwitchyardFailures) share: an action table of zod
 * schemas that check types only (presence, counts and lengths are the service's), `Validation` for a body of the
 * wrong shape, `UnknownOperation` for an action not in the table.
 */
export interface ExtensionAction<S, C> {
  schema: z.ZodType;
  call: (service: S, ctx: C, input: never) => Promise<object>;
}

export const extensionAction = <S, C, I>(
  schema: z.ZodType<I>,
  call: (service: S, ctx: C, input: I) => Promise<object>,
): ExtensionAction<S, C> => ({ schema, call: call as ExtensionAction<S, C>['call'] });

export async function handleExtensionJson<S, C extends { log?: RequestLog | undefined }>(
  api: {
    prefix: string;
    service: 'idempotency' | 'failures';
    actions: Record<string, ExtensionAction<S, C> | undefined>;
  },
  service: S,
  ctx: C,
  target: string,
  body: Buffer,
): Promise<WireResponse> {
  const name = target.slice(api.prefix.length);
  const spec = api.actions[name];
  if (!spec) throw new AwsError('UnknownOperation', `The action ${name} is not valid for this endpoint.`);
  const input = parseJsonObjectBody(body);
  noteResource(ctx, api.service, name, input);
  const parsed = spec.schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the request';
    throw new AwsError('Validation', `Invalid type for ${where}: ${issue?.message ?? 'malformed input'}.`);
  }
  const output = await spec.call(service, ctx, parsed.data as never);
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(output) };
}
