// The emulator's own rules, checked with raw HTTP so they hold whatever the client does.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';

interface TencentBody {
  code: number;
  message: string;
  message_cn: string;
  data: { list: Array<Record<string, unknown>>; page_info: Record<string, number> };
}

let emulator: TencentEmulator;
beforeAll(async () => {
  emulator = await startTencentEmulator({ accounts: [{ accountId: 7, files: 25 }], numericStatusAccounts: [] });
});
afterAll(() => emulator.close());

async function call(params: Record<string, string>, path = '/v1.3/custom_audience_files/get') {
  const query = new URLSearchParams({
    access_token: emulator.accessToken,
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: randomBytes(16).toString('hex'),
    ...params,
  });
  const response = await fetch(`${emulator.url}${path}?${query}`);
  return {
    status: response.status,
    traceId: response.headers.get('x-tsa-trace-id'),
    body: (await response.json()) as TencentBody,
  };
}

describe('tencent emulator', () => {
  it.each<[string, Record<string, string>, number]>([
    ['no account_id', {}, 12000],
    ['page 0', { account_id: '7', page: '0' }, 12001],
    ['page above 2147483647', { account_id: '7', page: '2147483648' }, 12001],
    ['page_size 0', { account_id: '7', page_size: '0' }, 12001],
    ['page_size 101', { account_id: '7', page_size: '101' }, 12001],
    ['fields not JSON', { account_id: '7', fields: 'name' }, 12001],
    ['an unknown field', { account_id: '7', fields: '["name","colour"]' }, 12009],
    ['a wrong token', { account_id: '7', access_token: 'nope' }, 11002],
    ['a stale timestamp', { account_id: '7', timestamp: String(Math.floor(Date.now() / 1000) - 301) }, 12101],
    ['a nonce over 32 chars', { account_id: '7', nonce: 'x'.repeat(33) }, 12001],
    ['a malformed token', { account_id: '7', access_token: 'not a token!' }, 11004],
    ['an empty token', { account_id: '7', access_token: '' }, 11005],
    ['an account it does not know (its own code: the real one is not public)', { account_id: '8' }, 40004],
  ])('answers HTTP 200 with code != 0 for %s', async (_label, params, code) => {
    const { status, body, traceId } = await call(params);
    expect(status).toBe(200);
    expect(body.code).toBe(code);
    expect(body.message).not.toBe('');
    expect(body.message_cn).not.toBe('');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rejects a nonce it has seen (12100)', async () => {
    const nonce = randomBytes(16).toString('hex');
    expect((await call({ account_id: '7', nonce })).body.code).toBe(0);
    expect((await call({ account_id: '7', nonce })).body.code).toBe(12100);
  });

  it('serves every documented field with Tencent defaults, newest first', async () => {
    const { body } = await call({ account_id: '7' });
    expect(body.data.page_info).toEqual({ page: 1, page_size: 10, total_number: 25, total_page: 3 });
    expect(Object.keys(body.data.list[0]!).sort()).toEqual(
      [
        'audience_id',
        'created_time',
        'custom_audience_file_id',
        'error_message',
        'line_count',
        'name',
        'open_app_id',
        'operation_type',
        'process_code',
        'process_status',
        'size',
        'user_count',
        'user_id_type',
        'valid_line_count',
        'salt_id',
      ].sort(),
    );
    const times = body.data.list.map((file) => String(file.created_time));
    expect(times).toEqual([...times].sort().reverse());
    for (const time of times) expect(time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('filters on audience_id and custom_audience_file_id', async () => {
    const target = emulator.allFiles(7)[4] as Record<string, unknown>;
    const { body } = await call({ account_id: '7', custom_audience_file_id: String(target.custom_audience_file_id) });
    expect(body.data.list).toEqual([target]);
    const byAudience = await call({ account_id: '7', audience_id: String(target.audience_id), page_size: '100' });
    expect(byAudience.body.data.list.every((file) => file.audience_id === target.audience_id)).toBe(true);
  });

  it('is deterministic and holds 10k+ files in its default data set', async () => {
    const big = await startTencentEmulator();
    try {
      const sizes = [10_001, 10_002, 10_003].map((account) => big.allFiles(account).length);
      expect(Math.max(...sizes)).toBeGreaterThanOrEqual(10_000);
      expect(big.allFiles(10_001)).toEqual((await startAndRead(10_001)) as unknown[]);
      const numeric = big.allFiles(10_002) as Array<{ process_status: unknown }>;
      expect(numeric.every((file) => typeof file.process_status === 'number')).toBe(true);
    } finally {
      await big.close();
    }
  });

  it('puts the trace id on every answer, even a 404', async () => {
    const { status, traceId } = await call({}, '/v1.3/nothing');
    expect(status).toBe(404);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});

async function startAndRead(account: number): Promise<unknown[]> {
  const again = await startTencentEmulator();
  try {
    return again.allFiles(account);
  } finally {
    await again.close();
  }
}
