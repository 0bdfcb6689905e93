// Loads statemachines/segment-export.asl.yml for local runs: Fn::GetAtt resources become plain local Lambda ARNs.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { parse } from 'yaml';

export const ASL_PATH = new URL('../../statemachines/segment-export.asl.yml', import.meta.url);
export const SYNC_ASL_PATH = new URL('../../statemachines/audience-sync.asl.yml', import.meta.url);
export const FAN_OUT_ASL_PATH = new URL('../../statemachines/fan-out.asl.yml', import.meta.url);
export const LOCAL_ACCOUNT = '000000000000';

export type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;

/** A Lambda-like context for calling real handlers in-process. */
export function localContext(functionName: string, timeoutMs = 900_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(functionName),
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function localFunctionArn(functionName: string, region = 'us-east-1'): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${functionName}`;
}

/** Replace every `{Fn::GetAtt: [fn, Arn]}` with the local ARN of `fn`, and `{Ref: X}` with `refs[X]`, deeply. */
function resolveResources(node: unknown, refs: Record<string, string>): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveResources(item, refs));
  if (node === null || typeof node !== 'object') return node;
  const getAtt = (node as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn') return localFunctionArn(String(getAtt[0]));
  const ref = (node as Record<string, unknown>).Ref;
  if (typeof ref === 'string') {
    if (!(ref in refs)) throw new Error(`No local value for Ref ${ref}`);
    return refs[ref];
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolveResources(value, refs)]));
}

/** The deployed definition, with resources resolved to local ARNs (and CloudFormation Refs to `refs`). */
export function loadDefinition(
  path: URL | string = ASL_PATH,
  refs: Record<string, string> = {},
): StateMachineDefinition {
  return resolveResources(parse(readFileSync(path, 'utf8')), refs) as StateMachineDefinition;
}

interface TaskState {
  function: string;
  /** The state's TimeoutSeconds in ms (aws-local-stepfunctions' default of 60 s when absent). */
  timeoutMs: number;
}

type States = StateMachineDefinition['States'];

/**
 * Task state name ⇒ its function and timeout, Map iterations (ItemProcessor / Iterator) and Parallel branches
 * included; a service integration (e.g. `arn:aws:states:::states:startExecution.sync:2`) keeps its whole ARN.
 */
export function taskStates(states: States): Record<string, TaskState> {
  const out: Record<string, TaskState> = {};
  for (const [name, state] of Object.entries(states)) {
    const { Resource: resource, TimeoutSeconds: seconds } = state as { Resource?: unknown; TimeoutSeconds?: number };
    if (state.Type === 'Task' && typeof resource === 'string') {
      out[name] = { function: resource.split(':function:')[1] ?? resource, timeoutMs: (seconds ?? 60) * 1000 };
    }
    const inner = state as { ItemProcessor?: { States: States }; Iterator?: { States: States }; Branches?: unknown };
    const branches = Array.isArray(inner.Branches) ? (inner.Branches as Array<{ States: States }>) : [];
    for (const nested of [inner.ItemProcessor ?? inner.Iterator, ...branches]) {
      if (nested) Object.assign(out, taskStates(nested.States));
    }
  }
  return out;
}

/** What a task that runs past its TimeoutSeconds fails with, as in Step Functions. */
export class StatesTimeout extends Error {
  override name = 'States.Timeout';
}

export interface LocalRunOptions {
  /** Serverless function name ⇒ real handler. */
  handlers: Record<string, TaskHandler>;
  /** Wait-state durations in ms by state name (tests shorten the poll waits). */
  waitTimeOverrides?: Record<string, number>;
  /** Retry pauses in ms by state name. */
  retryIntervalOverrides?: Record<string, number>;
  /**
   * A shorter TimeoutSeconds (in ms) by Task state name: past it the task fails with States.Timeout while the
   * handler, like a Lambda whose own timeout is longer, keeps running (tests of the timeout path).
   */
  taskTimeoutOverrides?: Record<string, number>;
}

/**
 * Calls `handler` as Lambda would for a Task with this timeout: the context's deadline is the state's
 * TimeoutSeconds (the Lambda timeout equals it in serverless.yml); past the (possibly overridden) timeout the task
 * fails with States.Timeout whether or not the handler has ended.
 */
function withTaskTimeout(handler: TaskHandler, fn: string, task: TaskState, overrideMs?: number) {
  return (input: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const limit = overrideMs ?? task.timeoutMs;
      const timer = setTimeout(
        () => reject(new StatesTimeout(`Task ${fn} ran past its timeout of ${limit / 1000} s`)),
        limit,
      );
      handler(input, localContext(fn, task.timeoutMs)).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
}

/** A runnable local copy of the state machine whose Task states call the real handlers in-process. */
export function createLocalStateMachine(options: LocalRunOptions, definition = loadDefinition()) {
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [state, task] of Object.entries(taskStates(definition.States))) {
    const handler = options.handlers[task.function];
    if (!handler) throw new Error(`No local handler for function ${task.function} (state ${state})`);
    taskResourceLocalHandlers[state] = withTaskTimeout(
      handler,
      task.function,
      task,
      options.taskTimeoutOverrides?.[state],
    );
  }
  return {
    definition,
    /** `execution` fills the context object ($$.Execution.Id…) as AWS does. */
    run(input: unknown, execution?: { Id: string; Name: string; StartTime: string }) {
      return machine.run(input as never, {
        ...(execution ? { context: { Execution: { ...execution, Input: input as never } } } : {}),
        overrides: {
          taskResourceLocalHandlers: taskResourceLocalHandlers as never,
          waitTimeOverrides: options.waitTimeOverrides,
          retryIntervalOverrides: options.retryIntervalOverrides,
        },
      });
    },
  };
}

/** A handler built on its first call (from dependencies that exist only once the runtime has started). */
export function lazy(build: () => TaskHandler): TaskHandler {
  let built: TaskHandler | undefined;
  return (event, context) => {
    built ??= build();
    return built(event, context);
  };
}
