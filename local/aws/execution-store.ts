// Executions of the local Step Functions service on disk (one JSON file each), so that idempotency, status and
// history survive a restart; a RUNNING execution whose process is gone is reported FAILED, never RUNNING forever.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  /** Epoch seconds, as the AWS JSON protocol sends dates. */
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** The process (and service instance in it) that runs the execution while it is RUNNING. */
  owner: { pid: number; instance: string };
}

export type Outcome = Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>;

export const INTERRUPTED = 'LocalRuntimeInterrupted';

/** Service instances alive in this process: their RUNNING executions are really running. */
const liveInstances = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerAlive(owner: ExecutionRecord['owner']): boolean {
  return owner.pid === process.pid ? liveInstances.has(owner.instance) : processAlive(owner.pid);
}

export interface ExecutionStore {
  /** This store's instance id; records it creates are owned by it. */
  instance: string;
  /** Writes a new record; answers the existing one instead when the ARN is taken (by any process). */
  create(record: Omit<ExecutionRecord, 'owner'>): Promise<ExecutionRecord | undefined>;
  get(executionArn: string): Promise<ExecutionRecord | undefined>;
  list(stateMachineArn: string): Promise<ExecutionRecord[]>;
  /** Ends a RUNNING execution; a record that has already ended keeps its outcome. */
  finish(executionArn: string, outcome: Outcome): Promise<ExecutionRecord | undefined>;
  close(): void;
}

function fileOf(directory: string, executionArn: string): string {
  return join(directory, `${createHash('sha256').update(executionArn).digest('hex').slice(0, 40)}.json`);
}

/** Replaces a record atomically (write aside, rename), so a reader never sees half a file. */
async function writeRecord(directory: string, record: ExecutionRecord): Promise<void> {
  const file = fileOf(directory, record.executionArn);
  const temp = `${file}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(record));
  await rename(temp, file);
}

/** Reads a record, turning a RUNNING execution whose owner died into a FAILED one (persisted). */
async function readRecord(directory: string, file: string): Promise<ExecutionRecord | undefined> {
  let record: ExecutionRecord;
  try {
    record = JSON.parse(await readFile(file, 'utf8')) as ExecutionRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (record.status !== 'RUNNING' || ownerAlive(record.owner)) return record;
  const cause = `The local runtime (process ${record.owner.pid}) stopped while this execution was running, so it never finished; start a new execution (a new name or Idempotency-Key).`;
  const ended: ExecutionRecord = {
    ...record,
    status: 'FAILED',
    error: INTERRUPTED,
    cause,
    stopDate: Date.now() / 1000,
  };
  await writeRecord(directory, ended);
  return ended;
}

export async function openExecutionStore(directory: string): Promise<ExecutionStore> {
  await mkdir(directory, { recursive: true });
  const instance = randomUUID();
  liveInstances.add(instance);
  const get = (executionArn: string) => readRecord(directory, fileOf(directory, executionArn));
  return {
    instance,
    get,
    create: async (fields) => {
      const record: ExecutionRecord = { ...fields, owner: { pid: process.pid, instance } };
      try {
        await writeFile(fileOf(directory, record.executionArn), JSON.stringify(record), { flag: 'wx' });
        return undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        return await get(record.executionArn);
      }
    },
    list: async (stateMachineArn) => {
      const files = (await readdir(directory)).filter((name) => name.endsWith('.json'));
      const records = await Promise.all(files.map((name) => readRecord(directory, join(directory, name))));
      return records.filter((record): record is ExecutionRecord => record?.stateMachineArn === stateMachineArn);
    },
    finish: async (executionArn, outcome) => {
      const record = await get(executionArn);
      if (record?.status !== 'RUNNING') return record;
      const ended = { ...record, ...outcome, stopDate: Date.now() / 1000 };
      await writeRecord(directory, ended);
      return ended;
    },
    close: () => {
      liveInstances.delete(instance);
    },
  };
}
