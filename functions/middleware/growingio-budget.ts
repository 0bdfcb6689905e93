// The stack-wide GrowingIO budget a handler's client takes every request from (GROWINGIO_SHARED_BUDGET=s3),
// built once per container; none when the setting is off.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3SlotStore } from '../../lib/budget/s3-slot-store.ts';
import { createSharedBudget, type RateLimiter } from '../../lib/budget/shared-budget.ts';
import type { Config } from '../../lib/config.ts';
import { systemClock } from '../../lib/retry.ts';
import { createS3Client } from '../../lib/s3-client.ts';

/** Slot objects live under this prefix of GROWINGIO_BUDGET_BUCKET (the stack expires them after a day). */
export const BUDGET_PREFIX = 'growingio';

export function growingIoBudget(config: Config, s3?: S3Client): RateLimiter | undefined {
  if (config.GROWINGIO_SHARED_BUDGET !== 's3' || !config.GROWINGIO_BUDGET_BUCKET) return undefined;
  const client = s3 ?? createS3Client({ endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });
  // GrowingIO does not say whether its limit is per token, project or IP: one budget per upstream covers all.
  const scope = createHash('sha256').update(config.GROWINGIO_BASE_URL).digest('hex').slice(0, 16);
  return createSharedBudget({
    store: s3SlotStore(client, config.GROWINGIO_BUDGET_BUCKET, BUDGET_PREFIX),
    clock: systemClock,
    scope,
    slotMs: config.GROWINGIO_BUDGET_SLOT_MS,
  });
}
