// One run of a syncId at a time. Two overlapping runs would both diff against the same snapshot, and whichever commits
// last would leave a snapshot that no longer matches the audience (an id added by one run and never seen by the other
// would stay in the audience for good). A run takes `{prefix}/{syncId}/lock.json` before it reads the snapshot (S3
// conditional write: exactly one creator wins) and gives it back when it commits or cleans up. A lock whose run is
// no longer RUNNING (stopped, timed out: no clean-up ran) is taken over with a conditional overwrite (If-Match).
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { EXECUTION_NAME } from '../aws-names.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { conditionalWriteLost } from '../s3-objects.ts';
import { lockKey } from './run.ts';
import { deleteObject, isMissingObject, type S3Deps, s3Call } from './storage.ts';
import type { SyncRunState } from './task-input.ts';

/** Another run of the same syncId holds the lock and is still RUNNING: this one stops before changing anything. */
export class SyncAlreadyRunning extends AppError {
  override name = 'SyncAlreadyRunning';
  override statusCode = 409;
  override expose = true;
}

export interface LockDeps extends S3Deps {
  /** Whether the execution (ARN) is still RUNNING; false when it does not exist. */
  isRunning(executionArn: string): Promise<boolean>;
  logger: Logger;
}

interface Holder {
  runId: string;
  executionArn: string;
  acquiredAt: string;
}

type Sync = Pick<SyncRunState, 'storage' | 'syncId' | 'runId'>;

/** Attempts before giving up when other runs keep taking the lock between our reads and writes. */
const ATTEMPTS = 3;

/** Takes the sync's lock for this run (again, when this run already holds it: a retried step). */
export async function acquireSyncLock(deps: LockDeps, sync: Sync, executionArn: string): Promise<void> {
  const key = lockKey(sync.storage, sync.syncId);
  const mine: Holder = { runId: sync.runId, executionArn, acquiredAt: new Date().toISOString() };
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (await conditionalPut(deps, sync.storage.bucket, key, mine, { IfNoneMatch: '*' })) return;
    const held = await readLock(deps, sync.storage.bucket, key);
    if (!held) continue; // given back meanwhile
    if (held.holder?.runId === sync.runId) return;
    if (held.holder && (await deps.isRunning(held.holder.executionArn))) throw alreadyRunning(sync, held.holder);
    if (await conditionalPut(deps, sync.storage.bucket, key, mine, { IfMatch: held.etag })) {
      deps.logger.warn('sync lock taken over from a run that is no longer running', {
        syncId: sync.syncId,
        previousRunId: held.holder?.runId ?? 'unreadable lock',
      });
      return;
    }
  }
  throw alreadyRunning(sync, undefined);
}

function alreadyRunning(sync: Sync, holder: Holder | undefined): SyncAlreadyRunning {
  const who = holder
    ? `Run ${holder.runId} of sync ${sync.syncId} is still running (since ${holder.acquiredAt})`
    : `Other runs of sync ${sync.syncId} kept taking its lock`;
  return new SyncAlreadyRunning(
    `${who}; this run stopped before reading the snapshot and changed nothing. Runs of one syncId must not ` +
      'overlap: schedule them further apart than a run takes.',
    { details: { syncId: sync.syncId, ...(holder ? { holderRunId: holder.runId } : {}) } },
  );
}

/** Gives the lock back if this run holds it (a lock taken over by a later run is left alone). */
export async function releaseSyncLock(deps: S3Deps, sync: Sync): Promise<boolean> {
  const key = lockKey(sync.storage, sync.syncId);
  const held = await readLock(deps, sync.storage.bucket, key);
  if (held?.holder?.runId !== sync.runId) return false;
  await deleteObject(deps, sync.storage.bucket, key);
  return true;
}

/** PutObject under a condition; false when the condition does not hold. */
async function conditionalPut(
  deps: S3Deps,
  bucket: string,
  key: string,
  holder: Holder,
  condition: { IfNoneMatch: '*' } | { IfMatch: string },
): Promise<boolean> {
  const body = JSON.stringify(holder);
  return await s3Call('PutObject', key, async () => {
    try {
      const put = { Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', ...condition };
      await deps.s3.send(new PutObjectCommand(put), { abortSignal: deps.signal });
      return true;
    } catch (error) {
      // Lost to another writer, or (If-Match) the lock to replace is gone.
      if (conditionalWriteLost(error) || ('IfMatch' in condition && isMissingObject(error))) return false;
      throw error;
    }
  });
}

/** The lock's holder and ETag; undefined when there is no lock. A body that is not a lock of ours has no holder. */
async function readLock(deps: S3Deps, bucket: string, key: string) {
  return await s3Call('GetObject', key, async () => {
    try {
      const out = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deps.signal });
      const text = (await out.Body?.transformToString()) ?? '';
      return { etag: out.ETag ?? '', holder: parseHolder(text) };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  });
}

function parseHolder(text: string): Holder | undefined {
  try {
    const { runId, executionArn, acquiredAt } = JSON.parse(text) as Partial<Holder>;
    const valid =
      typeof runId === 'string' &&
      EXECUTION_NAME.test(runId) &&
      typeof executionArn === 'string' &&
      executionArn.startsWith('arn:') &&
      typeof acquiredAt === 'string' &&
      !Number.isNaN(Date.parse(acquiredAt));
    return valid ? { runId, executionArn, acquiredAt } : undefined;
  } catch {
    return undefined;
  }
}
