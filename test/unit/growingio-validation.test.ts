import { describe, expect, it } from 'vitest';
import { segmentExportUrl, validateSegmentExportRequest } from '../../lib/growingio/client.ts';
import type { SegmentExportRequest } from '../../lib/growingio/types.ts';

const valid: SegmentExportRequest = { projectUid: 'nxog09md', segmentationId: 'nP2lpkX9' };
const fields = (input: unknown) => validateSegmentExportRequest(input as SegmentExportRequest).map((e) => e.field);

describe('validateSegmentExportRequest', () => {
  it('accepts the seed example and the boundaries of expireMinutes', () => {
    expect(validateSegmentExportRequest(valid)).toEqual([]);
    expect(validateSegmentExportRequest({ ...valid, expireMinutes: 1, parameters: ['user_name', 'project'] })).toEqual(
      [],
    );
    expect(validateSegmentExportRequest({ ...valid, expireMinutes: 10_080, parameters: [] })).toEqual([]);
  });

  it('requires both ids and keeps them path-safe', () => {
    expect(fields({})).toEqual(['projectUid', 'segmentationId']);
    expect(fields({ projectUid: '', segmentationId: '   ' })).toEqual(['projectUid', 'segmentationId']);
    for (const bad of ['..', '.', 'a/b', 'a?b', 'a b', '%2e%2e', 'x'.repeat(129), '分群']) {
      expect(fields({ ...valid, segmentationId: bad })).toEqual(['segmentationId']);
    }
    expect(fields({ ...valid, projectUid: 42 })).toEqual(['projectUid']);
  });

  it('bounds expireMinutes to whole minutes in 1..10080 (7 days)', () => {
    for (const bad of [0, -5, 10_081, 1.5, Number.NaN, '5']) {
      expect(fields({ ...valid, expireMinutes: bad })).toEqual(['expireMinutes']);
    }
  });

  it('allows only [A-Za-z0-9_] parameter names without duplicates, reporting each', () => {
    const errors = validateSegmentExportRequest({ ...valid, parameters: ['open_id', 'role', 'bad-name', 'role', ''] });
    expect(errors.map((e) => e.field)).toEqual(['parameters', 'parameters', 'parameters']);
    expect(errors[0]!.message).toContain('bad-name');
    expect(errors[1]!.message).toContain('more than once');
    expect(fields({ ...valid, parameters: 'open_id,role' })).toEqual(['parameters']);
    expect(fields({ ...valid, parameters: ['a,b'] })).toEqual(['parameters']);
  });

  it('reports every bad field at once', () => {
    expect(fields({ projectUid: '', segmentationId: 'ok', expireMinutes: 99_999, parameters: ['x y'] })).toEqual([
      'projectUid',
      'expireMinutes',
      'parameters',
    ]);
    expect(validateSegmentExportRequest(null as unknown as SegmentExportRequest)).toHaveLength(1);
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
