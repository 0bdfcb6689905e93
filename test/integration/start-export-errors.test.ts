// POST /exports 400s through the real startExport handler: truthful messages, every field named, bounded size.
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createStartExport } from '../../functions/handlers/start-export.ts';
import type { HttpEvent, HttpResult } from '../../functions/middleware/http.ts';
import { parseConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';

const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

async function post(body: string) {
  const lines: string[] = [];
  const handler = createStartExport({
    // No Step Functions is reachable: every request here must be refused before it is needed.
    config: parseConfig({ STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:none' }),
    logger: createLogger({ write: (line) => lines.push(line) }),
  });
  const event = {
    version: '2.0',
    routeKey: 'POST /exports',
    rawPath: '/exports',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
    requestContext: { domainName: 'api.example.test', http: { method: 'POST', path: '/exports' } },
  } as unknown as HttpEvent;
  const result = (await handler(event, context)) as HttpResult;
  const text = String(result.body);
  return { status: result.statusCode, text, body: JSON.parse(text), lines };
}

describe('POST /exports field errors', () => {
  it('says "must be a string" for a value of the wrong type, "is required" only when missing', async () => {
    const { status, body } = await post('{"projectUid":1,"segmentationId":true}');
    expect(status).toBe(400);
    expect(body.errors).toEqual([
      { field: 'projectUid', message: 'must be a string' },
      { field: 'segmentationId', message: 'must be a string' },
    ]);
    const missing = await post('{"expireMinutes":"60","parameters":{}}');
    expect(missing.body.errors).toEqual([
      { field: 'projectUid', message: 'is required' },
      { field: 'segmentationId', message: 'is required' },
      { field: 'expireMinutes', message: 'must be a whole number of minutes' },
      { field: 'parameters', message: 'must be a list' },
    ]);
  });

  it('names unknown fields, nested ones by their path, and a non-object body as `body`', async () => {
    const unknown = await post('{"projectUid":"p","segmentationId":"s","foo":1,"destination":{"bukcet":"b"}}');
    expect(unknown.body.errors).toEqual([
      { field: 'destination.bukcet', message: 'is not a known field' },
      { field: 'foo', message: 'is not a known field' },
    ]);
    for (const body of ['[1,2]', '"text"', '42', 'true']) {
      const answer = await post(body);
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
    }
  });

  it('refuses "." and ".." and empty prefix segments by field', async () => {
    for (const prefix of ['.', '..', 'a/./b', '../x', 'a/..', 'a//b', '/a']) {
      const { status, body } = await post(
        JSON.stringify({ projectUid: 'p', segmentationId: 's', destination: { prefix } }),
      );
      expect(status).toBe(400);
      expect(body.errors.map((error: { field: string }) => error.field)).toEqual(['destination.prefix']);
    }
  });

  it('answers a 4 MB body of 300,000 unknown keys with a small 400 and a small log line', async () => {
    const keys = Array.from({ length: 300_000 }, (_, i) => `"k${String(i).padStart(8, '0')}":1`);
    const huge = `{"projectUid":"p","segmentationId":"s","${'y'.repeat(5_000)}":2,${keys.join(',')}}`;
    expect(huge.length).toBeGreaterThan(4_000_000);
    const { status, text, body, lines } = await post(huge);
    expect(status).toBe(400);
    expect(text.length).toBeLessThan(8_192);
    expect(body.errors).toHaveLength(20);
    expect(body.errors[0]).toEqual({ field: `${'y'.repeat(39)}…`, message: 'is not a known field' });
    expect(body.errors[1]).toEqual({ field: 'k00000000', message: 'is not a known field' });
    expect(body.moreErrors).toBe(300_001 - 20);
    expect(body.message).toMatch(/; and 2999\d\d more$/);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.length).toBeLessThan(8_192);
    expect(lines.join('\n')).toContain('k00000000');
  });
});
