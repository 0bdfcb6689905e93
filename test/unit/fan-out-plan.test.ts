// The fan-out's plan and summary as pure logic: child names, rejections, and how `.sync:2` failures are read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXECUTION_NAME } from '../../lib/aws-names.ts';
import { childExecutionName, childNamePrefix, planFanOut } from '../../lib/fan-out/plan.ts';
import { summarizeFanOut, summarizeJob } from '../../lib/fan-out/summary.ts';

const ARNS = { export: 'arn:aws:states:us-east-1:000000000000:stateMachine:segment-export' };
const AT = '2026-12-06T14:00:00Z';
const job = (id: string, request: unknown = { projectUid: 'p0000001', segmentationId: 's0000001' }) => ({
  kind: 'export',
  id,
  request,
});

describe('planFanOut', () => {
  it('names children from the scheduled time and position: same input, same names', () => {
    const input = { scheduledTime: AT, jobs: [job('a'), job('b')] };
    const one = planFanOut({ stateMachineArns: ARNS }, input, '2030-01-01T00:00:00Z');
    const two = planFanOut({ stateMachineArns: ARNS }, input, '2031-01-01T00:00:00Z');
    expect(one).toEqual(two);
    expect(one.jobs.map((planned) => planned.name)).toEqual([
      expect.stringMatching(/^f20261206T140000-00-a-[0-9a-f]{8}$/),
      expect.stringMatching(/^f20261206T140000-01-b-[0-9a-f]{8}$/),
    ]);
    expect(one.jobs[0]!.input).toMatchObject({
      request: { exportId: one.jobs[0]!.name, requestedAt: '2026-12-06T14:00:00.000Z' },
    });
  });

  it('uses the execution start time when the input has no scheduled time', () => {
    const plan = planFanOut({ stateMachineArns: ARNS }, { jobs: [job('a')] }, '2026-12-07T01:02:03.456Z');
    expect(plan.scheduledTime).toBe('2026-12-07T01:02:03.456Z');
    expect(plan.jobs[0]!.name.startsWith(childNamePrefix(new Date(plan.scheduledTime)))).toBe(true);
  });

  it('rejects a bad job by name (field and position) and keeps the others', () => {
    const plan = planFanOut(
      { stateMachineArns: ARNS },
      { scheduledTime: AT, jobs: [job('ok'), job('bad', { projectUid: 'p0000001' }), { kind: 'sync', request: {} }] },
      AT,
    );
    expect(plan.jobs.map((planned) => planned.rejected?.error)).toEqual([undefined, 'BadRequest', 'BadRequest']);
    expect(plan.jobs[1]!.rejected!.cause).toMatch(/^jobs\[1\]: .*segmentationId/);
    expect(plan.jobs[2]!.rejected!.cause).toContain('kind must be one of export');
    expect(plan.jobs[2]!.stateMachineArn).toBeUndefined();
  });

  it('plans a sync job as a sync run named like the child, its storage from the settings; refuses one without', () => {
    const arns = { ...ARNS, sync: 'arn:aws:states:us-east-1:000000000000:stateMachine:audience-sync' };
    const sync = {
      kind: 'sync',
      id: 'nightly',
      request: {
        projectUid: 'p0000001',
        segmentationId: 's0000001',
        tencent: { accountId: 10001, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
      },
    };
    const settings = { syncStorage: { bucket: 'exports-bucket', prefix: 'audiences' } };
    const [planned] = planFanOut({ stateMachineArns: arns, settings }, { scheduledTime: AT, jobs: [sync] }, AT).jobs;
    expect(planned!.stateMachineArn).toBe(arns.sync);
    expect(planned!.input).toMatchObject({
      sync: {
        runId: planned!.name,
        storage: settings.syncStorage,
        syncId: 'p0000001-s0000001-10001-HASH_MOBILE_PHONE',
      },
      export: { request: { exportId: `${planned!.name}-export`, parameters: ['phone'] } },
    });
    const bad = { ...sync, request: { ...sync.request, tencent: { accountId: 10001 } } };
    const plan = planFanOut({ stateMachineArns: arns }, { scheduledTime: AT, jobs: [bad, sync] }, AT);
    expect(plan.jobs.map((job) => job.rejected?.error)).toEqual(['BadRequest', 'ConfigError']);
    expect(plan.jobs[0]!.rejected!.cause).toMatch(/^jobs\[0\]: .*userIdType/);
    expect(plan.jobs[1]!.rejected!.cause).toContain('EXPORT_BUCKET');
  });

  it('rejects a second sync job of the same syncId (its runs must not overlap) and runs the first', () => {
    const arns = { ...ARNS, sync: 'arn:aws:states:us-east-1:000000000000:stateMachine:audience-sync' };
    const settings = { syncStorage: { bucket: 'exports-bucket' } };
    const tencent = { accountId: 10001, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' };
    const sync = (id: string, segmentationId: string, syncId?: string) => ({
      kind: 'sync',
      id,
      request: { projectUid: 'p0000001', segmentationId, tencent, ...(syncId ? { syncId } : {}) },
    });
    const jobs = [
      sync('a', 's1'),
      sync('b', 's2'),
      sync('c', 's1'),
      sync('d', 's3', 'p0000001-s2-10001-HASH_MOBILE_PHONE'),
    ];
    const plan = planFanOut({ stateMachineArns: arns, settings }, { scheduledTime: AT, jobs: [...jobs, job('e')] }, AT);
    expect(plan.jobs.map((planned) => planned.rejected?.error)).toEqual([
      undefined,
      undefined,
      'BadRequest',
      'BadRequest',
      undefined,
    ]);
    expect(plan.jobs[2]!.rejected!.cause).toBe(
      "jobs[2]: syncId p0000001-s1-10001-HASH_MOBILE_PHONE is also jobs[0]'s; its runs must not overlap: list it once",
    );
    expect(plan.jobs[3]!.rejected!.cause).toMatch(
      /^jobs\[3\]: syncId p0000001-s2-10001-HASH_MOBILE_PHONE is also jobs\[1\]'s/,
    );
    expect(plan.jobs[3]!.stateMachineArn).toBeUndefined();
    expect(plan.jobs[3]!.input).toBeUndefined();
  });

  it('refuses a malformed list as a whole, naming the field', () => {
    expect(() => planFanOut({ stateMachineArns: ARNS }, { jobs: [] }, AT)).toThrow(/jobs.*at least one job/);
    expect(() => planFanOut({ stateMachineArns: ARNS }, { scheduledTime: 'soon', jobs: [job('a')] }, AT)).toThrow(
      /scheduledTime/,
    );
  });

  it('child names are valid, unique execution names for any id and position', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        fc.nat(199),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        (at, index, id) => {
          const name = childExecutionName(at, index, id);
          expect(name).toMatch(EXECUTION_NAME);
          expect(name).not.toBe(childExecutionName(at, index + 1, id));
        },
      ),
    );
  });
});

