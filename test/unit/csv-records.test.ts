import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../lib/errors.ts';
import { CsvRecordCounter, type CsvRowState } from '../../lib/export/csv-records.ts';
import { csvStream } from '../../local/emulators/csv-generator.ts';
import { columnsFor } from '../../local/emulators/growingio.ts';

const encoder = new TextEncoder();
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

function bytesOf(text: string, bom = false): Uint8Array {
  const body = encoder.encode(text);
  if (!bom) return body;
  const out = new Uint8Array(BOM.length + body.length);
  out.set(BOM);
  out.set(body, BOM.length);
  return out;
}

function count(chunks: Uint8Array[]): number {
  const counter = new CsvRecordCounter();
  for (const chunk of chunks) counter.push(chunk);
  return counter.finish();
}

/** Counts the first `resumeAfter` chunks, saves the state through JSON, and finishes with a loaded counter. */
function countResumed(chunks: Uint8Array[], resumeAfter: number): number {
  const first = new CsvRecordCounter();
  for (const chunk of chunks.slice(0, resumeAfter)) first.push(chunk);
  const rowState: unknown = JSON.parse(JSON.stringify(first.save()));
  const second = CsvRecordCounter.load(rowState);
  for (const chunk of chunks.slice(resumeAfter)) second.push(chunk);
  return second.finish();
}

/**
 * The documented rules one byte at a time, on the saved-state shape itself: the reference the counter's states
 * must equal at every chunk end. The former indexOf-based counter passed the same tests, so the checkpoints it
 * wrote load and continue unchanged.
 */
function referenceStep(from: CsvRowState, bytes: Uint8Array): CsvRowState {
  let { records, mode, content, bytes: offset, bomPending } = from;
  const endRecord = (counted: boolean) => {
    if (counted) records++;
    content = false;
    mode = 0;
  };
  for (const byte of bytes) {
    offset++;
    if (bomPending) {
      if (byte === BOM[offset - 1]) {
        bomPending = offset < BOM.length;
        continue;
      }
      bomPending = false;
      if (offset > 1) [content, mode] = [true, 1];
    }
    const lineBreak = byte === 0x0a || byte === 0x0d;
    if (mode === 2) mode = byte === 0x22 ? 3 : byte === 0x5c ? 4 : 2;
    else if (mode === 4) mode = 2;
    else if (mode === 3 && lineBreak) endRecord(true);
    else if (mode === 3) mode = byte === 0x22 ? 2 : byte === 0x2c ? 0 : 1;
    else if (lineBreak) endRecord(content);
    else {
      mode = byte === 0x2c ? 0 : byte === 0x22 && mode === 0 ? 2 : 1;
      content = true;
    }
  }
  return { records, mode, content, bytes: offset, bomPending };
}

