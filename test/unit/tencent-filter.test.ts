import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../lib/errors.ts';
import {
  type Condition,
  compareFiles,
  matches,
  matchesAll,
  parseFiltering,
  parseTime,
} from '../../lib/tencent/filter.ts';
import { parseAudienceFile } from '../../lib/tencent/items.ts';
import type { AudienceFile } from '../../lib/tencent/types.ts';

const file = (overrides: Partial<AudienceFile> = {}): AudienceFile => ({
  ...parseAudienceFile({
    audience_id: 7,
    custom_audience_file_id: 100,
    name: '高价值用户人群包_1.txt',
    user_id_type: 'HASH_IMEI',
    operation_type: 'APPEND',
    process_status: 'SUCCESS',
    process_code: 0,
    line_count: 120,
    size: '4096',
    created_time: '2025-02-01 10:00:00',
  }),
  ...overrides,
});

function rejection(raw: unknown): BadRequest {
  try {
    parseFiltering(raw);
  } catch (error) {
    if (error instanceof BadRequest) return error;
    throw error;
  }
  throw new Error('expected a BadRequest');
}

describe('parseFiltering validation', () => {
  it.each([
    ['not an array', { field: 'name' }, 'filtering'],
    ['an item that is not an object', ['name'], 'filtering[0]'],
    ['an unknown field', [{ field: 'colour', operator: 'EQUALS', values: ['x'] }], 'filtering[0].field'],
    ['an unknown operator', [{ field: 'name', operator: 'LIKE', values: ['x'] }], 'filtering[0].operator'],
    ['CONTAINS on a number', [{ field: 'size', operator: 'CONTAINS', values: ['1'] }], 'filtering[0].operator'],
    ['LESS on text', [{ field: 'name', operator: 'LESS', values: ['a'] }], 'filtering[0].operator'],
    ['IN on a time', [{ field: 'created_time', operator: 'IN', values: ['2025-01-01'] }], 'filtering[0].operator'],
    ['two values for EQUALS', [{ field: 'name', operator: 'EQUALS', values: ['a', 'b'] }], 'filtering[0].values'],
    ['no values for IN', [{ field: 'size', operator: 'IN', values: [] }], 'filtering[0].values'],
    [
      '101 values for IN',
      [{ field: 'size', operator: 'IN', values: Array.from({ length: 101 }, (_, i) => i) }],
      'filtering[0].values',
    ],
    ['values not an array', [{ field: 'name', operator: 'EQUALS', values: 'a' }], 'filtering[0].values'],
    ['a non-integer number', [{ field: 'size', operator: 'GREATER', values: [1.5] }], 'filtering[0].values'],
    ['a bad time', [{ field: 'created_time', operator: 'LESS', values: ['2025-02-30'] }], 'filtering[0].values'],
    ['an unknown status', [{ field: 'process_status', operator: 'EQUALS', values: ['DONE'] }], 'filtering[0].values'],
  ])('rejects %s, naming %s', (_label, raw, field) => {
    const error = rejection(raw);
    expect(error.statusCode).toBe(400);
    expect(error.errors.map((entry) => entry.field)).toEqual([field]);
    expect(error.message).toContain(field);
  });

  it('reports every bad condition at once, each at its index', () => {
    const error = rejection([
      { field: 'name', operator: 'EQUALS', values: ['ok'] },
      { field: 'nope', operator: 'EQUALS', values: ['x'] },
      { field: 'size', operator: 'CONTAINS', values: ['1'] },
    ]);
    expect(error.errors.map((entry) => entry.field)).toEqual(['filtering[1].field', 'filtering[2].operator']);
  });

  it('normalises values: integer strings to numbers, times to comparable numbers', () => {
    const [size, time] = parseFiltering([
      { field: 'size', operator: 'IN', values: ['10', 20] },
      { field: 'created_time', operator: 'GREATER', values: ['2025-01-01'] },
    ]);
    expect(size?.values).toEqual([10, 20]);
    expect(time?.values).toEqual([Date.UTC(2025, 0, 1)]);
  });

  it('lets a later condition on the same field and operator replace the earlier one', () => {
    const conditions = parseFiltering([
      { field: 'name', operator: 'CONTAINS', values: ['甲'] },
      { field: 'name', operator: 'EQUALS', values: ['x'] },
      { field: 'name', operator: 'CONTAINS', values: ['乙'] },
    ]);
    expect(conditions).toHaveLength(2);
    expect(conditions.find((condition) => condition.operator === 'CONTAINS')?.values).toEqual(['乙']);
  });
});

