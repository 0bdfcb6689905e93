import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type CsvFileSpec, csvByteLength, csvStream, describeCsv } from '../../local/emulators/csv-generator.ts';
import { prng } from '../../local/emulators/prng.ts';

const COLUMNS = ['user_id', 'open_id', 'user_name', 'role', 'city', 'phone', 'address', 'remark', 'mystery'];

async function collect(spec: CsvFileSpec, columns = COLUMNS, start = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of csvStream(spec, columns, start)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Minimal RFC 4180 reader (written for the test): records as arrays of fields. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

describe('csv generator', () => {
  it('writes a header plus the requested rows with realistic, quoted content', async () => {
    const text = (await collect({ rows: 500, seed: 3 })).toString('utf8');
    const records = parseCsv(text);
    expect(records[0]).toEqual(COLUMNS);
    expect(records).toHaveLength(501);
    expect(records.every((r) => r.length === COLUMNS.length)).toBe(true);
    expect(new Set(records.slice(1).map((r) => r[0])).size).toBe(500);
    expect(records.slice(1).every((r) => /^[0-9a-f]{16}$/.test(r[0]!))).toBe(true);
    expect(text).toMatch(/[\u4e00-\u9fff]/);
    expect(records.some((r) => r[6]!.includes('\n') && r[6]!.includes(','))).toBe(true);
    expect(records.some((r) => r[3]!.includes('"'))).toBe(true);
    expect(text.split('\n').length - 1).toBeGreaterThan(501); // quoted newlines: more lines than records
  });

  it('is deterministic per seed and differs across seeds', async () => {
    const a = await collect({ rows: 300, seed: 11 });
    expect((await collect({ rows: 300, seed: 11 })).equals(a)).toBe(true);
    expect((await collect({ rows: 300, seed: 12 })).equals(a)).toBe(false);
  });

  it('adds a UTF-8 BOM and CRLF record endings when asked', async () => {
    const bytes = await collect({ rows: 20, seed: 1, bom: true, crlf: true });
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.startsWith(`${COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(parseCsv(text)).toHaveLength(21);
  });

  it('knows its exact byte length without generating the file', async () => {
    for (const spec of [{ rows: 0 }, { rows: 1, bom: true }, { rows: 4321, seed: 9, crlf: true }]) {
      expect(csvByteLength(spec, COLUMNS)).toBe((await collect(spec)).length);
    }
  });

  it('describes bytes, sha256 and rows (header excluded) of the stream', async () => {
    const spec = { rows: 777, seed: 5, bom: true };
    const bytes = await collect(spec);
    expect(await describeCsv(spec, COLUMNS)).toEqual({
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      rows: 777,
    });
  });

  // Its speed is a benchmark figure, not a unit assertion: bench/copy.ts streams the emulator's files (this generator)
  // into a sink and reports the throughput.
  it('streams large files in bounded chunks', async () => {
    const spec = { rows: 400_000, seed: 2 };
    let bytes = 0;
    let largest = 0;
    for await (const chunk of csvStream(spec, COLUMNS)) {
      bytes += (chunk as Buffer).length;
      largest = Math.max(largest, (chunk as Buffer).length);
    }
    expect(bytes).toBe(csvByteLength(spec, COLUMNS));
    expect(largest).toBeLessThan(1024 * 1024);
  });

  it('streams from any byte offset exactly the tail of the whole file', async () => {
    const spec = { rows: 9000, seed: 3, bom: true, escape: 'backslash' as const };
    const whole = await collect(spec);
    const starts = [0, 1, 3, 50, 51, 262_143, 262_144, 262_145, whole.length - 1, whole.length, whole.length + 9];
    const next = prng(77);
    for (let i = 0; i < 20; i++) starts.push(next() % whole.length);
    for (const start of starts) expect((await collect(spec, COLUMNS, start)).equals(whole.subarray(start))).toBe(true);
  });

  it('seeks past many rows (beyond its seek marks) to exactly the tail, also at a mark-aligned row count', async () => {
    const columns = ['user_id', 'phone'];
    const next = prng(91);
    for (const rows of [131_072, 140_001]) {
      const spec = { rows, seed: 5 };
      const whole = await collect(spec, columns);
      const starts = [whole.length - 1, whole.length - 40, whole.length];
      for (let i = 0; i < 12; i++) starts.push(next() % whole.length);
      for (const start of starts)
        expect((await collect(spec, columns, start)).equals(whole.subarray(start))).toBe(true);
    }
  });

  it('starts its PRNG at any output in O(1)', () => {
    const walked = prng(123);
    const outputs = Array.from({ length: 5000 }, () => walked());
    for (const skip of [0, 1, 999, 4999]) expect(prng(123, skip)()).toBe(outputs[skip]);
  });

  it('makes another version of a file with the same length and different bytes', async () => {
    const spec = { rows: 1000, seed: 6 };
    const [first, second] = await Promise.all([collect(spec), collect({ ...spec, version: 1 })]);
    expect(second.length).toBe(first.length);
    expect(second.equals(first)).toBe(false);
    expect(csvByteLength({ ...spec, version: 1 }, COLUMNS)).toBe(first.length);
    expect((await describeCsv({ ...spec, version: 1 }, COLUMNS)).sha256).not.toBe(
      (await describeCsv(spec, COLUMNS)).sha256,
    );
  });

  it('requires user_id as the first column', () => {
    expect(() => csvStream({ rows: 1 }, ['open_id'])).toThrow(RangeError);
  });
});
