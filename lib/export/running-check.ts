// Whether an export's execution is still RUNNING (DescribeExecution): steps that must not outlive it ask before
// each piece of work. Apart from lib/export/execution.ts so that modules using only names and ids stay SDK-free.
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { UpstreamError } from '../errors.ts';

export function runningCheck(sfn: SFNClient, executionArn: string, signal?: AbortSignal): () => Promise<boolean> {
  return async () => {
    try {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }), signal ? { abortSignal: signal } : {});
      return out.status === 'RUNNING';
    } catch (error) {
      throw new UpstreamError(`Step Functions could not describe the export's execution: ${(error as Error).name}`, {
        cause: error,
        retryable: true,
      });
    }
  };
}
