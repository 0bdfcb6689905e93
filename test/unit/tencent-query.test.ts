import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../lib/errors.ts';
import { authParams, createNonce } from '../../lib/tencent/auth.ts';
import { parseAudienceFile, parsePageInfo, projectFile } from '../../lib/tencent/items.ts';
import { mapWithConcurrency, paginate, planQuery } from '../../lib/tencent/listing.ts';
import { parseListingQuery, type QueryParams } from '../../lib/tencent/query.ts';

function badFields(params: QueryParams): string[] {
  try {
    parseListingQuery(params);
  } catch (error) {
    if (error instanceof BadRequest) return error.errors.map((entry) => entry.field ?? '');
    throw error;
  }
  throw new Error('expected a BadRequest');
}

describe('parseListingQuery', () => {
  it('applies Tencent defaults and accepts fields as JSON or a comma list', () => {
    expect(parseListingQuery({ account_id: '42' })).toEqual({ accountId: 42, page: 1, pageSize: 10, filtering: [] });
    expect(parseListingQuery({ account_id: '42', fields: '["name","size"]' }).fields).toEqual(['name', 'size']);
    expect(parseListingQuery({ account_id: '42', fields: 'name, size,name' }).fields).toEqual(['name', 'size']);
  });

  it('cuts echoed values and lists at most five unknown output fields', () => {
    const error = (() => {
      try {
        parseListingQuery({
          account_id: `x${'9'.repeat(5_000)}`,
          fields: Array.from({ length: 500 }, (_, i) => `f${i}`).join(','),
        });
      } catch (caught) {
        return caught as BadRequest;
      }
      throw new Error('expected a BadRequest');
    })();
    expect(error.errors[0]).toEqual({ field: 'account_id', message: `must be an integer, got "x${'9'.repeat(38)}…"` });
    expect(error.errors[1]!.message).toMatch(
      /^unknown field\(s\) "f0", "f1", "f2", "f3", "f4" and 495 more; use any of /,
    );
    expect(error.message.length).toBeLessThan(500);
  });

  it.each<[QueryParams, string[]]>([
    [{}, ['account_id']],
    [{ account_id: 'abc' }, ['account_id']],
    [{ account_id: '1.5' }, ['account_id']],
    [{ account_id: '1', page: '0' }, ['page']],
    [{ account_id: '1', page: '2147483648' }, ['page']],
    [{ account_id: '1', page_size: '0' }, ['page_size']],
    [{ account_id: '1', page_size: '101' }, ['page_size']],
    [{ account_id: '1', audience_id: '-3' }, ['audience_id']],
    [{ account_id: '1', fields: '["name","colour"]' }, ['fields']],
    [{ account_id: '1', fields: '[' }, ['fields']],
    [{ account_id: '1', filtering: '[{' }, ['filtering']],
    [{ account_id: '1', filtering: '[{"field":"x","operator":"EQUALS","values":[1]}]' }, ['filtering[0].field']],
    [{ page_size: '500', filtering: '{}' }, ['account_id', 'page_size', 'filtering']],
  ])('rejects %j naming %j', (params, fields) => {
    expect(badFields(params)).toEqual(fields);
  });
});

describe('planQuery pushdown', () => {
  const base = { accountId: 1, page: 1, pageSize: 10 };
  const equals = (field: string, value: number) => ({ field, operator: 'EQUALS', values: [value] }) as never;

  it('pushes EQUALS on the ids upstream and keeps the rest local', () => {
    const local = { field: 'name', operator: 'CONTAINS', values: ['a'] } as never;
    const plan = planQuery({
      ...base,
      filtering: [equals('audience_id', 5), equals('custom_audience_file_id', 9), local],
    });
    expect(plan.upstream).toEqual({ accountId: 1, audienceId: 5, customAudienceFileId: 9 });
    expect(plan.local).toEqual([local]);
  });

  it('keeps an id condition local when the query parameter already pins that id', () => {
    const plan = planQuery({ ...base, audienceId: 5, filtering: [equals('audience_id', 6)] });
    expect(plan.upstream).toEqual({ accountId: 1, audienceId: 5 });
    expect(plan.local).toHaveLength(1);
  });
});

describe('pagination and concurrency', () => {
  it('computes page_info like Tencent, including pages past the end', () => {
    const items = Array.from({ length: 23 }, (_, index) => index);
    expect(paginate(items, 3, 10)).toEqual({
      items: [20, 21, 22],
      page_info: { page: 3, page_size: 10, total_number: 23, total_page: 3 },
    });
    expect(paginate(items, 9, 10).items).toEqual([]);
    expect(paginate([], 1, 10).page_info.total_page).toBe(0);
  });

  it('never runs more than the limit at once and keeps input order', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 0, 6], 3, async (delay) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, delay));
      running -= 1;
      return delay * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });

  it('stops handing out work after the first failure', async () => {
    const started: number[] = [];
    const run = mapWithConcurrency([1, 2, 3, 4, 5, 6], 2, async (item) => {
      started.push(item);
      if (item === 2) throw new Error('boom');
      await new Promise((resolve) => setTimeout(resolve, 5));
      return item;
    });
    await expect(run).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(6);
  });
});

describe('lenient item parsing', () => {
  it('reads numeric strings, "" as unknown, and process_status names or numbers', () => {
    const parsed = parseAudienceFile({
      audience_id: '12',
      custom_audience_file_id: 34,
      line_count: '',
      size: ' 99 ',
      user_count: 'n/a',
      process_status: 3,
      created_time: '2025-01-01 00:00:00',
      extra: 'dropped',
    });
    expect(parsed).toMatchObject({ audience_id: 12, custom_audience_file_id: 34, line_count: null, size: 99 });
    expect(parsed.user_count).toBeNull();
    expect(parsed.process_status).toBe(3); // no published mapping: numbers pass through
    expect(parseAudienceFile({ process_status: '4' }).process_status).toBe(4);
    expect(parseAudienceFile({ process_status: 'pending' }).process_status).toBe('PENDING');
    expect(parseAudienceFile({ process_status: 9 }).process_status).toBe(9);
    expect(parseAudienceFile({ create_time: '2025-01-01 00:00:00' }).created_time).toBe('2025-01-01 00:00:00');
    expect('extra' in parsed).toBe(false);
  });

  it('fills page_info gaps and projects fields in the order asked', () => {
    expect(parsePageInfo({ total_number: '25' }, { page: 2, page_size: 10 })).toEqual({
      page: 2,
      page_size: 10,
      total_number: 25,
      total_page: 3,
    });
    const projected = projectFile(parseAudienceFile({ name: 'a', size: 1 }), ['size', 'name']);
    expect(Object.keys(projected)).toEqual(['size', 'name']);
  });
});

describe('auth params', () => {
  it('makes 32-hex-char nonces that do not repeat and second timestamps', () => {
    const nonces = new Set(Array.from({ length: 1000 }, createNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(authParams('t', 1_700_000_000_999).timestamp).toBe('1700000000');
  });
});
