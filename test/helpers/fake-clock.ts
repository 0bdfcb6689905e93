// A Clock whose time only moves when someone sleeps; records every sleep so tests can assert backoff.
import type { Clock } from '../../lib/retry.ts';

export function fakeClock(start = 1_000_000): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}
