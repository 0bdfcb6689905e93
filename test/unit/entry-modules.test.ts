// Entry modules have no side effects at import; the one config-failure policy answers HTTP and throws for tasks.
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SYNC_TASKS = [
  'build-audience-files',
  'ensure-audience',
  'upload-audience-file',
  'check-audience-files',
  'finish-sync',
  'clean-up-sync',
];
const ENTRIES = [
  'copy-export',
  'get-export',
  'list-audience-files',
  'list-exports',
  'plan-fan-out',
  'request-export',
  'start-export',
  'start-sync',
  'get-sync',
  'list-syncs',
  'summarize-fan-out',
  ...SYNC_TASKS,
];
const BAD_ENV = { LOG_LEVEL: 'loud', STATE_MACHINE_ARN: 'bogus', GROWINGIO_TOKEN: 'gio-secret-token-123' };
const saved: Record<string, string | undefined> = {};
const context = { awsRequestId: 'r1', functionName: 'test' } as Context;
const httpEvent = { rawPath: '/exports/x', requestContext: {}, pathParameters: { exportId: 'x' } };

beforeAll(() => {
  for (const [key, value] of Object.entries(BAD_ENV)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
});
afterAll(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const load = async (name: string) =>
  (await import(`../../functions/${name}.ts`)) as { handler: (event: unknown, context: Context) => Promise<unknown> };

describe('functions/*.ts with a bad environment', () => {
  it.each(ENTRIES)('%s imports cleanly and exports only handler', async (name) => {
    expect(Object.keys(await load(name))).toEqual(['handler']);
  });

  it.each([
    'get-export',
    'list-audience-files',
    'list-exports',
    'start-export',
    'start-sync',
    'get-sync',
    'list-syncs',
  ])('%s answers an HTTP event with a JSON 500 naming the variables, no value, no stack', async (name) => {
    const result = (await (await load(name)).handler(httpEvent, context)) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(500);
    const body = JSON.parse(result.body);
    expect(body.errors.map((error: { field: string }) => error.field)).toEqual(['STATE_MACHINE_ARN', 'LOG_LEVEL']);
    expect(body.message).toContain('LOG_LEVEL');
    expect(result.body).not.toContain('loud');
    expect(result.body).not.toContain('bogus');
    expect(result.body).not.toMatch(/at .+:\d+:\d+/);
  });

  it.each(['copy-export', 'request-export', 'plan-fan-out', 'summarize-fan-out', ...SYNC_TASKS])(
    '%s (a task) throws the ConfigError itself',
    async (name) => {
      await expect((await load(name)).handler({}, context)).rejects.toMatchObject({
        name: 'ConfigError',
        errors: [{ field: 'STATE_MACHINE_ARN' }, { field: 'LOG_LEVEL' }],
      });
    },
  );
});
