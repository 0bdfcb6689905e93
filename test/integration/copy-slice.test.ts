// copySlice (one slice of one file) against the embedded S3 over real HTTP: bytes, gzip, CSV dialect, resume from a
// checkpoint, and every failure named, redacted and leaving no upload of its own behind.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DownloadFailed,
  DownloadLinkExpired,
  DownloadRefused,
  ExportStopped,
  ExportStorageFailed,
  OperationAborted,
  UntrustedDownloadLink,
} from '../../lib/errors.ts';
import { type CopySliceDeps, type CopySliceResult, copySlice } from '../../lib/export/copy-slice.ts';
import { exportKeyPrefix } from '../../lib/export/manifest.ts';
import { createLogger } from '../../lib/log.ts';
import { systemClock } from '../../lib/retry.ts';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3.ts';
import { csvStream } from '../../local/emulators/csv-generator.ts';
import { type FileServer, startFileServer } from '../helpers/file-server.ts';

const BUCKET = 'exports';
const SIGN = 'S3CR3T-s1gnature-value';
const MiB = 1024 * 1024;

let s3: LocalS3;
let files: FileServer;
let counter = 0;

beforeAll(async () => {
  [s3, files] = await Promise.all([startLocalS3({ buckets: [BUCKET] }), startFileServer()]);
});

afterAll(async () => {
  await Promise.all([s3?.close(), files?.close()]);
});