describe('summarizeFanOut', () => {
  const base = { index: 0, kind: 'export', id: 'a', name: 'f-a' };

  it('reads the child error from the .sync:2 States.TaskFailed cause', () => {
    const cause = JSON.stringify({ Status: 'FAILED', Error: 'GrowingIoExportFailed', Cause: 'refused: bad variable' });
    expect(summarizeJob({ ...base, error: { Error: 'States.TaskFailed', Cause: cause } })).toMatchObject({
      status: 'FAILED',
      error: 'GrowingIoExportFailed',
      cause: 'refused: bad variable',
    });
    const timedOut = JSON.stringify({ Status: 'TIMED_OUT', Error: 'States.Timeout' });
    expect(summarizeJob({ ...base, error: { Error: 'States.TaskFailed', Cause: timedOut } }).status).toBe('TIMED_OUT');
  });

  it('counts a redelivered job as already started, not failed', () => {
    const summary = summarizeFanOut(AT, [
      { ...base, error: { Error: 'StepFunctions.ExecutionAlreadyExistsException', Cause: 'exists' } },
      { ...base, index: 1, result: { status: 'SUCCEEDED', output: { totalRows: 5, totalBytes: 50, files: [{}] } } },
    ]);
    expect(summary).toMatchObject({ total: 2, succeeded: 1, failed: 0 });
    expect(summary.jobs.map((j) => j.status)).toEqual(['ALREADY_STARTED', 'SUCCEEDED']);
    expect(summary.jobs[1]!.counts).toEqual({ rows: 5, bytes: 50, files: 1 });
  });

  it('counts a sync from its report: rows, added, removed, invalid ids and files, never an id', () => {
    const report = { rows: 9, added: 4, removed: 2, invalidIds: 1, files: [{ key: 'k1' }, { key: 'k2' }], syncId: 'x' };
    const job = { ...base, kind: 'sync', result: { status: 'SUCCEEDED', output: report } };
    expect(summarizeJob(job).counts).toEqual({ rows: 9, added: 4, removed: 2, invalidIds: 1, files: 2 });
  });
});
