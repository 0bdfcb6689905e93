// Contract: the audience write client against the emulator over HTTP: idempotency, streamed uploads, polls, codes.
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppError,
  BadRequest,
  TencentApiError,
  TencentAuthError,
  TencentFileTooLarge,
  TencentQuotaExhausted,
  TencentRateLimited,
  TencentUnavailable,
} from '../../lib/errors.ts';
import { type AudienceClientOptions, createAudienceClient, processOutcome } from '../../lib/tencent/audiences.ts';
import type { HintedError } from '../../lib/tencent/call-errors.ts';
import { createTokenSource } from '../../lib/tencent/oauth.ts';
import { EMULATOR_CODES, startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';

const ACCOUNT = 77;
let emulator: TencentEmulator;
// 2026-12-06 12:00:30.250 UTC = 20:00:30 GMT+8: 4 h to midnight GMT+8, 29.75 s to the next minute
const now = Date.UTC(2026, 11, 6, 12, 0, 30, 250);
const clock = { now: () => now };

beforeAll(async () => {
  emulator = await startTencentEmulator({ accounts: [{ accountId: ACCOUNT, files: 2 }], now: () => now });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.clearFaults();
  emulator.setMaxFileBytes(100 * 1024 * 1024);
});

function client(overrides: Partial<AudienceClientOptions> = {}) {
  return createAudienceClient({ baseUrl: emulator.url, accessToken: emulator.accessToken, clock, ...overrides });
}

async function failure(run: Promise<unknown>): Promise<AppError & HintedError> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!error) throw new Error('expected the call to fail');
  return error as AppError & HintedError;
}

const calls = (path = '/v1.3/custom_audiences/add') => emulator.stats().byPath[path] ?? 0;
const lines = (count: number) => Array.from({ length: count }, (_, i) => i.toString(16).padStart(32, '0')).join('\n');

