import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { keyPrefixProblem } from '../../lib/aws-names.ts';
import { parseConfig } from '../../lib/config.ts';
import { BadRequest, ConfigError, type FieldError } from '../../lib/errors.ts';
import { parseExportRequest } from '../../lib/export/request.ts';
import { cut, echo, invalidInput, MAX_FIELD_ERRORS, parseOrFail } from '../../lib/validation.ts';

function caught(run: () => unknown): { message: string; errors: FieldError[]; details: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    return error as BadRequest;
  }
  throw new Error('expected a validation error');
}

describe('field errors from a schema', () => {
  const schema = z.strictObject({
    name: z.string(),
    count: z.number(),
    on: z.boolean().optional(),
    tags: z.array(z.string()).optional(),
    inner: z.strictObject({ deep: z.string() }).optional(),
  });
  const problems = (input: unknown) =>
    caught(() => parseOrFail(schema, input, (errors) => invalidInput(BadRequest, 'Bad', errors))).errors;

  it('names the expected kind for a present value and says "is required" only when missing', () => {
    expect(problems({ name: 1, count: '2', on: 'yes', tags: 'a', inner: [] })).toEqual([
      { field: 'name', message: 'must be a string' },
      { field: 'count', message: 'must be a number' },
      { field: 'on', message: 'must be true or false' },
      { field: 'tags', message: 'must be a list' },
      { field: 'inner', message: 'must be a JSON object' },
    ]);
    expect(problems({ name: null, inner: {} })).toEqual([
      { field: 'name', message: 'must be a string' },
      { field: 'count', message: 'is required' },
      { field: 'inner.deep', message: 'is required' },
    ]);
  });

  it('names each unknown key (cut) and a non-object as the body', () => {
    expect(
      problems({ name: 'n', count: 1, colour: 1, [`k${'z'.repeat(100)}`]: 2, inner: { deep: 'd', x: 1 } }),
    ).toEqual([
      { field: 'inner.x', message: 'is not a known field' },
      { field: 'colour', message: 'is not a known field' },
      { field: `k${'z'.repeat(38)}…`, message: 'is not a known field' },
    ]);
    expect(problems(['x'])).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
  });

  it('lists at most 20 problems, counts the rest, and keeps the message short', () => {
    const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`unknown_${'q'.repeat(60)}_${i}`, i]));
    const error = caught(() =>
      parseOrFail(schema, { name: 'n', count: 1, ...many }, (errors) => invalidInput(BadRequest, 'Bad', errors)),
    );
    expect(error.errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(error.details).toEqual({ moreErrors: 5_000 - MAX_FIELD_ERRORS });
    expect(error.message.length).toBeLessThan(1_200);
    expect(error.message).toMatch(/^Bad: unknown_q+… is not a known field; .*; and \d+ more$/);
    const few = invalidInput(BadRequest, 'Bad', [{ field: 'a', message: 'x' }]);
    expect(few.message).toBe('Bad: a x');
    expect(few.details).toEqual({});
  });

  it('cuts echoed values and names lists and objects by their kind only', () => {
    expect(cut('a'.repeat(100))).toHaveLength(40);
    expect(cut('short')).toBe('short');
    expect(echo('b'.repeat(100))).toBe(`"${'b'.repeat(39)}…"`);
    expect(echo([1, 2])).toBe('a list');
    expect(echo({ secret: 'x' })).toBe('an object');
    expect(echo(7)).toBe('7');
  });
});

describe('destination.prefix', () => {
  it.each(['.', '..', 'a/./b', '../x', 'a/..', './a', 'a//b', '/a', '//', 'a b', 'x'.repeat(257)])(
    'refuses %j',
    (prefix) => {
      expect(keyPrefixProblem(prefix)).toBeDefined();
      const error = caught(() => parseExportRequest({ projectUid: 'p', segmentationId: 's', destination: { prefix } }));
      expect(error.errors.map((e) => e.field)).toEqual(['destination.prefix']);
    },
  );

  it.each([
    ['', ''],
    ['growingio', 'growingio'],
    ['a/b/', 'a/b'],
    ['a.b/c..d/.e', 'a.b/c..d/.e'],
    ["x!_*'()-/y", "x!_*'()-/y"],
  ])('accepts %j as %j', (prefix, stored) => {
    expect(parseExportRequest({ projectUid: 'p', segmentationId: 's', destination: { prefix } }).destination).toEqual({
      prefix: stored,
    });
  });

  it('says which rule a prefix breaks', () => {
    expect(keyPrefixProblem('a/./b')).toBe('must not contain "." or ".." segments');
    expect(keyPrefixProblem('a//b')).toBe('must not contain empty segments ("//")');
    expect(keyPrefixProblem('/a')).toBe('must not start with "/"');
  });
});

describe('configuration ranges', () => {
  it('reports a number out of range by its range, and a non-number as not a whole number', () => {
    const error = caught(() =>
      parseConfig({ POLL_INITIAL_SECONDS: '0', POLL_MAX_ATTEMPTS: '1.5', HTTP_TIMEOUT_MS: 'x' }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.errors).toEqual([
      { field: 'POLL_INITIAL_SECONDS', message: 'must be between 1 and 3600' },
      { field: 'POLL_MAX_ATTEMPTS', message: 'must be a whole number' },
      { field: 'HTTP_TIMEOUT_MS', message: 'must be a whole number' },
    ]);
    expect(error.message).toContain('POLL_INITIAL_SECONDS: must be between 1 and 3600');
    expect(caught(() => parseConfig({ TENCENT_SCAN_CONCURRENCY: '33' })).errors).toEqual([
      { field: 'TENCENT_SCAN_CONCURRENCY', message: 'must be between 1 and 32' },
    ]);
  });

  it('holds EXPORT_PREFIX to the key-prefix rules (outer slashes trimmed)', () => {
    expect(caught(() => parseConfig({ EXPORT_PREFIX: 'exports/./daily' })).errors).toEqual([
      { field: 'EXPORT_PREFIX', message: 'must not contain "." or ".." segments' },
    ]);
    expect(parseConfig({ EXPORT_PREFIX: '/exports/daily/' }).EXPORT_PREFIX).toBe('exports/daily');
  });
});
