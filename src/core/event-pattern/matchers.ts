import { type IpRange, inRange, parseIp, sameAddress } from './ip.js';
import { comparableValue, JsonNumber } from './numbers.js';
import {
  type CaseAlternatives,
  caseAlternatives,
  endsWithIgnoringCase,
  equalsIgnoringCase,
  matchesWildcard,
  parseWildcard,
  startsWithIgnoringCase,
} from './strings.js';

/**
 * The leaf-value tests a pattern compiles to. Each one looks at a single leaf of the event (a string,
 * number, boolean or null; objects and arrays are flattened away before matching) and is type-strict:
 * string operators never match numbers, and `"5"` is not `5`. The anything-but family is the other side
 * of that: it matches every leaf except the strings (or numbers) it excludes, so null, booleans and numbers
 * all pass a string anything-but.
 */

/** One leaf of an event: a JSON scalar, numbers keeping their spelling. */
export type LeafValue = string | JsonNumber | boolean | null;

export interface Matcher {
  /** Canonical description, used to tell identical value lists apart when grouping wildcards. */
  readonly key: string;
  /** exists:false is not a test on a value but on the absence of one. */
  readonly absence?: true;
  /** The wildcard source, for the complexity limit (anything-but wildcards do not count there). */
  readonly wildcard?: string;
  test(value: LeafValue): boolean;
}

export function exactString(text: string): Matcher {
  // A string that is an IP address matches every spelling of that address.
  const address = parseIp(text);
  if (address) {
    return {
      key: `ip:${address.join('.')}`,
      test: (v) => typeof v === 'string' && (v === text || sameAddressText(address, v)),
    };
  }
  return { key: `s:${text}`, test: (v) => v === text };
}

function sameAddressText(address: Uint8Array, value: string): boolean {
  const other = parseIp(value);
  return other !== undefined && sameAddress(address, other);
}

/** A number in a value list matches its own spelling, or any number with the same exact double value. */
export function exactNumber(text: string): Matcher {
  const value = comparableValue(text);
  return {
    key: value === undefined ? `n:${text}` : `n:${value}`,
    test: (v) => v instanceof JsonNumber && (v.text === text || (value !== undefined && v.value === value)),
  };
}

export function exactLiteral(literal: boolean | null): Matcher {
  return { key: `l:${String(literal)}`, test: (v) => v === literal };
}

export function prefix(text: string): Matcher {
  return { key: `p:${text}`, test: (v) => typeof v === 'string' && v.startsWith(text) };
}

export function suffix(text: string): Matcher {
  return { key: `x:${text}`, test: (v) => typeof v === 'string' && v.endsWith(text) };
}

export function equalsIgnoreCase(text: string): Matcher {
  const pattern = caseAlternatives(text);
  return { key: `ei:${text}`, test: (v) => typeof v === 'string' && equalsIgnoringCase(pattern, v) };
}

export function prefixIgnoreCase(text: string): Matcher {
  const pattern = caseAlternatives(text);
  return { key: `pi:${text}`, test: (v) => typeof v === 'string' && startsWithIgnoringCase(pattern, v) };
}

export function suffixIgnoreCase(text: string): Matcher {
  const pattern = caseAlternatives(text);
  return { key: `xi:${text}`, test: (v) => typeof v === 'string' && endsWithIgnoringCase(pattern, v) };
}

export function wildcard(text: string): Matcher {
  const parsed = parseWildcard(text);
  return { key: `w:${text}`, wildcard: text, test: (v) => typeof v === 'string' && matchesWildcard(parsed, v) };
}

export function cidr(range: IpRange): Matcher {
  return {
    key: `c:${range.lower.join('.')}-${range.upper.join('.')}`,
    test: (v) => {
      if (typeof v !== 'string') return false;
      const address = parseIp(v);
      return address !== undefined && inRange(address, range);
    },
  };
}

export function exists(present: boolean): Matcher {
  // exists:true is satisfied by any leaf, null included.
  return present ? { key: 'e:true', test: () => true } : { key: 'e:false', absence: true, test: () => false };
}

export interface Bound {
  readonly value: number;
  readonly open: boolean;
}

/** `numeric`: the leaf is a JSON number, exactly representable, within the bounds. */
export function numeric(lower: Bound | undefined, upper: Bound | undefined): Matcher {
  const describe = (b: Bound | undefined) => (b ? `${b.open ? '(' : '['}${b.value}` : '');
  return {
    key: `r:${describe(lower)},${describe(upper)}`,
    test: (v) => {
      if (!(v instanceof JsonNumber)) return false;
      const n = v.value;
      if (n === undefined) return false;
      if (lower && (lower.open ? !(n > lower.value) : !(n >= lower.value))) return false;
      if (upper && (upper.open ? !(n < upper.value) : !(n <= upper.value))) return false;
      return true;
    },
  };
}

export function numericEquals(value: number): Matcher {
  return { key: `r:=${value}`, test: (v) => v instanceof JsonNumber && v.value === value };
}

/** anything-but with a list of strings (or one): every leaf except those strings. */
export function anythingButStrings(values: readonly string[]): Matcher {
  const excluded = new Set(values);
  return { key: `ab:s:${[...excluded].sort().join('\u0000')}`, test: (v) => typeof v !== 'string' || !excluded.has(v) };
}

/** anything-but with a list of numbers (or one): every leaf except numbers equal to one of them. */
export function anythingButNumbers(values: readonly number[]): Matcher {
  const excluded = new Set(values);
  return {
    key: `ab:n:${[...excluded].sort((a, b) => a - b).join(',')}`,
    test: (v) => {
      if (!(v instanceof JsonNumber)) return true;
      const n = v.value;
      return n === undefined || !excluded.has(n);
    },
  };
}

export type AnythingButKind = 'prefix' | 'suffix' | 'equals-ignore-case' | 'wildcard';

/** anything-but with an operator: every leaf except strings the operator matches for one of the values. */
export function anythingButOperator(kind: AnythingButKind, values: readonly string[]): Matcher {
  let excludes: (s: string) => boolean;
  switch (kind) {
    case 'prefix':
      excludes = (s) => values.some((p) => s.startsWith(p));
      break;
    case 'suffix':
      excludes = (s) => values.some((p) => s.endsWith(p));
      break;
    case 'equals-ignore-case': {
      const patterns: CaseAlternatives[] = values.map(caseAlternatives);
      excludes = (s) => patterns.some((p) => equalsIgnoringCase(p, s));
      break;
    }
    case 'wildcard': {
      const parsed = values.map(parseWildcard);
      excludes = (s) => parsed.some((w) => matchesWildcard(w, s));
      break;
    }
  }
  return {
    key: `ab:${kind}:${[...new Set(values)].sort().join('\u0000')}`,
    test: (v) => typeof v !== 'string' || !excludes(v),
  };
}
