// The five Step Functions operations the local service answers, with AWS's validation, errors and paging.
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionRecord, ExecutionStore } from './execution-store.ts';
import { type Body, FieldReader, type Operation, ServiceError } from './sfn-protocol.ts';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const ARN_MAX = 256;
const DEFAULT_PAGE = 100;
/** Characters AWS refuses in execution names: whitespace, brackets, wildcards, specials and controls. */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;
const ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):(stateMachine|execution):([^:]+)(?::([^:]+))?$/;

export interface LocalStateMachineInfo {
  arn: string;
  name: string;
  definition: string;
  /** The definition as the runner takes it. */
  parsed: StateMachineDefinition;
  creationDate: number;
  roleArn: string;
}

export interface OperationDeps {
  machines: readonly LocalStateMachineInfo[];
  store: ExecutionStore;
  /** Starts running a freshly created execution. */
  run(record: ExecutionRecord): void;
  /** Stops a running execution of this process (no-op for others). */
  abort(executionArn: string): void;
}

/** Checks an ARN's shape: a malformed one is InvalidArn, as on AWS, before any lookup. */
function parseArn(arn: string, kind: 'stateMachine' | 'execution') {
  const match = ARN.exec(arn);
  const ok = match && match[3] === kind && (kind === 'execution' ? match[5] !== undefined : match[5] === undefined);
  if (!ok) throw new ServiceError('InvalidArn', `Invalid Arn: '${arn}' is not a ${kind} ARN`);
  return { stateMachineName: match[4]!, executionName: match[5] };
}

function requireMachine(deps: OperationDeps, arn: string): LocalStateMachineInfo {
  parseArn(arn, 'stateMachine');
  const machine = deps.machines.find((candidate) => candidate.arn === arn);
  if (!machine) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return machine;
}

async function requireExecution(deps: OperationDeps, arn: string): Promise<ExecutionRecord> {
  parseArn(arn, 'execution');
  const record = await deps.store.get(arn);
  if (!record) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return record;
}

function summary(record: ExecutionRecord) {
  const { executionArn, stateMachineArn, name, status, startDate, stopDate } = record;
  return { executionArn, stateMachineArn, name, status, startDate, stopDate };
}

function describe(record: ExecutionRecord) {
  const { input, output, error, cause } = record;
  const outputs = output === undefined ? {} : { output, outputDetails: { included: true } };
  return { ...summary(record), input, inputDetails: { included: true }, ...outputs, error, cause };
}

async function startExecution(deps: OperationDeps, body: Body) {
  const fields = new FieldReader(body);
  const stateMachineArn = fields.string('stateMachineArn', { required: true, min: 1, max: ARN_MAX })!;
  const requested = fields.string('name', { min: 1, max: 80 });
  const input = fields.string('input', { max: 262_144 }) ?? '{}';
  fields.string('traceHeader', { max: 256 });
  fields.done();
  requireMachine(deps, stateMachineArn);
  const name = requested ?? crypto.randomUUID();
  if (INVALID_NAME.test(name)) throw new ServiceError('InvalidName', `Invalid Name: '${name}'`);
  try {
    JSON.parse(input);
  } catch {
    throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not JSON');
  }
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const fresh = {
    executionArn,
    stateMachineArn,
    name,
    status: 'RUNNING' as const,
    input,
    startDate: Date.now() / 1000,
  };
  const existing = await deps.store.create(fresh);
  if (!existing) {
    deps.run({ ...fresh, owner: { pid: process.pid, instance: deps.store.instance } });
    return { executionArn, startDate: fresh.startDate };
  }
  // AWS: a repeat is idempotent only while the execution runs with the same input.
  if (existing.status === 'RUNNING' && existing.input === input) {
    return { executionArn, startDate: existing.startDate };
  }
  throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
}

/** Newest first, ties broken by ARN, so a page boundary is a stable key even while executions start. */
type PageKey = Pick<ExecutionRecord, 'startDate' | 'executionArn'>;

