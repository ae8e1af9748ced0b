import type { SubRule } from './compile.js';
import type { CompiledPattern } from './index.js';
import { indexEventText, matchesSubRule, type PathFilter, pathFilter } from './match.js';

/**
 * The rules of one bus, compiled together so that matching an event costs about the same with ten
 * rules as with ten thousand. Each event is read once (over the union of the paths every rule looks
 * at), and only the sub-rules it could satisfy are tried: every sub-rule with a field that accepts
 * nothing but exact strings is filed under one such (path, string) pair, and an event reaches it only
 * if it has that string at that path. Sub-rules without such a field are tried for every event.
 *
 * The pair chosen for a sub-rule is its rarest one across the whole bus, so a `source` every rule shares
 * does not send every event to every rule when a more telling field (a marketplace, a detail-type) exists.
 */
export class RuleIndex<K> {
  private readonly keys: readonly K[];
  private readonly subRules: { owner: number; rule: SubRule }[] = [];
  /** path → exact string → sub-rule numbers. */
  private readonly byValue = new Map<string, Map<string, number[]>>();
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
    const candidates = this.subRules.map(({ rule }) => exactStringFields(rule));
    for (const fields of candidates) {
      for (const { path, values } of fields) {
        for (const value of values) usage.set(pairKey(path, value), (usage.get(pairKey(path, value)) ?? 0) + 1);
      }
    }
    candidates.forEach((fields, id) => {
      let best: { path: string; values: readonly string[] } | undefined;
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
      let values = this.byValue.get(best.path);
      if (!values) {
        values = new Map();
        this.byValue.set(best.path, values);
      }
      for (const value of new Set(best.values)) {
        const ids = values.get(value);
        if (ids) ids.push(id);
        else values.set(value, [id]);
      }
    });
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
    for (const [path, values] of this.byValue) {
      const leaves = index.get(path);
      if (!leaves) continue;
      for (const leaf of leaves) {
        if (typeof leaf.value !== 'string') continue;
        for (const id of values.get(leaf.value) ?? []) attempt(id);
      }
    }
    for (const id of this.unindexed) attempt(id);
    return [...matched].sort((a, b) => a - b).map((owner) => this.keys[owner] as K);
  }
}

const pairKey = (path: string, value: string) => `${path}\u0000${value}`;

/** The fields of a sub-rule that accept exact strings only (matcher keys `s:`; IP strings are `ip:`). */
function exactStringFields(rule: SubRule): { path: string; values: readonly string[] }[] {
  const fields: { path: string; values: string[] }[] = [];
  for (const field of rule) {
    if (field.matchers.length === 0) continue;
    if (!field.matchers.every((m) => m.absence !== true && m.key.startsWith('s:'))) continue;
    fields.push({ path: field.path, values: field.matchers.map((m) => m.key.slice(2)) });
  }
  return fields;
}
