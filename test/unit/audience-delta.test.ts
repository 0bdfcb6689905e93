import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDelta, type DeltaInput, type DeltaProgress } from '../../lib/audience/delta.ts';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

let tempDir: string;
beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'audience-delta-test-'));
});
afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

function memory() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

function memorySinks() {
  const append: ReturnType<typeof memory>[] = [];
  const reduce: ReturnType<typeof memory>[] = [];
  const snapshot = memory();
  const open = (list: ReturnType<typeof memory>[]) => (index: number) => {
    list[index] = memory();
    return list[index]!.stream;
  };
  const unzip = (list: ReturnType<typeof memory>[]) =>
    list.flatMap(({ bytes }) =>
      Object.values(unzipSync(bytes())).flatMap((entry) => Buffer.from(entry).toString().trimEnd().split('\n')),
    );
  return {
    sinks: { append: open(append), reduce: open(reduce), snapshot: () => snapshot.stream },
    appended: () => unzip(append),
    reduced: () => unzip(reduce),
    snapshot: () => snapshot.bytes(),
  };
}

const csv = (phones: string[]) => `name,phone\n${phones.map((phone, i) => `n${i},"${phone}"`).join('\n')}\n`;

async function* bytes(data: string | Buffer): AsyncGenerator<Uint8Array> {
  yield Buffer.from(data);
}

async function run(files: string[], previous?: Buffer, extra: Partial<DeltaInput> = {}) {
  const out = memorySinks();
  const report = await buildDelta({
    csvSources: files.map((text) => () => bytes(text)),
    idColumn: 'phone',
    userIdType: 'HASH_MOBILE_PHONE',
    previousSnapshot: previous && (() => bytes(previous)),
    mode: 'delta',
    sinks: out.sinks,
    limits: { maxFileBytes: 1 << 20, maxIdsInMemory: 3, tempDir },
    ...extra,
  });
  const snapshotIds = gunzipSync(out.snapshot()).toString().trimEnd().split('\n').filter(Boolean);
  return { report, appended: out.appended(), reduced: out.reduced(), snapshotIds, snapshot: out.snapshot() };
}

const phone = (n: number) => `138${String(n).padStart(8, '0')}`;
const hashed = (ns: number[]) => ns.map((n) => md5(phone(n))).sort();

describe('buildDelta', () => {
  it('first run: every valid id once as APPEND; second: exactly the changes; third: nothing', async () => {
    const first = await run([csv([phone(1), `+86 ${phone(2)}`, '', 'not-a-phone']), csv([phone(3), phone(1)])]);
    expect(first.report).toMatchObject({
      rows: 6,
      validIds: 4,
      invalidIds: 1,
      emptyIds: 1,
      duplicateIds: 1,
      added: 3,
      removed: 0,
      unchanged: 0,
      snapshot: { ids: 3, bytes: 99 },
    });
    expect(first.report.files).toEqual([expect.objectContaining({ operationType: 'APPEND', index: 0, lines: 3 })]);
    expect(first.appended.sort()).toEqual(hashed([1, 2, 3]));
    expect(first.snapshotIds).toEqual(hashed([1, 2, 3]));

    const second = await run([csv([phone(3), phone(4), phone(1)])], first.snapshot);
    expect(second.report).toMatchObject({ added: 1, removed: 1, unchanged: 2 });
    expect(second.report.files.map((file) => [file.operationType, file.lines])).toEqual([
      ['APPEND', 1],
      ['REDUCE', 1],
    ]);
    expect(second.appended).toEqual(hashed([4]));
    expect(second.reduced).toEqual(hashed([2]));
    expect(second.snapshotIds).toEqual(hashed([1, 3, 4]));

    const third = await run([csv([phone(4), phone(1), phone(3)])], second.snapshot);
    expect(third.report).toMatchObject({ added: 0, removed: 0, unchanged: 3, files: [] });
    expect(third.snapshotIds).toEqual(second.snapshotIds);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('full mode appends every id and does not read the snapshot', async () => {
    const full = await run([csv([phone(1), phone(5)])], Buffer.from('not even gzip'), { mode: 'full' });
    expect(full.report).toMatchObject({ added: 2, removed: 0, unchanged: 0 });
    expect(full.appended.sort()).toEqual(hashed([1, 5]));
  });

  it('splits big deltas into several zips and reports progress counts', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => phone(i));
    const progress: DeltaProgress[] = [];
    const result = await run([csv(many)], undefined, {
      limits: { maxFileBytes: 16 * 1024, maxIdsInMemory: 500, tempDir },
      onProgress: (p) => progress.push(p),
    });
    expect(result.report.files.length).toBeGreaterThan(3);
    for (const file of result.report.files) expect(file.bytes).toBeLessThanOrEqual(16 * 1024);
    expect(result.appended.sort()).toEqual(hashed(many.map((_, i) => i)));
    expect(progress.map((p) => p.phase)).toEqual(['reading', 'diffing', 'done']);
    expect(progress.at(-1)).toMatchObject({ rows: 3000, validIds: 3000 });
  });

  it('never puts an identifier into an error, and cleans up on failure', async () => {
    const secret = '13912345678';
    // A record that never closes its quote runs into the record-size limit: the parser's own message quotes it.
    const broken = `phone\n${secret}\n"${secret}${'x'.repeat(1_100_000)}\n`;
    const error = await run([broken]).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const shown = JSON.stringify({
      ...(error as Error),
      message: (error as Error).message,
      stack: (error as Error).stack,
    });
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(md5(secret));
    expect((error as Error).cause).toBeUndefined();
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('fails when a sink fails, removing its temp files', async () => {
    const failing = () =>
      new Writable({
        write(_chunk, _encoding, done) {
          done(new Error('upload failed'));
        },
      });
    const sinks = { ...memorySinks().sinks, append: failing };
    const input = Array.from({ length: 50 }, (_, i) => phone(i));
    await expect(run([csv(input)], undefined, { sinks })).rejects.toThrow('upload failed');
    expect(await readdir(tempDir)).toEqual([]);
  });
});
