// Starting an export: one Step Functions execution per export id; a repeat of an idempotent request replays the
// export it started, a different request under the same key is a Conflict.
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { Conflict, UpstreamError } from '../errors.ts';
import type { Logger } from '../log.ts';
import {
  buildExecutionInput,
  type ExecutionInput,
  type ExecutionSettings,
  executionArnFor,
  exportIdFor,
} from './execution.ts';
import { type ExportRequest, requestFingerprint } from './request.ts';

export interface StartExportDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  logger: Logger;
  now?: () => Date;
  /** Settings for the state machine (COPY_CONCURRENCY); default DEFAULT_SETTINGS. */
  settings?: ExecutionSettings;
  /** The Lambda deadline: aborts the Step Functions calls in flight. */
  signal?: AbortSignal;
}

export interface StartedExport {
  exportId: string;
  executionArn: string;
  statusUrl: string;
  /** false when an earlier request with the same idempotency key already started this export. */
  created: boolean;
}

export async function startExport(
  deps: StartExportDeps,
  request: ExportRequest,
  statusUrl: (exportId: string) => string,
): Promise<StartedExport> {
  const startedAt = (deps.now ?? (() => new Date()))();
  const exportId = exportIdFor(request.idempotencyKey, startedAt);
  const input = buildExecutionInput(request, exportId, startedAt, deps.settings);
  try {
    const out = await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.stateMachineArn,
        name: exportId,
        input: JSON.stringify(input),
      }),
    );
    const { projectUid, segmentationId } = request;
    deps.logger.info('export started', { exportId, projectUid, segmentationId });
    return { exportId, executionArn: out.executionArn!, statusUrl: statusUrl(exportId), created: true };
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') {
      throw new UpstreamError(`Step Functions refused to start export ${exportId}: ${(error as Error).name}`, {
        cause: error,
      });
    }
  }
  return await replayExport(deps, exportId, request, statusUrl(exportId));
}

/** A repeat of an idempotent request: the same export when it asks for the same thing, a 409 otherwise. */
async function replayExport(
  deps: StartExportDeps,
  exportId: string,
  request: ExportRequest,
  statusUrl: string,
): Promise<StartedExport> {
  const executionArn = executionArnFor(deps.stateMachineArn, exportId);
  const described = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }), { abortSignal: deps.signal });
  const previous = (JSON.parse(described.input ?? '{}') as Partial<ExecutionInput>).request;
  const { exportId: _id, requestedAt: _at, ...previousRequest } = previous ?? {};
  if (requestFingerprint(previousRequest as ExportRequest) !== requestFingerprint(request)) {
    throw new Conflict(`Idempotency key already used for a different export request (export ${exportId})`, {
      details: { exportId },
    });
  }
  deps.logger.info('export already started', { exportId });
  return { exportId, executionArn, statusUrl, created: false };
}
