import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { writeZipFiles } from '../../lib/audience/zip-files.ts';

/** In-memory sinks, one per zip index. */
function memorySinks() {
  const files: Buffer[][] = [];
  const sink = (index: number) => {
    files[index] = [];
    return new Writable({
      write(chunk, _encoding, done) {
        files[index]!.push(Buffer.from(chunk));
        done();
      },
    });
  };
  return { sink, zips: () => files.map((chunks) => Buffer.concat(chunks)) };
}

/** The lines of the single `.txt` inside a zip, checked to be the only entry and LF-terminated. */
function linesOf(zip: Buffer, name?: string): string[] {
  const entries = unzipSync(zip);
  const names = Object.keys(entries);
  expect(names).toHaveLength(1);
  if (name) expect(names[0]).toBe(name);
  const text = Buffer.from(entries[names[0]!]!).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  expect(text).not.toContain('\r');
  return text.slice(0, -1).split('\n');
}

const hexIds = (count: number) => Array.from({ length: count }, () => randomBytes(16).toString('hex'));

describe('writeZipFiles', () => {
  it('round-trips ids through one zip when they fit', async () => {
    const ids = hexIds(1000);
    const { sink, zips } = memorySinks();
    const files = await writeZipFiles(ids, { maxBytes: 100 * 1024 * 1024, sink });
    expect(files).toEqual([{ index: 0, lines: 1000, bytes: zips()[0]!.length }]);
    expect(linesOf(zips()[0]!, 'ids-00001.txt')).toEqual(ids);
  });

  it('writes no file at all for no ids', async () => {
    const { sink, zips } = memorySinks();
    expect(await writeZipFiles([], { maxBytes: 4096, sink })).toEqual([]);
    expect(zips()).toEqual([]);
  });

  it.each([
    ['md5-like hex ids', () => hexIds(3000)],
    [
      'incompressible-ish ids (random base64)',
      () => Array.from({ length: 2000 }, () => randomBytes(30).toString('base64')),
    ],
  ])('splits %s exactly: every zip ≤ 4 KB, well filled, nothing lost or repeated', async (_name, make) => {
    const ids = make();
    const maxBytes = 4096;
    const { sink, zips } = memorySinks();
    const files = await writeZipFiles(ids, { maxBytes, sink });
    const written = zips();
    expect(files.length).toBeGreaterThan(10);
    expect(written).toHaveLength(files.length);
    for (const [i, file] of files.entries()) {
      expect(file.index).toBe(i);
      expect(file.bytes).toBe(written[i]!.length);
      expect(file.bytes).toBeLessThanOrEqual(maxBytes);
      // The bound is exact enough to fill each zip (the last one holds the rest).
      if (i < files.length - 1) expect(file.bytes).toBeGreaterThan(maxBytes * 0.7);
    }
    const lines = written.flatMap((zip) => linesOf(zip));
    expect(lines).toEqual(ids);
    expect(files.reduce((sum, file) => sum + file.lines, 0)).toBe(ids.length);
  });

  it('property: any limit and any mix of ids: every zip within the limit, every id once, in order', async () => {
    const id = fc.oneof(
      fc.string({ unit: fc.constantFrom('0', '1', 'a'), minLength: 1, maxLength: 40 }),
      fc.uint8Array({ minLength: 1, maxLength: 60 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(id, { maxLength: 400 }), fc.integer({ min: 400, max: 6000 }), async (ids, maxBytes) => {
        const { sink, zips } = memorySinks();
        const files = await writeZipFiles(ids, { maxBytes, sink, level: 9 });
        for (const file of files) expect(file.bytes).toBeLessThanOrEqual(maxBytes);
        expect(zips().flatMap((zip) => linesOf(zip))).toEqual(ids);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a large, compressible file under 1 MiB and compresses it', async () => {
    const ids = hexIds(60_000); // ~2 MB of text
    const { sink, zips } = memorySinks();
    const files = await writeZipFiles(ids, { maxBytes: 1024 * 1024, sink });
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) expect(file.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(files[0]!.bytes).toBeGreaterThan(0.99 * 1024 * 1024);
    const zipped = files.reduce((sum, file) => sum + file.bytes, 0);
    expect(zipped).toBeLessThan(0.7 * ids.length * 33);
    expect(zips().flatMap((zip) => linesOf(zip))).toEqual(ids);
  });

  it('refuses a limit that cannot hold one id', async () => {
    const { sink } = memorySinks();
    await expect(writeZipFiles(['a'], { maxBytes: 100, sink })).rejects.toThrow(/cannot hold/);
  });

  it('fails when a sink fails', async () => {
    const sink = () =>
      new Writable({
        write(_chunk, _encoding, done) {
          done(new Error('disk full'));
        },
      });
    await expect(writeZipFiles(hexIds(10_000), { maxBytes: 1 << 20, sink })).rejects.toThrow('disk full');
  });
});
