// The real ASL with the real handlers, the GrowingIO emulator and a real local S3 (s3rver), end to end.
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_BUCKET } from '../../local/runtime.ts';
import {
  context,
  type ExportRuntime,
  exportOutcome,
  httpEvent,
  listKeys,
  objectDigest,
  startExport,
  startExportRuntime,
} from '../helpers/export-runtime.ts';

let runtime: ExportRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

const segment = { projectUid: 'nxog09md', segmentationId: 'nP2lpkX9' };

describe('segment export state machine', () => {
  it('copies several files byte for byte and writes a correct manifest', async () => {
    runtime = await startExportRuntime({
      pollsUntilDone: 2,
      files: [
        { rows: 2_000, seed: 1 },
        { rows: 1_500, seed: 2, bom: true, crlf: true },
        { rows: 800, seed: 3, gzip: true },
      ],
    });
    const parameters = ['open_id', 'user_name'];
    const started = await startExport(runtime, { ...segment, parameters });
    const { statusCode, body } = await exportOutcome(runtime, started);

    expect(statusCode).toBe(200);
    expect(body.status).toBe('SUCCEEDED');
    const manifest = body.manifest;
    const expected = await runtime.growingio!.expectedFiles(parameters);
    expect(manifest.files.map((f: { rows: number }) => f.rows)).toEqual([2_000, 1_500, 800]);
    expect(manifest.files.map(({ bytes, sha256, rows }: Record<string, unknown>) => ({ bytes, sha256, rows }))).toEqual(
      expected,
    );
    expect(manifest.totalRows).toBe(4_300);
    expect(manifest.totalBytes).toBe(expected.reduce((sum, f) => sum + f.bytes, 0));
    expect(manifest).toMatchObject({ exportId: started.exportId, ...segment, parameters });
    const day = new Date().toISOString().slice(0, 10);
    const prefix = `exports/${segment.projectUid}/${segment.segmentationId}/${day}/${started.exportId}`;
    expect(await listKeys(runtime.s3Client, LOCAL_BUCKET)).toEqual([
      `${prefix}/manifest.json`,
      `${prefix}/part-00001.csv`,
      `${prefix}/part-00002.csv`,
      `${prefix}/part-00003.csv`,
    ]);
    for (const [i, file] of manifest.files.entries()) {
      expect(file.key).toBe(`${prefix}/part-0000${i + 1}.csv`);
      expect(await objectDigest(runtime.s3Client, LOCAL_BUCKET, file.key)).toEqual({
        bytes: expected[i]!.bytes,
        sha256: expected[i]!.sha256,
      });
    }
  });

  it('reports a failed job whose upstream message quotes a signed link with the signature redacted', async () => {
    const sign = 'S3CR3T-sign-in-upstream-message';
    runtime = await startExportRuntime({
      pollsUntilDone: 1,
      faults: { failJob: `could not write https://gta.growingio.com/a.csv?sign=${sign}&expires=1` },
    });
    const { body } = await exportOutcome(runtime, await startExport(runtime, segment));
    expect(body.status).toBe('FAILED');
    expect(body.error.cause).toContain('sign=[REDACTED]');
    expect(runtime.logs.join('\n')).toContain('sign=[REDACTED]');
    expect(JSON.stringify(body) + runtime.logs.join('\n')).not.toContain(sign);
  });

  it('keeps polling while the job stays doing, with growing waits', async () => {
    // The first GET creates the job; it turns done on the 4th poll after that.
    runtime = await startExportRuntime({ pollsUntilDone: 4, files: [{ rows: 10 }] });
    const { body } = await exportOutcome(runtime, await startExport(runtime, segment));
    expect(body.status).toBe('SUCCEEDED');
    expect(runtime.polls.map((p) => p.status)).toEqual(['doing', 'doing', 'doing', 'doing', 'done']);
    expect(runtime.polls.map((p) => p.pollCount)).toEqual([1, 2, 3, 4, 5]);
    // POLL_INITIAL_SECONDS=1 growing ×1.5 up to POLL_MAX_SECONDS=2; no wait once done.
    expect(runtime.polls.map((p) => p.nextPollSeconds)).toEqual([1, 2, 2, 2, 0]);
  });

  it('fails by name with the upstream message when GrowingIO fails the job', async () => {
    runtime = await startExportRuntime({ pollsUntilDone: 2, faults: { failJob: '下载出错，请您稍后重试' } });
    // The "retry later" message is asked again (a new job each time), then reported after the last attempt.
    const { body } = await exportOutcome(runtime, await startExport(runtime, segment));
    expect(body.status).toBe('FAILED');
    expect(body.error.name).toBe('GrowingIoExportFailed');
    expect(body.error.cause).toContain('下载出错，请您稍后重试');
    expect(body.error.cause).toContain('3 attempts');
    expect(runtime.polls.filter((p) => p.status === 'failed')).toHaveLength(1);
    expect(runtime.growingio!.stats().jobsCreated).toBe(3);
    expect(await listKeys(runtime.s3Client, LOCAL_BUCKET)).toEqual([]);
  });

  it('routes a failed job with an unknown parameter to Export Failed', async () => {
    runtime = await startExportRuntime({ pollsUntilDone: 1 });
    const { body } = await exportOutcome(
      runtime,
      await startExport(runtime, { ...segment, parameters: ['no_such_var'] }),
    );
    expect(body.status).toBe('FAILED');
    expect(body.error.name).toBe('GrowingIoExportFailed');
    expect(body.error.cause).toContain('请求参数不合法');
    expect(body.error.cause).toContain('no_such_var');
  });

  it('goes back for fresh links when they expire mid-copy, then succeeds', async () => {
    runtime = await startExportRuntime({
      pollsUntilDone: 1,
      files: [{ rows: 3_000, seed: 7 }],
      faults: { expireLinksAfterBytes: 10_000 },
    });
    const started = await startExport(runtime, segment);
    const { body } = await exportOutcome(runtime, started);
    expect(body.status).toBe('SUCCEEDED');
    const [expected] = await runtime.growingio!.expectedFiles();
    expect(body.manifest.files[0]).toMatchObject({ sha256: expected!.sha256, rows: 3_000 });
    expect(runtime.polls.length).toBeGreaterThanOrEqual(2);
    expect((await listKeys(runtime.s3Client, LOCAL_BUCKET)).length).toBe(2);
  });

  it('fails cleanly on a truncated body and leaves no object behind', async () => {
    runtime = await startExportRuntime({
      pollsUntilDone: 1,
      files: [{ rows: 500 }, { rows: 500, seed: 9 }],
      faults: { truncate: true },
    });
    const { body } = await exportOutcome(runtime, await startExport(runtime, segment));
    expect(body.status).toBe('FAILED');
    expect(body.error.name).toBe('DownloadFailed');
    expect(body.error.cause).not.toMatch(/sign=[^[]/);
    expect(await listKeys(runtime.s3Client, LOCAL_BUCKET)).toEqual([]);
  });

  it('rides out 5xx bursts and 429 throttling', async () => {
    runtime = await startExportRuntime({
      pollsUntilDone: 4,
      files: [{ rows: 100 }],
      faults: { serverErrors: 3, rateLimit: true, throttleBurst: 4 },
    });
    const { body } = await exportOutcome(runtime, await startExport(runtime, segment));
    expect(body.status).toBe('SUCCEEDED');
    const stats = runtime.growingio!.stats();
    // 3 × 503, then a burst of 4 × 429 (more than one Lambda's in-call retries), then the job's own polls.
    expect(stats.throttled).toBeGreaterThanOrEqual(4);
    expect(stats.apiRequests).toBeGreaterThanOrEqual(3 + 4 + 5);
    expect(runtime.logs.some((line) => line.includes('GrowingIoThrottled'))).toBe(true);
  });

  it('times out by name after POLL_MAX_ATTEMPTS polls', async () => {
    runtime = await startExportRuntime({ pollsUntilDone: 50 }, { POLL_MAX_ATTEMPTS: '3' });
    const { body } = await exportOutcome(runtime, await startExport(runtime, segment));
    expect(body.status).toBe('FAILED');
    expect(body.error.name).toBe('ExportTimedOut');
    expect(body.error.cause).toMatch(/still running after 3 polls/);
    expect(runtime.growingio!.stats().apiRequests).toBe(3);
  });
});

describe('starting exports', () => {
  it('starts one execution for a repeated idempotent request and 409s a conflicting one', async () => {
    runtime = await startExportRuntime({ pollsUntilDone: 3, files: [{ rows: 10 }] });
    const post = (body: unknown, key: string) =>
      runtime!.handlers.startExport(
        httpEvent('POST', '/exports', { body, headers: { 'idempotency-key': key } }),
        context(),
      );
    const first = (await post(segment, 'daily-2026-11-25')) as { statusCode: number; body: string };
    const second = (await post(segment, 'daily-2026-11-25')) as { statusCode: number; body: string };
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    const a = JSON.parse(first.body);
    expect(JSON.parse(second.body)).toEqual(a);
    expect(a.statusUrl).toBe(`https://api.example.test/exports/${a.exportId}`);
    const conflict = (await post({ ...segment, parameters: ['open_id'] }, 'daily-2026-11-25')) as {
      statusCode: number;
      body: string;
    };
    expect(conflict.statusCode).toBe(409);
    await runtime.sfn.waitFor(a.executionArn);
    const again = (await post(segment, 'daily-2026-11-25')) as { statusCode: number; body: string };
    expect(JSON.parse(again.body).exportId).toBe(a.exportId);
    expect(runtime.growingio!.stats().jobsCreated).toBe(1);
  });

  it('answers 400 naming every bad field', async () => {
    runtime = await startExportRuntime();
    const response = (await runtime.handlers.startExport(
      httpEvent('POST', '/exports', {
        body: { projectUid: '', expireMinutes: 20_000, parameters: ['ok', 'bad-name', 'ok'], extra: 1 },
      }),
      context(),
    )) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body);
    const fields = body.errors.map((e: { field?: string }) => e.field);
    expect(fields).toEqual(['projectUid', 'segmentationId', 'expireMinutes', 'parameters.1', 'parameters.2', 'extra']);
    expect(response.body).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('uses the schedule event time as the idempotency key', async () => {
    runtime = await startExportRuntime({ pollsUntilDone: 1, files: [{ rows: 5 }] });
    const event = { scheduledTime: '2026-11-25T02:00:00Z', request: segment };
    const a = await startExport(runtime, event);
    const b = await startExport(runtime, event);
    const c = await startExport(runtime, { ...event, scheduledTime: '2026-11-26T02:00:00Z' });
    expect(b.exportId).toBe(a.exportId);
    expect(c.exportId).not.toBe(a.exportId);
    expect((await exportOutcome(runtime, a)).body.status).toBe('SUCCEEDED');
    expect((await exportOutcome(runtime, c)).body.status).toBe('SUCCEEDED');
  });

  it('answers 404 for an unknown export id and 400 for a malformed one', async () => {
    runtime = await startExportRuntime();
    const get = (id: string) =>
      runtime!.handlers.getExport(httpEvent('GET', `/exports/${id}`, { pathParameters: { exportId: id } }), context());
    expect(((await get('20260101-nope')) as { statusCode: number }).statusCode).toBe(404);
    expect(((await get('bad id!')) as { statusCode: number }).statusCode).toBe(400);
  });
});
