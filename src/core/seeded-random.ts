// A seeded source of numbers in [0, 1): the same seed gives the same sequence on every machine, so that a workload
// (the demo's, a benchmark's) or a randomised test can be replayed from its seed. Not for anything secret.

/** mulberry32: a 32-bit state, fast, statistically good enough for workloads and tests. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
