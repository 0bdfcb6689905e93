// Copy benchmark: copySlice (whole file, and in 16 MiB slices) vs raw fetch and plain lib-storage Upload, into s3rver and a discarding sink; peak RSS.
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { csvByteLength } from '../local/emulators/csv-generator.ts';
import { columnsFor } from '../local/emulators/growingio.ts';
import { bundle } from './bundle.ts';
import type { ChildResult, ChildSpec, CopyMode } from './copy-child.ts';
import { renderCsv, startFileSource } from './file-source.ts';
import { runNode } from './node-child.ts';
import { type BenchResult, fmt, median, progress, type Row, ratio } from './results.ts';

const MiB = 1024 * 1024;
/** The copy's defaults (lib/export/copy-slice.ts), given to the product and the plain-upload baseline alike. */
const PART_SIZE = 8 * MiB;
const QUEUE_SIZE = 2;
/** The slices of the `sliced` mode (COPY_SLICE_BYTES). */
const SLICE_BYTES = 16 * MiB;
const BUCKET = 'bench';
const TMP = new URL('./.tmp/', import.meta.url);
// The child runs as an esbuild bundle (as on Lambda): type stripping alone would add ~30 MB of RSS.
const CHILD = fileURLToPath(new URL('copy-child.mjs', TMP));
const SERVER = fileURLToPath(new URL('./s3-server-child.ts', import.meta.url));

const settings = {
  largeMiB: Number(process.env.BENCH_COPY_MIB ?? 1024),
  smallMiB: Number(process.env.BENCH_COPY_SMALL_MIB ?? 100),
  repeats: Number(process.env.BENCH_COPY_REPEATS ?? 3),
};

/** Rows whose CSV is as close as possible to `targetBytes` (rows average ~60 bytes; exact size from csvByteLength). */
function rowsFor(targetBytes: number, columns: string[]): { rows: number; bytes: number } {
  const sampleRows = 100_000;
  const header = csvByteLength({ rows: 0 }, columns);
  const perRow = (csvByteLength({ rows: sampleRows }, columns) - header) / sampleRows;
  const rows = Math.round((targetBytes - header) / perRow);
  return { rows, bytes: csvByteLength({ rows }, columns) };
}

interface ServerProcess {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts bench/s3-server-child.ts and waits for the endpoint it prints. */
function startServerProcess(args: string[]): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const stop = async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    };
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`S3 server process (${args[0]}) exited ${code}`)));
    child.stdout.once('data', (chunk: Buffer) => {
      const { endpoint } = JSON.parse(chunk.toString().split('\n')[0]!) as { endpoint: string };
      resolve({ endpoint, stop });
    });
  });
}

async function runChild(spec: ChildSpec): Promise<ChildResult> {
  const { code, stdout, stderr } = await runNode([CHILD, JSON.stringify(spec)]);
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code === 0 && last.startsWith('{')) return JSON.parse(last) as ChildResult;
  throw new Error(`copy child (${spec.mode}) exited ${code}: ${stderr.trim().slice(-800)}`);
}

interface Target {
  name: string;
  endpoint: string;
}

type Samples = Map<string, ChildResult[]>;
const sampleKey = (target: string, mode: CopyMode, size: string) => `${target}/${mode}/${size}`;

async function measure(
  samples: Samples,
  target: Target,
  mode: CopyMode,
  size: { label: string; link: string; bytes: number },
  base: Omit<ChildSpec, 'mode' | 'link' | 'endpoint' | 'key'>,
): Promise<void> {
  const result = await runChild({
    ...base,
    mode,
    link: size.link,
    endpoint: target.endpoint,
    key: `${mode}-${size.label}`,
  });
  if (result.bytes !== size.bytes) throw new Error(`${mode} moved ${result.bytes} bytes, expected ${size.bytes}`);
  const key = sampleKey(target.name, mode, size.label);
  samples.set(key, [...(samples.get(key) ?? []), result]);
  progress(
    `copy ${key}: ${fmt(result.bytes / MiB / result.seconds, 0)} MiB/s in ${fmt(result.seconds)} s, ` +
      `peak RSS ${fmt(result.maxRssKiB / 1024, 0)} MiB`,
  );
}

