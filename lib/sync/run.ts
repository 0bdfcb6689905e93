// One sync run: its id (a Step Functions execution name), its S3 layout and the execution input every trigger builds.
import { EXECUTION_NAME, EXECUTION_NAME_RULE } from '../aws-names.ts';
import { BadRequest } from '../errors.ts';
import { buildExecutionInput, type ExecutionInput, exportIdFor } from '../export/execution.ts';
import type { SyncRequest } from './request.ts';

/** Where a run stores what it writes; the bucket is the export bucket, the prefix SYNC_PREFIX. */
export interface SyncStorage {
  bucket: string;
  prefix: string;
}

/** The run as the state machine carries it in `$.sync`. */
export type SyncRun = Omit<SyncRequest, 'idempotencyKey'> & {
  runId: string;
  exportId: string;
  requestedAt: string;
  storage: SyncStorage;
};

/** The execution input of the sync state machine; `export` is the nested export execution's own input. */
export interface SyncExecutionInput {
  sync: SyncRun;
  export: ExecutionInput;
  /** Filled by later states; present from the start so every JSONPath resolves on every path. */
  audience: { audienceId: number | null };
  uploaded: unknown[];
  processing: { pollCount: number; files: unknown[] };
}

/** Same rule as export ids: derived from the idempotency key when there is one, unique otherwise. */
export const runIdFor = exportIdFor;

/** The nested export's execution name: the run's id plus a suffix (≤ 80 characters: run ids are ≤ 59). */
export const exportIdOfRun = (runId: string) => `${runId}-export`;

export function buildSyncInput(request: SyncRequest, runId: string, now: Date, storage: SyncStorage) {
  const { idempotencyKey: _key, ...rest } = request;
  const exportId = exportIdOfRun(runId);
  const exportRequest = {
    projectUid: request.projectUid,
    segmentationId: request.segmentationId,
    expireMinutes: request.expireMinutes,
    parameters: request.parameters,
  };
  const input: SyncExecutionInput = {
    sync: { ...rest, runId, exportId, requestedAt: now.toISOString(), storage },
    export: buildExecutionInput(exportRequest, exportId, now),
    audience: { audienceId: request.tencent.audienceId ?? null },
    uploaded: [],
    processing: { pollCount: 0, files: [] },
  };
  return input;
}

export function assertRunId(runId: string | undefined): string {
  if (runId === undefined || !EXECUTION_NAME.test(runId)) {
    throw new BadRequest('Invalid sync run id', { errors: [{ field: 'runId', message: EXECUTION_NAME_RULE }] });
  }
  return runId;
}

const join = (...parts: string[]) => parts.filter(Boolean).join('/');

/** `{prefix}/{syncId}/snapshot.txt.gz`: the ids of the last successful run. */
export const snapshotKey = (storage: SyncStorage, syncId: string) => join(storage.prefix, syncId, 'snapshot.txt.gz');

/** `{prefix}/{syncId}/lock.json`: the run that may read and replace the snapshot now (lib/sync/lock.ts). */
export const lockKey = (storage: SyncStorage, syncId: string) => join(storage.prefix, syncId, 'lock.json');

/** `{prefix}/{syncId}/runs/{runId}/`: everything one run writes. */
export const runPrefix = (storage: SyncStorage, syncId: string, runId: string) =>
  `${join(storage.prefix, syncId, 'runs', runId)}/`;

/** The new snapshot, staged until every file has been processed. */
export const stagedSnapshotKey = (run: Pick<SyncRun, 'storage' | 'syncId' | 'runId'>) =>
  `${runPrefix(run.storage, run.syncId, run.runId)}snapshot.txt.gz`;

/** `append-00001.zip`, `reduce-00001.zip`… */
export const uploadFileKey = (
  run: Pick<SyncRun, 'storage' | 'syncId' | 'runId'>,
  operationType: 'APPEND' | 'REDUCE',
  index: number,
) =>
  `${runPrefix(run.storage, run.syncId, run.runId)}${operationType.toLowerCase()}-${String(index + 1).padStart(5, '0')}.zip`;
