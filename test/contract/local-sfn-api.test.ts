// The AWS CLI's Step Functions calls, replayed through @aws-sdk/client-sfn against the local service: every page
// and every error name and status as AWS answers them.
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  paginateListExecutions,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSfn, startLocalSfn } from '../../local/aws/sfn-service.ts';

let sfn: LocalSfn;
let sdk: SFNClient;
let release!: () => void;
const gate = new Promise<void>((resolve) => {
  release = resolve;
});

const input = JSON.stringify({
  request: { projectUid: 'p', segmentationId: 's', exportId: 'x', requestedAt: '2026-11-25T00:00:00.000Z' },
  poll: { pollCount: 0, linkRefreshes: 0 },
  settings: { copyConcurrency: 1 },
});

beforeAll(async () => {
  sfn = await startLocalSfn({
    handlers: {
      requestExport: async () => {
        await gate;
        return { jobId: 'j1', status: 'done', downloadLinks: ['https://x'], pollCount: 1, linkRefreshes: 0 };
      },
      copyExport: async () => ({ done: true, file: { key: 'f' } }),
      publishExport: async () => ({ exportId: 'x', files: [] }),
      cleanUpExport: async () => ({}),
    },
  });
  sdk = new SFNClient({
    endpoint: sfn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  for (let i = 0; i < 11; i++) {
    await sdk.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: `run-${i}`, input }));
  }
});

afterAll(async () => {
  release();
  sdk.destroy();
  await sfn.close();
});

/** The error the SDK raises for a call, with its name and HTTP status. */
async function failure(promise: Promise<unknown>) {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { name: string; message: string; $metadata: { httpStatusCode?: number } } | undefined;
  if (!error) throw new Error('the call succeeded');
  return { name: error.name, status: error.$metadata.httpStatusCode, message: error.message };
}

describe('ListExecutions paging', () => {
  it('pages 11 executions 2 at a time, each exactly once, newest first, with a nextToken until the last page', async () => {
    const names: string[] = [];
    const starts: number[] = [];
    const sizes: number[] = [];
    let pages = 0;
    for await (const page of paginateListExecutions(
      { client: sdk, pageSize: 2 },
      { stateMachineArn: sfn.stateMachineArn },
    )) {
      pages++;
      sizes.push(page.executions?.length ?? 0);
      names.push(...(page.executions ?? []).map((execution) => execution.name!));
      starts.push(...(page.executions ?? []).map((execution) => execution.startDate!.getTime()));
    }
    expect(pages).toBe(6);
    expect(sizes).toEqual([2, 2, 2, 2, 2, 1]);
    expect(new Set(names).size).toBe(11);
    expect(names.toSorted()).toEqual(Array.from({ length: 11 }, (_, i) => `run-${i}`).toSorted());
    expect(starts).toEqual(starts.toSorted((a, b) => b - a));
  });

  it('uses 100 per page when maxResults is 0 or absent, and filters by status', async () => {
    for (const maxResults of [0, undefined]) {
      const out = await sdk.send(new ListExecutionsCommand({ stateMachineArn: sfn.stateMachineArn, maxResults }));
      expect(out.executions).toHaveLength(11);
      expect(out.nextToken).toBeUndefined();
    }
    const running = await sdk.send(
      new ListExecutionsCommand({ stateMachineArn: sfn.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000 }),
    );
    expect(running.executions).toHaveLength(11);
    const done = await sdk.send(
      new ListExecutionsCommand({ stateMachineArn: sfn.stateMachineArn, statusFilter: 'SUCCEEDED' }),
    );
    expect(done.executions).toEqual([]);
  });
});

