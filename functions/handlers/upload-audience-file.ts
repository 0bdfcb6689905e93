// The sync state machine's UploadAudienceFile task: one built file from S3 to the Tencent audience.
import { uploadInput } from '../../lib/sync/task-input.ts';
import { uploadFile } from '../../lib/sync/tencent.ts';
import type { SyncTaskDeps } from '../middleware/sync-task.ts';
import { tencentTask } from '../middleware/tencent-task.ts';

export function createUploadAudienceFile(deps: SyncTaskDeps = {}) {
  return tencentTask('uploadAudienceFile', uploadInput, deps, async (input, tools) => {
    const stepDeps = { client: tools.tencent(), logger: tools.logger, s3: tools.s3, signal: tools.signal };
    return await uploadFile(stepDeps, input.sync, input.audienceId, input.file);
  });
}
