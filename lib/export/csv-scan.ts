// The CSV record counter's inner loop as a tiny WebAssembly SIMD module, assembled here from readable opcodes
// (no binary blob, no build step): 16 bytes are classified per step and only the interesting ones are visited.

// Parser states, shared with csv-records.ts and stored in its saved state as `mode`: keep the numbers.
export const FIELD_START = 0;
export const UNQUOTED = 1;
export const QUOTED = 2;
export const QUOTE_IN_QUOTED = 3; // just saw `"` inside a quoted field: either `""` (escape) or the closing quote
export const ESCAPED = 4; // just saw `\` inside a quoted field: the next byte is data, whatever it is

/** Bytes scanned per call; the module's memory holds one block plus the 16-byte vector that may overhang it. */
export const SCAN_BLOCK = 64 * 1024;
/** The scanner's packed word: state in the low 3 bits, whether the open record has content in bit 3, records above. */
export const STATE_MASK = 7;
export const CONTENT_BIT = 8;
export const RECORDS_SHIFT = 4;

const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const CR = 0x0d;

/** Mnemonic → opcode bytes, from pairs of `mnemonic hex`; SIMD opcodes carry the 0xfd prefix. */
const OPS = new Map<string, number[]>();
const OP_TABLE = `block 02 loop 03 if 04 end 0b br 0c br_if 0d select 1b local.get 20 local.set 21 local.tee 22
  i32.load8_u 2d i32.const 41 i32.eqz 45 i32.eq 46 i32.gt_u 4b i32.ge_u 4f i32.ctz 68 i32.add 6a i32.sub 6b
  i32.and 71 i32.or 72 i32.shl 74 i32.shr_u 76 v128.load fd00 i8x16.splat fd0f i8x16.eq fd23 v128.or fd50
  i8x16.bitmask fd64`.split(/\s+/);
for (let k = 0; k < OP_TABLE.length; k += 2) {
  OPS.set(
    OP_TABLE[k]!,
    OP_TABLE[k + 1]!.match(/../g)!.map((hex) => parseInt(hex, 16)),
  );
}

// Locals after the parameters (len, packed), in order: i32s, then v128s.
const I32_LOCALS = 'state content records pos base lim mq mu m r b rel'.split(' ');
const V128_LOCALS = 'vQuote vBackslash vLf vCr vComma v'.split(' ');
const LOCALS = ['len', 'packed', ...I32_LOCALS, ...V128_LOCALS];

/**
 * scan(len, packed) → packed'. In: `packed` = state | content << 3 and the bytes at memory[0, len). Out: the same
 * with the records completed in these bytes << 4. The byte rules are csv-records.ts's, visited only at the bytes
 * that matter: inside quotes `"` and `\`, outside quotes `"`, `,`, LF and CR (plus the byte after `"` or `\`).
 * Flat WAT: operands are pushed before their instruction; `$label` after block/loop/if names it.
 */
const PROGRAM = `
  local.get packed i32.const 7 i32.and local.set state
  local.get packed i32.const 3 i32.shr_u i32.const 1 i32.and local.set content
  i32.const ${QUOTE} i8x16.splat local.set vQuote      i32.const ${BACKSLASH} i8x16.splat local.set vBackslash
  i32.const ${LF} i8x16.splat local.set vLf            i32.const ${CR} i8x16.splat local.set vCr
  i32.const ${COMMA} i8x16.splat local.set vComma
  block $done loop $blocks
    local.get base local.get len i32.ge_u br_if $done
    local.get base v128.load local.set v
    ;; lim = min(16, len - base): bytes of this vector that are input
    i32.const 16 local.get len local.get base i32.sub local.tee lim local.get lim i32.const 16 i32.gt_u select
    local.set lim
    ;; bit k of mq: byte k matters inside quotes; of mu: it matters outside quotes
    local.get v local.get vQuote i8x16.eq local.get v local.get vBackslash i8x16.eq v128.or
    i8x16.bitmask local.set mq
    local.get v local.get vQuote i8x16.eq local.get v local.get vComma i8x16.eq v128.or
    local.get v local.get vLf i8x16.eq v128.or local.get v local.get vCr i8x16.eq v128.or
    i8x16.bitmask local.set mu
    i32.const 1 local.get lim i32.shl i32.const 1 i32.sub local.set m
    local.get mq local.get m i32.and local.set mq   local.get mu local.get m i32.and local.set mu
    block $next loop $events
      local.get pos local.get base i32.sub local.tee rel local.get lim i32.ge_u br_if $next
      local.get state i32.const ${QUOTED} i32.eq if
        ;; the next \`"\` or \`\\\` in this vector, else the rest is field data
        local.get mq i32.const -1 local.get rel i32.shl i32.and local.tee m i32.eqz if
          local.get base local.get lim i32.add local.set pos br $next
        end
        local.get m i32.ctz local.set r   local.get base local.get r i32.add i32.const 1 i32.add local.set pos
        i32.const ${QUOTE_IN_QUOTED} i32.const ${ESCAPED}
        local.get base local.get r i32.add i32.load8_u i32.const ${QUOTE} i32.eq select local.set state
        br $events
      end
      local.get state i32.const ${ESCAPED} i32.eq if
        i32.const ${QUOTED} local.set state   local.get pos i32.const 1 i32.add local.set pos   br $events
      end
      local.get state i32.const ${QUOTE_IN_QUOTED} i32.eq if
        local.get pos i32.load8_u local.set b   local.get pos i32.const 1 i32.add local.set pos
        local.get b i32.const ${LF} i32.eq local.get b i32.const ${CR} i32.eq i32.or if
          local.get records i32.const 1 i32.add local.set records
          i32.const 0 local.set content   i32.const ${FIELD_START} local.set state   br $events
        end
        ;; \`""\` re-enters the field, a comma starts the next one, anything else is lenient unquoted data
        i32.const ${QUOTED} i32.const ${FIELD_START} i32.const ${UNQUOTED} local.get b i32.const ${COMMA} i32.eq select
        local.get b i32.const ${QUOTE} i32.eq select local.set state
        br $events
      end
      ;; outside quotes: bytes before the next event are field data
      local.get mu i32.const -1 local.get rel i32.shl i32.and local.tee m i32.eqz if
        i32.const 1 local.set content   i32.const ${UNQUOTED} local.set state
        local.get base local.get lim i32.add local.set pos br $next
      end
      local.get m i32.ctz local.set r   local.get base local.get r i32.add i32.const 1 i32.add local.set pos
      local.get r local.get rel i32.gt_u if
        i32.const 1 local.set content   i32.const ${UNQUOTED} local.set state
      end
      local.get base local.get r i32.add i32.load8_u local.set b
      local.get b i32.const ${LF} i32.eq local.get b i32.const ${CR} i32.eq i32.or if
        ;; a line break ends a record that has content; a blank line is not one
        local.get records local.get content i32.add local.set records
        i32.const 0 local.set content   i32.const ${FIELD_START} local.set state   br $events
      end
      ;; a comma opens a field; a quote opens a quoted field only at the field's start, else it is data
      i32.const ${FIELD_START} i32.const ${QUOTED} i32.const ${UNQUOTED} local.get state i32.const ${FIELD_START} i32.eq
      select local.get b i32.const ${COMMA} i32.eq select local.set state
      i32.const 1 local.set content
      br $events
    end end
    local.get base i32.const 16 i32.add local.set base
    br $blocks
  end end
  local.get records i32.const 4 i32.shl local.get content i32.const 3 i32.shl i32.or local.get state i32.or
`;

