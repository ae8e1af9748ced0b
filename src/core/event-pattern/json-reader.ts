/**
 * A pull reader for JSON text that behaves like the Jackson streaming parser behind EventBridge's pattern
 * compiler (event-ruler's JsonRuleCompiler). Three things depend on that and none of them survive JSON.parse:
 *
 * - Errors come out in document order, interleaved with the compiler's own checks: `{"a": "x\q"}` is refused
 *   for its leaf (`"a" must be an object or an array`) before the bad escape is ever read, as in AWS.
 * - Error texts and locations are Jackson's, since AWS returns them verbatim:
 *   `Unrecognized token 'this': was expecting (...)\n at [Source: (String)"..."; line: 1, column: 5]`.
 *   The location is Jackson's input pointer, which has its own habits: a field-name token has already read
 *   the start of the value after it, and a string value is only read past its opening quote until its text
 *   is asked for (that is why `{"string": "my-value"}` is refused at column 13).
 * - Number tokens keep their source spelling (`300.0`, `3.018e2`), and duplicate keys all reach the caller.
 *
 * Only what EventBridge's parser accepts is accepted: no comments, single quotes, NaN, leading zeros,
 * trailing commas or unescaped control characters.
 */

export type TokenType =
  | 'startObject'
  | 'endObject'
  | 'startArray'
  | 'endArray'
  | 'fieldName'
  | 'string'
  | 'number'
  | 'true'
  | 'false'
  | 'null';

/** A syntax or compile error with Jackson's location already appended to the message. */
export class JsonReaderError extends Error {}

/** Jackson's StreamReadConstraints defaults. */
const MAX_NESTING_DEPTH = 1000;
const MAX_NUMBER_LENGTH = 1000;
/** Longest source excerpt Jackson quotes in a location; the rest is reported as truncated. */
const MAX_SOURCE_SNIPPET = 500;
/** Longest bad token Jackson quotes in "Unrecognized token". */
const MAX_ERROR_TOKEN_LENGTH = 256;

const VALID_VALUES = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

// Character codes the reader dispatches on.
const Ch = {
  Tab: 9,
  Lf: 10,
  Cr: 13,
  Space: 32,
  Quote: 34,
  Plus: 43,
  Comma: 44,
  Minus: 45,
  Dot: 46,
  Slash: 47,
  Zero: 48,
  Nine: 57,
  Colon: 58,
  UpperE: 69,
  OpenBracket: 91,
  Backslash: 92,
  CloseBracket: 93,
  LowerB: 98,
  LowerE: 101,
  LowerF: 102,
  LowerN: 110,
  LowerR: 114,
  LowerT: 116,
  LowerU: 117,
  OpenBrace: 123,
  CloseBrace: 125,
} as const;

interface Context {
  readonly kind: 'root' | 'array' | 'object';
  /** Offset of the `[` or `{`, for "start marker at" texts. */
  readonly start: number;
  /** Entries seen so far, minus one: a comma is due before every entry after the first. */
  index: number;
}

// Java's Character.isJavaIdentifierStart / isJavaIdentifierPart, which decide how much of a bad token
// Jackson quotes back.
const IDENTIFIER_START = /^[\p{L}\p{Nl}\p{Sc}\p{Pc}]$/u;
const IDENTIFIER_PART = /^[\p{L}\p{Nl}\p{Sc}\p{Pc}\p{Nd}\p{Mn}\p{Mc}\p{Cf}\u0000-\u0008\u000e-\u001b\u007f-\u009f]$/u;

/** Jackson's description of a character in messages: `'x' (code 120)`, `(CTRL-CHAR, code 10)`. */
function charDesc(code: number): string {
  if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return `(CTRL-CHAR, code ${code})`;
  const c = String.fromCharCode(code);
  if (code > 255) return `'${c}' (code ${code} / 0x${code.toString(16)})`;
  return `'${c}' (code ${code})`;
}

function isDigit(code: number): boolean {
  return code >= Ch.Zero && code <= Ch.Nine;
}

