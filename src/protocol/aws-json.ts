import type { AwsError } from '../core/errors.js';
import type { RequestContext } from '../services/sqs-api.js';
import { parseJsonObjectBody } from './json-body.js';
import { runSqsAction, type SqsServices } from './sqs-actions.js';
import type { WireResponse } from './wire.js';

export const SQS_JSON_TARGET_PREFIX = 'AmazonSQS.';

/**
 * AWS JSON 1.0 for SQS, query-compatible: errors carry `__type` and the legacy code in
 * `x-amzn-query-error`, which current SDKs map back to the modelled exception.
 */
export async function handleSqsJson(
  services: SqsServices,
  ctx: RequestContext,
  target: string,
  body: Buffer,
  path: string,
): Promise<WireResponse> {
  const action = target.slice(SQS_JSON_TARGET_PREFIX.length);
  const record = parseJsonObjectBody(body);
  // Requests posted to a queue's own URL name their queue by the path.
  if (record.QueueUrl === undefined && path.split('/').filter(Boolean).length >= 2) record.QueueUrl = path;
  const output = await runSqsAction(services, ctx, action, record);
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(output),
  };
}

/** An error as AWS JSON 1.0 query-compatible services (SQS, CloudWatch) answer it. */
export function queryCompatibleJsonError(error: AwsError): WireResponse {
  const { spec } = error;
  return {
    status: spec.status,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': `${spec.queryCode};${spec.fault}`,
    },
    body: JSON.stringify({ __type: `${spec.namespace}#${spec.shape}`, message: error.message }),
  };
}
