// Coalescing for consumers that sync state to a downstream API (a marketplace's stock or order endpoint): when many
// updates of one entity arrive close together, only the newest needs sending, and an update older than what was
// already sent must not overwrite it. A Coalescer holds the items (messages) of each key for a window, hands over
// one group per key with the item of the highest version as `latest` and the others as `superseded`, remembers the
// version applied per key, and skips items whose version is not above it.
//
// It is pure bookkeeping: time is passed in, there is no timer and no I/O, and the same calls give the same results.
// The consumer drives it:
//
//   add(item, now)          on receive: 'stale' → delete the message without handling it; 'held' → hold it (keep
//                           extending its visibility) until its group is handed over or pruned.
//   due(now)                when the earliest window closes (`nextDueAt()`): for each group, run the handler once
//                           with `latest`; then
//   applied(key, version, now)  on success: delete the group's messages, and those `applied` returns (held items
//                           the success made stale); or
//   failed(key)             on failure: retry the group's messages (they come back and are added again).
//
// A key whose group has been handed over is in flight until `applied` or `failed`: its next group is not handed over
// before, so one entity never has two handler calls at once, and a success that arrives later cannot overwrite a
// newer one. Each key's `latest` versions handed over therefore increase strictly, as long as its groups succeed and
// the applied version is remembered (`memoryMs`, `maxKeys`: forgetting it only loses the protection from older
// versions that come late).
import type { EntityKey } from './catalogue.js';

/** A day: how long the version applied to a key is remembered, unless told otherwise. */
export const DEFAULT_COALESCING_MEMORY_MS = 24 * 60 * 60 * 1000;

/** The most keys whose applied version is remembered, unless told otherwise. */
export const DEFAULT_COALESCING_MAX_KEYS = 100_000;

export interface CoalescerOptions {
  /**
   * How long the items of a key are held, from the first of them, before they are handed over as one group, in
   * milliseconds. 0 hands over at the next `due()` whatever has arrived by then.
   */
  windowMs: number;
  /** How long the version applied to a key is remembered, from the last `applied`, in milliseconds. @defaultValue 24 hours */
  memoryMs?: number;
  /** The most keys whose applied version is remembered; beyond it the least recently applied is forgotten. @defaultValue 100000 */
  maxKeys?: number;
}

/** What is coalesced: a value (a message, an event) with the key of its entity and the entity's version. */
export interface CoalesceItem<T> {
  /** The entity the item is about (see {@link entityCoalescingKey} for catalogue events). */
  key: string;
  /** The entity's version the item carries: of two items of one key, the higher version is the newer. */
  version: number;
  value: T;
}

/** The items of one key whose window has closed: handle `latest`, then settle them all together. */
export interface CoalescedGroup<T> {
  key: string;
  /** The version of `latest`: what to pass to `applied` when its handler succeeds. */
  version: number;
  /** The item of the highest version (of equal versions, the one added last). */
  latest: T;
  /** The other items, in the order they were added. */
  superseded: T[];
  /** When the first item of the group was added: the window closed `windowMs` later. */
  openedAt: number;
}

/** What became of an item given to `add`. */
export type AddOutcome =
  /** Held in its key's group, to be handed over by `due` (or returned by `applied` if a success makes it stale). */
  | 'held'
  /** Its version is not above the version applied to its key: skip it (settle it without handling it). */
  | 'stale';

interface Entry<T> {
  value: T;
  version: number;
}

interface Group<T> {
  openedAt: number;
  closesAt: number;
  /** In the order added. */
  entries: Entry<T>[];
  latest: number;
}

interface Applied {
  version: number;
  /** Remembered while `now < expiresAt`. */
  expiresAt: number;
}

/**
 * The key to coalesce a catalogue event by: its entity kind and key together, as `entityKey` advises
 * (`inventory:amazon-de/seller-1/SKU-1`). Entity kinds hold no `:`, so no two entities share a key.
 */
export function entityCoalescingKey(entity: Pick<EntityKey, 'entity' | 'key'>): string {
  return `${entity.entity}:${entity.key}`;
}

/** Coalesces items per key over a time window and skips stale versions (see the module notes). */
export class Coalescer<T> {
  readonly windowMs: number;
  readonly memoryMs: number;
  readonly maxKeys: number;
  /** The held items of each key not handed over yet, in the order the groups opened. */
  readonly #groups = new Map<string, Group<T>>();
  /** The keys whose group was handed over and is not settled yet. */
  readonly #inFlight = new Set<string>();
  /** Key → the highest version applied, in the order of the last `applied` (the oldest first). */
  readonly #applied = new Map<string, Applied>();
  #pending = 0;
  #coalesced = 0;
  #skipped = 0;

  constructor(options: CoalescerOptions) {
    const { windowMs, memoryMs = DEFAULT_COALESCING_MEMORY_MS, maxKeys = DEFAULT_COALESCING_MAX_KEYS } = options;
    if (!(Number.isFinite(windowMs) && windowMs >= 0)) {
      throw new RangeError(`windowMs must be a non-negative number of milliseconds, got ${windowMs}`);
    }
    if (!(memoryMs >= 0))
      throw new RangeError(`memoryMs must be a non-negative number of milliseconds, got ${memoryMs}`);
    if (!Number.isInteger(maxKeys) || maxKeys < 1)
      throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
    this.windowMs = windowMs;
    this.memoryMs = memoryMs;
    this.maxKeys = maxKeys;
  }

  /** Items handed over as `superseded` so far: handler calls saved. */
  get coalesced(): number {
    return this.#coalesced;
  }

  /** Items skipped as stale so far (by `add`, or returned by `applied`). */
  get skipped(): number {
    return this.#skipped;
  }

