// The code table and the one retry decision per kind, on a fixed clock.
import { describe, expect, it } from 'vitest';
import {
  codeInfo,
  msUntilDailyReset,
  msUntilNextMinute,
  rateLimitRemaining,
  retryDecision,
  serverNowMs,
} from '../../lib/tencent/error-codes.ts';

// 2026-12-06 21:30:15.250 UTC = 2026-12-07 05:30:15.250 GMT+8
const NOW = Date.UTC(2026, 11, 6, 21, 30, 15, 250);
const base = { attempt: 1, nowMs: NOW, random: () => 0.5 };

describe('codeInfo', () => {
  it.each<[number, string, string]>([
    [10000, 'busy', 'system busy'],
    [11000, 'auth', 'expired'],
    [11002, 'auth', 'invalid'],
    [11004, 'auth', 'malformed'],
    [11005, 'auth', 'empty'],
    [11008, 'app-limit', 'application'],
    [11014, 'scope', 'scope'],
    [11016, 'per-second', 'per-second'],
    [11017, 'per-minute', 'per-minute'],
    [11018, 'per-day', 'per-day'],
    [11019, 'app-limit', 'too frequent'],
    [12000, 'param', 'nonce'],
  ])('%i is %s', (code, kind, meaning) => {
    expect(codeInfo(code).kind).toBe(kind);
    expect(codeInfo(code).meaning).toContain(meaning);
  });

  it('treats undocumented codes as other, and replay codes as configured', () => {
    expect(codeInfo(31033).kind).toBe('other');
    expect(codeInfo(12100).kind).toBe('replay');
    expect(codeInfo(12100, [777]).kind).toBe('other');
    expect(codeInfo(777, [777]).kind).toBe('replay');
  });
});

describe('retryDecision', () => {
  it('10000: jittered backoff, then fail after maxAttempts', () => {
    expect(retryDecision(10000, base)).toEqual({ action: 'retry', delayMs: 250 });
    expect(retryDecision(10000, { ...base, attempt: 3 })).toEqual({ action: 'retry', delayMs: 1000 });
    expect(retryDecision(10000, { ...base, attempt: 4 })).toEqual({ action: 'fail', retryAfterMs: 2000 });
  });

  it('11016: waits for the next second (plus a little jitter)', () => {
    expect(retryDecision(11016, base)).toEqual({ action: 'retry', delayMs: 750 + 125 });
  });

  it.each([11017, 11008, 11019])('%i: waits until the next minute of the server clock', (code) => {
    expect(retryDecision(code, base)).toEqual({ action: 'retry', delayMs: 44_750 });
  });

  it('11017 with a deadline too short for the window: fail with the remaining window as retryAfter', () => {
    expect(retryDecision(11017, { ...base, remainingMs: 10_000 })).toEqual({ action: 'fail', retryAfterMs: 44_750 });
  });

  it('11018: never retried; retryAfter until midnight GMT+8, or the configured seconds', () => {
    const midnight = Date.UTC(2026, 11, 7, 16, 0, 0); // 2026-12-08 00:00 GMT+8
    expect(retryDecision(11018, base)).toEqual({ action: 'fail', retryAfterMs: midnight - NOW });
    expect(retryDecision(11018, { ...base, dailyRetryAfterSeconds: 300 })).toEqual({
      action: 'fail',
      retryAfterMs: 300_000,
    });
  });

  it('auth and scope codes are auth; only 11000 says a refresh may help', () => {
    expect(retryDecision(11000, base)).toEqual({ action: 'auth', expired: true });
    for (const code of [11002, 11004, 11005, 11007, 11014]) {
      expect(retryDecision(code, base)).toEqual({ action: 'auth', expired: false });
    }
  });

  it('replay codes get one fresh retry, other codes none', () => {
    expect(retryDecision(12100, base)).toEqual({ action: 'fresh' });
    expect(retryDecision(12100, { ...base, attempt: 2 })).toEqual({ action: 'fail' });
    expect(retryDecision(12000, base)).toEqual({ action: 'fail' });
    expect(retryDecision(50000, base)).toEqual({ action: 'fail' });
  });
});

describe('clock helpers', () => {
  it('minute and day windows', () => {
    expect(msUntilNextMinute(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(60_000);
    expect(msUntilNextMinute(Date.UTC(2026, 0, 1, 0, 0, 59, 999))).toBe(1);
    // 15:59:59 UTC is 23:59:59 GMT+8: one second to the reset
    expect(msUntilDailyReset(Date.UTC(2026, 0, 1, 15, 59, 59))).toBe(1000);
    expect(msUntilDailyReset(Date.UTC(2026, 0, 1, 16, 0, 0))).toBe(86_400_000);
  });

  it('server clock from the Date header, local clock otherwise', () => {
    expect(serverNowMs('Sun, 06 Dec 2026 21:30:15 GMT', 5)).toBe(Date.UTC(2026, 11, 6, 21, 30, 15));
    expect(serverNowMs(null, 5)).toBe(5);
    expect(serverNowMs('garbage', 5)).toBe(5);
  });

  it('X-RateLimit-Remaining', () => {
    expect(rateLimitRemaining('17')).toBe(17);
    expect(rateLimitRemaining(null)).toBeUndefined();
    expect(rateLimitRemaining('0.5')).toBeUndefined();
  });
});
