// process_status: numbers pass through (no published mapping), names stay names; filters never cross the two.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../lib/errors.ts';
import { matches, parseFiltering } from '../../lib/tencent/filter.ts';
import { parseAudienceFile } from '../../lib/tencent/items.ts';
import { parseListingQuery } from '../../lib/tencent/query.ts';

const withStatus = (status: unknown) => parseAudienceFile({ custom_audience_file_id: 1, process_status: status });
const condition = (operator: string, values: unknown[]) =>
  parseFiltering([{ field: 'process_status', operator, values }])[0]!;

describe('process_status passes through', () => {
  it.each<[unknown, string | number]>([
    [3, 3],
    ['3', 3],
    [0, 0],
    [15, 15],
    ['success', 'SUCCESS'],
    ['ERROR', 'ERROR'],
  ])('%j is read as %j', (raw, expected) => {
    expect(withStatus(raw).process_status).toBe(expected);
  });
});

describe('process_status filters', () => {
  it('a name never matches a number, whatever the number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 100 }),
        fc.constantFrom('PENDING', 'PROCESSING', 'SUCCESS', 'ERROR'),
        (n, name) => {
          expect(matches(withStatus(n), condition('EQUALS', [name]))).toBe(false);
          expect(matches(withStatus(n), condition('IN', [name]))).toBe(false);
          expect(matches(withStatus(n), condition('NOT_EQUALS', [name]))).toBe(true);
        },
      ),
    );
  });

  it('3 and "3" match numeric 3 only; a name matches the same name only', () => {
    expect(matches(withStatus(3), condition('EQUALS', [3]))).toBe(true);
    expect(matches(withStatus(3), condition('EQUALS', ['3']))).toBe(true);
    expect(matches(withStatus(4), condition('EQUALS', ['3']))).toBe(false);
    expect(matches(withStatus('SUCCESS'), condition('EQUALS', [3]))).toBe(false);
    expect(matches(withStatus('SUCCESS'), condition('EQUALS', ['SUCCESS']))).toBe(true);
    expect(matches(withStatus(9), condition('IN', ['SUCCESS', 9]))).toBe(true);
    expect(matches(withStatus('ERROR'), condition('NOT_IN', ['SUCCESS', 9]))).toBe(true);
  });

  it('rejects anything else, naming the field', () => {
    for (const bad of ['DONE', 1.5, '', null]) {
      expect(() => condition('EQUALS', [bad])).toThrow(BadRequest);
      expect(() => condition('EQUALS', [bad])).toThrow(/process_status values must be one of .* or an integer/);
    }
  });
});

describe('salt_id', () => {
  it('is read as text and accepted in fields and filtering', () => {
    expect(parseAudienceFile({ salt_id: 700123 }).salt_id).toBe('700123');
    expect(parseAudienceFile({}).salt_id).toBe('');
    const query = parseListingQuery({
      account_id: '1',
      fields: 'salt_id,name',
      filtering: JSON.stringify([{ field: 'salt_id', operator: 'EQUALS', values: ['700123'] }]),
    });
    expect(query.fields).toEqual(['salt_id', 'name']);
    expect(matches(parseAudienceFile({ salt_id: 700123 }), query.filtering[0]!)).toBe(true);
  });
});
