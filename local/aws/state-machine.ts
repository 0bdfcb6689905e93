// Loads statemachines/segment-export.asl.yml for local runs: Fn::GetAtt resources become plain local Lambda ARNs.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { parse } from 'yaml';

export const ASL_PATH = new URL('../../statemachines/segment-export.asl.yml', import.meta.url);
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

/** Replace every `{Fn::GetAtt: [fn, Arn]}` with the local ARN of `fn`, deeply. */
function resolveResources(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(resolveResources);
  if (node === null || typeof node !== 'object') return node;
  const getAtt = (node as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn') return localFunctionArn(String(getAtt[0]));
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolveResources(value)]));
}

/** The deployed definition, with resources resolved to local ARNs. */
export function loadDefinition(path: URL | string = ASL_PATH): StateMachineDefinition {
  return resolveResources(parse(readFileSync(path, 'utf8'))) as StateMachineDefinition;
}

/**
 * Task state name ⇒ the Serverless function name its Resource points at, Map and Parallel states included; a
 * service integration (e.g. `arn:aws:states:::states:startExecution.sync:2`) keeps its whole ARN as the name.
 */
export function taskFunctions(definition: Pick<StateMachineDefinition, 'States'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const nested = state as { Resource?: unknown; ItemProcessor?: unknown; Iterator?: unknown; Branches?: unknown[] };
    if (state.Type === 'Task' && typeof nested.Resource === 'string') {
      out[name] = nested.Resource.split(':function:')[1] ?? nested.Resource;
    }
    for (const inner of [nested.ItemProcessor, nested.Iterator, ...(nested.Branches ?? [])]) {
      if (inner) Object.assign(out, taskFunctions(inner as Pick<StateMachineDefinition, 'States'>));
    }
  }
  return out;
}

export interface LocalRunOptions {
  /** Serverless function name ⇒ real handler. */
  handlers: Record<string, TaskHandler>;
  /** Wait-state durations in ms by state name (tests shorten the poll waits). */
  waitTimeOverrides?: Record<string, number>;
  /** Retry pauses in ms by state name. */
  retryIntervalOverrides?: Record<string, number>;
  /** The ASL file to run; default statemachines/segment-export.asl.yml. */
  aslPath?: URL;
}

/** A runnable local copy of the state machine whose Task states call the real handlers in-process. */
export function createLocalStateMachine(options: LocalRunOptions, definition = loadDefinition(options.aslPath)) {
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [state, fn] of Object.entries(taskFunctions(definition))) {
    const handler = options.handlers[fn];
    if (!handler) throw new Error(`No local handler for function ${fn} (state ${state})`);
    taskResourceLocalHandlers[state] = (input) => handler(input, localContext(fn));
  }
  return {
    definition,
    run(input: unknown) {
      return machine.run(input as never, {
        overrides: {
          taskResourceLocalHandlers: taskResourceLocalHandlers as never,
          waitTimeOverrides: options.waitTimeOverrides,
          retryIntervalOverrides: options.retryIntervalOverrides,
        },
      });
    },
  };
}
