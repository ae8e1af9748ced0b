/**
 * CloudWatch metric math (GetMetricData `Expression`): tokenizer, parser and evaluator over time series that are
 * already fetched and aligned to the period (pure: no I/O, no clock).
 *
 * Rules, from the CloudWatch user guide ("Using math expressions with CloudWatch metrics"):
 *
 * - Values are scalars (S), time series (TS) or arrays of time series (TS[]); every expression must end as a TS or a
 *   TS[]. Functions are uppercase; query Ids start with a lowercase letter and hold letters, digits and underscores.
 * - Arithmetic `+ - * / ^` and unary minus take S, TS and TS[] (a TS[] is operated on series by series). Between two
 *   time series, "missing values are treated as 0": a timestamp present in either series is in the result. A point
 *   that would divide by zero is dropped, as is any point that is not a finite number (such as a root of a negative).
 * - Comparisons `== != < <= > >=` and `AND`/`&&`, `OR`/`||` answer 1 or 0, with the same alignment (the guide's
 *   worked table is a test).
 * - AVG, SUM, MIN, MAX of one TS are scalars over its points; of a TS[] they are one TS, timestamp by timestamp.
 *   AVG of a TS[] counts a series without a point there as 0 (documented); SUM and MIN/MAX use the points present.
 * - RATE, DIFF, DIFF_TIME compare each point with the previous point present, however far back (a gap makes RATE
 *   divide by the real time between them); the first point has none and is dropped. RUNNING_SUM adds up the points.
 * - FILL(x, S | TS | REPEAT | LINEAR) fills the timestamps of the period grid where x has no point: with the scalar,
 *   with the other series' point at that timestamp, with the latest earlier point, or linearly between the points
 *   around the gap. REPEAT has nothing before the first point and LINEAR nothing outside two points, so those stay
 *   empty.
 * - IF(condition, a, b) follows the guide's tables: a point exists where the condition has one; a true condition
 *   takes a's point (0 if a series has none there), a false one takes b's (dropped if b has none or is left out).
 * - METRICS() is every metric query (MetricStat) of the request, in request order, without expressions;
 *   METRICS("s") those whose Id contains s. PERIOD(m) is the period of a metric query (not of an expression).
 * - The period grid is the request's: every period start from StartTime (which the caller has already rounded as
 *   CloudWatch rounds it) up to EndTime. Metric queries with periods of their own are combined point by point all the same.
 *
 * Also supported: LOG, LOG10, DATAPOINT_COUNT, METRIC_COUNT, FIRST, LAST, REMOVE_EMPTY, SLICE, SORT, TIME_SERIES and
 * MINUTE, HOUR, DAY, DATE, MONTH, YEAR, EPOCH (UTC; DAY is 1 for Monday to 7 for Sunday). Refused with
 * {@link MetricMathError}: functions that need other services or data (ANOMALY_DETECTION_BAND, SEARCH, SERVICE_QUOTA,
 * INSIGHT_RULE_METRIC, LAMBDA) and STDDEV, whose population-or-sample definition the guide does not give.
 *
 * Operator precedence is not documented; this follows the usual order, loosest first: OR, AND, comparisons,
 * `+ -`, `* /`, unary minus, `^` (right-associative, so `-2^2` is -4 and `2^3^2` is 512).
 */

export interface TimeSeries {
  /** Epoch milliseconds, ascending, on the period grid. */
  timestamps: number[];
  values: number[];
  /**
   * The label (or else the Id) of the query a series stems from, so that each series of a TS[] result can be told
   * apart ("Expression-Label Metric-Label" in CloudWatch's legends).
   */
  label?: string | undefined;
}

/** A metric math error; `message` reads like CloudWatch's: `Error in expression e1 [...]`. */
export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
  constructor(
    readonly detail: string,
    readonly expressionId?: string,
  ) {
    super(expressionId === undefined ? detail : `Error in expression ${expressionId} [${detail}]`);
  }
}

// ---- tokens ---------------------------------------------------------------------------------------

