// The API-call savings benchmark's downstream: the seller-facing system every design keeps in sync, as an in-process
// fake that records each call, and the accounting of those calls against the workload's changes.
//
// The downstream is a blind PUT per entity ("set the stock of SKU x to n", "set the status of order y to s"), as
// marketplace and seller APIs are: it holds the state the last call sent, whatever its version. Each call carries
// the entity's key, the version it was made from, and the state; `at` is simulated milliseconds.
//
// Every call is classified, replaying the calls in time order against what the downstream holds:
// - regression: it carried an older version than the one the downstream holds, with another state: it overwrote
//   newer data with older (worse than superfluous: the downstream is wrong until a newer call comes, if one does);
// - noop ("changed nothing"): the state sent is the state the downstream already held (a repeated event, a change
//   that changed nothing, an older version with the same state);
// - superseded: it changed the state, but a newer version with another state overwrote it within `supersedeMs`,
//   before it mattered to anyone reading the downstream;
// - useful: the rest.
// Superfluous = noop + superseded. Regressions are counted apart.
//
// Staleness: for each change that changes the state (no-ops need no sync), the delay from the change until the
// downstream first holds a version at least as new (a call with version ≥ v, or, for a poller that read the entity
// and found the downstream already right, a confirmation of version ≥ v). Never synced: no such call by the end.

import { percentile } from './stats.js';

export interface DownstreamCall {
  key: string;
  version: number;
  state: string;
  /** Simulated time of the call, in milliseconds. */
  at: number;
}

/** A poller's finding that the downstream already holds the entity's current state (no call made). */
export interface Confirmation {
  key: string;
  version: number;
  at: number;
}

/** The fake seller-facing system: records calls in the order they are made, and holds each entity's state. */
export class FakeDownstream {
  readonly calls: DownstreamCall[] = [];
  readonly #held = new Map<string, { version: number; state: string }>();

  constructor(initial?: ReadonlyMap<string, { version: number; state: string }>) {
    if (initial) for (const [key, value] of initial) this.#held.set(key, { ...value });
  }

  /** A PUT of an entity's state: recorded, and held (blindly: the downstream does not compare versions). */
  put(call: DownstreamCall): void {
    this.calls.push(call);
    this.#held.set(call.key, { version: call.version, state: call.state });
  }

  /** What the downstream holds for an entity. */
  held(key: string): { version: number; state: string } | undefined {
    return this.#held.get(key);
  }
}

export type CallClass = 'useful' | 'noop' | 'superseded' | 'regression';

export interface ChangeLike {
  key: string;
  version: number;
  state: string;
  at: number;
  noop: boolean;
}

export interface StalenessSummary {
  /** Changes that change the state (the ones staleness is measured on). */
  changes: number;
  synced: number;
  neverSynced: number;
  /** Delays in simulated seconds (nearest-rank percentiles), null when nothing synced. */
  p50Seconds: number | null;
  p90Seconds: number | null;
  p99Seconds: number | null;
  maxSeconds: number | null;
  meanSeconds: number | null;
}

export interface Accounting {
  calls: number;
  useful: number;
  noop: number;
  superseded: number;
  /** noop + superseded. */
  superfluous: number;
  regressions: number;
  staleness: StalenessSummary;
  entities: {
    /** Entities the workload changed. */
    changed: number;
    /** Entities whose newest version reached the downstream (a call or a confirmation of it). */
    newestDelivered: number;
    /** Entities whose newest version never reached it: a lost change. */
    newestMissing: number;
    /** Entities the downstream holds in another state than the workload's last one at the end (regressions). */
    finalStateWrong: number;
  };
  /** The class of each call, in the order given. */
  classes: CallClass[];
}

export interface AnalyzeOptions {
  /** A call overwritten by a newer version within this many simulated milliseconds was superseded. */
  supersedeMs: number;
  /** What the downstream holds at the start (every SKU's stock at version 0). */
  initial?: ReadonlyMap<string, { version: number; state: string }>;
  confirmations?: readonly Confirmation[];
}

const seconds = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? null : Math.round(ms) / 1000);