function newestFirst(a: PageKey, b: PageKey): number {
  return b.startDate - a.startDate || (a.executionArn < b.executionArn ? 1 : a.executionArn > b.executionArn ? -1 : 0);
}

interface PageToken {
  stateMachineArn: string;
  statusFilter: string | null;
  after: PageKey;
}

function readToken(token: string, stateMachineArn: string, statusFilter: string | null): PageKey {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageToken;
    if (parsed.stateMachineArn === stateMachineArn && parsed.statusFilter === statusFilter && parsed.after) {
      return parsed.after;
    }
  } catch {
    // fall through: any token we did not issue for these arguments is invalid
  }
  throw new ServiceError('InvalidToken', 'Invalid Token: the nextToken does not belong to this request');
}

async function listExecutions(deps: OperationDeps, body: Body) {
  const fields = new FieldReader(body);
  const stateMachineArn = fields.string('stateMachineArn', { min: 1, max: ARN_MAX });
  const statusFilter = fields.string('statusFilter', { oneOf: STATUSES }) ?? null;
  const maxResults = fields.integer('maxResults', 0, 1000) || DEFAULT_PAGE;
  const nextToken = fields.string('nextToken', { min: 1, max: 3096 });
  const mapRunArn = fields.string('mapRunArn', { min: 1, max: 2048 });
  fields.done();
  if ((stateMachineArn === undefined) === (mapRunArn === undefined)) {
    throw new ServiceError('ValidationException', 'Must provide exactly one of stateMachineArn and mapRunArn');
  }
  if (stateMachineArn === undefined) {
    throw new ServiceError('ResourceNotFound', `Resource not found: '${mapRunArn}' (no Map Runs run locally)`);
  }
  requireMachine(deps, stateMachineArn);
  const after = nextToken === undefined ? undefined : readToken(nextToken, stateMachineArn, statusFilter);
  const all = (await deps.store.list(stateMachineArn))
    .filter((record) => statusFilter === null || record.status === statusFilter)
    .sort(newestFirst);
  const start = after ? all.findIndex((record) => newestFirst(record, after) > 0) : 0;
  const page = start < 0 ? [] : all.slice(start, start + maxResults);
  const last = page.at(-1);
  if (!last || start + maxResults >= all.length) return { executions: page.map(summary) };
  const token: PageToken = {
    stateMachineArn,
    statusFilter,
    after: { startDate: last.startDate, executionArn: last.executionArn },
  };
  return { executions: page.map(summary), nextToken: Buffer.from(JSON.stringify(token)).toString('base64url') };
}

async function stopExecution(deps: OperationDeps, body: Body) {
  const fields = new FieldReader(body);
  const executionArn = fields.string('executionArn', { required: true, min: 1, max: ARN_MAX })!;
  const error = fields.string('error', { max: 256 });
  const cause = fields.string('cause', { max: 32_768 });
  fields.done();
  const record = await requireExecution(deps, executionArn);
  const ended = await deps.store.finish(record.executionArn, { status: 'ABORTED', error, cause });
  deps.abort(executionArn);
  return { stopDate: ended?.stopDate ?? record.stopDate };
}

export function createOperations(deps: OperationDeps): Record<string, Operation> {
  const arnOnly = (body: Body, field: string) => {
    const fields = new FieldReader(body);
    const arn = fields.string(field, { required: true, min: 1, max: ARN_MAX })!;
    fields.done();
    return arn;
  };
  return {
    StartExecution: (body) => startExecution(deps, body),
    DescribeExecution: async (body) => describe(await requireExecution(deps, arnOnly(body, 'executionArn'))),
    ListExecutions: (body) => listExecutions(deps, body),
    StopExecution: (body) => stopExecution(deps, body),
    DescribeStateMachine: (body) => {
      const { arn, name, definition, roleArn, creationDate } = requireMachine(deps, arnOnly(body, 'stateMachineArn'));
      return { stateMachineArn: arn, name, status: 'ACTIVE', definition, roleArn, type: 'STANDARD', creationDate };
    },
  };
}
