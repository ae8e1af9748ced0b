import type { SubRule } from './compile.js';
import { InvalidEventError } from './errors.js';
import { JsonReader, JsonReaderError, type TokenType } from './json-reader.js';
import type { LeafValue } from './matchers.js';
import { JsonNumber } from './numbers.js';

/**
 * Matching an event against compiled sub-rules.
 *
 * The event is flattened into leaves: each scalar with its dotted path (`{"a":{"b":1}}` and `{"a.b":1}`
 * give the same leaf) and the array elements it sits in. Arrays vanish from paths, so a field matches if
 * any element does; but event-ruler keeps the fields of one sub-rule inside the same array element ("array
 * consistency"): with `[{"first":"Anna","last":"Smith"},{"first":"Peter","last":"Jones"}]`, Anna Jones does
 * not match. Only objects and arrays count as elements: scalars side by side in one array belong to the
 * element that holds the array, so they never conflict with each other's siblings.
 *
 * A sub-rule matches when its fields, taken in path order, can each be satisfied by a leaf consistent with
 * the leaves chosen before it; exists:false holds when no leaf at the path is consistent with those. That
 * order is event-ruler's and it matters: an absence is judged against the fields that sort before it only.
 *
 * Work stays close to linear in the event: only subtrees a pattern path runs through are read, leaves are
 * looked up by the array element a choice has pinned, and failures are remembered per (field, pinned
 * elements that later fields can still conflict with), so sibling arrays cost their sum, not their product.
 */

/** An array element a leaf sits in, linked to the elements enclosing it. */
interface Element {
  readonly array: number;
  readonly index: number;
  readonly outer: Element | undefined;
}

interface Leaf {
  readonly value: LeafValue;
  readonly element: Element | undefined;
}

/** Leaves by path, restricted to the paths a pattern can look at. */
export type EventIndex = Map<string, Leaf[]>;

export interface IndexedEvent {
  readonly index: EventIndex;
  /** The event's top-level keys, for TestEventPattern's envelope check. */
  readonly topLevelKeys: ReadonlySet<string>;
}

/** Which parts of an event a pattern can reach: its paths, and every dotted prefix of them. */
export interface PathFilter {
  readonly leaves: ReadonlySet<string>;
  readonly branches: ReadonlySet<string>;
}

export function pathFilter(subRules: readonly SubRule[]): PathFilter {
  const leaves = new Set<string>();
  const branches = new Set<string>();
  for (const rule of subRules) {
    for (const { path } of rule) {
      leaves.add(path);
      for (let dot = path.indexOf('.'); dot >= 0; dot = path.indexOf('.', dot + 1)) branches.add(path.slice(0, dot));
    }
  }
  return { leaves, branches };
}

/** A path seen in the event, with what the pattern wants of it; children are cached, as keys repeat in arrays. */
class PathNode {
  private children: Map<string, PathNode> | undefined;

  constructor(
    private readonly filter: PathFilter,
    readonly path: string | undefined,
    /** A pattern path ends here: scalars here are leaves. */
    readonly leaf = path !== undefined && filter.leaves.has(path),
    /** Worth reading at all: a pattern path ends here or runs through. */
    readonly wanted = path === undefined || leaf || filter.branches.has(path),
  ) {}

  child(name: string): PathNode {
    let node = this.children?.get(name);
    if (!node) {
      node = new PathNode(this.filter, this.path === undefined ? name : `${this.path}.${name}`);
      this.children ??= new Map();
      this.children.set(name, node);
    }
    return node;
  }
}

class IndexBuilder implements IndexedEvent {
  readonly index: EventIndex = new Map();
  readonly topLevelKeys = new Set<string>();
  readonly root: PathNode;
  private arrays = 0;

  constructor(filter: PathFilter) {
    this.root = new PathNode(filter, undefined);
  }

  add(node: PathNode, value: LeafValue, element: Element | undefined): void {
    if (!node.leaf) return;
    const path = node.path as string;
    const leaves = this.index.get(path);
    if (leaves) leaves.push({ value, element });
    else this.index.set(path, [{ value, element }]);
  }

  nextArrayId(): number {
    return this.arrays++;
  }
}