describe('matching', () => {
  const only = (raw: unknown): Condition => parseFiltering([raw])[0]!;

  it('compares numbers as numbers, even when Tencent sent them as strings', () => {
    expect(matches(file(), only({ field: 'size', operator: 'GREATER', values: ['999'] }))).toBe(true);
    expect(matches(file(), only({ field: 'size', operator: 'LESS_EQUALS', values: [4096] }))).toBe(true);
    expect(matches(file(), only({ field: 'size', operator: 'LESS', values: [4096] }))).toBe(false);
  });

  it('compares created_time as a time, a bare date meaning midnight', () => {
    const after = only({ field: 'created_time', operator: 'GREATER_EQUALS', values: ['2025-02-01'] });
    const before = only({ field: 'created_time', operator: 'LESS', values: ['2025-02-01 10:00:01'] });
    expect(matchesAll(file(), [after, before])).toBe(true);
    expect(matches(file({ created_time: '2025-01-31 23:59:59' }), after)).toBe(false);
  });

  it('CONTAINS is a case-sensitive substring test; IN / NOT_IN are set membership', () => {
    expect(matches(file(), only({ field: 'name', operator: 'CONTAINS', values: ['人群包'] }))).toBe(true);
    expect(matches(file(), only({ field: 'user_id_type', operator: 'IN', values: ['IDFA', 'HASH_IMEI'] }))).toBe(true);
    expect(matches(file(), only({ field: 'user_id_type', operator: 'NOT_IN', values: ['IDFA', 'HASH_IMEI'] }))).toBe(
      false,
    );
  });

  it('a missing value satisfies only the negative operators', () => {
    const unknown = file({ user_count: null, created_time: '' });
    expect(matches(unknown, only({ field: 'user_count', operator: 'EQUALS', values: [0] }))).toBe(false);
    expect(matches(unknown, only({ field: 'user_count', operator: 'GREATER_EQUALS', values: [0] }))).toBe(false);
    expect(matches(unknown, only({ field: 'user_count', operator: 'NOT_EQUALS', values: [0] }))).toBe(true);
    expect(matches(unknown, only({ field: 'user_count', operator: 'NOT_IN', values: [0] }))).toBe(true);
    expect(matches(unknown, only({ field: 'created_time', operator: 'LESS', values: ['2030-01-01'] }))).toBe(false);
  });

  it('ANDs conditions; no condition matches everything', () => {
    const status = only({ field: 'process_status', operator: 'EQUALS', values: ['SUCCESS'] });
    const audience = only({ field: 'audience_id', operator: 'EQUALS', values: [8] });
    expect(matchesAll(file(), [])).toBe(true);
    expect(matchesAll(file(), [status])).toBe(true);
    expect(matchesAll(file(), [status, audience])).toBe(false);
  });
});

describe('order and times', () => {
  it('sorts newest first, then by higher file id, with missing times last', () => {
    const files = [
      file({ custom_audience_file_id: 1, created_time: '2025-01-01 00:00:00' }),
      file({ custom_audience_file_id: 2, created_time: '' }),
      file({ custom_audience_file_id: 3, created_time: '2025-03-01 00:00:00' }),
      file({ custom_audience_file_id: 4, created_time: '2025-01-01 00:00:00' }),
    ];
    expect([...files].sort(compareFiles).map((item) => item.custom_audience_file_id)).toEqual([3, 4, 1, 2]);
  });

  it('parses only real dates and times', () => {
    expect(parseTime('2024-02-29 23:59:59')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
    expect(parseTime('2025-02-29')).toBeNull();
    expect(parseTime('2025-01-01 24:00:00')).toBeNull();
    expect(parseTime('01/02/2025')).toBeNull();
  });
});
