// The handler reads its Tencent token from an SSM SecureString through the SSM middleware (functions/middleware/ssm-fetch.ts), decrypted and cached.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createListAudienceFiles } from '../../functions/handlers/list-audience-files.ts';
import type { HttpEvent, HttpResult } from '../../functions/middleware/http.ts';
import { parseConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';
import { startFakeSsm } from '../helpers/fake-ssm.ts';

const PARAMETER = '/audience-pipeline/test/tencent-access-token';

let emulator: TencentEmulator;
let ssm: Awaited<ReturnType<typeof startFakeSsm>>;
beforeAll(async () => {
  emulator = await startTencentEmulator({ accounts: [{ accountId: 5, files: 3 }] });
  ssm = await startFakeSsm({ [PARAMETER]: emulator.accessToken });
});
afterAll(async () => {
  await emulator.close();
  await ssm.close();
});

const event = {
  queryStringParameters: { account_id: '5' },
  headers: {},
  rawPath: '/audience-files',
} as unknown as HttpEvent;
const context = { awsRequestId: 'req-ssm' } as unknown as Context;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

describe('token from SSM', () => {
  it('fetches the SecureString with decryption once, caches it, and never logs it', async () => {
    const lines: string[] = [];
    const handler = createListAudienceFiles({
      config: parseConfig({ TENCENT_BASE_URL: emulator.url, TENCENT_ACCESS_TOKEN_PARAMETER: PARAMETER }),
      logger: createLogger({ write: (line) => lines.push(line) }),
      timeoutEarlyInMillis: 0,
      ssmClientOptions: {
        endpoint: ssm.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      },
    });
    const first = (await handler(event, context)) as HttpResult;
    const second = (await handler(event, context)) as HttpResult;
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(String(first.body)).page_info.total_number).toBe(3);
    expect(ssm.calls).toEqual([{ target: 'AmazonSSM.GetParameters', names: [PARAMETER], decrypt: true }]);
    expect(lines.join('\n')).not.toContain(emulator.accessToken);
  });

  it('answers a bad query 400 without reading the token from SSM', async () => {
    const before = ssm.calls.length;
    const handler = createListAudienceFiles({
      config: parseConfig({ TENCENT_BASE_URL: emulator.url, TENCENT_ACCESS_TOKEN_PARAMETER: '/never/read' }),
      timeoutEarlyInMillis: 0,
      ssmClientOptions: { endpoint: ssm.url, region: 'eu-west-1', credentials },
    });
    const bad = { ...event, queryStringParameters: { account_id: 'x' } } as HttpEvent;
    const result = (await handler(bad, context)) as HttpResult;
    expect(result.statusCode).toBe(400);
    expect(ssm.calls.length).toBe(before);
  });

  it('redacts the SSM token from a timeout that names the request URL', async () => {
    const lines: string[] = [];
    const handler = createListAudienceFiles({
      config: parseConfig({
        TENCENT_BASE_URL: emulator.url,
        TENCENT_ACCESS_TOKEN_PARAMETER: PARAMETER,
        HTTP_TIMEOUT_MS: '30',
      }),
      logger: createLogger({ write: (line) => lines.push(line) }),
      timeoutEarlyInMillis: 0,
      ssmClientOptions: { endpoint: ssm.url, region: 'eu-west-1', credentials },
    });
    emulator.setLatency(200);
    try {
      const result = (await handler(event, context)) as HttpResult;
      expect(result.statusCode).toBe(504);
      expect(String(result.body)).toContain('access_token=[REDACTED]');
      expect(lines.join('\n')).toContain('access_token=[REDACTED]');
      expect(String(result.body) + lines.join('\n')).not.toContain(emulator.accessToken);
    } finally {
      emulator.setLatency(0);
    }
  });
});

describe('refresh credentials from SSM', () => {
  // middy caches parameters per process by name: every test uses its own names, like a fresh container.
  let run = 0;
  let NAMES: Record<string, string>;
  beforeEach(() => {
    run += 1;
    NAMES = {
      TENCENT_ACCESS_TOKEN_PARAMETER: `/audience-pipeline/test/refresh${run}/access-token`,
      TENCENT_REFRESH_TOKEN_PARAMETER: `/audience-pipeline/test/refresh${run}/refresh-token`,
      TENCENT_CLIENT_ID_PARAMETER: `/audience-pipeline/test/refresh${run}/client-id`,
      TENCENT_CLIENT_SECRET_PARAMETER: `/audience-pipeline/test/refresh${run}/client-secret`,
    };
  });

  async function withRefreshSsm(options: { failPuts?: boolean } = {}) {
    const store = await startFakeSsm(
      {
        [NAMES.TENCENT_ACCESS_TOKEN_PARAMETER!]: emulator.accessToken,
        [NAMES.TENCENT_REFRESH_TOKEN_PARAMETER!]: emulator.refreshToken,
        [NAMES.TENCENT_CLIENT_ID_PARAMETER!]: emulator.clientId,
        [NAMES.TENCENT_CLIENT_SECRET_PARAMETER!]: emulator.clientSecret,
      },
      options,
    );
    const lines: string[] = [];
    const handler = createListAudienceFiles({
      config: parseConfig({ TENCENT_BASE_URL: emulator.url, ...NAMES }),
      logger: createLogger({ write: (line) => lines.push(line) }),
      timeoutEarlyInMillis: 0,
      ssmClientOptions: { endpoint: store.url, region: 'eu-west-1', credentials },
    });
    return { store, lines, handler };
  }

  it('refreshes an expired token once and writes both tokens back as SecureStrings (Overwrite)', async () => {
    emulator.expireAccessTokens();
    const refreshes = emulator.stats().refreshCalls;
    const { store, lines, handler } = await withRefreshSsm();
    try {
      const result = (await handler(event, context)) as HttpResult;
      expect(result.statusCode).toBe(200);
      expect(emulator.stats().refreshCalls - refreshes).toBe(1);
      expect(store.calls[0]).toEqual({
        target: 'AmazonSSM.GetParameters',
        names: expect.arrayContaining(Object.values(NAMES)),
        decrypt: true,
      });
      const puts = store.calls.filter((call) => call.target === 'AmazonSSM.PutParameter');
      expect(puts).toEqual([
        {
          target: 'AmazonSSM.PutParameter',
          names: [NAMES.TENCENT_ACCESS_TOKEN_PARAMETER],
          decrypt: false,
          type: 'SecureString',
          overwrite: true,
        },
        {
          target: 'AmazonSSM.PutParameter',
          names: [NAMES.TENCENT_REFRESH_TOKEN_PARAMETER],
          decrypt: false,
          type: 'SecureString',
          overwrite: true,
        },
      ]);
      const written = store.values[NAMES.TENCENT_ACCESS_TOKEN_PARAMETER!]!;
      expect(written).toMatch(/^at-/);
      expect(store.values[NAMES.TENCENT_REFRESH_TOKEN_PARAMETER!]).toBe(emulator.refreshToken); // rotated
      expect(lines.join('\n')).not.toContain(written);
      expect(lines.join('\n')).not.toContain(emulator.refreshToken);
    } finally {
      await store.close();
    }
  });

  it('a failed write-back is logged (no token in it) and the listing still answers', async () => {
    emulator.expireAccessTokens();
    const { store, lines, handler } = await withRefreshSsm({ failPuts: true });
    try {
      const result = (await handler(event, context)) as HttpResult;
      expect(result.statusCode).toBe(200);
      const logged = lines.join('\n');
      expect(logged).toContain('tencent token write-back failed');
      expect(logged).not.toContain(emulator.refreshToken);
    } finally {
      await store.close();
    }
  });
});
