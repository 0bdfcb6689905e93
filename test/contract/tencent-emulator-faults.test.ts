// The emulator's documented codes, fault switches, quotas on a settable clock and OAuth, over raw HTTP.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';

const ACCOUNT = 31;
const NUMERIC = 32;
let emulator: TencentEmulator;
let now = Date.UTC(2026, 11, 6, 12, 0, 0, 500);

beforeAll(async () => {
  emulator = await startTencentEmulator({
    accounts: [
      { accountId: ACCOUNT, files: 12 },
      { accountId: NUMERIC, files: 30 },
    ],
    numericStatusAccounts: [NUMERIC],
    quotas: { perSecond: 3, perMinute: 5, perDay: 8 },
    now: () => now,
  });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.clearFaults();
  emulator.resetQuotas();
});

async function get(params: Record<string, string> = {}, path = '/v1.3/custom_audience_files/get') {
  const query = new URLSearchParams({
    access_token: emulator.accessToken,
    timestamp: String(Math.floor(now / 1000)),
    nonce: randomBytes(16).toString('hex'),
    account_id: String(ACCOUNT),
    ...params,
  });
  const response = await fetch(`${emulator.url}${path}?${query}`);
  const text = await response.text();
  return {
    status: response.status,
    remaining: response.headers.get('x-ratelimit-remaining'),
    date: response.headers.get('date'),
    retryAfter: response.headers.get('retry-after'),
    body: (text.startsWith('{') ? JSON.parse(text) : {}) as {
      code: number;
      message: string;
      data: { list: Array<Record<string, unknown>> };
    },
  };
}

describe('fault switches answer the documented codes', () => {
  it.each<[string, Parameters<TencentEmulator['setFaults']>[0], number]>([
    ['busy', { busy: 1 }, 10000],
    ['per-second', { perSecond: 1 }, 11016],
    ['per-minute', { perMinute: 1 }, 11017],
    ['per-day', { perDay: 1 }, 11018],
    ['expired token', { expireToken: true }, 11000],
    ['scope', { scope: true }, 11014],
  ])('%s', async (_label, faults, code) => {
    emulator.setFaults(faults);
    const first = await get();
    expect(first.body.code).toBe(code);
    expect(first.body.message).not.toBe('');
    expect(first.remaining).toMatch(/^\d+$/);
  });

  it('counted faults stop after N calls; switches stay until cleared', async () => {
    emulator.setFaults({ busy: 2 });
    expect([(await get()).body.code, (await get()).body.code, (await get()).body.code]).toEqual([10000, 10000, 0]);
    emulator.setFaults({ scope: true });
    expect([(await get()).body.code, (await get()).body.code]).toEqual([11014, 11014]);
  });

  it('HTTP one-shots: 429 with Retry-After, then 503, then normal', async () => {
    emulator.setFaults({ httpOnce: [{ status: 429, retryAfter: '7' }, 503] });
    const throttled = await get();
    expect([throttled.status, throttled.retryAfter]).toEqual([429, '7']);
    expect((await get()).status).toBe(503);
    expect((await get()).body.code).toBe(0);
  });

  it('token codes: empty 11005, malformed 11004, unknown 11002', async () => {
    expect((await get({ access_token: '' })).body.code).toBe(11005);
    expect((await get({ access_token: 'has spaces in it' })).body.code).toBe(11004);
    expect((await get({ access_token: 'well-formed-but-unknown' })).body.code).toBe(11002);
  });
});

describe('quotas on the emulator clock', () => {
  it('per-second, per-minute and per-day counters, X-RateLimit-Remaining on every answer', async () => {
    now = Date.UTC(2026, 11, 6, 12, 0, 0, 500);
    const codes: number[] = [];
    const remaining: Array<string | null> = [];
    for (let call = 0; call < 4; call++) {
      const answer = await get();
      codes.push(answer.body.code);
      remaining.push(answer.remaining);
    }
    expect(codes).toEqual([0, 0, 0, 11016]); // 3 per second
    expect(remaining).toEqual(['4', '3', '2', '2']); // min(minute 5, day 8) left; a refused call costs nothing
    now += 1000;
    expect([(await get()).body.code, (await get()).body.code, (await get()).body.code]).toEqual([0, 0, 11017]);
    now += 60_000;
    const codesNextMinute = [];
    for (let call = 0; call < 4; call++) codesNextMinute.push((await get()).body.code);
    expect(codesNextMinute).toEqual([0, 0, 0, 11018]); // 8 per day reached
    now += 86_400_000;
    expect((await get()).body.code).toBe(0);
    expect(emulator.quotaUsage().day).toBe(1);
  });

  it('sends the server clock in Date', async () => {
    expect(Date.parse((await get()).date ?? '')).toBe(Math.floor(now / 1000) * 1000);
  });
});

