// Locally, a Task on `arn:aws:states:::states:startExecution.sync:2` starts the child on the local Step Functions
// service and waits for it, answering as AWS does: the child's description with Output parsed (the ":2" form), or
// States.TaskFailed whose cause is that description (its Error and Cause say why the child failed).
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';

interface NestedParameters {
  StateMachineArn: string;
  Name?: string;
  Input?: unknown;
}

class TaskFailed extends Error {
  override name = 'States.TaskFailed';
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `client()` is read on each call: the service's endpoint exists only once the service has started. */
export function createNestedExecutionHandler(client: () => SFNClient, pollMs = 50) {
  return async (event: unknown): Promise<unknown> => {
    const params = event as NestedParameters;
    const input = typeof params.Input === 'string' ? params.Input : JSON.stringify(params.Input ?? {});
    const sfn = client();
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: params.StateMachineArn, name: params.Name, input }),
    );
    for (;;) {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      if (out.status !== 'RUNNING') {
        const description = {
          ExecutionArn: out.executionArn,
          StateMachineArn: out.stateMachineArn,
          Name: out.name,
          Status: out.status,
          StartDate: out.startDate?.getTime(),
          StopDate: out.stopDate?.getTime(),
          Input: JSON.parse(out.input ?? '{}'),
        };
        if (out.status === 'SUCCEEDED') return { ...description, Output: JSON.parse(out.output ?? 'null') };
        throw new TaskFailed(JSON.stringify({ ...description, Error: out.error, Cause: out.cause }));
      }
      await pause(pollMs);
    }
  };
}
