import { describe, expect, it } from 'vitest';
import { createRateLimiter, sharedRateLimiter } from '../../lib/growingio/rate-limit.ts';
import type { Clock } from '../../lib/http.ts';

/** A clock whose sleep advances time instantly; records when each acquire completed. */
function fakeClock(start = 0): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('token bucket rate limiter', () => {
  it('lets a burst of 2 through, then spaces requests 500 ms apart at 2 req/s', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requestsPerSecond: 2, clock });
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      await limiter.acquire();
      times.push(clock.now());
    }
    expect(times).toEqual([0, 0, 500, 1000, 1500, 2000]);
  });

  it('refills while idle, but never above the burst size', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requestsPerSecond: 2, clock });
    await limiter.acquire();
    await limiter.acquire();
    clock.advance(10_000);
    for (let i = 0; i < 3; i++) await limiter.acquire();
    expect(clock.sleeps).toEqual([500]);
  });

  it('spaces concurrent callers without a queue', async () => {
    // Concurrent sleeps overlap in real time, so this clock records each wait without moving time forward.
    const sleeps: number[] = [];
    const clock: Clock = { now: () => 0, sleep: async (ms) => void sleeps.push(ms) };
    const limiter = createRateLimiter({ requestsPerSecond: 2, clock });
    await Promise.all(Array.from({ length: 5 }, () => limiter.acquire()));
    expect(sleeps).toEqual([500, 1000, 1500]);
  });

  it('keeps any window of one second at or under rate + burst', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ requestsPerSecond: 2, clock });
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      await limiter.acquire();
      times.push(clock.now());
      if (i % 7 === 0) clock.advance(130);
    }
    for (const start of times)
      expect(times.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(4);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(((40 - 2) / 2) * 1000 - 1000);
  });

  it('rejects a non-positive rate', () => {
    expect(() => createRateLimiter({ requestsPerSecond: 0, clock: fakeClock() })).toThrow(RangeError);
  });

  it('shares one bucket per token and clock, separate buckets for other tokens', async () => {
    const clock = fakeClock();
    const options = { requestsPerSecond: 2, clock };
    const a = sharedRateLimiter('https://gio', 'token-a', options);
    expect(sharedRateLimiter('https://gio', 'token-a', options)).toBe(a);
    const b = sharedRateLimiter('https://gio', 'token-b', options);
    expect(b).not.toBe(a);
    for (let i = 0; i < 2; i++) await a.acquire();
    await b.acquire();
    expect(clock.sleeps).toEqual([]);
    await sharedRateLimiter('https://gio', 'token-a', options).acquire();
    expect(clock.sleeps).toEqual([500]);
  });
});
