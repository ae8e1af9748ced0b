import type { MetricsContext } from '../services/metrics-service.js';
import { type CloudWatchServices, runCloudWatchAction } from './cloudwatch-actions.js';
import { parseJsonObjectBody } from './json-body.js';
import type { WireResponse } from './wire.js';

/** CloudWatch's AWS JSON 1.0 target prefix (the service's historical name). */
export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801.';

/**
 * AWS JSON 1.0 for CloudWatch, query-compatible like SQS's: errors are rendered by the shared
 * query-compatible JSON error renderer, timestamps travel as epoch seconds.
 */
export async function handleCloudWatchJson(
  services: CloudWatchServices,
  ctx: MetricsContext,
  target: string,
  body: Buffer,
): Promise<WireResponse> {
  const output = await runCloudWatchAction(
    services,
    ctx,
    target.slice(CLOUDWATCH_TARGET_PREFIX.length),
    parseJsonObjectBody(body),
  );
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(output) };
}
