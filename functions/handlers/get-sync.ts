// getSync factory: GET /syncs/{runId} ⇒ describeSync (lib) ⇒ 200 with status and the report, or which step failed.
import { assertRunId } from '../../lib/sync/run.ts';
import { describeSync } from '../../lib/sync/start.ts';
import { type RunReaderDeps, runReader } from '../middleware/run-reader.ts';

export type GetSyncDeps = RunReaderDeps;

export function createGetSync(deps: GetSyncDeps = {}) {
  return runReader(
    'getSync',
    'SYNC_STATE_MACHINE_ARN',
    deps,
    (event) => assertRunId(event.pathParameters?.runId),
    describeSync,
  );
}
