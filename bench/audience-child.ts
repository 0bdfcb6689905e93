// One audience-sync bench step in a fresh process, so its peak RSS (resourceUsage().maxRSS) is its own.
import { hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { buildDelta } from '../lib/audience/delta.ts';
import { diffSorted } from '../lib/audience/diff.ts';
import { sortUnique } from '../lib/audience/external-sort.ts';
import { identifierNormaliser } from '../lib/audience/identifiers.ts';
import { readSnapshot, writeSnapshot } from '../lib/audience/snapshot.ts';

/** prepare: write the previous snapshot (untimed set-up); md5: the bare-loop baseline; core: normalise, hash,
 * sort, diff (the figure); delta: buildDelta end to end from a generated CSV, zips and snapshot discarded. */
export type AudienceMode = 'prepare' | 'md5' | 'core' | 'delta';

export interface AudienceSpec {
  mode: AudienceMode;
  ids: number;
  /** Phones [churn, ids + churn) are in the snapshot, [0, ids) are current: churn added and churn removed. */
  churn: number;
  snapshotPath: string;
  tempDir: string;
  maxInMemory: number;
}

export interface AudienceResult {
  mode: AudienceMode;
  seconds: number;
  maxRssKiB: number;
  counts: Record<string, number>;
}

// i ↦ i·K mod 10^10 is a bijection (K is prime to 10): distinct, scattered 11-digit mobiles without a Set.
const K_HIGH = 79_192;
const K_LOW = 37_541;
function phone(i: number): string {
  const high = ((i * K_HIGH) % 100_000) * 100_000;
  const digits = (high + i * K_LOW) % 10_000_000_000;
  return `1${String(digits).padStart(10, '0')}`;
}

/** The raw cell of phone i, in the formats an export carries (10 % with +86 and dashes, 10 % with 0086). */
function rawPhone(i: number): string {
  const p = phone(i);
  if (i % 10 === 0) return `+86 ${p.slice(0, 3)}-${p.slice(3, 7)}-${p.slice(7)}`;
  return i % 10 === 1 ? `0086${p}` : p;
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}

async function* hashedPhones(from: number, to: number): AsyncGenerator<string> {
  const normalise = identifierNormaliser('HASH_MOBILE_PHONE');
  for (const i of range(from, to)) {
    const result = normalise(rawPhone(i));
    if (result.ok) yield result.id;
  }
}

async function prepare(spec: AudienceSpec): Promise<Record<string, number>> {
  const sorted = await sortUnique(hashedPhones(spec.churn, spec.ids + spec.churn), spec);
  const written = await writeSnapshot(sorted, createWriteStream(spec.snapshotPath));
  return { snapshotIds: written.ids };
}

function md5Loop(spec: AudienceSpec): Record<string, number> {
  let check = 0;
  for (let i = 0; i < spec.ids; i++) check ^= hash('md5', rawPhone(i), 'hex').charCodeAt(0);
  return { check };
}

async function core(spec: AudienceSpec): Promise<Record<string, number>> {
  const sorted = await sortUnique(hashedPhones(0, spec.ids), spec);
  const counts = await diffSorted(sorted, readSnapshot(createReadStream(spec.snapshotPath)), {});
  return { ...counts, duplicates: sorted.stats.duplicates, runs: sorted.stats.runs };
}

async function* csvLines(ids: number): AsyncGenerator<string> {
  yield 'user_id,phone\n';
  let batch = '';
  for (const i of range(0, ids)) {
    batch += `u${i},"${rawPhone(i)}"\n`;
    if (batch.length >= 65_536) {
      yield batch;
      batch = '';
    }
  }
  yield batch;
}

const discard = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

async function delta(spec: AudienceSpec): Promise<Record<string, number>> {
  const report = await buildDelta({
    csvSources: [() => Readable.from(csvLines(spec.ids), { objectMode: false })],
    idColumn: 'phone',
    userIdType: 'HASH_MOBILE_PHONE',
    previousSnapshot: () => createReadStream(spec.snapshotPath),
    mode: 'delta',
    sinks: { append: discard, reduce: discard, snapshot: discard },
    limits: { maxFileBytes: 100_000_000, maxIdsInMemory: spec.maxInMemory, tempDir: spec.tempDir },
  });
  const { files, snapshot, ...counts } = report;
  return { ...counts, files: files.length, zipBytes: files.reduce((sum, file) => sum + file.bytes, 0) };
}

const STEPS: Record<AudienceMode, (spec: AudienceSpec) => Promise<Record<string, number>> | Record<string, number>> = {
  prepare,
  md5: md5Loop,
  core,
  delta,
};

const spec = JSON.parse(process.argv[2]!) as AudienceSpec;
const started = performance.now();
const counts = await STEPS[spec.mode](spec);
const result: AudienceResult = {
  mode: spec.mode,
  seconds: (performance.now() - started) / 1000,
  maxRssKiB: process.resourceUsage().maxRSS,
  counts,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
