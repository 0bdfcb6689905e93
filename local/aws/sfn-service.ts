// A local Step Functions endpoint speaking the AWS JSON 1.0 protocol, backed by aws-local-stepfunctions; its
// executions are kept on disk (execution-store.ts) so they outlive the process that ran them.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { closeServer, listen } from '../servers.ts';
import {
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  INTERRUPTED,
  type Outcome,
  openExecutionStore,
} from './execution-store.ts';
import { createOperations, type LocalStateMachineInfo } from './sfn-operations.ts';
import { handleJsonRequest } from './sfn-protocol.ts';
import { createLocalStateMachine, LOCAL_ACCOUNT, type LocalRunOptions, loadDefinition } from './state-machine.ts';

export type { ExecutionStatus };

export interface LocalSfnOptions extends LocalRunOptions {
  /** Name of the export state machine when `machines` is not given. */
  stateMachineName?: string;
  /** Every state machine the service hosts (default: the export state machine alone); the first is `stateMachineArn`. */
  machines?: Array<{ name: string; definition: StateMachineDefinition }>;
  region?: string;
  port?: number;
  /** Where executions are kept (the CLI uses .local/sfn); default a temp dir removed on close. */
  directory?: string;
  /** Told about a request the service itself failed to answer (it answers 500 InternalFailure). */
  onServiceError?: (error: unknown) => void;
  /** Called whenever an execution ends (the CLI uses it to stop waiting). */
  onExecutionEnd?: (execution: { executionArn: string; status: ExecutionStatus }) => void;
}

export interface LocalSfn {
  endpoint: string;
  stateMachineArn: string;
  /** Name ⇒ ARN of every hosted state machine. */
  stateMachineArns: Record<string, string>;
  /** Resolves when the named execution, started by this service, has ended. */
  waitFor(executionArn: string): Promise<void>;
  close(): Promise<void>;
}

/** How often a running execution checks whether another process stopped it. */
const STOP_CHECK_MS = 500;

interface LiveRun {
  abort: () => void;
  done: Promise<void>;
  ending?: boolean;
}

/** Map an aws-local-stepfunctions rejection to an execution status, error name and cause. */
function outcomeOf(error: Error): Outcome {
  if (error.name === 'ExecutionAbortedError') return { status: 'ABORTED' };
  if (error.name === 'ExecutionTimeoutError') {
    return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution exceeded its TimeoutSeconds' };
  }
  const cause = (error.cause as Error | undefined) ?? error;
  return { status: 'FAILED', error: cause.name, cause: cause.message };
}

/** Runs executions of the local state machines in this process and records how each one ends. */
function createRunner(options: LocalSfnOptions, store: ExecutionStore, machines: LocalStateMachineInfo[]) {
  const runnable = new Map(machines.map((info) => [info.arn, createLocalStateMachine(options, info.parsed)]));
  const live = new Map<string, LiveRun>();
  const end = async (executionArn: string, outcome: Outcome) => {
    const run = live.get(executionArn);
    if (!run || run.ending) return;
    run.ending = true;
    const record = await store.finish(executionArn, outcome);
    live.delete(executionArn);
    if (record) options.onExecutionEnd?.({ executionArn, status: record.status });
  };
  /** A StopExecution answered by another process only changes the record: notice it and stop here too. */
  const watchForStop = (executionArn: string, abort: () => void, done: Promise<void>) => {
    const timer = setInterval(() => {
      store.get(executionArn).then(
        (record) => record && record.status !== 'RUNNING' && abort(),
        () => {},
      );
    }, STOP_CHECK_MS);
    timer.unref();
    void done.finally(() => clearInterval(timer));
  };
  return {
    live,
    run(record: ExecutionRecord) {
      const execution = {
        Id: record.executionArn,
        Name: record.name,
        StartTime: new Date(record.startDate * 1000).toISOString(),
      };
      const run = runnable.get(record.stateMachineArn)!.run(JSON.parse(record.input), execution);
      const done = run.result.then(
        (output) => end(record.executionArn, { status: 'SUCCEEDED', output: JSON.stringify(output ?? null) }),
        (error: Error) => end(record.executionArn, outcomeOf(error)),
      );
      live.set(record.executionArn, { abort: run.abort, done });
      watchForStop(record.executionArn, run.abort, done);
    },
    abort(executionArn: string) {
      live.get(executionArn)?.abort();
    },
    /** Ends every running execution as interrupted: the process is going away and cannot finish them. */
    async interruptAll() {
      const cause =
        'The local Step Functions service stopped while this execution was running, so it never finished; start a new execution (a new name or Idempotency-Key).';
      for (const [executionArn, run] of [...live]) {
        await end(executionArn, { status: 'FAILED', error: INTERRUPTED, cause });
        run.abort();
      }
    },
  };
}

export function localStateMachineArn(name: string, region = 'us-east-1'): string {
  return `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
}

async function executionDirectory(directory: string | undefined) {
  if (directory) return { path: directory, remove: async () => {} };
  const path = await mkdtemp(join(tmpdir(), 'local-sfn-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function startLocalSfn(options: LocalSfnOptions): Promise<LocalSfn> {
  const region = options.region ?? 'us-east-1';
  const hosted = options.machines ?? [
    { name: options.stateMachineName ?? 'segment-export', definition: loadDefinition() },
  ];
  const machines: LocalStateMachineInfo[] = hosted.map(({ name, definition }) => ({
    arn: localStateMachineArn(name, region),
    name,
    definition: JSON.stringify(definition),
    parsed: definition,
    creationDate: Date.now() / 1000,
    roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}-local`,
  }));
  const directory = await executionDirectory(options.directory);
  const store = await openExecutionStore(directory.path);
  const runner = createRunner(options, store, machines);
  const operations = createOperations({ machines, store, run: runner.run, abort: runner.abort });
  const server = createServer((req, res) => void handleJsonRequest(req, res, operations, options.onServiceError));
  const endpoint = await listen(server, { name: 'Step Functions', port: options.port }).catch(async (error) => {
    store.close();
    await directory.remove();
    throw error;
  });
  return {
    endpoint,
    stateMachineArn: machines[0]!.arn,
    stateMachineArns: Object.fromEntries(machines.map((machine) => [machine.name, machine.arn])),
    waitFor: async (executionArn) => {
      await runner.live.get(executionArn)?.done;
    },
    close: async () => {
      await runner.interruptAll();
      store.close();
      await closeServer(server);
      await directory.remove();
    },
  };
}
