/**
 * String operators: wildcard and the equals-ignore-case family.
 *
 * Wildcards have one metacharacter, `*` (zero or more characters); `\*` is a literal star and `\\` a
 * literal backslash. Any other escape, and two stars in a row, make the pattern invalid; the position in
 * the message counts UTF-8 bytes of the value with its surrounding quotes, as event-ruler does.
 *
 * Ignoring case follows event-ruler: each pattern character stands for its lower-case and its upper-case
 * form (Locale.ROOT, one UTF-16 unit at a time), which may differ in length (`ß` matches `ß` or `SS`).
 * The event value is not folded.
 */

/** A parsed wildcard: the literal runs between stars. */
export interface Wildcard {
  readonly source: string;
  /** Literal text between the stars; `n` stars give `n + 1` segments, the first and last possibly empty. */
  readonly segments: readonly string[];
}

/** Why a wildcard operand is refused, or undefined if it is valid. */
export function wildcardError(text: string): string | undefined {
  // Positions are byte offsets in the UTF-8 form of `"text"`.
  let pos = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 42 /* * */) {
      if (text.charCodeAt(i + 1) === 42) return `Consecutive wildcard characters at pos ${pos}`;
    } else if (code === 92 /* \ */) {
      const next = text.charCodeAt(i + 1);
      if (next !== 42 && next !== 92) return `Invalid escape character at pos ${pos}`;
      i++;
      pos++;
    }
    pos += utf8Length(code, text.charCodeAt(i + 1));
    if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) i++;
  }
  return undefined;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** UTF-8 bytes of the character starting with `code` (a surrogate pair counts once, as 4 bytes). */
function utf8Length(code: number, next: number): number {
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(next)) return 4;
  return 3;
}

/** Splits a valid wildcard into its literal segments. */
export function parseWildcard(text: string): Wildcard {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '\\') {
      current += text.charAt(i + 1);
      i++;
    } else if (ch === '*') {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return { source: text, segments };
}

/**
 * Whether `value` matches the wildcard. The first segment anchors the start and the last the end; the ones
 * between are found leftmost-first, which is enough when `*` is the only metacharacter.
 */
export function matchesWildcard(wildcard: Wildcard, value: string): boolean {
  const { segments } = wildcard;
  const first = segments[0] as string;
  if (segments.length === 1) return value === first;
  const last = segments[segments.length - 1] as string;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i] as string;
    const found = value.indexOf(segment, at);
    if (found < 0 || found + segment.length > end) return false;
    at = found + segment.length;
  }
  return true;
}

/** For each pattern unit, the strings it stands for when case is ignored. */
export type CaseAlternatives = readonly (readonly string[])[];

export function caseAlternatives(text: string): CaseAlternatives {
  const out: string[][] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charAt(i);
    const lower = unit.toLowerCase();
    const upper = unit.toUpperCase();
    out.push(lower === upper ? [lower] : [lower, upper]);
  }
  return out;
}

/**
 * The offsets in `value` where a case-insensitive match of `pattern` can end, starting at offset 0. Kept as
 * a set because alternatives of different lengths (`ß`/`SS`) can lead to several ends.
 */
function forwardEnds(pattern: CaseAlternatives, value: string): Set<number> {
  let positions = new Set<number>([0]);
  for (const alternatives of pattern) {
    const next = new Set<number>();
    for (const at of positions) {
      for (const alt of alternatives) {
        if (value.startsWith(alt, at)) next.add(at + alt.length);
      }
    }
    if (next.size === 0) return next;
    positions = next;
  }
  return positions;
}

export function equalsIgnoringCase(pattern: CaseAlternatives, value: string): boolean {
  return forwardEnds(pattern, value).has(value.length);
}

export function startsWithIgnoringCase(pattern: CaseAlternatives, value: string): boolean {
  return forwardEnds(pattern, value).size > 0;
}

export function endsWithIgnoringCase(pattern: CaseAlternatives, value: string): boolean {
  let positions = new Set<number>([value.length]);
  for (let i = pattern.length - 1; i >= 0; i--) {
    const alternatives = pattern[i] as readonly string[];
    const next = new Set<number>();
    for (const at of positions) {
      for (const alt of alternatives) {
        const from = at - alt.length;
        if (from >= 0 && value.startsWith(alt, from)) next.add(from);
      }
    }
    if (next.size === 0) return false;
    positions = next;
  }
  return true;
}
