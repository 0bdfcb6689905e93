// The sync state machine's EnsureAudience task: finds or creates the Tencent customer audience of the sync.
import { ensureAudienceInput } from '../../lib/sync/task-input.ts';
import { ensureAudience } from '../../lib/sync/tencent.ts';
import type { SyncTaskDeps } from '../middleware/sync-task.ts';
import { tencentTask } from '../middleware/tencent-task.ts';

export function createEnsureAudience(deps: SyncTaskDeps = {}) {
  return tencentTask('ensureAudience', ensureAudienceInput, deps, async ({ sync }, tools) =>
    ensureAudience({ client: tools.tencent(), logger: tools.logger }, sync),
  );
}
