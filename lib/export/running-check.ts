// Whether an execution is still RUNNING (DescribeExecution): export steps that must not outlive theirs ask before
// each piece of work; a sync asks about the run that holds its lock. Apart from lib/export/execution.ts so that
// modules using only names and ids stay SDK-free. The SDK is imported on first use: a function that rarely asks
// (buildAudienceFiles, only when its sync's lock is held) never loads @aws-sdk/client-sfn otherwise.
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type AwsClientOptions, clientConfig } from '../aws.ts';
import { UpstreamError } from '../errors.ts';

type SfnModule = typeof import('@aws-sdk/client-sfn');
let sdk: Promise<SfnModule> | undefined;
/** The SDK module, imported once per container (the Lambda runtime provides it; bundles keep it external). */
const sfnSdk = (): Promise<SfnModule> => {
  sdk ??= import('@aws-sdk/client-sfn');
  return sdk;
};

/** A Step Functions client created on first use, the SDK imported then (createSfnClient's, lazily). */
export function lazySfnClient(opts: AwsClientOptions): () => Promise<SFNClient> {
  let client: Promise<SFNClient> | undefined;
  return () => {
    client ??= sfnSdk().then(({ SFNClient }) => new SFNClient(clientConfig(opts)));
    return client;
  };
}

export function runningCheck(sfn: SFNClient, executionArn: string, signal?: AbortSignal): () => Promise<boolean> {
  return () => executionRunning(sfn, executionArn, signal);
}

/** Whether the execution is RUNNING; false when it does not exist. */
export async function executionRunning(sfn: SFNClient, executionArn: string, signal?: AbortSignal): Promise<boolean> {
  const { DescribeExecutionCommand } = await sfnSdk();
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
