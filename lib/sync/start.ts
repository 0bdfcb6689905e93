// Starting a sync run and reading its status: one execution of the sync state machine per run id; a repeat of an
// idempotent request replays the run it started, a different request under the same key is a Conflict.
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { Conflict, NotFound, UpstreamError } from '../errors.ts';
import { executionArnFor } from '../export/execution.ts';
import type { Logger } from '../log.ts';
import { describeFailure } from './report.ts';
import { type SyncRequest, syncFingerprint } from './request.ts';
import { buildSyncInput, runIdFor, type SyncExecutionInput, type SyncStorage } from './run.ts';

export interface SyncSfnDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  signal?: AbortSignal;
}

export interface StartedSync {
  runId: string;
  syncId: string;
  executionArn: string;
  statusUrl: string;
  /** false when an earlier request with the same idempotency key already started this run. */
  created: boolean;
}

const sfnFailure = (what: string, error: unknown) =>
  new UpstreamError(`Step Functions could not ${what}: ${(error as Error).name}`, { cause: error });

export async function startSync(
  deps: SyncSfnDeps & { logger: Logger; now?: () => Date; storage: SyncStorage },
  request: SyncRequest,
  statusUrl: (runId: string) => string,
): Promise<StartedSync> {
  const now = (deps.now ?? (() => new Date()))();
  const runId = runIdFor(request.idempotencyKey, now);
  const input = buildSyncInput(request, runId, now, deps.storage);
  const executionArn = executionArnFor(deps.stateMachineArn, runId);
  const started = { runId, syncId: request.syncId, executionArn, statusUrl: statusUrl(runId) };
  try {
    const command = new StartExecutionCommand({
      stateMachineArn: deps.stateMachineArn,
      name: runId,
      input: JSON.stringify(input),
    });
    await deps.sfn.send(command, { abortSignal: deps.signal });
    deps.logger.info('sync started', { runId, syncId: request.syncId, dryRun: request.dryRun, mode: request.mode });
    return { ...started, created: true };
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw sfnFailure(`start sync run ${runId}`, error);
  }
  const previous = JSON.parse((await describe(deps, runId)).input ?? '{}') as Partial<SyncExecutionInput>;
  const { runId: _r, exportId: _e, requestedAt: _t, storage: _s, ...previousRequest } = previous.sync ?? {};
  if (syncFingerprint(previousRequest as SyncRequest) !== syncFingerprint(request)) {
    throw new Conflict(`Idempotency key already used for a different sync request (run ${runId})`, {
      details: { runId },
    });
  }
  deps.logger.info('sync already started', { runId });
  return { ...started, created: false };
}

async function describe(deps: SyncSfnDeps, runId: string): Promise<DescribeExecutionCommandOutput> {
  const executionArn = executionArnFor(deps.stateMachineArn, runId);
  try {
    return await deps.sfn.send(new DescribeExecutionCommand({ executionArn }), { abortSignal: deps.signal });
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') throw new NotFound(`No sync run with id ${runId}`);
    throw sfnFailure(`describe sync run ${runId}`, error);
  }
}

export interface SyncStatus {
  runId: string;
  syncId?: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  startedAt?: string;
  stoppedAt?: string;
  report?: unknown;
  error?: { name: string; cause: string };
}

/** GET /syncs/{runId}: the execution's state, its report when done, which step failed and why otherwise. */
export async function describeSync(deps: SyncSfnDeps, runId: string): Promise<SyncStatus> {
  const out = await describe(deps, runId);
  const input = JSON.parse(out.input ?? '{}') as Partial<SyncExecutionInput>;
  const status: SyncStatus = {
    runId,
    ...(input.sync?.syncId ? { syncId: input.sync.syncId } : {}),
    status: out.status as SyncStatus['status'],
    startedAt: out.startDate?.toISOString(),
    stoppedAt: out.stopDate?.toISOString(),
  };
  if (out.status === 'SUCCEEDED' && out.output) status.report = JSON.parse(out.output);
  if (out.status !== 'SUCCEEDED' && out.status !== 'RUNNING') {
    const failure = describeFailure({ step: '', error: out.error ?? out.status, cause: out.cause });
    status.error = { name: failure.error, cause: failure.cause.replace(/^: /, '') };
  }
  return status;
}
