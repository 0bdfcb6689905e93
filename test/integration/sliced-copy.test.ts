// Exports of any size on the real ASL: per-file Map, Copy File slices with checkpoints, restarts, and never a
// partial export (StopExecution, a timed-out copy task).
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { CopyProgress } from '../../lib/export/copy-slice.ts';
import type { GrowingIoEmulatorOptions } from '../../local/emulators/growingio.ts';
import {
  type ExportRuntime,
  exportOutcome,
  listKeys,
  objectDigest,
  startExport,
  startExportRuntime,
} from '../helpers/export-runtime.ts';

const MiB = 1024 * 1024;
const SEGMENT = { projectUid: 'proj-1', segmentationId: 'seg-1' };
/** Rows of the emulator's default columns per MiB (about 120 bytes a row). */
const ROWS_PER_MIB = 8_700;

let runtime: ExportRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

async function openUploads(s3: S3Client, bucket: string): Promise<string[]> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).map((upload) => upload.Key!);
}

const slicesEnded = (rt: ExportRuntime) => rt.logs.filter((line) => line.includes('"copy slice ended"')).length;
const restarts = (rt: ExportRuntime) => rt.logs.filter((line) => line.includes('copying the file again')).length;

/** Runs one export and checks every stored object against the emulator's files (bytes, sha256, rows). */
async function copiesExactly(growingio: GrowingIoEmulatorOptions, env: Record<string, string>) {
  runtime = await startExportRuntime(growingio, env);
  const { body } = await exportOutcome(runtime, await startExport(runtime, SEGMENT));
  expect(body.status, JSON.stringify(body.error)).toBe('SUCCEEDED');
  const expected = await runtime.growingio!.expectedFiles();
  const bucket = runtime.config.EXPORT_BUCKET!;
  const files = body.manifest.files as Array<{ key: string; bytes: number; sha256: string; rows: number }>;
  expect(files.map(({ bytes, sha256, rows }) => ({ bytes, sha256, rows }))).toEqual(expected);
  for (const [index, file] of files.entries()) {
    expect(await objectDigest(runtime.s3Client, bucket, file.key)).toEqual({
      bytes: expected[index]!.bytes,
      sha256: expected[index]!.sha256,
    });
  }
  expect(await openUploads(runtime.s3Client, bucket)).toEqual([]);
  return runtime;
}

describe('sliced copy on the real state machine', () => {
  it('copies a 200 MiB file in ≥ 12 slices of 16 MiB, identical to one uninterrupted copy', async () => {
    const rt = await copiesExactly(
      { files: [{ rows: 200 * ROWS_PER_MIB, seed: 11 }] },
      { COPY_SLICE_BYTES: String(16 * MiB) },
    );
    expect(slicesEnded(rt)).toBeGreaterThanOrEqual(12);
    expect(restarts(rt)).toBe(0);
  }, 240_000);

  it('restarts from byte 0 and copies in one go when the server ignores Range', async () => {
    const rt = await copiesExactly(
      { files: [{ rows: 24 * ROWS_PER_MIB, seed: 12 }], faults: { ignoreRange: true } },
      { COPY_SLICE_BYTES: String(8 * MiB) },
    );
    expect(slicesEnded(rt)).toBe(1);
    expect(rt.logs.some((line) => line.includes('the server ignored Range (200)'))).toBe(true);
  }, 120_000);

  it('restarts a file that changed between slices and stores the new version whole', async () => {
    const rt = await copiesExactly(
      {
        files: [{ rows: 24 * ROWS_PER_MIB, seed: 13 }],
        faults: { changeFileAfterBytes: 4 * MiB, changeFileLength: true },
      },
      { COPY_SLICE_BYTES: String(8 * MiB) },
    );
    expect(restarts(rt)).toBe(1);
    expect(rt.logs.some((line) => line.includes('the file changed'))).toBe(true);
    expect(slicesEnded(rt)).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('copies three files at once (COPY_CONCURRENCY=3)', async () => {
    const events: CopyProgress[] = [];
    runtime = await startExportRuntime(
      {
        files: [1, 2, 3].map((seed) => ({ rows: 12 * ROWS_PER_MIB, seed })),
        faults: { slowBodyBytesPerSecond: 8 * MiB },
      },
      { COPY_CONCURRENCY: '3', COPY_SLICE_BYTES: String(5 * MiB) },
      { onCopyProgress: (progress) => events.push(progress) },
    );
    const { body } = await exportOutcome(runtime, await startExport(runtime, SEGMENT));
    expect(body.status).toBe('SUCCEEDED');
    expect(body.manifest.files).toHaveLength(3);
    // Every file made progress before any of them finished.
    const first = [0, 1, 2].map((file) => events.findIndex((event) => event.fileIndex === file));
    const last = [0, 1, 2].map((file) => events.findLastIndex((event) => event.fileIndex === file));
    expect(Math.max(...first)).toBeLessThan(Math.min(...last));
  }, 120_000);
});

describe('never a partial export', () => {
  /** Waits until some part of the copy has reached S3. */
  async function untilCopying(events: CopyProgress[]) {
    while (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('StopExecution mid-copy: no manifest ever, the prefix ends empty, no open upload', async () => {
    const events: CopyProgress[] = [];
    runtime = await startExportRuntime(
      { files: [{ rows: 40 * ROWS_PER_MIB, seed: 21 }], faults: { slowBodyBytesPerSecond: 16 * MiB } },
      {},
      { onCopyProgress: (progress) => events.push(progress) },
    );
    const started = await startExport(runtime, SEGMENT);
    await untilCopying(events);
    await runtime.sfnClient.send(new StopExecutionCommand({ executionArn: started.executionArn }));
    expect((await exportOutcome(runtime, started)).body.status).toBe('ABORTED');
    // The copy slice outlives its execution (as a Lambda does): it finds the execution stopped and ends.
    await runtime.settle();
    const bucket = runtime.config.EXPORT_BUCKET!;
    expect(await listKeys(runtime.s3Client, bucket)).toEqual([]);
    expect(await openUploads(runtime.s3Client, bucket)).toEqual([]);
    expect(runtime.logs.some((line) => line.includes('ExportStopped') || line.includes('cleaned up'))).toBe(true);
  }, 120_000);

  it('a copy task that times out leaves no object and no open upload, and fails with States.Timeout', async () => {
    const events: CopyProgress[] = [];
    runtime = await startExportRuntime(
      { files: [{ rows: 40 * ROWS_PER_MIB, seed: 22 }], faults: { slowBodyBytesPerSecond: 8 * MiB } },
      {},
      { onCopyProgress: (progress) => events.push(progress), taskTimeoutOverrides: { 'Copy File': 1_500 } },
    );
    const started = await startExport(runtime, SEGMENT);
    const { body } = await exportOutcome(runtime, started);
    expect(body.status).toBe('FAILED');
    expect(body.error.name).toBe('States.Timeout');
    expect(events.length).toBeGreaterThan(0);
    await runtime.settle();
    const bucket = runtime.config.EXPORT_BUCKET!;
    expect(await listKeys(runtime.s3Client, bucket)).toEqual([]);
    expect(await openUploads(runtime.s3Client, bucket)).toEqual([]);
  }, 120_000);
});