/** The zip as a stream of small chunks, so the body really goes out piece by piece. */
async function* chunks(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function newAudience(name: string): Promise<number> {
  return (await client().addAudience({ accountId: ACCOUNT, name })).audienceId;
}

describe('custom_audiences/add', () => {
  it('is idempotent through external_audience_id', async () => {
    const first = await client().addAudience({ accountId: ACCOUNT, name: 'sync-a', externalAudienceId: 'sync-a-id' });
    const again = await client().addAudience({ accountId: ACCOUNT, name: 'sync-a', externalAudienceId: 'sync-a-id' });
    expect(again.audienceId).toBe(first.audienceId);
    expect(emulator.audiences(ACCOUNT).filter((a) => (a as { name: string }).name === 'sync-a')).toHaveLength(1);
  });

  it('refuses a 33-byte name before any call, naming the field', async () => {
    const before = calls();
    const error = await failure(client().addAudience({ accountId: ACCOUNT, name: `${'人群'.repeat(5)}abc` }));
    expect(error).toBeInstanceOf(BadRequest);
    expect(error.errors.map((e) => e.field)).toEqual(['name']);
    expect(calls()).toBe(before);
  });
});

describe('custom_audience_files/add and the processing poll', () => {
  const zip = zipSync({ 'ids.txt': new TextEncoder().encode(`${lines(3000)}\n`) });

  it.each([
    ['with a known size (Content-Length)', zip.length],
    ['with an unknown size (chunked)', undefined],
  ])('uploads a streamed zip %s, then polls to SUCCESS', async (_label, fileSize) => {
    const audienceId = await newAudience(`up-${fileSize ?? 'chunked'}`);
    const { customAudienceFileId } = await client().uploadAudienceFile({
      accountId: ACCOUNT,
      audienceId,
      userIdType: 'HASH_MOBILE_PHONE',
      operationType: 'APPEND',
      fileName: 'part-1.zip',
      file: chunks(zip),
      ...(fileSize !== undefined ? { fileSize } : {}),
    });
    const upload = emulator.uploads().find((u) => u.customAudienceFileId === customAudienceFileId)!;
    expect(Buffer.from(upload.bytes).equals(Buffer.from(zip))).toBe(true);
    if (fileSize !== undefined) expect(upload.transport.contentLength).toMatch(/^\d+$/);
    else expect(upload.transport).toEqual({ transferEncoding: 'chunked' });
    expect(upload.fields).toEqual({
      account_id: String(ACCOUNT),
      audience_id: String(audienceId),
      user_id_type: 'HASH_MOBILE_PHONE',
      operation_type: 'APPEND',
    });
    const seen: string[] = [];
    for (let poll = 0; poll < 5; poll++) {
      const file = await client().getAudienceFile(ACCOUNT, customAudienceFileId);
      seen.push(processOutcome(file!));
      if (processOutcome(file!) === 'success') {
        expect(file).toMatchObject({ line_count: 3000, valid_line_count: 3000, user_count: 3000 });
        break;
      }
    }
    expect(seen).toEqual(['pending', 'pending', 'success']);
  });

  it('ERROR mode: the poll reads error with process_code and error_message', async () => {
    emulator.setFaults({ processing: { outcome: 'ERROR', processCode: 1002, errorMessage: '文件内容为空' } });
    const audienceId = await newAudience('up-error');
    const { customAudienceFileId } = await client().uploadAudienceFile({
      accountId: ACCOUNT,
      audienceId,
      userIdType: 'HASH_IMEI',
      operationType: 'REDUCE',
      fileName: 'r.zip',
      file: chunks(zip),
    });
    let file = await client().getAudienceFile(ACCOUNT, customAudienceFileId);
    while (processOutcome(file!) === 'pending') file = await client().getAudienceFile(ACCOUNT, customAudienceFileId);
    expect(file).toMatchObject({ process_status: 'ERROR', process_code: 1002, error_message: '文件内容为空' });
    expect(await client().getAudienceFile(ACCOUNT, 1)).toBeUndefined();
  });

  it('an unknown audience is a non-retryable TencentApiError with the upstream code', async () => {
    const error = await failure(
      client().uploadAudienceFile({
        accountId: ACCOUNT,
        audienceId: 999,
        userIdType: 'HASH_IMEI',
        operationType: 'APPEND',
        fileName: 'a.zip',
        file: chunks(zip),
      }),
    );
    expect(error).toBeInstanceOf(TencentApiError);
    expect(error.details.code).toBe(EMULATOR_CODES.unknownAudience);
    expect(error.retryable).toBe(false);
  });
});

describe('the file size limit', () => {
  const upload = (overrides: object, bytes = new Uint8Array(2000)) =>
    newAudience(`size-${Math.random().toString(36).slice(2, 8)}`).then((audienceId) =>
      client(overrides).uploadAudienceFile({
        accountId: ACCOUNT,
        audienceId,
        userIdType: 'HASH_IMEI',
        operationType: 'APPEND',
        fileName: 'big.zip',
        file: chunks(bytes),
        ...('fileSize' in overrides ? { fileSize: (overrides as { fileSize: number }).fileSize } : {}),
      }),
    );

  it('the server refuses a file over its (small) limit', async () => {
    emulator.setMaxFileBytes(1000);
    const error = await failure(upload({}));
    expect(error.details.code).toBe(EMULATOR_CODES.fileTooLarge);
    expect(error.retryable).toBe(false);
  });

  it('the client refuses a known size over its limit before sending, and an unknown size while sending', async () => {
    const before = emulator.uploads().length;
    const known = await failure(upload({ maxFileBytes: 1000, fileSize: 2000 }));
    expect(known).toBeInstanceOf(TencentFileTooLarge);
    const streamed = await failure(upload({ maxFileBytes: 1000 }));
    expect(streamed).toBeInstanceOf(TencentFileTooLarge);
    expect(streamed.retryable).toBe(false);
    expect(emulator.uploads().length).toBe(before);
  });
});

describe('business codes become typed errors with retry hints', () => {
  it('11018: TencentQuotaExhausted after exactly one call, retryAfter until midnight GMT+8', async () => {
    emulator.setFaults({ perDay: 1 });
    const before = calls();
    const error = await failure(client().addAudience({ accountId: ACCOUNT, name: 'daily' }));
    expect(calls() - before).toBe(1);
    expect(error).toBeInstanceOf(TencentQuotaExhausted);
    expect(error.retryable).toBe(false);
    // Date has second precision: 20:00:30 → midnight GMT+8 is 3 h 59 min 30 s away
    expect(error.retryAfterMs).toBe((3 * 3600 + 59 * 60 + 30) * 1000);
    expect(error.message).toMatch(/daily request quota/);
  });

  it('11018 with TENCENT_DAILY_RETRY_AFTER_SECONDS set', async () => {
    emulator.setFaults({ perDay: 1 });
    const error = await failure(
      client({ dailyRetryAfterSeconds: 600 }).addAudience({ accountId: ACCOUNT, name: 'd2' }),
    );
    expect(error.retryAfterMs).toBe(600_000);
  });

  it.each<[string, object, number | undefined]>([
    ['11017 waits for the minute window', { perMinute: 1 }, 30_000],
    ['11016 waits for the next second', { perSecond: 1 }, undefined],
    ['HTTP 429 honours Retry-After', { httpOnce: [{ status: 429, retryAfter: '7' }] }, 7000],
  ])('%s: retryable', async (_label, faults, retryAfterMs) => {
    emulator.setFaults(faults);
    const error = await failure(client().addAudience({ accountId: ACCOUNT, name: 'rl' }));
    expect(error).toBeInstanceOf(TencentRateLimited);
    expect(error.retryable).toBe(true);
    if (retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(retryAfterMs);
    else expect(error.retryAfterMs).toBeLessThanOrEqual(2000);
  });

  it('10000 busy: TencentUnavailable, retryable after a short backoff', async () => {
    emulator.setFaults({ busy: 1 });
    const error = await failure(client().addAudience({ accountId: ACCOUNT, name: 'busy' }));
    expect(error).toBeInstanceOf(TencentUnavailable);
    expect([error.details.code, error.retryable]).toEqual([10000, true]);
    expect(error.retryAfterMs).toBeLessThan(8000);
  });

  it('11014 scope is an auth error, not retried', async () => {
    emulator.setFaults({ scope: true });
    const error = await failure(client().addAudience({ accountId: ACCOUNT, name: 'scope' }));
    expect(error).toBeInstanceOf(TencentAuthError);
    expect([error.details.code, error.retryable]).toEqual([11014, false]);
  });

  it('a replay code is retried once at once with a fresh nonce', async () => {
    emulator.setFaults({ codeOnce: [12100] });
    const before = calls();
    await client().addAudience({ accountId: ACCOUNT, name: 'replay' });
    expect(calls() - before).toBe(2);
  });
});

describe('token refresh and redaction', () => {
  const tokenSource = () =>
    createTokenSource({
      baseUrl: emulator.url,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      refreshToken: emulator.refreshToken,
      accessToken: emulator.accessToken,
      clock,
    });

  it('11000 with a token source: one refresh, then the call succeeds', async () => {
    const tokens = tokenSource();
    emulator.expireAccessTokens();
    const before = emulator.stats().refreshCalls;
    const { audienceId } = await client({ accessToken: undefined, tokenSource: tokens }).addAudience({
      accountId: ACCOUNT,
      name: 'after-refresh',
    });
    expect(audienceId).toBeGreaterThan(0);
    expect(emulator.stats().refreshCalls - before).toBe(1);
  });

  it('11000 on a one-shot upload: refreshed, then reported retryable (the stream cannot be resent)', async () => {
    const api = client({ accessToken: undefined, tokenSource: tokenSource() });
    const { audienceId } = await api.addAudience({ accountId: ACCOUNT, name: 'one-shot' });
    emulator.expireAccessTokens();
    const file = {
      accountId: ACCOUNT,
      audienceId,
      userIdType: 'HASH_IMEI',
      operationType: 'APPEND' as const,
      fileName: 'a.zip',
    };
    const error = await failure(api.uploadAudienceFile({ ...file, file: chunks(new Uint8Array(10)) }));
    expect([error.details.code, error.retryable]).toEqual([11000, true]);
    emulator.expireAccessTokens();
    const ok = await api.uploadAudienceFile({ ...file, file: () => chunks(new Uint8Array(10)) });
    expect(ok.customAudienceFileId).toBeGreaterThan(0);
  });

  it('never puts the access token in an error, even when the transport error quotes the URL', async () => {
    const leaky = (async (url: string | URL) => {
      throw new TypeError(`socket hang up on ${String(url)}`);
    }) as typeof fetch;
    const error = await failure(
      client({ fetch: leaky, accessToken: 'secret-access-token-42' }).addAudience({ accountId: ACCOUNT, name: 'x' }),
    );
    expect(error.message).toContain('socket hang up');
    expect(JSON.stringify({ m: error.message, d: error.details })).not.toContain('secret-access-token-42');
  });
});
