// The sync request schema, run layout, report and failure wording: pure rules, no services.
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../lib/sync/report.ts';
import { defaultSyncId, parseSyncRequest, syncFingerprint } from '../../lib/sync/request.ts';
import {
  buildSyncInput,
  exportIdOfRun,
  runPrefix,
  snapshotKey,
  stagedSnapshotKey,
  uploadFileKey,
} from '../../lib/sync/run.ts';
import { withoutIdentifiers } from '../../lib/sync/tencent.ts';

const base = {
  projectUid: 'P1',
  segmentationId: 'S1',
  tencent: { accountId: 10001, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
};

function fieldsOf(input: unknown): string[] {
  try {
    parseSyncRequest(input);
  } catch (error) {
    return (error as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
  }
  return [];
}

describe('sync request', () => {
  it('fills the defaults: syncId, delta mode, no dry run, the id column among the parameters', () => {
    const request = parseSyncRequest({ ...base, parameters: ['city'] });
    expect(request).toMatchObject({
      syncId: 'P1-S1-10001-HASH_MOBILE_PHONE',
      mode: 'delta',
      dryRun: false,
      expireMinutes: 60,
      parameters: ['city', 'phone'],
    });
    expect(parseSyncRequest(base).parameters).toEqual(['phone']);
    // user_id is always exported and is no user variable: never sent as a parameter.
    expect(parseSyncRequest({ ...base, tencent: { ...base.tencent, idColumn: 'user_id' } }).parameters).toEqual([]);
  });

  it('keeps a long default syncId within 64 characters, distinct per input', () => {
    const long = { ...base, projectUid: 'p'.repeat(64), segmentationId: 's'.repeat(64) };
    const id = defaultSyncId(long);
    expect(id).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(defaultSyncId({ ...long, segmentationId: `${'s'.repeat(63)}t` })).not.toBe(id);
    expect(parseSyncRequest(long).syncId).toBe(id);
  });

  it('names every bad field', () => {
    expect(fieldsOf({ ...base, syncId: 'a/b' })).toEqual(['syncId']);
    expect(fieldsOf({ ...base, mode: 'replace', dryRun: 'yes' })).toEqual(['mode', 'dryRun']);
    expect(fieldsOf({ ...base, tencent: { ...base.tencent, userIdType: 'PHONE', accountId: 0 } })).toEqual([
      'tencent.accountId',
      'tencent.userIdType',
    ]);
    expect(fieldsOf({ ...base, tencent: { ...base.tencent, idColumn: 'a,b' } })).toEqual(['tencent.idColumn']);
    expect(fieldsOf({ ...base, tencent: { ...base.tencent, audienceId: 5, audienceName: 'x' } })).toEqual([
      'tencent.audienceName',
    ]);
    expect(fieldsOf({ ...base, tencent: { ...base.tencent, audienceName: '名'.repeat(11) } })).toEqual([
      'tencent.audienceName',
    ]);
    expect(fieldsOf({ ...base, tencent: { ...base.tencent, userIdType: 'WECHAT_OPENID' } })).toEqual([
      'tencent.openAppId',
    ]);
    expect(fieldsOf({ ...base, tencent: { ...base.tencent, extra: 1 } })).toEqual(['tencent.extra']);
    expect(fieldsOf({ projectUid: 'P1', segmentationId: 'S1' })).toEqual(['tencent']);
  });

  it('fingerprints what the run does, not the key or the order of fields', () => {
    const a = parseSyncRequest({ ...base, idempotencyKey: 'k1' });
    const b = parseSyncRequest({
      tencent: { idColumn: 'phone', userIdType: 'HASH_MOBILE_PHONE', accountId: 10001 },
      segmentationId: 'S1',
      projectUid: 'P1',
      idempotencyKey: 'k2',
    });
    expect(syncFingerprint(a)).toBe(syncFingerprint(b));
    expect(syncFingerprint(parseSyncRequest({ ...base, dryRun: true }))).not.toBe(syncFingerprint(a));
  });
});

describe('sync run', () => {
  const storage = { bucket: 'b', prefix: 'syncs' };
  it('lays out the snapshot and the run files under the sync prefix', () => {
    const run = { storage, syncId: 'S', runId: 'R' };
    expect(snapshotKey(storage, 'S')).toBe('syncs/S/snapshot.txt.gz');
    expect(runPrefix(storage, 'S', 'R')).toBe('syncs/S/runs/R/');
    expect(stagedSnapshotKey(run)).toBe('syncs/S/runs/R/snapshot.txt.gz');
    expect(uploadFileKey(run, 'REDUCE', 0)).toBe('syncs/S/runs/R/reduce-00001.zip');
    expect(snapshotKey({ bucket: 'b', prefix: '' }, 'S')).toBe('S/snapshot.txt.gz');
  });

  it('builds the nested export input with the export name derived from the run', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    const input = buildSyncInput(parseSyncRequest({ ...base, idempotencyKey: 'k' }), 'run-1', now, storage);
    expect(input.export.request).toMatchObject({ exportId: exportIdOfRun('run-1'), parameters: ['phone'] });
    expect(input.export.request).not.toHaveProperty('idempotencyKey');
    expect(input.sync).not.toHaveProperty('idempotencyKey');
    expect(input.audience).toEqual({ audienceId: null });
    expect(exportIdOfRun('k-'.padEnd(59, 'x')).length).toBeLessThanOrEqual(80);
  });
});

describe('failure wording', () => {
  it('names the step and unwraps a Lambda error envelope', () => {
    const cause = JSON.stringify({ errorType: 'X', errorMessage: 'it broke', stackTrace: ['at y'] });
    expect(describeFailure({ step: 'Upload Files', error: 'TencentQuotaExhausted', cause })).toEqual({
      error: 'TencentQuotaExhausted',
      cause: 'Upload Files: it broke',
    });
  });

  it("reports a nested export's own error instead of States.TaskFailed", () => {
    const cause = JSON.stringify({ Name: 'r-export', Status: 'FAILED', Error: 'GrowingIoExportFailed', Cause: 'no' });
    expect(describeFailure({ step: 'Run Export', error: 'States.TaskFailed', cause })).toEqual({
      error: 'GrowingIoExportFailed',
      cause: 'Run Export: export r-export FAILED: no',
    });
  });
});

describe('Tencent error messages', () => {
  it('mask anything shaped like an identifier and keep the words', () => {
    const text = withoutIdentifiers(
      '第3行格式错误: 13800138000 / +86 138-0013-8000 / 0e7b4e6c1a2f3d4b5c6d7e8f9a0b1c2d / 6D92078A-8246-4BA4-AE5B-76104861E7DC / oAbCdEfGhIjKlMnOpQrStUvWxYz12',
    );
    expect(text).toBe('第3行格式错误: [id] / [id] / [id] / [id] / [id]');
    expect(withoutIdentifiers('file format error (code 1001)')).toBe('file format error (code 1001)');
  });
});
