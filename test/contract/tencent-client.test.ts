// Contract: the Tencent client against the emulator over real HTTP, for every business code the client handles.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppError,
  TencentApiError,
  TencentAuthError,
  TencentQuotaExhausted,
  TencentRateLimited,
  TencentTimeout,
  TencentUnavailable,
} from '../../lib/errors.ts';
import type { Clock } from '../../lib/http.ts';
import { createTencentClient, type TencentClientOptions } from '../../lib/tencent/client.ts';
import { msUntilDailyReset } from '../../lib/tencent/error-codes.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';

const ACCOUNT = 501;
const TRACE_ID = /^[0-9a-f]{32}$/;

/** Shared by client and emulator: sleeping advances time instantly, so backoff and rate windows are real but fast. */
function fakeClock(start = Date.now()): Clock & { sleeps: number[]; skewMs: number; current: number } {
  const clock = {
    sleeps: [] as number[],
    skewMs: 0,
    current: start,
    now: () => clock.current + clock.skewMs,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.current += ms;
    },
  };
  return clock;
}

/** A pass-through fetch that records what went out and which trace id came back; it changes nothing. */
function recordingFetch() {
  const sent: URL[] = [];
  const traceIds: string[] = [];
  const fn = (async (url: string | URL, init?: RequestInit) => {
    sent.push(new URL(String(url)));
    const response = await fetch(url, init);
    traceIds.push(response.headers.get('x-tsa-trace-id') ?? '');
    return response;
  }) as typeof fetch;
  return { fn, sent, traceIds };
}

let emulator: TencentEmulator;
let clock: ReturnType<typeof fakeClock>;

beforeAll(async () => {
  clock = fakeClock();
  emulator = await startTencentEmulator({
    accounts: [{ accountId: ACCOUNT, files: 30 }],
    numericStatusAccounts: [ACCOUNT],
    rateLimitPerSecond: 1000,
    now: () => clock.current,
  });
});
afterAll(() => emulator.close());
afterEach(() => {
  clock.skewMs = 0;
  clock.sleeps.length = 0;
  emulator.setFaults({ expireToken: false });
  emulator.setLatency(0);
});

function client(overrides: Partial<TencentClientOptions> = {}) {
  const recorder = recordingFetch();
  const instance = createTencentClient({
    baseUrl: emulator.url,
    accessToken: emulator.accessToken,
    fetch: recorder.fn,
    clock,
    random: () => 0.5,
    ...overrides,
  });
  return { instance, ...recorder };
}

async function failure(run: Promise<unknown>): Promise<AppError> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!error) throw new Error('expected the call to fail');
  return error as AppError;
}

describe('success', () => {
  it('sends fresh auth params, reads a typed page and the trace id', async () => {
    const { instance, sent, traceIds } = client();
    const page = await instance.getAudienceFiles({ accountId: ACCOUNT, page: 2, pageSize: 7 });
    expect(page.page_info).toEqual({ page: 2, page_size: 7, total_number: 30, total_page: 5 });
    expect(page.list).toHaveLength(7);
    expect(page.traceId).toBe(traceIds[0]);
    for (const file of page.list) {
      expect(typeof file.process_status).toBe('number'); // a numeric account: passed through, never renamed
      expect(typeof file.custom_audience_file_id).toBe('number');
    }
    const params = sent[0]!.searchParams;
    expect(params.get('nonce')).toMatch(/^[0-9a-f]{32}$/);
    expect(params.get('timestamp')).toBe(String(Math.floor(clock.now() / 1000)));
  });

  it('pushes audience_id, custom_audience_file_id and fields to the upstream call', async () => {
    const raw = emulator.allFiles(ACCOUNT) as Array<Record<string, unknown>>;
    const target = raw[3]!;
    const { instance } = client();
    const page = await instance.getAudienceFiles({
      accountId: ACCOUNT,
      audienceId: Number(target.audience_id),
      customAudienceFileId: Number(target.custom_audience_file_id),
      fields: ['custom_audience_file_id', 'name'],
    });
    expect(page.list.map((file) => file.name)).toEqual([target.name]);
    expect(page.list[0]?.size).toBeNull();
  });
});

describe('token and account problems are not retried', () => {
  it.each([
    ['11002 invalid token', { accessToken: 'not-the-token-1234' }, undefined, 11002],
    ['11004 malformed token', { accessToken: 'not a token!' }, undefined, 11004],
  ])('%s', async (_label, overrides, accountId, code) => {
    const { instance, sent, traceIds } = client(overrides);
    const error = await failure(instance.getAudienceFiles({ accountId: accountId ?? ACCOUNT }));
    expect(error).toBeInstanceOf(TencentAuthError);
    expect(error.details).toMatchObject({ code, traceId: traceIds[0] });
    expect(error.details.traceId).toMatch(TRACE_ID);
    expect(sent).toHaveLength(1);
    expect(error.message).not.toContain('not-the-token-1234');
  });

  it('11000 expired token', async () => {
    emulator.setFaults({ expireToken: true });
    const { instance, sent } = client();
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentAuthError);
    expect(error.details.code).toBe(11000);
    expect(error.details.message_cn).toContain('过期');
    expect(sent).toHaveLength(1);
  });

  it('11005', async () => {
    emulator.setFaults({ codeOnce: [11005] });
    const { instance, sent } = client();
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentAuthError);
    expect(error.details.code).toBe(11005);
    expect(sent).toHaveLength(1);
  });
});

