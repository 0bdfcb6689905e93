// Paging snapshot ids: 22 base64url characters that a command line never reads as an option.
import { describe, expect, it } from 'vitest';
import { newSnapshotId, SNAPSHOT_ID } from '../../lib/tencent/snapshots.ts';

describe('newSnapshotId', () => {
  it('draws again when the id would start with "-" (read as an option after --snapshot-id)', () => {
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)]; // 0xf8… encodes as "-…"
    expect(draws[0]!.toString('base64url').startsWith('-')).toBe(true);
    const id = newSnapshotId(() => draws.shift()!);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
    expect(draws).toEqual([]);
  });

  it('gives SNAPSHOT_ID-shaped ids that never start with "-"', () => {
    const ids = Array.from({ length: 2_000 }, () => newSnapshotId());
    expect(ids.every((id) => SNAPSHOT_ID.test(id) && !id.startsWith('-'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
