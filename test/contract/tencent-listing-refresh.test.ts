// Contract: GET /audience-files with refresh credentials against the emulator's expiring tokens and /oauth/token:
// one refresh (single flight), the call retried once, the new token never printed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createListAudienceFiles } from '../../functions/handlers/list-audience-files.ts';
import { type Env, parseConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { FILES_PATH } from '../../lib/tencent/client.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';
import { httpGet } from '../helpers/http-event.ts';

const ACCOUNT = 10_001;
let emulator: TencentEmulator;
let lines: string[];
/** Access tokens sent upstream, in order (the emulator issues refreshed ones as `at-…`). */
let sentTokens: string[];
/** When set, a call with a refreshed token fails with an error that quotes the token verbatim. */
let leakOnNewToken = false;

const recordingFetch = (async (url: string | URL, init?: RequestInit) => {
  const token = new URL(String(url)).searchParams.get('access_token') ?? '';
  if (String(url).includes(FILES_PATH)) sentTokens.push(token);
  if (leakOnNewToken && token.startsWith('at-')) throw new TypeError(`fetch failed: connection reset (token ${token})`);
  return fetch(url, init);
}) as typeof fetch;

beforeAll(async () => {
  emulator = await startTencentEmulator({ accounts: [{ accountId: ACCOUNT, files: 12 }] });
});
afterAll(() => emulator.close());
beforeEach(() => {
  sentTokens = [];
  leakOnNewToken = false;
  emulator.expireAccessTokens();
});

function handler(env: Env = {}) {
  lines = [];
  const config = parseConfig({
    TENCENT_BASE_URL: emulator.url,
    TENCENT_ACCESS_TOKEN: emulator.accessToken,
    TENCENT_CLIENT_ID: emulator.clientId,
    TENCENT_CLIENT_SECRET: emulator.clientSecret,
    TENCENT_REFRESH_TOKEN: emulator.refreshToken,
    ...env,
  });
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  const clock = { now: () => Date.now(), sleep: async () => {} }; // backoff waits pass at once
  return createListAudienceFiles({ config, logger, clock, fetch: recordingFetch, timeoutEarlyInMillis: 0 });
}

const calls = () => emulator.stats().byPath[FILES_PATH] ?? 0;

describe('token refresh', () => {
  it('an expired access token: one refresh, the call retried once, 200', async () => {
    const [refreshes, before] = [emulator.stats().refreshCalls, calls()];
    const { status, body } = await httpGet(handler(), '/audience-files', { account_id: String(ACCOUNT) });
    expect(status).toBe(200);
    expect(body.page_info.total_number).toBe(12);
    expect(emulator.stats().refreshCalls - refreshes).toBe(1);
    expect(calls() - before).toBe(2); // 11000, then the same call with the new token
    expect(sentTokens[0]).toBe(emulator.accessToken);
    expect(sentTokens[1]).toMatch(/^at-/);
  });

  it('five concurrent requests on one container share a single refresh', async () => {
    const refreshes = emulator.stats().refreshCalls;
    const listing = handler();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => httpGet(listing, '/audience-files', { account_id: String(ACCOUNT) })),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(emulator.stats().refreshCalls - refreshes).toBe(1);
    // A later request on the same container reuses the refreshed token: no 11000, no refresh.
    const before = calls();
    expect((await httpGet(listing, '/audience-files', { account_id: String(ACCOUNT) })).status).toBe(200);
    expect(calls() - before).toBe(1);
    expect(emulator.stats().refreshCalls - refreshes).toBe(1);
  });

  it('the new token is never printed, even in an error that quotes it', async () => {
    leakOnNewToken = true;
    const { status, text } = await httpGet(handler({ HTTP_TIMEOUT_MS: '2000' }), '/audience-files', {
      account_id: String(ACCOUNT),
    });
    const fresh = sentTokens.find((token) => token.startsWith('at-'));
    expect(fresh).toBeDefined();
    expect(status).toBe(503); // the transport failure, after the refresh
    expect(text).toContain('[REDACTED]');
    const logged = lines.join('\n');
    expect(logged).toContain('[REDACTED]');
    for (const secret of [fresh!, emulator.refreshToken, emulator.clientSecret]) {
      expect(text).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });

  it('a refresh Tencent refuses is a 502 naming oauth/token and its code, with no secret in it', async () => {
    const refreshToken = 'rt-not-the-current-one-123';
    const { status, body, text } = await httpGet(handler({ TENCENT_REFRESH_TOKEN: refreshToken }), '/audience-files', {
      account_id: String(ACCOUNT),
    });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error: 'TencentAuthError', code: 11010 });
    expect(body.message).toContain('oauth/token');
    for (const secret of [refreshToken, emulator.clientSecret]) {
      expect(text).not.toContain(secret);
      expect(lines.join('\n')).not.toContain(secret);
    }
  });

  it('without refresh credentials an expired token stays a 502 auth error', async () => {
    const { status, body } = await httpGet(
      handler({ TENCENT_CLIENT_ID: '', TENCENT_CLIENT_SECRET: '', TENCENT_REFRESH_TOKEN: '' }),
      '/audience-files',
      { account_id: String(ACCOUNT) },
    );
    expect(status).toBe(502);
    expect(body).toMatchObject({ error: 'TencentAuthError', code: 11000 });
  });

  it('a partial refresh configuration is a ConfigError naming what is missing', () => {
    expect(() => handler({ TENCENT_CLIENT_SECRET: '' })).toThrow(/refresh: TENCENT_CLIENT_SECRET$/);
  });
});
