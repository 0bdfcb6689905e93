// The sync state machine's FinishSync task: commits the snapshot, writes the report and records the sync's metrics.
import { type MetricsSink, recordSync } from '../../lib/metrics.ts';
import { finishSync } from '../../lib/sync/finish.ts';
import { syncMetricCounts } from '../../lib/sync/report.ts';
import { finishInput } from '../../lib/sync/task-input.ts';
import { functionMetrics } from '../middleware/metrics.ts';
import { type SyncTaskDeps, syncTask } from '../middleware/sync-task.ts';

export interface FinishSyncDeps extends SyncTaskDeps {
  /** Where SyncIdsAdded/Removed/Invalid and SyncMatchRate go; default EMF when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
}

export function createFinishSync(deps: FinishSyncDeps = {}) {
  let metrics = deps.metrics;
  return syncTask('finishSync', finishInput, deps, async (input, tools) => {
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
