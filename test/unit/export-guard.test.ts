// The local stand-in for the stack's cleanUpExport rule: like the deployed rule (which names the export state
// machine), it reacts to stopped or timed-out export executions only, not to the sync or fan-out executions the same
// local service hosts.
import type { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.ts';
import { localStateMachineArn } from '../../local/aws/sfn-service.ts';
import { cleanUpOnExecutionEnd, createTaskTracker } from '../../local/export-guard.ts';

const execution = (machine: string, name: string) =>
  `${localStateMachineArn(machine).replace(':stateMachine:', ':execution:')}:${name}`;

describe('cleanUpOnExecutionEnd', () => {
  it('cleans up an aborted or timed-out export, and leaves the other machines and other statuses alone', async () => {
    const described: string[] = [];
    const cleaned: unknown[] = [];
    const sfn = {
      send: async (command: { input: { executionArn: string } }) => {
        described.push(command.input.executionArn);
        return { input: '{"request":{}}' };
      },
    } as unknown as SFNClient;
    const tracker = createTaskTracker();
    const onEnd = cleanUpOnExecutionEnd({
      sfnClient: () => sfn,
      cleanUp: async (event) => void cleaned.push(event),
      tracker,
      logger: silentLogger,
      stateMachineArn: localStateMachineArn('segment-export'),
    });
    onEnd({ executionArn: execution('audience-sync', 'run-1'), status: 'ABORTED' });
    onEnd({ executionArn: execution('fan-out', 'f-1'), status: 'TIMED_OUT' });
    onEnd({ executionArn: execution('segment-export', 'e-ok'), status: 'SUCCEEDED' });
    onEnd({ executionArn: execution('segment-export-2', 'e-other'), status: 'ABORTED' });
    onEnd({ executionArn: execution('segment-export', 'e-1'), status: 'ABORTED' });
    await tracker.settle();
    expect(described).toEqual([execution('segment-export', 'e-1')]);
    expect(cleaned).toEqual([
      expect.objectContaining({
        detail: { executionArn: execution('segment-export', 'e-1'), status: 'ABORTED', input: '{"request":{}}' },
      }),
    ]);
  });
});
