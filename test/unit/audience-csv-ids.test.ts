import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvColumn, newIdCounts, readCsvIds } from '../../lib/audience/csv-ids.ts';
import { IdColumnMissing, MalformedCsv } from '../../lib/audience/errors.ts';

const encoder = new TextEncoder();

/** The text as byte chunks of `size` bytes (1 splits every escape, quote and BOM across chunks). */
async function* chunks(text: string | Uint8Array, size = 1 << 16): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function column(text: string | Uint8Array, idColumn = 'id', size?: number): Promise<string[]> {
  const cells: string[] = [];
  for await (const cell of csvColumn(chunks(text, size), { idColumn, file: 1 })) cells.push(cell);
  return cells;
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('csvColumn (GrowingIO dialect)', () => {
  it.each([
    ['backslash-escaped quotes', 'x,id\n"a\\"b","p\\"q"\n', ['p"q']],
    ['doubled quotes', 'x,id\n"a""b","p""q"\n', ['p"q']],
    ['both in one file', 'id,x\n"a\\"b",1\n"c""d",2\n', ['a"b', 'c"d']],
    ['escaped backslash', 'id\n"a\\\\"\n', ['a\\']],
    ['backslash outside quotes is literal', 'id\na\\b\n', ['a\\b']],
    ['quoted newline stays in its record', 'x,id\n"line1\nline2",1\n2,3\n', ['1', '3']],
    ['quoted comma', 'id,x\n"a,b",1\n', ['a,b']],
    ['CRLF', 'x,id\r\n1,a\r\n2,b\r\n', ['a', 'b']],
    ['mixed line endings', 'x,id\n1,a\r\n2,b\r3,c\n', ['a', 'b', 'c']],
    ['no final newline', 'id\na\nb', ['a', 'b']],
    ['blank lines are not records', 'id\n\na\n\n', ['a']],
    ['short record gives an empty cell', 'x,id\n1\n2,b\n', ['', 'b']],
    ['empty quoted cell', 'id,x\n"",1\n', ['']],
    ['header names are trimmed', 'x, id \n1,a\n', ['a']],
  ])('%s', async (_name, text, expected) => {
    expect(await column(text)).toEqual(expected);
    expect(await column(text, 'id', 1)).toEqual(expected);
  });

  it('property: backslash-escaped and doubled-quote encodings of any cells parse back to the cells', async () => {
    const cell = fc.string({ unit: fc.constantFrom('a', '1', '"', '\\', ',', '\n', '\r', ' ', 'é'), maxLength: 8 });
    // Inside quotes a backslash always escapes the next character, so a literal one is `\\` in both encodings.
    const rfc = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '""')}"`;
    const growingIo = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    await fc.assert(
      fc.asyncProperty(
        fc.array(cell, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 16 }),
        async (cells, size) => {
          // Alternate the encodings row by row: one file may carry both.
          const rows = cells.map((value, i) => `${i % 2 ? rfc(value) : growingIo(value)},x`);
          expect(await column(`id,other\n${rows.join('\r\n')}\n`, 'id', size)).toEqual(cells);
        },
      ),
    );
  });

  it('drops a UTF-8 BOM, also when split across chunks', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('"id",x\r\n"a\\"b",1\r\n')]);
    expect(await column(bytes)).toEqual(['a"b']);
    expect(await column(bytes, 'id', 1)).toEqual(['a"b']);
    expect(await column(bytes, 'id', 2)).toEqual(['a"b']);
  });

  it('names the missing column and file, and not the values of the header line', async () => {
    const error = await errorOf(column('13800138000,x\n1,2\n', 'phone'));
    expect(error).toBeInstanceOf(IdColumnMissing);
    expect(error.message).toBe('file 1 has no column "phone" in its header (2 columns)');
    expect(error.message).not.toContain('13800138000');
  });

  it('refuses an empty file (no header)', async () => {
    expect(await errorOf(column(''))).toBeInstanceOf(MalformedCsv);
  });

  it('reports malformed CSV by line and code only, without the field value or a cause', async () => {
    // An unclosed quote makes one record grow past the 1 MiB record limit.
    const text = `id\n"13800138000${'9'.repeat(1_100_000)}\n`;
    const error = await errorOf(column(text));
    expect(error).toBeInstanceOf(MalformedCsv);
    expect(error.message).toMatch(/^file 1 is not valid CSV near line \d+ \(CSV_MAX_RECORD_SIZE\)$/);
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('13800138000');
  });

  it('passes a source failure through', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('id\na\n');
      throw new Error('connection reset');
    }
    const error = await errorOf(
      (async () => {
        for await (const _ of csvColumn(failing(), { idColumn: 'id', file: 1 }));
      })(),
    );
    expect(error.message).toBe('connection reset');
  });
});

describe('readCsvIds', () => {
  it('normalises every file in order and counts rows, valid, invalid and empty cells', async () => {
    const counts = newIdCounts();
    const ids: string[] = [];
    const files = ['name,phone\na,13800138000\nb,\nc,12345\n', 'phone,name\n"+86 138-0013-8000",d\n'];
    for await (const id of readCsvIds({
      sources: files.map((text) => () => chunks(text)),
      idColumn: 'phone',
      userIdType: 'HASH_MOBILE_PHONE',
      counts,
    })) {
      ids.push(id);
    }
    const md5 = createHash('md5').update('13800138000').digest('hex');
    expect(ids).toEqual([md5, md5]);
    expect(counts).toEqual({ rows: 4, validIds: 2, invalidIds: 1, emptyIds: 1 });
  });

  it('names the file that lacks the column', async () => {
    const sources = ['phone\n1\n', 'x\n1\n'].map((text) => () => chunks(text));
    const run = async () => {
      for await (const _ of readCsvIds({ sources, idColumn: 'phone', userIdType: 'OAID' }));
    };
    await expect(run()).rejects.toThrow('file 2 has no column "phone"');
  });
});