function countText(text: string, bom = false): number {
  return count([bytesOf(text, bom)]);
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe('CsvRecordCounter', () => {
  it.each([
    ['empty file', '', 0],
    ['header only with newline', 'id,name\n', 0],
    ['header only without newline', 'id,name', 0],
    ['plain LF rows', 'id,name\n1,a\n2,b\n', 2],
    ['no trailing newline', 'id,name\n1,a\n2,b', 2],
    ['CRLF rows', 'id,name\r\n1,a\r\n2,b\r\n', 2],
    ['CRLF without trailing newline', 'id,name\r\n1,a\r\n2,b', 2],
    ['lone CR line ends', 'id,name\r1,a\r2,b\r', 2],
    ['quoted LF is one record', 'id,note\n1,"line one\nline two"\n2,x\n', 2],
    ['quoted CRLF is one record', 'id,note\r\n1,"a\r\nb\r\nc"\r\n', 1],
    ['escaped quotes', 'id,note\n1,"say ""hi"", then\nleave"\n2,"""quoted"""\n', 2],
    ['empty quoted field', 'id,note\n1,""\n2,""""\n', 2],
    ['blank lines are not records', 'id\n\n1\n\n\n2\n\n', 2],
    ['commas only count as content', 'a,b\n,\n', 1],
    ['stray quote inside an unquoted field is literal', 'id,n\n1,ab"c\n2,d\n', 2],
    ['unterminated quote at end of file still counts', 'id,n\n1,"open\n', 1],
    ['multibyte UTF-8', 'id,名字\n1,张三\n2,"李\n四"\n', 2],
    ['backslash-escaped quote then a line break stays in the field', 'id,n\n1,"say \\"\nhi\\""\n2,x\n', 2],
    ['escaped backslash before the closing quote', 'id,n\n1,"C:\\\\dir\\\\"\n2,x\n', 2],
    ['backslash escapes any byte inside quotes', 'id,n\n1,"a\\,b\\\nc"\n2,x\n', 2],
    ['backslash outside quotes is data', 'id,n\n1,a\\\n2,b\\"c\n', 2],
    ['both escapes in one field', 'id,n\n1,"a""b\\"\nc"\n', 1],
    ['backslash as the last byte of the file', 'id,n\n1,"a\\', 1],
  ])('%s', (_name, text, expected) => {
    expect(countText(text)).toBe(expected);
  });

  it('ignores a UTF-8 BOM, whole or split, and counts a BOM-only file as empty', () => {
    expect(countText('id,name\n1,a\n', true)).toBe(1);
    expect(countText('"id",name\n1,a\n', true)).toBe(1);
    expect(countText('', true)).toBe(0);
    const bytes = bytesOf('"id"\n"1"\n', true);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(count(splitAt(bytes, [cut]))).toBe(1);
    }
    expect(count([BOM.subarray(0, 1), BOM.subarray(1, 2), BOM.subarray(2), encoder.encode('h\nr\n')])).toBe(1);
  });

  it('treats a broken BOM prefix as content', () => {
    expect(count([new Uint8Array([0xef, 0x41, 0x0a, 0x31, 0x0a])])).toBe(1);
    expect(count([new Uint8Array([0xef]), new Uint8Array([0x0a, 0x31, 0x0a, 0x32])])).toBe(2);
  });

  it('gives the same count for every one- and two-point split of a tricky sample', () => {
    const sample = bytesOf('id,"no\r\nte",x\r\n1,"a ""b""\nc",\r\n2,"",""""\r\n\r\n3,plain,"q,q"\n4,"\r"', true);
    const expected = 4;
    expect(count([sample])).toBe(expected);
    for (let a = 0; a <= sample.length; a++) {
      expect(count(splitAt(sample, [a]))).toBe(expected);
      for (let b = a; b <= sample.length; b++) expect(count(splitAt(sample, [a, b]))).toBe(expected);
    }
    const oneByteChunks = Array.from(sample, (byte) => new Uint8Array([byte]));
    expect(count(oneByteChunks)).toBe(expected);
  });

  it('matches generated RFC 4180 files under arbitrary chunking (property)', () => {
    const field = fc.string({
      unit: fc.constantFrom('a', 'Z', '9', ',', '"', '\n', '\r', ' ', 'é', '用'),
      maxLength: 6,
    });
    const record = fc.array(field, { minLength: 1, maxLength: 4 });
    const quote = (value: string) =>
      /[",\r\n]/.test(value) || value === '' ? `"${value.replaceAll('"', '""')}"` : value;
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (records, eol, trailing, bom, rawCuts) => {
          const text = records.map((fields) => fields.map(quote).join(',')).join(eol) + (trailing ? eol : '');
          const bytes = bytesOf(text, bom);
          const cuts = rawCuts.map((cut) => cut % (bytes.length + 1));
          expect(count(splitAt(bytes, cuts))).toBe(records.length - 1);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives the same count for every split and every resume point of a backslash-escaped sample', () => {
    const sample = bytesOf('id,"a\\"\r\nb"\n1,"x\\\\","\\"""\n2,"\\\\\\"\n",\\z\n3,"\\\n"\n', true);
    const expected = 3;
    expect(count([sample])).toBe(expected);
    for (let a = 0; a <= sample.length; a++) {
      expect(count(splitAt(sample, [a]))).toBe(expected);
      expect(countResumed(splitAt(sample, [a]), 1)).toBe(expected);
      for (let b = a; b <= sample.length; b++) expect(countResumed(splitAt(sample, [a, b]), 2)).toBe(expected);
    }
  });

  it('saves a small JSON state and refuses a malformed one, naming the field', () => {
    const counter = new CsvRecordCounter();
    counter.push(encoder.encode('id,n\n1,"open \\'));
    const state = counter.save();
    expect(state).toEqual({ records: 1, mode: 4, content: true, bytes: 14, bomPending: false });
    expect(JSON.stringify(state).length).toBeLessThan(100);
    const resumed = CsvRecordCounter.load(state);
    resumed.push(encoder.encode('"still open"\n2,x\n'));
    expect(resumed.finish()).toBe(2);
    for (const [bad, field] of [
      [{ ...state, records: -1 }, 'rowState.records'],
      [{ ...state, mode: 9 }, 'rowState.mode'],
      [{ ...state, content: 'yes' }, 'rowState.content'],
      [{ ...state, bytes: 10, bomPending: true }, 'rowState.bomPending'],
      [{ ...state, extra: 1 }, 'rowState.extra'],
      [null, 'rowState'],
    ] as const) {
      const error = (() => {
        try {
          CsvRecordCounter.load(bad);
        } catch (caught) {
          return caught as BadRequest;
        }
        throw new Error('expected load to refuse');
      })();
      expect(error).toBeInstanceOf(BadRequest);
      expect(error.errors.map((entry) => entry.field)).toContain(field);
    }
    expect(() => resumed.save()).toThrow(/after finish/);
  });

  it.each([
    ['RFC 4180 (doubled quotes)', 'rfc'],
    ['GrowingIO (backslash escape)', 'backslash'],
  ] as const)('matches csv-parse on generated %s files under any chunking and resume (property)', (_name, dialect) => {
    const units = ['a', 'Z', '9', ',', '"', '\n', '\r', ' ', 'é', '用', ...(dialect === 'backslash' ? ['\\'] : [])];
    const field = fc.record({
      value: fc.string({ unit: fc.constantFrom(...units), maxLength: 6 }),
      forceQuote: fc.boolean(),
    });
    const quote = ({ value, forceQuote }: { value: string; forceQuote: boolean }) => {
      if (!forceQuote && value !== '' && !/[",\r\n]/.test(value)) return value;
      const inner = dialect === 'rfc' ? value.replaceAll('"', '""') : value.replace(/[\\"]/g, (c) => `\\${c}`);
      return `"${inner}"`;
    };
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.nat(),
        (records, eol, trailing, bom, rawCuts, rawResume) => {
          const text = records.map((fields) => fields.map(quote).join(',')).join(eol) + (trailing ? eol : '');
          const bytes = bytesOf(text, bom);
          const parsed: unknown[] = parse(Buffer.from(bytes), {
            bom: true,
            escape: dialect === 'rfc' ? '"' : '\\',
            record_delimiter: eol,
            relax_column_count: true,
            skip_empty_lines: true,
          });
          const expected = Math.max(0, parsed.length - 1);
          const chunks = splitAt(
            bytes,
            rawCuts.map((cut) => cut % (bytes.length + 1)),
          );
          expect(count(chunks)).toBe(expected);
          expect(countResumed(chunks, rawResume % (chunks.length + 1))).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('saves the byte-at-a-time state after every chunk, from any loadable state (property)', () => {
    // Bytes that matter to the scanner, plus data; inputs up to 80 bytes cross several 16-byte vectors.
    const byte = fc.constantFrom(0x22, 0x2c, 0x5c, 0x0a, 0x0d, 0x61, 0x20, 0xef, 0xbb, 0xbf, 0xe7);
    const start = fc.oneof(
      fc.record({ records: fc.nat(), mode: fc.integer({ min: 0, max: 4 }), content: fc.boolean(), bytes: fc.nat() }),
      fc.record({ records: fc.constant(0), mode: fc.constant(0), content: fc.constant(false), bytes: fc.nat(2) }),
    );
    fc.assert(
      fc.property(
        start,
        fc.boolean(),
        fc.array(byte, { maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (base, bom, raw, rawCuts) => {
          let expected: CsvRowState = { ...base, bomPending: bom && base.bytes < BOM.length };
          let counter = CsvRecordCounter.load(expected);
          const bytes = new Uint8Array(raw);
          for (const chunk of splitAt(
            bytes,
            rawCuts.map((cut) => cut % (bytes.length + 1)),
          )) {
            counter.push(chunk);
            expected = referenceStep(expected, chunk);
            expect(counter.save()).toEqual(expected);
            counter = CsvRecordCounter.load(JSON.parse(JSON.stringify(counter.save())));
          }
          const trailing = expected.bomPending && expected.bytes > 0 ? 1 : 0;
          const open = expected.content || expected.mode !== 0 || trailing === 1 ? 1 : 0;
          expect(counter.finish()).toBe(Math.max(0, expected.records + open - 1));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['doubled quotes, LF', { escape: 'double' }],
    ['backslash escapes, CRLF, BOM', { escape: 'backslash', crlf: true, bom: true }],
  ] as const)(
    'counts emulator CSV (%s) across block and vector boundaries, resuming at every part',
    async (_name, spec) => {
      const rows = 4000; // about 500 KB: several of the scanner's 64 KiB blocks
      const parts: Buffer[] = [];
      for await (const part of csvStream({ rows, ...spec }, columnsFor())) parts.push(part as Buffer);
      const bytes = Buffer.concat(parts);
      // Part sizes around the 16-byte vector and the 64 KiB block, at odd offsets into the buffer.
      const sizes = [1, 15, 16, 17, 65_535, 65_536, 65_537, 3, 131_071, 100_000];
      let counter = new CsvRecordCounter();
      let expected = counter.save();
      for (let from = 0, k = 0; from < bytes.length; k++) {
        const chunk = bytes.subarray(from, from + sizes[k % sizes.length]!);
        from += chunk.length;
        counter.push(chunk);
        expected = referenceStep(expected, chunk);
        expect(counter.save()).toEqual(expected);
        counter = CsvRecordCounter.load(JSON.parse(JSON.stringify(counter.save())));
      }
      expect(counter.finish()).toBe(rows);
      expect(count([bytes])).toBe(rows);
    },
  );

  it('rejects pushes after finish and finishes idempotently', () => {
    const counter = new CsvRecordCounter();
    counter.push(encoder.encode('h\n1\n'));
    expect(counter.finish()).toBe(1);
    expect(counter.finish()).toBe(1);
    expect(() => counter.push(encoder.encode('2\n'))).toThrow(/after finish/);
  });
});
