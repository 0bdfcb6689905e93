// POST /syncs and GET /syncs/{runId} through the real handlers on the local runtime: 202 + Location, idempotency,
// conflicts, schedules, and clean 4xx answers naming the field.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../local/cli/endpoints.ts';
import { startHttpApi } from '../../local/http-api.ts';
import { context, httpEvent } from '../helpers/export-runtime.ts';
import { type SyncRuntime, startSyncRuntime } from '../helpers/sync-runtime.ts';

let runtime: SyncRuntime;
beforeAll(async () => {
  runtime = await startSyncRuntime([{ rows: 50, seed: 9 }]);
});
afterAll(async () => {
  await runtime.close();
});

const body = {
  projectUid: 'p1',
  segmentationId: 's1',
  dryRun: true,
  tencent: { accountId: 10001, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
};

async function post(payload: unknown, headers: Record<string, string> = {}) {
  const result = (await runtime.handlers.startSync(
    httpEvent('POST', '/syncs', { body: payload, headers }),
    context(),
  )) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(String(result.body)) };
}

async function get(runId: string) {
  const result = (await runtime.handlers.getSync(
    httpEvent('GET', `/syncs/${runId}`, { pathParameters: { runId } }),
    context(),
  )) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, body: JSON.parse(String(result.body)) };
}

describe('POST /syncs', () => {
  it('answers 202 with the run, replays the same key, and refuses a different request under it', async () => {
    const first = await post(body, { 'idempotency-key': 'nightly-1' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ syncId: 'p1-s1-10001-HASH_MOBILE_PHONE' });
    expect(first.headers.location).toBe(first.body.statusUrl);
    expect(first.body.statusUrl).toMatch(new RegExp(`/syncs/${first.body.runId}$`));
    await runtime.sfn.waitFor(first.body.executionArn);
    const again = await post(body, { 'idempotency-key': 'nightly-1' });
    expect(again.status).toBe(202);
    expect(again.body.runId).toBe(first.body.runId);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await post({ ...body, mode: 'full' }, { 'idempotency-key': 'nightly-1' });
    expect(other.status).toBe(409);
    const status = await get(first.body.runId);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: 'SUCCEEDED', report: { runId: first.body.runId, dryRun: true } });
  });

  it('gives two scheduled syncs of one segment at one time two runs, and a redelivery the same run', async () => {
    const scheduled = (request: unknown) => ({ scheduledTime: '2026-01-01T00:00:00Z', request });
    const a = (await runtime.handlers.startSync(scheduled(body), context())) as { runId: string };
    const b = (await runtime.handlers.startSync(
      scheduled({ ...body, tencent: { ...body.tencent, accountId: 10002 } }),
      context(),
    )) as { runId: string };
    const again = (await runtime.handlers.startSync(scheduled(body), context())) as { runId: string; created: boolean };
    expect(a.runId).not.toBe(b.runId);
    expect(again).toMatchObject({ runId: a.runId, created: false });
  });

  it('answers a bad request with 400 naming the fields, and an unknown run with 404', async () => {
    const bad = await post({ ...body, tencent: { ...body.tencent, userIdType: 'WECHAT_OPENID' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'tencent.openAppId', message: 'is required for WECHAT_OPENID' }]);
    expect((await get('no-such-run')).status).toBe(404);
    expect((await get('bad id!')).status).toBe(400);
  });

  it('is served by the local HTTP API: POST /syncs, then GET the Location it answered', async () => {
    const api = await startHttpApi({ routes: apiRoutes(runtime) });
    try {
      const posted = await fetch(`${api.url}/syncs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(posted.status).toBe(202);
      const started = (await posted.json()) as { runId: string; executionArn: string };
      await runtime.sfn.waitFor(started.executionArn);
      const path = new URL(posted.headers.get('location')!, api.url).pathname;
      expect(path).toBe(`/syncs/${started.runId}`);
      const status = await fetch(`${api.url}${path}`);
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ runId: started.runId, status: 'SUCCEEDED' });
    } finally {
      await api.close();
    }
  });
});
