// The sync lock on the embedded S3 (conditional writes, If-None-Match and If-Match, answered by its front): one run
// of a syncId at a time, a lock of a run that is no longer RUNNING taken over, only the holder gives it back.
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { acquireSyncLock, releaseSyncLock, SyncAlreadyRunning } from '../../lib/sync/lock.ts';
import { lockKey } from '../../lib/sync/run.ts';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3.ts';

const BUCKET = 'lock-test';
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
});
afterAll(async () => {
  await s3?.close();
});

const ARN = (runId: string) => `arn:aws:states:us-east-1:123456789012:execution:sync:${runId}`;
let syncs = 0;
/** A fresh syncId per test; `running` lists the executions DescribeExecution would call RUNNING. */
function setup(running: Set<string> = new Set()) {
  const storage = { bucket: BUCKET, prefix: 'syncs' };
  const syncId = `sync-${++syncs}`;
  const warnings: string[] = [];
  const logger = createLogger({ level: 'warn', write: (line: string) => warnings.push(line) });
  const deps = { s3: s3.client, logger, isRunning: async (arn: string) => running.has(arn) };
  const run = (runId: string) => ({ storage, syncId, runId });
  const holder = async () => {
    const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: lockKey(storage, syncId) }));
    return JSON.parse(await out.Body!.transformToString()).runId as string;
  };
  return { deps, run, holder, running, warnings, key: lockKey(storage, syncId) };
}

describe('sync lock', () => {
  it('refuses a second run while the first is RUNNING, and lets it in once the first gave the lock back', async () => {
    const { deps, run, holder, running } = setup();
    running.add(ARN('a'));
    await acquireSyncLock(deps, run('a'), ARN('a'));
    await acquireSyncLock(deps, run('a'), ARN('a')); // a retried Build step of the same run
    const refused = acquireSyncLock(deps, run('b'), ARN('b'));
    await expect(refused).rejects.toBeInstanceOf(SyncAlreadyRunning);
    await expect(refused).rejects.toThrow(/^Run a of sync sync-\d+ is still running \(since \d{4}-.*changed nothing/);
    expect(await holder()).toBe('a');

    expect(await releaseSyncLock(deps, run('b'))).toBe(false); // not b's to give back
    expect(await holder()).toBe('a');
    expect(await releaseSyncLock(deps, run('a'))).toBe(true);
    await acquireSyncLock(deps, run('b'), ARN('b'));
    expect(await holder()).toBe('b');
  });

  it('takes over the lock of a run that is no longer RUNNING (stopped or timed out: no clean-up ran)', async () => {
    const { deps, run, holder, warnings } = setup();
    await acquireSyncLock(deps, run('stopped'), ARN('stopped'));
    await acquireSyncLock(deps, run('next'), ARN('next'));
    expect(await holder()).toBe('next');
    expect(warnings.join('\n')).toMatch(/sync lock taken over.*"previousRunId":"stopped"/);
  });

  it('takes over a lock it cannot read as one of its own (its text never reaches an error)', async () => {
    const foreign = JSON.stringify({ runId: 'a run\nwith lines', executionArn: ARN('x'), acquiredAt: 'now' });
    for (const body of ['not json', foreign]) {
      const { deps, run, holder, key } = setup(new Set([ARN('x')]));
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      await acquireSyncLock(deps, run('c'), ARN('c'));
      expect(await holder()).toBe('c');
    }
  });

  it('lets exactly one of many concurrent runs in, also when they all take over a dead run', async () => {
    for (const dead of [false, true]) {
      const { deps, run, holder } = setup();
      if (dead) await acquireSyncLock(deps, run('dead'), ARN('dead'));
      // Every contender is RUNNING: once one holds the lock, the others must be refused.
      const contenders = Array.from({ length: 8 }, (_, i) => `r${i}`);
      deps.isRunning = async (arn) => arn !== ARN('dead');
      const outcomes = await Promise.allSettled(contenders.map((id) => acquireSyncLock(deps, run(id), ARN(id))));
      const winners = contenders.filter((_, i) => outcomes[i]!.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      expect(await holder()).toBe(winners[0]);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(SyncAlreadyRunning);
      }
    }
  });
});

describe('embedded S3 conditional overwrite (If-Match)', () => {
  it('replaces only the version named by its ETag; 412 for another, 404 when there is none', async () => {
    const put = (key: string, body: string, condition: { IfMatch?: string; IfNoneMatch?: string }) =>
      s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ...condition }));
    const first = await put('cas/a', 'one', { IfNoneMatch: '*' });
    const second = await put('cas/a', 'two', { IfMatch: first.ETag! });
    await expect(put('cas/a', 'three', { IfMatch: first.ETag! })).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
    await expect(put('cas/missing', 'x', { IfMatch: first.ETag! })).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cas/a' }));
    expect(await out.Body!.transformToString()).toBe('two');
    expect(out.ETag).toBe(second.ETag);
  });
});
