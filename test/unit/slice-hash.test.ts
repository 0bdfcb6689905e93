// Which sha256 a copy slice uses: node:crypto when the file is copied in this invocation, hash-wasm otherwise.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chooseHasher, resumableHasher } from '../../lib/export/slice-hash.ts';

const MiB = 1024 * 1024;
const base = { wholeFile: false, forced: false };

describe('chooseHasher', () => {
  it('uses node:crypto for a file that fits the slice and the time left', async () => {
    expect((await chooseHasher({ ...base, contentLength: 10 * MiB, sliceBytes: 16 * MiB })).resumable).toBe(false);
    expect((await chooseHasher({ ...base, contentLength: 10 * MiB, secondsLeft: 600 })).resumable).toBe(false);
    expect((await chooseHasher({ ...base, wholeFile: true })).resumable).toBe(false);
  });

  it('uses hash-wasm when the file may outlast the slice, its length is unknown, or node:crypto ran out of time', async () => {
    expect((await chooseHasher({ ...base, contentLength: 20 * MiB, sliceBytes: 16 * MiB })).resumable).toBe(true);
    expect((await chooseHasher({ ...base, contentLength: 20 * MiB, secondsLeft: 10 })).resumable).toBe(true);
    expect((await chooseHasher({ ...base, sliceBytes: 16 * MiB })).resumable).toBe(true);
    expect((await chooseHasher({ ...base, forced: true, contentLength: 1 })).resumable).toBe(true);
  });

  it('gives the same digest either way, also across a saved state', async () => {
    const data = Buffer.from('user_id,open_id\n1,"a\\"b"\n'.repeat(1000));
    const first = await resumableHasher(undefined);
    first.update(data.subarray(0, 7777));
    const second = await resumableHasher(first.save());
    second.update(data.subarray(7777));
    const native = await chooseHasher({ ...base, wholeFile: true });
    native.update(data);
    const expected = createHash('sha256').update(data).digest('hex');
    expect([second.digest(), native.digest()]).toEqual([expected, expected]);
    expect(native.save()).toBeUndefined();
  });
});
