// mulberry32: a tiny, fast, seeded PRNG so the emulators serve the same data on every run.

/** Uniform 32-bit unsigned integers from a seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
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
