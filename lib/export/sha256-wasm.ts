// SHA-256 in hand-assembled WebAssembly (wasm-module.ts) whose saved state is hash-wasm 4's, byte for byte, so a
// checkpoint's hashState moves freely between this code and the hash-wasm it replaced (deploys, rollbacks).
import { assemble, I32, instantiateKernel, type KernelSpec, V128 } from './wasm-module.ts';

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

// The kernel's memory: state H0..H7, the K table, K+W of the block in hand, then the input blocks.
const H_AT = 0;
const K_AT = 64;
const KW_AT = 320;
const INPUT_AT = 1024;
/** Bytes compressed per kernel call (whole 64-byte blocks). */
const INPUT_BYTES = 64 * 1024;
/** The message schedule runs this many groups of 4 words ahead of the rounds that use them (measured best). */
const LEAD = 2;

const lanes = (...picks: number[]) => picks.flatMap((lane) => [0, 1, 2, 3].map((b) => 4 * lane + b)).join(' ');
const BYTE_SWAP = '3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12';
const shifts = (v: string, parts: [string, number][]) =>
  parts.map(([op, n], k) => `local.get ${v} i32.const ${n} i32x4.${op}${k ? ' v128.xor' : ''}`).join(' ');
/** σ0 and σ1 of the four words in v128 local `v`, from shifts (SIMD has no rotate). */
const sigma0 = (v: string) =>
  shifts(v, [
    ['shr_u', 3],
    ['shr_u', 7],
    ['shr_u', 18],
    ['shl', 25],
    ['shl', 14],
  ]);
const sigma1 = (v: string) =>
  shifts(v, [
    ['shr_u', 10],
    ['shr_u', 17],
    ['shr_u', 19],
    ['shl', 15],
    ['shl', 13],
  ]);

/**
 * Message words W[4g..4g+3] into v128 local x(g mod 4), and K+W of them into memory for the rounds. Groups 0-3 are
 * the block's big-endian words; later ones W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], where σ1 goes two
 * lanes at a time because lanes 2 and 3 need lanes 0 and 1 of the same group (σ1(0) = 0 pads the other two).
 */
function scheduleGroup(g: number): string {
  const x = (k: number) => `x${k % 4}`;
  const words =
    g < 4
      ? `local.get p v128.load offset=${16 * g} local.tee v local.get v i8x16.shuffle ${BYTE_SWAP} local.set ${x(g)}`
      : `local.get ${x(g - 4)} local.get ${x(g - 3)} i8x16.shuffle ${lanes(1, 2, 3, 4)} local.set v
        local.get ${x(g - 4)} local.get ${x(g - 2)} local.get ${x(g - 1)} i8x16.shuffle ${lanes(1, 2, 3, 4)} i32x4.add
        ${sigma0('v')} i32x4.add local.set w
        local.get ${x(g - 1)} local.get zero i8x16.shuffle ${lanes(2, 3, 4, 4)} local.set v
        local.get w ${sigma1('v')} i32x4.add local.tee w local.get zero local.get w i8x16.shuffle ${lanes(0, 0, 4, 5)}
        local.set v local.get w ${sigma1('v')} i32x4.add local.set ${x(g)}`;
  return `${words}
    i32.const 0 local.get ${x(g)} i32.const 0 v128.load offset=${K_AT + 16 * g} i32x4.add v128.store offset=${KW_AT + 16 * g}`;
}

const WORDS = [0, 1, 2, 3, 4, 5, 6, 7];
type Eight = [string, string, string, string, string, string, string, string];

/**
 * Round t on working locals s0-s7, whose roles rotate instead of their values moving. Σ1 and Σ0 are three rotates
 * each (flat: nesting them saves moves but lengthens the critical path, measured slower), Ch(e,f,g) = g ^ (e & (f^g)),
 * Maj(a,b,c) = b ^ ((a^b) & (b^c)) where b^c is the previous round's a^b (locals ab/bc alternate).
 */