export async function runCopyBench(): Promise<BenchResult> {
  const columns = columnsFor();
  const small = rowsFor(settings.smallMiB * MiB, columns);
  const large = rowsFor(settings.largeMiB * MiB, columns);
  const directory = fileURLToPath(new URL(`s3rver-${process.pid}/`, TMP));
  await mkdir(directory, { recursive: true });
  await bundle(fileURLToPath(new URL('./copy-child.ts', import.meta.url)), CHILD);
  const sizes = {
    small: { label: `${settings.smallMiB}MiB`, rows: small.rows, bytes: small.bytes, link: '' },
    large: { label: `${settings.largeMiB}MiB`, rows: large.rows, bytes: large.bytes, link: '' },
  };
  const paths: Record<string, string> = {};
  for (const size of [sizes.small, sizes.large]) {
    paths[size.label] = fileURLToPath(new URL(`emulator-${size.label}.csv`, TMP));
    progress(`copy: rendering ${size.label} of emulator CSV to ${paths[size.label]} (kept for the next run)`);
    await renderCsv(paths[size.label]!, { rows: size.rows }, columns);
  }
  const source = await startFileSource(paths);
  for (const size of [sizes.small, sizes.large]) size.link = source.link(size.label);
  const [s3rver, sink] = await Promise.all([
    startServerProcess(['s3rver', directory, BUCKET]),
    startServerProcess(['sink']),
  ]);
  const samples: Samples = new Map();
  try {
    const base = {
      allowEntry: source.origin,
      bucket: BUCKET,
      partSizeBytes: PART_SIZE,
      queueSize: QUEUE_SIZE,
      sliceBytes: SLICE_BYTES,
    };
    const targets: Target[] = [
      { name: 'sink', endpoint: sink.endpoint },
      { name: 's3rver', endpoint: s3rver.endpoint },
    ];
    progress(
      `copy: ${fmt(large.bytes / MiB)} MiB and ${fmt(small.bytes / MiB)} MiB files, ${settings.repeats} runs each`,
    );
    for (const target of targets) {
      // Interleaved, so drift on a shared machine hits every mode alike.
      for (let run = 0; run < settings.repeats; run++) {
        for (const mode of ['fetch', 'upload', 'copy', 'sliced'] as const)
          await measure(samples, target, mode, sizes.large, base);
        for (const mode of ['upload', 'copy', 'sliced'] as const)
          await measure(samples, target, mode, sizes.small, base);
      }
    }
    return summarize(samples, sizes.small.label, sizes.large.label, large.bytes);
  } finally {
    await Promise.all([source.close(), s3rver.stop(), sink.stop()]);
    await Promise.all([rm(directory, { recursive: true, force: true }), rm(CHILD, { force: true })]);
  }
}

const MB = 1_000_000;
const mibPerSecond = (runs: ChildResult[]) => median(runs.map((run) => run.bytes / MiB / run.seconds));
const peakMB = (runs: ChildResult[]) => Math.max(...runs.map((run) => (run.maxRssKiB * 1024) / MB));

function throughputRows(samples: Samples, target: string, large: string): Row[] {
  const get = (mode: CopyMode) => samples.get(sampleKey(target, mode, large)) ?? [];
  const [copy, upload, raw] = [mibPerSecond(get('copy')), mibPerSecond(get('upload')), mibPerSecond(get('fetch'))];
  const sliced = mibPerSecond(get('sliced'));
  return [
    {
      figure: `sliced copy (${SLICE_BYTES / MiB} MiB slices) into ${target}, ${large} (median)`,
      value: `${fmt(sliced, 0)} MiB/s`,
      baseline: `uninterrupted copy ${fmt(copy, 0)} MiB/s`,
      ratio: ratio(sliced, copy, 3),
      target: '≥ 0.9×',
      met: sliced / copy >= 0.9,
    },
    {
      figure: `copy throughput into ${target}, ${large} (median)`,
      value: `${fmt(copy, 0)} MiB/s`,
      baseline: `plain Upload ${fmt(upload, 0)} MiB/s`,
      ratio: ratio(copy, upload, 3),
      target: '≥ 0.85×',
      met: copy / upload >= 0.85,
    },
    {
      figure: `copy into ${target} vs raw fetch → discard`,
      value: `${fmt(copy, 0)} MiB/s`,
      baseline: `fetch ${fmt(raw, 0)} MiB/s`,
      ratio: ratio(copy, raw),
      target: '–',
    },
  ];
}

