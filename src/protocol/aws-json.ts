import { AwsError } from '../core/errors.js';
import type { RequestContext } from '../services/sqs-api.js';
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
  let input: unknown = {};
  if (body.length > 0) {
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AwsError('SerializationException', 'The request body is not valid JSON.');
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  // Requests posted to a queue's own URL name their queue by the path.
  const record = input as Record<string, unknown>;
  if (record.QueueUrl === undefined && path.split('/').filter(Boolean).length >= 2) record.QueueUrl = path;
  const output = await runSqsAction(services, ctx, action, record);
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify(output),
  };
}

export function sqsJsonError(error: AwsError): WireResponse {
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
