import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DownloadFailed,
  DownloadLinkExpired,
  DownloadRefused,
  ExportStorageFailed,
  OperationAborted,
  UntrustedDownloadLink,
} from '../../lib/errors.ts';
import {
  type CopyDeps,
  type CopyExportInput,
  type CopyProgress,
  copyExportToS3,
  exportKeyPrefix,
} from '../../lib/export/copy-to-s3.ts';
import { createLogger } from '../../lib/log.ts';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3.ts';
import { csvStream } from '../../local/emulators/csv-generator.ts';
import { type FileServer, startFileServer } from '../helpers/file-server.ts';

const BUCKET = 'exports';
const SIGN = 'S3CR3T-s1gnature-value';
const MiB = 1024 * 1024;

let s3: LocalS3;
let files: FileServer;
let exportCounter = 0;

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

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function setUp(overrides: Partial<CopyDeps> = {}) {
  exportCounter += 1;
  const logs: string[] = [];
  const progress: CopyProgress[] = [];
  const deps: CopyDeps = {
    s3: s3.client,
    allowlist: [files.allowEntry],
    logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    partSizeBytes: 5 * MiB,
    queueSize: 2,
    clock: { now: Date.now, sleep: async () => {} },
    onProgress: (p) => progress.push(p),
    ...overrides,
  };
  const input = (paths: string[], extra: Partial<CopyExportInput> = {}): CopyExportInput => ({
    exportId: `exp-${exportCounter}`,
    projectUid: 'proj1',
    segmentationId: 'seg1',
    jobId: `job-${exportCounter}`,
    parameters: ['open_id', 'role'],
    requestedAt: '2026-03-04T23:59:59.000Z',
    bucket: BUCKET,
    prefix: 'exports',
    links: paths.map((path) => files.link(path, { sign: SIGN })),
    ...extra,
  });
  return { deps, input, logs, progress };
}

async function objectText(key: string): Promise<{ text: string; contentType?: string }> {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { text: await object.Body!.transformToString(), contentType: object.ContentType };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
  return (listing.Contents ?? []).map((object) => object.Key!);
}

function requestsFor(prefix: string): number {
  return files.requests.filter((request) => request.path.startsWith(prefix)).length;
}

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

