// GET /syncs: the sync runs, newest first, filtered by sync id, status or the fan-out's scheduled time.
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import {
  historyQueryFields,
  listRuns,
  parseHistoryQuery,
  type RunFilter,
  type RunsDeps,
  type RunsPage,
  runError,
  runInput,
  runTimes,
  scheduledNames,
} from '../history/runs.ts';
import { type SyncReport, syncCounts } from './report.ts';
import { SYNC_ID, SYNC_ID_RULE } from './request.ts';
import type { SyncExecutionInput } from './run.ts';

const syncHistoryQuery = z.strictObject({
  syncId: z.string().regex(SYNC_ID, SYNC_ID_RULE).optional(),
  ...historyQueryFields,
});

export type SyncHistoryQuery = z.output<typeof syncHistoryQuery>;

export function parseSyncHistoryQuery(query: Record<string, string | undefined>): SyncHistoryQuery {
  return parseHistoryQuery(syncHistoryQuery, query);
}

export interface SyncRunRow {
  runId: string;
  syncId?: string;
  status: string;
  startedAt?: string;
  stoppedAt?: string;
  counts?: ReturnType<typeof syncCounts>;
  error?: { name: string; cause: string };
}

function syncRow(query: SyncHistoryQuery, out: DescribeExecutionCommandOutput): SyncRunRow | undefined {
  const syncId = runInput<SyncExecutionInput>(out).sync?.syncId;
  if (query.syncId && syncId !== query.syncId) return undefined;
  const run: SyncRunRow = {
    runId: out.name ?? '',
    syncId,
    ...runTimes(out),
  };
  if (out.status === 'SUCCEEDED' && out.output) run.counts = syncCounts(JSON.parse(out.output) as Partial<SyncReport>);
  const error = runError(out);
  return error ? { ...run, error } : run;
}

export async function listSyncRuns(deps: RunsDeps, query: SyncHistoryQuery): Promise<RunsPage<SyncRunRow>> {
  const filter: RunFilter<SyncRunRow> = { ...scheduledNames(query.scheduledTime), row: (out) => syncRow(query, out) };
  const { status, limit, next, syncId, scheduledTime } = query;
  return await listRuns(deps, { status, limit, next, filters: { syncId, scheduledTime } }, filter);
}
