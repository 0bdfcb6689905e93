// GET /audience-files through the real middy handler, against the Tencent emulator over real HTTP.
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createListAudienceFiles, type ListAudienceFilesDeps } from '../../functions/handlers/list-audience-files.ts';
import type { HttpEvent, HttpResult } from '../../functions/middleware/http.ts';
import { type Env, parseConfig } from '../../lib/config.ts';
import type { Clock } from '../../lib/http.ts';
import { createLogger } from '../../lib/log.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';

const SMALL = 10_001;
const BIG = 10_003;
let emulator: TencentEmulator;
let logLines: string[];

beforeAll(async () => {
  emulator = await startTencentEmulator({ rateLimitPerSecond: 10_000 });
});
afterAll(() => emulator.close());
afterEach(() => emulator.setLatency(0));

/** Sleeps pass instantly so retry backoff costs no wall-clock time. */
const instantClock: Clock = { now: () => Date.now(), sleep: async () => {} };

function handlerWith(env: Env = {}, deps: ListAudienceFilesDeps = {}) {
  logLines = [];
  const config = parseConfig({ TENCENT_BASE_URL: emulator.url, TENCENT_ACCESS_TOKEN: emulator.accessToken, ...env });
  const logger = createLogger({ write: (line) => logLines.push(line) });
  return createListAudienceFiles({ config, logger, clock: instantClock, timeoutEarlyInMillis: 0, ...deps });
}

async function get(query: Record<string, string>, handler = handlerWith(), remainingMs = 30_000) {
  const event = {
    version: '2.0',
    routeKey: 'GET /audience-files',
    rawPath: '/audience-files',
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    queryStringParameters: query,
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path: '/audience-files' } },
  } as unknown as HttpEvent;
  const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
  const result = (await handler(event, context)) as HttpResult;
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    text: String(result.body),
    body: JSON.parse(String(result.body)),
  };
}

describe('GET /audience-files answers', () => {
  it('200 with Tencent-shaped pages in pass-through mode', async () => {
    const { status, body } = await get({ account_id: String(SMALL), page: '2', page_size: '5' });
    expect(status).toBe(200);
    expect(body.page_info).toEqual({ page: 2, page_size: 5, total_number: 12, total_page: 3 });
    expect(body.list).toHaveLength(5);
  });

  it('200 with filtering and a field selection, newest first', async () => {
    const filtering = JSON.stringify([{ field: 'name', operator: 'CONTAINS', values: ['人群'] }]);
    const { status, body } = await get({ account_id: '10002', filtering, fields: 'name,created_time' });
    expect(status).toBe(200);
    expect(body.list.length).toBeGreaterThan(0);
    for (const file of body.list) {
      expect(Object.keys(file)).toEqual(['name', 'created_time']);
      expect(file.name).toContain('人群');
    }
    const times = body.list.map((file: { created_time: string }) => file.created_time);
    expect(times).toEqual([...times].sort().reverse());
  });
});

describe('400 for bad queries, naming the parameter', () => {
  const where = (conditions: unknown[]) => ({ account_id: String(SMALL), filtering: JSON.stringify(conditions) });
  it.each<[string, Record<string, string>, string]>([
    ['missing account_id', {}, 'account_id'],
    ['account_id not an integer', { account_id: 'x1' }, 'account_id'],
    ['page 0', { account_id: '1', page: '0' }, 'page'],
    ['page_size 0', { account_id: '1', page_size: '0' }, 'page_size'],
    ['page_size 101', { account_id: '1', page_size: '101' }, 'page_size'],
    ['bad filtering JSON', { account_id: '1', filtering: '[{"field":' }, 'filtering'],
    ['unknown field', where([{ field: 'colour', operator: 'EQUALS', values: ['red'] }]), 'filtering[0].field'],
    ['bad operator', where([{ field: 'name', operator: 'LIKE', values: ['a'] }]), 'filtering[0].operator'],
    [
      'operator not for the type',
      where([{ field: 'size', operator: 'CONTAINS', values: ['1'] }]),
      'filtering[0].operator',
    ],
    ['wrong value count', where([{ field: 'name', operator: 'EQUALS', values: ['a', 'b'] }]), 'filtering[0].values'],
    ['unknown output field', { account_id: '1', fields: 'name,colour' }, 'fields'],
  ])('%s', async (_label, query, field) => {
    const before = emulator.stats().requests;
    const { status, body, text } = await get(query);
    expect(status).toBe(400);
    expect(body.errors.map((error: { field: string }) => error.field)).toContain(field);
    expect(body.message).toContain(field);
    expect(text).not.toMatch(/stack|at .*\.ts:\d+/);
    expect(emulator.stats().requests).toBe(before); // rejected before any upstream call
  });
  it('answers 10,000 invalid conditions with a small 400 and a small log line', async () => {
    const conditions = Array.from({ length: 10_000 }, (_, i) => ({
      field: `colour_${'x'.repeat(200)}_${i}`,
      operator: 'EQUALS',
      values: ['red'],
    }));
    const { status, body, text } = await get(where(conditions));
    expect(status).toBe(400);
    expect(text.length).toBeLessThan(8_192);
    expect(body.errors).toHaveLength(20);
    expect(body.errors[19].field).toBe('filtering[19].field');
    expect(body.moreErrors).toBe(9_980);
    expect(body.message).toMatch(/and \d+ more$/);
    expect(body.errors[0].message).not.toContain('x'.repeat(41)); // the echoed name is cut
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line.length).toBeLessThan(8_192);
  });
});

