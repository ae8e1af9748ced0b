// Design 1 of the API-call savings benchmark: polling, simulated (no server). Every `pollSeconds`, for each
// marketplace × seller (each seller's polls at its own seeded phase), the poller lists, per entity kind (stock,
// orders, returns), the entities changed since its previous poll: one list call per page of `pageSize` entities, at
// least one call per kind even when nothing changed. For each listed entity whose current state differs from what the
// downstream holds it makes one push (the current version and state); an entity listed whose state the downstream
// already holds (a no-op, or changes that cancelled out) needs no push and counts as synced at that version.
//
// This is a strong baseline: a "changed since" listing (not a read of every entity), calls that take no time, and
// pushes that never repeat a state. A list call is superfluous when none of the entities on its page needed a push.
// The polls go on until each seller has been polled once after the end of the timeline, so that every change is
// synced; those polls count too.
import {
  type Accounting,
  analyze,
  type Confirmation,
  type DownstreamCall,
  FakeDownstream,
} from './api-calls-downstream.js';
import { type Change, type EntityKind, Rng, type Workload } from './api-calls-workload.js';

export interface PollingConfig {
  pollSeconds: number;
  /** Entities per list call. */
  pageSize: number;
  /** See `analyze`. */
  supersedeMs: number;
  /** The first poll of each seller (index in `Workload.sellers`), ms; seeded uniform in [0, pollSeconds) if absent. */
  phaseMs?: (seller: number) => number;
}

export interface PollingResult {
  design: 'polling';
  pollSeconds: number;
  pageSize: number;
  polls: number;
  /** List calls (reads): pages of changed entities, at least one per seller, kind and poll. */
  reads: number;
  /** Reads that found nothing to push. */
  readsEmpty: number;
  /** Pushes to the downstream: one per listed entity whose state differed. */
  pushes: number;
  /** reads + pushes. */
  apiCalls: number;
  /** The pushes, in time order. */
  calls: DownstreamCall[];
  /** The pushes' accounting (staleness included). */
  accounting: Omit<Accounting, 'classes'>;
}

const KINDS: readonly EntityKind[] = ['inventory', 'order', 'return'];

export function simulatePolling(workload: Workload, config: PollingConfig): PollingResult {
  const P = config.pollSeconds * 1000;
  if (!(P > 0)) throw new RangeError(`pollSeconds must be positive, got ${config.pollSeconds}`);
  const T = workload.config.durationSeconds * 1000;
  const phaseRng = new Rng(workload.config.seed, `poll-phase-${config.pollSeconds}`);
  const downstream = new FakeDownstream(workload.initial);
  const confirmations: Confirmation[] = [];
  const changesOf = new Map<string, Change[]>();
  for (const change of workload.changes) {
    const seller = `${change.marketplace}/${change.sellerId}`;
    let list = changesOf.get(seller);
    if (!list) {
      list = [];
      changesOf.set(seller, list);
    }
    list.push(change);
  }

  let polls = 0;
  let reads = 0;
  let readsEmpty = 0;
  const pushes: DownstreamCall[] = [];
  for (const [index, { marketplace, sellerId }] of workload.sellers.entries()) {
    const list = changesOf.get(`${marketplace}/${sellerId}`) ?? [];
    const seeded = phaseRng.uniform(0, P);
    const phase = config.phaseMs ? config.phaseMs(index) : seeded;
    let next = 0; // the first change not seen by a poll yet
    // Polls at phase + kP until the first one at or after the end of the timeline.
    for (let at = phase, previous = -1; previous < T; previous = at, at += P) {
      polls += 1;
      // The entities changed since the last poll (changes at or before `at`), with their state now.
      const now = new Map<string, Change>();
      while (next < list.length && (list[next] as Change).at <= at) {
        const change = list[next] as Change;
        now.set(change.key, change);
        next += 1;
      }
      for (const kind of KINDS) {
        const listed = [...now.values()].filter((c) => c.kind === kind).sort((a, b) => (a.key < b.key ? -1 : 1));
        const pages = Math.max(1, Math.ceil(listed.length / config.pageSize));
        for (let p = 0; p < pages; p++) {
          reads += 1;
          let pushed = 0;
          for (const current of listed.slice(p * config.pageSize, (p + 1) * config.pageSize)) {
            if (downstream.held(current.key)?.state === current.state) {
              confirmations.push({ key: current.key, version: current.version, at });
              continue;
            }
            const call = { key: current.key, version: current.version, state: current.state, at };
            downstream.put(call);
            pushes.push(call);
            pushed += 1;
          }
          if (pushed === 0) readsEmpty += 1;
        }
      }
    }
  }
  pushes.sort((a, b) => a.at - b.at);
  const { classes: _classes, ...accounting } = analyze(workload.changes, pushes, {
    supersedeMs: config.supersedeMs,
    initial: workload.initial,
    confirmations,
  });
  return {
    design: 'polling',
    pollSeconds: config.pollSeconds,
    pageSize: config.pageSize,
    polls,
    reads,
    readsEmpty,
    pushes: pushes.length,
    apiCalls: reads + pushes.length,
    calls: pushes,
    accounting,
  };
}
