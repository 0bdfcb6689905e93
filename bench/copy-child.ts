// One copy run in a fresh process, so the peak RSS it reports (resourceUsage().maxRSS) belongs to this run alone.
import { Readable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { type CopyCheckpoint, copySlice } from '../lib/export/copy-slice.ts';
import { createS3Client } from '../lib/s3-client.ts';

/**
 * copy: the product's copy slice run once over the whole file (node:crypto); sliced: the same file in
 * `sliceBytes` slices, each a fresh copySlice resuming from the last checkpoint (wasm-sha256, Range requests);
 * upload: fetch → plain lib-storage Upload; fetch: fetch → discard.
 */
export type CopyMode = 'copy' | 'sliced' | 'upload' | 'fetch';

export interface ChildSpec {
  mode: CopyMode;
  link: string;
  endpoint: string;
  allowEntry: string;
  bucket: string;
  key: string;
  partSizeBytes: number;
  queueSize: number;
  /** For `sliced`. */
  sliceBytes?: number;
}

export interface ChildResult {
  mode: CopyMode;
  bytes: number;
  seconds: number;
  /** Peak resident set size of this process, KiB. */
  maxRssKiB: number;
  /** RSS once every module is loaded, before the run, KiB. */
  startRssKiB: number;
  /** User + system CPU time of the run (this process only). */
  cpuSeconds: number;
}

// s3rver's static key (LOCAL_S3_CREDENTIALS in local/s3.ts, not imported: that module loads s3rver); the sink takes any.
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

async function fetchDiscard(spec: ChildSpec): Promise<number> {
  const response = await fetch(spec.link);
  if (!response.ok || !response.body) throw new Error(`download answered ${response.status}`);
  let bytes = 0;
  for await (const chunk of response.body) bytes += chunk.length;
  return bytes;
}

async function plainUpload(spec: ChildSpec): Promise<number> {
  const s3 = createS3Client({ endpoint: spec.endpoint, credentials });
  const response = await fetch(spec.link);
  if (!response.ok || !response.body) throw new Error(`download answered ${response.status}`);
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const upload = new Upload({
    client: s3,
    params: { Bucket: spec.bucket, Key: spec.key, Body: body, ContentType: 'text/csv' },
    partSize: spec.partSizeBytes,
    queueSize: spec.queueSize,
  });
  await upload.done();
  s3.destroy();
  return Number(response.headers.get('content-length'));
}

/** Loops copySlice until the file is done, as the state machine does; resolves with the bytes stored. */
async function productCopy(spec: ChildSpec): Promise<number> {
  const s3 = createS3Client({ endpoint: spec.endpoint, credentials });
  const deps = {
    s3,
    allowlist: [spec.allowEntry],
    partSizeBytes: spec.partSizeBytes,
    queueSize: spec.queueSize,
    ...(spec.mode === 'sliced' ? { sliceBytes: spec.sliceBytes } : {}),
  };
  let checkpoint: CopyCheckpoint | undefined;
  for (;;) {
    const input = { bucket: spec.bucket, key: `bench/${spec.key}.csv`, link: spec.link, index: 0, fileCount: 1 };
    const result = await copySlice(deps, { ...input, ...(checkpoint ? { checkpoint } : {}) });
    if (result.done) {
      s3.destroy();
      return result.file.bytes;
    }
    checkpoint = result.checkpoint;
  }
}

const RUNNERS: Record<CopyMode, (spec: ChildSpec) => Promise<number>> = {
  copy: productCopy,
  sliced: productCopy,
  upload: plainUpload,
  fetch: fetchDiscard,
};

/** Runs the copy and prints its figures. */
async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSpec;
  const startRssKiB = Math.round(process.memoryUsage().rss / 1024);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const bytes = await RUNNERS[spec.mode](spec);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result: ChildResult = {
    mode: spec.mode,
    bytes,
    seconds,
    maxRssKiB: process.resourceUsage().maxRSS,
    startRssKiB,
    cpuSeconds,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
