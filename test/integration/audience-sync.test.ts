// The real audience-sync ASL with the real handlers, the GrowingIO and Tencent emulators and the local S3.
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import type { StartedSync } from '../../lib/sync/start.ts';
import { localStateMachineArn } from '../../local/aws/sfn-service.ts';
import type { Upload } from '../../local/emulators/tencent.ts';
import { LOCAL_BUCKET } from '../../local/runtime.ts';
import { context, listKeys } from '../helpers/export-runtime.ts';
import {
  expectedPhoneHashes,
  objectBytes,
  runSync,
  type SyncRuntime,
  startSyncRuntime,
  zipIds,
} from '../helpers/sync-runtime.ts';

let runtime: SyncRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

const ACCOUNT = 10_001;
const request = {
  projectUid: 'proj1',
  segmentationId: 'seg1',
  tencent: { accountId: ACCOUNT, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
};
const SYNC_ID = 'proj1-seg1-10001-HASH_MOBILE_PHONE';
const SNAPSHOT = `syncs/${SYNC_ID}/snapshot.txt.gz`;

/** Ids uploaded since `from`, by operation type, each zip read back from the emulator's stored bytes. */
function uploadedIds(uploads: Upload[]) {
  const out = { APPEND: [] as string[], REDUCE: [] as string[] };
  for (const upload of uploads) out[upload.fields.operation_type as 'APPEND' | 'REDUCE'].push(...zipIds(upload.bytes));
  return out;
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((id) => !b.has(id)).sort();

describe('audience sync state machine', () => {
  it('uploads everything first, then exactly the additions and removals, then nothing', async () => {
    runtime = await startSyncRuntime(
      [
        { rows: 400, seed: 1 },
        { rows: 300, seed: 2 },
      ],
      {
        TENCENT_MAX_FILE_BYTES: '6000',
      },
    );
    const tencent = runtime.tencent!;

    const first = await runSync(runtime, request);
    expect(first.body.status).toBe('SUCCEEDED');
    const before = await expectedPhoneHashes(runtime, first.body.report.exportId);
    const firstUploads = tencent.uploads();
    expect(firstUploads.length).toBeGreaterThan(1); // split at TENCENT_MAX_FILE_BYTES
    const sent = uploadedIds(firstUploads);
    expect(sent.REDUCE).toEqual([]);
    expect(sent.APPEND.length).toBe(before.ids.size); // each id once
    expect(new Set(sent.APPEND)).toEqual(before.ids);
    for (const upload of firstUploads) {
      expect(upload.bytes.length).toBeLessThanOrEqual(6000);
      expect(upload.fields).toMatchObject({ account_id: String(ACCOUNT), user_id_type: 'HASH_MOBILE_PHONE' });
    }
    const report = first.body.report;
    expect(report).toMatchObject({
      syncId: SYNC_ID,
      runId: first.started.runId,
      accountId: ACCOUNT,
      mode: 'delta',
      dryRun: false,
      rows: 700,
      validIds: 700 - report.emptyIds - report.invalidIds,
      added: before.ids.size,
      removed: 0,
      unchanged: 0,
      snapshot: { key: SNAPSHOT, ids: before.ids.size, committed: true },
    });
    expect(report.duplicateIds).toBe(report.validIds - before.ids.size);
    expect(report.files.every((f: { processStatus: string }) => f.processStatus === 'SUCCESS')).toBe(true);
    expect(tencent.audiences(ACCOUNT)).toEqual([
      expect.objectContaining({ audience_id: report.audienceId, external_audience_id: SYNC_ID }),
    ]);

    runtime.growingio!.setFiles([
      { rows: 400, seed: 1 },
      { rows: 300, seed: 3 },
    ]);
    const second = await runSync(runtime, request);
    expect(second.body.status).toBe('SUCCEEDED');
    const now = await expectedPhoneHashes(runtime, second.body.report.exportId);
    const delta = uploadedIds(tencent.uploads().slice(firstUploads.length));
    expect(delta.APPEND.sort()).toEqual(minus(now.ids, before.ids));
    expect(delta.REDUCE.sort()).toEqual(minus(before.ids, now.ids));
    expect(delta.APPEND.length).toBeGreaterThan(0);
    expect(delta.REDUCE.length).toBeGreaterThan(0);
    expect(second.body.report).toMatchObject({
      audienceId: report.audienceId,
      added: delta.APPEND.length,
      removed: delta.REDUCE.length,
      unchanged: now.ids.size - delta.APPEND.length,
      snapshot: { ids: now.ids.size, committed: true },
    });

    const uploadsSoFar = tencent.uploads().length;
    const third = await runSync(runtime, request);
    expect(third.body.status).toBe('SUCCEEDED');
    expect(tencent.uploads().length).toBe(uploadsSoFar);
    expect(third.body.report).toMatchObject({ added: 0, removed: 0, unchanged: now.ids.size, files: [] });
  });

  it('fails on a processing ERROR, keeps the snapshot, and the rerun uploads the same delta', async () => {
    runtime = await startSyncRuntime([{ rows: 200, seed: 4 }]);
    const tencent = runtime.tencent!;
    expect((await runSync(runtime, request)).body.status).toBe('SUCCEEDED');
    const snapshot = await objectBytes(runtime.s3Client, SNAPSHOT);

    runtime.growingio!.setFiles([{ rows: 200, seed: 5 }]);
    tencent.setFaults({ processing: { outcome: 'ERROR', processCode: 1001, errorMessage: '文件格式错误' } });
    const before = tencent.uploads().length;
    const failed = await runSync(runtime, request);
    expect(failed.body.status).toBe('FAILED');
    expect(failed.body.error.name).toBe('AudienceProcessingFailed');
    expect(failed.body.error.cause).toMatch(/^Check Processing: Tencent could not process .* process_code 1001/);
    expect(await objectBytes(runtime.s3Client, SNAPSHOT)).toEqual(snapshot);
    expect(await listKeys(runtime.s3Client, LOCAL_BUCKET)).not.toContain(`syncs/${SYNC_ID}/lock.json`); // Clean Up gave it back
    // Nothing of the failed run is left; its export stays (it succeeded and is an export like any other).
    const runKeys = (await listKeys(runtime.s3Client, LOCAL_BUCKET)).filter((k) =>
      k.startsWith(`syncs/${SYNC_ID}/runs/${failed.started.runId}/`),
    );
    expect(runKeys).toEqual([]);
    const failedDelta = uploadedIds(tencent.uploads().slice(before));

    tencent.clearFaults();
    const after = tencent.uploads().length;
    const rerun = await runSync(runtime, request);
    expect(rerun.body.status).toBe('SUCCEEDED');
    const rerunDelta = uploadedIds(tencent.uploads().slice(after));
    expect(rerunDelta.APPEND.sort()).toEqual(failedDelta.APPEND.sort());
    expect(rerunDelta.REDUCE.sort()).toEqual(failedDelta.REDUCE.sort());
    expect(rerunDelta.APPEND.length + rerunDelta.REDUCE.length).toBeGreaterThan(0);
    expect(await objectBytes(runtime.s3Client, SNAPSHOT)).not.toEqual(snapshot);
  });

  it('a per-day limit fails the run clearly without retries; the next run uploads the same delta', async () => {
    runtime = await startSyncRuntime([{ rows: 200, seed: 8 }]);
    const tencent = runtime.tencent!;
    const first = await runSync(runtime, request);
    const before = await expectedPhoneHashes(runtime, first.body.report.exportId);
    const withAudience = { ...request, tencent: { ...request.tencent, audienceId: first.body.report.audienceId } };
    runtime.growingio!.setFiles([{ rows: 200, seed: 9 }]);
    tencent.setFaults({ perDay: 1 });
    const addsBefore = tencent.stats().byPath['/v1.3/custom_audience_files/add'] ?? 0;
    const limited = await runSync(runtime, withAudience);
    expect(limited.body.status).toBe('FAILED');
    expect(limited.body.error).toMatchObject({ name: 'TencentQuotaExhausted' });
    expect(limited.body.error.cause).toMatch(
      /^Upload Files: Tencent custom_audience_files\/add failed with code 11018/,
    );
    // The refused call is not retried: one add call per file at most (the local Map, unlike AWS, still runs the
    // iterations queued behind a failed one, so the REDUCE file may have been sent once).
    const addCalls = tencent.stats().byPath['/v1.3/custom_audience_files/add'] ?? 0;
    expect(addCalls - addsBefore).toBeLessThanOrEqual(2);

    const uploads = tencent.uploads().length;
    const rerun = await runSync(runtime, withAudience);
    expect(rerun.body.status).toBe('SUCCEEDED');
    const now = await expectedPhoneHashes(runtime, rerun.body.report.exportId);
    const delta = uploadedIds(tencent.uploads().slice(uploads));
    expect(delta.APPEND.sort()).toEqual(minus(now.ids, before.ids));
    expect(delta.REDUCE.sort()).toEqual(minus(before.ids, now.ids));
  });

  it('refuses a delta that would empty the audience or remove more than allowed, before any Tencent call', async () => {
    runtime = await startSyncRuntime([{ rows: 200, seed: 11 }], { SYNC_MAX_REMOVE_PERCENT: '50' });
    const tencent = runtime.tencent!;
    const first = await runSync(runtime, request);
    expect(first.body.status).toBe('SUCCEEDED');
    const snapshot = await objectBytes(runtime.s3Client, SNAPSHOT);
    const writes = () => JSON.stringify([tencent.uploads().length, tencent.stats().byPath]);
    const refused = async (body: Record<string, unknown>, cause: RegExp) => {
      const before = writes();
      const run = await runSync(runtime!, body);
      expect(run.body.status).toBe('FAILED');
      expect(run.body.error.name).toBe('SyncRemovalRefused');
      expect(run.body.error.cause).toMatch(cause);
      expect(writes()).toBe(before); // no Tencent call at all
      expect(await objectBytes(runtime!.s3Client, SNAPSHOT)).toEqual(snapshot);
      const runKeys = (await listKeys(runtime!.s3Client, LOCAL_BUCKET)).filter((k) =>
        k.startsWith(`syncs/${SYNC_ID}/runs/${run.started.runId}/`),
      );
      expect(runKeys).toEqual([]);
    };

    // An empty segment is refused even when the percentage would allow it.
    runtime.growingio!.setFiles([{ rows: 0, seed: 1 }]);
    await refused(
      { ...request, maxRemovePercent: 100 },
      /^Build Audience Files: The export has no valid id \(0 rows: 0 empty, 0 invalid\); applying it would remove all \d+ ids/,
    );
    // Another segment: nearly every id would go, above SYNC_MAX_REMOVE_PERCENT.
    runtime.growingio!.setFiles([{ rows: 200, seed: 12 }]);
    await refused(
      request,
      /^Build Audience Files: The delta would remove \d+ of the \d+ ids .* more than maxRemovePercent 50\./,
    );

    // Meant: the request lifts the limit for this run.
    const applied = await runSync(runtime, { ...request, maxRemovePercent: 100 });
    expect(applied.body.status).toBe('SUCCEEDED');
    const { removed, unchanged } = applied.body.report;
    expect(removed).toBeGreaterThan(unchanged);
    expect(removed + unchanged).toBe(first.body.report.snapshot.ids);

    runtime.growingio!.setFiles([{ rows: 0, seed: 1 }]);
    const emptied = await runSync(runtime, { ...request, maxRemovePercent: 100, allowEmptyExport: true });
    expect(emptied.body.status).toBe('SUCCEEDED');
    expect(emptied.body.report).toMatchObject({
      validIds: 0,
      added: 0,
      removed: applied.body.report.snapshot.ids,
      snapshot: { ids: 0, committed: true },
    });
  });

  it('one run of a syncId at a time: a run that overlaps a RUNNING one stops before reading the snapshot', async () => {
    runtime = await startSyncRuntime([{ rows: 200, seed: 13 }]);
    const tencent = runtime.tencent!;
    const LOCK = `syncs/${SYNC_ID}/lock.json`;
    // Tencent answers slowly: once A holds the lock (from its Build step), its Tencent steps keep it RUNNING for
    // several seconds, while B (no Tencent call before Build) exports and reaches its own Build step.
    tencent.setLatency(3000);
    const a = (await runtime.handlers.startSync(request, context())) as StartedSync;
    for (let i = 0; i < 1000 && !(await listKeys(runtime.s3Client, LOCAL_BUCKET)).includes(LOCK); i++) await sleep(20);
    expect(await listKeys(runtime.s3Client, LOCAL_BUCKET)).toContain(LOCK);
    const uploads = tencent.uploads().length;
    const b = await runSync(runtime, request);
    tencent.setLatency(0);
    expect(b.body.status).toBe('FAILED');
    expect(b.body.error.name).toBe('SyncAlreadyRunning');
    expect(b.body.error.cause).toMatch(
      new RegExp(`^Build Audience Files: Run ${a.runId} of sync ${SYNC_ID} is still running .*changed nothing`),
    );
    expect(tencent.uploads().length).toBe(uploads);
    await runtime.sfn.waitFor(a.executionArn);
    const first = await runSync(runtime, request); // after A: the lock was given back
    expect(first.body.status).toBe('SUCCEEDED');
    expect(first.body.report).toMatchObject({ added: 0, removed: 0 });
    expect(await listKeys(runtime.s3Client, LOCAL_BUCKET)).not.toContain(LOCK);
  });

  it('takes over the lock of a run that no longer runs (stopped or timed out, so no clean-up gave it back)', async () => {
    runtime = await startSyncRuntime([{ rows: 100, seed: 14 }]);
    const LOCK = `syncs/${SYNC_ID}/lock.json`;
    const machine = localStateMachineArn('audience-sync', 'us-east-1');
    const executionArn = `${machine.replace(':stateMachine:', ':execution:')}:stopped-run`;
    const gone = { runId: 'stopped-run', executionArn, acquiredAt: '2026-12-01T00:00:00.000Z' };
    await runtime.s3Client.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: LOCK, Body: JSON.stringify(gone) }));
    const run = await runSync(runtime, request);
    expect(run.body.status).toBe('SUCCEEDED');
    expect(runtime.logs.join('\n')).toMatch(/sync lock taken over from a run that is no longer running.*stopped-run/);
    expect(await listKeys(runtime.s3Client, LOCAL_BUCKET)).not.toContain(LOCK);
  });

  it('times out when Tencent is still processing after POLL_MAX_ATTEMPTS polls', async () => {
    runtime = await startSyncRuntime([{ rows: 100, seed: 10 }], { POLL_MAX_ATTEMPTS: '3' });
    runtime.tencent!.setFaults({ processing: { outcome: 'SUCCESS', pollsPerStep: 100 } });
    const slow = await runSync(runtime, request);
    expect(slow.body.status).toBe('FAILED');
    expect(slow.body.error.name).toBe('AudienceProcessingTimedOut');
    expect(slow.body.error.cause).toMatch(/^Check Processing: 1 of 1 files .* still processing after 3 polls/);
    expect(await listKeys(runtime.s3Client, LOCAL_BUCKET)).not.toContain(SNAPSHOT);
  });

  it('dry run: builds the files but calls no Tencent write API and commits nothing', async () => {
    runtime = await startSyncRuntime([{ rows: 200, seed: 6 }]);
    const dry = await runSync(runtime, { ...request, dryRun: true });
    expect(dry.body.status).toBe('SUCCEEDED');
    expect(dry.body.report).toMatchObject({ dryRun: true, audienceId: null, snapshot: { committed: false } });
    expect(dry.body.report.files.length).toBeGreaterThan(0);
    const paths = Object.keys(runtime.tencent!.stats().byPath);
    expect(paths.filter((path) => /add/.test(path))).toEqual([]);
    expect(runtime.tencent!.uploads()).toEqual([]);
    const keys = await listKeys(runtime.s3Client, LOCAL_BUCKET);
    expect(keys).not.toContain(SNAPSHOT);
    expect(keys).not.toContain(`syncs/${SYNC_ID}/lock.json`); // a dry run gives the lock back too
    expect(keys).toContain(dry.body.report.files[0].key);
  });

  it('never writes an identifier into a log line or an error', async () => {
    runtime = await startSyncRuntime([{ rows: 300, seed: 7 }]);
    const tencent = runtime.tencent!;
    // Every user_id is an invalid phone: the invalid path runs for each of them.
    const idColumn = 'user_id';
    const invalid = await runSync(runtime, {
      ...request,
      syncId: 'invalid-ids',
      tencent: { ...request.tencent, idColumn },
    });
    expect(invalid.body.report).toMatchObject({ validIds: 0, invalidIds: 300, files: [] });
    const dry = await runSync(runtime, { ...request, dryRun: true });
    const { ids, phones } = await expectedPhoneHashes(runtime, dry.body.report.exportId);
    // Tencent's error_message is free text: here it quotes a phone and its hash, and the run must not repeat them.
    const [phone] = [...phones];
    const [hash] = [...ids];
    const errorMessage = `line 1 refused: ${phone}, +86 ${phone!.slice(0, 3)}-${phone!.slice(3, 7)}-${phone!.slice(7)}, ${hash}`;
    tencent.setFaults({ processing: { outcome: 'ERROR', processCode: 7, errorMessage } });
    const failed = await runSync(runtime, request);
    expect(failed.body.status).toBe('FAILED');
    expect(failed.body.error.cause).toContain('line 1 refused: [id], [id], [id]');
    const text = [...runtime.logs, JSON.stringify(failed.body), JSON.stringify(invalid.body)].join('\n');
    expect(phones.size).toBeGreaterThan(100);
    const leaked = [...phones, ...ids].filter((value) => text.includes(value));
    expect(leaked).toEqual([]);
    expect(text).not.toContain(`${phone!.slice(3, 7)}-${phone!.slice(7)}`);
    expect(text.match(/\b[0-9a-f]{16}\b/g) ?? []).toEqual([]); // no user_id (the invalid values)
    expect(runtime.logs.length).toBeGreaterThan(10);
  });
});
