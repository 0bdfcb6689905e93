// summarizeFanOut factory (fan-out Task): every job's outcome ⇒ summarizeFanOut (lib) ⇒ the run summary + metrics.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import { type FanOutSummary, type JobResult, summarizeFanOut } from '../../lib/fan-out/summary.ts';
import type { Logger } from '../../lib/log.ts';
import { type MetricsSink, recordFanOut } from '../../lib/metrics.ts';
import { deadline } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';
import { functionMetrics } from '../middleware/metrics.ts';

export interface SummarizeFanOutDeps {
  config?: Config;
  logger?: Logger;
  /** Told the summary (tests). */
  onSummary?: (summary: FanOutSummary) => void;
  /** Where FanOutJobs / FanOutJobsFailed go (the alarm); default EMF when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
}

export function createSummarizeFanOut(deps: SummarizeFanOutDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'summarizeFanOut');
  const metrics = deps.metrics ?? functionMetrics(config);

  const core = async (event: unknown, _context: Context): Promise<FanOutSummary> => {
    const { scheduledTime, results } = (event ?? {}) as { scheduledTime?: unknown; results?: unknown };
    const summary = summarizeFanOut(
      String(scheduledTime ?? ''),
      Array.isArray(results) ? (results as JobResult[]) : [],
    );
    const failedJobs = summary.jobs
      .filter((job) => job.status !== 'SUCCEEDED')
      .map(({ kind, id, status, error }) => ({ kind, id, status, error }));
    const { total, succeeded, failed } = summary;
    logger[failed > 0 ? 'warn' : 'info']('fan-out finished', {
      scheduledTime: summary.scheduledTime,
      total,
      succeeded,
      failed,
      failedJobs,
    });
    recordFanOut(metrics, summary);
    deps.onSummary?.(summary);
    return summary;
  };

  return middy(core, deadline());
}
