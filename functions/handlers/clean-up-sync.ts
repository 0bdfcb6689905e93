// The sync state machine's CleanUpSync task: removes what a failed run left in S3 and describes the failure.
import { cleanUpRun } from '../../lib/sync/finish.ts';
import { cleanUpInput } from '../../lib/sync/task-input.ts';
import { type SyncTaskDeps, syncTask } from '../middleware/sync-task.ts';

export function createCleanUpSync(deps: SyncTaskDeps = {}) {
  return syncTask('cleanUpSync', cleanUpInput, deps, async ({ sync, failure }, tools) =>
    cleanUpRun({ s3: tools.s3, signal: tools.signal, logger: tools.logger }, sync, failure),
  );
}
