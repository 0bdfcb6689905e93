// The poll contract: nextPoll's decisions, and the ASL carrying the whole poll state through link refreshes.
import { describe, expect, it } from 'vitest';
import { DownloadLinkExpired, ExportTimedOut, GrowingIoExportFailed, GrowingIoUnavailable } from '../../lib/errors.ts';
import { buildExecutionInput } from '../../lib/export/execution.ts';
import {
  MAX_LINK_REFRESHES,
  MAX_TRANSIENT_JOB_FAILURES,
  nextPoll,
  type PollState,
  pollStateSchema,
} from '../../lib/export/poll.ts';
import { parseExportRequest } from '../../lib/export/request.ts';
import { createLocalStateMachine } from '../../local/aws/state-machine.ts';

const policy = { initialSeconds: 2, maxSeconds: 5, maxAttempts: 4 };
const state = (fields: Partial<PollState> = {}) => pollStateSchema.parse({ pollCount: 0, ...fields });
const job = (status: 'done' | 'doing' | 'failed', links: string[] = []) => ({
  job: { jobId: 'j1', status, downloadLinks: links, errorMsg: '' },
});

describe('nextPoll', () => {
  it('waits with backoff while the job runs and stops waiting once done', () => {
    const first = nextPoll(state(), job('doing'), policy);
    expect(first).toMatchObject({ pollCount: 1, status: 'doing', nextPollSeconds: 2, jobId: 'j1' });
    expect(nextPoll(first, job('doing'), policy).nextPollSeconds).toBe(3);
    const done = nextPoll(first, job('done', ['https://x/a.csv']), policy);
    expect(done).toMatchObject({ status: 'done', nextPollSeconds: 0, downloadLinks: ['https://x/a.csv'] });
    expect(done.linkRefreshesLeft).toBe(MAX_LINK_REFRESHES);
  });

  it('throws ExportTimedOut when the job still runs at the last allowed poll', () => {
    expect(() => nextPoll(state({ pollCount: 3 }), job('doing'), policy)).toThrow(ExportTimedOut);
  });

  it('re-asks a "retry later" job failure a bounded number of times, then reports it failed', () => {
    const retryLater = { error: new GrowingIoUnavailable('retry later', { details: { jobId: 'j2' } }) };
    let current = state();
    for (let n = 1; n < MAX_TRANSIENT_JOB_FAILURES; n++) {
      current = nextPoll(current, retryLater, { ...policy, maxAttempts: 99 });
      expect(current).toMatchObject({ status: 'doing', transientFailures: n, jobId: 'j2' });
    }
    const last = nextPoll(current, retryLater, policy);
    expect(last).toMatchObject({ status: 'failed', transientFailures: MAX_TRANSIENT_JOB_FAILURES });
    expect(last.errorMsg).toContain(`${MAX_TRANSIENT_JOB_FAILURES} attempts`);
  });

  it('answers a failed job and rethrows anything else for the state machine', () => {
    const failed = nextPoll(state({ jobId: 'j3' }), { error: new GrowingIoExportFailed('bad parameter') }, policy);
    expect(failed).toMatchObject({ status: 'failed', jobId: 'j3', errorMsg: 'bad parameter' });
    const outage = new GrowingIoUnavailable('HTTP 503');
    expect(() => nextPoll(state(), { error: outage }, policy)).toThrow(outage);
  });
});

describe('the state machine carries the poll state', () => {
  it('refreshes expired links MAX_LINK_REFRESHES times, keeping every poll field, then fails by name', async () => {
    const seen: PollState[] = [];
    const machine = createLocalStateMachine({
      handlers: {
        requestExport: async (event) => {
          const poll = pollStateSchema.parse((event as { poll: unknown }).poll);
          seen.push(poll);
          return {
            ...poll,
            jobId: 'j1',
            pollCount: poll.pollCount + 1,
            transientFailures: 2,
            status: 'done',
            downloadLinks: ['https://x'],
          };
        },
        copyExport: async () => {
          throw new DownloadLinkExpired('links expired');
        },
        publishExport: async () => ({}),
        cleanUpExport: async () => ({}),
      },
    });
    const request = parseExportRequest({ projectUid: 'p1', segmentationId: 's1' });
    const execution = machine.run(buildExecutionInput(request, 'x1', new Date()), {
      Id: 'arn:x1',
      Name: 'x1',
      StartTime: new Date().toISOString(),
    });
    await expect(execution.result).rejects.toMatchObject({ cause: { name: 'DownloadLinkExpired' } });
    expect(seen.map((poll) => poll.linkRefreshesLeft)).toEqual([3, 2, 1, 0]);
    expect(seen.map((poll) => poll.pollCount)).toEqual([0, 1, 2, 3]);
    expect(seen.slice(1).map((poll) => [poll.jobId, poll.transientFailures])).toEqual([
      ['j1', 2],
      ['j1', 2],
      ['j1', 2],
    ]);
  });
});
