// Contract: GET /audience-files against the Tencent emulator over HTTP, one test per documented code: upstream
// calls made (emulator stats), waits taken (a fake clock shared by handler and emulator), status, message, Retry-After.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createListAudienceFiles } from '../../functions/handlers/list-audience-files.ts';
import { type Env, parseConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { FILES_PATH } from '../../lib/tencent/client.ts';
import { msUntilDailyReset } from '../../lib/tencent/error-codes.ts';
import { type EmulatorFaults, startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';
import { fakeClock } from '../helpers/fake-clock.ts';
import { httpGet } from '../helpers/http-event.ts';

const SMALL = 10_001;
const BIG = 10_003; // 10,250 files: 103 upstream pages of 100
/** 2026-12-06 12:00:10 UTC: 50 s left in the minute window. */
const START = Date.UTC(2026, 11, 6, 12, 0, 10);
const FILTER = JSON.stringify([{ field: 'process_status', operator: 'EQUALS', values: ['ERROR'] }]);

let clock: ReturnType<typeof fakeClock>;
let emulator: TencentEmulator;
let lines: string[];

beforeAll(async () => {
  clock = fakeClock(START);
  emulator = await startTencentEmulator({ now: () => clock.now(), quotas: { perSecond: 100_000, perMinute: 100_000 } });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.clearFaults();
  emulator.resetQuotas();
  clock.sleeps.length = 0;
});

function handler(env: Env = {}) {
  lines = [];
  const config = parseConfig({ TENCENT_BASE_URL: emulator.url, TENCENT_ACCESS_TOKEN: emulator.accessToken, ...env });
  const logger = createLogger({ write: (line) => lines.push(line) });
  // Jitter pinned mid-range: a 0 ms draw (about 1 in 500) takes no wait and the sleep counts below would be short.
  return createListAudienceFiles({ config, logger, clock, random: () => 0.5, timeoutEarlyInMillis: 0 });
}

/** One listing; `calls` is how many upstream listing requests it made. */
async function list(query: Record<string, string>, options: { env?: Env; remainingMs?: number } = {}) {
  const before = emulator.stats().byPath[FILES_PATH] ?? 0;
  const answer = await httpGet(handler(options.env), '/audience-files', query, options.remainingMs ?? 120_000);
  return { ...answer, calls: (emulator.stats().byPath[FILES_PATH] ?? 0) - before };
}

/** Whole seconds to the next minute, as the emulator's Date header (whole seconds) tells it. */
const windowMs = () => 60_000 - ((Math.floor(clock.now() / 1000) * 1000) % 60_000);

describe('10000 system busy', () => {
  it('retried with backoff until it answers', async () => {
    emulator.setFaults({ busy: 2 });
    const { status, calls } = await list({ account_id: String(SMALL) });
    expect(status).toBe(200);
    expect(calls).toBe(3);
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[0]).toBeLessThan(500);
    expect(clock.sleeps[1]).toBeLessThan(1000);
  });

  it('503 after 4 attempts, naming the code', async () => {
    emulator.setFaults({ busy: 10 });
    const { status, body, headers, calls } = await list({ account_id: String(SMALL) });
    expect(status).toBe(503);
    expect(calls).toBe(4);
    expect(clock.sleeps).toHaveLength(3);
    expect(body).toMatchObject({ error: 'TencentUnavailable', code: 10000 });
    expect(body.message).toMatch(/code 10000 \(system busy, retry\).*\(gave up after 4 attempts\); retry in \d+ s/);
    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

describe('11016 per-second limit', () => {
  it('a short wait into the next second, then the answer', async () => {
    emulator.setFaults({ perSecond: 1 });
    const { status, calls } = await list({ account_id: String(SMALL) });
    expect(status).toBe(200);
    expect(calls).toBe(2);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(1000);
    expect(clock.sleeps[0]).toBeLessThan(1250);
  });
});

describe.each([
  [11017, 'perMinute', 'per-minute request limit reached'],
  [11008, 'codeOnce', 'application request limit reached'],
])('%i minute window', (code, fault, meaning) => {
  const inject = () =>
    fault === 'codeOnce' ? emulator.setFaults({ codeOnce: [code] }) : emulator.setFaults({ perMinute: 1 });

  it('waits for the next minute when the deadline allows, then answers', async () => {
    inject();
    const expected = windowMs();
    const { status, calls } = await list({ account_id: String(SMALL) }, { remainingMs: 120_000 });
    expect(status).toBe(200);
    expect(calls).toBe(2);
    expect(clock.sleeps).toEqual([expected]);
  });

  it('503 with Retry-After = the rest of the window when the deadline does not allow the wait', async () => {
    inject();
    const expected = windowMs();
    expect(expected).toBeGreaterThan(5_000);
    const { status, body, headers, calls } = await list({ account_id: String(SMALL) }, { remainingMs: 5_000 });
    expect(status).toBe(503);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(body).toMatchObject({ error: 'TencentRateLimited', code });
    expect(body.message).toContain(meaning);
    expect(headers['retry-after']).toBe(String(Math.ceil(expected / 1000)));
  });
});

describe('11018 per-day limit', () => {
  it('never retried: one upstream call, 503 naming the daily limit, Retry-After until the assumed reset', async () => {
    emulator.setFaults({ perDay: 5 });
    const { status, body, headers, calls } = await list({ account_id: String(SMALL) });
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: 'TencentQuotaExhausted', code: 11018 });
    expect(body.message).toMatch(/daily request quota/);
    const reset = msUntilDailyReset(Math.floor(clock.now() / 1000) * 1000);
    expect(headers['retry-after']).toBe(String(Math.ceil(reset / 1000)));
  });

  it('a real exhausted day quota costs one call per request, also for a filtered scan', async () => {
    emulator.setQuotas({ perDay: 1 });
    try {
      expect((await list({ account_id: String(SMALL) })).status).toBe(200);
      const { status, calls } = await list({ account_id: String(BIG), filtering: FILTER });
      expect(status).toBe(503);
      expect(calls).toBe(1);
      expect(emulator.quotaUsage().day).toBe(1); // the refused call consumed nothing more
    } finally {
      emulator.setQuotas({ perDay: 20_000 });
    }
  });

  it('TENCENT_DAILY_RETRY_AFTER_SECONDS replaces the assumed reset', async () => {
    emulator.setFaults({ perDay: 1 });
    const { headers, calls } = await list(
      { account_id: String(SMALL) },
      { env: { TENCENT_DAILY_RETRY_AFTER_SECONDS: '3600' } },
    );
    expect(calls).toBe(1);
    expect(headers['retry-after']).toBe('3600');
  });
});

describe('auth and scope codes: 502 TencentAuthError, one call, no retry', () => {
  it.each<[number, EmulatorFaults, Env]>([
    [11000, { expireToken: true }, {}],
    [11002, {}, { TENCENT_ACCESS_TOKEN: 'valid-shape-but-unknown' }],
    [11004, {}, { TENCENT_ACCESS_TOKEN: 'not a token!' }],
    [11005, { codeOnce: [11005] }, {}],
    [11014, { scope: true }, {}],
  ])('%i', async (code, faults, env) => {
    emulator.setFaults(faults);
    const { status, body, headers, calls, text } = await list({ account_id: String(SMALL) }, { env });
    expect(status).toBe(502);
    expect(calls).toBe(1);
    expect(body).toMatchObject({ error: 'TencentAuthError', code });
    expect(headers['retry-after']).toBeUndefined();
    expect(text).not.toContain('valid-shape-but-unknown');
  });
});

describe('X-RateLimit-Remaining before a scan', () => {
  it('a scan needing more calls than remain is refused after its first call, both numbers named', async () => {
    emulator.setQuotas({ perMinute: 50 });
    try {
      const { status, body, calls } = await list({ account_id: String(BIG), filtering: FILTER });
      expect(calls).toBe(1);
      expect(status).toBe(503);
      expect(body).toMatchObject({
        error: 'TencentQuotaInsufficient',
        upstreamCallsNeeded: 102,
        rateLimitRemaining: 49,
      });
      expect(body.message).toContain('102 more upstream calls');
      expect(body.message).toContain('only 49 remaining');
    } finally {
      emulator.setQuotas({ perMinute: 100_000 });
    }
  });

  it('a scan that fits runs to the end', async () => {
    emulator.setQuotas({ perMinute: 103 });
    try {
      const { status, calls } = await list({ account_id: String(BIG), filtering: FILTER });
      expect(status).toBe(200);
      expect(calls).toBe(103);
    } finally {
      emulator.setQuotas({ perMinute: 100_000 });
    }
  });
});

describe('HTTP answers and the API version', () => {
  it('an HTTP 429 whose Retry-After exceeds the time left is answered 503 at once with that Retry-After', async () => {
    emulator.setFaults({ httpOnce: [{ status: 429, retryAfter: '30' }] });
    const { status, body, headers, calls } = await list({ account_id: String(SMALL) }, { remainingMs: 10_000 });
    expect(status).toBe(503);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
    expect(body.error).toBe('TencentRateLimited');
    expect(headers['retry-after']).toBe('30');
  });

  it('an HTTP 429 whose Retry-After fits is waited out', async () => {
    emulator.setFaults({ httpOnce: [{ status: 429, retryAfter: '2' }] });
    const { status, calls } = await list({ account_id: String(SMALL) });
    expect(status).toBe(200);
    expect(calls).toBe(2);
    expect(clock.sleeps).toEqual([2000]);
  });

  it('TENCENT_API_VERSION=v3.0 calls the v3.0 endpoint and answers documented status names', async () => {
    const v3 = '/v3.0/custom_audience_files/get';
    const before = emulator.stats().byPath[v3] ?? 0;
    const numeric = 10_002; // numbers on v1.3
    const query = { account_id: String(numeric), page_size: '50', fields: 'process_status' };
    const v13 = await list(query);
    expect(v13.body.list.every((item: { process_status: unknown }) => typeof item.process_status === 'number')).toBe(
      true,
    );
    const { status, body } = await list(query, { env: { TENCENT_API_VERSION: 'v3.0' } });
    expect(status).toBe(200);
    expect(emulator.stats().byPath[v3]! - before).toBe(1);
    for (const item of body.list) expect(['PENDING', 'PROCESSING', 'SUCCESS', 'ERROR']).toContain(item.process_status);
  });
});
