// Test helpers for the fan-out on the local runtime: start a jobs list and wait for its summary.
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { FanOutSummary } from '../../lib/fan-out/summary.ts';
import type { LocalRuntime } from '../../local/runtime.ts';

/** Starts the fan-out with {scheduledTime, jobs} under `name` and answers its status and summary. */
export async function runFanOut(
  runtime: LocalRuntime,
  name: string,
  input: { scheduledTime?: string; jobs: unknown[] },
) {
  const { sfn, sfnClient, fanOutArn } = runtime;
  const { executionArn } = await sfnClient.send(
    new StartExecutionCommand({ stateMachineArn: fanOutArn, name, input: JSON.stringify(input) }),
  );
  await sfn.waitFor(executionArn!);
  const out = await sfnClient.send(new DescribeExecutionCommand({ executionArn }));
  return {
    status: out.status,
    error: out.error,
    cause: out.cause,
    summary: out.output ? (JSON.parse(out.output) as FanOutSummary) : undefined,
  };
}
