import { AwsError, invalidParameter, missingParameter } from '../core/errors.js';
import type { WireResponse } from './wire.js';
import { element, textElement } from './xml.js';

/**
 * What every AWS Query adapter shares (SQS's and CloudWatch's): shape tables for the flattened form and the
 * XML answer, the decoder from form to the input objects the JSON adapters pass to the services, the encoder
 * from output objects to XML, and the response and error envelopes. Timestamps are epoch seconds on the
 * service side, as with the JSON protocols, and ISO 8601 on the wire.
 */

// ---- request shapes --------------------------------------------------------------------------------

/** How a member is spelled in the form. */
export type InShape =
  | { kind: 'string' | 'integer' | 'double' | 'boolean' | 'timestamp' }
  /**
   * `Loc.N` (flattened, SQS) or `Loc.{member}.N` (CloudWatch's `Loc.member.N`), each item decoded as `of`.
   * A bare `Loc=` is an empty list (botocore sends one for `[]`).
   */
  | { kind: 'list'; of: InShape; member?: string }
  /** `Loc.N.{key}` / `Loc.N.{value}` pairs (flattened, as SQS's maps are), the value decoded as `of`. */
  | { kind: 'map'; key: string; value: string; of: InShape }
  | { kind: 'structure'; members: InMembers };

/** A member and the name it has on the wire, when that differs from the member name. */
export interface Located {
  kind: 'at';
  wire: string;
  shape: InShape;
}
export type InMembers = Record<string, InShape | Located>;

/** Builders of request shapes. */
export const inShapes = {
  string: { kind: 'string' } as InShape,
  integer: { kind: 'integer' } as InShape,
  double: { kind: 'double' } as InShape,
  boolean: { kind: 'boolean' } as InShape,
  timestamp: { kind: 'timestamp' } as InShape,
  list: (of: InShape, member?: string): InShape => ({ kind: 'list', of, member }),
  map: (key: string, value: string, of: InShape): InShape => ({ kind: 'map', key, value, of }),
  struct: (members: InMembers): InShape => ({ kind: 'structure', members }),
  at: (wire: string, shape: InShape): Located => ({ kind: 'at', wire, shape }),
};

// ---- response shapes -------------------------------------------------------------------------------

export type OutShape =
  /** Strings, numbers and booleans as their text. */
  | { kind: 'scalar' }
  /** Epoch seconds written as ISO 8601. */
  | { kind: 'timestamp' }
  /** One `<item>` per element: in a `<Name>` container when `wrapped`, else flattened in place of `<Name>`. */
  | { kind: 'list'; item: string; of: OutShape; wrapped: boolean }
  /** One `<item><key/><value/></item>` per entry, in a `<Name>` container when `wrapped`. */
  | { kind: 'map'; item: string; key: string; value: string; of: OutShape; wrapped: boolean }
  | { kind: 'structure'; members: OutMembers };
/**
 * Members in the order they are written. Members missing here but present as plain values (strings, numbers,
 * booleans) are written after them, as scalars: a table need only name the members that are not scalars.
 */
export type OutMembers = Record<string, OutShape>;

const outScalar: OutShape = { kind: 'scalar' };

/** Builders of response shapes. */
export const outShapes = {
  scalar: outScalar,
  timestamp: { kind: 'timestamp' } as OutShape,
  list: (item: string, of: OutShape, wrapped = false): OutShape => ({ kind: 'list', item, of, wrapped }),
  map: (item: string, key: string, value: string, of: OutShape, wrapped = false): OutShape => ({
    kind: 'map',
    item,
    key,
    value,
    of,
    wrapped,
  }),
  struct: (members: OutMembers): OutShape => ({ kind: 'structure', members }),
};

/** One Query action: how its form is decoded, and the members of `<{Action}Result>` (none: no Result at all). */
export interface QueryAction {
  input: InMembers;
  output?: OutMembers;
}

// ---- decoding --------------------------------------------------------------------------------------

/** The errors a malformed form gets; each service's Query adapter names its own codes. */
export interface QueryErrors {
  invalid(parameter: string, value: string, reason: string): AwsError;
  missing(parameter: string): AwsError;
}

export const COMMON_QUERY_ERRORS: QueryErrors = { invalid: invalidParameter, missing: missingParameter };

/** The form as a tree of its dotted keys: `A.1.Name=x` is root → A → 1 → Name = x. */
export interface FormNode {
  value?: string;
  children?: Map<string, FormNode>;
}

