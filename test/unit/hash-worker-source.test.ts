// The sha256 thread's generated source must be what tools/build-hash-worker.ts makes of today's lib/export sources:
// otherwise the thread would run older code than the tests read.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { HASH_WORKER_SOURCE_PATH, hashWorkerModule } from '../../tools/build-hash-worker.ts';

describe('lib/export/hash-worker-source.ts', () => {
  it('is current (else run `npm run build:hash-worker`)', async () => {
    const committed = await readFile(HASH_WORKER_SOURCE_PATH, 'utf8');
    expect(committed === (await hashWorkerModule()), 'run `npm run build:hash-worker`').toBe(true);
  });

  it('is a small script, not the copy module: no SDK, no zod', async () => {
    const { HASH_WORKER_SOURCE } = await import('../../lib/export/hash-worker-source.ts');
    expect(HASH_WORKER_SOURCE.length).toBeLessThan(20_000);
    expect(HASH_WORKER_SOURCE).not.toMatch(/@aws-sdk|zod/);
  });
});
