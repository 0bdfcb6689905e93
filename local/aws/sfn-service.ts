// A local Step Functions endpoint speaking the AWS JSON 1.0 protocol, backed by aws-local-stepfunctions.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXECUTION_NAME } from '../../lib/aws-names.ts';
import { createLocalStateMachine, LOCAL_ACCOUNT, type LocalRunOptions } from './state-machine.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface Execution {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  abort: () => void;
  done: Promise<void>;
}

export interface LocalSfnOptions extends LocalRunOptions {
  stateMachineName?: string;
  region?: string;
  port?: number;
  /** Called whenever an execution ends (the CLI uses it to stop waiting). */
  onExecutionEnd?: (execution: { executionArn: string; status: ExecutionStatus }) => void;
}

export interface LocalSfn {
  endpoint: string;
  stateMachineArn: string;
  /** Resolves when the named execution has ended. */
  waitFor(executionArn: string): Promise<void>;
  close(): Promise<void>;
}

class ServiceError extends Error {
  type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

export async function startLocalSfn(options: LocalSfnOptions): Promise<LocalSfn> {
  const region = options.region ?? 'us-east-1';
  const name = options.stateMachineName ?? 'segment-export';
  const stateMachineArn = `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
  const machine = createLocalStateMachine(options);
  const executions = new Map<string, Execution>();

  const startExecution = (body: { stateMachineArn?: string; name?: string; input?: string }) => {
    if (body.stateMachineArn !== stateMachineArn) {
      throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
    }
    const executionName = body.name ?? crypto.randomUUID();
    if (!EXECUTION_NAME.test(executionName)) throw new ServiceError('InvalidName', 'Invalid Name');
    const input = body.input ?? '{}';
    const executionArn = `arn:aws:states:${region}:${LOCAL_ACCOUNT}:execution:${name}:${executionName}`;
    const existing = executions.get(executionArn);
    if (existing) {
      // AWS: idempotent only for a running execution with the same input.
      if (existing.status === 'RUNNING' && existing.input === input) return describeShort(existing);
      throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new ServiceError('InvalidExecutionInput', 'Invalid execution input: not JSON');
    }
    const run = machine.run(parsed, { arn: executionArn, name: executionName });
    const execution: Execution = {
      executionArn,
      name: executionName,
      status: 'RUNNING',
      input,
      startDate: Date.now() / 1000,
      abort: run.abort,
      done: Promise.resolve(),
    };
    execution.done = run.result.then(
      (output) => finish(execution, 'SUCCEEDED', { output: JSON.stringify(output ?? null) }),
      (error: Error) => finish(execution, ...outcomeOf(error)),
    );
    executions.set(executionArn, execution);
    return describeShort(execution);
  };

  const finish = (execution: Execution, status: ExecutionStatus, fields: Partial<Execution>) => {
    if (execution.status !== 'RUNNING') return;
    Object.assign(execution, { status, stopDate: Date.now() / 1000, ...fields });
    options.onExecutionEnd?.({ executionArn: execution.executionArn, status });
  };

  const find = (executionArn: string | undefined): Execution => {
    const execution = executionArn ? executions.get(executionArn) : undefined;
    if (!execution) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  };

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (body) => startExecution(body),
    DescribeExecution: (body) => describeFull(find(body.executionArn as string), stateMachineArn),
    StopExecution: (body) => {
      const execution = find(body.executionArn as string);
      execution.abort();
      finish(execution, 'ABORTED', { error: body.error as string, cause: body.cause as string });
      return { stopDate: execution.stopDate };
    },
    ListExecutions: (body) => {
      const filter = body.statusFilter as string | undefined;
      const list = [...executions.values()]
        .filter((execution) => !filter || execution.status === filter)
        .sort((a, b) => b.startDate - a.startDate)
        .slice(0, (body.maxResults as number) || 100)
        .map((execution) => {
          const { input: _i, output: _o, error: _e, cause: _c, ...rest } = describeFull(execution, stateMachineArn);
          return rest;
        });
      return { executions: list };
    },
  };

  const server = createServer((req, res) => void handle(req, res, operations));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stateMachineArn,
    waitFor: async (executionArn) => {
      await find(executionArn).done;
    },
    close: async () => {
      for (const execution of executions.values()) {
        if (execution.status === 'RUNNING') {
          execution.abort();
          finish(execution, 'ABORTED', { cause: 'local Step Functions service stopped' });
        }
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Map an aws-local-stepfunctions rejection to an execution status, error name and cause. */
function outcomeOf(error: Error): [ExecutionStatus, Partial<Execution>] {
  if (error.name === 'ExecutionAbortedError') return ['ABORTED', {}];
  if (error.name === 'ExecutionTimeoutError') {
    return ['TIMED_OUT', { error: 'States.Timeout', cause: 'The execution exceeded its TimeoutSeconds' }];
  }
  const cause = (error.cause as Error | undefined) ?? error;
  return ['FAILED', { error: cause.name, cause: cause.message }];
}

function describeShort(execution: Execution) {
  return { executionArn: execution.executionArn, startDate: execution.startDate };
}

function describeFull(execution: Execution, stateMachineArn: string) {
  const { abort: _a, done: _d, ...rest } = execution;
  return { ...rest, stateMachineArn };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  operations: Record<string, (body: Record<string, unknown>) => unknown>,
): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(body));
  };
  try {
    const fn = operations[operation];
    if (!fn) throw new ServiceError('UnknownOperationException', `Unsupported operation: ${operation || target}`);
    const text = Buffer.concat(chunks).toString('utf8');
    send(200, fn(text ? JSON.parse(text) : {}));
  } catch (error) {
    const type = error instanceof ServiceError ? error.type : 'InternalFailure';
    send(error instanceof ServiceError ? 400 : 500, { __type: type, message: (error as Error).message });
  }
}