  /** Items held, not handed over yet. */
  get pending(): number {
    return this.#pending;
  }

  /** Keys whose group was handed over and is not settled yet. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Takes an item received at `now`. `'stale'` if its version is not above the version applied to its key (it is
   * then no longer tracked); else `'held'`: it joins its key's group, which opens now if there is none. An item
   * that comes after its group's window closed but before `due` handed the group over still joins it.
   */
  add(item: CoalesceItem<T>, now: number): AddOutcome {
    checkTime(now);
    if (!Number.isFinite(item.version)) throw new RangeError(`version must be a finite number, got ${item.version}`);
    if (this.isStale(item.key, item.version, now)) {
      this.#skipped += 1;
      return 'stale';
    }
    let group = this.#groups.get(item.key);
    if (!group) {
      group = { openedAt: now, closesAt: now + this.windowMs, entries: [], latest: 0 };
      this.#groups.set(item.key, group);
    }
    const latest = group.entries[group.latest];
    group.entries.push({ value: item.value, version: item.version });
    if (!latest || item.version >= latest.version) group.latest = group.entries.length - 1;
    this.#pending += 1;
    return 'held';
  }

  /**
   * Hands over the groups whose window has closed by `now` (`openedAt + windowMs <= now`), in the order they opened,
   * except those of keys in flight, which wait for their key to be settled. Their keys are in flight from now on.
   */
  due(now: number): CoalescedGroup<T>[] {
    checkTime(now);
    const out: CoalescedGroup<T>[] = [];
    for (const [key, group] of this.#groups) {
      if (group.closesAt > now || this.#inFlight.has(key)) continue;
      const latest = group.entries[group.latest];
      if (!latest) continue; // a group always holds its latest entry
      this.#groups.delete(key);
      this.#inFlight.add(key);
      const superseded = group.entries.filter((_, i) => i !== group.latest).map((e) => e.value);
      this.#pending -= group.entries.length;
      this.#coalesced += superseded.length;
      out.push({ key, version: latest.version, latest: latest.value, superseded, openedAt: group.openedAt });
    }
    return out;
  }

  /**
   * When the earliest window of a key not in flight closes: when to call `due` next. Undefined when nothing is held
   * but for keys in flight (settling one of them may make its group due at once).
   */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const [key, group] of this.#groups) {
      if (this.#inFlight.has(key)) continue;
      if (next === undefined || group.closesAt < next) next = group.closesAt;
    }
    return next;
  }

  /**
   * Records that `version` of `key` was applied (its handler succeeded) at `now`: the key is no longer in flight,
   * and items of it with a version not above it are stale from now on. Returns the held items this made stale,
   * which leave their group: skip them too.
   */
  applied(key: string, version: number, now: number): T[] {
    checkTime(now);
    if (!Number.isFinite(version)) throw new RangeError(`version must be a finite number, got ${version}`);
    this.#inFlight.delete(key);
    const before = this.#remembered(key, now);
    const highest = before === undefined ? version : Math.max(before, version);
    this.#applied.delete(key);
    if (this.memoryMs > 0) {
      this.#applied.set(key, { version: highest, expiresAt: now + this.memoryMs });
      this.#forget(now);
    }
    const group = this.#groups.get(key);
    if (!group) return [];
    const latest = group.entries[group.latest];
    if (!latest || latest.version <= highest) {
      // The latest has the highest version, so every entry is stale.
      this.#groups.delete(key);
      return this.#skip(group.entries);
    }
    const stale = group.entries.filter((e) => e.version <= highest);
    if (stale.length === 0) return [];
    group.entries = group.entries.filter((e) => e.version > highest);
    group.latest = group.entries.indexOf(latest);
    return this.#skip(stale);
  }

  /**
   * Takes back every item held and not handed over (on shutdown, to release them): the groups are gone, as if the
   * items had never been added. Keys in flight and versions applied are kept.
   */
  clear(): T[] {
    const items = [...this.#groups.values()].flatMap((group) => group.entries.map((e) => e.value));
    this.#groups.clear();
    this.#pending = 0;
    return items;
  }

  /** Records that the handler of `key`'s group failed: the key is no longer in flight; nothing is remembered. */
  failed(key: string): void {
    this.#inFlight.delete(key);
  }

  /** Whether an item of `key` with `version` would be skipped at `now`: not above the version applied to the key. */
  isStale(key: string, version: number, now: number): boolean {
    const applied = this.#remembered(key, now);
    return applied !== undefined && version <= applied;
  }

  /** The highest version applied to `key` that is still remembered at `now`. */
  appliedVersion(key: string, now: number): number | undefined {
    return this.#remembered(key, now);
  }

  /** Whether `key`'s group was handed over and is not settled yet. */
  isInFlight(key: string): boolean {
    return this.#inFlight.has(key);
  }

  #remembered(key: string, now: number): number | undefined {
    const applied = this.#applied.get(key);
    if (!applied) return undefined;
    if (now < applied.expiresAt) return applied.version;
    this.#applied.delete(key);
    return undefined;
  }

  #skip(entries: Entry<T>[]): T[] {
    this.#pending -= entries.length;
    this.#skipped += entries.length;
    return entries.map((e) => e.value);
  }

  /** Drops expired versions from the oldest end, then the oldest beyond `maxKeys`: O(1) amortised per `applied`. */
  #forget(now: number): void {
    for (const [key, applied] of this.#applied) {
      if (now < applied.expiresAt && this.#applied.size <= this.maxKeys) return;
      this.#applied.delete(key);
    }
  }
}

function checkTime(now: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite number of milliseconds, got ${now}`);
}
