// listSyncs factory: GET /syncs ⇒ query checked ⇒ listSyncRuns (lib) ⇒ 200 {items, next}.
import { listSyncRuns, parseSyncHistoryQuery } from '../../lib/sync/history.ts';
import { queryOf } from '../middleware/http.ts';
import { type RunReaderDeps, runReader } from '../middleware/run-reader.ts';

export type ListSyncsDeps = RunReaderDeps;

export function createListSyncs(deps: ListSyncsDeps = {}) {
  return runReader(
    'listSyncs',
    'SYNC_STATE_MACHINE_ARN',
    deps,
    (event) => parseSyncHistoryQuery(queryOf(event)),
    listSyncRuns,
  );
}