function csv(rows: number, withTrickyRow = false): string {
  const lines = ['user_id,open_id,role'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},o${i.toString(36).padStart(12, 'x')},member`);
  if (withTrickyRow) lines.push('0,"multi\nline, ""quoted""",admin');
  return `${lines.join('\n')}\n`;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

function setUp(overrides: Partial<CopySliceDeps> = {}) {
  counter += 1;
  const logs: string[] = [];
  const deps: CopySliceDeps = {
    s3: s3.client,
    allowlist: [files.allowEntry],
    logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    partSizeBytes: 5 * MiB,
    ...overrides,
  };
  const key = `exports/slice-${counter}/part-00001.csv`;
  const input = (path: string) => ({
    bucket: BUCKET,
    key,
    link: files.link(path, { sign: SIGN }),
    index: 0,
    fileCount: 1,
  });
  return { deps, input, key, logs };
}

/** Calls copySlice until the file is done, as the state machine's loop does; resolves with the file and slices. */
async function copyAll(deps: CopySliceDeps, input: ReturnType<ReturnType<typeof setUp>['input']>) {
  let result: CopySliceResult = await copySlice(deps, input);
  let slices = 1;
  while (!result.done) {
    result = await copySlice(deps, { ...input, checkpoint: result.checkpoint });
    slices++;
  }
  return { file: result.file, slices };
}

async function objectText(key: string): Promise<string> {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return await object.Body!.transformToString();
}

async function leftUnder(key: string) {
  const prefix = key.slice(0, key.lastIndexOf('/') + 1);
  const objects = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
  return [...(objects.Contents ?? []), ...(uploads.Uploads ?? [])].map((item) => item.Key);
}

const requestsFor = (prefix: string) => files.requests.filter((request) => request.path.startsWith(prefix));

async function expectFailure(promise: Promise<unknown>, type: new (...args: never[]) => Error): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason as Error,
  );
  expect(error).toBeInstanceOf(type);
  expect(error!.message).not.toContain(SIGN);
  expect(error!.message).not.toContain('sign=');
  return error!;
}

describe('copySlice against the embedded S3 over real HTTP', () => {
  it('copies a file in one call, multipart, byte-identical, with sha256 and rows', async () => {
    const { deps, input, key } = setUp();
    const body = csv(400_000, true); // ~11 MiB: three 5 MiB parts
    files.serve('/whole/a.csv', { body });
    const { file, slices } = await copyAll(deps, input('/whole/a.csv'));
    expect(slices).toBe(1);
    expect(file).toEqual({ key, bytes: Buffer.byteLength(body), sha256: sha256(body), rows: 400_001 });
    expect(await objectText(key)).toBe(body);
  });

  it('asks for the rest with Range + If-Range; a server answering 200 gets the file again whole, identical', async () => {
    // This server ignores Range (ranged resumes against the GrowingIO emulator: test/integration/sliced-copy.test.ts).
    const { deps, input, key, logs } = setUp({ sliceBytes: 5 * MiB });
    const body = csv(400_000, true);
    files.serve('/ranged/a.csv', { body, headers: { etag: '"v1"' } });
    const { file, slices } = await copyAll(deps, input('/ranged/a.csv'));
    expect(slices).toBe(2);
    expect(file).toEqual({ key, bytes: Buffer.byteLength(body), sha256: sha256(body), rows: 400_001 });
    expect(await objectText(key)).toBe(body);
    const ranges = requestsFor('/ranged/').map((request) => [request.headers.range, request.headers['if-range']]);
    expect(ranges).toEqual([
      [undefined, undefined],
      [`bytes=${5 * MiB}-`, '"v1"'],
    ]);
    expect(logs.some((line) => line.includes('the server ignored Range (200)'))).toBe(true);
    expect(await leftUnder(key)).toEqual([key]);
  });

  it('names a malformed signed link in its error with the signature redacted', async () => {
    const { deps, input } = setUp();
    const error = await copySlice(deps, {
      ...input('/x'),
      link: `gta.growingio.com/a.csv?expires=1&sign=${SIGN}`,
    }).then(
      () => undefined,
      (reason: Error) => reason,
    );
    expect(error).toBeInstanceOf(UntrustedDownloadLink);
    expect(error!.message).toContain('sign=[REDACTED]');
    expect(error!.message).not.toContain(SIGN);
  });

  it('stores gzip-encoded downloads decoded, verifying the compressed Content-Length', async () => {
    const { deps, input, key } = setUp({ sliceBytes: 5 * MiB });
    const body = csv(5_000);
    files.serve('/gzip/a.csv', { body, gzip: true });
    const { file } = await copyAll(deps, input('/gzip/a.csv'));
    expect(requestsFor('/gzip/')[0]!.headers['accept-encoding']).toContain('gzip');
    expect(await objectText(key)).toBe(body);
    expect(file).toMatchObject({ bytes: Buffer.byteLength(body), sha256: sha256(body), rows: 5_000 });
  });

  it('counts the rows of backslash-escaped CSV (a \\" right before a quoted line break is no record end)', async () => {
    const { deps, input } = setUp();
    const chunks: Buffer[] = [];
    const columns = ['user_id', 'remark', 'role', 'address'];
    for await (const chunk of csvStream({ rows: 20_000, escape: 'backslash' }, columns)) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    expect(body.includes('\\"\n')).toBe(true);
    files.serve('/backslash/a.csv', { body });
    const { file } = await copyAll(deps, input('/backslash/a.csv'));
    expect(file).toMatchObject({ rows: 20_000, bytes: body.length, sha256: sha256(body) });
  });

  it('fails a truncated body with DownloadFailed and aborts the upload it began', async () => {
    const { deps, input, key, logs } = setUp();
    files.serve('/truncated/a.csv', { body: csv(600_000), truncateAfter: 12 * MiB });
    const error = await expectFailure(copySlice(deps, input('/truncated/a.csv')), DownloadFailed);
    expect(error.message).toMatch(/file 1\/1 .*(broke off|ended after)/);
    expect(await leftUnder(key)).toEqual([]);
    expect(logs.join('\n')).not.toContain(SIGN);
  });

  it('ends the slice at the last whole part when the download breaks after some, and the copy still completes', async () => {
    // 8 s left at an assumed 1 MiB/s cannot cover 16 MiB: wasm-sha256, whose state can be saved.
    const { deps, input, key, logs } = setUp({ deadlineAt: Date.now() + 8_000 });
    const body = csv(600_000); // ~16 MiB: the connection drops at 12 MiB, after two whole 5 MiB parts
    files.serve('/broken/a.csv', { body, truncateAfter: 12 * MiB, ranges: true }, { body, ranges: true });
    const first = await copySlice(deps, input('/broken/a.csv'));
    expect(first).toMatchObject({ done: false, checkpoint: { offset: 10 * MiB, nextPartNumber: 3 } });
    expect(logs.some((line) => line.includes('download broke; the next slice continues'))).toBe(true);
    const second = await copySlice(deps, {
      ...input('/broken/a.csv'),
      checkpoint: first.done ? undefined : first.checkpoint,
    });
    expect(second).toEqual({
      done: true,
      file: { key, bytes: Buffer.byteLength(body), sha256: sha256(body), rows: 600_000 },
    });
    expect(await objectText(key)).toBe(body);
    expect(requestsFor('/broken/').map((request) => request.headers.range)).toEqual([undefined, `bytes=${10 * MiB}-`]);
  });

  it('runs out of time mid-part: that part leaves the hash, the count and S3, and the next slice copies it exactly', async () => {
    // The clock says time is up 40 network chunks after the first part (mid-part, with some of it already hashed
    // and streamed to S3); the second slice resumes with Range from the last whole part.
    let partsClosed = 0;
    let readsAfter = 0;
    const deadlineAt = Date.now() + 8_000;
    const clock = {
      now: () => (partsClosed >= 1 && ++readsAfter > 40 ? deadlineAt + 1 : Date.now()),
      sleep: async () => {},
    };
    const { deps, input, key } = setUp({ deadlineAt, clock, onProgress: () => void partsClosed++ });
    const body = csv(600_000, true);
    files.serve('/late/a.csv', { body, ranges: true });
    const first = await copySlice(deps, input('/late/a.csv'));
    const checkpoint = first.done ? undefined : first.checkpoint;
    const whole = checkpoint?.offset ?? 0;
    expect(whole % (5 * MiB)).toBe(0);
    expect(whole).toBeGreaterThan(0);
    expect(checkpoint).toMatchObject({ nextPartNumber: whole / (5 * MiB) + 1, rowState: { bytes: whole } });
    const parts = await s3.client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: checkpoint?.uploadId }),
    );
    expect(parts.Parts?.map((part) => part.Size)).toEqual(Array(whole / (5 * MiB)).fill(5 * MiB));
    const second = await copySlice(
      { ...deps, clock: systemClock, onProgress: undefined },
      { ...input('/late/a.csv'), checkpoint },
    );
    expect(second).toEqual({
      done: true,
      file: { key, bytes: Buffer.byteLength(body), sha256: sha256(body), rows: 600_001 },
    });
    expect(await objectText(key)).toBe(body);
    expect(requestsFor('/late/').map((request) => request.headers.range)).toEqual([undefined, `bytes=${whole}-`]);
  });

  it('measures its speed before choosing the sha256 when only time might not suffice: node:crypto if fast enough', async () => {
    // 16 MiB against 8 s at the assumed 1 MiB/s would be wasm-sha256 from the start; measured, it is far faster.
    const { deps, input, key, logs } = setUp({ deadlineAt: Date.now() + 8_000, probeBytes: 5 * MiB });
    const body = csv(600_000, true);
    files.serve('/probe-fast/a.csv', { body, ranges: true });
    const result = await copySlice(deps, input('/probe-fast/a.csv'));
    expect(result).toEqual({
      done: true,
      file: { key, bytes: Buffer.byteLength(body), sha256: sha256(body), rows: 600_001 },
    });
    expect(logs.filter((line) => line.includes('sha256 chosen'))).toEqual([expect.stringContaining('"node:crypto"')]);
  });

  it('keeps wasm-sha256 when the measured speed will not make it: the probed bytes are in the state it resumes from', async () => {
    // The clock jumps 3 s when the first 5 MiB part is stored (1.7 MiB/s leaves 11 MiB needing ~6.6 s of 5 s left),
    // then past the deadline after the second: the slice ends with a checkpoint at 10 MiB.
    let jump = 0;
    let stored = 0;
    const deadlineAt = Date.now() + 8_000;
    const clock = { now: () => Date.now() + jump, sleep: async () => {} };
    const onProgress = () => {
      stored++;
      jump = stored === 1 ? 3_000 : 60_000;
    };
    const { deps, input, key, logs } = setUp({ deadlineAt, probeBytes: 5 * MiB, clock, onProgress });
    const body = csv(600_000, true);
    files.serve('/probe-slow/a.csv', { body, ranges: true });
    const first = await copySlice(deps, input('/probe-slow/a.csv'));
    expect(logs.filter((line) => line.includes('sha256 chosen'))).toEqual([expect.stringContaining('"wasm-sha256"')]);
    expect(first).toMatchObject({ done: false, checkpoint: { offset: 10 * MiB, hashState: expect.any(String) } });
    const checkpoint = first.done ? undefined : first.checkpoint;
    const second = await copySlice(
      { ...deps, clock: systemClock, deadlineAt: undefined, onProgress: undefined },
      { ...input('/probe-slow/a.csv'), checkpoint },
    );
    expect(second).toEqual({
      done: true,
      file: { key, bytes: Buffer.byteLength(body), sha256: sha256(body), rows: 600_001 },
    });
    expect(requestsFor('/probe-slow/').map((request) => request.headers.range)).toEqual([
      undefined,
      `bytes=${10 * MiB}-`,
    ]);
  });

  it('gives up on a server that goes silent mid-body (socket inactivity timeout)', async () => {
    const { deps, input, key } = setUp({ timeoutMs: 150 });
    files.serve('/silent/a.csv', { body: csv(100), truncateAfter: 100, hang: true });
    const error = await expectFailure(copySlice(deps, input('/silent/a.csv')), DownloadFailed);
    expect(error.message).toMatch(/no data for 150 ms/);
    expect(await leftUnder(key)).toEqual([]);
  });

  it('stops when its signal aborts mid-body: OperationAborted, nothing of its own left behind', async () => {
    const controller = new AbortController();
    const { deps, input, key } = setUp({ timeoutMs: 10_000, signal: controller.signal });
    files.serve('/aborted/a.csv', { body: csv(100), truncateAfter: 100, hang: true });
    setTimeout(() => controller.abort(new Error('Lambda deadline')), 300);
    const error = await expectFailure(copySlice(deps, input('/aborted/a.csv')), OperationAborted);
    expect(error.message).toContain('Lambda deadline');
    expect(await leftUnder(key)).toEqual([]);
  });

  it('maps 403 to DownloadLinkExpired and other 4xx to DownloadRefused', async () => {
    const { deps, input } = setUp();
    files.serve('/expired/a.csv', { status: 403, body: '<Error>AccessDenied</Error>' });
    files.serve('/missing/a.csv', { status: 404 });
    const expired = await expectFailure(copySlice(deps, input('/expired/a.csv')), DownloadLinkExpired);
    expect(expired.message).toMatch(/file 1\/1.*HTTP 403/);
    await expectFailure(copySlice(deps, input('/missing/a.csv')), DownloadRefused);
  });

  it('reports a missing bucket as a final ExportStorageFailed', async () => {
    const { deps, input } = setUp();
    files.serve('/nobucket/a.csv', { body: csv(5) });
    const error = await expectFailure(
      copySlice(deps, { ...input('/nobucket/a.csv'), bucket: 'no-such-bucket' }),
      ExportStorageFailed,
    );
    expect(error.name).toBe('ExportStorageFailed');
    expect(error.message).toMatch(/part-00001\.csv to S3 failed: NoSuchBucket/);
  });

  it('removes its own upload and object when the execution stopped meanwhile (ExportStopped)', async () => {
    const answers = [true, false];
    const { deps, input, key } = setUp({ isRunning: async () => answers.shift() ?? false });
    files.serve('/stopped/a.csv', { body: csv(1_000) });
    await expectFailure(copySlice(deps, input('/stopped/a.csv')), ExportStopped);
    expect(await leftUnder(key)).toEqual([]);
  });

  it('never refuses a link on its expires hint: a past one is tried (and logged), only a 403 means expired', async () => {
    const { deps, input, logs } = setUp();
    files.serve('/hint/a.csv', { body: csv(10) });
    const link = files.link('/hint/a.csv', { sign: SIGN, expires: 1_577_344_409_140 });
    const result = await copySlice(deps, { ...input('/hint/a.csv'), link });
    expect(result.done).toBe(true);
    const warning = logs.find((line) => line.includes('looks expired'));
    expect(warning).toContain('2019-12-26T07:13:29.140Z');
    expect(warning).not.toContain(SIGN);
  });

  it('refuses an untrusted link before fetching anything', async () => {
    const { deps, input } = setUp();
    const link = `https://evil.example.com/x.csv?expires=1&sign=${SIGN}`;
    const error = await expectFailure(copySlice(deps, { ...input('/x'), link }), UntrustedDownloadLink);
    expect(error.message).toContain('evil.example.com');
  });

  it('builds key prefixes from the UTC request day, with or without a prefix', () => {
    const base = { projectUid: 'p', segmentationId: 's', exportId: 'e', requestedAt: '2026-01-01T01:30:00+03:00' };
    expect(exportKeyPrefix({ ...base, prefix: 'exports' })).toBe('exports/p/s/2025-12-31/e');
    expect(exportKeyPrefix({ ...base, prefix: '' })).toBe('p/s/2025-12-31/e');
    expect(exportKeyPrefix({ ...base, prefix: '/a/b/' })).toBe('a/b/p/s/2025-12-31/e');
  });
});

describe('startLocalS3', () => {
  it('keeps objects in the given directory across restarts and creates buckets idempotently', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'local-s3-test-'));
    try {
      const first = await startLocalS3({ directory: join(directory, 'nested', 's3') });
      expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await first.createBucket('keep-me');
      await first.createBucket('keep-me');
      await first.client.send(new PutObjectCommand({ Bucket: 'keep-me', Key: 'a/b.txt', Body: 'kept' }));
      await first.close();
      await first.close();
      const second = await startLocalS3({ directory: join(directory, 'nested', 's3'), buckets: ['keep-me'] });
      try {
        const object = await second.client.send(new GetObjectCommand({ Bucket: 'keep-me', Key: 'a/b.txt' }));
        expect(await object.Body!.transformToString()).toBe('kept');
      } finally {
        await second.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
