// Streams the identifier column out of GrowingIO CSV export files: raw cells, then normalised ids with counts.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { backslashToRfc4180 } from './csv-dialect.ts';
import { IdColumnMissing, MalformedCsv } from './errors.ts';
import { identifierNormaliser, type UserIdType } from './identifiers.ts';

/** Opens a byte stream lazily (an S3 object body, a file…), so export files are read one after another. */
export type ByteSource = () => AsyncIterable<Uint8Array> | Promise<AsyncIterable<Uint8Array>>;
export type CsvSource = ByteSource;

export interface IdCounts {
  /** Data records read (header excluded; a quoted newline stays inside its record). */
  rows: number;
  validIds: number;
  invalidIds: number;
  emptyIds: number;
}

export const newIdCounts = (): IdCounts => ({ rows: 0, validIds: 0, invalidIds: 0, emptyIds: 0 });

/** One record may not exceed this (an unclosed quote would otherwise swallow the rest of the file into memory). */
const MAX_RECORD_BYTES = 1024 * 1024;

const PARSER_OPTIONS = {
  relax_column_count: true, // a short record has an empty id cell
  relax_quotes: true, // a stray quote inside an unquoted field is literal, as the export's row counter treats it
  skip_empty_lines: true,
  record_delimiter: ['\r\n', '\n', '\r'],
  max_record_size: MAX_RECORD_BYTES,
};

export interface ColumnOptions {
  idColumn: string;
  /** 1-based file number, for error messages. */
  file: number;
}

/** Raw cells of column `idColumn` (found by header name), one per data record ('' when the record is short). */
export async function* csvColumn(source: AsyncIterable<Uint8Array>, options: ColumnOptions): AsyncGenerator<string> {
  const parser = parse(PARSER_OPTIONS);
  const feeding = pipeline(Readable.from(backslashToRfc4180(source)), parser);
  feeding.catch(() => undefined); // its error also fails the parser, which the loop below reports
  let column = -1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (column >= 0) {
        yield record[column] ?? '';
        continue;
      }
      column = record.findIndex((name) => name.trim() === options.idColumn);
      if (column < 0) {
        const message = `file ${options.file} has no column "${options.idColumn}" in its header (${record.length} columns)`;
        throw new IdColumnMissing(message, { errors: [{ field: 'tencent.idColumn', message }] });
      }
    }
  } catch (error) {
    // csv-parse messages quote field values (identifiers): keep only the code and line, and drop the cause.
    if (error instanceof CsvError) {
      throw new MalformedCsv(`file ${options.file} is not valid CSV near line ${error.lines ?? '?'} (${error.code})`);
    }
    throw error;
  } finally {
    parser.destroy();
  }
  if (column < 0) throw new MalformedCsv(`file ${options.file} is empty: no header line`);
}

export interface CsvIdsInput {
  sources: readonly CsvSource[];
  idColumn: string;
  userIdType: UserIdType;
  /** Updated live while iterating (read it for progress); final when the iteration ends. */
  counts?: IdCounts;
}

/** Valid, normalised ids of every file in order (repeats included); empty and invalid cells are only counted. */
export async function* readCsvIds(input: CsvIdsInput): AsyncGenerator<string> {
  const normalise = identifierNormaliser(input.userIdType);
  const counts = input.counts ?? newIdCounts();
  for (const [index, open] of input.sources.entries()) {
    for await (const cell of csvColumn(await open(), { idColumn: input.idColumn, file: index + 1 })) {
      counts.rows++;
      const result = normalise(cell);
      if (result.ok) {
        counts.validIds++;
        yield result.id;
      } else if (result.reason === 'empty') counts.emptyIds++;
      else counts.invalidIds++;
    }
  }
}
