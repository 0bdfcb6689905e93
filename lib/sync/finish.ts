// The end of a run: commit the staged snapshot (only when every file is SUCCESS, never on a dry run) and the report;
// or, after a failure, delete what the run wrote (the committed snapshot stays) and say which step failed and why.
import { readableCause } from '../export/status.ts';
import type { Logger } from '../log.ts';
import { runPrefix } from './run.ts';
import { deleteObject, deletePrefix, moveObject, putJson, type S3Deps } from './storage.ts';
import type { BuildResult, SyncRunState, UploadedFile } from './task-input.ts';

export interface SyncReportFile {
  operationType: 'APPEND' | 'REDUCE';
  key: string;
  lines: number;
  bytes: number;
  customAudienceFileId?: number;
  processStatus?: string;
  validLineCount?: number;
  userCount?: number;
}

/** DESIGN's report; `emptyIds` (empty cells) is reported apart from `invalidIds` (non-empty, refused values). */
export interface SyncReport {
  syncId: string;
  runId: string;
  exportId: string;
  accountId: number;
  audienceId: number | null;
  userIdType: string;
  mode: 'delta' | 'full';
  dryRun: boolean;
  rows: number;
  validIds: number;
  invalidIds: number;
  emptyIds: number;
  duplicateIds: number;
  added: number;
  removed: number;
  unchanged: number;
  files: SyncReportFile[];
  snapshot: { key: string; ids: number; committed: boolean };
}

/** A run's counts for summaries and history: never an identifier. */
export function syncCounts(report: Partial<SyncReport> | undefined) {
  return {
    rows: report?.rows ?? 0,
    added: report?.added ?? 0,
    removed: report?.removed ?? 0,
    invalidIds: report?.invalidIds ?? 0,
    files: Array.isArray(report?.files) ? report.files.length : 0,
  };
}

/**
 * The metrics of a finished run: ids added/removed/invalid, and for the match rate the audience's `user_count` after
 * the last processed file that reports one and the `valid_line_count` summed over the APPEND files.
 */
export function syncMetricCounts(report: SyncReport) {
  const appended = report.files.filter((file) => file.operationType === 'APPEND');
  const valid = appended.filter((file) => file.validLineCount !== undefined);
  const userCount = report.files.findLast((file) => file.userCount !== undefined)?.userCount;
  return {
    added: report.added,
    removed: report.removed,
    invalid: report.invalidIds,
    ...(userCount === undefined ? {} : { userCount }),
    ...(valid.length === 0 ? {} : { validLineCount: valid.reduce((sum, file) => sum + (file.validLineCount ?? 0), 0) }),
  };
}

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
  return report;
}

export interface Failure {
  step: string;
  error?: string;
  cause?: string;
}

/**
 * A nested export's failure arrives as States.TaskFailed whose cause is the export execution's description:
 * report the export's own error. Lambda causes lose their JSON envelope.
 */
export function describeFailure(failure: Failure): { error: string; cause: string } {
  let error = failure.error ?? 'States.Runtime';
  let cause = readableCause(failure.cause);
  if (cause.startsWith('{')) {
    try {
      const nested = JSON.parse(cause) as { Error?: unknown; Cause?: unknown; Status?: unknown; Name?: unknown };
      if (typeof nested.Error === 'string') error = nested.Error;
      if (typeof nested.Cause === 'string' || typeof nested.Status === 'string') {
        cause = `export ${String(nested.Name ?? '')} ${String(nested.Status ?? 'FAILED')}: ${readableCause(String(nested.Cause ?? ''))}`;
      }
    } catch {
      // not JSON after all: keep it as text
    }
  }
  return { error, cause: `${failure.step}: ${cause}` };
}

/** Deletes everything this run wrote under runs/{runId}/; the committed snapshot is never touched here. */
export async function cleanUpRun(deps: S3Deps & { logger: Logger }, sync: SyncRunState, failure: Failure) {
  const deleted = await deletePrefix(deps, sync.storage.bucket, runPrefix(sync.storage, sync.syncId, sync.runId));
  const described = describeFailure(failure);
  deps.logger.warn('sync failed; run cleaned up', { runId: sync.runId, step: failure.step, deleted, ...described });
  return described;
}
