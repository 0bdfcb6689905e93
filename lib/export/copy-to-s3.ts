// Streams every download link into S3 (multipart), hashing and counting rows on the way; all-or-nothing.
import { createHash } from 'node:crypto';
import { pipeline, Transform } from 'node:stream';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AppError } from '../errors.ts';
import { assertTrustedDownloadLink, linkExpiresAt } from '../growingio/download-links.ts';
import { type Logger, redactUrl, silentLogger } from '../log.ts';
import { type Clock, systemClock, throwIfAborted, withRetry } from '../retry.ts';
import { CsvRecordCounter } from './csv-records.ts';
import { type Download, openDownload, reasonOf } from './download.ts';
import {
  buildManifest,
  deleteObjects,
  type ExportFile,
  type ExportIdentity,
  exportKeyPrefix,
  type Manifest,
  manifestKey,
  partKey,
  writeManifest,
} from './manifest.ts';
import { storageFailed } from './storage-errors.ts';

export type { ExportFile, Manifest } from './manifest.ts';
export { exportKeyPrefix } from './manifest.ts';

/** `requestedAt` (ISO 8601) also gives the UTC day in the key prefix. */
export interface CopyExportInput extends ExportIdentity {
  bucket: string;
  /** EXPORT_PREFIX or the request's destination prefix; may be ''. */
  prefix: string;
  links: string[];
}

export interface CopyProgress {
  fileIndex: number;
  fileCount: number;
  key: string;
  bytes: number;
  rows: number;
  /** Bytes announced by the download server (encoded size when gzip). */
  contentLength?: number;
}

export interface CopyDeps {
  s3: S3Client;
  /** GROWINGIO_DOWNLOAD_HOSTS. */
  allowlist: readonly string[];
  logger?: Logger;
  /** Socket inactivity limit per download (headers and body); default 60 s. */
  timeoutMs?: number;
  /** Multipart part size; default 8 MiB (S3 minimum 5 MiB). */
  partSizeBytes?: number;
  /**
   * Parts uploaded in parallel per file; default 2 (enough to keep pace with one download stream).
   * Memory grows by about 2 × partSizeBytes per extra part (lib-storage concatenates each part).
   */
  queueSize?: number;
  onProgress?: (progress: CopyProgress) => void;
  /** Attempts per file for retryable failures (5xx, network, truncated bodies); default 3. */
  downloadAttempts?: number;
  /** Dates the manifest, checks link expiry and waits between attempts. */
  clock?: Clock;
  random?: () => number;
  /** Stops the copy (the Lambda deadline): no new download or retry; what was written is deleted; OperationAborted. */
  signal?: AbortSignal;
}

const MiB = 1024 * 1024;
const PROGRESS_STEP_BYTES = MiB;
const RETRY_POLICY = { baseDelayMs: 500, maxDelayMs: 5_000 };

interface CopyContext {
  s3: S3Client;
  bucket: string;
  keyPrefix: string;
  fileCount: number;
  /** Every key this run may have created; all of them are deleted if the export fails. */
  touched: Set<string>;
  logger: Logger;
  timeoutMs: number;
  partSize: number;
  queueSize: number;
  attempts: number;
  clock: Clock;
  random: () => number;
  signal?: AbortSignal;
  onProgress: (progress: CopyProgress) => void;
}

interface FileJob {
  index: number;
  url: URL;
  key: string;
  label: string;
}

/**
 * Copies every link to `{keyPrefix}/part-NNNNN.csv`, then writes `manifest.json`. Every link is checked
 * against the allowlist before any byte is fetched (its `expires` is only a hint). On any failure, objects already written
 * for this export are deleted before the (redacted) error is thrown, so no partial export stays visible.
 */
export async function copyExportToS3(deps: CopyDeps, input: CopyExportInput): Promise<Manifest> {
  const urls = input.links.map((link) => assertTrustedDownloadLink(link, deps.allowlist));
  const ctx = createContext(deps, input, urls.length);
  const jobs = urls.map((url, index) => describeJob(ctx, url, index));
  for (const job of jobs) noteExpiryHint(ctx, job);
  const files: ExportFile[] = [];
  try {
    for (const job of jobs) files.push(await copyFileWithRetry(ctx, job));
    const manifest = buildManifest(input, files, new Date(ctx.clock.now()).toISOString());
    const key = manifestKey(ctx.keyPrefix);
    ctx.touched.add(key);
    await writeManifest(ctx.s3, ctx.bucket, ctx.keyPrefix, manifest).catch((error: unknown) => {
      throw storageFailed(error, key);
    });
    ctx.logger.info('export copied', {
      key,
      files: files.length,
      rows: manifest.totalRows,
      bytes: manifest.totalBytes,
    });
    return manifest;
  } catch (error) {
    await cleanUp(ctx);
    throw error instanceof AppError ? error : storageFailed(error, ctx.keyPrefix);
  }
}

