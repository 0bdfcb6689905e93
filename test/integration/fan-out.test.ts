// The fan-out state machine on the local runtime: a jobs list of exports, one failing, through the real ASL,
// the real handlers, the GrowingIO emulator and the embedded S3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_BUCKET } from '../../local/runtime.ts';
import { type ExportRuntime, listKeys, startExportRuntime } from '../helpers/export-runtime.ts';
import { runFanOut } from '../helpers/fan-out.ts';
import { busiestWindow } from '../helpers/request-rate.ts';

let runtime: ExportRuntime;
beforeAll(async () => {
  // The shared budget is on, as in the stack: the whole run stays within GrowingIO's 2 requests/s.
  runtime = await startExportRuntime(
    { pollsUntilDone: 1, files: [{ rows: 300, seed: 7 }] },
    { GROWINGIO_SHARED_BUDGET: 's3' },
  );
});
afterAll(async () => {
  await runtime?.close();
});

const scheduledTime = '2026-12-06T14:00:00Z';
const exportJob = (id: string, segmentationId: string, parameters: string[] = []) => ({
  kind: 'export',
  id,
  request: { projectUid: 'nxog09md', segmentationId, parameters },
});
const jobs = [
  exportJob('vip', 'seg00001'),
  exportJob('churn', 'seg00002'),
  exportJob('broken', 'seg00003', ['no_such_variable']),
  exportJob('new-users', 'seg00004'),
  exportJob('lapsed', 'seg00005'),
];

describe('fan-out state machine', () => {
  let first: Awaited<ReturnType<typeof runFanOut>>;
  beforeAll(async () => {
    first = await runFanOut(runtime, 'schedule-1', { scheduledTime, jobs });
  });

  it('runs every job, tolerates the failing one and names it in the summary', () => {
    expect(first.status).toBe('SUCCEEDED');
    const summary = first.summary!;
    expect(summary).toMatchObject({ scheduledTime: '2026-12-06T14:00:00.000Z', total: 5, succeeded: 4, failed: 1 });
    expect(summary.jobs.map((job) => [job.id, job.kind, job.status])).toEqual([
      ['vip', 'export', 'SUCCEEDED'],
      ['churn', 'export', 'SUCCEEDED'],
      ['broken', 'export', 'FAILED'],
      ['new-users', 'export', 'SUCCEEDED'],
      ['lapsed', 'export', 'SUCCEEDED'],
    ]);
    const broken = summary.jobs[2]!;
    expect(broken.error).toBe('GrowingIoExportFailed');
    expect(broken.cause).toContain('no_such_variable');
    for (const job of summary.jobs.filter((item) => item.status === 'SUCCEEDED')) {
      expect(job.counts).toEqual({ rows: 300, bytes: expect.any(Number), files: 1 });
      expect(job.executionName).toMatch(/^f20261206T140000-0\d-[a-z-]+-[0-9a-f]{8}$/);
    }
  });

  it('keeps the concurrent exports within 2 GrowingIO requests in any second (shared budget)', () => {
    const times = runtime.growingio!.apiRequestTimes();
    expect(times.length).toBeGreaterThanOrEqual(9);
    expect(busiestWindow(times)).toBeLessThanOrEqual(2);
  });

  it('leaves the succeeded exports in S3 under their child names, and nothing of the failed one', async () => {
    const keys = await listKeys(runtime.s3Client, LOCAL_BUCKET);
    const summary = first.summary!;
    for (const job of summary.jobs) {
      const mine = keys.filter((key) => key.includes(`/${job.executionName}/`));
      expect(mine.length, job.id).toBe(job.status === 'SUCCEEDED' ? 2 : 0);
    }
    expect(keys.filter((key) => key.includes('seg00003'))).toEqual([]);
  });

  it('a redelivered schedule (same scheduled time) runs no job twice', async () => {
    const before = runtime.growingio!.stats().apiRequests;
    const again = await runFanOut(runtime, 'schedule-1-redelivered', { scheduledTime, jobs });
    expect(again.status).toBe('SUCCEEDED');
    expect(again.summary!.jobs.map((job) => job.status)).toEqual(Array(5).fill('ALREADY_STARTED'));
    expect(again.summary!.failed).toBe(0);
    expect(runtime.growingio!.stats().apiRequests).toBe(before);
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
    expect(run.summary!.jobs[1]!.cause).toContain('kind must be one of export');
  });

  it('fails the fan-out itself, naming the field, when the input is not a jobs list', async () => {
    const run = await runFanOut(runtime, 'schedule-bad', { jobs: 'everything' as never });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('BadRequest');
    expect(run.cause).toContain('jobs');
  });
});
