/**
 * EventBridge target InputTransformer: validation and rendering (pure).
 *
 * - InputPathsMap: at most 100 entries; keys `[A-Za-z0-9_-]+` (never the reserved `aws.events.` names); values a
 *   JSONPath subset: `$`, dot notation (alnum, `_`, `-`), array indices (`$.detail.items[0]`) and wildcards
 *   (`$.detail.items[*].sku`, `$.detail.*`). As in JSONPath, a path with a wildcard selects a list: the values it
 *   reaches, in document order, as a JSON array (empty when it reaches none).
 * - InputTemplate: `<name>` placeholders naming an InputPathsMap key or a predefined variable.
 *   When the template is a JSON object or array, a placeholder outside a JSON string is replaced by the value as JSON
 *   (strings quoted, numbers/booleans/objects/arrays as is, a path that matches nothing as `null`); inside a JSON
 *   string the value goes in as text (objects/arrays lose their inner quotes, as on AWS). In any other template the
 *   values go in raw (strings without quotes, objects/arrays as JSON text, nothing as `null`).
 */

export interface InputTransformer {
  InputPathsMap?: Record<string, string> | undefined;
  InputTemplate: string;
}

export interface TransformContext {
  ruleArn: string;
  ruleName: string;
  /** Epoch milliseconds at which the event was received. */
  ingestionTime: number;
}

export const MAX_INPUT_PATHS = 100;
export const MAX_INPUT_TEMPLATE_LENGTH = 8192;
export const MAX_INPUT_PATH_LENGTH = 256;

const RESERVED_PREFIX = 'aws.events.';
export const PREDEFINED_VARIABLES = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
] as const;
const PREDEFINED = new Set<string>(PREDEFINED_VARIABLES);

const KEY = /^[A-Za-z0-9_-]+$/;
const PATH = /^\$(\.[A-Za-z0-9_-]+|\.\*|\[\d+\]|\[\*\])*$/;
const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/g;

export class InvalidInputTransformerError extends Error {
  override readonly name = 'InvalidInputTransformerError';
}

const isJsonTemplate = (template: string) => /^\s*[{[]/.test(template);

/** Whether the path is in the JSONPath subset EventBridge evaluates (see above). */
export function isValidJsonPath(path: string): boolean {
  return path.length <= MAX_INPUT_PATH_LENGTH && PATH.test(path);
}

const WILDCARD = Symbol('wildcard');
type Step = string | number | typeof WILDCARD;

/** The steps of a validated path: keys, array indices and wildcards. */
function pathSteps(path: string): Step[] {
  const steps: Step[] = [];
  for (const match of path.slice(1).matchAll(/\.([A-Za-z0-9_-]+)|\.\*|\[(\d+)\]|\[\*\]/g)) {
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(Number(match[2]));
    else steps.push(WILDCARD);
  }
  return steps;
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null) return Object.values(value);
  return [];
}

/**
 * The value at a validated path, or undefined when it matches nothing. A path with a wildcard gives the array
 * of every value it reaches.
 */
export function valueAtJsonPath(value: unknown, path: string): unknown {
  const steps = pathSteps(path);
  let current: unknown[] = [value];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const item of current) {
      if (step === WILDCARD) next.push(...children(item));
      else if (typeof step === 'number') {
        if (Array.isArray(item) && step < item.length) next.push(item[step]);
      } else if (typeof item === 'object' && item !== null && !Array.isArray(item) && Object.hasOwn(item, step)) {
        next.push((item as Record<string, unknown>)[step]);
      }
    }
    current = next;
  }
  return steps.includes(WILDCARD) ? current : current[0];
}

/**
 * Walks a template, calling `replace(name, inString)` for each placeholder; `inString` tells whether it sits inside
 * a JSON string literal (only tracked for JSON templates).
 */
