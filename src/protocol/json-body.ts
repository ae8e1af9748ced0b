import { AwsError } from '../core/errors.js';

/** The body of an AWS JSON (1.0 or 1.1) request: a JSON object, `{}` when empty. */
export function parseJsonObjectBody(body: Buffer): Record<string, unknown> {
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
  return input as Record<string, unknown>;
}
