// requestExport (state machine Task): one GrowingIO call; returns the job status and when to poll next.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../lib/config.ts';
import { GrowingIoExportFailed, GrowingIoUnavailable } from '../lib/errors.ts';
import { assertPollsLeft, nextPollSeconds, type PollPolicy } from '../lib/export/poll-policy.ts';
import { parseTaskInput, requestExportInput } from '../lib/export/task-input.ts';
import { createGrowingIoClient } from '../lib/growingio/client.ts';
import type { ExportStatus } from '../lib/growingio/types.ts';
import type { Fetch } from '../lib/http.ts';
import type { Logger } from '../lib/log.ts';
import { functionLogger } from './middleware/logger.ts';
import { secretToContext } from './middleware/secret.ts';

export interface RequestExportDeps {
  config?: Config;
  fetch?: Fetch;
  logger?: Logger;
  /** SSM client options for GROWINGIO_TOKEN_PARAMETER (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
  /** Observes every poll (the local CLI shows them as progress). */
  onPoll?: (result: PollResult & { exportId: string }) => void;
}

export interface PollResult {
  jobId: string;
  status: ExportStatus;
  downloadLinks: string[];
  errorMsg: string;
  pollCount: number;
  linkRefreshes: number;
  transientFailures: number;
  nextPollSeconds: number;
}

/** GrowingIO jobs that fail with a "retry later" message are re-requested this many times before giving up. */
export const MAX_TRANSIENT_JOB_FAILURES = 3;

type TokenContext = Context & { growingIoToken?: string };

export function createRequestExportHandler(deps: RequestExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'requestExport');
  const policy: PollPolicy = {
    initialSeconds: config.POLL_INITIAL_SECONDS,
    maxSeconds: config.POLL_MAX_SECONDS,
    maxAttempts: config.POLL_MAX_ATTEMPTS,
  };

  const core = async (event: unknown, context: TokenContext): Promise<PollResult> => {
    const { request, poll } = parseTaskInput(requestExportInput, event, 'requestExport');
    const pollCount = poll.pollCount + 1;
    const log = logger.child({ exportId: request.exportId, pollCount });
    const client = createGrowingIoClient({
      baseUrl: config.GROWINGIO_BASE_URL,
      token: context.growingIoToken!,
      fetch: deps.fetch,
      logger: log,
      // Short in-Lambda retries; the state machine retries longer outages with its own backoff.
      retry: { maxAttempts: 3, maxRetryAfterMs: 5_000, timeoutMs: config.HTTP_TIMEOUT_MS },
    });
    const base = {
      pollCount,
      linkRefreshes: poll.linkRefreshes,
      transientFailures: poll.transientFailures,
      downloadLinks: [] as string[],
    };
    const answer = (result: PollResult) => {
      deps.onPoll?.({ ...result, exportId: request.exportId });
      return result;
    };
    try {
      const job = await client.requestSegmentExport({
        projectUid: request.projectUid,
        segmentationId: request.segmentationId,
        expireMinutes: request.expireMinutes,
        parameters: request.parameters,
      });
      if (job.status === 'doing') assertPollsLeft(pollCount, policy, job.jobId);
      const wait = job.status === 'doing' ? nextPollSeconds(pollCount, policy) : 0;
      log.info('export status', { jobId: job.jobId, status: job.status, links: job.downloadLinks.length, wait });
      return answer({ ...base, ...job, nextPollSeconds: wait });
    } catch (error) {
      const jobId = String((error as { details?: { jobId?: unknown } }).details?.jobId ?? poll.jobId ?? '');
      // "Retry later" job failures: ask again after a wait (a new GET starts a new job), a bounded number of times.
      if (error instanceof GrowingIoUnavailable && error.details.jobId !== undefined) {
        const failures = poll.transientFailures + 1;
        log.warn('export failed transiently upstream', { error, failures });
        if (failures < MAX_TRANSIENT_JOB_FAILURES) {
          assertPollsLeft(pollCount, policy, jobId);
          const wait = nextPollSeconds(pollCount, policy);
          return answer({
            ...base,
            transientFailures: failures,
            jobId,
            status: 'doing',
            errorMsg: error.message,
            nextPollSeconds: wait,
          });
        }
        const errorMsg = `${error.message} (${failures} attempts)`;
        return answer({ ...base, transientFailures: failures, jobId, status: 'failed', errorMsg, nextPollSeconds: 0 });
      }
      // A job GrowingIO reports as failed is an answer, not a crash: the state machine routes it to Export Failed.
      if (!(error instanceof GrowingIoExportFailed)) throw error;
      log.warn('export failed upstream', { error });
      return answer({ ...base, jobId, status: 'failed', errorMsg: error.message, nextPollSeconds: 0 });
    }
  };

  const token = secretToContext<unknown, PollResult>({
    contextKey: 'growingIoToken',
    value: config.GROWINGIO_TOKEN,
    parameterName: config.GROWINGIO_TOKEN_PARAMETER,
    settings: ['GROWINGIO_TOKEN', 'GROWINGIO_TOKEN_PARAMETER'],
    logger,
    ssmClientOptions: deps.ssmClientOptions,
  });
  return middy<unknown, PollResult, Error, TokenContext>(core).use(token);
}

export const handler = createRequestExportHandler();