describe('rate limits by documented meaning (one code table with the write client)', () => {
  /** The emulator's Date header has whole seconds: windows are measured from the server's second. */
  const untilNextMinute = (ms: number) => 60_000 - ((Math.floor(ms / 1000) * 1000) % 60_000);

  it('11016 (per-second): a short wait into the next second, plus jitter', async () => {
    emulator.setFaults({ codeOnce: [11016] });
    const { instance, sent } = client();
    await instance.getAudienceFiles({ accountId: ACCOUNT });
    expect(sent).toHaveLength(2);
    expect(clock.sleeps).toEqual([1000 + 125]); // Date header on a whole second; jitter 0.5 × 250 ms
  });

  it.each([11008, 11017, 11019])('%i (minute window): waits for the next minute, then succeeds', async (code) => {
    emulator.setFaults({ codeOnce: [code] });
    const start = clock.current;
    const { instance, sent } = client();
    await instance.getAudienceFiles({ accountId: ACCOUNT });
    expect(sent).toHaveLength(2);
    expect(clock.sleeps).toEqual([untilNextMinute(start)]);
  });

  it('a minute window that does not fit the deadline fails at once with the remaining window', async () => {
    emulator.setFaults({ codeOnce: [11017] });
    const start = clock.current;
    const { instance, sent } = client({ deadlineAt: start + 500 });
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentRateLimited);
    expect(error.retryable).toBe(false);
    expect(error.retryAfterMs).toBe(Math.max(1000, untilNextMinute(start)));
    expect(sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('11018 (per day): exactly one call, never retried, retryAfterMs until the assumed reset', async () => {
    emulator.setFaults({ codeOnce: [11018] });
    const { instance, sent } = client();
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentQuotaExhausted);
    expect(error.message).toMatch(/daily request quota/);
    expect(error.retryAfterMs).toBe(msUntilDailyReset(Math.floor(clock.current / 1000) * 1000));
    expect(sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('10000 (busy): retried with backoff, then TencentUnavailable after maxAttempts', async () => {
    emulator.setFaults({ busy: 3 });
    const { instance, sent, traceIds } = client({ maxAttempts: 3 });
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentUnavailable);
    expect(error.statusCode).toBe(503);
    expect(error.details).toMatchObject({ code: 10000, traceId: traceIds[2] });
    expect(sent).toHaveLength(3);
    expect(clock.sleeps).toEqual([250, 500]); // full jitter, random 0.5 × 500 ms · 2^(n-1)
  });

  it('reads X-RateLimit-Remaining from every answer', async () => {
    const { instance } = client();
    const first = await instance.getAudienceFiles({ accountId: ACCOUNT });
    const second = await instance.getAudienceFiles({ accountId: ACCOUNT });
    expect(typeof first.rateLimitRemaining).toBe('number');
    expect(second.rateLimitRemaining).toBe(first.rateLimitRemaining! - 1);
  });
});

describe('nonce and timestamp problems are retried once with fresh values', () => {
  it.each([12100, 12101])('%i once, then success with a new nonce and timestamp', async (code) => {
    emulator.setFaults({ codeOnce: [code] });
    const { instance, sent } = client();
    await instance.getAudienceFiles({ accountId: ACCOUNT });
    expect(sent).toHaveLength(2);
    expect(sent[1]!.searchParams.get('nonce')).not.toBe(sent[0]!.searchParams.get('nonce'));
    expect(clock.sleeps).toEqual([]);
  });

  it('12100 for real: a reused nonce is rejected, retried once, then reported', async () => {
    const { instance, sent, traceIds } = client({ nonce: () => 'same-nonce-every-time' });
    await instance.getAudienceFiles({ accountId: ACCOUNT });
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentApiError);
    expect(error.details).toMatchObject({ code: 12100, traceId: traceIds[2] });
    expect(sent).toHaveLength(3);
  });

  it('12101 for real: a clock 400 s ahead is retried once, then reported', async () => {
    clock.skewMs = 400_000;
    const { instance, sent } = client();
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentApiError);
    expect(error.details.code).toBe(12101);
    expect(error.statusCode).toBe(502);
    expect(sent).toHaveLength(2);
  });
});

describe('other codes are reported as TencentApiError, not retried', () => {
  it('12009 for real: an unknown field in fields', async () => {
    const { instance, sent } = client();
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT, fields: ['name', 'colour'] }));
    expect(error).toBeInstanceOf(TencentApiError);
    expect(error.details.code).toBe(12009);
    expect(sent).toHaveLength(1);
  });

  it.each([12000, 12001, 50000])('%i', async (code) => {
    emulator.setFaults({ codeOnce: [code] });
    const { instance, sent, traceIds } = client();
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentApiError);
    expect(error.details).toMatchObject({ code, traceId: traceIds[0] });
    expect(typeof error.details.message_cn).toBe('string');
    expect(error.message).toContain(String(code));
    expect(sent).toHaveLength(1);
  });
});

describe('transport failures', () => {
  it('times out, retries, and reports TencentTimeout (504)', async () => {
    emulator.setLatency(300);
    const { instance, sent } = client({ timeoutMs: 40, maxAttempts: 2 });
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentTimeout);
    expect(error.statusCode).toBe(504);
    expect(sent).toHaveLength(2);
  });

  it('reports an unreachable host as TencentUnavailable (503) without the token', async () => {
    const gone = await startTencentEmulator({ accounts: [] });
    await gone.close();
    const instance = createTencentClient({ baseUrl: gone.url, accessToken: 'secret-token-xyz', clock, maxAttempts: 2 });
    const error = await failure(instance.getAudienceFiles({ accountId: ACCOUNT }));
    expect(error).toBeInstanceOf(TencentUnavailable);
    expect(error.statusCode).toBe(503);
    expect(error.message).not.toContain('secret-token-xyz');
    expect(error.message).toContain('access_token=[REDACTED]');
  });
});