/** CPU seconds per GiB moved: on Lambda, CPU scales with memory size (256 MB is a fraction of one vCPU). */
function cpuRows(samples: Samples, large: string): Row[] {
  const perGiB = (mode: CopyMode) =>
    median(
      ['s3rver', 'sink'].flatMap((target) =>
        (samples.get(sampleKey(target, mode, large)) ?? []).map((run) => run.cpuSeconds / (run.bytes / 1024 ** 3)),
      ),
    );
  const [copy, upload, raw] = [perGiB('copy'), perGiB('upload'), perGiB('fetch')];
  const sliced = perGiB('sliced');
  return [
    {
      figure: `CPU time per GiB in the copying process, ${large} (median)`,
      value: `${fmt(copy, 2)} s`,
      baseline: `plain Upload ${fmt(upload, 2)} s (raw fetch ${fmt(raw, 2)} s)`,
      ratio: ratio(copy, upload),
      target: '≤ 1.25×',
      met: copy / upload <= 1.25,
    },
    {
      figure: `CPU time per GiB, sliced copy, ${large} (median)`,
      value: `${fmt(sliced, 2)} s`,
      baseline: `plain Upload ${fmt(upload, 2)} s`,
      ratio: ratio(sliced, upload),
      target: '≤ 1.25×',
      met: sliced / upload <= 1.25,
    },
  ];
}

function memoryRows(samples: Samples, small: string, large: string): Row[] {
  const all = (mode: CopyMode, size: string) =>
    ['s3rver', 'sink'].flatMap((target) => samples.get(sampleKey(target, mode, size)) ?? []);
  const [copySmall, copyLarge] = [peakMB(all('copy', small)), peakMB(all('copy', large))];
  const slicedLarge = peakMB(all('sliced', large));
  const [uploadSmall, uploadLarge] = [peakMB(all('upload', small)), peakMB(all('upload', large))];
  return [
    {
      figure: `peak RSS, copy ${small} (max of runs)`,
      value: `${fmt(copySmall, 0)} MB`,
      baseline: `plain Upload ${fmt(uploadSmall, 0)} MB`,
      ratio: ratio(copySmall, uploadSmall),
      target: '< 256 MB',
      met: copySmall < 256,
    },
    {
      figure: `peak RSS, copy ${large} (max of runs)`,
      value: `${fmt(copyLarge, 0)} MB`,
      baseline: `plain Upload ${fmt(uploadLarge, 0)} MB`,
      ratio: ratio(copyLarge, uploadLarge),
      target: '< 256 MB',
      met: copyLarge < 256,
    },
    {
      figure: `peak RSS, sliced copy ${large} (max of runs)`,
      value: `${fmt(slicedLarge, 0)} MB`,
      baseline: `uninterrupted copy ${fmt(copyLarge, 0)} MB`,
      ratio: ratio(slicedLarge, copyLarge),
      target: '< 256 MB',
      met: slicedLarge < 256,
    },
    {
      figure: `peak RSS flatness, ${large} vs ${small}`,
      value: `${fmt(copyLarge, 0)} MB`,
      baseline: `${fmt(copySmall, 0)} MB`,
      ratio: ratio(copyLarge, copySmall),
      target: '≤ 1.2×',
      met: copyLarge / copySmall <= 1.2,
    },
  ];
}