function hexValue(code: number): number {
  if (isDigit(code)) return code - Ch.Zero;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** How Jackson names the source in a location: the text itself, control characters other than CR/LF escaped. */
function describeSource(text: string): string {
  const shown = text.length > MAX_SOURCE_SNIPPET ? text.slice(0, MAX_SOURCE_SNIPPET) : text;
  let out = '(String)"';
  for (let i = 0; i < shown.length; i++) {
    const code = shown.charCodeAt(i);
    const control = code <= 0x1f || (code >= 0x7f && code <= 0x9f);
    if (control && code !== Ch.Cr && code !== Ch.Lf) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += shown[i];
  }
  out += '"';
  if (text.length > MAX_SOURCE_SNIPPET) out += `[truncated ${text.length - MAX_SOURCE_SNIPPET} chars]`;
  return out;
}

export class JsonReader {
  private readonly src: string;
  /** Jackson's input pointer: the next character to read. Locations are computed from it. */
  private ptr = 0;
  private readonly contexts: Context[] = [{ kind: 'root', start: 0, index: -1 }];
  private current: TokenType | null = null;
  /** The value token a field name has already read, handed out by the next call. */
  private pending: TokenType | null = null;
  /** A string token whose content has not been read yet (Jackson reads strings lazily). */
  private incomplete = false;
  private tokenStart = 0;
  private tokenEnd = 0;
  private stringValue = '';
  private fieldName = '';
  private sourceDescription: string | undefined;

  constructor(text: string) {
    this.src = text;
  }

  /** The name of the field whose token was just returned. */
  get name(): string {
    return this.fieldName;
  }

  /** Advances to the next token; null at the end of the input (only possible at the top level). */
  nextToken(): TokenType | null {
    if (this.current === 'fieldName') return this.afterName();
    if (this.incomplete) {
      this.readString(true);
      this.incomplete = false;
    }
    let c = this.skipWhitespaceOrEnd();
    if (c < 0) {
      this.handleEnd();
      this.current = null;
      return null;
    }
    if (c === Ch.CloseBracket || c === Ch.CloseBrace) return this.closeScope(c);
    const ctx = this.context();
    ctx.index++;
    if (ctx.kind !== 'root' && ctx.index > 0) {
      if (c !== Ch.Comma)
        this.unexpectedChar(c, `was expecting comma to separate ${ctx.kind === 'array' ? 'Array' : 'Object'} entries`);
      c = this.skipWhitespaceOrEnd();
      if (c < 0) this.failEnd(` within/between ${ctx.kind === 'array' ? 'Array' : 'Object'} entries`);
    }
    const inObject = ctx.kind === 'object';
    if (inObject) {
      if (c !== Ch.Quote) this.unexpectedChar(c, 'was expecting double-quote to start field name');
      this.fieldName = this.readName();
      c = this.skipColon();
    }
    const token = this.readValueStart(c, inObject);
    if (inObject) {
      this.pending = token;
      this.current = 'fieldName';
      return 'fieldName';
    }
    this.current = token;
    return token;
  }

  /**
   * Jackson's getText(): a string's content (read now if it was not yet, which moves the pointer past the
   * closing quote), a number's source spelling, or the token's own characters.
   */
  text(): string {
    switch (this.current) {
      case 'string':
        if (this.incomplete) {
          this.stringValue = this.readString(false);
          this.incomplete = false;
        }
        return this.stringValue;
      case 'number':
        return this.src.slice(this.tokenStart, this.tokenEnd);
      case 'fieldName':
        return this.fieldName;
      case 'startObject':
        return '{';
      case 'endObject':
        return '}';
      case 'startArray':
        return '[';
      case 'endArray':
        return ']';
      case 'true':
      case 'false':
      case 'null':
        return this.current;
      default:
        return '';
    }
  }

  /** Jackson's `[Source: ...; line: L, column: C]` for an input offset (default: the pointer). */
  location(offset = this.ptr): string {
    this.sourceDescription ??= describeSource(this.src);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < this.src.length; i++) {
      const code = this.src.charCodeAt(i);
      if (code === Ch.Lf || (code === Ch.Cr && this.src.charCodeAt(i + 1) !== Ch.Lf)) {
        line++;
        lineStart = i + 1;
      }
    }
    return `[Source: ${this.sourceDescription}; line: ${line}, column: ${offset - lineStart + 1}]`;
  }

  /** Throws `message` at the current pointer, as event-ruler's `barf` does. */
  fail(message: string): never {
    throw new JsonReaderError(`${message}\n at ${this.location()}`);
  }

  private context(): Context {
    // The root context is never popped, so the stack is never empty.
    return this.contexts[this.contexts.length - 1] as Context;
  }

  private push(kind: 'array' | 'object', start: number): void {
    if (this.contexts.length > MAX_NESTING_DEPTH) {
      this.fail(
        `Document nesting depth (${this.contexts.length}) exceeds the maximum allowed (${MAX_NESTING_DEPTH}, from \`StreamReadConstraints.getMaxNestingDepth()\`)`,
      );
    }
    this.contexts.push({ kind, start, index: -1 });
  }

  private afterName(): TokenType {
    const token = this.pending as TokenType;
    this.pending = null;
    if (token === 'startArray') this.push('array', this.tokenStart);
    else if (token === 'startObject') this.push('object', this.tokenStart);
    this.current = token;
    return token;
  }

  private closeScope(c: number): TokenType {
    const ctx = this.context();
    const want = c === Ch.CloseBracket ? 'array' : 'object';
    if (ctx.kind !== want) {
      const desc = ctx.kind === 'root' ? 'root' : ctx.kind === 'array' ? 'Array' : 'Object';
      const expected = c === Ch.CloseBracket ? '}' : ']';
      this.fail(
        `Unexpected close marker '${String.fromCharCode(c)}': expected '${expected}' (for ${desc} starting at ${this.location(ctx.start)})`,
      );
    }
    this.contexts.pop();
    this.current = want === 'array' ? 'endArray' : 'endObject';
    return this.current;
  }

  private handleEnd(): void {
    const ctx = this.context();
    if (ctx.kind === 'root') return;
    this.failEnd(
      `: expected close marker for ${ctx.kind === 'array' ? 'Array' : 'Object'} (start marker at ${this.location(ctx.start)})`,
    );
  }

  private failEnd(detail: string): never {
    this.fail(`Unexpected end-of-input${detail}`);
  }

  /** Jackson reports an unexpected character at the character itself, one before the pointer. */
  private unexpectedChar(c: number, comment: string): never {
    throw new JsonReaderError(`Unexpected character (${charDesc(c)}): ${comment}\n at ${this.location(this.ptr - 1)}`);
  }

  /** Skips whitespace; returns the next character (consumed) or -1 at the end. */
  private skipWhitespaceOrEnd(): number {
    while (this.ptr < this.src.length) {
      const c = this.src.charCodeAt(this.ptr++);
      if (c > Ch.Space) {
        if (c === Ch.Slash) {
          this.unexpectedChar(
            c,
            "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)",
          );
        }
        return c;
      }
      if (c !== Ch.Space && c !== Ch.Lf && c !== Ch.Cr && c !== Ch.Tab) {
        this.fail(
          `Illegal character (${charDesc(c)}): only regular white space (\\r, \\n, \\t) is allowed between tokens`,
        );
      }
    }
    return -1;
  }

  private skipColon(): number {
    let c = this.skipWhitespaceOrEnd();
    if (c < 0) this.failEnd(' within/between Object entries');
    if (c !== Ch.Colon) this.unexpectedChar(c, 'was expecting a colon to separate field name and value');
    c = this.skipWhitespaceOrEnd();
    if (c < 0) this.failEnd(' within/between Object entries');
    return c;
  }

  /** Reads the first character(s) of a value; `c` has been consumed. */
  private readValueStart(c: number, inObject: boolean): TokenType {
    this.tokenStart = this.ptr - 1;
    switch (c) {
      case Ch.Quote:
        this.incomplete = true;
        return 'string';
      case Ch.OpenBracket:
        if (!inObject) this.push('array', this.tokenStart);
        return 'startArray';
      case Ch.OpenBrace:
        if (!inObject) this.push('object', this.tokenStart);
        return 'startObject';
      case Ch.CloseBracket:
      case Ch.CloseBrace:
        return this.unexpectedChar(c, 'expected a value');
      case Ch.LowerT:
        this.matchLiteral('true');
        return 'true';
      case Ch.LowerF:
        this.matchLiteral('false');
        return 'false';
      case Ch.LowerN:
        this.matchLiteral('null');
        return 'null';
      case Ch.Plus:
        throw new JsonReaderError(
          `Unexpected character (${charDesc(c)}) in numeric value: JSON spec does not allow numbers to have plus signs: enable \`JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS\` to allow\n at ${this.location()}`,
        );
      default:
        if (c === Ch.Minus || isDigit(c)) return this.readNumber(c);
        if (IDENTIFIER_START.test(String.fromCharCode(c))) this.invalidToken(String.fromCharCode(c));
        return this.unexpectedChar(c, `expected a valid value ${VALID_VALUES}`);
    }
  }

  /** `true`/`false`/`null`; its first letter is consumed. A near miss is quoted back with what follows it. */
  private matchLiteral(word: string): void {
    for (let i = 1; i < word.length; i++) {
      if (this.src.charCodeAt(this.ptr) !== word.charCodeAt(i)) this.invalidToken(word.slice(0, i));
      this.ptr++;
    }
    const next = this.src.charCodeAt(this.ptr);
    if (!Number.isNaN(next) && IDENTIFIER_PART.test(String.fromCharCode(next))) this.invalidToken(word);
    this.tokenEnd = this.ptr;
  }

  private invalidToken(matched: string): never {
    let token = matched;
    while (this.ptr < this.src.length) {
      const ch = this.src.charAt(this.ptr);
      if (!IDENTIFIER_PART.test(ch)) break;
      this.ptr++;
      token += ch;
      if (token.length >= MAX_ERROR_TOKEN_LENGTH) {
        token += '...';
        break;
      }
    }
    this.fail(`Unrecognized token '${token}': was expecting ${VALID_VALUES}`);
  }

  private numberChar(c: number, comment: string): never {
    if (Number.isNaN(c)) this.failEnd(' in a Number value');
    throw new JsonReaderError(
      `Unexpected character (${charDesc(c)}) in numeric value: ${comment}\n at ${this.location(this.ptr - 1)}`,
    );
  }

  /** A JSON number; its first character is consumed. The pointer stops on the character after it. */
  private readNumber(first: number): TokenType {
    let c = first;
    if (c === Ch.Minus) {
      c = this.src.charCodeAt(this.ptr++);
      if (!isDigit(c)) this.numberChar(c, 'expected digit (0-9) to follow minus sign, for valid numeric value');
    }
    if (c === Ch.Zero && isDigit(this.src.charCodeAt(this.ptr))) {
      this.ptr++;
      this.fail('Invalid numeric value: Leading zeroes not allowed');
    }
    while (isDigit(this.src.charCodeAt(this.ptr))) this.ptr++;
    if (this.src.charCodeAt(this.ptr) === Ch.Dot) {
      this.ptr++;
      c = this.src.charCodeAt(this.ptr++);
      if (!isDigit(c)) this.numberChar(c, 'Decimal point not followed by a digit');
      while (isDigit(this.src.charCodeAt(this.ptr))) this.ptr++;
    }
    c = this.src.charCodeAt(this.ptr);
    if (c === Ch.LowerE || c === Ch.UpperE) {
      this.ptr++;
      c = this.src.charCodeAt(this.ptr++);
      if (c === Ch.Plus || c === Ch.Minus) c = this.src.charCodeAt(this.ptr++);
      if (!isDigit(c)) this.numberChar(c, 'Exponent indicator not followed by a digit');
      while (isDigit(this.src.charCodeAt(this.ptr))) this.ptr++;
    }
    this.tokenEnd = this.ptr;
    const length = this.tokenEnd - this.tokenStart;
    if (length > MAX_NUMBER_LENGTH) {
      this.fail(
        `Number value length (${length}) exceeds the maximum allowed (${MAX_NUMBER_LENGTH}, from \`StreamReadConstraints.getMaxNumberLength()\`)`,
      );
    }
    if (this.context().kind === 'root' && this.ptr < this.src.length) {
      const next = this.src.charCodeAt(this.ptr);
      if (next !== Ch.Space && next !== Ch.Tab && next !== Ch.Lf && next !== Ch.Cr) {
        this.ptr++;
        this.unexpectedChar(next, 'Expected space separating root-level values');
      }
    }
    return 'number';
  }

  private readName(): string {
    return this.readQuoted('name', ' in field name');
  }

  /** Reads (or, when `skip`, just validates) the rest of the current string token. */
  private readString(skip: boolean): string {
    const value = this.readQuoted('string value', ': was expecting closing quote for a string value');
    return skip ? '' : value;
  }

  /** The characters after an opening quote up to the closing one, escapes decoded. */
  private readQuoted(what: string, endDetail: string): string {
    let out = '';
    let runStart = this.ptr;
    for (;;) {
      if (this.ptr >= this.src.length) this.failEnd(endDetail);
      const c = this.src.charCodeAt(this.ptr++);
      if (c === Ch.Quote) {
        out += this.src.slice(runStart, this.ptr - 1);
        return out;
      }
      if (c === Ch.Backslash) {
        out += this.src.slice(runStart, this.ptr - 1);
        out += this.readEscape();
        runStart = this.ptr;
      } else if (c < Ch.Space) {
        throw new JsonReaderError(
          `Illegal unquoted character (${charDesc(c)}): has to be escaped using backslash to be included in ${what}\n at ${this.location(this.ptr - 1)}`,
        );
      }
    }
  }

  private readEscape(): string {
    if (this.ptr >= this.src.length) this.failEnd(' in character escape sequence');
    const c = this.src.charCodeAt(this.ptr++);
    switch (c) {
      case Ch.LowerB:
        return '\b';
      case Ch.LowerT:
        return '\t';
      case Ch.LowerN:
        return '\n';
      case Ch.LowerF:
        return '\f';
      case Ch.LowerR:
        return '\r';
      case Ch.Quote:
      case Ch.Slash:
      case Ch.Backslash:
        return String.fromCharCode(c);
      case Ch.LowerU: {
        let value = 0;
        for (let i = 0; i < 4; i++) {
          if (this.ptr >= this.src.length) this.failEnd(' in character escape sequence');
          const h = this.src.charCodeAt(this.ptr++);
          const digit = hexValue(h);
          if (digit < 0) this.unexpectedChar(h, 'expected a hex-digit for character escape sequence');
          value = (value << 4) | digit;
        }
        return String.fromCharCode(value);
      }
      default:
        throw new JsonReaderError(`Unrecognized character escape ${charDesc(c)}\n at ${this.location(this.ptr - 1)}`);
    }
  }
}
