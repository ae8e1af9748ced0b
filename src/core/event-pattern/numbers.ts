/**
 * Numbers in patterns and events.
 *
 * EventBridge compares numbers two ways at once. Exact matching compares the JSON spelling (`300` is not the
 * text `300.0`), and every number in a pattern is also compiled to a numeric-equality test, so AWS matches
 * pattern `[300]` with event `300.0` although its docs say otherwise. Numeric tests (ranges, `=`,
 * anything-but numbers) use IEEE-754 doubles, but only for numbers a double holds exactly: the spelling must
 * have the same decimal value as the double it parses to (event-ruler's rule since it moved to the full
 * double range). `0.10000000000000001`, `1e309` and `1e-325` fail it; in a numeric operand they make the
 * pattern invalid, in an event they simply never satisfy a numeric test.
 */

/** A numeric operand a double cannot hold; the pattern compiler turns it into an invalid-pattern reason. */
export class NumberRangeError extends Error {}

/** A JSON number as it appeared in an event: its spelling and, when a double holds it exactly, its value. */
export class JsonNumber {
  readonly text: string;
  private parsed: number | undefined | null = null;

  constructor(text: string, value?: number) {
    this.text = text;
    if (value !== undefined) this.parsed = value;
  }

  /** The exact double value, or undefined when the spelling is not exactly representable. */
  get value(): number | undefined {
    if (this.parsed === null) this.parsed = comparableValue(this.text);
    return this.parsed;
  }
}

interface Decimal {
  readonly negative: boolean;
  /** Significant digits without leading or trailing zeros; empty for zero. */
  readonly digits: string;
  /** Power of ten of the last digit. */
  readonly exponent: number;
}

const NUMBER_SPELLING = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** The exact decimal value of a number spelling (JSON, or JavaScript's `1e+21` form), normalised. */
function decimalOf(text: string): Decimal | undefined {
  const m = NUMBER_SPELLING.exec(text);
  if (!m) return undefined;
  const fraction = m[3] ?? '';
  let digits = (m[2] ?? '') + fraction;
  let exponent = Number(m[4] ?? '0') - fraction.length;
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 48) start++;
  digits = digits.slice(start);
  if (digits.length === 0) return { negative: false, digits: '', exponent: 0 };
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  exponent += digits.length - end;
  digits = digits.slice(0, end);
  return { negative: m[1] === '-', digits, exponent };
}

/**
 * The double a number spelling denotes, if it denotes it exactly; otherwise undefined. JavaScript's
 * `String(n)` is the shortest spelling that reads back as `n`, so comparing decimal values with it tells
 * whether the original spelling carried more precision (or range) than a double has.
 */
export function comparableValue(text: string): number | undefined {
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const given = decimalOf(text);
  const exact = decimalOf(String(value));
  if (!given || !exact) return undefined;
  if (given.digits !== exact.digits || given.exponent !== exact.exponent) return undefined;
  if (given.digits !== '' && given.negative !== exact.negative) return undefined;
  return value;
}

/** As comparableValue, for pattern operands: a spelling that is not exactly representable is refused. */
export function requireComparable(text: string): number {
  const value = comparableValue(text);
  if (value === undefined) throw new NumberRangeError(`Cannot compare number : ${text}`);
  return value;
}