function summarize(samples: Samples, small: string, large: string, largeBytes: number): BenchResult {
  const loaded = Math.min(...[...samples.values()].flat().map((run) => (run.startRssKiB * 1024) / MB));
  const rawFetch = peakMB([...samples.values()].flat().filter((run) => run.mode === 'fetch'));
  const s3rverCopy = mibPerSecond(samples.get(sampleKey('s3rver', 'copy', large)) ?? []);
  const sinkCopy = mibPerSecond(samples.get(sampleKey('sink', 'copy', large)) ?? []);
  return {
    name: 'copy',
    title: 'Copy: GrowingIO download → S3 (copySlice, whole and in slices)',
    rows: [
      ...throughputRows(samples, 'sink', large),
      ...throughputRows(samples, 's3rver', large),
      ...cpuRows(samples, large),
      ...memoryRows(samples, small, large),
    ],
    notes: [
      `File: ${fmt(largeBytes / MiB)} MiB of emulator CSV (${large}); part size ${PART_SIZE / MiB} MiB, queue ` +
        `${QUEUE_SIZE} for the copy and the plain-Upload baseline alike; ${settings.repeats} interleaved runs per ` +
        "mode, median throughput. The CSV comes from the GrowingIO emulator's generator, rendered once to " +
        'bench/.tmp (gitignored, reused by the next run) and served from disk by bench/file-source.ts with ' +
        'Content-Length, ETag and Range as an object store serves it: generating it on the fly costs ~2 CPU-seconds ' +
        'per GiB on the same two cores the copy is measured on, which a real upstream does not.',
      'Each run is a fresh child process (bench/copy-child.ts, bundled); peak RSS is its `process.resourceUsage().maxRSS` ' +
        `(MB = 10^6 bytes): ${fmt(loaded, 0)} MB of it is Node with the modules loaded, before any byte moves; ` +
        `even raw fetch → discard peaks at ${fmt(rawFetch, 0)} MB, because V8 collects spent network buffers lazily. ` +
        'The copy adds its sha256 thread (~15-20 MB: a worker isolate running the 11 KB hash-worker script). ' +
        'Each S3 server runs in its own process (bench/s3-server-child.ts).',
      'copy = copySlice over the whole file in one call: node:http download copied once into reused 8 MiB ' +
        'SharedArrayBuffer parts, CSV record count as the bytes arrive (WebAssembly SIMD scan), sha256 on the hash ' +
        'thread (node:crypto) reading the parts in place, each part streamed to S3 by its UploadPart while it fills ' +
        '(UNSIGNED-PAYLOAD, 2 uploads at once), ListParts + CompleteMultipartUpload. sliced = the same in ' +
        `${SLICE_BYTES / MiB} MiB slices, each a new call resuming with Range from the checkpoint, hashing with ` +
        'the resumable wasm-sha256 (its state is saved between slices) on the hash thread. plain Upload = fetch → lib-storage Upload ' +
        '(no hashing or counting of its own; its SigV4 signer hashes every buffered part); raw fetch = fetch → discard.',
      `s3rver writes every part to disk and concatenates them on completion: it is the bottleneck ` +
        `(${fmt(s3rverCopy, 0)} MiB/s into s3rver vs ${fmt(sinkCopy, 0)} MiB/s into the discarding sink, bench/s3-sink.ts).`,
      'CPU is user + system time of the whole copying process, the hash thread included. The uninterrupted copy ' +
        'costs about what a plain Upload does: its record count (~0.6 s/GiB) and sha256 (~0.6 s/GiB) take the place ' +
        "of the signer's payload hash and of lib-storage's re-chunking. The sliced copy pays the resumable sha256, " +
        '~4× the CPU of node:crypto (`npm run bench -- hash`): no SHA-256 whose state can leave ' +
        "the process runs on the CPU's SHA extensions. On the hash thread that cost runs beside the download and the " +
        "uploads, so it bounds the sliced copy at one core's wasm-sha256 speed, which here shares two cores with the " +
        'file source and the S3 server; on Lambda the thread has a core of its own from 1,769 MB of memory.',
      `Each ${SLICE_BYTES / MiB} MiB slice also ends with its last part's upload and hash and starts with a new ranged ` +
        'request, which a 15-minute Lambda slice pays once, not every 16 MiB.',
    ],
  };
}
