// Which sha256 a copy slice uses: node:crypto when the file is copied in this invocation, hash-wasm otherwise.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chooseHasher, type HashChoice, resumableHasher } from '../../lib/export/slice-hash.ts';

const MiB = 1024 * 1024;
const base = { wholeFile: false, forced: false };

async function resumableFor(facts: HashChoice): Promise<boolean> {
  const hasher = await chooseHasher(facts);
  hasher.end();
  return hasher.resumable;
}

describe('chooseHasher', () => {
  it('uses node:crypto for a file that fits the slice and the time left', async () => {
    expect(await resumableFor({ ...base, contentLength: 10 * MiB, sliceBytes: 16 * MiB })).toBe(false);
    expect(await resumableFor({ ...base, contentLength: 10 * MiB, secondsLeft: 600 })).toBe(false);
    expect(await resumableFor({ ...base, wholeFile: true })).toBe(false);
  });

  it('uses hash-wasm when the file may outlast the slice, its length is unknown, or node:crypto ran out of time', async () => {
    expect(await resumableFor({ ...base, contentLength: 20 * MiB, sliceBytes: 16 * MiB })).toBe(true);
    expect(await resumableFor({ ...base, contentLength: 20 * MiB, secondsLeft: 10 })).toBe(true);
    expect(await resumableFor({ ...base, sliceBytes: 16 * MiB })).toBe(true);
    expect(await resumableFor({ ...base, forced: true, contentLength: 1 })).toBe(true);
  });

  it('gives the same digest either way, also across a saved state', async () => {
    const data = Buffer.from('user_id,open_id\n1,"a\\"b"\n'.repeat(1000));
    const first = await resumableHasher(undefined);
    await first.update(data.subarray(0, 7777));
    const state = await first.save();
    first.end();
    const second = await resumableHasher(state);
    await second.update(data.subarray(7777));
    const native = await chooseHasher({ ...base, wholeFile: true });
    await native.update(data);
    const expected = createHash('sha256').update(data).digest('hex');
    expect([await second.digest(), await native.digest()]).toEqual([expected, expected]);
    expect(await native.save()).toBeUndefined();
    second.end();
    native.end();
  });
});