export function formTree(params: URLSearchParams): FormNode {
  const root: FormNode = {};
  for (const [key, value] of params) {
    let node = root;
    for (const part of key.split('.')) {
      node.children ??= new Map();
      let next = node.children.get(part);
      if (!next) {
        next = {};
        node.children.set(part, next);
      }
      node = next;
    }
    node.value = value; // a repeated key: the last one wins
  }
  return root;
}

/** The action the form names, and its entry in `actions`; InvalidAction when there is none. */
export function formAction(form: FormNode, actions: ReadonlyMap<string, QueryAction>): [string, QueryAction] {
  const action = form.children?.get('Action')?.value;
  if (action === undefined || action === '') {
    throw new AwsError('InvalidAction', 'The request must contain the parameter Action.');
  }
  const spec = actions.get(action);
  if (!spec) throw new AwsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
  return [action, spec];
}

/** The numbered children of a node (`.1`, `.2`, …) in numeric order. */
function numbered(node: FormNode | undefined): [string, FormNode][] {
  return [...(node?.children ?? [])].filter(([key]) => /^\d+$/.test(key)).sort(([a], [b]) => Number(a) - Number(b));
}

const join = (where: string, name: string) => (where === '' ? name : `${where}.${name}`);

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Non-finite doubles as Python (botocore), Java and JavaScript spell them; the services decide whether they fit. */
const NON_FINITE: Record<string, number> = { nan: Number.NaN, inf: Infinity, infinity: Infinity };
/** ISO 8601 date and time; no zone means UTC. */
const ISO_8601 = /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?)?([Zz]|[+-]\d\d:?\d\d)?$/;

function parseScalar(
  kind: 'integer' | 'double' | 'boolean' | 'timestamp',
  text: string,
  where: string,
  errors: QueryErrors,
) {
  switch (kind) {
    case 'integer': {
      if (!/^[+-]?\d+$/.test(text)) throw errors.invalid(where, text, 'Must be an integer.');
      const value = Number(text);
      if (!Number.isSafeInteger(value)) throw errors.invalid(where, text, 'The value is out of range.');
      return value;
    }
    case 'double': {
      if (DECIMAL.test(text)) return Number(text);
      const sign = text.startsWith('-') ? -1 : 1;
      const special = NON_FINITE[text.replace(/^[+-]/, '').toLowerCase()];
      if (special === undefined) throw errors.invalid(where, text, 'Must be a number.');
      return sign * special;
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw errors.invalid(where, text, 'Must be true or false.');
      return lower === 'true';
    }
    case 'timestamp':
      return parseIso8601(text, where, errors);
  }
}

/** ISO 8601 text as epoch seconds (fractions kept). */
function parseIso8601(text: string, where: string, errors: QueryErrors): number {
  const m = ISO_8601.exec(text);
  const bad = () => errors.invalid(where, text, 'Must be a date and time in ISO 8601 format.');
  if (!m) throw bad();
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const date = new Date(ms);
  // Date.UTC rolls over (February 30th is March 2nd) and reads years below 100 as 19xx: a date that does not
  // round-trip does not exist (or is not worth reading).
  if (
    Number.isNaN(ms) ||
    date.getUTCFullYear() !== Number(y) ||
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d) ||
    date.getUTCHours() !== Number(h) ||
    date.getUTCMinutes() !== Number(mi) ||
    date.getUTCSeconds() !== Number(s)
  ) {
    throw bad();
  }
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  return ms / 1000 - offsetMinutes * 60 + (fraction === '' ? 0 : Number(`0${fraction}`));
}

