// One slice of one file's copy: download (resumed with Range), hash, count rows, upload whole parts, and stop at a
// part boundary before the deadline with a small checkpoint; the state machine calls it again until the file is done.
import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { DownloadFailed, DownloadRefused, ExportStopped } from '../errors.ts';
import { assertTrustedDownloadLink, linkExpiresAt } from '../growingio/download-links.ts';
import { type Logger, redactUrl, silentLogger } from '../log.ts';
import { type Clock, systemClock, throwIfAborted } from '../retry.ts';
import { CsvRecordCounter, csvRowStateSchema } from './csv-records.ts';
import { openSource, sourceValidatorsSchema } from './file-source.ts';
import { deleteObjects, type ExportFile } from './manifest.ts';
import { abortUpload, completeUpload, createUpload } from './multipart.ts';
import { chooseHasher, resumableHasher } from './slice-hash.ts';
import { pump, type Slice, settle } from './slice-pump.ts';

/** Where a file's copy stands between invocations (a few hundred bytes of JSON). No uploadId ⇒ start over. */
export const copyCheckpointSchema = z
  .object({
    key: z.string().min(1).max(1024),
    uploadId: z.string().min(1).max(1024).optional(),
    nextPartNumber: z.number().int().min(1).max(10_000),
    offset: z.number().int().min(0),
    hashState: z.string().max(512).optional(),
    rowState: csvRowStateSchema.optional(),
    source: sourceValidatorsSchema,
    slices: z.number().int().min(0),
    restarts: z.number().int().min(0),
    /** The server cannot resume this file (it ignores Range or gzip-encodes it): copy it in one go. */
    wholeFile: z.boolean().optional(),
  })
  .strict();
export type CopyCheckpoint = z.output<typeof copyCheckpointSchema>;

export interface CopyProgress {
  fileIndex: number;
  fileCount: number;
  key: string;
  /** Bytes of the file stored so far (whole parts). */
  bytes: number;
  rows: number;
  /** The file's length as the server announced it (undefined when unknown or gzip-encoded). */
  contentLength?: number;
}

export type CopySliceResult = { done: true; file: ExportFile } | { done: false; checkpoint: CopyCheckpoint };

export interface CopySliceDeps {
  s3: S3Client;
  allowlist: readonly string[];
  logger?: Logger;
  /** Socket inactivity limit of the download; default 60 s. */
  timeoutMs?: number;
  /** Default 8 MiB (S3's minimum is 5 MiB). */
  partSizeBytes?: number;
  /** End the slice after about this many bytes (COPY_SLICE_BYTES); default: only the deadline ends it. */
  sliceBytes?: number;
  /** Epoch ms when the slice must have ended (Lambda deadline minus a margin). */
  deadlineAt?: number;
  /** Bytes a copy measures before it picks its sha256 when only time might not suffice; default 64 MiB (test knob). */
  probeBytes?: number;
  /** Parts uploading while the next one downloads; default 2. */
  queueSize?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** Whether the export's execution still runs (DescribeExecution); a stopped one gets no object. */
  isRunning?: () => Promise<boolean>;
  onProgress?: (progress: CopyProgress) => void;
}

export interface CopySliceInput {
  bucket: string;
  key: string;
  link: string;
  index: number;
  fileCount: number;
  checkpoint?: CopyCheckpoint;
}

/** Copies the next slice of one file; resolves with the file (done) or the checkpoint to continue from. */
export async function copySlice(deps: CopySliceDeps, input: CopySliceInput): Promise<CopySliceResult> {
  const url = assertTrustedDownloadLink(input.link, deps.allowlist);
  const where = redactUrl(`${url.protocol}//${url.host}${url.pathname}`);
  const label = `file ${input.index + 1}/${input.fileCount} (${where})`;
  noteExpiryHint(deps, url, input.key);
  const slice = await startSlice(deps, input, { url, label });
  try {
    const ended = await pump(slice);
    await settle(slice);
    return ended ? await finishFile(slice) : await endSlice(slice);
  } catch (error) {
    slice.download.close();
    const kept = await keepProgress(slice, error);
    if (kept) return kept;
    await settle(slice).catch(() => {});
    // An upload begun by this invocation is ours to drop; a resumed one stays for the retry of this slice.
    if (slice.uploadId !== input.checkpoint?.uploadId) await abortUpload(slice.target, slice.uploadId);
    throwIfAborted(deps.signal);
    throw slice.download.failure() ?? error;
  } finally {
    slice.hasher.end();
  }
}

/** `expires` is a hint (its unit is undocumented): a link that looks expired is still tried; a 403 decides. */
function noteExpiryHint(deps: CopySliceDeps, url: URL, key: string): void {
  const expiresAt = linkExpiresAt(url);
  if (expiresAt === undefined || expiresAt > (deps.clock ?? systemClock).now()) return;
  const expiresHint = new Date(expiresAt).toISOString();
  deps.logger?.warn('download link looks expired; trying it anyway', { key, expiresHint });
}

/**
 * A download that broke after this slice stored whole parts ends the slice at the last of them (the next one resumes
 * with Range) instead of failing: no progress is lost and no retry is spent. Undefined when that is not possible.
 */
async function keepProgress(slice: Slice, error: unknown): Promise<CopySliceResult | undefined> {
  const broken = slice.download.failure() ?? (error instanceof DownloadFailed ? error : undefined);
  const resumable = slice.hasher.resumable && !slice.wholeFile && slice.offset > slice.sliceStart;
  if (!broken || !resumable || slice.deps.signal?.aborted) return undefined;
  try {
    await settle(slice);
  } catch {
    return undefined;
  }
  slice.deps.logger?.warn('download broke; the next slice continues from the last whole part', {
    key: slice.input.key,
    offset: slice.offset,
    reason: broken.message,
  });
  return await endSlice(slice);
}

