// GET /exports: the export runs, newest first, filtered by segment, status or the fan-out's scheduled time.
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { BadRequest } from '../errors.ts';
import { childNamePrefix } from '../fan-out/plan.ts';
import { growingIoId } from '../growingio/request.ts';
import { listRuns, RUN_STATUSES, type RunFilter, type RunsDeps, type RunsPage } from '../history/runs.ts';
import { invalidInput, parseOrFail } from '../validation.ts';
import type { ExecutionInput } from './execution.ts';
import type { Manifest } from './manifest.ts';
import { readableCause } from './status.ts';

const exportHistoryQuery = z.strictObject({
  projectUid: growingIoId.optional(),
  segmentationId: growingIoId.optional(),
  status: z.enum(RUN_STATUSES, { error: `must be one of ${RUN_STATUSES.join(', ')}` }).optional(),
  /** Only the children of the fan-out scheduled at this time (their names start with its stamp). */
  scheduledTime: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number between 1 and 100')
    .transform(Number)
    .pipe(z.int().min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100'))
    .default(20),
  next: z.string().min(1).max(4096).optional(),
});

export type ExportHistoryQuery = z.output<typeof exportHistoryQuery>;

export function parseExportHistoryQuery(query: Record<string, string | undefined>): ExportHistoryQuery {
  const given = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
  return parseOrFail(exportHistoryQuery, given, (errors) => invalidInput(BadRequest, 'Invalid query', errors), 'query');
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
  let request: Partial<ExecutionInput['request']> = {};
  try {
    request = (JSON.parse(out.input ?? '{}') as Partial<ExecutionInput>).request ?? {};
  } catch {
    // an execution started with foreign input: listed without its segment
  }
  if (query.projectUid && request.projectUid !== query.projectUid) return undefined;
  if (query.segmentationId && request.segmentationId !== query.segmentationId) return undefined;
  const run: ExportRun = {
    exportId: out.name ?? '',
    status: out.status ?? 'UNKNOWN',
    startedAt: out.startDate?.toISOString(),
    stoppedAt: out.stopDate?.toISOString(),
    projectUid: request.projectUid,
    segmentationId: request.segmentationId,
  };
  if (out.status === 'SUCCEEDED' && out.output) {
    const manifest = JSON.parse(out.output) as Partial<Manifest>;
    run.counts = { rows: manifest.totalRows ?? 0, bytes: manifest.totalBytes ?? 0, files: manifest.files?.length ?? 0 };
  }
  if (out.status !== 'SUCCEEDED' && out.status !== 'RUNNING') {
    run.error = { name: out.error ?? out.status ?? 'Unknown', cause: readableCause(out.cause).slice(0, 300) };
  }
  return run;
}

export async function listExportRuns(deps: RunsDeps, query: ExportHistoryQuery): Promise<RunsPage<ExportRun>> {
  const prefix = query.scheduledTime ? childNamePrefix(new Date(query.scheduledTime)) : undefined;
  const filter: RunFilter<ExportRun> = {
    ...(prefix ? { name: (name: string) => name.startsWith(prefix) } : {}),
    row: (out) => exportRow(query, out),
  };
  const { status, limit, next, projectUid, segmentationId, scheduledTime } = query;
  return await listRuns(deps, { status, limit, next, filters: { projectUid, segmentationId, scheduledTime } }, filter);
}
