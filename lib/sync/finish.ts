// The end of a run: commit the staged snapshot (only when every file is SUCCESS, never on a dry run) and the report;
// or, after a failure, delete what the run wrote (the committed snapshot stays) and say which step failed and why.
// The report's shape and what reads it without S3 (counts, failure text) are in lib/sync/report.ts.
import type { Logger } from '../log.ts';
import { releaseSyncLock } from './lock.ts';
import { describeFailure, type Failure, type SyncReport, type SyncReportFile } from './report.ts';
import { runPrefix } from './run.ts';
import { deleteObject, deletePrefix, moveObject, putJson, type S3Deps } from './storage.ts';
import type { BuildResult, SyncRunState, UploadedFile } from './task-input.ts';

export interface FinishInput {
  sync: SyncRunState;
  build: BuildResult;
  audienceId: number | null;
  processed: readonly UploadedFile[];
}

function reportFile(file: BuildResult['files'][number], processed?: UploadedFile): SyncReportFile {
  const out: SyncReportFile = {
    operationType: file.operationType,
    key: file.key,
    lines: file.lines,
    bytes: file.bytes,
  };
  if (!processed) return out;
  const { customAudienceFileId, processStatus, validLineCount, userCount } = processed;
  return { ...out, customAudienceFileId, processStatus, validLineCount, userCount };
}

export function syncReport(input: FinishInput, committed: boolean): SyncReport {
  const { sync, build } = input;
  const byKey = new Map(input.processed.map((file) => [file.key, file]));
  return {
    syncId: sync.syncId,
    runId: sync.runId,
    exportId: sync.exportId,
    accountId: sync.tencent.accountId,
    audienceId: input.audienceId,
    userIdType: sync.tencent.userIdType,
    mode: sync.mode,
    dryRun: sync.dryRun,
    rows: build.rows,
    validIds: build.validIds,
    invalidIds: build.invalidIds,
    emptyIds: build.emptyIds,
    duplicateIds: build.duplicateIds,
    added: build.added,
    removed: build.removed,
    unchanged: build.unchanged,
    files: build.files.map((file) => reportFile(file, byKey.get(file.key))),
    snapshot: { key: build.snapshot.key, ids: build.snapshot.ids, committed },
  };
}

/** Commits the staged snapshot unless this is a dry run; writes report.json next to the run's files. */
export async function finishSync(deps: S3Deps & { logger: Logger }, input: FinishInput): Promise<SyncReport> {
  const { sync, build } = input;
  const { bucket } = sync.storage;
  const notSucceeded = input.processed.filter((file) => file.processStatus !== 'SUCCESS').length;
  const uploaded = input.processed.length;
  const commit = !sync.dryRun && notSucceeded === 0 && uploaded === build.files.length;
  if (commit) await moveObject(deps, bucket, build.snapshot.stagedKey, build.snapshot.key);
  else await deleteObject(deps, bucket, build.snapshot.stagedKey);
  const report = syncReport(input, commit);
  await putJson(deps, bucket, `${runPrefix(sync.storage, sync.syncId, sync.runId)}report.json`, report);
  const { files: _files, snapshot: _snapshot, ...counts } = report;
  deps.logger.info('sync finished', { ...counts, files: report.files.length, committed: commit });
  await giveBackLock(deps, sync);
  return report;
}

/**
 * The run's lock goes back once its snapshot is committed or its files are gone. A failure here must not fail a run
 * whose work is done (or hide why it failed): the next run finds this run no longer RUNNING and takes the lock over.
 */
async function giveBackLock(deps: S3Deps & { logger: Logger }, sync: SyncRunState): Promise<void> {
  try {
    await releaseSyncLock(deps, sync);
  } catch (error) {
    deps.logger.warn('sync lock not given back; the next run takes it over', {
      runId: sync.runId,
      reason: (error as Error).message,
    });
  }
}

/** Deletes everything this run wrote under runs/{runId}/; the committed snapshot is never touched here. */
export async function cleanUpRun(deps: S3Deps & { logger: Logger }, sync: SyncRunState, failure: Failure) {
  const deleted = await deletePrefix(deps, sync.storage.bucket, runPrefix(sync.storage, sync.syncId, sync.runId));
  const described = describeFailure(failure);
  deps.logger.warn('sync failed; run cleaned up', { runId: sync.runId, step: failure.step, deleted, ...described });
  await giveBackLock(deps, sync);
  return described;
}