function substitute(template: string, replace: (name: string, inString: boolean) => string): string {
  const json = isJsonTemplate(template);
  let out = '';
  let inString = false;
  let i = 0;
  while (i < template.length) {
    const ch = template[i] ?? '';
    if (ch === '<') {
      PLACEHOLDER.lastIndex = i;
      const match = PLACEHOLDER.exec(template);
      if (match && match.index === i) {
        out += replace(match[1] ?? '', json && inString);
        i += match[0].length;
        continue;
      }
    }
    if (json) {
      if (ch === '\\' && inString) {
        out += template.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (ch === '"') inString = !inString;
    }
    out += ch;
    i += 1;
  }
  return out;
}

/** Throws InvalidInputTransformerError with an AWS-style message when the transformer is not valid. */
export function validateInputTransformer(input: unknown): InputTransformer {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputTransformerError('InputTransformer must be an object.');
  }
  const { InputPathsMap: paths, InputTemplate: template } = input as Record<string, unknown>;
  if (typeof template !== 'string' || template.length === 0) {
    throw new InvalidInputTransformerError(
      "1 validation error detected: Value null at 'targets.member.inputTransformer.inputTemplate' failed to satisfy constraint: Member must not be null",
    );
  }
  if (template.length > MAX_INPUT_TEMPLATE_LENGTH) {
    throw new InvalidInputTransformerError(
      `1 validation error detected: Value at 'targets.member.inputTransformer.inputTemplate' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_TEMPLATE_LENGTH}`,
    );
  }
  const map: Record<string, string> = {};
  if (paths !== undefined && paths !== null) {
    if (typeof paths !== 'object' || Array.isArray(paths)) {
      throw new InvalidInputTransformerError('InputPathsMap must be a map of names to JSON paths.');
    }
    const entries = Object.entries(paths as Record<string, unknown>);
    if (entries.length > MAX_INPUT_PATHS) {
      throw new InvalidInputTransformerError(
        `InputPathsMap has ${entries.length} entries: it can have at most ${MAX_INPUT_PATHS}.`,
      );
    }
    for (const [key, path] of entries) {
      if (key.startsWith(RESERVED_PREFIX) || PREDEFINED.has(key)) {
        throw new InvalidInputTransformerError(
          `InputPathsMap key ${key} is reserved: names starting with ${RESERVED_PREFIX} are predefined variables.`,
        );
      }
      if (!KEY.test(key)) {
        throw new InvalidInputTransformerError(
          `InputPathsMap key ${key} is not valid: keys must match [A-Za-z0-9_-]+.`,
        );
      }
      if (typeof path !== 'string' || !isValidJsonPath(path)) {
        throw new InvalidInputTransformerError(
          `InputPathsMap value ${String(path)} for key ${key} is not a valid JSON path: use $, dot notation and array indices, as in $.detail.items[0].`,
        );
      }
      map[key] = path;
    }
  }
  substitute(template, (name) => {
    if (!Object.hasOwn(map, name) && !PREDEFINED.has(name)) {
      throw new InvalidInputTransformerError(
        `InputTemplate placeholder <${name}> is not defined in InputPathsMap nor a predefined variable.`,
      );
    }
    return '';
  });
  if (isJsonTemplate(template)) {
    const probe = substitute(template, (_name, inString) => (inString ? 'x' : 'null'));
    try {
      JSON.parse(probe);
    } catch {
      throw new InvalidInputTransformerError('InputTemplate is not valid JSON once its placeholders are filled.');
    }
  }
  return paths === undefined || paths === null
    ? { InputTemplate: template }
    : { InputPathsMap: map, InputTemplate: template };
}

/** ISO-8601 UTC with milliseconds. */
const iso = (ms: number) => new Date(ms).toISOString();

/** A value as text inside a JSON string: JSON-escaped, objects/arrays without their inner quotes. */
function inStringText(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'null';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'object' && value !== null) text = JSON.stringify(value).replaceAll('"', '');
  else text = JSON.stringify(value);
  return JSON.stringify(text).slice(1, -1);
}

/** The payload a target with this (validated) transformer receives for the event. */
export function renderInputTransformer(
  transformer: InputTransformer,
  event: Record<string, unknown>,
  context: TransformContext,
): string {
  const json = isJsonTemplate(transformer.InputTemplate);
  const paths = transformer.InputPathsMap ?? {};
  const value = (name: string): unknown => {
    switch (name) {
      case 'aws.events.rule-arn':
        return context.ruleArn;
      case 'aws.events.rule-name':
        return context.ruleName;
      case 'aws.events.event.ingestion-time':
        return iso(context.ingestionTime);
      case 'aws.events.event': {
        const { detail: _detail, ...rest } = event;
        return rest;
      }
      case 'aws.events.event.json':
        return event;
      default: {
        const path = paths[name];
        return path === undefined ? undefined : valueAtJsonPath(event, path);
      }
    }
  };
  return substitute(transformer.InputTemplate, (name, inString) => {
    const v = value(name);
    if (json) {
      if (inString) return inStringText(v);
      return v === undefined ? 'null' : JSON.stringify(v);
    }
    if (v === undefined) return 'null';
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}