describe('process_status and versions', () => {
  it('v1.3 numeric accounts use the emulator numbers; v3.0 always names', async () => {
    const numbers = await get({ account_id: String(NUMERIC), page_size: '30' });
    const statuses = numbers.body.data.list.map((file) => file.process_status);
    expect(statuses.every((status) => typeof status === 'number')).toBe(true);
    const names = await get({ account_id: String(NUMERIC), page_size: '30' }, '/v3.0/custom_audience_files/get');
    const named = names.body.data.list.map((file) => file.process_status);
    expect(new Set(named).size).toBeGreaterThan(1);
    for (const status of named) expect(['PENDING', 'PROCESSING', 'SUCCESS', 'ERROR']).toContain(status);
  });

  it('serves salt_id', async () => {
    const { body } = await get({ fields: '["salt_id"]', page_size: '12' });
    expect(body.data.list.every((file) => 'salt_id' in file)).toBe(true);
  });
});

describe('OAuth', () => {
  async function token(params: Record<string, string>) {
    const query = new URLSearchParams({
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: emulator.refreshToken,
      ...params,
    });
    return (await (await fetch(`${emulator.url}/oauth/token?${query}`)).json()) as {
      code: number;
      data: Record<string, string | number>;
    };
  }

  it('issues expiring tokens; an expired one answers 11000; refresh rotates the refresh token', async () => {
    emulator.setTokenLifetime(60);
    const before = emulator.refreshToken;
    const granted = await token({});
    expect(granted.code).toBe(0);
    expect(granted.data.access_token_expires_in).toBe(60);
    expect(granted.data.refresh_token).not.toBe(before);
    expect((await get({ access_token: String(granted.data.access_token) })).body.code).toBe(0);
    now += 61_000;
    expect((await get({ access_token: String(granted.data.access_token) })).body.code).toBe(11000);
    expect((await token({ refresh_token: before })).code).toBe(11010);
  });

  it('rejects a wrong client with 11007 and missing params with 12000', async () => {
    expect((await token({ client_secret: 'wrong' })).code).toBe(11007);
    expect((await token({ grant_type: '' })).code).toBe(12000);
  });
});

describe('the unknowns are settable', () => {
  it('replay codes, unknown-account code, status numbers and the remaining header', async () => {
    const custom = await startTencentEmulator({
      accounts: [{ accountId: 9, files: 20 }],
      numericStatusAccounts: [9],
      statusNumbers: { PENDING: 100, PROCESSING: 101, SUCCESS: 102, ERROR: 103 },
      replayCodes: { nonceReused: 777, staleTimestamp: 778 },
      unknownAccountCode: 555,
      remainingHeader: 'day',
      quotas: { perDay: 50 },
    });
    try {
      const call = async (params: Record<string, string>) => {
        const query = new URLSearchParams({
          access_token: custom.accessToken,
          timestamp: String(Math.floor(Date.now() / 1000)),
          nonce: randomBytes(8).toString('hex'),
          account_id: '9',
          page_size: '20',
          ...params,
        });
        const response = await fetch(`${custom.url}/v1.3/custom_audience_files/get?${query}`);
        const body = (await response.json()) as { code: number; data: { list: Array<{ process_status: unknown }> } };
        return { body, remaining: response.headers.get('x-ratelimit-remaining') };
      };
      const first = await call({ nonce: 'fixed-nonce' });
      expect(first.remaining).toBe('49');
      expect(new Set(first.body.data.list.map((file) => file.process_status)).size).toBeGreaterThan(1);
      for (const file of first.body.data.list) expect([100, 101, 102, 103]).toContain(file.process_status);
      expect((await call({ nonce: 'fixed-nonce' })).body.code).toBe(777);
      expect((await call({ timestamp: '1000' })).body.code).toBe(778);
      expect((await call({ account_id: '10' })).body.code).toBe(555);
    } finally {
      await custom.close();
    }
  });
});
