// The body of a copy slice: whole parts are cut from the download, hashed and counted, and uploaded two at a time;
// the slice stops at a part boundary when its bytes or its time are up.

import { systemClock } from '../retry.ts';
import type { CopySliceDeps, CopySliceInput } from './copy-slice.ts';
import type { CsvRecordCounter } from './csv-records.ts';
import type { Download } from './download.ts';
import type { SourceValidators } from './file-source.ts';
import { type UploadTarget, uploadPart } from './multipart.ts';
import type { Hasher } from './slice-hash.ts';

const MiB = 1024 * 1024;

/** One invocation's copy of one file, from where the checkpoint (or byte 0) put it. */
export interface Slice {
  deps: CopySliceDeps;
  input: CopySliceInput;
  target: UploadTarget;
  download: Download;
  uploadId: string;
  partNumber: number;
  offset: number;
  sliceStart: number;
  hasher: Hasher;
  counter: CsvRecordCounter;
  validators: SourceValidators;
  wholeFile: boolean;
  slices: number;
  restarts: number;
}

const inflight = new WeakMap<Slice, Array<Promise<void>>>();

/** Reads the body into whole parts and sends them; resolves true at the end of the file, false at a slice end. */
export async function pump(slice: Slice): Promise<boolean> {
  const partSize = slice.deps.partSizeBytes ?? 8 * MiB;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of slice.download.body as AsyncIterable<Buffer>) {
    // Out of time: what is not a whole part yet is dropped; the next slice fetches it again.
    if (timeUp(slice)) return false;
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= partSize) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      const rest = all.subarray(partSize);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      await sendPart(slice, all.subarray(0, partSize));
      if (sliceFull(slice)) return false;
    }
  }
  const broken = slice.download.failure() ?? slice.download.incomplete();
  if (broken) throw broken;
  if (pendingBytes > 0) await sendPart(slice, Buffer.concat(pending));
  return true;
}

function timeUp(slice: Slice): boolean {
  const { deadlineAt, clock } = slice.deps;
  return deadlineAt !== undefined && (clock ?? systemClock).now() >= deadlineAt;
}

function sliceFull(slice: Slice): boolean {
  const { sliceBytes } = slice.deps;
  if (slice.wholeFile || !slice.hasher.resumable || sliceBytes === undefined) return false;
  const length = slice.validators.length;
  return slice.offset - slice.sliceStart >= sliceBytes && (length === undefined || slice.offset < length);
}

async function sendPart(slice: Slice, part: Buffer): Promise<void> {
  slice.hasher.update(part);
  slice.counter.push(part);
  slice.offset += part.length;
  const partNumber = slice.partNumber++;
  const queue = inflight.get(slice) ?? [];
  inflight.set(slice, queue);
  const upload = uploadPart(slice.target, slice.uploadId, partNumber, part, slice.deps);
  upload.catch(() => {});
  queue.push(upload);
  if (queue.length >= (slice.deps.queueSize ?? 2)) await queue.shift();
  slice.deps.onProgress?.({
    fileIndex: slice.input.index,
    fileCount: slice.input.fileCount,
    key: slice.input.key,
    bytes: slice.offset,
    rows: slice.counter.count,
    contentLength: slice.validators.length,
  });
}

export async function settle(slice: Slice): Promise<void> {
  const queue = inflight.get(slice) ?? [];
  inflight.delete(slice);
  await Promise.all(queue);
}
