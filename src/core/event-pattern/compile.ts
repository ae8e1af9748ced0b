import { MAX_WILDCARD_COMPLEXITY, TOO_COMPLEX, wildcardComplexity } from './complexity.js';
import { InvalidEventPatternError } from './errors.js';
import { CidrError, parseCidr } from './ip.js';
import { JsonReader, JsonReaderError, type TokenType } from './json-reader.js';
import {
  type AnythingButKind,
  anythingButNumbers,
  anythingButOperator,
  anythingButStrings,
  type Bound,
  cidr,
  equalsIgnoreCase,
  exactLiteral,
  exactNumber,
  exactString,
  exists,
  type Matcher,
  numeric,
  numericEquals,
  prefix,
  prefixIgnoreCase,
  suffix,
  suffixIgnoreCase,
  wildcard,
} from './matchers.js';
import { NumberRangeError, requireComparable } from './numbers.js';
import { wildcardError } from './strings.js';

/**
 * The pattern compiler: validates a pattern's JSON text and turns it into sub-rules.
 *
 * Validation follows event-ruler's JsonRuleCompiler step by step, because AWS returns that compiler's
 * message for the first problem it meets while reading the text once, front to back. So the checks here
 * run in the same order, against the same tokens, with the same texts (typos included: anything-but with
 * an extra key is "Too many elements in numeric expression", a non-string cidr is "prefix match pattern
 * must be a string"). A few errors escape with no JSON location, as in AWS: CIDR problems, and a number a
 * double cannot hold given as a single anything-but value.
 *
 * Nested objects are flattened into dotted paths as they are read; `$or` splits the rule into several
 * sub-rules (a disjunction of conjunctions), each a map from path to the values it accepts. A later key
 * replaces an earlier one with the same path within every sub-rule it reaches, which gives "the last
 * duplicate key wins" and the order-dependent results of keys repeated around an `$or`.
 */

/** One condition of a sub-rule: the leaf at `path` must satisfy one of the matchers (or be absent, for exists:false). */
export interface Field {
  readonly path: string;
  readonly matchers: readonly Matcher[];
}

/** A conjunction of fields, sorted by path (the order event-ruler walks them in, which exists:false depends on). */
export type SubRule = readonly Field[];

/** AWS's documented ceiling on the sub-rules `$or` may expand into. */
export const MAX_OR_COMBINATIONS = 1000;

/** Field names `$or` branches may not use, because they name (or are reserved for) operators. */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

const ONLY_ONE_KEY = 'Only one key allowed in match expression';
// event-ruler's wording for any extra key after a numeric or anything-but operand.
const TOO_MANY_ELEMENTS = 'Too many elements in numeric expression';

type Step = { readonly path: string; readonly matchers: Matcher[] } | { readonly branches: Step[][] };

class PatternReader {
  private readonly r: JsonReader;

  constructor(text: string) {
    this.r = new JsonReader(text);
  }

  read(): Step[] {
    const steps: Step[] = [];
    if (this.r.nextToken() !== 'startObject') this.r.fail('Filter is not an object');
    // Whatever follows the top-level object is never read, as in event-ruler.
    this.object(steps, '', false);
    return steps;
  }

  private next(): TokenType | null {
    return this.r.nextToken();
  }

  private object(steps: Step[], prefixPath: string, inOr: boolean): void {
    let empty = true;
    while (this.next() !== 'endObject') {
      empty = false;
      const name = this.r.name;
      if (name === '$or') {
        steps.push(this.or(prefixPath));
        continue;
      }
      if (inOr && RESERVED_IN_OR.has(name)) {
        this.r.fail(`${name} is Ruler reserved fieldName which cannot be used inside $or.`);
      }
      const path = prefixPath + name;
      const token = this.next();
      if (token === 'startObject') this.object(steps, `${path}.`, inOr);
      else if (token === 'startArray') steps.push({ path, matchers: this.values() });
      else this.r.fail(`"${name}" must be an object or an array`);
    }
    if (empty) this.r.fail('Empty objects are not allowed');
  }

  private or(prefixPath: string): Step {
    if (this.next() !== 'startArray') this.r.fail('It must be an Array followed with $or.');
    const branches: Step[][] = [];
    let count = 0;
    for (let token = this.next(); token !== 'endArray'; token = this.next()) {
      count++;
      if (token !== 'startObject') this.r.fail('Only JSON object is allowed in array of $or relationship.');
      const branch: Step[] = [];
      this.object(branch, prefixPath, true);
      branches.push(branch);
    }
    if (count < 2) this.r.fail('There must have at least 2 Objects in $or relationship.');
    return { branches };
  }

