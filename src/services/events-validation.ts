import { AwsError } from '../core/errors.js';

/** Input checks shared by the EventBridge services, with AWS's ValidationException texts. */

export const validation = (message: string) => new AwsError('EventsValidation', message);

export function required<T>(value: T | undefined | null, name: string): T {
  if (value === undefined || value === null || value === '') {
    throw validation(
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function maxLength(value: string | undefined, max: number, name: string): void {
  if (value !== undefined && value.length > max) {
    throw validation(
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
}

export const encodeToken = (name: string) => Buffer.from(JSON.stringify({ after: name })).toString('base64');
export function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw validation('The NextToken is not valid.');
}

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw validation(
      `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  }
  return limit;
}
