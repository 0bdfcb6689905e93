// What keeps a local run from leaving a partial export behind: task handlers tracked (and abortable) so a stop
// can wait for them, the EventBridge rule's cleanup for ABORTED/TIMED_OUT executions, and a sweep of what a
// killed earlier run left in the local bucket.
import type { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { deleteObjects } from '../lib/export/manifest.ts';
import { abortUpload, objectsUnder, openUploads } from '../lib/export/multipart.ts';
import type { Logger } from '../lib/log.ts';
import type { TaskHandler } from './aws/state-machine.ts';
import { localContext } from './aws/state-machine.ts';

export interface TaskTracker {
  /** Aborted by `abortTasks()`: handed to handlers that can stop early (the copy). */
  signal: AbortSignal;
  wrap(handler: TaskHandler): TaskHandler;
  /** Runs background work (a cleanup after an execution ended) that `settle()` waits for. */
  track(work: Promise<unknown>): void;
  abortTasks(): void;
  /** Resolves once no task handler is running. */
  settleTasks(): Promise<void>;
  /** Resolves once no task handler and no background work is running. */
  settle(): Promise<void>;
}

export function createTaskTracker(): TaskTracker {
  const tasks = new Set<Promise<unknown>>();
  const background = new Set<Promise<unknown>>();
  const controller = new AbortController();
  const add = (set: Set<Promise<unknown>>, work: Promise<unknown>) => {
    const settled = work.catch(() => {});
    set.add(settled);
    void settled.finally(() => set.delete(settled));
  };
  const drain = async (sets: Array<Set<Promise<unknown>>>) => {
    while (sets.some((set) => set.size > 0)) await Promise.all(sets.flatMap((set) => [...set]));
  };
  return {
    signal: controller.signal,
    wrap: (handler) => (event, context) => {
      const work = handler(event, context);
      add(tasks, work);
      return work;
    },
    track: (work) => add(background, work),
    abortTasks: () => controller.abort(new Error('local runtime stopping')),
    settleTasks: () => drain([tasks]),
    settle: () => drain([tasks, background]),
  };
}

/**
 * The local stand-in for the EventBridge rule on ABORTED/TIMED_OUT executions of the export state machine: once the
 * execution's tasks have ended, cleanUpExport gets the same event shape AWS would send.
 */
export function cleanUpOnExecutionEnd(deps: {
  sfnClient: () => SFNClient;
  cleanUp: TaskHandler;
  tracker: TaskTracker;
  logger: Logger;
  /** The export state machine: as the deployed rule, executions of the other hosted machines are left alone. */
  stateMachineArn: string;
}) {
  const executions = `${deps.stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
  return ({ executionArn, status }: { executionArn: string; status: string }) => {
    if (status !== 'ABORTED' && status !== 'TIMED_OUT') return;
    if (!executionArn.startsWith(executions)) return;
    deps.tracker.track(
      (async () => {
        const described = await deps.sfnClient().send(new DescribeExecutionCommand({ executionArn }));
        await deps.tracker.settleTasks();
        const event = {
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          detail: { executionArn, status, input: described.input },
        };
        await deps.cleanUp(event, localContext('cleanUpExport', 300_000) as Context);
      })().catch((error: unknown) => deps.logger.error('cleanup after a stopped export failed', { error })),
    );
  };
}

/** StopExecution for every running execution; resolves with how many were stopped. */
export async function stopRunningExecutions(sfn: SFNClient, stateMachineArn: string, cause: string): Promise<number> {
  const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }));
  for (const execution of out.executions ?? []) {
    await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn, error: 'Interrupted', cause }));
  }
  return out.executions?.length ?? 0;
}

const PART_KEY = /\/part-\d{5}\.csv$/;

/**
 * After a run was killed (SIGKILL), what it left: open uploads started before `before`, and objects (older than
 * `before`) of exports that have no manifest.json. Resolves with what was removed.
 */
export async function sweepDeadRuns(s3: S3Client, bucket: string, before: Date) {
  let uploads = 0;
  for await (const upload of openUploads(s3, bucket, '')) {
    if (upload.Initiated && upload.Initiated >= before) continue;
    if (await abortUpload({ s3, bucket, key: upload.Key! }, upload.UploadId!)) uploads++;
  }
  const byExport = new Map<string, { keys: string[]; published: boolean }>();
  for await (const object of objectsUnder(s3, bucket, '')) {
    const key = object.Key!;
    const dir = key.slice(0, key.lastIndexOf('/'));
    const entry = byExport.get(dir) ?? { keys: [], published: false };
    byExport.set(dir, entry);
    if (key.endsWith('/manifest.json')) entry.published = true;
    else if (PART_KEY.test(key) && (!object.LastModified || object.LastModified < before)) entry.keys.push(key);
  }
  const orphans = [...byExport.values()].filter((entry) => !entry.published).flatMap((entry) => entry.keys);
  await deleteObjects(s3, bucket, orphans);
  return { uploads, objects: orphans.length };
}
