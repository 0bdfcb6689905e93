// Properties: the listing (client + filter engine + pagination, over real HTTP) equals a brute-force filter of the
// emulator's raw data, written here independently of lib/tencent/filter.ts.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationAborted, QueryTooBroad } from '../../lib/errors.ts';
import { createTencentClient, type TencentClient } from '../../lib/tencent/client.ts';
import { matchesAll, parseFiltering } from '../../lib/tencent/filter.ts';
import { parseAudienceFile } from '../../lib/tencent/items.ts';
import { type Listing, listAudienceFiles } from '../../lib/tencent/listing.ts';
import { parseListingQuery } from '../../lib/tencent/query.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';

const NAMED = 61; // process_status as names
const NUMBERED = 62; // process_status as numbers
const NUMERIC = [
  'audience_id',
  'custom_audience_file_id',
  'process_code',
  'line_count',
  'valid_line_count',
  'user_count',
  'size',
];
const TEXT = ['name', 'open_app_id', 'error_message', 'salt_id'];
const ENUMS = ['user_id_type', 'operation_type', 'process_status'];
const ALL_FIELDS = [...NUMERIC, ...TEXT, ...ENUMS, 'created_time'];
const ORDERED = ['LESS', 'LESS_EQUALS', 'GREATER', 'GREATER_EQUALS'];
const LIMITS = { maxScanPages: 10, concurrency: 3 };
const EVERY_FILE = { field: 'custom_audience_file_id', operator: 'GREATER', values: [0] };

type Row = Record<string, string | number | null>;
type RawCondition = { field: string; operator: string; values: Array<string | number> };

let emulator: TencentEmulator;
let client: TencentClient;
const rows = new Map<number, Row[]>();

beforeAll(async () => {
  emulator = await startTencentEmulator({
    accounts: [
      { accountId: NAMED, files: 380 },
      { accountId: NUMBERED, files: 120 },
    ],
    numericStatusAccounts: [NUMBERED],
    latencyMs: 0,
    rateLimitPerSecond: 1_000_000,
  });
  client = createTencentClient({ baseUrl: emulator.url, accessToken: emulator.accessToken });
  for (const account of [NAMED, NUMBERED]) rows.set(account, emulator.allFiles(account).map(normalise));
});
afterAll(() => emulator.close());

/** The typed shape, derived by hand from the seed: "" in a number is unknown, numeric statuses stay numbers. */
function normalise(raw: unknown): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(raw as Record<string, string | number>)) {
    if (NUMERIC.includes(key)) row[key] = value === '' ? null : Number(value);
    else if (key === 'salt_id')
      row[key] = String(value); // undocumented type: read as text
    else row[key] = value;
  }
  return row;
}

function holds(row: Row, { field, operator, values }: RawCondition): boolean {
  const time = (text: string) => (text.length === 10 ? `${text} 00:00:00` : text);
  const actual = row[field] ?? null;
  const wanted = values.map((value) =>
    NUMERIC.includes(field) ? Number(value) : field === 'created_time' ? time(String(value)) : value,
  );
  if (operator === 'NOT_EQUALS' || operator === 'NOT_IN') return actual === null || !wanted.includes(actual);
  if (actual === null) return false;
  const first = wanted[0]!;
  if (operator === 'EQUALS' || operator === 'IN') return wanted.includes(actual);
  if (operator === 'CONTAINS') return String(actual).includes(String(first));
  if (operator === 'LESS') return actual < first;
  if (operator === 'LESS_EQUALS') return actual <= first;
  if (operator === 'GREATER') return actual > first;
  return actual >= first;
}

interface Case {
  account: number;
  audienceId?: number;
  filtering: RawCondition[];
  page: number;
  pageSize: number;
  fields?: string[];
}

/** Brute force: every file, every condition (a later same field+operator wins), newest first. */
function expected(input: Case): Listing {
  const effective = new Map(
    input.filtering.map((condition) => [`${condition.field}|${condition.operator}`, condition]),
  );
  const matched = rows
    .get(input.account)!
    .filter((row) => input.audienceId === undefined || row.audience_id === input.audienceId)
    .filter((row) => [...effective.values()].every((condition) => holds(row, condition)))
    .sort(
      (a, b) =>
        String(b.created_time).localeCompare(String(a.created_time)) ||
        Number(b.custom_audience_file_id) - Number(a.custom_audience_file_id),
    );
  const start = (input.page - 1) * input.pageSize;
  const list = matched
    .slice(start, start + input.pageSize)
    .map((row) => (input.fields ? Object.fromEntries(input.fields.map((field) => [field, row[field]])) : row));
  const total = matched.length;
  return {
    list,
    page_info: {
      page: input.page,
      page_size: input.pageSize,
      total_number: total,
      total_page: Math.ceil(total / input.pageSize),
    },
  };
}