  private values(): Matcher[] {
    const matchers: Matcher[] = [];
    for (let token = this.next(); token !== 'endArray'; token = this.next()) {
      switch (token) {
        case 'startObject':
          matchers.push(this.expression());
          break;
        case 'string':
          matchers.push(exactString(this.r.text()));
          break;
        case 'number':
          matchers.push(exactNumber(this.r.text()));
          break;
        case 'true':
        case 'false':
          matchers.push(exactLiteral(token === 'true'));
          break;
        case 'null':
          matchers.push(exactLiteral(null));
          break;
        default:
          this.r.fail('Match value must be String, number, true, false, or null');
      }
    }
    if (matchers.length === 0) this.r.fail('Empty arrays are not allowed');
    return matchers;
  }

  private endOfExpression(): void {
    if (this.next() !== 'endObject') this.r.fail(ONLY_ONE_KEY);
  }

  /** A string operand, or the given failure. */
  private stringOperand(failure: string): string {
    if (this.next() !== 'string') this.r.fail(failure);
    return this.r.text();
  }

  private expression(): Matcher {
    if (this.next() !== 'fieldName') this.r.fail('Match expression name not found');
    const operator = this.r.name;
    let matcher: Matcher;
    switch (operator) {
      case 'exactly':
        matcher = exactString(this.stringOperand('exact match pattern must be a string'));
        break;
      case 'prefix':
      case 'suffix': {
        const token = this.next();
        if (token === 'startObject') return this.affixIgnoringCase(operator);
        if (token !== 'string') this.r.fail(`${operator} match pattern must be a string`);
        const text = this.r.text();
        matcher = operator === 'prefix' ? prefix(text) : suffix(text);
        break;
      }
      case 'numeric': {
        if (this.next() !== 'startArray') this.r.fail('Value of numeric must be an array.');
        const range = this.numeric();
        if (this.next() !== 'endObject') this.r.fail(TOO_MANY_ELEMENTS);
        return range;
      }
      case 'anything-but':
        return this.anythingBut();
      case 'exists': {
        const token = this.next();
        if (token !== 'true' && token !== 'false') this.r.fail('exists match pattern must be either true or false.');
        matcher = exists(token === 'true');
        break;
      }
      case 'cidr':
        // The block is checked before the closing brace, and its errors carry no location.
        matcher = cidr(parseCidr(this.stringOperand('prefix match pattern must be a string')));
        break;
      case 'equals-ignore-case':
        matcher = equalsIgnoreCase(this.stringOperand('equals-ignore-case match pattern must be a string'));
        break;
      case 'wildcard': {
        const text = this.stringOperand('wildcard match pattern must be a string');
        const problem = wildcardError(text);
        if (problem) this.r.fail(problem);
        matcher = wildcard(text);
        break;
      }
      default:
        this.r.fail(`Unrecognized match type ${operator}`);
    }
    this.endOfExpression();
    return matcher;
  }

  /** `{"prefix": {"equals-ignore-case": "..."}}` and the suffix form; the inner `{` has been read. */
  private affixIgnoringCase(operator: 'prefix' | 'suffix'): Matcher {
    const title = operator === 'prefix' ? 'Prefix' : 'Suffix';
    if (this.next() !== 'fieldName') this.r.fail(`${title} expression name not found`);
    if (this.r.name !== 'equals-ignore-case') this.r.fail(`Unsupported ${operator} pattern: ${this.r.name}`);
    const text = this.stringOperand('equals-ignore-case match pattern must be a string');
    this.endOfExpression();
    this.endOfExpression();
    return operator === 'prefix' ? prefixIgnoreCase(text) : suffixIgnoreCase(text);
  }

