// requestExport factory (state machine Task): one GrowingIO call ⇒ nextPoll (lib) ⇒ the next poll state.
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import { answerOf, nextPoll, type PolledState, pollPolicyOf } from '../../lib/export/poll.ts';
import { parseTaskInput, requestExportInput } from '../../lib/export/task-input.ts';
import { createGrowingIoClient } from '../../lib/growingio/client.ts';
import type { Fetch } from '../../lib/http.ts';
import type { Logger } from '../../lib/log.ts';
import { type MetricsSink, recordPoll, recordThrottle } from '../../lib/metrics.ts';
import { growingIoBudget } from '../middleware/growingio-budget.ts';
import { deadline } from '../middleware/http.ts';
import { asHandler } from '../middleware/lazy.ts';
import { functionLogger } from '../middleware/logger.ts';
import { functionMetrics } from '../middleware/metrics.ts';
import { tokenToContext } from '../middleware/secret.ts';

export interface RequestExportDeps {
  config?: Config;
  fetch?: Fetch;
  logger?: Logger;
  /** Where ExportPolls / UpstreamThrottles go; default EMF lines when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
  /** S3 client for the shared budget's slot objects (GROWINGIO_SHARED_BUDGET=s3). */
  s3?: S3Client;
  /** SSM client options for GROWINGIO_TOKEN_PARAMETER (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
  /** Observes every poll (the local CLI shows them as progress). */
  onPoll?: (state: PolledState & { exportId: string }) => void;
}

type TokenContext = Context & { growingIoToken: string };

export function createRequestExport(deps: RequestExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'requestExport');
  const policy = pollPolicyOf(config);
  const budget = growingIoBudget(config, deps.s3);
  const metrics = deps.metrics ?? functionMetrics(config);

  const core = async (event: unknown, context: TokenContext, options?: { signal?: AbortSignal }) => {
    const { request, poll } = parseTaskInput(requestExportInput, event, 'requestExport');
    const log = logger.child({ exportId: request.exportId, pollCount: poll.pollCount + 1 });
    const client = createGrowingIoClient({
      baseUrl: config.GROWINGIO_BASE_URL,
      token: context.growingIoToken,
      fetch: deps.fetch,
      logger: log,
      // Short in-Lambda retries; the state machine retries longer outages with its own backoff.
      retry: { maxAttempts: 3, maxRetryAfterMs: 5_000, timeoutMs: config.HTTP_TIMEOUT_MS },
      signal: options?.signal,
      limiter: budget,
    });
    const { projectUid, segmentationId, expireMinutes, parameters } = request;
    const answer = await answerOf(
      client.requestSegmentExport({ projectUid, segmentationId, expireMinutes, parameters }),
    );
    if ('error' in answer) recordThrottle(metrics, answer.error);
    const next = nextPoll(poll, answer, policy);
    recordPoll(metrics, next);
    const { jobId, status, nextPollSeconds: wait } = next;
    const error = 'error' in answer ? answer.error : undefined;
    log[error ? 'warn' : 'info']('export status', { jobId, status, links: next.downloadLinks.length, wait, error });
    deps.onPoll?.({ ...next, exportId: request.exportId });
    return next;
  };

  const token = tokenToContext<unknown, PolledState>('growingIoToken', config, logger, deps);
  return asHandler(middy<unknown, PolledState, Error, TokenContext>(core, deadline()).use(token));
}