function round(t: number): string {
  const [a, b, c, d, e, f, g, h] = WORDS.map((role) => `s${(((role - t) % 8) + 8) % 8}`) as Eight;
  const [ab, bc] = t % 2 ? ['bc', 'ab'] : ['ab', 'bc'];
  const rotates = (v: string, [x, y, z]: number[]) =>
    `local.get ${v} i32.const ${x} i32.rotr local.get ${v} i32.const ${y} i32.rotr i32.xor
     local.get ${v} i32.const ${z} i32.rotr i32.xor`;
  return `${t === 0 ? `local.get ${b} local.get ${c} i32.xor local.set ${bc}` : ''}
    local.get ${h} i32.const 0 i32.load offset=${KW_AT + 4 * t} i32.add
    local.get ${g} local.get ${e} local.get ${f} local.get ${g} i32.xor i32.and i32.xor i32.add
    ${rotates(e, [6, 11, 25])} i32.add local.tee t1
    local.get ${d} i32.add local.set ${d}
    local.get t1 ${rotates(a, [2, 13, 22])}
    local.get ${b} local.get ${a} local.get ${b} i32.xor local.tee ${ab} local.get ${bc} i32.and i32.xor
    i32.add i32.add local.set ${h}`;
}

const hWord = (i: number) => `i32.const 0 i32.load offset=${H_AT + 4 * i}`;

/** compress(blocks): the state at H_AT absorbs `blocks` 64-byte blocks at INPUT_AT. Fully unrolled. */
function program(): string {
  const body: string[] = [];
  for (let g = 0; g < LEAD; g++) body.push(scheduleGroup(g));
  for (let t = 0; t < 64; t++) {
    // Interleaved so the SIMD schedule fills the gaps of the scalar rounds' dependency chains.
    if (t % 4 === 0 && t / 4 + LEAD < 16) body.push(scheduleGroup(t / 4 + LEAD));
    body.push(round(t));
  }
  return `
    i32.const ${INPUT_AT} local.tee p local.get blocks i32.const 6 i32.shl i32.add local.set end
    ${WORDS.map((i) => `${hWord(i)} local.set s${i}`).join(' ')}
    block $done loop $blocks
      local.get p local.get end i32.ge_u br_if $done
      ${body.join('\n')}
      ${WORDS.map((i) => `i32.const 0 ${hWord(i)} local.get s${i} i32.add local.tee s${i} i32.store offset=${H_AT + 4 * i}`).join('\n')}
      local.get p i32.const 64 i32.add local.set p
      br $blocks
    end end`;
}

const I32_LOCALS = ['p', 'end', 't1', 'ab', 'bc', ...WORDS.map((i) => `s${i}`)];
const V128_LOCALS = ['x0', 'x1', 'x2', 'x3', 'v', 'w', 'zero']; // zero is never set

const sha256Kernel = (): KernelSpec => ({
  name: 'compress',
  params: [I32],
  results: [],
  locals: [
    [I32_LOCALS.length, I32],
    [V128_LOCALS.length, V128],
  ],
  body: assemble(program(), ['blocks', ...I32_LOCALS, ...V128_LOCALS], 'sha256-wasm'),
  memoryBytes: INPUT_AT + INPUT_BYTES,
});

let kernel: { compress: (blocks: number) => void; h: Uint32Array; input: Uint8Array } | undefined;

/** Runs whole blocks of `data` into `h` (the module is compiled once per process and shared by every hasher). */
function compress(h: Uint32Array, data: Uint8Array): void {
  if (!kernel) {
    const { run, memory } = instantiateKernel<(blocks: number) => void>(sha256Kernel());
    const table = new DataView(memory, K_AT, 4 * K.length);
    for (const [i, word] of K.entries()) table.setUint32(4 * i, word, true);
    kernel = {
      compress: run,
      h: new Uint32Array(memory, H_AT, 8),
      input: new Uint8Array(memory, INPUT_AT, INPUT_BYTES),
    };
  }
  kernel.h.set(h);
  for (let offset = 0; offset < data.length; offset += INPUT_BYTES) {
    const blocks = data.subarray(offset, offset + INPUT_BYTES);
    kernel.input.set(blocks);
    kernel.compress(blocks.length >>> 6);
  }
  h.set(kernel.h);
}

