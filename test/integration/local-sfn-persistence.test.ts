// Executions of the local Step Functions service outlive the service: status, output, idempotency and history
// come back after a restart, and an execution whose process died is FAILED with LocalRuntimeInterrupted.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../local/aws/execution-store.ts';
import { type LocalSfn, startLocalSfn } from '../../local/aws/sfn-service.ts';

let directory: string;
const open: LocalSfn[] = [];
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sfn-persist-'));
});
afterEach(async () => {
  for (const sfn of open.splice(0)) await sfn.close();
  await rm(directory, { recursive: true, force: true });
});

const input = JSON.stringify({
  request: { projectUid: 'p', segmentationId: 's', exportId: 'x', requestedAt: '2026-11-25T00:00:00.000Z' },
  poll: { pollCount: 0, linkRefreshes: 0 },
  settings: { copyConcurrency: 1 },
});

async function start(gate?: Promise<void>) {
  const sfn = await startLocalSfn({
    directory,
    handlers: {
      requestExport: async () => {
        await gate;
        return { jobId: 'j1', status: 'done', downloadLinks: ['https://x'], pollCount: 1, linkRefreshes: 0 };
      },
      copyExport: async () => ({ done: true, file: { key: 'f' } }),
      publishExport: async () => ({ exportId: 'x', files: ['f'] }),
      cleanUpExport: async () => ({}),
    },
  });
  open.push(sfn);
  const sdk = new SFNClient({
    endpoint: sfn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    sfn,
    sdk,
    arnOf: (name: string) => `${sfn.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
  };
}

describe('executions on disk', () => {
  it('keeps status, output, idempotency and history across a restart', async () => {
    const first = await start();
    const started = await first.sdk.send(
      new StartExecutionCommand({ stateMachineArn: first.sfn.stateMachineArn, name: 'kept', input }),
    );
    await first.sfn.waitFor(started.executionArn!);
    await first.sfn.close();

    const second = await start();
    const described = await second.sdk.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({ name: 'kept', status: 'SUCCEEDED', input });
    expect(JSON.parse(described.output!)).toEqual({ exportId: 'x', files: ['f'] });
    expect(described.startDate?.getTime()).toBe(started.startDate?.getTime());
    await expect(
      second.sdk.send(new StartExecutionCommand({ stateMachineArn: second.sfn.stateMachineArn, name: 'kept', input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const listed = await second.sdk.send(new ListExecutionsCommand({ stateMachineArn: second.sfn.stateMachineArn }));
    expect(listed.executions?.map((execution) => execution.name)).toEqual(['kept']);
  });

  it('fails an execution still running when its service stops, with LocalRuntimeInterrupted', async () => {
    const first = await start(new Promise<void>(() => {}));
    await first.sdk.send(new StartExecutionCommand({ stateMachineArn: first.sfn.stateMachineArn, name: 'cut', input }));
    await first.sfn.close();
    const second = await start();
    const described = await second.sdk.send(new DescribeExecutionCommand({ executionArn: second.arnOf('cut') }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'LocalRuntimeInterrupted' });
    expect(described.cause).toMatch(/stopped while this execution was running/);
    expect(described.stopDate).toBeInstanceOf(Date);
  });

  it('fails a RUNNING execution whose process died without a word, and persists that', async () => {
    const first = await start(new Promise<void>(() => {}));
    await first.sdk.send(
      new StartExecutionCommand({ stateMachineArn: first.sfn.stateMachineArn, name: 'died', input }),
    );
    // Hand the record to a process that has exited, as if that process had run it and been killed.
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const [file] = (await readdir(directory)).filter((name) => name.endsWith('.json'));
    const record = JSON.parse(await readFile(join(directory, file!), 'utf8')) as ExecutionRecord;
    expect(record.status).toBe('RUNNING');
    await writeFile(join(directory, file!), JSON.stringify({ ...record, owner: { pid: deadPid, instance: 'gone' } }));

    const described = await first.sdk.send(new DescribeExecutionCommand({ executionArn: first.arnOf('died') }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'LocalRuntimeInterrupted' });
    expect(described.cause).toContain(`process ${deadPid}`);
    const stored = JSON.parse(await readFile(join(directory, file!), 'utf8')) as ExecutionRecord;
    expect(stored.status).toBe('FAILED');
  });

  it('stops a run in one process when another process answers StopExecution for it', async () => {
    const runner = await start(new Promise<void>(() => {}));
    const other = await start();
    const started = await runner.sdk.send(
      new StartExecutionCommand({ stateMachineArn: runner.sfn.stateMachineArn, name: 'stop-me', input }),
    );
    await other.sdk.send(new StopExecutionCommand({ executionArn: started.executionArn, cause: 'operator' }));
    await runner.sfn.waitFor(started.executionArn!);
    const described = await runner.sdk.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', cause: 'operator' });
  });

  it('lets exactly one of two services racing for the same execution name create it', async () => {
    const a = await start(new Promise<void>(() => {}));
    const b = await start(new Promise<void>(() => {}));
    const results = await Promise.allSettled([
      a.sdk.send(new StartExecutionCommand({ stateMachineArn: a.sfn.stateMachineArn, name: 'race', input })),
      b.sdk.send(new StartExecutionCommand({ stateMachineArn: b.sfn.stateMachineArn, name: 'race', input: '{}' })),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ExecutionAlreadyExists);
  });
});
