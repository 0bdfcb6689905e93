import { describe, expect, it } from 'vitest';
import { HttpNetworkError, HttpTimeout } from '../../lib/errors.ts';
import { fetchWithRetry, type HttpRetryInfo, isRetryableStatus, parseRetryAfter } from '../../lib/http.ts';
import { backoffDelay } from '../../lib/retry.ts';
import { fakeClock } from '../helpers/fake-clock.ts';

/** A fetch that answers from a script: a status number, a Response, or an Error to throw. */
function scriptedFetch(script: Array<number | Response | Error>) {
  const calls: string[] = [];
  const fn = (async (url: string | URL) => {
    calls.push(String(url));
    const step = script[Math.min(calls.length - 1, script.length - 1)]!;
    if (step instanceof Error) throw step;
    if (step instanceof Response) return step;
    return new Response(`status ${step}`, { status: step });
  }) as typeof fetch;
  return { fn, calls };
}

describe('retry policy', () => {
  it('retries 429 and every 5xx, never other 4xx', () => {
    expect([429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 301, 400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });

  it('full jitter stays within [0, min(max, base*2^(n-1)))', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay(1, options, () => 0)).toBe(0);
    expect(backoffDelay(1, options, () => 0.999999)).toBe(99);
    expect(backoffDelay(3, options, () => 0.5)).toBe(200);
    expect(backoffDelay(10, options, () => 0.999999)).toBe(999);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('fetchWithRetry', () => {
  it('retries 503 then succeeds, sleeping with jitter between attempts', async () => {
    const clock = fakeClock();
    const { fn, calls } = scriptedFetch([503, 503, 200]);
    const retries: HttpRetryInfo[] = [];
    const response = await fetchWithRetry(
      'https://example.test/x',
      {},
      { baseDelayMs: 100, maxAttempts: 5 },
      { fetch: fn, clock, random: () => 0.5, onRetry: (info) => retries.push(info) },
    );
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(3);
    expect(clock.sleeps).toEqual([50, 100]);
    expect(retries.map((r) => r.reason)).toEqual(['HTTP 503', 'HTTP 503']);
  });

  it('does not retry a 400 or 401', async () => {
    for (const status of [400, 401, 404]) {
      const clock = fakeClock();
      const { fn, calls } = scriptedFetch([status, 200]);
      const response = await fetchWithRetry('https://example.test/x', {}, {}, { fetch: fn, clock });
      expect(response.status).toBe(status);
      expect(calls).toHaveLength(1);
      expect(clock.sleeps).toEqual([]);
    }
  });

  it('honours Retry-After on 429, and hands back a 429 whose Retry-After exceeds maxRetryAfterMs', async () => {
    const clock = fakeClock();
    const throttled = () => new Response('slow down', { status: 429, headers: { 'retry-after': '2' } });
    const { fn, calls } = scriptedFetch([
      throttled(),
      new Response('', { status: 429, headers: { 'retry-after': '90' } }),
      200,
    ]);
    const response = await fetchWithRetry(
      'https://example.test/x',
      {},
      { maxRetryAfterMs: 5_000 },
      { fetch: fn, clock, random: () => 0 },
    );
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('90');
    expect(calls).toHaveLength(2);
    expect(clock.sleeps).toEqual([2_000]);
  });

  it('returns the last retryable response once attempts are exhausted', async () => {
    const clock = fakeClock();
    const { fn, calls } = scriptedFetch([502]);
    // random pinned: a 0 ms jitter draw takes no wait, and the sleep count below would be short.
    const response = await fetchWithRetry(
      'https://example.test/x',
      {},
      { maxAttempts: 3 },
      { fetch: fn, clock, random: () => 0.5 },
    );
    expect(response.status).toBe(502);
    expect(calls).toHaveLength(3);
    expect(clock.sleeps).toHaveLength(2);
  });

  it('gives up after N network errors with the last error as cause, and no secret in the message', async () => {
    const clock = fakeClock();
    const last = new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    const { fn, calls } = scriptedFetch([new TypeError('fetch failed'), last]);
    const error = await fetchWithRetry(
      'https://api.e.qq.com/v1.3/x?access_token=tok-secret-1&nonce=n',
      {},
      { maxAttempts: 2 },
      { fetch: fn, clock },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpNetworkError);
    expect((error as Error).cause).toBe(last);
    expect((error as Error).message).toContain('ECONNRESET');
    expect((error as Error).message).toContain('gave up after 2 attempts');
    expect((error as Error).message).not.toContain('tok-secret-1');
    expect(calls).toHaveLength(2);
  });

  it('times out a request that never answers and retries it', async () => {
    let calls = 0;
    const hanging = ((_url: string | URL, init?: RequestInit) => {
      calls++;
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }) as typeof fetch;
    const error = await fetchWithRetry(
      'https://example.test/slow',
      {},
      { timeoutMs: 20, maxAttempts: 2 },
      { fetch: hanging, clock: fakeClock() },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpTimeout);
    expect((error as Error).message).toMatch(/timed out after 20 ms.*gave up after 2 attempts/);
    expect(calls).toBe(2);
  });
});
