// Locally, a Task on `arn:aws:states:::states:startExecution.sync:2` (the sync's nested export, the fan-out's
// children) starts the child on the local Step Functions service and waits for it, answering as AWS does: the
// child's description with Output parsed (the ":2" form), or States.TaskFailed whose cause is that description
// (its Error and Cause say why the child failed); a refused StartExecution fails as `StepFunctions.<Name>Exception`.
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';

interface NestedParameters {
  StateMachineArn?: string;
  Name?: string;
  Input?: unknown;
}

/** An error whose name is what the ASL's Catch sees (`States.TaskFailed`, `StepFunctions.<Exception>`). */
function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function start(sfn: SFNClient, params: NestedParameters): Promise<string> {
  if (!params.StateMachineArn) {
    throw namedError('StepFunctions.StateMachineDoesNotExistException', 'State Machine Does Not Exist: undefined');
  }
  const input = typeof params.Input === 'string' ? params.Input : JSON.stringify(params.Input ?? {});
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: params.StateMachineArn, name: params.Name, input }),
    );
    return started.executionArn!;
  } catch (error) {
    const name = (error as Error).name;
    throw namedError(
      `StepFunctions.${name.endsWith('Exception') ? name : `${name}Exception`}`,
      (error as Error).message,
    );
  }
}

/** `client()` is read on each call: the service's endpoint exists only once the service has started. */
export function createNestedExecutionHandler(client: () => SFNClient, pollMs = 50) {
  return async (event: unknown): Promise<unknown> => {
    const sfn = client();
    const executionArn = await start(sfn, (event ?? {}) as NestedParameters);
    for (;;) {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
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
        throw namedError('States.TaskFailed', JSON.stringify({ ...description, Error: out.error, Cause: out.cause }));
      }
      await pause(pollMs);
    }
  };
}
