// Build Audience Files: the export's CSV files and the last snapshot ⇒ buildDelta ⇒ zips and the staged snapshot in S3.
// Zips and the snapshot are written to local files first (the function's /tmp) and stored with exact lengths.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDelta, type DeltaProgress } from '../audience/delta.ts';
import type { Logger } from '../log.ts';
import { acquireSyncLock, type LockDeps } from './lock.ts';
import { checkRemovals } from './removal-guard.ts';
import { snapshotKey, stagedSnapshotKey, uploadFileKey } from './run.ts';
import { objectExists, objectStream, putFile, type S3Deps } from './storage.ts';
import type { BuildResult, SyncRunState } from './task-input.ts';

export interface BuildDeps extends S3Deps {
  /** The bucket the export wrote its files to. */
  exportBucket: string;
  maxFileBytes: number;
  maxIdsInMemory?: number;
  /** The removal limit of a request that sets none (SYNC_MAX_REMOVE_PERCENT); 100 when not given. */
  maxRemovePercent?: number;
  /** This run's execution and how to tell whether another is RUNNING: the sync's lock (lib/sync/lock.ts). */
  lock?: { executionArn: string; isRunning: LockDeps['isRunning'] };
  /** Parent of the run's scratch directory (default os.tmpdir(): /tmp on Lambda). */
  tempDir?: string;
  logger: Logger;
  onProgress?: (progress: DeltaProgress & { runId: string }) => void;
}

export async function buildAudienceFiles(
  deps: BuildDeps,
  sync: SyncRunState,
  manifest: { files: Array<{ key: string }> },
): Promise<BuildResult> {
  if (deps.lock) await acquireSyncLock({ ...deps, isRunning: deps.lock.isRunning }, sync, deps.lock.executionArn);
  const scratch = await mkdtemp(join(deps.tempDir ?? tmpdir(), 'sync-build-'));
  try {
    return await buildIn(deps, sync, manifest, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function buildIn(
  deps: BuildDeps,
  sync: SyncRunState,
  manifest: { files: Array<{ key: string }> },
  scratch: string,
): Promise<BuildResult> {
  const { bucket } = sync.storage;
  const committedKey = snapshotKey(sync.storage, sync.syncId);
  const hasSnapshot = sync.mode === 'delta' && (await objectExists(deps, bucket, committedKey));
  const local = (name: string) => join(scratch, name);
  const zipName = (op: string) => (index: number) => local(`${op}-${index}.zip`);
  const report = await buildDelta({
    csvSources: manifest.files.map((file) => objectStream(deps, deps.exportBucket, file.key)),
    idColumn: sync.tencent.idColumn,
    userIdType: sync.tencent.userIdType,
    ...(hasSnapshot ? { previousSnapshot: objectStream(deps, bucket, committedKey) } : {}),
    mode: sync.mode,
    sinks: {
      append: (index) => createWriteStream(zipName('append')(index)),
      reduce: (index) => createWriteStream(zipName('reduce')(index)),
      snapshot: () => createWriteStream(local('snapshot.txt.gz')),
    },
    limits: { maxFileBytes: deps.maxFileBytes, maxIdsInMemory: deps.maxIdsInMemory, tempDir: scratch },
    onProgress: (progress) => deps.onProgress?.({ ...progress, runId: sync.runId }),
  });
  checkRemovals(report, {
    maxRemovePercent: sync.maxRemovePercent ?? deps.maxRemovePercent ?? 100,
    allowEmptyExport: sync.allowEmptyExport ?? false,
  });
  const files = [];
  for (const file of report.files) {
    const key = uploadFileKey(sync, file.operationType, file.index);
    const path = zipName(file.operationType.toLowerCase())(file.index);
    await putFile(deps, bucket, key, path, 'application/zip');
    files.push({ operationType: file.operationType, index: file.index, key, lines: file.lines, bytes: file.bytes });
  }
  const stagedKey = stagedSnapshotKey(sync);
  const snapshotBytes = await putFile(deps, bucket, stagedKey, local('snapshot.txt.gz'), 'application/gzip');
  const { files: _files, snapshot, ...counts } = report;
  deps.logger.info('audience files built', { ...counts, files: files.length, previousSnapshot: hasSnapshot });
  return {
    ...counts,
    files,
    snapshot: { key: committedKey, stagedKey, ids: snapshot.ids, bytes: snapshotBytes },
  };
}