async function actual(input: Case): Promise<Listing> {
  const query = parseListingQuery({
    account_id: String(input.account),
    page: String(input.page),
    page_size: String(input.pageSize),
    ...(input.audienceId !== undefined ? { audience_id: String(input.audienceId) } : {}),
    ...(input.fields ? { fields: JSON.stringify(input.fields) } : {}),
    ...(input.filtering.length > 0 ? { filtering: JSON.stringify(input.filtering) } : {}),
  });
  return (await listAudienceFiles(client, query, LIMITS)).listing;
}

const seen = (field: string) => [
  ...new Set([NAMED, NUMBERED].flatMap((account) => rows.get(account)!.map((row) => row[field]))),
];
const fromData = (field: string) =>
  fc.constantFrom(
    ...seen(field).filter((value): value is string | number => value !== null && value !== undefined && value !== ''),
  );
const condition = (field: fc.Arbitrary<string>, operators: string[], value: fc.Arbitrary<string | number>) =>
  fc
    .record({ field, operator: fc.constantFrom(...operators) })
    .chain(({ field, operator }) =>
      (operator.endsWith('IN') ? fc.array(value, { minLength: 1, maxLength: 4 }) : value.map((one) => [one])).map(
        (values) => ({ field, operator, values }) as RawCondition,
      ),
    );

function conditionArb(): fc.Arbitrary<RawCondition> {
  const integers = fc
    .constantFrom(...NUMERIC)
    .chain((field) =>
      condition(
        fc.constant(field),
        ['EQUALS', 'NOT_EQUALS', 'IN', 'NOT_IN', ...ORDERED],
        fc.oneof(fromData(field), fromData(field).map(String), fc.integer({ min: 0, max: 600_000 })),
      ),
    );
  const texts = fc
    .constantFrom(...TEXT)
    .chain((field) =>
      fc.oneof(
        condition(fc.constant(field), ['EQUALS', 'NOT_EQUALS', 'IN', 'NOT_IN'], fc.oneof(fromData(field), fc.string())),
        condition(
          fc.constant(field),
          ['CONTAINS'],
          fc.constantFrom('人群', '高价值', '.txt', '_2025', 'wx', '错误', '召回', '_1'),
        ),
      ),
    );
  const enums = fc
    .constantFrom(...ENUMS)
    .chain((field) =>
      condition(
        fc.constant(field),
        ['EQUALS', 'NOT_EQUALS', 'IN', 'NOT_IN'],
        field === 'process_status' ? fc.constantFrom('PENDING', 'PROCESSING', 'SUCCESS', 'ERROR') : fromData(field),
      ),
    );
  const times = condition(
    fc.constant('created_time'),
    ['EQUALS', 'NOT_EQUALS', ...ORDERED],
    fc.oneof(
      fromData('created_time'),
      fromData('created_time').map((time) => String(time).slice(0, 10)),
    ),
  );
  return fc.oneof(integers, texts, enums, times);
}

function caseArb(minPageSize = 1): fc.Arbitrary<Case> {
  return fc
    .record({
      account: fc.constantFrom(NAMED, NUMBERED),
      useAudience: fc.boolean(),
      // A condition every file meets forces a full scan with many matches, so re-pagination is exercised deeply.
      filtering: fc.oneof(fc.array(conditionArb(), { maxLength: 3 }), fc.constant([EVERY_FILE])),
      pageSize: fc.integer({ min: minPageSize, max: 100 }),
      fields: fc.option(fc.shuffledSubarray(ALL_FIELDS, { minLength: 1 }), { nil: undefined }),
    })
    .chain(({ account, useAudience, filtering, pageSize, fields }) =>
      fc.record({
        account: fc.constant(account),
        audienceId: useAudience ? fromData('audience_id').map(Number) : fc.constant(undefined),
        filtering: fc.constant(filtering),
        pageSize: fc.constant(pageSize),
        page: fc.integer({ min: 1, max: Math.ceil(400 / pageSize) + 1 }),
        fields: fc.constant(fields),
      }),
    )
    .map((input) => JSON.parse(JSON.stringify(input)) as Case); // drop undefined keys
}

