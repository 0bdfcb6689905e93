// The fan-out's last step: every job's outcome (child output, caught error or rejection) ⇒ one run summary.
import { readableCause } from '../export/cause.ts';
import { JOB_KINDS, type JobKind } from './kinds.ts';
import type { PlannedJob } from './plan.ts';

/** One Map iteration's result: the planned job plus what `.sync:2` answered or the Catch caught. */
export interface JobResult extends PlannedJob {
  /** `counts` when the ASL already reduced the child's output to them (exports), `output` otherwise. */
  result?: { status?: string; output?: unknown; counts?: Record<string, number> };
  error?: { Error?: string; Cause?: string };
}

export type JobStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'REJECTED' | 'ALREADY_STARTED';

export interface JobSummary {
  index: number;
  kind: string;
  id: string;
  executionName: string;
  status: JobStatus;
  error?: string;
  cause?: string;
  counts?: Record<string, number>;
}

export interface FanOutSummary {
  scheduledTime: string;
  total: number;
  succeeded: number;
  failed: number;
  jobs: JobSummary[];
}

const MAX_CAUSE = 300;

/** `.sync:2` fails a task with States.TaskFailed and the child's DescribeExecution output as the cause. */
function childFailure(error: NonNullable<JobResult['error']>): Pick<JobSummary, 'status' | 'error' | 'cause'> {
  if (error.Error === 'StepFunctions.ExecutionAlreadyExistsException') {
    return { status: 'ALREADY_STARTED', error: error.Error, cause: 'this job already ran for this scheduled time' };
  }
  if (error.Error === 'States.TaskFailed' && error.Cause?.startsWith('{')) {
    try {
      const child = JSON.parse(error.Cause) as { Status?: string; Error?: string; Cause?: string };
      const status = (['TIMED_OUT', 'ABORTED'].includes(child.Status ?? '') ? child.Status : 'FAILED') as JobStatus;
      return { status, error: child.Error ?? child.Status ?? 'Unknown', cause: readableCause(child.Cause) };
    } catch {
      // not the DescribeExecution envelope: report the task's own error below
    }
  }
  return { status: 'FAILED', error: error.Error ?? 'Unknown', cause: readableCause(error.Cause) };
}

export function summarizeJob(job: JobResult, kinds: Record<string, JobKind> = JOB_KINDS): JobSummary {
  const base = { index: job.index, kind: job.kind, id: job.id, executionName: job.name };
  if (job.rejected) return { ...base, status: 'REJECTED', error: job.rejected.error, cause: job.rejected.cause };
  if (job.error) {
    const failure = childFailure(job.error);
    return { ...base, ...failure, ...(failure.cause ? { cause: failure.cause.slice(0, MAX_CAUSE) } : {}) };
  }
  const counts = job.result?.counts ?? kinds[job.kind]?.counts(job.result?.output) ?? {};
  return { ...base, status: 'SUCCEEDED', counts };
}

export function summarizeFanOut(scheduledTime: string, results: JobResult[], kinds = JOB_KINDS): FanOutSummary {
  const jobs = results.map((job) => summarizeJob(job, kinds)).sort((a, b) => a.index - b.index);
  const succeeded = jobs.filter((job) => job.status === 'SUCCEEDED').length;
  const failed = jobs.filter((job) => job.status !== 'SUCCEEDED' && job.status !== 'ALREADY_STARTED').length;
  return { scheduledTime, total: jobs.length, succeeded, failed, jobs };
}
