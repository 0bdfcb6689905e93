// sha256 speed: ours (sha256-wasm.ts via resumable-hash.ts: its state can be saved between invocations) vs hash-wasm
// (which it replaced, same state format) vs node:crypto, same 64 MiB; and the CSV record counter, the other per-byte
// cost of a copy, on emulator CSV.
import { createHash, randomBytes } from 'node:crypto';
import { createSHA256 } from 'hash-wasm';
import { CsvRecordCounter } from '../lib/export/csv-records.ts';
import { createResumableSha256 } from '../lib/export/resumable-hash.ts';
import { csvStream } from '../local/emulators/csv-generator.ts';
import { columnsFor } from '../local/emulators/growingio.ts';
import { type BenchResult, fmt, median, ratio } from './results.ts';

const MiB = 1024 * 1024;
const TOTAL = 64 * MiB;
const CHUNK = 64 * 1024; // the copy's Transform hands over 64 KiB chunks
const RUNS = 5;
const TARGET_OVER_HASH_WASM = 1.3;
const COPY_PART = 8 * MiB; // the copy counts records once per uploaded part
const CSV_ROW_BYTES = 123; // about the emulator's average row with the default columns

async function timeIt(hashAll: (data: Buffer) => Promise<string> | string, data: Buffer): Promise<number> {
  const started = performance.now();
  await hashAll(data);
  return TOTAL / MiB / ((performance.now() - started) / 1000);
}

function nodeCrypto(data: Buffer): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < data.length; offset += CHUNK) hash.update(data.subarray(offset, offset + CHUNK));
  return hash.digest('hex');
}

async function wasmSha256(data: Buffer): Promise<string> {
  const hasher = await createResumableSha256();
  for (let offset = 0; offset < data.length; offset += CHUNK) hasher.update(data.subarray(offset, offset + CHUNK));
  return hasher.digest();
}

async function hashWasm(data: Buffer): Promise<string> {
  const hasher = await createSHA256();
  for (let offset = 0; offset < data.length; offset += CHUNK) hasher.update(data.subarray(offset, offset + CHUNK));
  return hasher.digest('hex');
}

/** About TOTAL bytes of the GrowingIO emulator's CSV in one dialect, and its data row count. */
async function emulatorCsv(dialect: 'double' | 'backslash'): Promise<{ data: Buffer; rows: number }> {
  const rows = Math.ceil(TOTAL / CSV_ROW_BYTES);
  const chunks: Buffer[] = [];
  for await (const chunk of csvStream({ rows, escape: dialect }, columnsFor())) chunks.push(chunk as Buffer);
  return { data: Buffer.concat(chunks), rows };
}

/** Median MiB/s of CsvRecordCounter over `data` in copy-sized parts; checks the count every run. */
function countThroughput({ data, rows }: { data: Buffer; rows: number }): number {
  const speeds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const counter = new CsvRecordCounter();
    for (let offset = 0; offset < data.length; offset += COPY_PART) {
      counter.push(data.subarray(offset, offset + COPY_PART));
    }
    if (counter.finish() !== rows) throw new Error(`CsvRecordCounter miscounted the emulator CSV (${rows} rows)`);
    speeds.push(data.length / MiB / ((performance.now() - started) / 1000));
  }
  return median(speeds);
}

export async function runHashBench(): Promise<BenchResult> {
  const data = randomBytes(TOTAL);
  const digest = nodeCrypto(data);
  if (digest !== (await wasmSha256(data)) || digest !== (await hashWasm(data))) {
    throw new Error('wasm-sha256, hash-wasm and node:crypto digests differ');
  }
  const ours: number[] = [];
  const theirs: number[] = [];
  const native: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    native.push(await timeIt(nodeCrypto, data));
    ours.push(await timeIt(wasmSha256, data));
    theirs.push(await timeIt(hashWasm, data));
  }
  const hasher = await createResumableSha256();
  hasher.update(data.subarray(0, CHUNK));
  const state = hasher.save();
  const doubled = countThroughput(await emulatorCsv('double'));
  const backslashed = countThroughput(await emulatorCsv('backslash'));
  return {
    name: 'hash',
    title: 'sha256: resumable wasm-sha256 vs hash-wasm vs node:crypto; CSV record counting',
    rows: [
      {
        figure: `resumable sha256 throughput, ${TOTAL / MiB} MiB in ${CHUNK / 1024} KiB chunks (median of ${RUNS})`,
        value: `wasm-sha256 ${fmt(median(ours), 0)} MiB/s`,
        baseline: `hash-wasm ${fmt(median(theirs), 0)} MiB/s`,
        ratio: ratio(median(ours), median(theirs)),
        target: `≥ ${TARGET_OVER_HASH_WASM}×`,
        met: median(ours) >= TARGET_OVER_HASH_WASM * median(theirs),
      },
      {
        figure: 'against node:crypto (SHA extensions; its state cannot be saved)',
        value: `wasm-sha256 ${fmt(median(ours), 0)} MiB/s`,
        baseline: `node:crypto ${fmt(median(native), 0)} MiB/s`,
        ratio: ratio(median(ours), median(native)),
        target: '–',
      },
      {
        figure: 'seconds per GiB hashed (one thread, wall clock)',
        value: `${fmt(1024 / median(ours), 2)} s`,
        baseline: `${fmt(1024 / median(native), 2)} s (node:crypto)`,
        ratio: ratio(median(native), median(ours)),
        target: '–',
      },
      {
        figure: 'saved state (hashState)',
        value: `${state.length} base64 chars`,
        baseline: '–',
        ratio: '–',
        target: '–',
      },
      {
        figure: `CSV record count throughput, ${TOTAL / MiB} MiB of emulator CSV in ${COPY_PART / MiB} MiB parts (median of ${RUNS})`,
        value: `${fmt(doubled, 0)} MiB/s doubled quotes, ${fmt(backslashed, 0)} MiB/s backslash escapes`,
        baseline: '–',
        ratio: '–',
        target: '–',
      },
    ],
    notes: [
      'All three hash the same random buffer in one process, interleaved runs. node:crypto uses the CPU’s SHA extensions where present; wasm-sha256 (`lib/export/sha256-wasm.ts`: SIMD message schedule interleaved with fully unrolled scalar rounds) and hash-wasm 4.13 (compiled C) are portable WebAssembly.',
      'The resumable sha256 is what lets a copy stop at a part boundary and resume its sha256 in the next invocation (`lib/export/resumable-hash.ts`); its cost is paid on every byte of a resumable copy. Its saved state is hash-wasm’s byte for byte, so checkpoints move between the two.',
      'CSV record counting (`lib/export/csv-records.ts`) runs as a WebAssembly SIMD scan (`csv-scan.ts`). Before it, the indexOf-based loop measured 622 MiB/s on doubled-quote and 530 MiB/s on backslash-escaped emulator CSV with this harness on the 2-core dev machine under load (new: 1785 and 1674 MiB/s in the same comparison; about 900 MiB/s before on an idle machine).',
    ],
  };
}
