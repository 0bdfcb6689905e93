// The sync state machine's BuildAudienceFiles task: the delta of the export against the last snapshot, as upload files.
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DeltaProgress } from '../../lib/audience/delta.ts';
import { ConfigError } from '../../lib/errors.ts';
import { executionRunning, lazySfnClient } from '../../lib/export/running-check.ts';
import { buildAudienceFiles } from '../../lib/sync/build.ts';
import { buildInput } from '../../lib/sync/task-input.ts';
import { type SyncTaskDeps, syncTask } from '../middleware/sync-task.ts';

export interface BuildAudienceFilesDeps extends SyncTaskDeps {
  /** Asks whether the run holding the sync's lock is still RUNNING (default: SFN_ENDPOINT or AWS). */
  sfn?: SFNClient;
  /** Parent of the scratch directory (default the OS temp dir: /tmp on Lambda). */
  tempDir?: string;
  onProgress?: (progress: DeltaProgress & { runId: string }) => void;
}

export function createBuildAudienceFiles(deps: BuildAudienceFilesDeps = {}) {
  let sfnClient: (() => Promise<SFNClient>) | undefined;
  return syncTask('buildAudienceFiles', buildInput, deps, async ({ sync, manifest, executionArn }, tools) => {
    const exportBucket = tools.config.EXPORT_BUCKET;
    if (!exportBucket) throw new ConfigError('Missing configuration: EXPORT_BUCKET');
    // Only when the sync's lock is held by another run: the SFN SDK loads then, not at every cold start.
    const isRunning = async (arn: string) => {
      const { sfn } = deps;
      sfnClient ??= sfn
        ? async () => sfn
        : lazySfnClient({ endpoint: tools.config.SFN_ENDPOINT, region: tools.config.AWS_REGION });
      return await executionRunning(await sfnClient(), arn, tools.signal);
    };
    const buildDeps = {
      s3: tools.s3,
      signal: tools.signal,
      exportBucket,
      maxFileBytes: tools.config.TENCENT_MAX_FILE_BYTES,
      maxIdsInMemory: tools.config.SYNC_IDS_IN_MEMORY,
      maxRemovePercent: tools.config.SYNC_MAX_REMOVE_PERCENT,
      ...(executionArn ? { lock: { executionArn, isRunning } } : {}),
      tempDir: deps.tempDir,
      logger: tools.logger.child({ runId: sync.runId }),
      onProgress: deps.onProgress,
    };
    return await buildAudienceFiles(buildDeps, sync, manifest);
  });
}