/** Reads event JSON text into an index, as event-ruler's streaming Event reader does (duplicate keys all count). */
export function indexEventText(text: string, filter: PathFilter): IndexedEvent {
  const reader = new JsonReader(text);
  const builder = new IndexBuilder(filter);
  try {
    if (reader.nextToken() !== 'startObject') throw new InvalidEventError();
    readObject(reader, builder, builder.root, undefined);
  } catch (e) {
    if (e instanceof JsonReaderError) throw new InvalidEventError();
    throw e;
  }
  return builder;
}

function skipValue(reader: JsonReader, token: TokenType | null): void {
  if (token !== 'startObject' && token !== 'startArray') return;
  let depth = 1;
  while (depth > 0) {
    const t = reader.nextToken();
    if (t === 'startObject' || t === 'startArray') depth++;
    else if (t === 'endObject' || t === 'endArray') depth--;
  }
}

function scalar(reader: JsonReader, token: TokenType | null): LeafValue {
  switch (token) {
    case 'string':
      return reader.text();
    case 'number':
      return new JsonNumber(reader.text());
    case 'true':
      return true;
    case 'false':
      return false;
    default:
      return null;
  }
}

function readObject(reader: JsonReader, builder: IndexBuilder, node: PathNode, element: Element | undefined): void {
  while (reader.nextToken() === 'fieldName') {
    if (node === builder.root) builder.topLevelKeys.add(reader.name);
    const child = node.child(reader.name);
    const token = reader.nextToken();
    if (!child.wanted) skipValue(reader, token);
    else if (token === 'startObject') readObject(reader, builder, child, element);
    else if (token === 'startArray') readArray(reader, builder, child, element);
    else if (child.leaf) builder.add(child, scalar(reader, token), element);
  }
}

