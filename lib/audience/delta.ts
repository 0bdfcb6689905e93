// Builds one sync's upload files and new snapshot: CSV ids → normalise → sort/dedupe → diff → zips + snapshot.
import type { Writable } from 'node:stream';
import { type ByteSource, type CsvSource, type IdCounts, newIdCounts, readCsvIds } from './csv-ids.ts';
import { diffSorted } from './diff.ts';
import { type SortedIds, sortUnique } from './external-sort.ts';
import type { UserIdType } from './identifiers.ts';
import { createSnapshotWriter, readSnapshot, type SnapshotWriter } from './snapshot.ts';
import { createZipFilesWriter, type ZipFilesWriter, type ZipSinkFactory } from './zip-files.ts';

export type OperationType = 'APPEND' | 'REDUCE';

export interface DeltaSinks {
  /** Zip number `index` (0-based) of ids to add. */
  append: ZipSinkFactory;
  /** Zip number `index` (0-based) of ids to remove. */
  reduce: ZipSinkFactory;
  /** The new snapshot (gzip); written on every run, committed by the caller only after every file succeeded. */
  snapshot: () => Writable | Promise<Writable>;
}

export interface DeltaLimits {
  /** Largest zip (TENCENT_MAX_FILE_BYTES). */
  maxFileBytes: number;
  /** Ids sorted in memory before a run is spilled to `tempDir` (bounds memory; default 1,000,000). */
  maxIdsInMemory?: number;
  /** Where sorted runs are spilled (default os.tmpdir(): /tmp on Lambda). */
  tempDir?: string;
  zipLevel?: number;
}

export interface DeltaInput {
  csvSources: readonly CsvSource[];
  idColumn: string;
  userIdType: UserIdType;
  /** The last committed snapshot (gzip bytes); absent on the first run. */
  previousSnapshot?: ByteSource;
  /** `full`: every id as APPEND, the previous snapshot is not read. */
  mode: 'delta' | 'full';
  sinks: DeltaSinks;
  limits: DeltaLimits;
  /** Called when a phase starts and every `PROGRESS_ROWS` rows while reading. Counts only, never ids. */
  onProgress?: (progress: DeltaProgress) => void;
}

export interface DeltaProgress extends IdCounts {
  phase: 'reading' | 'diffing' | 'done';
}

export interface DeltaFile {
  operationType: OperationType;
  /** 0-based within its operation type. */
  index: number;
  lines: number;
  bytes: number;
}

export interface DeltaReport extends IdCounts {
  duplicateIds: number;
  added: number;
  removed: number;
  unchanged: number;
  files: DeltaFile[];
  snapshot: { ids: number; bytes: number };
}

const PROGRESS_ROWS = 100_000;

async function* emptyIds(): AsyncGenerator<string> {}

/** Both writes may need to wait; the diff awaits whatever is returned. */
const both = (a: undefined | Promise<void>, b: undefined | Promise<void>) =>
  a === undefined ? b : b === undefined ? a : Promise.all([a, b]);

async function* withProgress(ids: AsyncIterable<string>, counts: IdCounts, input: DeltaInput) {
  let next = PROGRESS_ROWS;
  for await (const id of ids) {
    yield id;
    if (counts.rows >= next) {
      next = counts.rows + PROGRESS_ROWS;
      input.onProgress?.({ phase: 'reading', ...counts });
    }
  }
}

interface Writers {
  append: ZipFilesWriter;
  reduce: ZipFilesWriter;
  snapshot: SnapshotWriter;
}

async function openWriters(input: DeltaInput): Promise<Writers> {
  const zip = (sink: ZipSinkFactory) =>
    createZipFilesWriter({ maxBytes: input.limits.maxFileBytes, sink, level: input.limits.zipLevel });
  return {
    append: zip(input.sinks.append),
    reduce: zip(input.sinks.reduce),
    snapshot: createSnapshotWriter(await input.sinks.snapshot()),
  };
}

async function diffInto(sorted: SortedIds, input: DeltaInput, writers: Writers) {
  const previous = input.mode === 'full' ? undefined : input.previousSnapshot;
  const before = previous === undefined ? emptyIds() : readSnapshot(await previous());
  const counts = await diffSorted(sorted, before, {
    added: (id) => both(writers.append.write(id), writers.snapshot.write(id)),
    removed: (id) => writers.reduce.write(id),
    unchanged: (id) => writers.snapshot.write(id),
  });
  const append = await writers.append.end();
  const reduce = await writers.reduce.end();
  const snapshot = await writers.snapshot.end();
  const files: DeltaFile[] = [
    ...append.map((file) => ({ operationType: 'APPEND' as const, ...file })),
    ...reduce.map((file) => ({ operationType: 'REDUCE' as const, ...file })),
  ];
  return { ...counts, files, snapshot };
}

export async function buildDelta(input: DeltaInput): Promise<DeltaReport> {
  const counts = newIdCounts();
  input.onProgress?.({ phase: 'reading', ...counts });
  const ids = readCsvIds({ sources: input.csvSources, idColumn: input.idColumn, userIdType: input.userIdType, counts });
  const sorted = await sortUnique(withProgress(ids, counts, input), {
    maxInMemory: input.limits.maxIdsInMemory,
    tempDir: input.limits.tempDir,
  });
  input.onProgress?.({ phase: 'diffing', ...counts });
  let writers: Writers | undefined;
  try {
    writers = await openWriters(input);
    const result = await diffInto(sorted, input, writers);
    input.onProgress?.({ phase: 'done', ...counts });
    return { ...counts, duplicateIds: sorted.stats.duplicates, ...result };
  } catch (error) {
    for (const writer of Object.values(writers ?? {})) writer.abort(error as Error);
    throw error;
  } finally {
    await sorted.close();
  }
}
