// A sync run's report and what is read from it (counts for history and summaries, metrics, a failure's text).
// SDK-free: the API and history handlers use it without loading the S3 client (lib/sync/finish.ts writes reports).
import { readableCause } from '../export/cause.ts';

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