describe('errors, by AWS name and with HTTP 400', () => {
  const arn = () => sfn.stateMachineArn;
  const cases: Array<[string, string, () => Promise<unknown>]> = [
    [
      'unknown state machine',
      'StateMachineDoesNotExist',
      () => sdk.send(new ListExecutionsCommand({ stateMachineArn: `${arn()}-other` })),
    ],
    [
      'malformed state machine ARN',
      'InvalidArn',
      () => sdk.send(new ListExecutionsCommand({ stateMachineArn: 'garbage' })),
    ],
    [
      'bogus status filter',
      'ValidationException',
      () => sdk.send(new ListExecutionsCommand({ stateMachineArn: arn(), statusFilter: 'BOGUS' as never })),
    ],
    [
      'maxResults over 1000',
      'ValidationException',
      () => sdk.send(new ListExecutionsCommand({ stateMachineArn: arn(), maxResults: 5000 })),
    ],
    [
      'negative maxResults',
      'ValidationException',
      () => sdk.send(new ListExecutionsCommand({ stateMachineArn: arn(), maxResults: -1 })),
    ],
    [
      'a token not issued for this request',
      'InvalidToken',
      () => sdk.send(new ListExecutionsCommand({ stateMachineArn: arn(), nextToken: 'bm90LWEtdG9rZW4' })),
    ],
    ['neither state machine nor map run', 'ValidationException', () => sdk.send(new ListExecutionsCommand({}))],
    [
      'a token from another status filter',
      'InvalidToken',
      async () => {
        const first = await sdk.send(new ListExecutionsCommand({ stateMachineArn: arn(), maxResults: 1 }));
        return sdk.send(
          new ListExecutionsCommand({ stateMachineArn: arn(), statusFilter: 'FAILED', nextToken: first.nextToken }),
        );
      },
    ],
    [
      'malformed execution ARN',
      'InvalidArn',
      () => sdk.send(new DescribeExecutionCommand({ executionArn: 'garbage' })),
    ],
    [
      'a state machine ARN as execution ARN',
      'InvalidArn',
      () => sdk.send(new DescribeExecutionCommand({ executionArn: arn() })),
    ],
    [
      'unknown execution',
      'ExecutionDoesNotExist',
      () =>
        sdk.send(
          new DescribeExecutionCommand({ executionArn: `${arn().replace(':stateMachine:', ':execution:')}:nope` }),
        ),
    ],
    [
      'stopping an unknown execution',
      'ExecutionDoesNotExist',
      () =>
        sdk.send(new StopExecutionCommand({ executionArn: `${arn().replace(':stateMachine:', ':execution:')}:nope` })),
    ],
    [
      'execution name with a space',
      'InvalidName',
      () => sdk.send(new StartExecutionCommand({ stateMachineArn: arn(), name: 'a b', input })),
    ],
    [
      'execution name over 80 characters',
      'ValidationException',
      () => sdk.send(new StartExecutionCommand({ stateMachineArn: arn(), name: 'n'.repeat(81), input })),
    ],
    [
      'input that is not JSON',
      'InvalidExecutionInput',
      () => sdk.send(new StartExecutionCommand({ stateMachineArn: arn(), name: 'bad-input', input: '{nope' })),
    ],
    [
      'same name, different input',
      'ExecutionAlreadyExists',
      () => sdk.send(new StartExecutionCommand({ stateMachineArn: arn(), name: 'run-0', input: '{}' })),
    ],
    [
      'start on an unknown machine',
      'StateMachineDoesNotExist',
      () => sdk.send(new StartExecutionCommand({ stateMachineArn: `${arn()}-other`, input })),
    ],
    [
      'describe an unknown machine',
      'StateMachineDoesNotExist',
      () => sdk.send(new DescribeStateMachineCommand({ stateMachineArn: `${arn()}-other` })),
    ],
    [
      'describe a malformed machine ARN',
      'InvalidArn',
      () => sdk.send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:aws:states:nope' })),
    ],
  ];
  it.each(cases)('%s ⇒ %s', async (_label, name, call) => {
    const error = await failure(call());
    expect(error).toMatchObject({ name, status: 400 });
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('names every broken constraint of a request in one ValidationException', async () => {
    const error = await failure(
      sdk.send(new ListExecutionsCommand({ stateMachineArn: arn(), statusFilter: 'BOGUS' as never, maxResults: 5000 })),
    );
    expect(error.message).toMatch(/^2 validation errors detected: .*'statusFilter'.*'maxResults'/);
  });

  it('answers malformed JSON, a wrong field type and an unknown operation like AWS', async () => {
    const post = (body: string, target = 'AWSStepFunctions.ListExecutions') =>
      fetch(sfn.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
        body,
      });
    for (const [body, target, type] of [
      ['{not json', undefined, 'SerializationException'],
      ['[]', undefined, 'SerializationException'],
      [JSON.stringify({ stateMachineArn: arn(), maxResults: '5' }), undefined, 'SerializationException'],
      ['{}', 'AWSStepFunctions.DeleteStateMachine', 'UnknownOperationException'],
    ] as const) {
      const response = await post(body, target);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
      const answer = (await response.json()) as { __type: string; message: string };
      expect(answer.__type.split('#')[1]).toBe(type);
      expect(answer.message).toBeTruthy();
    }
  });
});

describe('DescribeStateMachine and a running execution', () => {
  it('describes the machine with its definition, and an execution while it runs', async () => {
    const machine = await sdk.send(new DescribeStateMachineCommand({ stateMachineArn: sfn.stateMachineArn }));
    expect(machine).toMatchObject({ name: 'segment-export', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(machine.definition!).States).toBeDefined();
    expect(machine.creationDate).toBeInstanceOf(Date);
    const executionArn = `${sfn.stateMachineArn.replace(':stateMachine:', ':execution:')}:run-3`;
    const running = await sdk.send(new DescribeExecutionCommand({ executionArn }));
    expect(running).toMatchObject({ name: 'run-3', status: 'RUNNING', input, stateMachineArn: sfn.stateMachineArn });
    expect(running.startDate).toBeInstanceOf(Date);
    expect(running.stopDate).toBeUndefined();
  });
});

describe('paging while executions start', () => {
  it('yields every execution that existed once, even when a new one starts between pages', async () => {
    const names: string[] = [];
    let nextToken: string | undefined;
    let page = 0;
    do {
      const out = await sdk.send(
        new ListExecutionsCommand({ stateMachineArn: sfn.stateMachineArn, maxResults: 3, nextToken }),
      );
      names.push(...(out.executions ?? []).map((execution) => execution.name!));
      nextToken = out.nextToken;
      if (++page === 1) {
        await sdk.send(new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn, name: 'late', input }));
      }
    } while (nextToken);
    expect(names).toHaveLength(11);
    expect(new Set(names).size).toBe(11);
    expect(names).not.toContain('late');
  });
});