/** The same version of the file answered 206 from the checkpoint's offset: everything continues from there. */
async function resumedSlice(base: SliceBase, resume: CopyCheckpoint): Promise<Slice> {
  const counter = CsvRecordCounter.load(resume.rowState);
  return {
    ...base,
    uploadId: resume.uploadId!,
    partNumber: resume.nextPartNumber,
    offset: resume.offset,
    sliceStart: resume.offset,
    hasher: await resumableHasher(resume.hashState),
    counter,
    validators: resume.source,
    wholeFile: false,
    restarts: resume.restarts,
  };
}

type SliceBase = Pick<Slice, 'deps' | 'input' | 'target' | 'download' | 'slices'>;

async function startSlice(deps: CopySliceDeps, input: CopySliceInput, where: { url: URL; label: string }) {
  const target = { s3: deps.s3, bucket: input.bucket, key: input.key };
  const previous = input.checkpoint;
  // Only a checkpoint with its hash and row states can continue; anything less starts the file over.
  const resume =
    previous?.uploadId && previous.offset > 0 && previous.hashState && previous.rowState ? previous : undefined;
  const opened = await openSource(
    where,
    deps.timeoutMs ?? 60_000,
    deps.signal,
    resume ? { offset: resume.offset, validators: resume.source } : undefined,
  );
  // Nothing reads the body until pump(): hold it (the byte counter's 'data' listener would make it flow).
  opened.download.body.pause();
  const base = { deps, input, target, download: opened.download, slices: (previous?.slices ?? 0) + 1 };
  try {
    if (opened.resumed && resume) return await resumedSlice(base, resume);
    return await freshSlice(base, opened, previous);
  } catch (error) {
    opened.download.close();
    throw error;
  }
}

/** The file starts (again) from byte 0: a new upload, a new count, and the cheaper hash when the file fits. */
async function freshSlice(
  base: SliceBase,
  opened: Awaited<ReturnType<typeof openSource>>,
  previous: CopyCheckpoint | undefined,
): Promise<Slice> {
  const { deps, input, target } = base;
  if (previous?.uploadId) await abortUpload(target, previous.uploadId);
  const restarted = opened.resumed ? undefined : opened.restartReason;
  if (restarted)
    (deps.logger ?? silentLogger).warn('copying the file again from byte 0', { key: input.key, reason: restarted });
  const wholeFile = Boolean(previous?.wholeFile || opened.download.encoded || (!opened.resumed && opened.ignoresRange));
  const hasher = await chooseHasher({
    wholeFile,
    forced: previous !== undefined && !restarted,
    contentLength: opened.download.contentLength,
    sliceBytes: deps.sliceBytes,
    secondsLeft:
      deps.deadlineAt === undefined ? undefined : (deps.deadlineAt - (deps.clock ?? systemClock).now()) / 1000,
  });
  const uploadId = await createUpload(target, deps).catch((error: unknown) => {
    hasher.end();
    throw error;
  });
  return {
    ...base,
    uploadId,
    partNumber: 1,
    offset: 0,
    sliceStart: 0,
    hasher,
    counter: new CsvRecordCounter(),
    validators: opened.resumed ? {} : opened.validators,
    wholeFile,
    restarts: (previous?.restarts ?? 0) + (restarted ? 1 : 0),
  };
}

/** The slice ended before the file: the checkpoint, unless the execution stopped meanwhile. */
async function endSlice(slice: Slice): Promise<CopySliceResult> {
  slice.download.close();
  const hashState = await slice.hasher.save();
  if (slice.wholeFile) {
    throw new DownloadRefused(
      `Download of ${slice.input.key} could not be copied within one invocation and the server cannot resume it`,
    );
  }
  await assertRunning(slice);
  const { key } = slice.input;
  const base = { key, source: slice.validators, slices: slice.slices, restarts: slice.restarts };
  if (hashState === undefined) {
    // Ran out of time while hashing with node:crypto: start over with a resumable hash.
    await abortUpload(slice.target, slice.uploadId);
    return { done: false, checkpoint: { ...base, nextPartNumber: 1, offset: 0, restarts: slice.restarts + 1 } };
  }
  const checkpoint = {
    ...base,
    uploadId: slice.uploadId,
    nextPartNumber: slice.partNumber,
    offset: slice.offset,
    hashState,
    rowState: slice.counter.save(),
  };
  slice.deps.logger?.info('copy slice ended', { key, offset: slice.offset, slices: slice.slices });
  return { done: false, checkpoint };
}

async function finishFile(slice: Slice): Promise<CopySliceResult> {
  await assertRunning(slice);
  const parts = slice.partNumber - 1;
  await completeUpload(slice.target, slice.uploadId, { parts, bytes: slice.offset }, slice.deps);
  // Checked again after completing: a stop in between must not leave the object behind.
  await assertRunning(slice, true);
  const file = {
    key: slice.input.key,
    bytes: slice.offset,
    sha256: await slice.hasher.digest(),
    rows: slice.counter.finish(),
  };
  slice.deps.logger?.info('file copied', { ...file, slices: slice.slices, restarts: slice.restarts });
  return { done: true, file };
}

async function assertRunning(slice: Slice, completed = false): Promise<void> {
  if (!slice.deps.isRunning || (await slice.deps.isRunning())) return;
  const { target } = slice;
  if (completed) await deleteObjects(target.s3, target.bucket, [target.key]);
  else await abortUpload(target, slice.uploadId);
  throw new ExportStopped(`The export's execution is no longer running; ${slice.input.key} was removed`);
}
