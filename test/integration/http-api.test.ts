// The local HTTP API in front of the handlers: safe path decoding, its own address in events, clean failures.
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpApi, type Route, startHttpApi } from '../../local/http-api.ts';
import { rawRequest } from '../helpers/raw-request.ts';

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** A route that answers the event it was given, so the test sees what a handler would see. */
const echo: Route = {
  method: 'GET',
  path: '/exports/{exportId}',
  functionName: 'getExport',
  handler: async (event) => ({ statusCode: 200, body: JSON.stringify(event) }),
};

describe('local HTTP API', () => {
  it('answers 400 naming the parameter for a malformed %-escape, and decodes a good one', async () => {
    api = await startHttpApi({ routes: [echo] });
    for (const path of ['/exports/%E0%A4%A', '/exports/%ZZ', '/exports/%']) {
      const response = await fetch(`${api.url}${path}`);
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({ errors: [{ field: 'exportId' }] });
    }
    const good = (await (await fetch(`${api.url}/exports/a%20b`)).json()) as { pathParameters: object };
    expect(good.pathParameters).toEqual({ exportId: 'a b' });
  });

  it('puts its own address in the event, never the Host or X-Forwarded-Proto a client sends', async () => {
    api = await startHttpApi({ routes: [echo] });
    const response = await rawRequest(`${api.url}/exports/x?a=1&a=2`, {
      headers: { host: 'evil.example', 'x-forwarded-proto': 'javascript' },
    });
    const event = JSON.parse(response.body) as {
      headers: Record<string, string>;
      requestContext: { domainName: string };
      queryStringParameters: Record<string, string>;
    };
    expect(event.headers.host).toBe('evil.example');
    expect(event.requestContext.domainName).toBe(new URL(api.url).host);
    expect(event.headers['x-forwarded-proto']).toBe('http');
    expect(event.queryStringParameters).toEqual({ a: '1,2' });
  });

  it('answers 503 until its routes are set, and 500 with the failure reported when a handler throws', async () => {
    const failures: unknown[] = [];
    api = await startHttpApi({ onError: (error) => failures.push(error) });
    expect((await fetch(`${api.url}/exports/x`)).status).toBe(503);
    api.setRoutes([{ ...echo, handler: async () => Promise.reject(new Error('boom')) }]);
    const failed = await fetch(`${api.url}/exports/x`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ message: 'Internal Server Error' });
    expect((failures[0] as Error).message).toBe('boom');
  });
});
