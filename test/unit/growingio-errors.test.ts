import { describe, expect, it } from 'vitest';
import {
  GrowingIoBadResponse,
  GrowingIoExportFailed,
  GrowingIoThrottled,
  GrowingIoUnauthorized,
  GrowingIoUnavailable,
} from '../../lib/errors.ts';
import { interpretExportAnswer, type RawAnswer } from '../../lib/growingio/client.ts';

const TOKEN = 'tok-3f9a8b7c6d5e';
const answer = (status: number, body: unknown, retryAfter: string | null = null): RawAnswer => ({
  status,
  retryAfter,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  now: Date.parse('2026-01-01T00:00:00Z'),
});
const link = 'https://gta.growingio.com/buckets/x/a.csv?sign=R9y9atNVIDq%2FgPJI%3D&expires=1577344409140';

function thrown(raw: RawAnswer): Error {
  try {
    interpretExportAnswer(raw, [TOKEN]);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('interpretExportAnswer: successful bodies', () => {
  it('returns doing and done jobs, normalising status casing and ignoring extra fields', () => {
    expect(interpretExportAnswer(answer(200, { id: 'j1', status: 'doing', downloadLinks: [], errorMsg: '' }))).toEqual({
      jobId: 'j1',
      status: 'doing',
      downloadLinks: [],
      errorMsg: '',
    });
    const done = interpretExportAnswer(
      answer(200, { id: 'j1', status: 'DONE', downloadLinks: [link], extra: { a: 1 } }),
    );
    expect(done).toEqual({ jobId: 'j1', status: 'done', downloadLinks: [link], errorMsg: '' });
  });

  it('tolerates null links and errorMsg while doing, and numeric ids', () => {
    const job = interpretExportAnswer(answer(200, { id: 7, status: 'Doing', downloadLinks: null, errorMsg: null }));
    expect(job).toEqual({ jobId: '7', status: 'doing', downloadLinks: [], errorMsg: '' });
  });
});

describe('interpretExportAnswer: error mapping', () => {
  it('401 and 403 mean a bad token', () => {
    for (const status of [401, 403]) {
      const error = thrown(answer(status, { message: 'Unauthorized', errors: [] }));
      expect(error).toBeInstanceOf(GrowingIoUnauthorized);
      expect(error.name).toBe('GrowingIoUnauthorized');
    }
  });

  it('429 is throttling, with Retry-After in details', () => {
    const error = thrown(answer(429, { message: 'Too Many Requests' }, '3')) as GrowingIoThrottled;
    expect(error).toBeInstanceOf(GrowingIoThrottled);
    expect(error.details.retryAfterSeconds).toBe(3);
    expect((thrown(answer(429, '')) as GrowingIoThrottled).details.retryAfterSeconds).toBeUndefined();
  });

  it('5xx is unavailability', () => {
    for (const status of [500, 502, 503, 504])
      expect(thrown(answer(status, '<html>bad gateway</html>'))).toBeInstanceOf(GrowingIoUnavailable);
  });

  it('400 is a failed export carrying the upstream message and errors', () => {
    const error = thrown(
      answer(400, { message: 'Bad Request', errors: [{ code: '1', message: '请求参数不合法，foo' }] }),
    );
    expect(error).toBeInstanceOf(GrowingIoExportFailed);
    expect(error.message).toContain('Bad Request; 请求参数不合法，foo');
  });

  it('200 with status failed carries errorMsg; 下载出错 is retryable (GrowingIoUnavailable)', () => {
    for (const errorMsg of ['请求参数不合法，foo', '过期时间应小于7天']) {
      const error = thrown(answer(200, { id: 'j9', status: 'failed', downloadLinks: [], errorMsg }));
      expect(error).toBeInstanceOf(GrowingIoExportFailed);
      expect(error.message).toContain(errorMsg);
      expect((error as GrowingIoExportFailed).details).toMatchObject({ jobId: 'j9', errorMsg });
    }
    const retryable = thrown(answer(200, { status: 'FAILED', errorMsg: '下载出错，请您稍后重试' }));
    expect(retryable).toBeInstanceOf(GrowingIoUnavailable);
    expect(retryable.message).toContain('下载出错，请您稍后重试');
  });

  it('bodies of the wrong shape are bad responses with a short excerpt', () => {
    const cases: unknown[] = [
      'not json at all',
      '<html>maintenance</html>',
      [1, 2],
      { id: 'j', status: 'pending' },
      { status: 'done', downloadLinks: [link] },
      { id: 'j', status: 'done' },
      { id: 'j', status: 'done', downloadLinks: [] },
      { id: 'j', status: 'done', downloadLinks: 'x' },
      { id: 'j', status: 'done', downloadLinks: [link], errorMsg: 5 },
    ];
    for (const body of cases) {
      const error = thrown(answer(200, body));
      expect(error, JSON.stringify(body)).toBeInstanceOf(GrowingIoBadResponse);
    }
    expect(thrown(answer(204, ''))).toBeInstanceOf(GrowingIoBadResponse);
  });

  it('never echoes the token or a signature, and keeps excerpts within 200 characters', () => {
    const body = `{"id":"j","status":"weird","token":"${TOKEN}","link":"${link}","pad":"${'x'.repeat(500)}"}`;
    const error = thrown(answer(200, body)) as GrowingIoBadResponse;
    const excerpt = String(error.details.excerpt);
    expect(excerpt.length).toBeLessThanOrEqual(200);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain('R9y9atNVIDq');
    const failed = thrown(answer(503, `upstream saw Authorization: ${TOKEN}`));
    expect(failed.message).not.toContain(TOKEN);
  });
});