describe('upstream failures', () => {
  it('502 with the upstream code and trace id, and no token anywhere', async () => {
    const token = 'wrong-token-0123456789';
    const { status, body, text } = await get(
      { account_id: String(SMALL) },
      handlerWith({ TENCENT_ACCESS_TOKEN: token }),
    );
    expect(status).toBe(502);
    expect(body).toMatchObject({ error: 'TencentAuthError', code: 11002 });
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.message_cn).toBeTruthy();
    expect(text).not.toContain(token);
    expect(logLines.join('\n')).not.toContain(token);
  });

  it('502 TencentApiError for an unexpected code', async () => {
    emulator.setFaults({ codeOnce: [50000] });
    const { status, body } = await get({ account_id: String(SMALL) });
    expect(status).toBe(502);
    expect(body).toMatchObject({ error: 'TencentApiError', code: 50000 });
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('503 with Retry-After when the rate limit persists', async () => {
    emulator.setFaults({ codeOnce: [11008, 11008, 11008, 11008] });
    const { status, body, headers } = await get({ account_id: String(SMALL) });
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: 'TencentRateLimited', code: 11008 });
    // The rest of the minute window (the exact waits are in test/contract/tencent-listing-codes.test.ts).
    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(body.retryAfterSeconds).toBe(Number(headers['retry-after']));
  });

  it('504 when Tencent is too slow, naming the request with its access token redacted', async () => {
    emulator.setLatency(200);
    const { status, body, text } = await get({ account_id: String(SMALL) }, handlerWith({ HTTP_TIMEOUT_MS: '30' }));
    expect(status).toBe(504);
    expect(body.error).toBe('TencentTimeout');
    // The timeout message carries the request URL, whose query holds the token: the path that would leak it.
    expect(body.message).toContain('access_token=[REDACTED]');
    expect(text).not.toContain(emulator.accessToken);
    const logged = logLines.join('\n');
    expect(logged).toContain('access_token=[REDACTED]');
    expect(logged).not.toContain(emulator.accessToken);
  });

  it('504 DeadlineExceeded when the Lambda deadline comes first, and the scan stops', async () => {
    emulator.setLatency(300);
    const handler = handlerWith({}, { timeoutEarlyInMillis: 1_000 });
    const before = emulator.stats().requests;
    const filtering = JSON.stringify([{ field: 'process_status', operator: 'EQUALS', values: ['ERROR'] }]);
    const { status, body } = await get({ account_id: String(BIG), filtering }, handler, 1_050);
    expect(status).toBe(504);
    expect(body.error).toBe('DeadlineExceeded');
    // Aborted with the first page in flight: no further page of the 103-page scan is requested.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(emulator.stats().requests - before).toBeLessThanOrEqual(1);
  });

  it('filters a 10,000-file account within the default scan cap', async () => {
    const filtering = JSON.stringify([{ field: 'process_status', operator: 'EQUALS', values: ['ERROR'] }]);
    const { status, body } = await get({ account_id: String(BIG), filtering, page_size: '100' });
    expect(status).toBe(200);
    const expected = (emulator.allFiles(BIG) as Array<{ process_status: unknown }>).filter(
      (file) => file.process_status === 'ERROR', // names match names only
    ).length;
    expect(body.page_info.total_number).toBe(expected);
    expect(expected).toBeGreaterThan(0);
  });

  it('422 asking to narrow a filter that would scan too many pages', async () => {
    const filtering = JSON.stringify([{ field: 'process_status', operator: 'EQUALS', values: ['ERROR'] }]);
    // The big account holds 103 upstream pages; a cap of 50 refuses the scan before reading them all.
    const handler = handlerWith({ TENCENT_MAX_SCAN_PAGES: '50' });
    const { status, body } = await get({ account_id: String(BIG), filtering }, handler);
    expect(status).toBe(422);
    expect(body.error).toBe('QueryTooBroad');
    expect(body.message).toMatch(/narrow it with audience_id/);
  });
});

describe('configuration', () => {
  it('500 naming the variables when no token is configured, without a stack', async () => {
    const handler = handlerWith({ TENCENT_ACCESS_TOKEN: '' });
    const { status, body, text } = await get({ account_id: String(SMALL) }, handler);
    expect(status).toBe(500);
    expect(body.message).toContain('TENCENT_ACCESS_TOKEN');
    expect(body.message).toContain('TENCENT_ACCESS_TOKEN_PARAMETER');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('answers a bad environment like any config error: 500 naming the variable, no value', async () => {
    const handler = handlerWith({ TENCENT_ACCESS_TOKEN: '', TENCENT_ACCESS_TOKEN_PARAMETER: '' });
    const { body } = await get({ account_id: String(SMALL) }, handler);
    expect(body.errors.map((error: { field: string }) => error.field)).toEqual([
      'TENCENT_ACCESS_TOKEN',
      'TENCENT_ACCESS_TOKEN_PARAMETER',
    ]);
  });
});
