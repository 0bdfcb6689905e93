// mulberry32: a tiny, fast, seeded PRNG so the emulators serve the same data on every run.

const STEP = 0x6d2b79f5;

/** Uniform 32-bit unsigned integers from a seed; `skip` starts at the skip-th output in O(1) (the state is a counter). */
export function prng(seed: number, skip = 0): () => number {
  let state = (seed + Math.imul(skip % 4_294_967_296, STEP)) >>> 0;
  return () => {
    state = (state + STEP) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform floats in [0, 1) from a seed. */
export function prngFloat(seed: number): () => number {
  const next = prng(seed);
  return () => next() / 4_294_967_296;
}
