// The sync state machine's CheckAudienceFiles task: one poll of Tencent's processing of the uploaded files.
import { pollPolicyOf } from '../../lib/export/poll.ts';
import { checkInput } from '../../lib/sync/task-input.ts';
import { checkProcessing, type ProcessingState } from '../../lib/sync/tencent.ts';
import type { SyncTaskDeps } from '../middleware/sync-task.ts';
import { tencentTask } from '../middleware/tencent-task.ts';

export interface CheckAudienceFilesDeps extends SyncTaskDeps {
  /** Observes every processing poll (the CLI shows it as progress). */
  onProcessing?: (state: ProcessingState & { runId: string }) => void;
}

export function createCheckAudienceFiles(deps: CheckAudienceFilesDeps = {}) {
  return tencentTask('checkAudienceFiles', checkInput, deps, async (input, tools) => {
    const stepDeps = { client: tools.tencent(), logger: tools.logger };
    const policy = pollPolicyOf(tools.config);
    const state = await checkProcessing(stepDeps, input.sync, input.uploaded, input.processing, policy);
    deps.onProcessing?.({ ...state, runId: input.sync.runId });
    return state;
  });
}
