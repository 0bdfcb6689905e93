// An export's status as the API shows it: the execution's state, its manifest when done, its error when failed.
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { NotFound, UpstreamError } from '../errors.ts';
import { readableCause } from './cause.ts';
import { executionArnFor } from './execution.ts';

export interface ExportStatus {
  exportId: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  startedAt?: string;
  stoppedAt?: string;
  manifest?: unknown;
  error?: { name: string; cause: string };
}

export async function describeExport(
  deps: { sfn: SFNClient; stateMachineArn: string; signal?: AbortSignal },
  exportId: string,
): Promise<ExportStatus> {
  const executionArn = executionArnFor(deps.stateMachineArn, exportId);
  let out: DescribeExecutionCommandOutput;
  try {
    out = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }), { abortSignal: deps.signal });
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') throw new NotFound(`No export with id ${exportId}`);
    throw new UpstreamError(`Step Functions could not describe export ${exportId}: ${(error as Error).name}`, {
      cause: error,
    });
  }
  const status: ExportStatus = {
    exportId,
    status: out.status as ExportStatus['status'],
    startedAt: out.startDate?.toISOString(),
    stoppedAt: out.stopDate?.toISOString(),
  };
  if (out.status === 'SUCCEEDED' && out.output) status.manifest = JSON.parse(out.output);
  if (out.status !== 'SUCCEEDED' && out.status !== 'RUNNING') {
    status.error = { name: out.error ?? out.status ?? 'Unknown', cause: readableCause(out.cause) };
  }
  return status;
}
