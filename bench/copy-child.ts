// One copy run in a fresh process, so the peak RSS it reports (resourceUsage().maxRSS) belongs to this run alone.
import { Readable } from 'node:stream';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Client } from '../lib/aws.ts';
import { copyExportToS3 } from '../lib/export/copy-to-s3.ts';

/** copy: the product; upload: fetch → plain lib-storage Upload; fetch: fetch → discard. */
export type CopyMode = 'copy' | 'upload' | 'fetch';

export interface ChildSpec {
  mode: CopyMode;
  link: string;
  endpoint: string;
  allowEntry: string;
  bucket: string;
  key: string;
  partSizeBytes: number;
  queueSize: number;
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

async function productCopy(spec: ChildSpec): Promise<number> {
  const s3 = createS3Client({ endpoint: spec.endpoint, credentials });
  const manifest = await copyExportToS3(
    { s3, allowlist: [spec.allowEntry], partSizeBytes: spec.partSizeBytes, queueSize: spec.queueSize },
    {
      exportId: spec.key,
      projectUid: 'bench',
      segmentationId: 'copy',
      jobId: 'bench-job',
      parameters: [],
      requestedAt: new Date().toISOString(),
      bucket: spec.bucket,
      prefix: 'bench',
      links: [spec.link],
    },
  );
  s3.destroy();
  return manifest.totalBytes;
}

const RUNNERS: Record<CopyMode, (spec: ChildSpec) => Promise<number>> = {
  copy: productCopy,
  upload: plainUpload,
  fetch: fetchDiscard,
};

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