describe('listing equals brute force over the emulator data', () => {
  it('for random filters, pages, page sizes and field selections', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(), async (input) => {
        expect(await actual(input)).toEqual(expected(input));
      }),
      { numRuns: 40 },
    );
  });

  it('walking every page yields each match exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(40), async (generated) => {
        const input = { ...generated, fields: ['custom_audience_file_id'] };
        const first = await actual({ ...input, page: 1 });
        const ids: unknown[] = first.list.map((file) => file.custom_audience_file_id);
        for (let page = 2; page <= first.page_info.total_page; page++) {
          const next = await actual({ ...input, page });
          expect(next.page_info).toEqual({ ...first.page_info, page });
          ids.push(...next.list.map((file) => file.custom_audience_file_id));
        }
        const all = expected({ ...input, page: 1, pageSize: 100_000, fields: ['custom_audience_file_id'] });
        expect(ids).toEqual(all.list.map((file) => file.custom_audience_file_id));
        expect(ids).toHaveLength(first.page_info.total_number);
      }),
      { numRuns: 12 },
    );
  });
});

describe('the filter engine alone, over both accounts', () => {
  it('selects exactly the brute-force matches for any condition list', () => {
    const raws = [NAMED, NUMBERED].flatMap((account) => emulator.allFiles(account));
    fc.assert(
      fc.property(fc.array(conditionArb(), { minLength: 1, maxLength: 3 }), (filtering) => {
        const conditions = parseFiltering(filtering);
        const engine = raws.map(parseAudienceFile).filter((file) => matchesAll(file, conditions));
        const effective = [...new Map(filtering.map((c) => [`${c.field}|${c.operator}`, c])).values()];
        const oracle = raws.map(normalise).filter((row) => effective.every((c) => holds(row, c)));
        expect(engine.map((file) => file.custom_audience_file_id)).toEqual(
          oracle.map((row) => row.custom_audience_file_id),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('upstream calls', () => {
  const countCalls = async (run: () => Promise<unknown>) => {
    const before = emulator.stats().requests;
    await run();
    return emulator.stats().requests - before;
  };
  const filtering = JSON.stringify([{ field: 'process_status', operator: 'EQUALS', values: ['SUCCESS'] }]);

  it('pass-through is one call; a filter scans every page of 100 once', async () => {
    const list = (params: Record<string, string>) =>
      listAudienceFiles(client, parseListingQuery({ account_id: String(NAMED), ...params }), LIMITS);
    expect(await countCalls(() => list({ page: '3' }))).toBe(1);
    expect(await countCalls(() => list({ filtering }))).toBe(Math.ceil(380 / 100));
  });

  it('refuses a scan beyond the page cap with QueryTooBroad (422)', async () => {
    const query = parseListingQuery({ account_id: String(NAMED), filtering });
    const calls = await countCalls(async () => {
      const error = await listAudienceFiles(client, query, { maxScanPages: 3, concurrency: 2 }).catch(
        (caught) => caught,
      );
      expect(error).toBeInstanceOf(QueryTooBroad);
      expect(error.statusCode).toBe(422);
      expect(error.message).toMatch(/narrow/);
    });
    expect(calls).toBe(1);
  });

  it('starts no upstream call when the client signal has already aborted', async () => {
    const query = parseListingQuery({ account_id: String(NAMED), filtering });
    const aborted = createTencentClient({
      baseUrl: emulator.url,
      accessToken: emulator.accessToken,
      signal: AbortSignal.abort(),
    });
    const calls = await countCalls(async () => {
      await expect(listAudienceFiles(aborted, query, LIMITS)).rejects.toBeInstanceOf(OperationAborted);
    });
    expect(calls).toBe(0);
  });

  it('stops a scan when the client signal aborts: no new page is started', async () => {
    const controller = new AbortController();
    // The deadline passes while the first page is on its way back.
    const abortingFetch = (async (url: string | URL, init?: RequestInit) => {
      const response = await fetch(url, init);
      controller.abort(new Error('Lambda deadline'));
      return response;
    }) as typeof fetch;
    const scanning = createTencentClient({
      baseUrl: emulator.url,
      accessToken: emulator.accessToken,
      fetch: abortingFetch,
      signal: controller.signal,
    });
    const query = parseListingQuery({ account_id: String(NAMED), filtering });
    const calls = await countCalls(async () => {
      const error = await listAudienceFiles(scanning, query, { maxScanPages: 10, concurrency: 1 }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(OperationAborted);
      expect((error as Error).message).toContain('Lambda deadline');
    });
    expect(calls).toBe(1); // of the 4 pages a full scan needs
  });
});