// hash-wasm 4.13's saved SHA-256 (its sha256_ctx behind a 4-byte check of its wasm build): the partial block (only
// the first `length % 64` bytes mean anything), the byte count (u64 LE), H0..H7 (u32 LE), the digest size in bytes
// (u32 LE: 32; SHA-224 would be 28) and 4 bytes of struct padding (zero).
const PREFIX = [0x8e, 0xd6, 0x95, 0xa3];
export const STATE_BYTES = 116;
const BUFFER_AT = 4;
const LENGTH_AT = 68;
const WORDS_AT = 76;
const DIGEST_SIZE_AT = 108;
const PADDING_AT = 112;
/** Byte counts from 2^53 up cannot be held exactly (and no file is that long). */
const MAX_HIGH_WORD = 2 ** 21;

/** A SHA-256 whose state can be saved (save) and resumed (load), in any process running this code or hash-wasm 4. */
export class Sha256 {
  private readonly h = Uint32Array.from(IV);
  private readonly buffer = new Uint8Array(64);
  private length = 0;

  /** Back to the hash of no bytes. */
  init(): this {
    this.h.set(IV);
    this.length = 0;
    return this;
  }

  update(data: Uint8Array): this {
    const used = this.length % 64;
    this.length += data.length;
    let from = 0;
    if (used > 0) {
      from = Math.min(64 - used, data.length);
      this.buffer.set(data.subarray(0, from), used);
      if (used + from < 64) return this;
      compress(this.h, this.buffer);
    }
    const whole = data.length - ((data.length - from) % 64);
    if (whole > from) compress(this.h, data.subarray(from, whole));
    this.buffer.set(data.subarray(whole));
    return this;
  }

  /** Lower-case hex digest of every byte given; the hasher itself is unchanged. */
  digest(): string {
    const used = this.length % 64;
    const tail = new Uint8Array(used < 56 ? 64 : 128);
    tail.set(this.buffer.subarray(0, used));
    tail[used] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(this.length / 2 ** 29)); // the bit count, big-endian
    view.setUint32(tail.length - 4, (this.length * 8) >>> 0);
    const h = this.h.slice();
    compress(h, tail);
    return Array.from(h, (word) => word.toString(16).padStart(8, '0')).join('');
  }

  /** The state in hash-wasm 4's format (STATE_BYTES); the unused end of the partial block is zeros. */
  save(): Uint8Array {
    const state = new Uint8Array(STATE_BYTES);
    const view = new DataView(state.buffer);
    state.set(PREFIX);
    state.set(this.buffer.subarray(0, this.length % 64), BUFFER_AT);
    view.setUint32(LENGTH_AT, this.length >>> 0, true);
    view.setUint32(LENGTH_AT + 4, Math.floor(this.length / 2 ** 32), true);
    for (const [i, word] of this.h.entries()) view.setUint32(WORDS_AT + 4 * i, word, true);
    view.setUint32(DIGEST_SIZE_AT, 32, true);
    return state;
  }

  /** Continues from a state of save() or hash-wasm 4's; throws (saying why) on anything else, leaving this as it was. */
  load(state: Uint8Array): this {
    if (!(state instanceof Uint8Array) || state.length !== STATE_BYTES) {
      throw new Error(`a SHA-256 state is ${STATE_BYTES} bytes`);
    }
    if (PREFIX.some((byte, i) => state[i] !== byte)) throw new Error('not a state of this SHA-256 (prefix)');
    const view = new DataView(state.buffer, state.byteOffset, state.length);
    if (view.getUint32(DIGEST_SIZE_AT, true) !== 32 || view.getUint32(PADDING_AT, true) !== 0) {
      throw new Error('not a SHA-256 state (digest size)');
    }
    const high = view.getUint32(LENGTH_AT + 4, true);
    if (high >= MAX_HIGH_WORD) throw new Error('byte count out of range');
    this.length = high * 2 ** 32 + view.getUint32(LENGTH_AT, true);
    this.buffer.set(state.subarray(BUFFER_AT, BUFFER_AT + 64));
    for (const i of WORDS) this.h[i] = view.getUint32(WORDS_AT + 4 * i, true);
    return this;
  }
}
