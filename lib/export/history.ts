// GET /exports: the export runs, newest first, filtered by segment, status or the fan-out's scheduled time.
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { growingIoId } from '../growingio/request.ts';
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
import type { ExecutionInput } from './execution.ts';
import type { Manifest } from './manifest.ts';

const exportHistoryQuery = z.strictObject({
  projectUid: growingIoId.optional(),
  segmentationId: growingIoId.optional(),
  ...historyQueryFields,
});

export type ExportHistoryQuery = z.output<typeof exportHistoryQuery>;

export function parseExportHistoryQuery(query: Record<string, string | undefined>): ExportHistoryQuery {
  return parseHistoryQuery(exportHistoryQuery, query);
}

export interface ExportRun {
  exportId: string;
  status: string;
  startedAt?: string;
  stoppedAt?: string;
  projectUid?: string;
  segmentationId?: string;
  counts?: { rows: number; bytes: number; files: number };
  error?: { name: string; cause: string };
}

function exportRow(query: ExportHistoryQuery, out: DescribeExecutionCommandOutput): ExportRun | undefined {
  const request: Partial<ExecutionInput['request']> = runInput<ExecutionInput>(out).request ?? {};
  if (query.projectUid && request.projectUid !== query.projectUid) return undefined;
  if (query.segmentationId && request.segmentationId !== query.segmentationId) return undefined;
  const run: ExportRun = {
    exportId: out.name ?? '',
    ...runTimes(out),
    projectUid: request.projectUid,
    segmentationId: request.segmentationId,
  };
  if (out.status === 'SUCCEEDED' && out.output) {
    const manifest = JSON.parse(out.output) as Partial<Manifest>;
    run.counts = { rows: manifest.totalRows ?? 0, bytes: manifest.totalBytes ?? 0, files: manifest.files?.length ?? 0 };
  }
  const error = runError(out);
  return error ? { ...run, error } : run;
}

export async function listExportRuns(deps: RunsDeps, query: ExportHistoryQuery): Promise<RunsPage<ExportRun>> {
  const filter: RunFilter<ExportRun> = { ...scheduledNames(query.scheduledTime), row: (out) => exportRow(query, out) };
  const { status, limit, next, projectUid, segmentationId, scheduledTime } = query;
  return await listRuns(deps, { status, limit, next, filters: { projectUid, segmentationId, scheduledTime } }, filter);
}
