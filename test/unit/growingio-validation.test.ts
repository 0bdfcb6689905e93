import { describe, expect, it } from 'vitest';
import { BadRequest, type FieldError } from '../../lib/errors.ts';
import { segmentExportUrl } from '../../lib/growingio/client.ts';
import { parseSegmentExportRequest } from '../../lib/growingio/request.ts';
import type { SegmentExportRequest } from '../../lib/growingio/types.ts';

const valid: SegmentExportRequest = { projectUid: 'nxog09md', segmentationId: 'nP2lpkX9' };

function problems(input: unknown): FieldError[] {
  try {
    parseSegmentExportRequest(input);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequest);
    return (error as BadRequest).errors;
  }
}
const fields = (input: unknown) => problems(input).map((e) => e.field);

describe('parseSegmentExportRequest', () => {
  it('accepts the seed example and the boundaries of expireMinutes and parameters', () => {
    expect(problems(valid)).toEqual([]);
    expect(problems({ ...valid, expireMinutes: 1, parameters: ['user_name', 'project'] })).toEqual([]);
    expect(problems({ ...valid, expireMinutes: 10_080, parameters: [] })).toEqual([]);
    const fifty = Array.from({ length: 50 }, (_, i) => `v${i}`);
    expect(problems({ ...valid, parameters: [...fifty.slice(1), `_${'a'.repeat(49)}`] })).toEqual([]);
  });

  it('requires both ids and keeps them path-safe', () => {
    expect(problems({})).toEqual([
      { field: 'projectUid', message: 'is required' },
      { field: 'segmentationId', message: 'is required' },
    ]);
    expect(fields({ projectUid: '', segmentationId: '   ' })).toEqual(['projectUid', 'segmentationId']);
    for (const bad of ['-x', '_x', '..', '.', 'a/b', 'a?b', 'a b', '%2e%2e', 'x'.repeat(65), '分群']) {
      expect(fields({ ...valid, segmentationId: bad })).toEqual(['segmentationId']);
    }
    expect(fields({ ...valid, segmentationId: 'x'.repeat(64) })).toEqual([]);
    expect(problems({ ...valid, projectUid: 42 })).toEqual([{ field: 'projectUid', message: 'must be a string' }]);
  });

  it('bounds expireMinutes to whole minutes in 1..10080 (7 days)', () => {
    for (const bad of [0, -5, 10_081, 1.5, Number.NaN, '5']) {
      expect(fields({ ...valid, expireMinutes: bad })).toEqual(['expireMinutes']);
    }
    expect(problems({ ...valid, expireMinutes: '5' })[0]!.message).toBe('must be a whole number of minutes');
    expect(problems({ ...valid, expireMinutes: 0 })[0]!.message).toMatch(/between 1 and 10080/);
  });

  it('takes user-variable keys that start with a letter or _, at most 50 characters, each once', () => {
    expect(problems({ ...valid, parameters: ['open_id', 'role', 'bad-name', 'role', ''] })).toEqual([
      { field: 'parameters.2', message: expect.stringMatching(/start with a letter or _/) },
      { field: 'parameters.4', message: expect.stringMatching(/start with a letter or _/) },
      { field: 'parameters.3', message: 'is listed more than once' },
    ]);
    for (const bad of ['1st', 'a,b', `a${'b'.repeat(50)}`, 'ü']) {
      expect(fields({ ...valid, parameters: [bad] })).toEqual(['parameters.0']);
    }
    expect(problems({ ...valid, parameters: 'open_id,role' })).toEqual([
      { field: 'parameters', message: 'must be a list' },
    ]);
    const many = Array.from({ length: 51 }, (_, i) => `v${i}`);
    expect(problems({ ...valid, parameters: many })).toEqual([
      { field: 'parameters', message: 'must list at most 50 variables' },
    ]);
  });

  it('reports every bad field at once, and a non-object as the body', () => {
    expect(fields({ projectUid: '', segmentationId: 'ok', expireMinutes: 99_999, parameters: ['x y'] })).toEqual([
      'projectUid',
      'expireMinutes',
      'parameters.0',
    ]);
    expect(problems(null)).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    expect(problems({ ...valid, expire: 5 })).toEqual([{ field: 'expire', message: 'is not a known field' }]);
  });
});

describe('segmentExportUrl', () => {
  it('builds the seed URL with expire and comma-joined parameters', () => {
    const url = segmentExportUrl('https://www.growingio.com/', {
      ...valid,
      expireMinutes: 5,
      parameters: ['user_name', 'project'],
    });
    expect(url.toString()).toBe(
      'https://www.growingio.com/v3/exporter/projects/nxog09md/segmentations/nP2lpkX9/users?expire=5&parameters=user_name%2Cproject',
    );
    expect(url.searchParams.get('parameters')).toBe('user_name,project');
  });

  it('omits absent query parameters and keeps a base path', () => {
    const url = segmentExportUrl('http://127.0.0.1:9/gio', { ...valid, parameters: [] });
    expect(url.pathname).toBe('/gio/v3/exporter/projects/nxog09md/segmentations/nP2lpkX9/users');
    expect(url.search).toBe('');
  });
});
