// The poll contract in one home: the state the state machine carries between requestExport calls, and the pure
// decision of what one GrowingIO answer means for it (status, next wait, transient failures, the poll budget).
import { z } from 'zod';
import type { Config } from '../config.ts';
import { GrowingIoExportFailed, GrowingIoUnavailable } from '../errors.ts';
import { EXPORT_STATUSES, type SegmentExportJob } from '../growingio/types.ts';
import { assertPollsLeft, nextPollSeconds, type PollPolicy } from './poll-policy.ts';

/** Expired download links are re-requested from GrowingIO at most this many times per export. */
export const MAX_LINK_REFRESHES = 3;

/** GrowingIO jobs that fail with a "retry later" message are re-requested this many times before giving up. */
export const MAX_TRANSIENT_JOB_FAILURES = 3;

/** `$.poll` of the state machine: the input of requestExport and, with the job fields, its output. */
export const pollStateSchema = z.object({
  jobId: z.string().optional(),
  pollCount: z.number().int().min(0),
  linkRefreshesLeft: z.number().int().min(0).default(MAX_LINK_REFRESHES),
  transientFailures: z.number().int().min(0).default(0),
  status: z.enum(EXPORT_STATUSES as ['done', 'doing', 'failed']).optional(),
  downloadLinks: z.array(z.string()).default([]),
  errorMsg: z.string().default(''),
  nextPollSeconds: z.number().int().min(0).default(0),
});

export type PollState = z.output<typeof pollStateSchema>;
/** A poll state after a GrowingIO answer: every field known. */
export type PolledState = Required<PollState>;

/** The poll state an execution starts with. */
export function initialPollState(): PollState {
  return pollStateSchema.parse({ pollCount: 0 });
}

/** What one requestSegmentExport call produced: a job, or the error it threw. */
export type PollAnswer = { job: SegmentExportJob } | { error: unknown };

export function answerOf(call: Promise<SegmentExportJob>): Promise<PollAnswer> {
  return call.then(
    (job) => ({ job }),
    (error: unknown) => ({ error }),
  );
}

/** The poll budget and backoff from the POLL_* settings. */
export function pollPolicyOf(config: Pick<Config, 'POLL_INITIAL_SECONDS' | 'POLL_MAX_SECONDS' | 'POLL_MAX_ATTEMPTS'>) {
  const { POLL_INITIAL_SECONDS: initialSeconds, POLL_MAX_SECONDS: maxSeconds, POLL_MAX_ATTEMPTS: maxAttempts } = config;
  return { initialSeconds, maxSeconds, maxAttempts } satisfies PollPolicy;
}

/**
 * The next poll state. A running job waits with backoff (ExportTimedOut past the budget); a "retry later" job
 * failure is re-asked a bounded number of times; a job GrowingIO reports failed is an answer (the state machine
 * routes it to Export Failed); any other error is rethrown for the ASL's Retry/Catch.
 */
export function nextPoll(state: PollState, answer: PollAnswer, policy: PollPolicy): PolledState {
  const pollCount = state.pollCount + 1;
  const base = {
    pollCount,
    linkRefreshesLeft: state.linkRefreshesLeft,
    transientFailures: state.transientFailures,
    downloadLinks: [] as string[],
  };
  const waitFor = (jobId: string) => {
    assertPollsLeft(pollCount, policy, jobId);
    return nextPollSeconds(pollCount, policy);
  };
  if ('job' in answer) {
    const { job } = answer;
    return { ...base, ...job, nextPollSeconds: job.status === 'doing' ? waitFor(job.jobId) : 0 };
  }
  const { error } = answer;
  const jobId = String((error as { details?: { jobId?: unknown } }).details?.jobId ?? state.jobId ?? '');
  if (error instanceof GrowingIoUnavailable && error.details.jobId !== undefined) {
    const transientFailures = state.transientFailures + 1;
    if (transientFailures < MAX_TRANSIENT_JOB_FAILURES) {
      const wait = waitFor(jobId);
      return { ...base, transientFailures, jobId, status: 'doing', errorMsg: error.message, nextPollSeconds: wait };
    }
    const errorMsg = `${error.message} (${transientFailures} attempts)`;
    return { ...base, transientFailures, jobId, status: 'failed', errorMsg, nextPollSeconds: 0 };
  }
  if (!(error instanceof GrowingIoExportFailed)) throw error;
  return { ...base, jobId, status: 'failed', errorMsg: error.message, nextPollSeconds: 0 };
}