function createContext(deps: CopyDeps, input: CopyExportInput, fileCount: number): CopyContext {
  return {
    s3: deps.s3,
    bucket: input.bucket,
    keyPrefix: exportKeyPrefix(input),
    fileCount,
    touched: new Set(),
    logger: deps.logger ?? silentLogger,
    timeoutMs: deps.timeoutMs ?? 60_000,
    partSize: deps.partSizeBytes ?? 8 * MiB,
    queueSize: deps.queueSize ?? 2,
    attempts: Math.max(1, deps.downloadAttempts ?? 3),
    clock: deps.clock ?? systemClock,
    random: deps.random ?? Math.random,
    ...(deps.signal ? { signal: deps.signal } : {}),
    onProgress: deps.onProgress ?? (() => {}),
  };
}

function describeJob(ctx: CopyContext, url: URL, index: number): FileJob {
  // Never the query string: that is where the signature lives.
  const where = redactUrl(`${url.protocol}//${url.host}${url.pathname}`);
  return { index, url, key: partKey(ctx.keyPrefix, index), label: `file ${index + 1}/${ctx.fileCount} (${where})` };
}

/** `expires` is a hint (its unit is undocumented): a link that looks expired is still tried; a 403 decides. */
function noteExpiryHint(ctx: CopyContext, job: FileJob): void {
  const expiresAt = linkExpiresAt(job.url);
  if (expiresAt !== undefined && expiresAt <= ctx.clock.now()) {
    ctx.logger.warn('download link looks expired; trying it anyway', {
      key: job.key,
      expiresHint: new Date(expiresAt).toISOString(),
    });
  }
}

function copyFileWithRetry(ctx: CopyContext, job: FileJob): Promise<ExportFile> {
  return withRetry(
    () => {
      noteExpiryHint(ctx, job);
      return copyFileOnce(ctx, job);
    },
    {
      ...RETRY_POLICY,
      maxAttempts: ctx.attempts,
      clock: ctx.clock,
      random: ctx.random,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onRetry: ({ attempt, delayMs, error }) =>
        ctx.logger.warn('download failed; fetching the file again', {
          key: job.key,
          attempt,
          delayMs,
          reason: error.message,
        }),
    },
  );
}

async function copyFileOnce(ctx: CopyContext, job: FileJob): Promise<ExportFile> {
  ctx.touched.add(job.key);
  const source = await openDownload(job, ctx.timeoutMs, ctx.signal);
  const progress = (bytes: number, rows: number) =>
    ctx.onProgress({
      fileIndex: job.index,
      fileCount: ctx.fileCount,
      key: job.key,
      bytes,
      rows,
      contentLength: source.contentLength,
    });
  const tally = tallyBody(source, progress);
  const upload = new Upload({
    client: ctx.s3,
    params: { Bucket: ctx.bucket, Key: job.key, Body: tally.body, ContentType: 'text/csv' },
    partSize: ctx.partSize,
    queueSize: ctx.queueSize,
    // We abort ourselves: some S3-compatible servers refuse AbortMultipartUpload, which must not mask the cause.
    leavePartsOnError: true,
  });
  try {
    await upload.done();
  } catch (error) {
    await abortUpload(ctx, upload, job.key);
    throwIfAborted(ctx.signal);
    throw source.failure() ?? storageFailed(error, job.key);
  } finally {
    tally.body.destroy();
    source.close();
  }
  const file = { key: job.key, ...tally.finish() };
  progress(file.bytes, file.rows);
  ctx.logger.info('file copied', { ...file });
  return file;
}

/** The upload body: the decoded bytes, hashed, counted and reported on their way through (one sync hop). */
function tallyBody(source: Download, progress: (bytes: number, rows: number) => void) {
  const hash = createHash('sha256');
  const counter = new CsvRecordCounter();
  let bytes = 0;
  let reported = 0;
  const body = new Transform({
    highWaterMark: 64 * 1024,
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      counter.push(chunk);
      bytes += chunk.length;
      if (bytes - reported >= PROGRESS_STEP_BYTES) {
        reported = bytes;
        progress(bytes, counter.count);
      }
      done(null, chunk);
    },
    flush(done) {
      done(source.incomplete());
    },
  });
  pipeline(source.body, body, () => {});
  return {
    body,
    finish: () => ({ bytes, sha256: hash.digest('hex'), rows: counter.finish() }),
  };
}

async function abortUpload(ctx: CopyContext, upload: Upload, key: string): Promise<void> {
  if (!upload.uploadId) return;
  try {
    await ctx.s3.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: upload.uploadId }));
  } catch (error) {
    // Orphaned parts are invisible and expire under the bucket's lifecycle rule; the export itself still fails clean.
    ctx.logger.warn('could not abort multipart upload', { key, reason: reasonOf(error) });
  }
}

async function cleanUp(ctx: CopyContext): Promise<void> {
  const keys = [...ctx.touched];
  if (keys.length === 0) return;
  try {
    const failed = await deleteObjects(ctx.s3, ctx.bucket, keys);
    if (failed.length > 0) ctx.logger.error('could not delete partial export objects', { keys: failed });
    else ctx.logger.info('deleted partial export objects', { count: keys.length });
  } catch (error) {
    ctx.logger.error('could not delete partial export objects', { keys, reason: reasonOf(error) });
  }
}
