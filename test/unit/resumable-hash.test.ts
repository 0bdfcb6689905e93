import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../lib/errors.ts';
import { createResumableSha256 } from '../../lib/export/resumable-hash.ts';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('createResumableSha256', () => {
  it('gives node:crypto’s digest when resumed through saved states at random splits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        async (data, rawCuts) => {
          const cuts = [...new Set([...rawCuts.map((cut) => cut % (data.length + 1)), data.length])];
          cuts.sort((a, b) => a - b);
          let state: string | undefined;
          let from = 0;
          for (const cut of cuts) {
            const hasher = await createResumableSha256(state);
            hasher.update(data.subarray(from, cut));
            from = cut;
            if (cut === data.length) expect(hasher.digest()).toBe(sha256(data));
            else state = hasher.save();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('saves a compact base64 state and keeps hashing after a save', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const hasher = await createResumableSha256();
    hasher.update(data.subarray(0, 1_000_003));
    const state = hasher.save();
    expect(state).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(state.length).toBeLessThanOrEqual(160);
    hasher.update(data.subarray(1_000_003));
    expect(hasher.digest()).toBe(sha256(data));
    const resumed = await createResumableSha256(state);
    resumed.update(data.subarray(1_000_003));
    expect(resumed.digest()).toBe(sha256(data));
    expect(() => resumed.save()).toThrow(/after digest/);
  });

  it('refuses a malformed or foreign state as a BadRequest naming hashState', async () => {
    const valid = (await createResumableSha256()).save();
    for (const bad of ['', 'not base64!', 'QUJD', valid.slice(8), 'A'.repeat(4000)]) {
      const error = await createResumableSha256(bad).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BadRequest);
      expect((error as BadRequest).errors[0]?.field).toBe('hashState');
    }
  });
});
