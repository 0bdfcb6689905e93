// The copy's sha256 thread: digests equal node:crypto's across sessions, saved states, marks and rewinds; a bad state
// is named; and the thread runs from its generated source alone (hash-worker-source.ts), as in a Lambda bundle.
import { createHash, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../lib/errors.ts';
import { startOffThreadSha256 } from '../../lib/export/hash-thread.ts';
import { HASH_WORKER_SOURCE } from '../../lib/export/hash-worker-source.ts';

const sha256 = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

describe('the sha256 thread', () => {
  it('keeps concurrent sessions apart, reads shared buffers in place and resumes from a saved state', async () => {
    const shared = Buffer.from(new SharedArrayBuffer(3 << 20));
    randomBytes(shared.length).copy(shared);
    const plain = randomBytes(1 << 20);
    const [native, resumable] = await Promise.all([startOffThreadSha256('native'), startOffThreadSha256('resumable')]);
    await Promise.all([
      native.update(shared.subarray(0, 1 << 20)),
      resumable.update(plain),
      native.update(shared.subarray(1 << 20)),
      resumable.update(shared.subarray(0, 12_345)),
    ]);
    const state = await resumable.save();
    resumable.end();
    const resumed = await startOffThreadSha256('resumable', state);
    await resumed.update(shared.subarray(12_345));
    expect(await native.digest()).toBe(sha256(shared));
    expect(await resumed.digest()).toBe(sha256(plain, shared));
    expect(await native.save()).toBeUndefined();
    native.end();
    resumed.end();
  });

  it('rewinds to the last mark (a part that was not stored); node:crypto then refuses a digest', async () => {
    const [a, b, c] = [randomBytes(70_001), randomBytes(5_000), randomBytes(33)];
    const resumable = await startOffThreadSha256('resumable');
    await resumable.update(a);
    await resumable.mark();
    await resumable.update(b);
    await resumable.rewind();
    await resumable.update(c);
    expect(await resumable.digest()).toBe(sha256(a, c));
    resumable.end();
    const native = await startOffThreadSha256('native');
    await native.update(a);
    await native.rewind();
    await expect(native.digest()).rejects.toThrow(/rewound/);
    native.end();
  });

  it('runs both hashes in a probe until it keeps one: node:crypto, or wasm-sha256 with a state to resume from', async () => {
    const [a, b] = [randomBytes(300_000), randomBytes(200_001)];
    const kept = await startOffThreadSha256('probe');
    await kept.update(a);
    await kept.decide('native');
    await kept.update(b);
    expect(await kept.save()).toBeUndefined();
    expect(await kept.digest()).toBe(sha256(a, b));
    kept.end();
    const resumable = await startOffThreadSha256('probe');
    await resumable.update(a);
    await resumable.decide('resumable');
    const state = await resumable.save();
    resumable.end();
    const resumed = await startOffThreadSha256('resumable', state);
    await resumed.update(b);
    expect(await resumed.digest()).toBe(sha256(a, b));
    await expect(resumed.decide('native')).rejects.toThrow(/only a probe/);
    resumed.end();
  });

  it('names hashState when a state is malformed or not a SHA-256 state', async () => {
    for (const state of ['not base64!', Buffer.from('x'.repeat(116)).toString('base64')]) {
      const error = await startOffThreadSha256('resumable', state).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(BadRequest);
      expect((error as BadRequest).errors).toEqual([expect.objectContaining({ field: 'hashState' })]);
    }
  });

  it('runs from its generated source alone, the way the Lambda bundle starts it (no loader, no copy module)', async () => {
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true });
    const replies: Array<{ seq: number; value?: string; error?: unknown }> = [];
    const failed = new Promise<never>((_resolve, reject) => worker.once('error', reject));
    const got = (count: number) =>
      Promise.race([
        failed,
        new Promise<void>((resolve) => {
          const check = () => (replies.length >= count ? resolve() : setTimeout(check, 5));
          check();
        }),
      ]);
    worker.on('message', (reply) => replies.push(reply));
    const data = randomBytes(100_000);
    worker.postMessage({ op: 'start', session: 1, kind: 'resumable' });
    worker.postMessage({ op: 'update', session: 1, seq: 1, bytes: data });
    worker.postMessage({ op: 'digest', session: 1, seq: 2 });
    await got(3);
    await worker.terminate();
    expect(replies.map(({ seq, value, error }) => ({ seq, value, error }))).toEqual([
      { seq: 0, value: undefined, error: undefined },
      { seq: 1, value: undefined, error: undefined },
      { seq: 2, value: sha256(data), error: undefined },
    ]);
  });
});