describe('copyExportToS3 against s3rver over real HTTP', () => {
  it('copies several files byte-identically, multipart included, and writes a correct manifest last', async () => {
    const { deps, input, logs, progress } = setUp();
    const bodies = { '/happy/a.csv': csv(3, true), '/happy/b.csv': csv(200_000), '/happy/c.csv': 'user_id\n' };
    for (const [path, body] of Object.entries(bodies)) files.serve(path, { body });
    const request = input(Object.keys(bodies));

    const manifest = await copyExportToS3(deps, request);

    const prefix = `exports/proj1/seg1/2026-03-04/${request.exportId}`;
    expect(manifest.files.map((file) => file.key)).toEqual([1, 2, 3].map((n) => `${prefix}/part-0000${n}.csv`));
    const expectedRows = [4, 200_000, 0];
    for (const [index, body] of Object.values(bodies).entries()) {
      const stored = await objectText(manifest.files[index]!.key);
      expect(stored.text).toBe(body);
      expect(stored.contentType).toBe('text/csv');
      expect(manifest.files[index]).toMatchObject({
        bytes: Buffer.byteLength(body),
        sha256: sha256(body),
        rows: expectedRows[index],
      });
    }
    expect(Buffer.byteLength(bodies['/happy/b.csv'])).toBeGreaterThan(5 * MiB); // really went multipart
    expect(manifest).toMatchObject({
      exportId: request.exportId,
      projectUid: 'proj1',
      segmentationId: 'seg1',
      jobId: request.jobId,
      parameters: ['open_id', 'role'],
      totalRows: 200_004,
      totalBytes: Object.values(bodies).reduce((sum, body) => sum + Buffer.byteLength(body), 0),
      requestedAt: request.requestedAt,
    });
    const storedManifest = await objectText(`${prefix}/manifest.json`);
    expect(storedManifest.contentType).toBe('application/json');
    expect(JSON.parse(storedManifest.text)).toEqual(manifest);
    expect((await keysUnder(prefix)).sort()).toEqual(
      [...manifest.files.map((file) => file.key), `${prefix}/manifest.json`].sort(),
    );
    expect(progress.at(-1)).toMatchObject({ fileIndex: 2, fileCount: 3, rows: 0, bytes: 8 });
    expect(progress.filter((p) => p.fileIndex === 1).length).toBeGreaterThan(3);
    expect(files.requests.find((r) => r.path === '/happy/a.csv')!.headers.authorization).toBeUndefined();
    expect(logs.some((line) => line.includes('export copied'))).toBe(true);
  });

  it('names a malformed signed link in its error with the signature redacted', async () => {
    const { deps, input } = setUp();
    // No scheme: not a URL, so the refusal quotes the link itself — the path that would print its signature.
    const request = input([], { links: [`gta.growingio.com/a.csv?expires=1&sign=${SIGN}`] });
    const error = await copyExportToS3(deps, request).then(
      () => undefined,
      (reason: Error) => reason,
    );
    expect(error).toBeInstanceOf(UntrustedDownloadLink);
    expect(error!.message).toContain('sign=[REDACTED]');
    expect(error!.message).not.toContain(SIGN);
  });

  it('stores gzip-encoded downloads decoded, verifying the compressed Content-Length', async () => {
    const { deps, input } = setUp();
    const body = csv(5_000);
    files.serve('/gzip/a.csv', { body, gzip: true });
    const manifest = await copyExportToS3(deps, input(['/gzip/a.csv']));
    expect(files.requests.find((r) => r.path === '/gzip/a.csv')!.headers['accept-encoding']).toContain('gzip');
    expect((await objectText(manifest.files[0]!.key)).text).toBe(body);
    expect(manifest.files[0]).toMatchObject({ bytes: Buffer.byteLength(body), sha256: sha256(body), rows: 5_000 });
  });

  it('counts the rows of backslash-escaped CSV (a \\" right before a quoted line break is no record end)', async () => {
    const { deps, input } = setUp();
    const chunks: Buffer[] = [];
    const columns = ['user_id', 'remark', 'role', 'address'];
    for await (const chunk of csvStream({ rows: 20_000, escape: 'backslash' }, columns)) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    expect(body.includes('\\"\n')).toBe(true);
    files.serve('/backslash/a.csv', { body });
    const manifest = await copyExportToS3(deps, input(['/backslash/a.csv']));
    expect(manifest.files[0]).toMatchObject({ rows: 20_000, bytes: body.length, sha256: sha256(body) });
  });

  it('retries a truncated body from scratch and succeeds when the next attempt is whole', async () => {
    const { deps, input, logs } = setUp();
    const body = csv(1_000);
    files.serve('/flaky/a.csv', { body, truncateAfter: 1000 }, { status: 503 }, { body });
    const manifest = await copyExportToS3(deps, input(['/flaky/a.csv']));
    expect(requestsFor('/flaky/')).toBe(3);
    expect((await objectText(manifest.files[0]!.key)).text).toBe(body);
    expect(manifest.files[0]!.rows).toBe(1_000);
    expect(logs.filter((line) => line.includes('fetching the file again'))).toHaveLength(2);
  });

  it('fails with DownloadFailed and leaves nothing when a body stays truncated (multipart aborted)', async () => {
    const { deps, input, logs } = setUp();
    const body = csv(600_000); // ~16 MiB: two 5 MiB parts are in flight when the connection drops at 12 MiB
    files.serve('/truncated/a.csv', { body: csv(10) });
    files.serve('/truncated/b.csv', { body, truncateAfter: 12 * MiB });
    const request = input(['/truncated/a.csv', '/truncated/b.csv']);
    const error = await expectFailure(copyExportToS3(deps, request), DownloadFailed);
    expect(error.message).toMatch(/file 2\/2 .*(broke off|ended after).*gave up after 3 attempts/);
    expect(requestsFor('/truncated/b.csv')).toBe(3);
    // Every attempt's multipart upload was aborted: none is left open under the export's prefix.
    expect(logs.filter((line) => line.includes('could not abort multipart upload'))).toHaveLength(0);
    const open = await s3.client.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${exportKeyPrefix(request)}/` }),
    );
    expect(open.Uploads ?? []).toEqual([]);
    expect(await keysUnder(exportKeyPrefix(request))).toEqual([]);
    expect(logs.join('\n')).not.toContain(SIGN);
  });

  it('gives up on a server that goes silent mid-body (socket inactivity timeout)', async () => {
    const { deps, input } = setUp({ timeoutMs: 150, downloadAttempts: 2 });
    files.serve('/silent/a.csv', { body: csv(100), truncateAfter: 100, hang: true });
    const request = input(['/silent/a.csv']);
    const error = await expectFailure(copyExportToS3(deps, request), DownloadFailed);
    expect(error.message).toMatch(/file 1\/1 .*no data for 150 ms.*gave up after 2 attempts/);
    expect(requestsFor('/silent/')).toBe(2);
    expect(await keysUnder(exportKeyPrefix(request))).toEqual([]);
  });

  it('stops when its signal aborts mid-body: OperationAborted, no retry, nothing left behind', async () => {
    const controller = new AbortController();
    const { deps, input } = setUp({ timeoutMs: 10_000, signal: controller.signal });
    files.serve('/aborted/a.csv', { body: csv(10) });
    files.serve('/aborted/b.csv', { body: csv(100), truncateAfter: 100, hang: true });
    const request = input(['/aborted/a.csv', '/aborted/b.csv']);
    setTimeout(() => controller.abort(new Error('Lambda deadline')), 300);
    const error = await expectFailure(copyExportToS3(deps, request), OperationAborted);
    expect(error.message).toContain('Lambda deadline');
    expect(requestsFor('/aborted/b.csv')).toBe(1);
    expect(await keysUnder(exportKeyPrefix(request))).toEqual([]);
  });

  it('starts no download when its signal has already aborted', async () => {
    const { deps, input } = setUp({ signal: AbortSignal.abort() });
    files.serve('/never/a.csv', { body: csv(10) });
    await expectFailure(copyExportToS3(deps, input(['/never/a.csv'])), OperationAborted);
    expect(requestsFor('/never/')).toBe(0);
  });

  it('maps 403 to DownloadLinkExpired, also when a retry answers 403, and leaves nothing', async () => {
    const { deps, input } = setUp();
    files.serve('/expired/a.csv', { body: csv(10) });
    files.serve('/expired/b.csv', { status: 500 }, { status: 403, body: '<Error>AccessDenied</Error>' });
    const request = input(['/expired/a.csv', '/expired/b.csv']);
    const error = await expectFailure(copyExportToS3(deps, request), DownloadLinkExpired);
    expect(error.message).toMatch(/file 2\/2.*HTTP 403/);
    expect(requestsFor('/expired/')).toBe(3);
    expect(await keysUnder(exportKeyPrefix(request))).toEqual([]);
  });

  it('deletes file 1 when file 2 fails for good (DownloadRefused, not retried)', async () => {
    const { deps, input } = setUp();
    files.serve('/second/a.csv', { body: csv(50) });
    files.serve('/second/b.csv', { status: 404, body: 'gone' });
    const request = input(['/second/a.csv', '/second/b.csv']);
    const error = await expectFailure(copyExportToS3(deps, request), DownloadRefused);
    expect(error.message).toMatch(/file 2\/2 .*HTTP 404/);
    expect(requestsFor('/second/')).toBe(2); // a 404 is not retried
    expect(await keysUnder(exportKeyPrefix(request))).toEqual([]);
  });

  it('reports S3 write failures as ExportStorageFailed', async () => {
    const { deps, input, logs } = setUp();
    files.serve('/nobucket/a.csv', { body: csv(5) });
    const error = await expectFailure(
      copyExportToS3(deps, input(['/nobucket/a.csv'], { bucket: 'no-such-bucket' })),
      ExportStorageFailed,
    );
    expect(error.message).toMatch(/part-00001\.csv to S3 failed: NoSuchBucket/);
    expect(logs.join('\n')).toContain('could not delete partial export objects');
  });

  it('refuses an untrusted link anywhere in the list before fetching anything', async () => {
    const { deps, input } = setUp();
    files.serve('/untrusted/a.csv', { body: csv(5) });
    const request = input(['/untrusted/a.csv', '/untrusted/a.csv']);
    request.links.push(`https://evil.example.com/x.csv?expires=1&sign=${SIGN}`);
    const error = await expectFailure(copyExportToS3(deps, request), UntrustedDownloadLink);
    expect(error.message).toContain('evil.example.com');
    expect(requestsFor('/untrusted/')).toBe(0);
    expect(await keysUnder(exportKeyPrefix(request))).toEqual([]);
  });

  it('never refuses a link on its expires hint: a past one is tried, and only a 403 means expired', async () => {
    const now = Date.parse('2026-03-05T00:00:00Z');
    const { deps, input, logs } = setUp({ clock: { now: () => now, sleep: async () => {} } });
    const body = csv(5);
    files.serve('/late/a.csv', { body });
    files.serve('/late/b.csv', { body });
    const inSeconds = files.link('/late/b.csv', { expires: Math.floor(now / 1000) - 60 });
    const request = input([], { links: [files.link('/late/a.csv', { expires: now - 1 }), inSeconds] });
    const manifest = await copyExportToS3(deps, request);
    expect(manifest.files.map((file) => file.rows)).toEqual([5, 5]);
    expect(requestsFor('/late/')).toBe(2);
    expect(logs.join('\n')).toContain('download link looks expired; trying it anyway');

    const refused = setUp({ clock: { now: () => now, sleep: async () => {} } });
    files.serve('/late/c.csv', { status: 403, body: '<Error>AccessDenied</Error>' });
    const error = await expectFailure(
      copyExportToS3(
        refused.deps,
        refused.input([], { links: [files.link('/late/c.csv', { expires: now + 60_000 })] }),
      ),
      DownloadLinkExpired,
    );
    expect(error.message).toContain('HTTP 403');
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
