// Counts CSV records in GrowingIO's dialect in a byte stream split at arbitrary chunk boundaries, without buffering
// it; the counter's state is a small JSON object, so a later invocation can resume counting mid-file.
import { z } from 'zod';
import { BadRequest, type FieldError } from '../errors.ts';
import { invalidInput, parseOrFail } from '../validation.ts';

const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf] as const;

// Parser states, kept as plain numbers so the per-byte loop stays cheap (no enums: erasable syntax only).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3; // just saw `"` inside a quoted field: either `""` (escape) or the closing quote
const ESCAPED = 4; // just saw `\` inside a quoted field: the next byte is data, whatever it is
const LAST_STATE = ESCAPED;

/**
 * Where a counter stands after the bytes it was given (`save()`), enough to resume on the next byte (`load()`).
 * `records` counts complete records including the header; `mode` is the parser state (0..4); `content` whether
 * the open record has content; `bytes` how many bytes were pushed; `bomPending` whether a leading BOM may still
 * be in progress. About 70 bytes as JSON.
 */
export const csvRowStateSchema = z
  .object({
    records: z.number().int().min(0),
    mode: z.number().int().min(FIELD_START).max(LAST_STATE),
    content: z.boolean(),
    bytes: z.number().int().min(0),
    bomPending: z.boolean(),
  })
  .strict()
  .refine((state) => !state.bomPending || state.bytes < BOM.length, {
    message: 'bomPending is only possible within the first 3 bytes',
    path: ['bomPending'],
  });

export type CsvRowState = z.output<typeof csvRowStateSchema>;

/**
 * Push chunks in order, then `finish()` gives the number of data records (header excluded).
 * Dialect (GrowingIO's advice, plus RFC 4180): delimiter `,`, quote `"`; inside a quoted field `\` escapes the
 * next byte (so `\"` does not close the field and `\\` is one backslash) and `""` is one quote. Outside quotes
 * `\` is ordinary data. A record ends at an unquoted LF, CR or CRLF; line breaks inside quotes belong to the field.
 * Blank lines are not records (so CRLF and a trailing newline count once), and a UTF-8 BOM is not content.
 * Quotes only open a field at its start; a stray quote inside an unquoted field is literal (lenient).
 */
export class CsvRecordCounter {
  private state = FIELD_START;
  private hasContent = false;
  private records = 0;
  private offset = 0;
  private bomPending = true;
  private finished = false;
  // Positions of the next quote / backslash / LF / CR in the current chunk, cached until passed:
  // -2 ⇒ not looked up yet, -1 ⇒ none left in this chunk.
  private nextQuote = -2;
  private nextBackslash = -2;
  private nextLf = -2;
  private nextCr = -2;

  /** A counter that continues where the one that produced `state` (via `save()`) stopped. */
  static load(state: unknown): CsvRecordCounter {
    const named = (errors: FieldError[]) =>
      errors.map((error) => ({ ...error, field: error.field === 'rowState' ? 'rowState' : `rowState.${error.field}` }));
    const data = parseOrFail(
      csvRowStateSchema,
      state,
      (errors) => invalidInput(BadRequest, 'Invalid rowState', named(errors)),
      'rowState',
    );
    const parsed = { data };
    const counter = new CsvRecordCounter();
    counter.records = parsed.data.records;
    counter.state = parsed.data.mode;
    counter.hasContent = parsed.data.content;
    counter.offset = parsed.data.bytes;
    counter.bomPending = parsed.data.bomPending;
    return counter;
  }

