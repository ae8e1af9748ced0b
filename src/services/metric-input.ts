import { AwsError } from '../core/errors.js';

/**
 * Checks of CloudWatch request members shared by the metric and alarm actions, with CloudWatch's error codes.
 */

export interface Dimension {
  Name: string;
  Value: string;
}

/** A metric as requests name it. */
export interface MetricRef {
  namespace: string;
  name: string;
  dimensions: readonly Dimension[];
}

export const invalid = (message: string) => new AwsError('CloudWatchInvalidParameterValue', message);
/** A rule the model cannot express (ValidationError). */
export const validation = (message: string) => new AwsError('CloudWatchValidation', message);
export const missing = (name: string) =>
  new AwsError('CloudWatchMissingParameter', `The parameter ${name} is required.`);

/** Dimensions as the series key stores them: sorted by name. */
export function canonicalDimensions(dimensions: readonly Dimension[] = []): string {
  const sorted = [...dimensions].map((d) => ({ Name: d.Name, Value: d.Value }));
  sorted.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return JSON.stringify(sorted);
}

export function checkDimensions(dimensions: readonly Dimension[] | undefined, where: string): void {
  if (!dimensions) return;
  if (dimensions.length > 30) throw invalid(`${where}: at most 30 dimensions are allowed.`);
  const names = new Set<string>();
  for (const d of dimensions) {
    if (typeof d.Name !== 'string' || d.Name.length < 1 || d.Name.length > 255) {
      throw invalid(`${where}: a dimension name must be 1 to 255 characters long.`);
    }
    if (typeof d.Value !== 'string' || d.Value.length < 1 || d.Value.length > 1024) {
      throw invalid(`${where}: the value of dimension ${d.Name} must be 1 to 1024 characters long.`);
    }
    if (names.has(d.Name)) throw invalid(`${where}: dimension ${d.Name} is given twice.`);
    names.add(d.Name);
  }
}

/** Characters XML 1.0 cannot carry, which CloudWatch's names may not hold (the metrics service keys on their absence). */
const NOT_XML_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

export function hasInvalidCharacters(text: string): boolean {
  return NOT_XML_CHARACTERS.test(text);
}

export function checkNamespace(namespace: string | undefined, where = 'Namespace'): string {
  if (namespace === undefined || namespace === '') throw missing(where);
  if (namespace.length > 255 || namespace.startsWith(':') || hasInvalidCharacters(namespace)) {
    throw invalid(`The value ${namespace} for parameter ${where} is not valid.`);
  }
  return namespace;
}

/** Periods below a minute that high-resolution data may be read at (GetMetricData and alarms add 20). */
export function isValidPeriod(period: number, subMinute: readonly number[]): boolean {
  return Number.isInteger(period) && period > 0 && (period % 60 === 0 || subMinute.includes(period));
}

/** A NextToken of ours: base64url JSON, checked for the fields the caller needs. */
export function encodeToken(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeToken<T>(token: string, check: (value: Record<string, unknown>) => boolean): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && check(value as Record<string, unknown>)) return value as T;
  } catch {
    // Falls through to the error below.
  }
  throw new AwsError('CloudWatchInvalidNextToken', 'The NextToken is not valid.');
}
