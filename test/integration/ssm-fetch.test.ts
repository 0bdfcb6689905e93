// The SSM middleware against a local SSM endpoint: one decrypted GetParameters per cache period, a missing parameter
// named (never a value), values on the context.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssmToContext } from '../../functions/middleware/ssm-fetch.ts';
import { ConfigError } from '../../lib/errors.ts';
import { startFakeSsm } from '../helpers/fake-ssm.ts';

let ssm: Awaited<ReturnType<typeof startFakeSsm>>;
beforeAll(async () => {
  ssm = await startFakeSsm({ '/a/token': 'token-value-1', '/a/other': 'other-value-2' });
});
afterAll(() => ssm.close());

const clientOptions = () => ({
  endpoint: ssm.url,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

async function run(middleware: ReturnType<typeof ssmToContext>) {
  const context = {} as Context & Record<string, unknown>;
  await middleware.before!({ event: {}, context, response: undefined, error: undefined, internal: {} } as never);
  return context;
}

describe('ssmToContext', () => {
  it('fetches every parameter in one decrypted call, caches it, and fetches again once the cache expired', async () => {
    let now = 1_000;
    const middleware = ssmToContext(
      { token: '/a/token', other: '/a/other' },
      {
        cacheExpiryMs: 60_000,
        clientOptions: clientOptions(),
        now: () => now,
      },
    );
    const before = ssm.calls.length;
    expect(await run(middleware)).toMatchObject({ token: 'token-value-1', other: 'other-value-2' });
    now += 59_000;
    await run(middleware);
    expect(ssm.calls.slice(before)).toEqual([
      { target: 'AmazonSSM.GetParameters', names: ['/a/token', '/a/other'], decrypt: true },
    ]);
    now += 2_000;
    await run(middleware);
    expect(ssm.calls.length - before).toBe(2);
  });

  it('names a parameter SSM does not return, as a ConfigError', async () => {
    const middleware = ssmToContext({ token: '/a/missing' }, { cacheExpiryMs: 60_000, clientOptions: clientOptions() });
    const error = await run(middleware).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).errors).toEqual([
      { field: '/a/missing', message: 'not returned by SSM GetParameters' },
    ]);
  });
});
