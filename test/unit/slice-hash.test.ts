// Which sha256 a copy slice uses: node:crypto when the file is copied in this invocation, wasm-sha256 otherwise.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  chooseHasher,
  type HashChoice,
  PROBE_BYTES,
  probeVerdict,
  resumableHasher,
} from '../../lib/export/slice-hash.ts';

const MiB = 1024 * 1024;
const base = { wholeFile: false, forced: false };

async function resumableFor(facts: HashChoice): Promise<boolean> {
  const hasher = await chooseHasher(facts);
  hasher.end();
  return hasher.resumable;
}

async function probingFor(facts: HashChoice): Promise<boolean> {
  const hasher = await chooseHasher(facts);
  hasher.end();
  return hasher.probing;
}

describe('chooseHasher', () => {
  it('uses node:crypto for a file that fits the slice and the time left', async () => {
    expect(await resumableFor({ ...base, contentLength: 10 * MiB, sliceBytes: 16 * MiB })).toBe(false);
    expect(await resumableFor({ ...base, contentLength: 10 * MiB, secondsLeft: 600 })).toBe(false);
    expect(await resumableFor({ ...base, wholeFile: true })).toBe(false);
  });

  it('uses wasm-sha256 when the file may outlast the slice, its length is unknown, or node:crypto ran out of time', async () => {
    expect(await resumableFor({ ...base, contentLength: 20 * MiB, sliceBytes: 16 * MiB })).toBe(true);
    expect(await resumableFor({ ...base, contentLength: 20 * MiB, secondsLeft: 10 })).toBe(true);
    expect(await resumableFor({ ...base, sliceBytes: 16 * MiB })).toBe(true);
    expect(await resumableFor({ ...base, forced: true, contentLength: 1 })).toBe(true);
    // Only time might not suffice: both hashes run until the copy has measured its speed.
    expect(await probingFor({ ...base, contentLength: 20 * MiB, secondsLeft: 10 })).toBe(true);
    expect(await probingFor({ ...base, contentLength: 20 * MiB, sliceBytes: 16 * MiB, secondsLeft: 10 })).toBe(false);
    expect(await probingFor({ ...base, contentLength: 10 * MiB, secondsLeft: 600 })).toBe(false);
  });

  it('ends a probe with node:crypto when the rest will make it in time at the measured speed, else wasm-sha256', () => {
    const GiB = 1024 * MiB;
    expect(probeVerdict({ bytes: 8 * MiB, seconds: 0.1, remaining: GiB, secondsLeft: 600 })).toBeUndefined();
    expect(probeVerdict({ bytes: PROBE_BYTES, seconds: 1, remaining: 5 * GiB, secondsLeft: 600 })).toBe('native');
    // 6.4 MiB/s leaves 10 GiB needing ~1600 s of 600.
    expect(probeVerdict({ bytes: PROBE_BYTES, seconds: 10, remaining: 10 * GiB, secondsLeft: 600 })).toBe('resumable');
    // Ten seconds decide even when few bytes came: 1 MiB/s for 100 MiB more takes 100 s, past 0.6 × 120 s.
    expect(probeVerdict({ bytes: 10 * MiB, seconds: 10, remaining: 100 * MiB, secondsLeft: 120 })).toBe('resumable');
    expect(probeVerdict({ bytes: 10 * MiB, seconds: 10, remaining: 60 * MiB, secondsLeft: 120 })).toBe('native');
    expect(probeVerdict({ bytes: MiB, seconds: 0.01, remaining: 0, secondsLeft: 1 })).toBe('native');
    expect(probeVerdict({ bytes: 5 * MiB, seconds: 0.1, remaining: GiB, secondsLeft: 600 }, 5 * MiB)).toBe('native');
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
