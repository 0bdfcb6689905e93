// The fan-out state machine on the local runtime: a jobs list of 4 exports and 2 syncs, one export failing, through
// the real ASLs, the real handlers, the GrowingIO and Tencent emulators and the embedded S3.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKET } from '../../local/runtime.ts';
import { context, type ExportRuntime, httpEvent, listKeys, startExportRuntime } from '../helpers/export-runtime.ts';
import { runFanOut } from '../helpers/fan-out.ts';
import { busiestWindow } from '../helpers/request-rate.ts';
import { cleanEnv, runCli } from '../helpers/spawn-cli.ts';

let runtime: ExportRuntime;
let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fan-out-'));
  // The shared budget is on, as in the stack: the whole run stays within GrowingIO's 2 requests/s.
  runtime = await startExportRuntime(
    { pollsUntilDone: 1, files: [{ rows: 300, seed: 7 }] },
    { GROWINGIO_SHARED_BUDGET: 's3' },
    { dataDir: join(workDir, '.local/s3'), sfnDir: join(workDir, '.local/sfn'), tencent: {} },
  );
});
afterAll(async () => {
  await runtime?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** GET /exports?… (or GET /syncs?…) through the real listExports (listSyncs) handler. */
async function history(query: Record<string, string>, path: '/exports' | '/syncs' = '/exports') {
  const event = { ...httpEvent('GET', path), queryStringParameters: query };
  const handler = path === '/exports' ? runtime.handlers.listExports : runtime.handlers.listSyncs;
  const result = (await handler(event, context())) as APIGatewayProxyStructuredResultV2;
  return { statusCode: result.statusCode, body: JSON.parse(String(result.body)) };
}

const scheduledTime = '2026-12-06T14:00:00Z';
const exportJob = (id: string, segmentationId: string, parameters: string[] = []) => ({
  kind: 'export',
  id,
  request: { projectUid: 'nxog09md', segmentationId, parameters },
});
const syncJob = (id: string, segmentationId: string, accountId: number) => ({
  kind: 'sync',
  id,
  request: {
    projectUid: 'nxog09md',
    segmentationId,
    tencent: { accountId, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
  },
});
const jobs = [
  exportJob('vip', 'seg00001'),
  exportJob('churn', 'seg00002'),
  exportJob('broken', 'seg00003', ['no_such_variable']),
  syncJob('sync-a', 'seg00006', 10001),
  exportJob('new-users', 'seg00004'),
  syncJob('sync-b', 'seg00007', 10002),
];
const SYNC_IDS = ['nxog09md-seg00006-10001-HASH_MOBILE_PHONE', 'nxog09md-seg00007-10002-HASH_MOBILE_PHONE'];

describe('fan-out state machine', () => {
  let first: Awaited<ReturnType<typeof runFanOut>>;
  beforeAll(async () => {
    first = await runFanOut(runtime, 'schedule-1', { scheduledTime, jobs });
  }, 120_000);

  it('runs every job, tolerates the failing one and names it in the summary', () => {
    expect(first.status).toBe('SUCCEEDED');
    const summary = first.summary!;
    expect(summary).toMatchObject({ scheduledTime: '2026-12-06T14:00:00.000Z', total: 6, succeeded: 5, failed: 1 });
    expect(summary.jobs.map((job) => [job.id, job.kind, job.status])).toEqual([
      ['vip', 'export', 'SUCCEEDED'],
      ['churn', 'export', 'SUCCEEDED'],
      ['broken', 'export', 'FAILED'],
      ['sync-a', 'sync', 'SUCCEEDED'],
      ['new-users', 'export', 'SUCCEEDED'],
      ['sync-b', 'sync', 'SUCCEEDED'],
    ]);
    const broken = summary.jobs[2]!;
    expect(broken.error).toBe('GrowingIoExportFailed');
    expect(broken.cause).toContain('no_such_variable');
    for (const job of summary.jobs.filter((item) => item.status === 'SUCCEEDED')) {
      expect(job.executionName).toMatch(/^f20261206T140000-0\d-[a-z-]+-[0-9a-f]{8}$/);
      if (job.kind === 'export') expect(job.counts).toEqual({ rows: 300, bytes: expect.any(Number), files: 1 });
      else
        expect(job.counts).toEqual({
          rows: 300,
          added: expect.any(Number),
          removed: 0,
          invalidIds: expect.any(Number),
          files: 1,
        });
    }
    const synced = summary.jobs.filter((job) => job.kind === 'sync');
    expect(synced.every((job) => (job.counts?.added ?? 0) > 0)).toBe(true);
    expect(runtime.tencent!.uploads()).toHaveLength(2);
  });

  it('keeps the concurrent exports within 2 GrowingIO requests in any second (shared budget)', () => {
    const times = runtime.growingio!.apiRequestTimes();
    expect(times.length).toBeGreaterThanOrEqual(9);
    expect(busiestWindow(times)).toBeLessThanOrEqual(2);
  });

  it('leaves the succeeded jobs in S3 under their child names, and nothing of the failed one', async () => {
    const keys = await listKeys(runtime.s3Client, LOCAL_BUCKET);
    const summary = first.summary!;
    for (const job of summary.jobs.filter((item) => item.kind === 'export')) {
      const mine = keys.filter((key) => key.includes(`/${job.executionName}/`));
      expect(mine.length, job.id).toBe(job.status === 'SUCCEEDED' ? 2 : 0);
    }
    for (const job of summary.jobs.filter((item) => item.kind === 'sync')) {
      // the nested export's part and manifest, the run's report and the committed snapshot
      expect(keys.filter((key) => key.includes(`/${job.executionName}-export/`)).length, job.id).toBe(2);
      expect(
        keys.filter((key) => key.endsWith(`/${job.executionName}/report.json`)),
        job.id,
      ).toHaveLength(1);
    }
    const broken = summary.jobs[2]!;
    expect(keys.filter((key) => key.includes('seg00003') || key.includes(broken.executionName))).toEqual([]);
  });

  it('a redelivered schedule (same scheduled time) runs no job twice', async () => {
    const before = runtime.growingio!.stats().apiRequests;
    const again = await runFanOut(runtime, 'schedule-1-redelivered', { scheduledTime, jobs });
    expect(again.status).toBe('SUCCEEDED');
    expect(again.summary!.jobs.map((job) => job.status)).toEqual(Array(6).fill('ALREADY_STARTED'));
    expect(again.summary!.failed).toBe(0);
    expect(runtime.growingio!.stats().apiRequests).toBe(before);
    expect(runtime.tencent!.uploads()).toHaveLength(2);
  });

  it('rejects an invalid job by name and still runs the others', async () => {
    const bad = [
      { kind: 'export', id: 'no-segment', request: { projectUid: 'nxog09md' } },
      { kind: 'nope', request: {} },
    ];
    const run = await runFanOut(runtime, 'schedule-2', {
      scheduledTime: '2026-12-07T14:00:00Z',
      jobs: [...bad, jobs[0]],
    });
    expect(run.summary!.jobs.map((job) => [job.id, job.status, job.error])).toEqual([
      ['no-segment', 'REJECTED', 'BadRequest'],
      ['nope', 'REJECTED', 'BadRequest'],
      ['vip', 'SUCCEEDED', undefined],
    ]);
    expect(run.summary!.jobs[0]!.cause).toContain('segmentationId');
    expect(run.summary!.jobs[1]!.cause).toContain('kind must be one of export, sync');
  });

  it('fails the fan-out itself, naming the field, when the input is not a jobs list', async () => {
    const run = await runFanOut(runtime, 'schedule-bad', { jobs: 'everything' as never });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BadRequest');
    expect(run.cause).toContain('jobs');
  });

  it("GET /exports lists the export runs of that schedule (the syncs' nested ones too) with status and counts", async () => {
    const { statusCode, body } = await history({ scheduledTime });
    expect(statusCode).toBe(200);
    expect(body.next).toBeUndefined();
    const exports = first.summary!.jobs.filter((job) => job.kind === 'export');
    const byId = new Map(exports.map((job) => [job.executionName, job]));
    const nested = first.summary!.jobs.filter((job) => job.kind === 'sync').map((job) => `${job.executionName}-export`);
    expect(body.items).toHaveLength(6);
    for (const run of body.items) {
      expect(run.projectUid).toBe('nxog09md');
      const job = byId.get(run.exportId);
      if (!job) {
        expect(nested).toContain(run.exportId);
        expect(run).toMatchObject({ status: 'SUCCEEDED', counts: { rows: 300, files: 1 } });
      } else if (job.status === 'SUCCEEDED') expect(run.counts).toEqual(job.counts);
      else expect(run.error.name).toBe('GrowingIoExportFailed');
    }
    const failed = await history({ scheduledTime, status: 'FAILED' });
    expect(failed.body.items.map((run: { segmentationId: string }) => run.segmentationId)).toEqual(['seg00003']);
    const one = await history({ segmentationId: 'seg00002' });
    expect(one.body.items).toHaveLength(1);
  });

  it('GET /syncs lists the sync runs of that schedule with status and counts, filtered by syncId', async () => {
    const { statusCode, body } = await history({ scheduledTime }, '/syncs');
    expect(statusCode).toBe(200);
    const synced = first.summary!.jobs.filter((job) => job.kind === 'sync');
    expect(body.items.map((run: { runId: string }) => run.runId).sort()).toEqual(
      synced.map((job) => job.executionName).sort(),
    );
    for (const run of body.items) {
      const job = synced.find((item) => item.executionName === run.runId)!;
      expect(run).toMatchObject({ status: 'SUCCEEDED', counts: job.counts });
      expect(SYNC_IDS).toContain(run.syncId);
    }
    const one = await history({ syncId: SYNC_IDS[1]! }, '/syncs');
    expect(one.body.items.map((run: { runId: string }) => run.runId)).toEqual([synced[1]!.executionName]);
    const none = await history({ scheduledTime, status: 'FAILED' }, '/syncs');
    expect(none.body.items).toEqual([]);
    for (const [query, field] of [
      [{ syncId: 'a b' }, 'syncId'],
      [{ projectUid: 'p' }, 'projectUid'],
      [{ limit: '101' }, 'limit'],
    ] as const) {
      const bad = await history(query, '/syncs');
      expect(bad.statusCode).toBe(400);
      expect(bad.body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
    }
  });

  it('pages with an opaque next that only continues its own query', async () => {
    const all = (await history({})).body.items.map((run: { exportId: string }) => run.exportId);
    const paged: string[] = [];
    let next: string | undefined;
    do {
      const { body } = await history({ limit: '2', ...(next ? { next } : {}) });
      expect(body.items.length).toBeLessThanOrEqual(2);
      paged.push(...body.items.map((run: { exportId: string }) => run.exportId));
      next = body.next;
    } while (next);
    expect(paged).toEqual(all);
    expect(all.length).toBeGreaterThanOrEqual(6);
    const { body } = await history({ limit: '2' });
    const reused = await history({ limit: '2', status: 'FAILED', next: body.next });
    expect(reused.statusCode).toBe(400);
    expect(reused.body.errors[0].field).toBe('next');
  });

  it.each([
    [{ status: 'DONE' }, 'status'],
    [{ limit: '0' }, 'limit'],
    [{ limit: 'many' }, 'limit'],
    [{ scheduledTime: 'yesterday' }, 'scheduledTime'],
    [{ projectUid: 'a b' }, 'projectUid'],
    [{ colour: 'red' }, 'colour'],
    [{ next: 'not-a-cursor' }, 'next'],
  ])('GET /exports?%o answers 400 naming %s', async (query, field) => {
    const { statusCode, body } = await history(query as Record<string, string>);
    expect(statusCode).toBe(400);
    expect(body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
  });

  it('`audience-pipeline history` lists the same runs from the persisted executions', async () => {
    const env = cleanEnv();
    const json = await runCli(['history', '--scheduled-time', scheduledTime, '--json'], { cwd: workDir, env });
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout).items as Array<{ exportId: string; status: string }>;
    expect(listed.map((run) => run.status).sort()).toEqual(['FAILED', ...Array(5).fill('SUCCEEDED')]);
    const table = await runCli(['history', '--scheduled-time', scheduledTime], { cwd: workDir, env });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/SUCCEEDED .* nxog09md\/seg00001 +300 /);
    expect(table.stdout).toMatch(/FAILED .* GrowingIoExportFailed/);
    expect(table.stdout).toMatch(/6 runs\n$/);
    const syncs = await runCli(['history', '--syncs', '--scheduled-time', scheduledTime], { cwd: workDir, env });
    expect(syncs.code, syncs.stderr).toBe(0);
    expect(syncs.stdout).toMatch(/SUCCEEDED .* nxog09md-seg00006-10001-HASH_MOBILE_PHONE +300 +\d+ +0/);
    expect(syncs.stdout).toMatch(/2 runs\n$/);
    const mixed = await runCli(['history', '--syncs', '--project-uid', 'p'], { cwd: workDir, env });
    expect(mixed.code).toBe(2);
    const bad = await runCli(['history', '--status', 'DONE'], { cwd: workDir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/status: must be one of/);
  }, 60_000);

  it('`audience-pipeline run-jobs` runs a jobs file through the local fan-out and prints the summary', async () => {
    const env = cleanEnv();
    const file = join(workDir, 'jobs.json');
    await writeFile(
      file,
      JSON.stringify([exportJob('cli-ok', 'seg00011'), exportJob('cli-bad', 'seg00012', ['nope'])]),
    );
    const at = '2026-12-08T14:00:00Z';
    const run = await runCli(['run-jobs', '--jobs', file, '--scheduled-time', at], { cwd: workDir, env });
    expect(run.code, run.stderr).toBe(1); // one job failed
    expect(run.stdout).toMatch(/1\/2 succeeded, 1 failed/);
    expect(run.stdout).toMatch(/cli-ok SUCCEEDED f20261208T140000-00-cli-ok-\w+ +rows 1000, bytes \d+, files 1/);
    expect(run.stdout).toMatch(/cli-bad FAILED .*GrowingIoExportFailed/);
    const listed = await runCli(['history', '--scheduled-time', at, '--json'], { cwd: workDir, env });
    expect(
      JSON.parse(listed.stdout)
        .items.map((item: { status: string }) => item.status)
        .sort(),
    ).toEqual(['FAILED', 'SUCCEEDED']);
    const missing = await runCli(['run-jobs'], { cwd: workDir, env });
    expect(missing.code).toBe(2);
  }, 60_000);
});