  /** The inside of `"numeric": [...]`; the `[` has been read. */
  private numeric(): Matcher {
    let token = this.next();
    if (token !== 'string') this.r.fail(`Invalid member in numeric match: ${this.r.text()}`);
    const operator = this.r.text();
    token = this.next();
    try {
      switch (operator) {
        case '=': {
          if (token !== 'number') this.r.fail('Value of equals must be numeric');
          const text = this.r.text();
          if (this.next() !== 'endArray') this.r.fail(TOO_MANY_ELEMENTS);
          return numericEquals(requireComparable(text));
        }
        case '>=':
        case '>': {
          if (token !== 'number') this.r.fail(`Value of ${operator} must be numeric`);
          const bottom = this.r.text();
          token = this.next();
          if (token === 'endArray')
            return numeric({ value: requireComparable(bottom), open: operator === '>' }, undefined);
          return this.upperBound(token, bottom, operator === '>');
        }
        case '<=':
        case '<': {
          if (token !== 'number') this.r.fail(`Value of ${operator} must be numeric`);
          const top = this.r.text();
          if (this.next() !== 'endArray') this.r.fail(TOO_MANY_ELEMENTS);
          return numeric(undefined, { value: requireComparable(top), open: operator === '<' });
        }
        default:
          return this.r.fail(`Unrecognized numeric range operator: ${operator}`);
      }
    } catch (e) {
      // Operands a double cannot hold are reported where the parser stands, like other range errors.
      if (e instanceof NumberRangeError) this.r.fail(e.message);
      throw e;
    }
  }

  /** The second half of a range: only an upper bound may follow a lower one. */
  private upperBound(token: TokenType | null, bottomText: string, openBottom: boolean): Matcher {
    if (token !== 'string') this.r.fail(`Bad value in numeric range: ${this.r.text()}`);
    const operator = this.r.text();
    if (operator !== '<' && operator !== '<=') this.r.fail(`Bad numeric range operator: ${operator}`);
    if (this.next() !== 'number') this.r.fail(`Value of ${operator} must be numeric`);
    const topText = this.r.text();
    if (this.next() !== 'endArray') this.r.fail('Too many terms in numeric range expression');
    const bottom: Bound = { value: requireComparable(bottomText), open: openBottom };
    const top: Bound = { value: requireComparable(topText), open: operator === '<' };
    if (!(bottom.value < top.value)) throw new NumberRangeError('Bottom must be less than top');
    return numeric(bottom, top);
  }

  private anythingBut(): Matcher {
    let kind: AnythingButKind | undefined;
    let token = this.next();
    if (token === 'startObject') {
      if (this.next() !== 'fieldName') this.r.fail('Anything-But expression name not found');
      const name = this.r.name;
      if (name !== 'equals-ignore-case' && name !== 'prefix' && name !== 'suffix' && name !== 'wildcard') {
        this.r.fail(`Unsupported anything-but pattern: ${name}`);
      }
      kind = name;
      token = this.next();
    }
    if (token !== 'startArray' && token !== 'string' && token !== 'number') {
      this.r.fail('Value of anything-but must be an array or single string/number value.');
    }
    let matcher: Matcher;
    if (kind === undefined) matcher = token === 'startArray' ? this.anythingButList() : this.anythingButValue(token);
    else
      matcher = anythingButOperator(
        kind,
        token === 'startArray' ? this.operatorList(kind) : this.operatorValue(kind, token),
      );
    if (this.next() !== 'endObject') this.r.fail(TOO_MANY_ELEMENTS);
    if (kind !== undefined && this.next() !== 'endObject') this.r.fail(TOO_MANY_ELEMENTS);
    return matcher;
  }

