// Rewrites GrowingIO's backslash escapes inside quoted CSV fields into RFC 4180 form, streaming, byte-wise.
//
// GrowingIO writes `\"` for a quote inside a quoted field, but files may also carry RFC 4180 doubled quotes `""`.
// csv-parse 7 takes a single escape character: with `escape: '\\'` it rejects `""` (CSV_INVALID_CLOSING_QUOTE),
// with the default `"` it ends the field at `\"`. So this transform turns `\c` inside quotes into `c` (a quote
// doubled), the same meaning csv-parse gives `escape: '\\'`, and csv-parse then parses plain RFC 4180.
// Outside quotes a backslash is literal, as in csv-parse. A leading UTF-8 BOM is dropped.

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const DOUBLED_QUOTE = Buffer.from([QUOTE, QUOTE]);

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTED_ESCAPE = 3; // saw `\` inside quotes: the next byte is literal
const QUOTE_IN_QUOTED = 4; // saw `"` inside quotes: `""` or the closing quote

export async function* backslashToRfc4180(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let state = FIELD_START;
  let head: Buffer | undefined = Buffer.alloc(0); // bytes held until we know whether the file starts with a BOM
  for await (const input of source) {
    let chunk = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (head !== undefined) {
      head = Buffer.concat([head, chunk]);
      if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) continue;
      chunk = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
      head = undefined;
    }
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (state === QUOTED) {
        if (byte === QUOTE) state = QUOTE_IN_QUOTED;
        else if (byte === BACKSLASH) {
          out.push(chunk.subarray(from, i));
          from = i + 1;
          state = QUOTED_ESCAPE;
        }
      } else if (state === QUOTED_ESCAPE) {
        if (byte === QUOTE) {
          out.push(DOUBLED_QUOTE);
          from = i + 1;
        }
        state = QUOTED;
      } else if (state === QUOTE_IN_QUOTED) {
        state = byte === QUOTE ? QUOTED : byte === COMMA || byte === LF || byte === CR ? FIELD_START : UNQUOTED;
      } else if (byte === COMMA || byte === LF || byte === CR) state = FIELD_START;
      else state = byte === QUOTE && state === FIELD_START ? QUOTED : UNQUOTED;
    }
    out.push(chunk.subarray(from));
    yield out.length === 1 ? out[0]! : Buffer.concat(out);
  }
  // A file shorter than a BOM that began like one: those bytes were content after all.
  if (head !== undefined && head.length > 0) yield head;
}
