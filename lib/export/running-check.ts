// Whether an execution is still RUNNING (DescribeExecution): export steps that must not outlive theirs ask before
// each piece of work; a sync asks about the run that holds its lock. Apart from lib/export/execution.ts so that
// modules using only names and ids stay SDK-free.
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { UpstreamError } from '../errors.ts';

export function runningCheck(sfn: SFNClient, executionArn: string, signal?: AbortSignal): () => Promise<boolean> {
  return () => executionRunning(sfn, executionArn, signal);
}

/** Whether the execution is RUNNING; false when it does not exist. */
export async function executionRunning(sfn: SFNClient, executionArn: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }), signal ? { abortSignal: signal } : {});
    return out.status === 'RUNNING';
  } catch (error) {
    // No such execution, or an ARN that cannot name one (a hand-edited sync lock): nothing of it is running.
    if (['ExecutionDoesNotExist', 'InvalidArn'].includes((error as Error).name)) return false;
    throw new UpstreamError(`Step Functions could not describe execution ${executionArn}: ${(error as Error).name}`, {
      cause: error,
      retryable: true,
    });
  }
}
