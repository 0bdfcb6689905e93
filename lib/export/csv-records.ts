// Counts CSV records (RFC 4180) in a byte stream split at arbitrary chunk boundaries, without buffering it.

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf] as const;

// Parser states, kept as plain numbers so the per-byte loop stays cheap (no enums: erasable syntax only).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3; // just saw `"` inside a quoted field: either `""` (escape) or the closing quote

/**
 * Push chunks in order, then `finish()` gives the number of data records (header excluded).
 * A record ends at an unquoted LF, CR or CRLF; line breaks inside quotes belong to the field.
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

  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('CsvRecordCounter.push after finish');
    let i = 0;
    if (this.bomPending) i = this.skipBom(chunk);
    this.offset += chunk.length;
    let state = this.state;
    let hasContent = this.hasContent;
    let records = this.records;
    const length = chunk.length;
    // Outside quotes only line breaks and field-opening quotes matter: jump between them with native
    // indexOf (memchr) instead of visiting every byte. Positions are cached until passed; -1 ⇒ none left.
    let nextQuote = -2;
    let nextLf = -2;
    let nextCr = -2;
    while (i < length) {
      if (state === QUOTED) {
        // Everything up to the next quote, line breaks included, is field data.
        const next = chunk.indexOf(QUOTE, i);
        if (next === -1) break;
        i = next + 1;
        state = QUOTE_IN_QUOTED;
        continue;
      }
      if (state === QUOTE_IN_QUOTED) {
        // `""` re-enters the quoted field; a comma or line break closes it; anything else is lenient content.
        const byte = chunk[i]!;
        if (byte === QUOTE) state = QUOTED;
        else if (byte === LF || byte === CR) {
          records++;
          hasContent = false;
          state = FIELD_START;
        } else state = byte === COMMA ? FIELD_START : UNQUOTED;
        i++;
        continue;
      }
      if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
      if (nextLf !== -1 && nextLf < i) nextLf = chunk.indexOf(LF, i);
      if (nextCr !== -1 && nextCr < i) nextCr = chunk.indexOf(CR, i);
      const lineEnd = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (nextQuote !== -1 && (lineEnd === -1 || nextQuote < lineEnd)) {
        // A quote opens a field only at the field's start (record start or right after a comma).
        const atFieldStart = nextQuote === i ? state === FIELD_START : chunk[nextQuote - 1] === COMMA;
        hasContent = true;
        state = atFieldStart ? QUOTED : UNQUOTED;
        i = nextQuote + 1;
        continue;
      }
      if (lineEnd === -1) {
        // No line break left in this chunk: remember whether the open record has content and how it ends.
        if (i < length) {
          hasContent = true;
          state = chunk[length - 1] === COMMA ? FIELD_START : UNQUOTED;
        }
        break;
      }
      if (hasContent || lineEnd > i) records++;
      hasContent = false;
      state = FIELD_START;
      i = lineEnd + 1;
    }
    this.state = state;
    this.hasContent = hasContent;
    this.records = records;
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
      if (this.hasContent || this.state === QUOTED) this.records++;
      this.hasContent = false;
    }
    return Math.max(0, this.records - 1);
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
