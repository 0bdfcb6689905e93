// Bounded-memory sort + dedupe: sorted runs spilled to a temp dir as newline files, then a k-way merge.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLineWriter, readLineBatches } from './lines.ts';

export interface SortOptions {
  /** Ids held in memory before a sorted run is spilled (default 1,000,000). */
  maxInMemory?: number;
  /** Where runs are spilled (default os.tmpdir(): /tmp on Lambda, whose ephemeral storage must hold them all). */
  tempDir?: string;
}

export interface SortStats {
  /** Ids read from the input. */
  input: number;
  /** Repeats dropped so far (final once the sorted ids have been iterated to the end). */
  duplicates: number;
  /** Sorted runs spilled to disk (0 when everything fitted in memory). */
  runs: number;
}

/** Sorted unique ids; iterate once. `close()` removes temp files when the ids are not iterated to the end. */
export interface SortedIds extends AsyncIterable<string> {
  readonly stats: SortStats;
  close(): Promise<void>;
}

export const DEFAULT_MAX_IN_MEMORY = 1_000_000;

/** Sorts (code-unit order, as `<` compares) and removes repeats in place; returns how many were removed. */
function sortUniqueInPlace(ids: string[]): number {
  ids.sort();
  let kept = 0;
  for (let i = 0; i < ids.length; i++) {
    if (kept === 0 || ids[i] !== ids[kept - 1]) ids[kept++] = ids[i]!;
  }
  const removed = ids.length - kept;
  ids.length = kept;
  return removed;
}

async function spill(ids: readonly string[], path: string): Promise<void> {
  const writer = createLineWriter(createWriteStream(path));
  for (const id of ids) {
    const wait = writer.write(id);
    if (wait) await wait;
  }
  await writer.end();
}

/** Consumes every id, spilling sorted runs, then returns the merged, unique, sorted ids. */
export async function sortUnique(ids: AsyncIterable<string>, options: SortOptions = {}): Promise<SortedIds> {
  const maxInMemory = Math.max(1, options.maxInMemory ?? DEFAULT_MAX_IN_MEMORY);
  const stats: SortStats = { input: 0, duplicates: 0, runs: 0 };
  let dir: string | undefined;
  const runs: string[] = [];
  let buffer: string[] = [];
  try {
    for await (const id of ids) {
      buffer.push(id);
      stats.input++;
      if (buffer.length < maxInMemory) continue;
      stats.duplicates += sortUniqueInPlace(buffer);
      dir ??= await mkdtemp(join(options.tempDir ?? tmpdir(), 'audience-sort-'));
      const path = join(dir, `run-${runs.length}.txt`);
      runs.push(path);
      await spill(buffer, path);
      buffer = [];
    }
    stats.duplicates += sortUniqueInPlace(buffer);
  } catch (error) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  stats.runs = runs.length;
  return sortedIds(runs, buffer, stats, dir);
}

function sortedIds(runs: string[], memory: string[], stats: SortStats, dir: string | undefined): SortedIds {
  let used = false;
  const close = async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    memory.length = 0;
  };
  return {
    stats,
    close,
    async *[Symbol.asyncIterator]() {
      if (used) throw new Error('sorted ids can be iterated only once');
      used = true;
      try {
        const sources = [...runs.map((path) => readLineBatches(createReadStream(path))), arrayBatch(memory)];
        let previous: string | undefined;
        for await (const id of mergeSorted(sources)) {
          if (id === previous) {
            stats.duplicates++;
            continue;
          }
          previous = id;
          yield id;
        }
      } finally {
        await close();
      }
    },
  };
}

async function* arrayBatch(ids: string[]): AsyncGenerator<string[]> {
  if (ids.length > 0) yield ids;
}

/** One source's current batch of sorted lines; `value` is the line at `at`. */
interface Cursor {
  value: string;
  batch: string[];
  at: number;
  source: AsyncIterator<string[]>;
}

/** Moves to the next line, reading the next non-empty batch when needed; false when the source is done. */
async function advance(cursor: Cursor): Promise<boolean> {
  while (++cursor.at >= cursor.batch.length) {
    const next = await cursor.source.next();
    if (next.done) return false;
    cursor.batch = next.value;
    cursor.at = -1;
  }
  cursor.value = cursor.batch[cursor.at]!;
  return true;
}

/** k-way merge of sorted sources (each a series of line batches) through a binary min-heap of their heads.
 * Batches keep the per-line cost synchronous; repeats across sources are kept. */
export async function* mergeSorted(sources: AsyncIterable<string[]>[]): AsyncGenerator<string> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const heap: Cursor[] = [];
  try {
    for (const source of iterators) {
      const cursor: Cursor = { value: '', batch: [], at: -1, source };
      if (await advance(cursor)) heapPush(heap, cursor);
    }
    while (heap.length > 0) {
      const top = heap[0]!;
      yield top.value;
      let more = true;
      if (top.at + 1 < top.batch.length) top.value = top.batch[++top.at]!;
      else more = await advance(top);
      if (more) siftDown(heap, 0);
      else heapPop(heap);
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}

function heapPush(heap: Cursor[], head: Cursor): void {
  heap.push(head);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]!.value <= head.value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = head;
}

function heapPop(heap: Cursor[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  siftDown(heap, 0);
}

function siftDown(heap: Cursor[], start: number): void {
  const head = heap[start]!;
  let i = start;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= heap.length) break;
    if (child + 1 < heap.length && heap[child + 1]!.value < heap[child]!.value) child++;
    if (heap[child]!.value >= head.value) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = head;
}
