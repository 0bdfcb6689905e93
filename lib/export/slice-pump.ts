// The body of a copy slice: the download is copied once into part-sized buffers; each part is counted, hashed (on the
// sha256 thread) and uploaded while it fills (when its length is known), `queueSize` uploads at most; the slice stops
// at a part boundary when its bytes or time are up, and a part it cannot finish is taken back out of the hash and
// the count.

import { systemClock } from '../retry.ts';
import type { CopySliceDeps, CopySliceInput } from './copy-slice.ts';
import { CsvRecordCounter, type CsvRowState } from './csv-records.ts';
import type { Download } from './download.ts';
import type { SourceValidators } from './file-source.ts';
import { type UploadTarget, uploadPart } from './multipart.ts';
import { givePartBuffer, takePartBuffer } from './part-buffers.ts';
import { PartFill } from './part-fill.ts';
import { type Hasher, probeVerdict } from './slice-hash.ts';

const MiB = 1024 * 1024;
/** New bytes of a part are handed to the sha256 thread in batches of this size. */
const HASH_BATCH = MiB;

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

/** A part being filled: its upload, hashing and where the count stood. */
interface OpenPart {
  fill: PartFill;
  number: number;
  /** Streams while the part fills when its length is known; otherwise undefined until closePart starts it. */
  upload?: Promise<void>;
  hashing: Array<Promise<void>>;
  hashedTo: number;
  countedBefore: CsvRowState;
}

const inflight = new WeakMap<Slice, Array<Promise<void>>>();

/** Reads the body into whole parts and sends them; resolves true at the end of the file, false at a slice end. */
export async function pump(slice: Slice): Promise<boolean> {
  const partSize = slice.deps.partSizeBytes ?? 8 * MiB;
  const startedAt = (slice.deps.clock ?? systemClock).now();
  let part: OpenPart | undefined;
  try {
    for await (const chunk of slice.download.body as AsyncIterable<Buffer>) {
      // Out of time: the part not yet whole is dropped; the next slice fetches it again.
      if (timeUp(slice)) return false;
      for (let from = 0; from < chunk.length; ) {
        part ??= await openPart(slice, partSize);
        const taken = part.fill.write(chunk, from);
        slice.counter.push(chunk.subarray(from, from + taken));
        from += taken;
        feedHash(slice, part);
        if (!part.fill.full) continue;
        closePart(slice, part);
        part = undefined;
        if (slice.hasher.probing) await endProbe(slice, startedAt);
        await roomForNextPart(slice);
        if (sliceFull(slice)) return false;
      }
    }
    const broken = slice.download.failure() ?? slice.download.incomplete();
    if (broken) throw broken;
    // The last part of a file of unknown length is known to be the last only now.
    if (part && !part.upload) {
      closePart(slice, part);
      part = undefined;
    }
    return true;
  } finally {
    if (part) await dropPart(slice, part);
  }
}

/** The next part, with the whole buffer it fills; its upload starts now when its exact length is known. */
async function openPart(slice: Slice, partSize: number): Promise<OpenPart> {
  const length = slice.download.encoded ? undefined : slice.validators.length;
  const size = length === undefined ? partSize : Math.min(partSize, length - slice.offset);
  const fill = new PartFill(takePartBuffer(partSize), size);
  const part: OpenPart = {
    fill,
    number: slice.partNumber++,
    hashing: [],
    hashedTo: 0,
    countedBefore: slice.counter.save(),
  };
  if (length !== undefined) part.upload = startUpload(slice, part, { size, open: () => fill.open() });
  return part;
}

function startUpload(slice: Slice, part: OpenPart, body: Parameters<typeof uploadPart>[3]): Promise<void> {
  const { signal } = part.fill;
  const upload = uploadPart(slice.target, slice.uploadId, part.number, body, {
    ...slice.deps,
    signal: slice.deps.signal ? AbortSignal.any([slice.deps.signal, signal]) : signal,
  });
  upload.catch(() => {});
  return upload;
}

