// The CSV record counter's inner loop as a tiny WebAssembly SIMD module, assembled here from readable opcodes
// (wasm-module.ts): 16 bytes are classified per step and only the interesting ones are visited.
import { assemble, I32, instantiateKernel, type KernelSpec, V128 } from './wasm-module.ts';

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

const scanKernel = (): KernelSpec => ({
  name: 'scan',
  params: [I32, I32],
  results: [I32],
  locals: [
    [I32_LOCALS.length, I32],
    [V128_LOCALS.length, V128],
  ],
  body: assemble(PROGRAM, LOCALS, 'csv-scan'),
  memoryBytes: SCAN_BLOCK + 16, // one block plus the vector that may overhang it
});

export interface CsvScanner {
  /** Where chunks are copied before `scan` (SCAN_BLOCK bytes at most). */
  input: Uint8Array;
  /** Scans input[0, len) from `packed` (state | content << 3); returns records << 4 | content << 3 | state. */
  scan: (len: number, packed: number) => number;
}

let scanner: CsvScanner | undefined;

/** The module is compiled once per process (about 550 bytes, under a millisecond). */
export function csvScanner(): CsvScanner {
  if (!scanner) {
    const { run, memory } = instantiateKernel<CsvScanner['scan']>(scanKernel());
    scanner = { input: new Uint8Array(memory, 0, SCAN_BLOCK), scan: run };
  }
  return scanner;
}