export function decodeMembers(
  members: InMembers,
  node: FormNode | undefined,
  where: string,
  errors: QueryErrors,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(members)) {
    const wire = member.kind === 'at' ? member.wire : name;
    const shape = member.kind === 'at' ? member.shape : member;
    const value = decode(shape, node?.children?.get(wire), join(where, wire), errors);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function decode(shape: InShape, node: FormNode | undefined, where: string, errors: QueryErrors): unknown {
  if (!node) return undefined;
  switch (shape.kind) {
    case 'string':
      return node.value;
    case 'integer':
    case 'double':
    case 'boolean':
    case 'timestamp':
      return node.value === undefined ? undefined : parseScalar(shape.kind, node.value, where, errors);
    case 'structure':
      return decodeMembers(shape.members, node, where, errors);
    case 'list': {
      const base = shape.member === undefined ? where : `${where}.${shape.member}`;
      const items = numbered(shape.member === undefined ? node : node.children?.get(shape.member))
        .map(([i, child]) => decode(shape.of, child, `${base}.${i}`, errors))
        .filter((item) => item !== undefined);
      if (items.length > 0) return items;
      return node.value === '' && !node.children ? [] : undefined;
    }
    case 'map': {
      const entries = numbered(node).map(([i, child]): [string, unknown] => {
        const key = child.children?.get(shape.key)?.value;
        if (key === undefined) throw errors.missing(`${where}.${i}.${shape.key}`);
        const valueWhere = `${where}.${i}.${shape.value}`;
        const valueNode = child.children?.get(shape.value);
        if (shape.of.kind === 'structure') return [key, decode(shape.of, valueNode, valueWhere, errors) ?? {}];
        const value = decode(shape.of, valueNode, valueWhere, errors);
        if (value === undefined) throw errors.missing(valueWhere);
        return [key, value];
      });
      // Object.fromEntries defines own properties: a key named `__proto__` stays data.
      return entries.length > 0 ? Object.fromEntries(entries) : undefined;
    }
  }
}

// ---- encoding --------------------------------------------------------------------------------------

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** Epoch seconds (or a Date) as ISO 8601, milliseconds only when there are any: `2026-11-26T10:00:00Z`. */
export function iso8601(value: unknown): string | undefined {
  const date = typeof value === 'number' ? new Date(value * 1000) : value instanceof Date ? value : undefined;
  if (date === undefined) return typeof value === 'string' ? value : undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace('.000Z', 'Z');
}

export function encodeMembers(members: OutMembers, value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const record = value as Record<string, unknown>;
  let xml = '';
  for (const [name, shape] of Object.entries(members)) {
    if (Object.hasOwn(record, name)) xml += encodeMember(name, shape, record[name]);
  }
  for (const [name, member] of Object.entries(record)) {
    if (!Object.hasOwn(members, name)) xml += encodeMember(name, outScalar, member);
  }
  return xml;
}

function encodeMember(name: string, shape: OutShape, value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (shape.kind) {
    case 'scalar':
    case 'timestamp': {
      const text = shape.kind === 'scalar' ? scalarText(value) : iso8601(value);
      return text === undefined ? '' : textElement(name, text);
    }
    case 'structure':
      return element(name, encodeMembers(shape.members, value));
    case 'list': {
      if (!Array.isArray(value)) return '';
      const items = value.map((item) => encodeMember(shape.item, shape.of, item)).join('');
      return shape.wrapped ? element(name, items) : items;
    }
    case 'map': {
      if (typeof value !== 'object') return '';
      // An entry without a value is left out, as JSON.stringify leaves out an undefined member.
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined && item !== null)
        .map(([key, item]) =>
          element(shape.item, textElement(shape.key, key) + encodeMember(shape.value, shape.of, item)),
        )
        .join('');
      return shape.wrapped ? element(name, entries) : entries;
    }
  }
}

// ---- envelopes -------------------------------------------------------------------------------------

const xmlResponse = (status: number, body: string): WireResponse => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: `<?xml version="1.0"?>${body}`,
});

/** `<{Action}Response xmlns><{Action}Result>…</{Action}Result><ResponseMetadata>…</{Action}Response>`. */
export function queryResponse(
  namespace: string,
  action: string,
  spec: QueryAction,
  output: unknown,
  requestId: string,
): WireResponse {
  const result = spec.output ? element(`${action}Result`, encodeMembers(spec.output, output)) : '';
  return xmlResponse(
    200,
    `<${action}Response xmlns="${namespace}">${result}` +
      `<ResponseMetadata>${textElement('RequestId', requestId)}</ResponseMetadata></${action}Response>`,
  );
}

/** `<ErrorResponse><Error><Type/><Code/><Message/>{detail}</Error><RequestId/></ErrorResponse>`. */
export function queryErrorResponse(
  namespace: string,
  error: AwsError,
  message: string,
  requestId: string,
  detail = '',
): WireResponse {
  const { spec } = error;
  return xmlResponse(
    spec.status,
    `<ErrorResponse xmlns="${namespace}"><Error>` +
      textElement('Type', spec.fault) +
      textElement('Code', spec.queryCode) +
      textElement('Message', message) +
      `${detail}</Error>` +
      textElement('RequestId', requestId) +
      '</ErrorResponse>',
  );
}
