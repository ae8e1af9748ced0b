/**
 * What is wrong with a topology file, each problem with the place it is at: the file, the 1-based line and column,
 * the path of the field (`rules.orders-to-queue.targets[0].queue`) and a message.
 */

/** One problem of a topology file. */
export interface TopologyIssue {
  /** The file name as it was given to the loader (`switchyard.yaml`, `examples/ecommerce/switchyard.yaml`). */
  readonly file: string;
  /** 1-based line of the field (its key, for a field of a mapping) the problem is about. */
  readonly line: number;
  /** 1-based column, in characters. */
  readonly column: number;
  /** The field, as `queues.orders.visibilityTimeout` or `queues["stock.fifo"].fifo`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** `file:line:column: path: message`, or `file:line:column: message` when the issue is about no field. */
export function formatTopologyIssue(issue: TopologyIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/**
 * A topology file that cannot be used: every problem found, in file order (a YAML syntax error stops the loader
 * before the other checks; otherwise all are collected). `message` is the formatted issues, one per line.
 */
export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  readonly code = 'TopologyError';
  readonly issues: readonly TopologyIssue[];

  constructor(issues: readonly TopologyIssue[]) {
    super(issues.map(formatTopologyIssue).join('\n'));
    this.issues = issues;
  }
}

/** A path segment: a mapping key or a sequence index. */
export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `rules.orders-to-queue.targets[0].queue`; keys other than letters, digits, `_` and `-` are quoted: `queues["a.fifo"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

/** The candidate closest to `word`, if one is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const allowed = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)` or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const suggestion = closest(word, candidates);
  return suggestion === undefined ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`;
}
