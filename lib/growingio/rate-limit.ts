// Client-side token bucket so calls stay under GrowingIO's documented ~2 requests/s per token.
import { createHash } from 'node:crypto';
import type { Clock } from '../retry.ts';

export interface RateLimiter {
  /** Resolves when one request may be sent; waits on the limiter's clock when the bucket is empty. */
  acquire(signal?: AbortSignal): Promise<void>;
}

export interface RateLimiterOptions {
  requestsPerSecond: number;
  /** Requests that may go out back to back after an idle period; defaults to requestsPerSecond (at least 1). */
  burst?: number;
  clock: Clock;
}

/**
 * Reservation-style token bucket: each caller takes a token immediately (the balance may go negative) and
 * sleeps until its reserved slot, so concurrent callers are spaced out without a queue.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const rate = options.requestsPerSecond;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError('requestsPerSecond must be a positive number');
  const capacity = Math.max(1, options.burst ?? Math.floor(rate));
  const { clock } = options;
  let tokens = capacity;
  let updatedAt = clock.now();

  return {
    async acquire(signal) {
      const now = clock.now();
      tokens = Math.min(capacity, tokens + ((now - updatedAt) / 1000) * rate);
      updatedAt = now;
      tokens -= 1;
      if (tokens >= 0) return;
      await clock.sleep(Math.ceil((-tokens / rate) * 1000), signal);
    },
  };
}

// Buckets shared per (clock, base URL, token), so short-lived clients (one per Lambda invocation) share one
// budget in a warm container. Keyed by a hash so the raw token is not kept as a map key.
const shared = new WeakMap<Clock, Map<string, RateLimiter>>();

/** The shared limiter for one token against one base URL, created on first use. */
export function sharedRateLimiter(scope: string, token: string, options: RateLimiterOptions): RateLimiter {
  let byKey = shared.get(options.clock);
  if (!byKey) {
    byKey = new Map();
    shared.set(options.clock, byKey);
  }
  const key = createHash('sha256').update(`${scope}\0${token}\0${options.requestsPerSecond}`).digest('hex');
  let limiter = byKey.get(key);
  if (!limiter) {
    limiter = createRateLimiter(options);
    byKey.set(key, limiter);
  }
  return limiter;
}
