// The fan-out's first step: a jobs list ⇒ one planned child execution per job, its name derived from the
// scheduled time and the job's position, so a redelivered schedule maps to the same executions.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, BadRequest } from '../errors.ts';
import { invalidInput, parseOrFail } from '../validation.ts';
import { JOB_KINDS, type JobKind } from './kinds.ts';

export const MAX_JOBS = 200;

const jobSchema = z.object({
  kind: z.string().min(1),
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 characters of A-Z a-z 0-9 _ -')
    .optional(),
  request: z.unknown(),
});

const fanOutInputSchema = z.object({
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
  jobs: z.array(z.unknown()).min(1, 'must list at least one job').max(MAX_JOBS, `must list at most ${MAX_JOBS} jobs`),
});

export interface PlannedJob {
  index: number;
  kind: string;
  id: string;
  /** The child execution's name (for an export: its export id). */
  name: string;
  stateMachineArn?: string;
  input?: unknown;
  /** Set instead of stateMachineArn/input when the job itself is invalid: the others still run. */
  rejected?: { error: string; cause: string };
}

export interface Plan {
  scheduledTime: string;
  jobs: PlannedJob[];
}

export interface PlanDeps {
  /** kind ⇒ the ARN of its state machine; a kind without one is refused. */
  stateMachineArns: Record<string, string | undefined>;
  kinds?: Record<string, JobKind>;
  /** Passed to every kind's childInput (ChildContext.settings). */
  settings?: Readonly<Record<string, unknown>>;
}

/** `f20261206T220000-03-daily-vip-1a2b3c4d`: ≤ 80 characters of A-Z a-z 0-9 _ -, unique per time and job. */
export function childExecutionName(scheduledAt: Date, index: number, id: string): string {
  const stamp = scheduledAt.toISOString().slice(0, 19).replaceAll('-', '').replaceAll(':', '');
  const digest = createHash('sha256').update(`${scheduledAt.toISOString()}\0${index}\0${id}`).digest('hex');
  return `f${stamp}-${String(index).padStart(2, '0')}-${id.slice(0, 40)}-${digest.slice(0, 8)}`;
}

/** The names every fan-out child starts with, for a scheduled time (history filters on it). */
export function childNamePrefix(scheduledAt: Date): string {
  return `f${scheduledAt.toISOString().slice(0, 19).replaceAll('-', '').replaceAll(':', '')}-`;
}

/** A job's kind and id as far as they can be read, for naming even a rejected job. */
function jobLabel(raw: unknown): { kind: string; id: string } {
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as { kind?: unknown; id?: unknown };
  const kind = typeof record.kind === 'string' ? record.kind.slice(0, 40) : 'unknown';
  const id = typeof record.id === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(record.id) ? record.id : undefined;
  return { kind, id: id ?? (kind.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 20) || 'job') };
}

function planJob(deps: PlanDeps, raw: unknown, index: number, scheduledAt: Date): PlannedJob {
  const kinds = deps.kinds ?? JOB_KINDS;
  const { kind, id } = jobLabel(raw);
  const name = childExecutionName(scheduledAt, index, id);
  const base = { index, kind, id, name };
  try {
    const job = parseOrFail(jobSchema, raw, (errors) => invalidInput(BadRequest, 'Invalid job', errors), 'job');
    const jobKind = kinds[job.kind];
    const stateMachineArn = deps.stateMachineArns[job.kind];
    if (!jobKind || !stateMachineArn) {
      const known = Object.keys(kinds).filter((name) => deps.stateMachineArns[name]);
      throw new BadRequest(`Invalid job: kind must be one of ${known.join(', ')}`, {
        errors: [{ field: 'kind', message: `must be one of ${known.join(', ')}` }],
      });
    }
    const child = { name, scheduledAt, settings: deps.settings ?? {} };
    return { ...base, stateMachineArn, input: jobKind.childInput(job.request, child) };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { ...base, rejected: { error: error.name, cause: `jobs[${index}]: ${error.message}`.slice(0, 500) } };
  }
}

/** Plans every job; a malformed list as a whole is a BadRequest (the fan-out fails), a bad job is only rejected. */
export function planFanOut(deps: PlanDeps, input: unknown, startTime: string): Plan {
  const { scheduledTime, jobs } = parseOrFail(
    fanOutInputSchema,
    input,
    (errors) => invalidInput(BadRequest, 'Invalid fan-out input', errors),
    'input',
  );
  const at = new Date(scheduledTime ?? startTime);
  if (Number.isNaN(at.getTime())) {
    throw new BadRequest('Invalid fan-out start time', { errors: [{ field: 'startTime', message: 'must be a date' }] });
  }
  const planned = jobs.map((job, index) => planJob(deps, job, index, at));
  return { scheduledTime: at.toISOString(), jobs: rejectOverlaps(deps, planned) };
}

/** A job that shares its kind's exclusive key (a sync's syncId) with an earlier job of the list is rejected. */
function rejectOverlaps(deps: PlanDeps, jobs: PlannedJob[]): PlannedJob[] {
  const kinds = deps.kinds ?? JOB_KINDS;
  const first = new Map<string, number>();
  return jobs.map((job) => {
    const key = job.rejected ? undefined : kinds[job.kind]?.exclusiveKey?.(job.input);
    if (key === undefined) return job;
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, job.index);
      return job;
    }
    const cause = `jobs[${job.index}]: ${key} is also jobs[${earlier}]'s; its runs must not overlap: list it once`;
    return { index: job.index, kind: job.kind, id: job.id, name: job.name, rejected: { error: 'BadRequest', cause } };
  });
}
