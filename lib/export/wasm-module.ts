// A tiny WebAssembly assembler for the hand-written kernels (csv-scan.ts, sha256-wasm.ts): readable flat WAT in,
// a one-function module out, compiled by the caller once per process (no binary blob, no build step).

/** Mnemonic → opcode bytes, from pairs of `mnemonic hex`; SIMD opcodes carry the 0xfd prefix (then a LEB128 index). */
const OPS = new Map<string, number[]>();
const OP_TABLE = `block 02 loop 03 if 04 end 0b br 0c br_if 0d select 1b local.get 20 local.set 21 local.tee 22
  i32.load 28 i32.load8_u 2d i32.store 36 i32.const 41 i32.eqz 45 i32.eq 46 i32.gt_u 4b i32.ge_u 4f i32.ctz 68
  i32.add 6a i32.sub 6b i32.and 71 i32.or 72 i32.xor 73 i32.shl 74 i32.shr_u 76 i32.rotr 78
  v128.load fd00 v128.store fd0b i8x16.shuffle fd0d i8x16.splat fd0f i32x4.extract_lane fd1b i8x16.eq fd23
  v128.or fd50 v128.xor fd51 i8x16.bitmask fd64 i32x4.shl fdab01 i32x4.shr_u fdad01 i32x4.add fdae01`.split(/\s+/);
for (let k = 0; k < OP_TABLE.length; k += 2) {
  OPS.set(
    OP_TABLE[k]!,
    OP_TABLE[k + 1]!.match(/../g)!.map((hex) => parseInt(hex, 16)),
  );
}

export const unsigned = (value: number): number[] => {
  const out: number[] = [];
  do {
    const low = value & 0x7f;
    value >>>= 7;
    out.push(value === 0 ? low : low | 0x80);
  } while (value !== 0);
  return out;
};

export const signed = (value: number): number[] => {
  const out: number[] = [];
  for (value |= 0; ; ) {
    const low = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (low & 0x40) === 0) || (value === -1 && (low & 0x40) !== 0)) return [...out, low];
    out.push(low | 0x80);
  }
};

/** Immediates of the instruction `token` that follow it in the source (already-consumed tokens excluded). */
function immediates(token: string, next: () => string, local: (name: string) => number): number[] {
  if (token.startsWith('local.')) return unsigned(local(next()));
  if (token === 'i32.const') return signed(Number(next()));
  if (token === 'i8x16.shuffle') return Array.from({ length: 16 }, () => Number(next()));
  if (token.endsWith('extract_lane')) return [Number(next())];
  return [];
}

/**
 * Flat WAT → function body bytes: operands are pushed before their instruction; `$label` after block/loop/if names
 * it and br/br_if take that name; locals go by name; a load or store may be followed by `offset=N` (align is 1).
 */
export function assemble(source: string, locals: readonly string[], what: string): number[] {
  const tokens = source.replace(/;;.*$/gm, '').trim().split(/\s+/);
  const out: number[] = [];
  const labels: (string | undefined)[] = [];
  let k = 0;
  const next = () => tokens[++k] ?? '';
  const local = (name: string) => {
    const index = locals.indexOf(name);
    if (index < 0) throw new Error(`${what}: unknown local ${name}`);
    return index;
  };
  for (; k < tokens.length; k++) {
    const token = tokens[k]!;
    const opcode = OPS.get(token);
    if (!opcode) throw new Error(`${what}: unknown instruction ${token}`);
    out.push(...opcode, ...immediates(token, next, local));
    if (token === 'block' || token === 'loop' || token === 'if') {
      out.push(0x40); // no block result
      labels.push(tokens[k + 1]?.startsWith('$') ? next() : undefined);
    } else if (token === 'end') labels.pop();
    else if (token.startsWith('br')) {
      const depth = labels.lastIndexOf(next());
      if (depth < 0) throw new Error(`${what}: unknown label ${tokens[k]}`);
      out.push(labels.length - 1 - depth);
    } else if (token.includes('load') || token.includes('store')) {
      const offset = tokens[k + 1]?.startsWith('offset=') ? Number(next().slice(7)) : 0;
      out.push(0, ...unsigned(offset));
    }
  }
  return [...out, 0x0b];
}

export const I32 = 0x7f;
export const V128 = 0x7b;

export interface KernelSpec {
  /** The exported function's name, its parameters and results (value types: I32, V128). */
  name: string;
  params: readonly number[];
  results: readonly number[];
  /** Locals after the parameters, as runs of [count, type]. */
  locals: readonly (readonly [number, number])[];
  /** Body bytes from assemble(). */
  body: readonly number[];
  /** Bytes of linear memory needed (exported as `memory`). */
  memoryBytes: number;
}

const section = (id: number, body: number[]): number[] => [id, ...unsigned(body.length), ...body];
const name = (text: string): number[] => [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];

/** A module with one exported function and one exported memory. */
export function kernelModule(spec: KernelSpec): Uint8Array {
  const code = [
    ...unsigned(spec.locals.length),
    ...spec.locals.flatMap(([count, type]) => [...unsigned(count), type]),
    ...spec.body,
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, spec.params.length, ...spec.params, spec.results.length, ...spec.results]),
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, ...unsigned((spec.memoryBytes + 0xffff) >>> 16)]), // memory in 64 KiB pages
    ...section(7, [2, ...name(spec.name), 0x00, 0, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...unsigned(code.length), ...code]),
  ]);
}

// The project's TypeScript libs (es2024 + node) declare no WebAssembly values; this is the little used here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WasmApi };

/** Compiles and instantiates a kernel: its function (typed by the caller) and its memory's buffer. */
export function instantiateKernel<F>(spec: KernelSpec): { run: F; memory: ArrayBuffer } {
  const { exports } = new wasm.Instance(new wasm.Module(kernelModule(spec)));
  return { run: exports[spec.name] as F, memory: (exports.memory as { buffer: ArrayBuffer }).buffer };
}
