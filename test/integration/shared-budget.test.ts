// The shared GrowingIO budget: S3 conditional writes on the embedded S3, and 8 "containers" (separate clients,
// separate in-container limiters) against the emulator staying at ≤ 2 requests in any 1-second window.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3SlotStore } from '../../lib/budget/s3-slot-store.ts';
import { createSharedBudget } from '../../lib/budget/shared-budget.ts';
import { createGrowingIoClient } from '../../lib/growingio/client.ts';
import { systemClock } from '../../lib/retry.ts';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3.ts';
import { type GrowingIoEmulator, startGrowingIoEmulator } from '../../local/emulators/growingio.ts';
import { busiestWindow } from '../helpers/request-rate.ts';

const BUCKET = 'budget-test';
let s3: LocalS3;
let emulator: GrowingIoEmulator;
beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
  emulator = await startGrowingIoEmulator({ pollsUntilDone: 100 });
});
afterAll(async () => {
  await emulator?.close();
  await s3?.close();
});

/** 8 containers, each its own clock object (so its own in-container limiter) and, optionally, the shared budget. */
async function eightContainers(shared: boolean, requestsEach: number): Promise<number[]> {
  const before = emulator.apiRequestTimes().length;
  await Promise.all(
    Array.from({ length: 8 }, async (_, container) => {
      const clock = { ...systemClock };
      const store = s3SlotStore(s3.client, BUCKET, `budget-${shared}`);
      const limiter = shared ? createSharedBudget({ store, clock, scope: 'growingio', slotMs: 550 }) : undefined;
      const client = createGrowingIoClient({ baseUrl: emulator.url, token: emulator.token, clock, limiter });
      for (let i = 0; i < requestsEach; i++) {
        await client.requestSegmentExport({ projectUid: 'proj0001', segmentationId: `seg0000${container}` });
      }
    }),
  );
  return emulator.apiRequestTimes().slice(before);
}

describe('embedded S3 conditional writes', () => {
  it('creates an object with If-None-Match: * once, then answers 412', async () => {
    const put = () =>
      s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'once/a', Body: 'x', IfNoneMatch: '*' }));
    await put();
    await expect(put()).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
  });

  it('lets exactly one of many concurrent creators win', async () => {
    const store = s3SlotStore(s3.client, BUCKET, 'race');
    const wins = await Promise.all(Array.from({ length: 12 }, () => store.claim('slot-1')));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });
});

describe('shared GrowingIO budget', () => {
  it('without it, 8 containers exceed 2 requests/s at the emulator', async () => {
    const times = await eightContainers(false, 2);
    expect(times).toHaveLength(16);
    expect(busiestWindow(times)).toBeGreaterThan(2);
  });

  it('with it, 8 concurrent containers never exceed 2 requests in any 1-second window', async () => {
    const times = await eightContainers(true, 2);
    expect(times).toHaveLength(16);
    expect(busiestWindow(times)).toBeLessThanOrEqual(2);
    // and the budget is used, not starved: 16 requests take about 16 slots
    const sorted = [...times].sort((a, b) => a - b);
    expect(sorted.at(-1)! - sorted[0]!).toBeLessThan(16 * 550 + 1000);
  }, 30_000);
});
