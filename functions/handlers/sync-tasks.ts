// The sync state machine's Task Lambdas: build files, ensure the audience, upload one file, check processing,
// finish (commit + report) and clean up. Each is syncTask(…) around one lib/sync call.
import type { DeltaProgress } from '../../lib/audience/delta.ts';
import { ConfigError } from '../../lib/errors.ts';
import { pollPolicyOf } from '../../lib/export/poll.ts';
import { type MetricsSink, recordSync } from '../../lib/metrics.ts';
import { buildAudienceFiles } from '../../lib/sync/build.ts';
import { cleanUpRun, finishSync, syncMetricCounts } from '../../lib/sync/finish.ts';
import {
  buildInput,
  checkInput,
  cleanUpInput,
  ensureAudienceInput,
  finishInput,
  uploadInput,
} from '../../lib/sync/task-input.ts';
import { checkProcessing, ensureAudience, type ProcessingState, uploadFile } from '../../lib/sync/tencent.ts';
import { functionMetrics } from '../middleware/metrics.ts';
import { type SyncTaskDeps, syncTask } from '../middleware/sync-task.ts';

export interface BuildAudienceFilesDeps extends SyncTaskDeps {
  /** Parent of the scratch directory (default the OS temp dir: /tmp on Lambda). */
  tempDir?: string;
  onProgress?: (progress: DeltaProgress & { runId: string }) => void;
}

export function createBuildAudienceFiles(deps: BuildAudienceFilesDeps = {}) {
  return syncTask('buildAudienceFiles', buildInput, deps, {}, async ({ sync, manifest }, tools) => {
    const exportBucket = tools.config.EXPORT_BUCKET;
    if (!exportBucket) throw new ConfigError('Missing configuration: EXPORT_BUCKET');
    const buildDeps = {
      s3: tools.s3,
      signal: tools.signal,
      exportBucket,
      maxFileBytes: tools.config.TENCENT_MAX_FILE_BYTES,
      maxIdsInMemory: tools.config.SYNC_IDS_IN_MEMORY,
      tempDir: deps.tempDir,
      logger: tools.logger.child({ runId: sync.runId }),
      onProgress: deps.onProgress,
    };
    return await buildAudienceFiles(buildDeps, sync, manifest);
  });
}

export function createEnsureAudience(deps: SyncTaskDeps = {}) {
  return syncTask('ensureAudience', ensureAudienceInput, deps, { tencent: true }, async ({ sync }, tools) =>
    ensureAudience({ client: tools.tencent(), logger: tools.logger }, sync),
  );
}

export function createUploadAudienceFile(deps: SyncTaskDeps = {}) {
  return syncTask('uploadAudienceFile', uploadInput, deps, { tencent: true }, async (input, tools) => {
    const stepDeps = { client: tools.tencent(), logger: tools.logger, s3: tools.s3, signal: tools.signal };
    return await uploadFile(stepDeps, input.sync, input.audienceId, input.file);
  });
}

export interface CheckAudienceFilesDeps extends SyncTaskDeps {
  /** Observes every processing poll (the CLI shows it as progress). */
  onProcessing?: (state: ProcessingState & { runId: string }) => void;
}

export function createCheckAudienceFiles(deps: CheckAudienceFilesDeps = {}) {
  return syncTask('checkAudienceFiles', checkInput, deps, { tencent: true }, async (input, tools) => {
    const stepDeps = { client: tools.tencent(), logger: tools.logger };
    const policy = pollPolicyOf(tools.config);
    const state = await checkProcessing(stepDeps, input.sync, input.uploaded, input.processing, policy);
    deps.onProcessing?.({ ...state, runId: input.sync.runId });
    return state;
  });
}

export interface FinishSyncDeps extends SyncTaskDeps {
  /** Where SyncIdsAdded/Removed/Invalid and SyncMatchRate go; default EMF when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
}

export function createFinishSync(deps: FinishSyncDeps = {}) {
  let metrics = deps.metrics;
  return syncTask('finishSync', finishInput, deps, {}, async (input, tools) => {
    const finish = {
      sync: input.sync,
      build: input.build,
      audienceId: input.audience.audienceId,
      processed: input.processing.files,
    };
    const report = await finishSync({ s3: tools.s3, signal: tools.signal, logger: tools.logger }, finish);
    metrics ??= functionMetrics(tools.config);
    if (!report.dryRun) recordSync(metrics, syncMetricCounts(report));
    return report;
  });
}

export function createCleanUpSync(deps: SyncTaskDeps = {}) {
  return syncTask('cleanUpSync', cleanUpInput, deps, {}, async ({ sync, failure }, tools) =>
    cleanUpRun({ s3: tools.s3, signal: tools.signal, logger: tools.logger }, sync, failure),
  );
}