  /**
   * event-ruler reads anything-but lists inside a handler that re-reports any error at the current position,
   * so errors met inside a list carry their location twice, as AWS shows them.
   */
  private inList<T>(read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof JsonReaderError || e instanceof NumberRangeError) this.r.fail(e.message);
      throw e;
    }
  }

  private anythingButList(): Matcher {
    const strings: string[] = [];
    const numbers: number[] = [];
    this.inList(() => {
      for (let token = this.next(); token !== 'endArray'; token = this.next()) {
        if (token === 'string') strings.push(this.r.text());
        else if (token === 'number') numbers.push(requireComparable(this.r.text()));
        else this.r.fail('Inside anything but list, start|null|boolean is not supported.');
      }
    });
    if (strings.length > 0 === numbers.length > 0) {
      this.r.fail('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    return strings.length > 0 ? anythingButStrings(strings) : anythingButNumbers(numbers);
  }

  private anythingButValue(token: TokenType | null): Matcher {
    const text = this.r.text();
    // A number a double cannot hold escapes here without a location (event-ruler does not catch it).
    return token === 'string' ? anythingButStrings([text]) : anythingButNumbers([requireComparable(text)]);
  }

  private operatorValueFailure(kind: AnythingButKind): string {
    if (kind === 'equals-ignore-case') {
      return 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.';
    }
    return kind === 'wildcard'
      ? 'wildcard match pattern must be a string'
      : 'prefix/suffix match pattern must be a string';
  }

  private operatorValue(kind: AnythingButKind, token: TokenType | null): string[] {
    if (token !== 'string') this.r.fail(this.operatorValueFailure(kind));
    const text = this.r.text();
    if ((kind === 'prefix' || kind === 'suffix') && text === '') this.r.fail('Null prefix/suffix not allowed');
    if (kind === 'wildcard') {
      const problem = wildcardError(text);
      if (problem) this.r.fail(problem);
    }
    return [text];
  }

  private operatorList(kind: AnythingButKind): string[] {
    const values: string[] = [];
    this.inList(() => {
      for (let token = this.next(); token !== 'endArray'; token = this.next()) {
        if (token !== 'string') this.r.fail(this.operatorValueFailure(kind));
        const text = this.r.text();
        if ((kind === 'prefix' || kind === 'suffix') && text === '') this.r.fail('Null prefix/suffix not allowed');
        values.push(text);
      }
    });
    // Wildcards in a list are checked once the list is read, outside the re-reporting handler.
    if (kind === 'wildcard') {
      for (const text of values) {
        const problem = wildcardError(text);
        if (problem) this.r.fail(problem);
      }
    }
    return values;
  }
}

/** How many sub-rules the steps expand into, saturating just past the limit. */
function combinations(steps: readonly Step[]): number {
  let product = 1;
  for (const step of steps) {
    if (!('branches' in step)) continue;
    let sum = 0;
    for (const branch of step.branches) sum = Math.min(sum + combinations(branch), MAX_OR_COMBINATIONS + 1);
    product = Math.min(product * sum, MAX_OR_COMBINATIONS + 1);
  }
  return product;
}

/** Applies the steps, in document order, to every sub-rule built so far. */
function expand(steps: readonly Step[], rules: Map<string, readonly Matcher[]>[]): Map<string, readonly Matcher[]>[] {
  let current = rules;
  for (const step of steps) {
    if ('branches' in step) {
      const next: Map<string, readonly Matcher[]>[] = [];
      for (const branch of step.branches) {
        const copies = current.map((rule) => new Map(rule));
        next.push(...expand(branch, copies));
      }
      current = next;
    } else {
      for (const rule of current) rule.set(step.path, step.matchers);
    }
  }
  return current;
}

/**
 * Applies the wildcard complexity limit to each value matcher event-ruler would build for this rule. Sub-rules
 * share a field's matcher when every field before it (in path order) has the same path and values, as they
 * share states in event-ruler's machine; the wildcards of all sub-rules sharing one are evaluated together.
 */
function checkComplexity(subRules: readonly SubRule[]): void {
  const groups = new Map<string, Set<string>>();
  for (const rule of subRules) {
    let context = '';
    for (const field of rule) {
      const key = `${context}\u0001${field.path}`;
      for (const m of field.matchers) {
        if (m.wildcard === undefined) continue;
        let group = groups.get(key);
        if (!group) {
          group = new Set();
          groups.set(key, group);
        }
        group.add(m.wildcard);
      }
      context = `${key}\u0002${field.matchers.map((m) => m.key).join('\u0003')}`;
    }
  }
  for (const sources of groups.values()) {
    if (wildcardComplexity(sources) > MAX_WILDCARD_COMPLEXITY) throw new InvalidEventPatternError(TOO_COMPLEX);
  }
}

/** Compiles pattern text into sorted sub-rules, or throws InvalidEventPatternError with AWS's message. */
export function compileSubRules(text: string): SubRule[] {
  let steps: Step[];
  try {
    steps = new PatternReader(text).read();
  } catch (e) {
    if (e instanceof JsonReaderError || e instanceof CidrError || e instanceof NumberRangeError) {
      throw new InvalidEventPatternError(e.message);
    }
    throw e;
  }
  // Counted before expanding, so a pattern that would explode is refused cheaply. AWS documents the limit
  // but no message for it has been recorded; this wording is ours.
  if (combinations(steps) > MAX_OR_COMBINATIONS) {
    throw new InvalidEventPatternError(
      `The $or relationships in the pattern expand to more than ${MAX_OR_COMBINATIONS} combinations`,
    );
  }
  const subRules = expand(steps, [new Map()]).map((rule) =>
    [...rule.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, matchers]): Field => ({ path, matchers })),
  );
  checkComplexity(subRules);
  return subRules;
}
