// sha256 speed: hash-wasm (resumable: its state can be saved between invocations) vs node:crypto, same 64 MiB.
import { createHash, randomBytes } from 'node:crypto';
import { createResumableSha256 } from '../lib/export/resumable-hash.ts';
import { type BenchResult, fmt, median, ratio } from './results.ts';

const MiB = 1024 * 1024;
const TOTAL = 64 * MiB;
const CHUNK = 64 * 1024; // the copy's Transform hands over 64 KiB chunks
const RUNS = 5;

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

async function hashWasm(data: Buffer): Promise<string> {
  const hasher = await createResumableSha256();
  for (let offset = 0; offset < data.length; offset += CHUNK) hasher.update(data.subarray(offset, offset + CHUNK));
  return hasher.digest();
}

export async function runHashBench(): Promise<BenchResult> {
  const data = randomBytes(TOTAL);
  if (nodeCrypto(data) !== (await hashWasm(data))) throw new Error('hash-wasm and node:crypto digests differ');
  const wasm: number[] = [];
  const native: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    native.push(await timeIt(nodeCrypto, data));
    wasm.push(await timeIt(hashWasm, data));
  }
  const hasher = await createResumableSha256();
  hasher.update(data.subarray(0, CHUNK));
  const state = hasher.save();
  return {
    name: 'hash',
    title: 'sha256: resumable hash-wasm vs node:crypto',
    rows: [
      {
        figure: `sha256 throughput, ${TOTAL / MiB} MiB in ${CHUNK / 1024} KiB chunks (median of ${RUNS})`,
        value: `hash-wasm ${fmt(median(wasm), 0)} MiB/s`,
        baseline: `node:crypto ${fmt(median(native), 0)} MiB/s`,
        ratio: ratio(median(wasm), median(native)),
        target: '–',
      },
      {
        figure: 'seconds per GiB hashed (one thread, wall clock)',
        value: `${fmt(1024 / median(wasm), 2)} s`,
        baseline: `${fmt(1024 / median(native), 2)} s`,
        ratio: ratio(median(native), median(wasm)),
        target: '–',
      },
      {
        figure: 'saved state (hashState)',
        value: `${state.length} base64 chars`,
        baseline: '–',
        ratio: '–',
        target: '–',
      },
    ],
    notes: [
      'Both hash the same random buffer in one process, interleaved runs. node:crypto uses the CPU’s SHA extensions where present; hash-wasm is portable WebAssembly.',
      'hash-wasm is what lets a copy stop at a part boundary and resume its sha256 in the next invocation (`lib/export/resumable-hash.ts`); its cost is paid on every byte of a resumable copy.',
    ],
  };
}
