// getExport factory: GET /exports/{exportId} ⇒ describeExport (lib) ⇒ 200 with status, manifest or error.
import { assertExportId } from '../../lib/export/execution.ts';
import { describeExport } from '../../lib/export/status.ts';
import { type RunReaderDeps, runReader } from '../middleware/run-reader.ts';

export type GetExportDeps = RunReaderDeps;

export function createGetExport(deps: GetExportDeps = {}) {
  return runReader(
    'getExport',
    'STATE_MACHINE_ARN',
    deps,
    (event) => assertExportId(event.pathParameters?.exportId),
    describeExport,
  );
}