function readArray(reader: JsonReader, builder: IndexBuilder, node: PathNode, outer: Element | undefined): void {
  const array = builder.nextArrayId();
  let index = 0;
  for (let token = reader.nextToken(); token !== 'endArray'; token = reader.nextToken()) {
    if (token === 'startObject') readObject(reader, builder, node, { array, index, outer });
    else if (token === 'startArray') readArray(reader, builder, node, { array, index, outer });
    else if (node.leaf) builder.add(node, scalar(reader, token), outer);
    index++;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Indexes an already-parsed event. Numbers keep the spelling JavaScript gives them (`String(n)`). */
export function indexEventValue(event: unknown, filter: PathFilter): IndexedEvent {
  if (!isPlainObject(event)) throw new InvalidEventError();
  const builder = new IndexBuilder(filter);
  const visit = (value: unknown, node: PathNode, element: Element | undefined, depth: number): void => {
    if (value === undefined || !node.wanted) return;
    if (depth > 1000) throw new InvalidEventError();
    if (Array.isArray(value)) {
      const array = builder.nextArrayId();
      value.forEach((item: unknown, index) => {
        const inner = isPlainObject(item) || Array.isArray(item) ? { array, index, outer: element } : element;
        visit(item, node, inner, depth + 1);
      });
    } else if (isPlainObject(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, node.child(key), element, depth + 1);
    } else if (typeof value === 'string' || typeof value === 'boolean' || value === null) {
      builder.add(node, value, element);
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      builder.add(node, new JsonNumber(String(value), value), element);
    } else {
      throw new InvalidEventError();
    }
  };
  for (const [key, child] of Object.entries(event)) {
    if (child !== undefined) builder.topLevelKeys.add(key);
    visit(child, builder.root.child(key), undefined, 1);
  }
  return builder;
}

/** The array elements chosen so far: array id → element index. */
type Constraints = ReadonlyMap<number, number>;

const NO_CONSTRAINTS: Constraints = new Map();

/** The constraints plus a leaf's elements, or undefined if the leaf sits in another element of a pinned array. */
function merge(constraints: Constraints, element: Element | undefined): Constraints | undefined {
  let merged: Map<number, number> | undefined;
  for (let e = element; e !== undefined; e = e.outer) {
    const pinned = constraints.get(e.array);
    if (pinned === undefined) {
      merged ??= new Map(constraints);
      merged.set(e.array, e.index);
    } else if (pinned !== e.index) {
      return undefined;
    }
  }
  return merged ?? constraints;
}

function consistent(constraints: Constraints, element: Element | undefined): boolean {
  for (let e = element; e !== undefined; e = e.outer) {
    const pinned = constraints.get(e.array);
    if (pinned !== undefined && pinned !== e.index) return false;
  }
  return true;
}

/** Keeps only the arrays that leaves still to be chosen sit in; the others can no longer conflict. */
function project(constraints: Constraints, relevant: ReadonlySet<number>): Constraints {
  let kept: Map<number, number> | undefined;
  for (const [array, index] of constraints) {
    if (!relevant.has(array)) continue;
    kept ??= new Map();
    kept.set(array, index);
  }
  return kept ?? NO_CONSTRAINTS;
}

function constraintKey(constraints: Constraints): string {
  return [...constraints.entries()]
    .sort(([a], [b]) => a - b)
    .map(([array, index]) => `${array}:${index}`)
    .join(',');
}

/** The leaves at one path, also grouped by each array element they sit in, built when first needed. */
class LeafLookup {
  private byElement: Map<number, Map<number, Leaf[]>> | undefined;

  constructor(readonly all: readonly Leaf[]) {}

  /** The leaves that could be consistent with the constraints: those in a pinned element, when one applies. */
  candidates(constraints: Constraints): readonly Leaf[] {
    if (constraints.size === 0) return this.all;
    this.byElement ??= this.group();
    for (const [array, index] of constraints) {
      const inArray = this.byElement.get(array);
      if (inArray) return inArray.get(index) ?? [];
    }
    return this.all;
  }

  private group(): Map<number, Map<number, Leaf[]>> {
    const groups = new Map<number, Map<number, Leaf[]>>();
    for (const leaf of this.all) {
      for (let e = leaf.element; e !== undefined; e = e.outer) {
        let inArray = groups.get(e.array);
        if (!inArray) {
          inArray = new Map();
          groups.set(e.array, inArray);
        }
        const list = inArray.get(e.index);
        if (list) list.push(leaf);
        else inArray.set(e.index, [leaf]);
      }
    }
    return groups;
  }
}

const satisfies = (field: SubRule[number], value: LeafValue): boolean =>
  field.matchers.some((m) => !m.absence && m.test(value));

const allowsAbsence = (field: SubRule[number]): boolean => field.matchers.some((m) => m.absence === true);

export function matchesSubRule(rule: SubRule, index: EventIndex): boolean {
  // Cheap screening first: a field with no leaf can only be met by exists:false; and when no leaf sits in
  // an array element there is nothing to keep consistent, so each field is judged on its own.
  let inArrays = false;
  for (const field of rule) {
    const leaves = index.get(field.path);
    if (leaves === undefined) {
      if (!allowsAbsence(field)) return false;
      continue;
    }
    if (leaves.some((leaf) => leaf.element !== undefined)) inArrays = true;
  }
  if (!inArrays) {
    return rule.every((field) => {
      const leaves = index.get(field.path);
      return leaves === undefined || leaves.some((leaf) => satisfies(field, leaf.value));
    });
  }

  const lookups = rule.map((field) => new LeafLookup(index.get(field.path) ?? []));
  // relevant[i]: the arrays any leaf of fields i.. sits in.
  const relevant: ReadonlySet<number>[] = new Array(rule.length + 1);
  let ids = new Set<number>();
  relevant[rule.length] = ids;
  for (let i = rule.length - 1; i >= 0; i--) {
    ids = new Set(ids);
    for (const leaf of (lookups[i] as LeafLookup).all) {
      for (let e = leaf.element; e !== undefined; e = e.outer) ids.add(e.array);
    }
    relevant[i] = ids;
  }
  const failed = new Set<string>();

  const search = (i: number, constraints: Constraints): boolean => {
    const field = rule[i];
    if (field === undefined) return true;
    const memo = `${i}|${constraintKey(constraints)}`;
    if (failed.has(memo)) return false;
    const lookup = lookups[i] as LeafLookup;
    const next = relevant[i + 1] as ReadonlySet<number>;
    for (const leaf of lookup.candidates(constraints)) {
      const merged = merge(constraints, leaf.element);
      if (merged === undefined || !satisfies(field, leaf.value)) continue;
      if (search(i + 1, project(merged, next))) return true;
    }
    if (allowsAbsence(field) && !lookup.all.some((leaf) => consistent(constraints, leaf.element))) {
      if (search(i + 1, project(constraints, next))) return true;
    }
    failed.add(memo);
    return false;
  };

  return search(0, NO_CONSTRAINTS);
}