/** Hands the part's new bytes to the sha256 thread once a batch is ready, or all of them when `flush`. */
function feedHash(slice: Slice, part: OpenPart, flush = part.fill.full): void {
  const { fill } = part;
  if (fill.filled === part.hashedTo || (fill.filled - part.hashedTo < HASH_BATCH && !flush)) return;
  part.hashing.push(slice.hasher.update(fill.buffer.subarray(part.hashedTo, fill.filled)));
  part.hashedTo = fill.filled;
}

/** The part is whole (or the file ended): hash mark, upload if not yet streaming, and reuse of its buffer after. */
function closePart(slice: Slice, part: OpenPart): void {
  feedHash(slice, part, true);
  part.hashing.push(slice.hasher.mark());
  part.upload ??= startUpload(slice, part, part.fill.buffer.subarray(0, part.fill.filled));
  slice.offset += part.fill.filled;
  // The buffer is reused only when nothing reads it any more, whichever fails first.
  const done = Promise.allSettled([part.upload, ...part.hashing]).then((results) => {
    givePartBuffer(part.fill.buffer);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  });
  done.catch(() => {});
  const queue = inflight.get(slice) ?? [];
  inflight.set(slice, queue);
  queue.push(done);
  slice.deps.onProgress?.({
    fileIndex: slice.input.index,
    fileCount: slice.input.fileCount,
    key: slice.input.key,
    bytes: slice.offset,
    rows: slice.counter.count,
    contentLength: slice.validators.length,
  });
}

/** At most `queueSize` uploads at once: the part about to open streams its own, so wait for earlier ones. */
async function roomForNextPart(slice: Slice): Promise<void> {
  const queue = inflight.get(slice) ?? [];
  const limit = Math.max(0, (slice.deps.queueSize ?? 2) - 1);
  while (queue.length > limit) await queue.shift();
}

/** A part this slice will not finish: its upload is cancelled and its bytes leave the hash and the count. */
async function dropPart(slice: Slice, part: OpenPart): Promise<void> {
  part.fill.abort(new Error(`part ${part.number} was not completed in this slice`));
  slice.partNumber = part.number;
  await Promise.allSettled([part.upload, ...part.hashing]);
  // A thread that cannot rewind cannot save either: the checkpoint then fails, with the error that ended the part.
  await slice.hasher.rewind().catch(() => {});
  slice.counter = CsvRecordCounter.load(part.countedBefore);
  givePartBuffer(part.fill.buffer);
}

/** Once the probe has measured enough, keeps node:crypto when the rest will make it in time, else the resumable sha256. */
async function endProbe(slice: Slice, startedAt: number): Promise<void> {
  const { deadlineAt, clock, logger } = slice.deps;
  const length = slice.validators.length;
  if (deadlineAt === undefined || length === undefined) return await slice.hasher.decide('resumable');
  const now = (clock ?? systemClock).now();
  const facts = {
    bytes: slice.offset - slice.sliceStart,
    seconds: (now - startedAt) / 1000,
    remaining: length - slice.offset,
    secondsLeft: (deadlineAt - now) / 1000,
  };
  const verdict = probeVerdict(facts, slice.deps.probeBytes);
  if (!verdict) return;
  await slice.hasher.decide(verdict);
  logger?.info('sha256 chosen after measuring the copy', {
    key: slice.input.key,
    hash: verdict === 'native' ? 'node:crypto' : 'wasm-sha256',
    mibPerSecond: Math.round((facts.bytes / MiB / Math.max(facts.seconds, 0.001)) * 10) / 10,
    secondsLeft: Math.round(facts.secondsLeft),
  });
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

export async function settle(slice: Slice): Promise<void> {
  const queue = inflight.get(slice) ?? [];
  inflight.delete(slice);
  await Promise.all(queue);
}
