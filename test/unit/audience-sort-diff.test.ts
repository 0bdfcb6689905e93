import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSorted } from '../../lib/audience/diff.ts';
import { UnsortedIds } from '../../lib/audience/errors.ts';
import { sortUnique } from '../../lib/audience/external-sort.ts';
import { readSnapshot, writeSnapshot } from '../../lib/audience/snapshot.ts';

async function* from<T>(values: Iterable<T>): AsyncGenerator<T> {
  yield* values;
}

async function collect<T>(values: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of values) out.push(value);
  return out;
}

const sortedUnique = (values: string[]) => [...new Set(values)].sort();

let tempDir: string;
beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'audience-sort-test-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

describe('sortUnique', () => {
  it('property: equals the sorted unique input, with tiny runs forcing many spills; temp files removed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ maxLength: 6 }).filter((s) => !s.includes('\n')),
          { maxLength: 300 },
        ),
        fc.integer({ min: 1, max: 7 }),
        async (input, maxInMemory) => {
          const sorted = await sortUnique(from(input), { maxInMemory, tempDir });
          expect(sorted.stats.runs).toBe(Math.floor(input.length / maxInMemory));
          const output = await collect(sorted);
          expect(output).toEqual(sortedUnique(input));
          expect(sorted.stats.duplicates).toBe(input.length - output.length);
          expect(sorted.stats.input).toBe(input.length);
          expect(await readdir(tempDir)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('removes its temp files when the input fails, and on close() without iterating', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield* ['b', 'a', 'c', 'd'];
      throw new Error('read failed');
    }
    await expect(sortUnique(failing(), { maxInMemory: 1, tempDir })).rejects.toThrow('read failed');
    expect(await readdir(tempDir)).toEqual([]);

    const sorted = await sortUnique(from(['b', 'a', 'c']), { maxInMemory: 1, tempDir });
    expect(await readdir(tempDir)).toHaveLength(1);
    await sorted.close();
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('removes its temp files when the consumer stops early', async () => {
    const sorted = await sortUnique(from(['d', 'c', 'b', 'a']), { maxInMemory: 2, tempDir });
    for await (const id of sorted) if (id === 'b') break;
    expect(await readdir(tempDir)).toEqual([]);
  });
});

describe('diffSorted', () => {
  const ids = fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 80 }).map((values) => values.sort());

  it('property: added ∪ unchanged = now, removed ∪ unchanged = before, each id once', async () => {
    await fc.assert(
      fc.asyncProperty(ids, ids, async (now, before) => {
        const added: string[] = [];
        const removed: string[] = [];
        const unchanged: string[] = [];
        const counts = await diffSorted(from(now), from(before), {
          added: (id) => added.push(id),
          removed: async (id) => removed.push(id), // an async sink is awaited
          unchanged: (id) => unchanged.push(id),
        });
        expect([...added, ...unchanged].sort()).toEqual(now);
        expect([...removed, ...unchanged].sort()).toEqual(before);
        expect(added.filter((id) => before.includes(id))).toEqual([]);
        expect(removed.filter((id) => now.includes(id))).toEqual([]);
        expect(counts).toEqual({ added: added.length, removed: removed.length, unchanged: unchanged.length });
      }),
    );
  });

  it('refuses an unsorted or repeating side, naming the side and position only', async () => {
    const error = await diffSorted(from(['a', 'b']), from(['13800138000', '13800138000']), {}).catch((e) => e);
    expect(error).toBeInstanceOf(UnsortedIds);
    expect(error.message).toBe('snapshot ids are not sorted and unique at position 2');
    await expect(diffSorted(from(['b', 'a']), from([]), {})).rejects.toThrow('current ids are not sorted');
  });
});

describe('snapshot', () => {
  it('round-trips ids through gzip, streaming', async () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => `id-${String(i).padStart(6, '0')}`);
    const target = new PassThrough();
    const chunks: Buffer[] = [];
    target.on('data', (chunk: Buffer) => chunks.push(chunk));
    const written = await writeSnapshot(from(ids), target);
    expect(written).toEqual({ ids: ids.length, bytes: ids.length * 10 });
    const gz = Buffer.concat(chunks);
    expect(gz.length).toBeLessThan(written.bytes / 4);
    expect(await collect(readSnapshot(Readable.from([gz.subarray(0, 7), gz.subarray(7)])))).toEqual(ids);
  });

  it('reads an empty snapshot and a gzip file without a final newline', async () => {
    expect(await collect(readSnapshot(from([gzipSync('')])))).toEqual([]);
    expect(await collect(readSnapshot(from([gzipSync('a\nb')])))).toEqual(['a', 'b']);
  });

  it('fails on a corrupt snapshot', async () => {
    await expect(collect(readSnapshot(from([Buffer.from('not gzip')])))).rejects.toThrow();
  });
});
