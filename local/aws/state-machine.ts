// Loads statemachines/segment-export.asl.yml for local runs: Fn::GetAtt resources become plain local Lambda ARNs.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { parse } from 'yaml';

export const ASL_PATH = new URL('../../statemachines/segment-export.asl.yml', import.meta.url);
export const SYNC_ASL_PATH = new URL('../../statemachines/audience-sync.asl.yml', import.meta.url);
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

/** Task state name ⇒ the Serverless function name its Resource points at. */
export function taskFunctions(definition: Pick<StateMachineDefinition, 'States'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const resource = (state as { Resource?: unknown }).Resource;
    if (state.Type === 'Task' && typeof resource === 'string') out[name] = resource.split(':function:')[1] ?? resource;
    // Task states inside a Map run with the same overrides, keyed by their own names.
    const inner = (state as { Iterator?: typeof definition; ItemProcessor?: typeof definition }).ItemProcessor;
    const iterator = inner ?? (state as { Iterator?: typeof definition }).Iterator;
    if (iterator) Object.assign(out, taskFunctions(iterator));
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
}

/** A runnable local copy of the state machine whose Task states call the real handlers in-process. */
export function createLocalStateMachine(options: LocalRunOptions, definition = loadDefinition()) {
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  const taskResourceLocalHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [state, fn] of Object.entries(taskFunctions(definition))) {
    const handler = options.handlers[fn];
    if (!handler) throw new Error(`No local handler for function ${fn} (state ${state})`);
    taskResourceLocalHandlers[state] = (input) => handler(input, localContext(fn));
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
