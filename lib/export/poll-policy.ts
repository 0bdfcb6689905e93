// How long to wait before asking GrowingIO again: geometric backoff from an initial interval up to a ceiling.
import { ExportTimedOut } from '../errors.ts';

export interface PollPolicy {
  initialSeconds: number;
  maxSeconds: number;
  maxAttempts: number;
  /** Growth factor between consecutive waits; 1.5 keeps overshoot small while cutting calls for long jobs. */
  factor?: number;
}

/** Seconds to wait after the `pollCount`-th request (1-based): initial·factor^(n-1), capped, whole seconds. */
export function nextPollSeconds(pollCount: number, policy: PollPolicy): number {
  const factor = policy.factor ?? 1.5;
  const raw = policy.initialSeconds * factor ** Math.max(0, pollCount - 1);
  return Math.max(1, Math.min(policy.maxSeconds, Math.round(raw)));
}

/** Throws ExportTimedOut when a job is still running after the last allowed poll. */
export function assertPollsLeft(pollCount: number, policy: PollPolicy, jobId: string): void {
  if (pollCount >= policy.maxAttempts) {
    const waited = totalWaitSeconds(pollCount - 1, policy);
    throw new ExportTimedOut(
      `GrowingIO job ${jobId} was still running after ${pollCount} polls (~${waited} s); raise POLL_MAX_ATTEMPTS or POLL_MAX_SECONDS`,
      { details: { jobId, pollCount } },
    );
  }
}

/** Total seconds waited across the first `polls` waits; used for messages and the polling-cost benchmark. */
export function totalWaitSeconds(polls: number, policy: PollPolicy): number {
  let total = 0;
  for (let n = 1; n <= polls; n++) total += nextPollSeconds(n, policy);
  return total;
}
