// listExports factory: GET /exports ⇒ query checked ⇒ listExportRuns (lib) ⇒ 200 {items, next}.
import { listExportRuns, parseExportHistoryQuery } from '../../lib/export/history.ts';
import { queryOf } from '../middleware/http.ts';
import { type RunReaderDeps, runReader } from '../middleware/run-reader.ts';

export type ListExportsDeps = RunReaderDeps;

export function createListExports(deps: ListExportsDeps = {}) {
  return runReader(
    'listExports',
    'STATE_MACHINE_ARN',
    deps,
    (event) => parseExportHistoryQuery(queryOf(event)),
    listExportRuns,
  );
}
