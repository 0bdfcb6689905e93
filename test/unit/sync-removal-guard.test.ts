import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.ts';
import { checkRemovals, SyncRemovalRefused } from '../../lib/sync/removal-guard.ts';
import { parseSyncRequest } from '../../lib/sync/request.ts';

const counts = { rows: 1000, validIds: 900, emptyIds: 60, invalidIds: 40, removed: 30, unchanged: 170 };
const open = { maxRemovePercent: 100, allowEmptyExport: false };

function refusal(run: () => void): SyncRemovalRefused {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SyncRemovalRefused);
    return error as SyncRemovalRefused;
  }
  throw new Error('expected SyncRemovalRefused');
}

describe('checkRemovals', () => {
  it('lets a delta through up to maxRemovePercent of the last snapshot, and refuses one above it', () => {
    // 30 of 200 = 15 %.
    expect(() => checkRemovals(counts, { ...open, maxRemovePercent: 15 })).not.toThrow();
    const error = refusal(() => checkRemovals(counts, { ...open, maxRemovePercent: 14.9 }));
    expect(error.message).toBe(
      'The delta would remove 30 of the 200 ids of the last snapshot (15.0%), more than maxRemovePercent 14.9. ' +
        'Nothing was sent to Tencent and the snapshot is kept; raise maxRemovePercent for this run to apply it.',
    );
    expect(error.statusCode).toBe(409);
    expect(error.details).toMatchObject({ removed: 30, previous: 200, percent: 15 });
  });

  it('refuses an export without a valid id that would empty the audience, unless allowEmptyExport', () => {
    const empty = { rows: 5, validIds: 0, emptyIds: 3, invalidIds: 2, removed: 200, unchanged: 0 };
    const error = refusal(() => checkRemovals(empty, open));
    expect(error.message).toMatch(
      /^The export has no valid id \(5 rows: 3 empty, 2 invalid\); applying it would remove all 200 ids of the last snapshot/,
    );
    expect(error.message).toMatch(/set allowEmptyExport to apply it\.$/);
    expect(() => checkRemovals(empty, { ...open, allowEmptyExport: true })).not.toThrow();
    // allowEmptyExport does not lift the percentage limit.
    expect(() => checkRemovals(empty, { maxRemovePercent: 50, allowEmptyExport: true })).toThrow(/maxRemovePercent 50/);
  });

  it('never refuses a run that removes nothing: a first run, a full run, an empty export without a snapshot', () => {
    const nothing = { rows: 0, validIds: 0, emptyIds: 0, invalidIds: 0, removed: 0, unchanged: 0 };
    expect(() => checkRemovals(nothing, { maxRemovePercent: 0, allowEmptyExport: false })).not.toThrow();
    expect(() => checkRemovals({ ...counts, removed: 0 }, { ...open, maxRemovePercent: 0 })).not.toThrow();
    expect(() => checkRemovals(counts, { ...open, maxRemovePercent: 0 })).toThrow(SyncRemovalRefused);
  });
});

describe('removal limits in the request and the configuration', () => {
  const request = {
    projectUid: 'p',
    segmentationId: 's',
    tencent: { accountId: 1, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
  };

  it('accepts maxRemovePercent 0-100 and allowEmptyExport, naming the field otherwise', () => {
    expect(parseSyncRequest({ ...request, maxRemovePercent: 12.5, allowEmptyExport: true })).toMatchObject({
      maxRemovePercent: 12.5,
      allowEmptyExport: true,
    });
    const parsed = parseSyncRequest(request);
    expect('maxRemovePercent' in parsed || 'allowEmptyExport' in parsed).toBe(false);
    for (const bad of [101, -1, '50']) {
      expect(() => parseSyncRequest({ ...request, maxRemovePercent: bad })).toThrow(
        expect.objectContaining({ errors: [expect.objectContaining({ field: 'maxRemovePercent' })] }),
      );
    }
    expect(() => parseSyncRequest({ ...request, allowEmptyExport: 'yes' })).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ field: 'allowEmptyExport' })] }),
    );
  });

  it('SYNC_MAX_REMOVE_PERCENT defaults to 100 and must be 0-100', () => {
    expect(parseConfig({}).SYNC_MAX_REMOVE_PERCENT).toBe(100);
    expect(parseConfig({ SYNC_MAX_REMOVE_PERCENT: '2.5' }).SYNC_MAX_REMOVE_PERCENT).toBe(2.5);
    for (const bad of ['101', 'ten']) {
      expect(() => parseConfig({ SYNC_MAX_REMOVE_PERCENT: bad })).toThrow(/SYNC_MAX_REMOVE_PERCENT/);
    }
  });
});
