import { createHash } from 'node:crypto';
import { createSHA224, createSHA256 } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../lib/errors.ts';
import { createResumableSha256 } from '../../lib/export/resumable-hash.ts';
import { Sha256, STATE_BYTES } from '../../lib/export/sha256-wasm.ts';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** mulberry32: the same "random" sizes, cuts and bytes on every run. */
function seeded(seed: number): (below: number) => number {
  let a = seed >>> 0;
  return (below) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
  };
}

function bytes(random: (below: number) => number, length: number): Uint8Array {
  const words = Uint32Array.from({ length: Math.ceil(length / 4) }, () => random(2 ** 32));
  return new Uint8Array(words.buffer, 0, length);
}

/** Cut points of [0, length): a few tiny chunks, some around 64-byte blocks, some past the kernel's 64 KiB. */
function chunking(random: (below: number) => number, length: number): number[] {
  const cuts = [0];
  while (cuts.at(-1)! < length) {
    const scale = [3, 65, 200, 70_000, 300_000][random(5)]!;
    cuts.push(Math.min(length, cuts.at(-1)! + random(scale)));
  }
  return cuts;
}

function hashInChunks(hasher: Sha256, data: Uint8Array, cuts: number[]): Sha256 {
  for (let k = 1; k < cuts.length; k++) hasher.update(data.subarray(cuts[k - 1], cuts[k]));
  return hasher;
}

/** hash-wasm leaves old bytes after the partial block's `length % 64` meaningful ones: they are not compared. */
function clearBufferTail(state: Uint8Array, length: number): Uint8Array {
  const copy = state.slice();
  copy.fill(0, 4 + (length % 64), 68);
  return copy;
}

describe('Sha256 (WebAssembly)', () => {
  it('gives node:crypto’s digest for every length 0..200, in one piece and byte by byte', () => {
    const random = seeded(1);
    const data = bytes(random, 200);
    for (let length = 0; length <= 200; length++) {
      const piece = data.subarray(0, length);
      expect(new Sha256().update(piece).digest()).toBe(sha256(piece));
      const byByte = new Sha256();
      for (const byte of piece) byByte.update(Uint8Array.of(byte));
      expect(byByte.digest()).toBe(sha256(piece));
    }
  });

  it('gives node:crypto’s digest for random sizes up to 4 MiB in random chunkings', () => {
    const random = seeded(2);
    for (let run = 0; run < 12; run++) {
      const data = bytes(random, random(4 * 1024 * 1024));
      expect(hashInChunks(new Sha256(), data, chunking(random, data.length)).digest()).toBe(sha256(data));
    }
  });

  it('resumes from save() in a fresh hasher at random points, and digest() leaves the hasher as it was', () => {
    const random = seeded(3);
    for (let run = 0; run < 40; run++) {
      const data = bytes(random, random(run < 30 ? 600 : 300_000));
      const cuts = chunking(random, data.length);
      let hasher = new Sha256();
      for (let k = 1; k < cuts.length; k++) {
        hasher.update(data.subarray(cuts[k - 1], cuts[k]));
        if (random(2) === 0) expect(hasher.digest()).toBe(sha256(data.subarray(0, cuts[k])));
        hasher = new Sha256().update(Uint8Array.of(1, 2, 3)).load(hasher.save());
      }
      expect(hasher.digest()).toBe(sha256(data));
      expect(new Sha256().load(hasher.init().save()).digest()).toBe(sha256(new Uint8Array(0)));
    }
  });

  it('saves states byte-identical to hash-wasm 4’s at the same points and loads each other’s both ways', async () => {
    const random = seeded(4);
    const theirs = await createSHA256();
    for (let run = 0; run < 40; run++) {
      const data = bytes(random, random(run < 30 ? 700 : 200_000));
      const cuts = chunking(random, data.length);
      const ours = new Sha256();
      theirs.init();
      for (let k = 1; k < cuts.length; k++) {
        const chunk = data.subarray(cuts[k - 1], cuts[k]);
        ours.update(chunk);
        theirs.update(chunk);
        const state = ours.save();
        expect(state).toHaveLength(STATE_BYTES);
        expect(clearBufferTail(theirs.save(), cuts[k]!)).toEqual(state);
        // Hand over at every point: to hash-wasm, back to us, and on.
        if (random(2) === 0) theirs.load(state);
        else ours.load(theirs.save());
      }
      expect(ours.digest()).toBe(sha256(data));
      expect(theirs.digest('hex')).toBe(sha256(data));
    }
  });

  it('refuses states of another length, build, digest size or an impossible byte count, and stays as it was', async () => {
    const hasher = new Sha256().update(new Uint8Array(100).fill(7));
    const good = hasher.save();
    const variant = (at: number, value: number) => {
      const state = good.slice();
      state[at] = value;
      return state;
    };
    const sha224 = await createSHA224();
    sha224.init();
    const bad = [
      good.subarray(0, STATE_BYTES - 1),
      Uint8Array.of(...good, 0),
      variant(0, 0x8f), // another hash-wasm build's prefix
      sha224.save(), // same build, SHA-224: digest size 28
      variant(108, 28),
      variant(115, 1), // the padding after the digest size
      variant(75, 0x01), // a byte count of 2^56 and more
    ];
    for (const state of bad) expect(() => hasher.load(state)).toThrow(/SHA-256|byte count/);
    expect(hasher.save()).toEqual(good);
    expect(hasher.update(Uint8Array.of(1)).digest()).toBe(sha256(Uint8Array.of(...new Uint8Array(100).fill(7), 1)));
  });

  it('refuses those states through createResumableSha256 as a BadRequest naming hashState', async () => {
    const good = new Sha256().update(new Uint8Array(70)).save();
    for (const at of [0, 108, 112]) {
      const state = good.slice();
      state[at]! ^= 1;
      const error = await createResumableSha256(Buffer.from(state).toString('base64')).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(BadRequest);
      expect((error as BadRequest).errors[0]).toMatchObject({ field: 'hashState' });
    }
    const resumed = await createResumableSha256(Buffer.from(good).toString('base64'));
    expect(resumed.digest()).toBe(sha256(new Uint8Array(70)));
  });
});