const unsigned = (value: number): number[] => {
  const out: number[] = [];
  do {
    const low = value & 0x7f;
    value >>>= 7;
    out.push(value === 0 ? low : low | 0x80);
  } while (value !== 0);
  return out;
};
const signed = (value: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const low = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (low & 0x40) === 0) || (value === -1 && (low & 0x40) !== 0)) return [...out, low];
    out.push(low | 0x80);
  }
};

/** Flat WAT → function body bytes: opcodes, immediates, local names → indexes, label names → depths. */
function assemble(source: string): number[] {
  const tokens = source.replace(/;;.*$/gm, '').trim().split(/\s+/);
  const out: number[] = [];
  const labels: (string | undefined)[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k]!;
    const opcode = OPS.get(token);
    if (!opcode) throw new Error(`csv-scan: unknown instruction ${token}`);
    out.push(...opcode);
    if (token === 'block' || token === 'loop' || token === 'if') {
      out.push(0x40); // no block result
      labels.push(tokens[k + 1]?.startsWith('$') ? tokens[++k] : undefined);
    } else if (token === 'end') labels.pop();
    else if (token.startsWith('br')) {
      const depth = labels.lastIndexOf(tokens[++k]);
      if (depth < 0) throw new Error(`csv-scan: unknown label ${tokens[k]}`);
      out.push(labels.length - 1 - depth);
    } else if (token.startsWith('local.')) out.push(LOCALS.indexOf(tokens[++k]!));
    else if (token === 'i32.const') out.push(...signed(Number(tokens[++k])));
    else if (token.includes('load')) out.push(0, 0); // align 1, offset 0
  }
  return [...out, 0x0b];
}

const section = (id: number, body: number[]): number[] => [id, ...unsigned(body.length), ...body];
const name = (text: string): number[] => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];

function moduleBytes(): Uint8Array {
  const code = [
    0x02,
    ...unsigned(I32_LOCALS.length),
    0x7f,
    ...unsigned(V128_LOCALS.length),
    0x7b,
    ...assemble(PROGRAM),
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]), // type 0: (i32, i32) -> i32
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, ...unsigned((SCAN_BLOCK + 16 + 0xffff) >>> 16)]), // memory in 64 KiB pages
    ...section(7, [2, ...name('scan'), 0x00, 0, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...unsigned(code.length), ...code]),
  ]);
}

export interface CsvScanner {
  /** Where chunks are copied before `scan` (SCAN_BLOCK bytes at most). */
  input: Uint8Array;
  /** Scans input[0, len) from `packed` (state | content << 3); returns records << 4 | content << 3 | state. */
  scan: (len: number, packed: number) => number;
}

// The project's TypeScript libs (es2024 + node) declare no WebAssembly values; this is the little used here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { scan: CsvScanner['scan']; memory: { buffer: ArrayBuffer } } };
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WasmApi };

let scanner: CsvScanner | undefined;

/** The module is compiled once per process (about 550 bytes, under a millisecond). */
export function csvScanner(): CsvScanner {
  if (!scanner) {
    const { scan, memory } = new wasm.Instance(new wasm.Module(moduleBytes())).exports;
    scanner = { input: new Uint8Array(memory.buffer, 0, SCAN_BLOCK), scan };
  }
  return scanner;
}
