/**
 * Wildcard complexity: the limit EventBridge adds on top of event-ruler, refused with
 * `Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after
 * a wildcard character`.
 *
 * The measure is event-ruler's MachineComplexityEvaluator: over every possible input value, the largest
 * number of wildcard-pattern prefixes (cut at any point, e.g. `a`, `a*`, `a*b` of `a*b`) that the input
 * matches at once, summed over the distinct wildcard patterns that share one field's value matcher. It
 * is the number of partial matches a matcher must carry along, i.e. its worst-case work per byte. AWS
 * refused a pattern at 11 (`*:*:*:*:*:event-bus/*`: the input `:::::` matches `*`, `*:`, `*:*`, ... `*:*:*:*:*:`)
 * and accepted 7 and 3; event-ruler's documentation suggests a limit of 10.
 *
 * Computed by exploring the subsets of prefix positions reachable on some input (a subset construction
 * over UTF-8 bytes, with one extra symbol standing for every byte no pattern mentions), stopping as soon as
 * a subset exceeds the limit.
 */

export const MAX_WILDCARD_COMPLEXITY = 10;

export const TOO_COMPLEX =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

/** A wildcard as a byte sequence; STAR marks `*`. */
const STAR = -1;
/** Stands for any byte that appears in no pattern. */
const OTHER = 256;
/** Safety valve on the exploration; no realistic pattern comes near it. */
const MAX_EXPLORED_SUBSETS = 50_000;

function wildcardTokens(source: string): number[] {
  const tokens: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < source.length; i++) {
    const ch = source.charAt(i);
    if (ch === '*') {
      tokens.push(STAR);
      continue;
    }
    let text = ch;
    if (ch === '\\') {
      text = source.charAt(i + 1);
      i++;
    } else if (/[\ud800-\udbff]/.test(ch) && /[\udc00-\udfff]/.test(source.charAt(i + 1))) {
      text += source.charAt(i + 1);
      i++;
    }
    for (const b of encoder.encode(text)) tokens.push(b);
  }
  return tokens;
}

/**
 * The complexity of one value matcher holding these wildcard patterns (their source text, escapes
 * included). Values above `limit` are reported as found, without exploring further.
 */
export function wildcardComplexity(sources: Iterable<string>, limit = MAX_WILDCARD_COMPLEXITY): number {
  // State ids: one per (pattern, prefix length); position 0 (nothing read) is kept but never counted.
  const patterns = [...new Set(sources)].map(wildcardTokens);
  if (patterns.length === 0) return 0;
  const base: number[] = [];
  let total = 0;
  for (const tokens of patterns) {
    base.push(total);
    total += tokens.length + 1;
  }
  const alphabet = new Set<number>([OTHER]);
  for (const tokens of patterns) for (const t of tokens) if (t !== STAR) alphabet.add(t);

  const owner = (state: number): number => {
    let p = patterns.length - 1;
    while ((base[p] as number) > state) p--;
    return p;
  };
  // Adds `position` of pattern `p` and, since `*` may match nothing, every position reachable over stars.
  const addClosed = (set: Set<number>, p: number, position: number): void => {
    const tokens = patterns[p] as number[];
    let at = position;
    set.add((base[p] as number) + at);
    while (at < tokens.length && tokens[at] === STAR) {
      at++;
      set.add((base[p] as number) + at);
    }
  };
  const step = (set: Set<number>, symbol: number): Set<number> => {
    const next = new Set<number>();
    for (const state of set) {
      const p = owner(state);
      const tokens = patterns[p] as number[];
      const at = state - (base[p] as number);
      // After a star, any byte may be absorbed by it.
      if (at > 0 && tokens[at - 1] === STAR) addClosed(next, p, at);
      if (at < tokens.length && tokens[at] === symbol) addClosed(next, p, at + 1);
    }
    return next;
  };
  const weight = (set: Set<number>): number => {
    let n = 0;
    for (const state of set) if (state - (base[owner(state)] as number) > 0) n++;
    return n;
  };
  const keyOf = (set: Set<number>): string => [...set].sort((a, b) => a - b).join(',');

  const start = new Set<number>();
  for (let p = 0; p < patterns.length; p++) addClosed(start, p, 0);
  let max = weight(start);
  const seen = new Set<string>([keyOf(start)]);
  const queue: Set<number>[] = [start];
  while (queue.length > 0) {
    const set = queue.pop() as Set<number>;
    for (const symbol of alphabet) {
      const next = step(set, symbol);
      if (next.size === 0) continue;
      const w = weight(next);
      if (w > max) max = w;
      if (max > limit) return max;
      const key = keyOf(next);
      if (seen.has(key)) continue;
      if (seen.size >= MAX_EXPLORED_SUBSETS) return Number.POSITIVE_INFINITY;
      seen.add(key);
      queue.push(next);
    }
  }
  return max;
}
