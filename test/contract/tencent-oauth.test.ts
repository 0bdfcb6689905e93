// Contract: the token source against the emulator's /oauth/token: single flight, expiry margin, write-back, redaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TencentAuthError, TencentTokenWriteBackFailed } from '../../lib/errors.ts';
import { createTokenSource, type TokenSet, type TokenSourceOptions } from '../../lib/tencent/oauth.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';

let emulator: TencentEmulator;
let now = Date.UTC(2026, 11, 6, 12, 0, 0);
const clock = { now: () => now };

beforeAll(async () => {
  emulator = await startTencentEmulator({
    accounts: [{ accountId: 5, files: 2 }],
    accessTokenLifetimeSeconds: 3600,
    now: () => now,
  });
});
afterAll(() => emulator.close());

function source(overrides: Partial<TokenSourceOptions> = {}) {
  const written: TokenSet[] = [];
  const tokens = createTokenSource({
    baseUrl: emulator.url,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    refreshToken: emulator.refreshToken,
    clock,
    onRefreshed: (set) => {
      written.push(set);
    },
    ...overrides,
  });
  return { tokens, written };
}

async function listWith(token: string): Promise<number> {
  const query = new URLSearchParams({
    access_token: token,
    timestamp: String(Math.floor(now / 1000)),
    nonce: Math.random().toString(36).slice(2),
    account_id: '5',
  });
  return ((await (await fetch(`${emulator.url}/v1.3/custom_audience_files/get?${query}`)).json()) as { code: number })
    .code;
}

describe('token source', () => {
  it('5 concurrent callers share one refresh; the new token works and is written back once', async () => {
    const { tokens, written } = source();
    const before = emulator.stats().refreshCalls;
    const got = await Promise.all(Array.from({ length: 5 }, () => tokens.get()));
    expect(emulator.stats().refreshCalls - before).toBe(1);
    expect(new Set(got).size).toBe(1);
    expect(await listWith(got[0]!)).toBe(0);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      accessToken: got[0],
      refreshToken: emulator.refreshToken,
      expiresAt: now + 3_600_000,
    });
  });

  it('refreshes near expiry (margin), and once for callers told the token expired', async () => {
    const { tokens } = source({ marginMs: 60_000 });
    const first = await tokens.get();
    now += 3_600_000 - 59_000; // inside the margin
    const before = emulator.stats().refreshCalls;
    const second = await tokens.get();
    expect(second).not.toBe(first);
    expect(emulator.stats().refreshCalls - before).toBe(1);
    emulator.expireAccessTokens();
    expect(await listWith(second)).toBe(11000);
    const renewed = await Promise.all([tokens.refresh(second), tokens.refresh(second), tokens.refresh(second)]);
    expect(emulator.stats().refreshCalls - before).toBe(2);
    expect(await listWith(renewed[0]!)).toBe(0);
    // A caller still holding the old token gets the current one, without another refresh.
    expect(await tokens.refresh(second)).toBe(renewed[0]);
    expect(emulator.stats().refreshCalls - before).toBe(2);
  });

  it('uses a given access token until told otherwise; no refresh call', async () => {
    const { tokens } = source({ accessToken: emulator.accessToken });
    const before = emulator.stats().refreshCalls;
    expect(await tokens.get()).toBe(emulator.accessToken);
    expect(emulator.stats().refreshCalls).toBe(before);
  });

  it('a rejected refresh is a TencentAuthError without the secret or the refresh token', async () => {
    const { tokens } = source({ clientSecret: 'wrong-secret-value', refreshToken: 'refresh-token-value-123' });
    const error = (await tokens.get().then(
      () => undefined,
      (caught: unknown) => caught,
    )) as TencentAuthError;
    expect(error).toBeInstanceOf(TencentAuthError);
    expect(error.details.code).toBe(11007);
    const shown = JSON.stringify({ message: error.message, details: error.details, stack: error.stack });
    expect(shown).not.toContain('wrong-secret-value');
    expect(shown).not.toContain('refresh-token-value-123');
  });

  it('a transport failure whose message carries the URL is redacted (client secret, refresh token)', async () => {
    const leaky = (async (url: string | URL) => {
      throw new TypeError(`connect ECONNREFUSED while fetching ${String(url)}`);
    }) as typeof fetch;
    const { tokens } = source({
      fetch: leaky,
      clientSecret: 'leaky-secret-value',
      refreshToken: 'leaky-refresh-value',
    });
    const error = (await tokens.get().then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error;
    expect(error.name).toBe('TencentUnavailable');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('leaky-secret-value');
    expect(error.message).not.toContain('leaky-refresh-value');
    expect(error.cause).toBeUndefined();
  });

  it('a failed write-back is reported, and the new token is still used', async () => {
    const { tokens } = source({
      onRefreshed: () => {
        throw new Error(`SSM said no to ${emulator.refreshToken}`);
      },
    });
    const error = (await tokens.get().then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error;
    expect(error).toBeInstanceOf(TencentTokenWriteBackFailed);
    expect(error.message).not.toContain(emulator.refreshToken);
    const before = emulator.stats().refreshCalls;
    expect(await listWith(await tokens.get())).toBe(0);
    expect(emulator.stats().refreshCalls).toBe(before);
  });
});