/** Classifies the calls and measures staleness against the workload's changes (see the module notes). */
export function analyze(
  changes: readonly ChangeLike[],
  calls: readonly DownstreamCall[],
  options: AnalyzeOptions,
): Accounting {
  const classes: CallClass[] = new Array(calls.length).fill('useful');
  // Calls in time order; a stable sort keeps the recorded order of calls made at the same moment.
  const order = calls
    .map((_, i) => i)
    .sort((a, b) => (calls[a] as DownstreamCall).at - (calls[b] as DownstreamCall).at);
  const held = new Map<string, { version: number; state: string }>();
  for (const [key, value] of options.initial ?? []) held.set(key, { ...value });
  /** Per key, the last call that changed the state: the one a newer write could supersede. */
  const lastWrite = new Map<string, { index: number; at: number; version: number }>();
  for (const i of order) {
    const call = calls[i] as DownstreamCall;
    const h = held.get(call.key);
    if (h && call.state === h.state) {
      classes[i] = 'noop';
      h.version = Math.max(h.version, call.version);
      continue;
    }
    if (h && call.version < h.version) {
      classes[i] = 'regression';
      held.set(call.key, { version: call.version, state: call.state });
      lastWrite.delete(call.key);
      continue;
    }
    const previous = lastWrite.get(call.key);
    if (
      previous &&
      call.version > previous.version &&
      call.at - previous.at <= options.supersedeMs &&
      classes[previous.index] === 'useful'
    ) {
      classes[previous.index] = 'superseded';
    }
    held.set(call.key, { version: call.version, state: call.state });
    lastWrite.set(call.key, { index: i, at: call.at, version: call.version });
  }

  // Staleness: per key, the times at which the downstream first reached each version (calls and confirmations).
  const reached = new Map<string, { at: number; version: number }[]>();
  const reach = (key: string, at: number, version: number) => {
    let list = reached.get(key);
    if (!list) {
      list = [];
      reached.set(key, list);
    }
    list.push({ at, version });
  };
  for (const i of order) {
    const call = calls[i] as DownstreamCall;
    reach(call.key, call.at, call.version);
  }
  for (const c of options.confirmations ?? []) reach(c.key, c.at, c.version);
  for (const list of reached.values()) list.sort((a, b) => a.at - b.at);

  const byKey = new Map<string, ChangeLike[]>();
  for (const change of changes) {
    let list = byKey.get(change.key);
    if (!list) {
      list = [];
      byKey.set(change.key, list);
    }
    list.push(change);
  }
  const delays: number[] = [];
  let measured = 0;
  let neverSynced = 0;
  let newestDelivered = 0;
  let finalStateWrong = 0;
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.version - b.version);
    const events = reached.get(key) ?? [];
    // Two pointers: versions grow with time, and so does the running maximum of the versions reached.
    let j = 0;
    let max = 0;
    for (const change of list) {
      while (j < events.length && max < change.version) {
        max = Math.max(max, (events[j] as { version: number }).version);
        j += 1;
      }
      if (change.noop) continue;
      measured += 1;
      if (max >= change.version) {
        const at = (events[j - 1] as { at: number }).at;
        delays.push(Math.max(0, at - change.at));
      } else {
        neverSynced += 1;
      }
    }
    const newest = list[list.length - 1] as ChangeLike;
    const highest = events.reduce((m, e) => Math.max(m, e.version), 0);
    if (highest >= newest.version) newestDelivered += 1;
    if (held.get(key)?.state !== newest.state) finalStateWrong += 1;
  }
  delays.sort((a, b) => a - b);
  const count = (c: CallClass) => classes.filter((x) => x === c).length;
  const noop = count('noop');
  const superseded = count('superseded');
  return {
    calls: calls.length,
    useful: count('useful'),
    noop,
    superseded,
    superfluous: noop + superseded,
    regressions: count('regression'),
    staleness: {
      changes: measured,
      synced: delays.length,
      neverSynced,
      p50Seconds: seconds(percentile(delays, 50)),
      p90Seconds: seconds(percentile(delays, 90)),
      p99Seconds: seconds(percentile(delays, 99)),
      maxSeconds: seconds(delays[delays.length - 1]),
      meanSeconds: seconds(delays.length ? delays.reduce((s, d) => s + d, 0) / delays.length : undefined),
    },
    entities: {
      changed: byKey.size,
      newestDelivered,
      newestMissing: byKey.size - newestDelivered,
      finalStateWrong,
    },
    classes,
  };
}
