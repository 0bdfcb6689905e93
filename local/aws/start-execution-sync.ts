// The local stand-in for `arn:aws:states:::states:startExecution.sync:2`: starts the child on a local Step
// Functions endpoint, waits for it, and answers (or fails) the way the AWS integration does.
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';

export const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';

export interface StartExecutionSyncDeps {
  /** The client of the local endpoint that runs this state machine, or undefined when none does. */
  clientFor(stateMachineArn: string): SFNClient | undefined;
  pollMs?: number;
}

interface SyncInput {
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

/** DescribeExecution in the shape `.sync:2` returns: PascalCase keys, Output parsed JSON. */
function pascalCase(out: DescribeExecutionCommandOutput) {
  return {
    ExecutionArn: out.executionArn,
    StateMachineArn: out.stateMachineArn,
    Name: out.name,
    Status: out.status,
    StartDate: out.startDate?.getTime(),
    StopDate: out.stopDate?.getTime(),
    Input: out.input,
    ...(out.output === undefined ? {} : { Output: JSON.parse(out.output) as unknown }),
    ...(out.error === undefined ? {} : { Error: out.error }),
    ...(out.cause === undefined ? {} : { Cause: out.cause }),
  };
}

export function createStartExecutionSync(deps: StartExecutionSyncDeps) {
  const pollMs = deps.pollMs ?? 50;
  return async (event: unknown): Promise<unknown> => {
    const { StateMachineArn: arn, Name: name, Input: input } = (event ?? {}) as SyncInput;
    const client = arn ? deps.clientFor(arn) : undefined;
    if (!arn || !client) {
      throw namedError('StepFunctions.StateMachineDoesNotExistException', `State Machine Does Not Exist: '${arn}'`);
    }
    const body = typeof input === 'string' ? input : JSON.stringify(input ?? {});
    let executionArn: string;
    try {
      executionArn = (await client.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: body })))
        .executionArn!;
    } catch (error) {
      throw namedError(`StepFunctions.${(error as Error).name}Exception`, (error as Error).message);
    }
    for (;;) {
      const out = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (out.status === 'SUCCEEDED') return pascalCase(out);
      if (out.status !== 'RUNNING') throw namedError('States.TaskFailed', JSON.stringify(pascalCase(out)));
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
}
