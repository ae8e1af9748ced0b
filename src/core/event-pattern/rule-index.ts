import type { SubRule } from './compile.js';
import type { CompiledPattern } from './index.js';
import { indexEventText, matchesSubRule, type PathFilter, pathFilter } from './match.js';

/**
 * The rules of one bus, compiled together so that matching an event costs about the same with ten
 * rules as with ten thousand. Each event is read once (over the union of the paths every rule looks
 * at), and only the sub-rules it could satisfy are tried: every sub-rule with a field that accepts
 * nothing but exact strings and string prefixes is filed under that field's path and values, and an
 * event reaches it only if it has, at that path, one of those strings or a string with one of those
 * prefixes (looked up once per prefix length in use). Sub-rules without such a field are tried for
 * every event.
 *
 * The field chosen for a sub-rule is its rarest one across the whole bus, so a `source` every rule shares
 * does not send every event to every rule when a more telling field (a marketplace, a detail-type) exists.
 */
export class RuleIndex<K> {
  private readonly keys: readonly K[];
  private readonly subRules: { owner: number; rule: SubRule }[] = [];
  /** path → exact strings and prefixes → sub-rule numbers. */
  private readonly byPath = new Map<string, PathEntries>();
  /** Sub-rules every event must be tried against. */
  private readonly unindexed: number[] = [];
  private readonly paths: PathFilter;

  constructor(entries: readonly { key: K; pattern: CompiledPattern }[]) {
    this.keys = entries.map((entry) => entry.key);
    const all: SubRule[] = [];
    entries.forEach((entry, owner) => {
      for (const rule of entry.pattern.subRules) {
        this.subRules.push({ owner, rule });
        all.push(rule);
      }
    });
    this.paths = pathFilter(all);

    const usage = new Map<string, number>();
    const candidates = this.subRules.map(({ rule }) => indexableFields(rule));
    for (const fields of candidates) {
      for (const { path, values } of fields) {
        for (const value of values) usage.set(pairKey(path, value), (usage.get(pairKey(path, value)) ?? 0) + 1);
      }
    }
    candidates.forEach((fields, id) => {
      let best: IndexableField | undefined;
      let bestCost = Number.POSITIVE_INFINITY;
      for (const field of fields) {
        // An event reaches the sub-rule through any of the field's values, so the cost is their sum.
        const cost = field.values.reduce((sum, value) => sum + (usage.get(pairKey(field.path, value)) ?? 0), 0);
        if (cost < bestCost) {
          best = field;
          bestCost = cost;
        }
      }
      if (!best) {
        this.unindexed.push(id);
        return;
      }
      let entries = this.byPath.get(best.path);
      if (!entries) {
        entries = { exact: new Map(), prefixes: new Map(), prefixLengths: [] };
        this.byPath.set(best.path, entries);
      }
      for (const value of new Set(best.values)) {
        const map = value.startsWith('p:') ? entries.prefixes : entries.exact;
        const text = value.slice(2);
        const ids = map.get(text);
        if (ids) ids.push(id);
        else map.set(text, [id]);
      }
    });
    for (const entries of this.byPath.values()) {
      entries.prefixLengths = [...new Set([...entries.prefixes.keys()].map((p) => p.length))].sort((a, b) => a - b);
    }
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * The keys of the rules the event matches, in the order they were given. Throws InvalidEventError
   * for text that is not a JSON object.
   */
  match(eventText: string): K[] {
    if (this.keys.length === 0) return [];
    const { index } = indexEventText(eventText, this.paths);
    const tried = new Set<number>();
    const matched = new Set<number>();
    const attempt = (id: number) => {
      if (tried.has(id)) return;
      tried.add(id);
      const entry = this.subRules[id];
      if (entry && !matched.has(entry.owner) && matchesSubRule(entry.rule, index)) matched.add(entry.owner);
    };
    for (const [path, entries] of this.byPath) {
      const leaves = index.get(path);
      if (!leaves) continue;
      for (const leaf of leaves) {
        const value = leaf.value;
        if (typeof value !== 'string') continue;
        for (const id of entries.exact.get(value) ?? []) attempt(id);
        for (const length of entries.prefixLengths) {
          if (length > value.length) break;
          for (const id of entries.prefixes.get(value.slice(0, length)) ?? []) attempt(id);
        }
      }
    }
    for (const id of this.unindexed) attempt(id);
    return [...matched].sort((a, b) => a - b).map((owner) => this.keys[owner] as K);
  }
}

interface PathEntries {
  exact: Map<string, number[]>;
  prefixes: Map<string, number[]>;
  /** The lengths of the prefixes filed here, ascending: an event string is looked up once per length. */
  prefixLengths: number[];
}

/** A field that accepts only exact strings and prefixes; values are matcher keys (`s:text`, `p:text`). */
interface IndexableField {
  path: string;
  values: readonly string[];
}

const pairKey = (path: string, value: string) => `${path}\u0000${value}`;

/**
 * The fields of a sub-rule that accept exact strings and string prefixes only (matcher keys `s:` and `p:`;
 * IP strings are `ip:`, and case-insensitive prefixes `pi:`, so neither is filed).
 */
function indexableFields(rule: SubRule): IndexableField[] {
  const fields: IndexableField[] = [];
  for (const field of rule) {
    if (field.matchers.length === 0) continue;
    const keys = field.matchers.map((m) => (m.absence === true ? '' : m.key));
    if (!keys.every((key) => key.startsWith('s:') || key.startsWith('p:'))) continue;
    fields.push({ path: field.path, values: keys });
  }
  return fields;
}
