// The unchanged @aws-sdk/client-sfn against the local Step Functions endpoint (AWS JSON 1.0 protocol).
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalSfn, startLocalSfn } from '../../local/aws/sfn-service.ts';

let sfn: LocalSfn | undefined;
afterEach(async () => {
  await sfn?.close();
  sfn = undefined;
});

const input = (pollCount = 0) =>
  JSON.stringify({
    request: {
      projectUid: 'p',
      segmentationId: 's',
      expireMinutes: 60,
      parameters: [],
      exportId: 'x',
      requestedAt: '2026-11-25T00:00:00.000Z',
    },
    poll: { pollCount, linkRefreshesLeft: 3 },
    settings: { copyConcurrency: 2 },
  });

/** Task handlers standing in for GrowingIO and S3: a job done at once, a one-slice copy, a manifest. */
function start(gate?: Promise<void>) {
  return startLocalSfn({
    handlers: {
      requestExport: async () => {
        await gate;
        return { jobId: 'j1', status: 'done', downloadLinks: ['https://x'], pollCount: 1, linkRefreshesLeft: 3 };
      },
      copyExport: async () => ({ done: true, file: { key: 'k', bytes: 0, sha256: '0', rows: 0 } }),
      publishExport: async (event) => ({ exportId: 'x', files: (event as { files: unknown[] }).files }),
      cleanUpExport: async () => ({}),
    },
  });
}

function client(endpoint: string) {
  return new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
}

describe('local Step Functions endpoint', () => {
  it('runs StartExecution → DescribeExecution with the real SDK and the real ASL', async () => {
    sfn = await start();
    const sdk = client(sfn.endpoint);
    const started = await sdk.send(
      new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'run-1', input: input() }),
    );
    expect(started.executionArn).toBe(`${sfn.stateMachineArn.replace(':stateMachine:', ':execution:')}:run-1`);
    expect(started.startDate).toBeInstanceOf(Date);
    await sfn.waitFor(started.executionArn!);
    const described = await sdk.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual({
      exportId: 'x',
      files: [{ key: 'k', bytes: 0, sha256: '0', rows: 0 }],
    });
    expect(described.stopDate).toBeInstanceOf(Date);
    expect(described.name).toBe('run-1');
  });

  it('answers with the SDK error classes for duplicates, unknown executions and unknown machines', async () => {
    sfn = await start();
    const sdk = client(sfn.endpoint);
    const first = await sdk.send(
      new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'dup', input: input() }),
    );
    await sfn.waitFor(first.executionArn!);
    await expect(
      sdk.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'dup', input: input() })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(
      sdk.send(new DescribeExecutionCommand({ executionArn: `${first.executionArn}-nope` })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      sdk.send(new StartExecutionCommand({ stateMachineArn: `${sfn.stateMachineArn}-other`, input: input() })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('is idempotent for a running execution with the same input; lists and stops executions', async () => {
    let release!: () => void;
    sfn = await start(new Promise<void>((resolve) => (release = resolve)));
    const sdk = client(sfn.endpoint);
    const a = await sdk.send(
      new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'r', input: input() }),
    );
    const b = await sdk.send(
      new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'r', input: input() }),
    );
    expect(b.executionArn).toBe(a.executionArn);
    await expect(
      sdk.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'r', input: input(1) })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const running = await sdk.send(
      new ListExecutionsCommand({ stateMachineArn: sfn.stateMachineArn, statusFilter: 'RUNNING' }),
    );
    expect(running.executions?.map((e) => e.name)).toEqual(['r']);
    await sdk.send(new StopExecutionCommand({ executionArn: a.executionArn, cause: 'operator' }));
    const stopped = await sdk.send(new DescribeExecutionCommand({ executionArn: a.executionArn }));
    expect(stopped.status).toBe('ABORTED');
    expect(stopped.cause).toBe('operator');
    release();
  });
});