  /** The state after every byte pushed so far, as a small JSON-safe object (see CsvRowState). */
  save(): CsvRowState {
    if (this.finished) throw new Error('CsvRecordCounter.save after finish');
    return {
      records: this.records,
      mode: this.state,
      content: this.hasContent,
      bytes: this.offset,
      bomPending: this.bomPending,
    };
  }

  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('CsvRecordCounter.push after finish');
    let i = 0;
    if (this.bomPending) i = this.skipBom(chunk);
    this.offset += chunk.length;
    this.nextQuote = this.nextBackslash = this.nextLf = this.nextCr = -2;
    const length = chunk.length;
    while (i < length) {
      const state = this.state;
      if (state === QUOTED) i = this.scanQuoted(chunk, i);
      else if (state === QUOTE_IN_QUOTED) i = this.afterQuote(chunk[i]!, i);
      else if (state === ESCAPED) {
        this.state = QUOTED;
        i++;
      } else i = this.scanUnquoted(chunk, i);
    }
  }

  /** Complete data records so far (header excluded), for progress reports while streaming. */
  get count(): number {
    return Math.max(0, this.records - 1);
  }

  /** Data records seen (header excluded). An unterminated last line still counts. */
  finish(): number {
    if (!this.finished) {
      this.finished = true;
      // A file that began like a BOM but ended early: those bytes were content after all.
      if (this.bomPending && this.offset > 0) this.markPartialBomAsContent();
      if (this.hasContent || this.state !== FIELD_START) this.records++;
      this.hasContent = false;
    }
    return Math.max(0, this.records - 1);
  }

  /** Inside quotes only `"` and `\` matter: everything else, line breaks included, is field data. */
  private scanQuoted(chunk: Uint8Array, i: number): number {
    if (this.nextQuote !== -1 && this.nextQuote < i) this.nextQuote = chunk.indexOf(QUOTE, i);
    if (this.nextBackslash !== -1 && this.nextBackslash < i) this.nextBackslash = chunk.indexOf(BACKSLASH, i);
    const quote = this.nextQuote;
    const backslash = this.nextBackslash;
    if (backslash !== -1 && (quote === -1 || backslash < quote)) {
      // `\x`: x is data. When `\` is the chunk's last byte, the escaped byte opens the next chunk.
      if (backslash + 1 < chunk.length) return backslash + 2;
      this.state = ESCAPED;
      return chunk.length;
    }
    if (quote === -1) return chunk.length;
    this.state = QUOTE_IN_QUOTED;
    return quote + 1;
  }

  /** The byte after a `"` in a quoted field: `""` re-enters it; a comma or line break closes it; else lenient. */
  private afterQuote(byte: number, i: number): number {
    if (byte === QUOTE) this.state = QUOTED;
    else if (byte === LF || byte === CR) this.endRecord();
    else this.state = byte === COMMA ? FIELD_START : UNQUOTED;
    return i + 1;
  }

  /**
   * Outside quotes only line breaks and field-opening quotes matter: jump between them with native
   * indexOf (memchr) instead of visiting every byte.
   */
  private scanUnquoted(chunk: Uint8Array, i: number): number {
    if (this.nextQuote !== -1 && this.nextQuote < i) this.nextQuote = chunk.indexOf(QUOTE, i);
    if (this.nextLf !== -1 && this.nextLf < i) this.nextLf = chunk.indexOf(LF, i);
    if (this.nextCr !== -1 && this.nextCr < i) this.nextCr = chunk.indexOf(CR, i);
    const { nextQuote, nextLf, nextCr } = this;
    const lineEnd = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
    if (nextQuote !== -1 && (lineEnd === -1 || nextQuote < lineEnd)) {
      // A quote opens a field only at the field's start (record start or right after a comma).
      const atFieldStart = nextQuote === i ? this.state === FIELD_START : chunk[nextQuote - 1] === COMMA;
      this.hasContent = true;
      this.state = atFieldStart ? QUOTED : UNQUOTED;
      return nextQuote + 1;
    }
    if (lineEnd === -1) {
      // No line break left in this chunk: the open record has content; remember how it ends.
      this.hasContent = true;
      this.state = chunk[chunk.length - 1] === COMMA ? FIELD_START : UNQUOTED;
      return chunk.length;
    }
    if (this.hasContent || lineEnd > i) this.records++;
    this.hasContent = false;
    this.state = FIELD_START;
    return lineEnd + 1;
  }

  private endRecord(): void {
    this.records++;
    this.hasContent = false;
    this.state = FIELD_START;
  }

  /** Consumes leading BOM bytes in this chunk (the BOM may itself be split); returns where parsing starts. */
  private skipBom(chunk: Uint8Array): number {
    let i = 0;
    while (this.bomPending && i < chunk.length) {
      const position = this.offset + i;
      if (chunk[i] !== BOM[position]) {
        this.bomPending = false;
        // A partial BOM followed by something else: those bytes were ordinary field content.
        if (position > 0) this.markPartialBomAsContent();
        break;
      }
      i++;
      if (position + 1 === BOM.length) this.bomPending = false;
    }
    return i;
  }

  private markPartialBomAsContent(): void {
    this.hasContent = true;
    this.state = UNQUOTED;
  }
}