type Token =
  | { kind: 'number'; value: number; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'id'; name: string; at: number }
  | { kind: 'word'; name: string; at: number }
  | { kind: 'op'; op: string; at: number }
  | { kind: 'end'; at: number };

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '+', '-', '*', '/', '^', '<', '>', '(', ')', '[', ']', ','];
const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      const word = name[0];
      if (word === 'AND' || word === 'OR') tokens.push({ kind: 'op', op: word === 'AND' ? '&&' : '||', at: i });
      else if (/^[a-z]/.test(word)) tokens.push({ kind: 'id', name: word, at: i });
      else tokens.push({ kind: 'word', name: word, at: i });
      i += word.length;
      continue;
    }
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close < 0) throw new MetricMathError(`Unterminated string at position ${i + 1}`);
      tokens.push({ kind: 'string', value: text.slice(i + 1, close), at: i });
      i = close + 1;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new MetricMathError(`Unexpected character '${c}' at position ${i + 1}`);
    tokens.push({ kind: 'op', op, at: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

// ---- syntax ---------------------------------------------------------------------------------------

export type BinaryOperator = '+' | '-' | '*' | '/' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

export type Expr =
  | { type: 'number'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ref'; id: string }
  /** An uppercase word that is not a call: REPEAT, LINEAR, ASC, DESC, or SORT's AVG/MIN/MAX/SUM. */
  | { type: 'keyword'; name: string }
  | { type: 'call'; name: string; args: Expr[] }
  | { type: 'array'; items: Expr[] }
  | { type: 'negate'; operand: Expr }
  | { type: 'binary'; op: BinaryOperator; left: Expr; right: Expr };

const FUNCTIONS = new Set([
  'ABS',
  'AVG',
  'CEIL',
  'DATAPOINT_COUNT',
  'DATE',
  'DAY',
  'DIFF',
  'DIFF_TIME',
  'EPOCH',
  'FILL',
  'FIRST',
  'FLOOR',
  'HOUR',
  'IF',
  'LAST',
  'LOG',
  'LOG10',
  'MAX',
  'METRICS',
  'METRIC_COUNT',
  'MIN',
  'MINUTE',
  'MONTH',
  'PERIOD',
  'RATE',
  'REMOVE_EMPTY',
  'RUNNING_SUM',
  'SLICE',
  'SORT',
  'SUM',
  'TIME_SERIES',
  'YEAR',
]);
const UNSUPPORTED_FUNCTIONS = new Set([
  'ANOMALY_DETECTION_BAND',
  'INSIGHT_RULE_METRIC',
  'LAMBDA',
  'SEARCH',
  'SERVICE_QUOTA',
  'STDDEV',
]);
const KEYWORDS = new Set(['REPEAT', 'LINEAR', 'ASC', 'DESC', 'AVG', 'MIN', 'MAX', 'SUM']);

const LEVELS: BinaryOperator[][] = [['||'], ['&&'], ['==', '!=', '<', '<=', '>', '>='], ['+', '-'], ['*', '/']];

/** Parses an expression. @throws MetricMathError (without an expression Id) for a syntax error. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const isOp = (op: string): boolean => {
    const t = peek();
    return t.kind === 'op' && t.op === op;
  };
  const describe = (t: Token): string =>
    t.kind === 'end'
      ? 'end of expression'
      : `'${t.kind === 'op' ? t.op : t.kind === 'number' ? t.value : t.kind === 'string' ? `"${t.value}"` : t.name}' at position ${t.at + 1}`;
  const expect = (op: string): void => {
    if (!isOp(op)) throw new MetricMathError(`Expected '${op}' but found ${describe(peek())}`);
    pos++;
  };

  const binary = (level: number): Expr => {
    const ops = LEVELS[level];
    if (!ops) return unary();
    let left = binary(level + 1);
    for (;;) {
      const t = peek();
      if (t.kind !== 'op' || !(ops as string[]).includes(t.op)) return left;
      pos++;
      left = { type: 'binary', op: t.op as BinaryOperator, left, right: binary(level + 1) };
    }
  };
  const unary = (): Expr => {
    if (isOp('-')) {
      pos++;
      return { type: 'negate', operand: unary() };
    }
    return power();
  };
  const power = (): Expr => {
    const base = primary();
    if (!isOp('^')) return base;
    pos++;
    return { type: 'binary', op: '^', left: base, right: unary() };
  };
  const list = (close: string): Expr[] => {
    const items: Expr[] = [];
    if (isOp(close)) {
      pos++;
      return items;
    }
    for (;;) {
      items.push(binary(0));
      if (isOp(close)) {
        pos++;
        return items;
      }
      expect(',');
    }
  };
  const primary = (): Expr => {
    const t = peek();
    pos++;
    switch (t.kind) {
      case 'number':
        return { type: 'number', value: t.value };
      case 'string':
        return { type: 'string', value: t.value };
      case 'id':
        if (isOp('(')) throw new MetricMathError(`Unrecognized function ${t.name}: functions are uppercase`);
        return { type: 'ref', id: t.name };
      case 'word':
        if (isOp('(')) {
          if (UNSUPPORTED_FUNCTIONS.has(t.name)) throw new MetricMathError(`Unsupported function ${t.name}`);
          if (!FUNCTIONS.has(t.name)) throw new MetricMathError(`Unrecognized function ${t.name}`);
          pos++;
          return { type: 'call', name: t.name, args: list(')') };
        }
        if (KEYWORDS.has(t.name)) return { type: 'keyword', name: t.name };
        throw new MetricMathError(`Unrecognized identifier ${t.name}: Ids start with a lowercase letter`);
      case 'op':
        if (t.op === '(') {
          const inner = binary(0);
          expect(')');
          return inner;
        }
        if (t.op === '[') return { type: 'array', items: list(']') };
        break;
      case 'end':
        break;
    }
    pos--;
    throw new MetricMathError(`Unexpected ${describe(t)}`);
  };

  const expr = binary(0);
  if (peek().kind !== 'end') throw new MetricMathError(`Unexpected ${describe(peek())}`);
  return expr;
}

/** The query Ids an expression names (METRICS() names none: it takes metrics, never expressions). */
export function referencedIds(expr: Expr): Set<string> {
  const ids = new Set<string>();
  const walk = (e: Expr): void => {
    switch (e.type) {
      case 'ref':
        ids.add(e.id);
        return;
      case 'call':
        e.args.forEach(walk);
        return;
      case 'array':
        e.items.forEach(walk);
        return;
      case 'negate':
        walk(e.operand);
        return;
      case 'binary':
        walk(e.left);
        walk(e.right);
        return;
      default:
        return;
    }
  };
  walk(expr);
  return ids;
}

// ---- queries --------------------------------------------------------------------------------------

/** A metric query of the request (MetricStat), with its data already fetched. */
export interface MetricQueryData {
  id: string;
  label?: string | undefined;
  periodSeconds: number;
  series: TimeSeries;
}

export interface ExpressionQuery {
  id: string;
  label?: string | undefined;
  expression: string;
}

export type MathQuery = MetricQueryData | ExpressionQuery;

/** The request's time range; its period sets the grid that FILL, TIME_SERIES and the date functions fill. */
export interface MathRange {
  startMs: number;
  endMs: number;
  periodSeconds: number;
}

export type MathResult = { type: 'series'; series: TimeSeries } | { type: 'array'; series: TimeSeries[] };

const ID = /^[a-z][A-Za-z0-9_]*$/;

export function isValidQueryId(id: string): boolean {
  return id.length <= 255 && ID.test(id);
}

const isExpression = (q: MathQuery): q is ExpressionQuery => 'expression' in q;

/**
 * Checks a request's queries before any data is fetched: Ids valid and distinct, expressions that parse, name only
 * queries of the request, and do not depend on themselves. Returns the parsed expressions by Id.
 */
export function validateMetricMath(
  queries: readonly (MathQuery | Omit<MetricQueryData, 'series'>)[],
): Map<string, Expr> {
  const ids = new Set<string>();
  for (const q of queries) {
    if (!isValidQueryId(q.id)) {
      throw new MetricMathError(
        `Invalid Id ${q.id}: an Id starts with a lowercase letter and holds only letters, numbers and underscores`,
      );
    }
    if (ids.has(q.id)) throw new MetricMathError(`Duplicate Id ${q.id}`);
    ids.add(q.id);
  }
  const parsed = new Map<string, Expr>();
  for (const q of queries) {
    if (!('expression' in q)) continue;
    try {
      parsed.set(q.id, parseExpression(q.expression));
    } catch (error) {
      if (error instanceof MetricMathError) throw new MetricMathError(error.detail, q.id);
      throw error;
    }
  }
  const deps = new Map<string, Set<string>>();
  for (const [id, expr] of parsed) {
    const refs = referencedIds(expr);
    for (const ref of refs) if (!ids.has(ref)) throw new MetricMathError(`Unrecognized identifier ${ref}`, id);
    deps.set(id, new Set([...refs].filter((r) => parsed.has(r))));
  }
  const done = new Set<string>();
  const visit = (id: string, path: string[]): void => {
    if (done.has(id)) return;
    const at = path.indexOf(id);
    if (at >= 0) {
      const cycle = [...path.slice(at), id];
      throw new MetricMathError(`Circular reference: ${cycle.join(' -> ')}`, cycle[0]);
    }
    for (const dep of deps.get(id) ?? []) visit(dep, [...path, id]);
    done.add(id);
  };
  for (const id of parsed.keys()) visit(id, []);
  return parsed;
}

/**
 * Evaluates every expression query of a request. Returns each expression's result by Id (metric queries are not in
 * it: their data is what was passed in).
 *
 * @throws MetricMathError for an invalid request (see {@link validateMetricMath}) or an expression that cannot be
 *   evaluated: wrong argument types, or a final result that is a scalar.
 */
export function evaluateMetricMath(queries: readonly MathQuery[], range: MathRange): Map<string, MathResult> {
  const parsed = validateMetricMath(queries);
  const metrics = queries.filter((q): q is MetricQueryData => !isExpression(q));
  const byId = new Map(queries.map((q) => [q.id, q]));
  const grid: number[] = [];
  const step = range.periodSeconds * 1000;
  for (let t = range.startMs; t < range.endMs; t += step) grid.push(t);

  const values = new Map<string, Value>();
  const results = new Map<string, MathResult>();
  const evaluateQuery = (query: ExpressionQuery): MathResult => {
    let value: Value;
    try {
      value = evaluate(parsed.get(query.id) as Expr, env);
    } catch (error) {
      if (error instanceof MetricMathError && error.expressionId === undefined) {
        throw new MetricMathError(error.detail, query.id);
      }
      throw error;
    }
    // A series takes its expression's label, for arrays built from it; an array keeps its members' labels.
    if (value.kind === 'series') return { type: 'series', series: { ...value.series, label: query.label ?? query.id } };
    if (value.kind === 'array') return { type: 'array', series: value.items };
    throw new MetricMathError('The expression must return a time series or an array of time series', query.id);
  };
  const resolve = (id: string): Value => {
    const known = values.get(id);
    if (known) return known;
    const query = byId.get(id);
    if (!query) throw new MetricMathError(`Unrecognized identifier ${id}`);
    let value: Value;
    if (isExpression(query)) {
      const result = evaluateQuery(query);
      results.set(id, result);
      value = result.type === 'series' ? series(result.series) : { kind: 'array', items: result.series };
    } else {
      value = series(cleanSeries(query.series, query.label ?? query.id));
    }
    values.set(id, value);
    return value;
  };
  const env: Env = {
    grid,
    resolve,
    metrics: (filter) =>
      metrics.filter((m) => filter === undefined || m.id.includes(filter)).map((m) => seriesOf(resolve(m.id))),
    periodOf: (id) => {
      const q = byId.get(id);
      return q && !isExpression(q) ? q.periodSeconds : undefined;
    },
  };
  for (const id of parsed.keys()) resolve(id);
  return new Map([...parsed.keys()].map((id) => [id, results.get(id) as MathResult]));
}

// ---- values ---------------------------------------------------------------------------------------

type Value =
  | { kind: 'scalar'; value: number }
  | { kind: 'series'; series: TimeSeries }
  | { kind: 'array'; items: TimeSeries[] }
  | { kind: 'string'; value: string }
  | { kind: 'keyword'; name: string };

interface Env {
  grid: number[];
  resolve(id: string): Value;
  metrics(filter: string | undefined): TimeSeries[];
  periodOf(id: string): number | undefined;
}

const scalar = (value: number): Value => ({ kind: 'scalar', value });

function seriesOf(value: Value): TimeSeries {
  if (value.kind !== 'series') throw new MetricMathError('Expected a time series');
  return value.series;
}

/** A series sorted by time, one point per timestamp, finite values only. */
function buildSeries(points: Iterable<[number, number]>, label?: string): TimeSeries {
  const sorted = [...points].filter(([, v]) => Number.isFinite(v)).sort(([a], [b]) => a - b);
  const series: TimeSeries = { timestamps: sorted.map(([t]) => t), values: sorted.map(([, v]) => v) };
  if (label !== undefined) series.label = label;
  return series;
}

function cleanSeries(series: TimeSeries, label: string): TimeSeries {
  return buildSeries(
    series.timestamps.map((t, i) => [t, series.values[i] ?? Number.NaN] as [number, number]),
    label,
  );
}

function pointsOf(series: TimeSeries): [number, number][] {
  return series.timestamps.map((t, i) => [t, series.values[i] as number]);
}

function mapSeries(series: TimeSeries, f: (v: number, t: number) => number): TimeSeries {
  return buildSeries(
    pointsOf(series).map(([t, v]) => [t, f(v, t)]),
    series.label,
  );
}

/** Point-wise over a scalar, a series or each series of an array. */
function mapValue(value: Value, f: (v: number, t?: number) => number, what: string): Value {
  switch (value.kind) {
    case 'scalar':
      return scalar(f(value.value));
    case 'series':
      return { kind: 'series', series: mapSeries(value.series, f) };
    case 'array':
      return { kind: 'array', items: value.items.map((s) => mapSeries(s, f)) };
    default:
      throw new MetricMathError(`${what} takes a number, a time series or an array of time series`);
  }
}

/** Two series on the union of their timestamps, a missing point counting as 0 (as the guide says). */
function zipSeries(a: TimeSeries, b: TimeSeries, f: (x: number, y: number) => number, label?: string): TimeSeries {
  const left = new Map(pointsOf(a));
  const right = new Map(pointsOf(b));
  const times = new Set([...left.keys(), ...right.keys()]);
  return buildSeries(
    [...times].map((t) => [t, f(left.get(t) ?? 0, right.get(t) ?? 0)]),
    label,
  );
}

const truth = (v: number): boolean => v !== 0;
const OPERATIONS: Record<BinaryOperator, (x: number, y: number) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => (y === 0 ? Number.NaN : x / y),
  '^': (x, y) => x ** y,
  '==': (x, y) => Number(x === y),
  '!=': (x, y) => Number(x !== y),
  '<': (x, y) => Number(x < y),
  '<=': (x, y) => Number(x <= y),
  '>': (x, y) => Number(x > y),
  '>=': (x, y) => Number(x >= y),
  '&&': (x, y) => Number(truth(x) && truth(y)),
  '||': (x, y) => Number(truth(x) || truth(y)),
};

function applyBinary(op: BinaryOperator, left: Value, right: Value): Value {
  const f = OPERATIONS[op];
  if (left.kind === 'array' && right.kind === 'array') {
    throw new MetricMathError(`The operator ${op} cannot combine two arrays of time series`);
  }
  if (left.kind === 'array') {
    return { kind: 'array', items: left.items.map((s) => seriesOf(applyBinary(op, series(s), right))) };
  }
  if (right.kind === 'array') {
    return { kind: 'array', items: right.items.map((s) => seriesOf(applyBinary(op, left, series(s)))) };
  }
  if (left.kind === 'scalar' && right.kind === 'scalar') return scalar(f(left.value, right.value));
  if (left.kind === 'series' && right.kind === 'scalar') {
    return series(mapSeries(left.series, (v) => f(v, right.value)));
  }
  if (left.kind === 'scalar' && right.kind === 'series') {
    return series(mapSeries(right.series, (v) => f(left.value, v)));
  }
  if (left.kind === 'series' && right.kind === 'series') {
    return series(zipSeries(left.series, right.series, f, left.series.label ?? right.series.label));
  }
  throw new MetricMathError(`The operator ${op} takes numbers, time series or arrays of time series`);
}

const series = (s: TimeSeries): Value => ({ kind: 'series', series: s });

// ---- functions ------------------------------------------------------------------------------------

function arity(name: string, args: Expr[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const count = min === max ? `${min}` : `${min} to ${max}`;
    throw new MetricMathError(`The function ${name} takes ${count} argument${max === 1 ? '' : 's'}`);
  }
}

function toArray(value: Value, name: string): TimeSeries[] {
  if (value.kind === 'array') return value.items;
  throw new MetricMathError(`The function ${name} takes an array of time series`);
}

function toScalar(value: Value, name: string): number {
  if (value.kind === 'scalar') return value.value;
  throw new MetricMathError(`The function ${name} takes a number here`);
}

/** Series by series over a TS or a TS[]. */
function perSeries(value: Value, name: string, f: (s: TimeSeries) => TimeSeries): Value {
  if (value.kind === 'series') return series(f(value.series));
  if (value.kind === 'array') return { kind: 'array', items: value.items.map(f) };
  throw new MetricMathError(`The function ${name} takes a time series or an array of time series`);
}

/** Each point against the previous point present; the first point, having none, is dropped. */
function withPrevious(s: TimeSeries, f: (v: number, prev: number, dtSeconds: number) => number): TimeSeries {
  const points: [number, number][] = [];
  for (let i = 1; i < s.timestamps.length; i++) {
    const t = s.timestamps[i] as number;
    const prevT = s.timestamps[i - 1] as number;
    points.push([t, f(s.values[i] as number, s.values[i - 1] as number, (t - prevT) / 1000)]);
  }
  return buildSeries(points, s.label);
}

type Reducer = 'SUM' | 'AVG' | 'MIN' | 'MAX';

function reduceValues(values: number[], how: Reducer): number {
  if (values.length === 0) return Number.NaN;
  switch (how) {
    case 'SUM':
      return values.reduce((a, b) => a + b, 0);
    case 'AVG':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'MIN':
      return values.reduce((a, b) => Math.min(a, b));
    case 'MAX':
      return values.reduce((a, b) => Math.max(a, b));
  }
}

/** SUM/AVG/MIN/MAX: of a TS a scalar, of a TS[] one series timestamp by timestamp. */
function reduce(value: Value, how: Reducer): Value {
  if (value.kind === 'series') return scalar(reduceValues(value.series.values, how));
  if (value.kind !== 'array') {
    throw new MetricMathError(`The function ${how} takes a time series or an array of time series`);
  }
  const at = new Map<number, number[]>();
  for (const s of value.items) {
    for (const [t, v] of pointsOf(s)) {
      const list = at.get(t);
      if (list) list.push(v);
      else at.set(t, [v]);
    }
  }
  const n = value.items.length;
  // AVG counts a series without a point at t as a 0 there, so it divides by every series.
  const point = (vs: number[]): number => (how === 'AVG' ? reduceValues(vs, 'SUM') / n : reduceValues(vs, how));
  return series(buildSeries([...at].map(([t, vs]) => [t, point(vs)])));
}

function fill(s: TimeSeries, filler: Value, grid: number[]): TimeSeries {
  const have = new Map(pointsOf(s));
  const out = new Map(have);
  const missing = grid.filter((t) => !have.has(t));
  if (filler.kind === 'scalar') {
    for (const t of missing) out.set(t, filler.value);
  } else if (filler.kind === 'series') {
    const other = new Map(pointsOf(filler.series));
    for (const t of missing) {
      const v = other.get(t);
      if (v !== undefined) out.set(t, v);
    }
  } else if (filler.kind === 'keyword' && (filler.name === 'REPEAT' || filler.name === 'LINEAR')) {
    for (const t of missing) {
      const before = lastIndexBefore(s.timestamps, t);
      if (before < 0) continue;
      const v0 = s.values[before] as number;
      if (filler.name === 'REPEAT') {
        out.set(t, v0);
        continue;
      }
      const after = before + 1;
      if (after >= s.timestamps.length) continue;
      const t0 = s.timestamps[before] as number;
      const t1 = s.timestamps[after] as number;
      out.set(t, v0 + (((s.values[after] as number) - v0) * (t - t0)) / (t1 - t0));
    }
  } else {
    throw new MetricMathError('The function FILL fills with a number, a time series, REPEAT or LINEAR');
  }
  return buildSeries(out, s.label);
}

/** Index of the last timestamp before t, or -1. */
function lastIndexBefore(timestamps: number[], t: number): number {
  let lo = 0;
  let hi = timestamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((timestamps[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function ifFunction(condition: Value, then: Value, otherwise: Value | undefined): Value {
  for (const v of [condition, then, otherwise]) {
    if (v && v.kind !== 'scalar' && v.kind !== 'series') {
      throw new MetricMathError('The function IF takes numbers and time series');
    }
  }
  if (condition.kind === 'scalar') {
    if (Number.isNaN(condition.value)) return series(buildSeries([]));
    if (truth(condition.value)) return then;
    return otherwise ?? series(buildSeries([]));
  }
  const lookup = (v: Value | undefined): ((t: number) => number | undefined) => {
    if (!v) return () => undefined;
    if (v.kind === 'scalar') return () => v.value;
    const points = new Map(pointsOf(seriesOf(v)));
    return (t) => points.get(t);
  };
  const whenTrue = lookup(then);
  const whenFalse = lookup(otherwise);
  const points: [number, number][] = [];
  for (const [t, c] of pointsOf(seriesOf(condition))) {
    // A true condition with no point in the series to take gives 0; a false one gives nothing.
    const v = truth(c) ? (whenTrue(t) ?? 0) : whenFalse(t);
    if (v !== undefined) points.push([t, v]);
  }
  return series(buildSeries(points));
}

const DATE_FUNCTIONS: Record<string, (d: Date) => number> = {
  MINUTE: (d) => d.getUTCMinutes(),
  HOUR: (d) => d.getUTCHours(),
  DAY: (d) => ((d.getUTCDay() + 6) % 7) + 1,
  DATE: (d) => d.getUTCDate(),
  MONTH: (d) => d.getUTCMonth() + 1,
  YEAR: (d) => d.getUTCFullYear(),
  EPOCH: (d) => Math.floor(d.getTime() / 1000),
};

function call(name: string, args: Expr[], env: Env): Value {
  const arg = (i: number): Value => evaluate(args[i] as Expr, env);
  switch (name) {
    case 'ABS':
    case 'CEIL':
    case 'FLOOR':
    case 'LOG':
    case 'LOG10': {
      arity(name, args, 1);
      const f = { ABS: Math.abs, CEIL: Math.ceil, FLOOR: Math.floor, LOG: Math.log, LOG10: Math.log10 }[name];
      return mapValue(arg(0), f, `The function ${name}`);
    }
    case 'SUM':
    case 'AVG':
    case 'MIN':
    case 'MAX':
      arity(name, args, 1);
      return reduce(arg(0), name);
    case 'DATAPOINT_COUNT': {
      arity(name, args, 1);
      const v = arg(0);
      if (v.kind === 'series') return scalar(v.series.values.length);
      return reduce({ kind: 'array', items: toArray(v, name).map((s) => mapSeries(s, () => 1)) }, 'SUM');
    }
    case 'METRIC_COUNT':
      arity(name, args, 1);
      return scalar(toArray(arg(0), name).length);
    case 'RATE':
      arity(name, args, 1);
      return perSeries(arg(0), name, (s) => withPrevious(s, (v, prev, dt) => (v - prev) / dt));
    case 'DIFF':
      arity(name, args, 1);
      return perSeries(arg(0), name, (s) => withPrevious(s, (v, prev) => v - prev));
    case 'DIFF_TIME':
      arity(name, args, 1);
      return perSeries(arg(0), name, (s) => withPrevious(s, (_v, _prev, dt) => dt));
    case 'RUNNING_SUM':
      arity(name, args, 1);
      return perSeries(arg(0), name, (s) => {
        let total = 0;
        return mapSeries(s, (v) => {
          total += v;
          return total;
        });
      });
    case 'FILL': {
      arity(name, args, 2);
      const filler = arg(1);
      if (filler.kind === 'array') throw new MetricMathError('The function FILL cannot fill with an array');
      return perSeries(arg(0), name, (s) => fill(s, filler, env.grid));
    }
    case 'IF':
      arity(name, args, 2, 3);
      return ifFunction(arg(0), arg(1), args.length > 2 ? arg(2) : undefined);
    case 'METRICS': {
      arity(name, args, 0, 1);
      let filter: string | undefined;
      if (args.length === 1) {
        const v = arg(0);
        if (v.kind !== 'string') throw new MetricMathError('The function METRICS takes a string');
        filter = v.value;
      }
      return { kind: 'array', items: env.metrics(filter) };
    }
    case 'PERIOD': {
      arity(name, args, 1);
      const target = args[0] as Expr;
      const period = target.type === 'ref' ? env.periodOf(target.id) : undefined;
      if (period === undefined) throw new MetricMathError('The function PERIOD takes the Id of a metric');
      return scalar(period);
    }
    case 'FIRST':
    case 'LAST': {
      arity(name, args, 1);
      const items = toArray(arg(0), name);
      const picked = name === 'FIRST' ? items[0] : items[items.length - 1];
      return series(picked ?? buildSeries([]));
    }
    case 'REMOVE_EMPTY':
      arity(name, args, 1);
      return { kind: 'array', items: toArray(arg(0), name).filter((s) => s.values.length > 0) };
    case 'SLICE': {
      arity(name, args, 2, 3);
      const items = toArray(arg(0), name);
      const start = toScalar(arg(1), name);
      const end = args.length > 2 ? toScalar(arg(2), name) : items.length;
      return { kind: 'array', items: items.slice(start, end) };
    }
    case 'SORT': {
      arity(name, args, 3, 4);
      const items = toArray(arg(0), name);
      const by = args[1] as Expr;
      const order = args[2] as Expr;
      if (by.type !== 'keyword' || !['AVG', 'MIN', 'MAX', 'SUM'].includes(by.name)) {
        throw new MetricMathError('The function SORT sorts by AVG, MIN, MAX or SUM');
      }
      if (order.type !== 'keyword' || (order.name !== 'ASC' && order.name !== 'DESC')) {
        throw new MetricMathError('The function SORT sorts ASC or DESC');
      }
      const limit = args.length > 3 ? toScalar(arg(3), name) : items.length;
      const sign = order.name === 'ASC' ? 1 : -1;
      const keyed = items.map((s) => ({ s, key: reduceValues(s.values, by.name as Reducer) }));
      // Series without points have no key; they go last either way.
      keyed.sort((a, b) =>
        Number.isNaN(a.key) ? (Number.isNaN(b.key) ? 0 : 1) : Number.isNaN(b.key) ? -1 : sign * (a.key - b.key),
      );
      return { kind: 'array', items: keyed.slice(0, Math.max(0, limit)).map((k) => k.s) };
    }
    case 'TIME_SERIES': {
      arity(name, args, 1);
      const v = toScalar(arg(0), name);
      return series(buildSeries(env.grid.map((t) => [t, v])));
    }
    case 'MINUTE':
    case 'HOUR':
    case 'DAY':
    case 'DATE':
    case 'MONTH':
    case 'YEAR':
    case 'EPOCH': {
      arity(name, args, 1);
      seriesOf(arg(0));
      const f = DATE_FUNCTIONS[name] as (d: Date) => number;
      return series(buildSeries(env.grid.map((t) => [t, f(new Date(t))])));
    }
    default:
      throw new MetricMathError(`Unrecognized function ${name}`);
  }
}

function evaluate(expr: Expr, env: Env): Value {
  switch (expr.type) {
    case 'number':
      return scalar(expr.value);
    case 'string':
      return { kind: 'string', value: expr.value };
    case 'keyword':
      return { kind: 'keyword', name: expr.name };
    case 'ref':
      return env.resolve(expr.id);
    case 'negate':
      return mapValue(evaluate(expr.operand, env), (v) => -v, 'Unary minus');
    case 'binary':
      return applyBinary(expr.op, evaluate(expr.left, env), evaluate(expr.right, env));
    case 'array': {
      const items: TimeSeries[] = [];
      for (const item of expr.items) {
        const v = evaluate(item, env);
        if (v.kind === 'series') items.push(v.series);
        else if (v.kind === 'array') items.push(...v.items);
        else throw new MetricMathError('An array holds time series only');
      }
      return { kind: 'array', items };
    }
    case 'call':
      return call(expr.name, expr.args, env);
  }
}
