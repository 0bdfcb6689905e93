// Paging snapshots through GET /audience-files: the emulator over HTTP, the embedded S3 as the snapshot store.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListAudienceFiles } from '../../functions/handlers/list-audience-files.ts';
import { type Env, parseConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { createAudienceClient } from '../../lib/tencent/audiences.ts';
import { FILES_PATH } from '../../lib/tencent/client.ts';
import { newSnapshotId } from '../../lib/tencent/snapshots.ts';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';
import { httpGet } from '../helpers/http-event.ts';

const BIG = 10_003; // 10,000 files: a scan is 100 upstream pages of 100
const SMALL = 10_004; // 300 files, for the property test
const BUCKET = 'snapshots-test';
const ERRORS = JSON.stringify([{ field: 'process_status', operator: 'EQUALS', values: ['ERROR'] }]);

let emulator: TencentEmulator;
let s3: LocalS3;
let nowMs = Date.UTC(2026, 11, 6, 12, 0, 0);
const clock = { now: () => nowMs, sleep: async () => {} };

beforeAll(async () => {
  emulator = await startTencentEmulator({
    accounts: [
      { accountId: BIG, files: 10_000 },
      { accountId: SMALL, files: 300 },
    ],
    quotas: { perSecond: 1_000_000, perMinute: 1_000_000, perDay: 1_000_000 },
    now: () => nowMs,
  });
  s3 = await startLocalS3({ buckets: [BUCKET] });
});
afterAll(async () => {
  await emulator.close();
  await s3.close();
});

function handler(env: Env = {}) {
  const config = parseConfig({
    TENCENT_BASE_URL: emulator.url,
    TENCENT_ACCESS_TOKEN: emulator.accessToken,
    EXPORT_BUCKET: BUCKET,
    S3_ENDPOINT: s3.endpoint,
    ...env,
  });
  const logger = createLogger({ write: () => {} });
  return createListAudienceFiles({ config, logger, clock, s3: s3.client, timeoutEarlyInMillis: 0 });
}

const calls = () => emulator.stats().byPath[FILES_PATH] ?? 0;

async function list(query: Record<string, string>, listing = handler()) {
  const before = calls();
  const answer = await httpGet(listing, '/audience-files', query);
  return { ...answer, calls: calls() - before };
}

type Item = { custom_audience_file_id: number };

describe('paging snapshots', () => {
  it('10 pages of a filtered 10,000-file listing: 100 upstream calls for the first, 0 for pages 2..10', async () => {
    const first = await list({ account_id: String(BIG), filtering: ERRORS, page_size: '20' });
    expect(first.status).toBe(200);
    expect(first.calls).toBe(100);
    const snapshotId = first.body.page_info.snapshot_id;
    expect(snapshotId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const ids: number[] = first.body.list.map((item: Item) => item.custom_audience_file_id);
    for (let page = 2; page <= 10; page++) {
      // Another container (a new handler) answers from the same S3 object.
      const next = await list({
        account_id: String(BIG),
        snapshot_id: snapshotId,
        page: String(page),
        page_size: '20',
      });
      expect(next.status).toBe(200);
      expect(next.calls).toBe(0);
      expect(next.body.page_info).toMatchObject({
        page,
        page_size: 20,
        total_number: first.body.page_info.total_number,
      });
      expect(next.body.page_info.snapshot_id).toBe(snapshotId);
      for (const item of next.body.list as Item[]) expect(item).toMatchObject({ process_status: 'ERROR' });
      ids.push(...next.body.list.map((item: Item) => item.custom_audience_file_id));
    }
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
  });

  it('pages of one snapshot never overlap or skip, whatever the page size, even after files change', async () => {
    const first = await list({ account_id: String(SMALL), filtering: ERRORS, page_size: '100' });
    const { snapshot_id: snapshotId, total_number: total } = first.body.page_info;
    const all: number[] = [];
    for (let page = 1; page <= Math.ceil(total / 100); page++) {
      const answer = await list({
        account_id: String(SMALL),
        snapshot_id: snapshotId,
        page: String(page),
        page_size: '100',
      });
      all.push(...answer.body.list.map((item: Item) => item.custom_audience_file_id));
    }
    expect(all).toHaveLength(total);
    await addErrorFile(SMALL); // the live listing changes; the snapshot must not
    const rescan = await list({ account_id: String(SMALL), filtering: ERRORS });
    expect(rescan.body.page_info.total_number).not.toBe(total);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100 }), async (pageSize) => {
        const seen: number[] = [];
        const pages = Math.ceil(total / pageSize);
        for (let page = 1; page <= pages; page++) {
          const answer = await list({
            account_id: String(SMALL),
            snapshot_id: snapshotId,
            page: String(page),
            page_size: String(pageSize),
          });
          expect(answer.calls).toBe(0);
          expect(answer.body.page_info.total_number).toBe(total);
          seen.push(...answer.body.list.map((item: Item) => item.custom_audience_file_id));
        }
        expect(seen).toEqual(all);
      }),
      { numRuns: 15 },
    );
  });

  it('a field selection and extra filtering apply to the snapshot, still with no upstream call', async () => {
    const first = await list({ account_id: String(SMALL), filtering: ERRORS, page_size: '100' });
    const { snapshot_id: snapshotId } = first.body.page_info;
    const narrower = JSON.stringify([{ field: 'operation_type', operator: 'EQUALS', values: ['REDUCE'] }]);
    const answer = await list({
      account_id: String(SMALL),
      snapshot_id: snapshotId,
      filtering: narrower,
      fields: 'name,operation_type',
    });
    expect(answer.calls).toBe(0);
    const expected = first.body.list.filter((item: { operation_type: string }) => item.operation_type === 'REDUCE');
    expect(answer.body.page_info.total_number).toBe(expected.length);
    for (const item of answer.body.list) expect(Object.keys(item)).toEqual(['name', 'operation_type']);
  });
});

describe('snapshots that cannot answer', () => {
  it('410 for an unknown id, another account, or an expired snapshot; none calls upstream', async () => {
    const first = await list({ account_id: String(SMALL), filtering: ERRORS });
    const { snapshot_id: snapshotId } = first.body.page_info;
    const unknown = await list({ account_id: String(SMALL), snapshot_id: newSnapshotId() });
    const otherAccount = await list({ account_id: String(BIG), snapshot_id: snapshotId });
    nowMs += 301_000; // TENCENT_SNAPSHOT_SECONDS defaults to 300
    const expired = await list({ account_id: String(SMALL), snapshot_id: snapshotId });
    for (const answer of [unknown, otherAccount, expired]) {
      expect(answer.status).toBe(410);
      expect(answer.calls).toBe(0);
      expect(answer.body.error).toBe('SnapshotGone');
      expect(answer.body.message).toMatch(/unknown, expired \(snapshots live 300 s\).*list again without snapshot_id/);
    }
  });

  it('400 naming snapshot_id for a malformed one, before any upstream call', async () => {
    const answer = await list({ account_id: String(SMALL), snapshot_id: '../../exports/x' });
    expect(answer.status).toBe(400);
    expect(answer.calls).toBe(0);
    expect(answer.body.errors.map((error: { field: string }) => error.field)).toEqual(['snapshot_id']);
  });

  it('without EXPORT_BUCKET a scan has no snapshot_id and a snapshot_id request is a 400', async () => {
    const listing = handler({ EXPORT_BUCKET: '', S3_ENDPOINT: '' });
    const scan = await list({ account_id: String(SMALL), filtering: ERRORS }, listing);
    expect(scan.status).toBe(200);
    expect(scan.body.page_info.snapshot_id).toBeUndefined();
    const paged = await list({ account_id: String(SMALL), snapshot_id: newSnapshotId() }, listing);
    expect(paged.status).toBe(400);
    expect(paged.body.errors[0].field).toBe('snapshot_id');
  });
});

/** A new file that ends in ERROR, uploaded through the emulator's write API and polled until processed. */
async function addErrorFile(accountId: number) {
  emulator.setFaults({ processing: { outcome: 'ERROR', processCode: 1001, errorMessage: '文件格式错误' } });
  const client = createAudienceClient({ baseUrl: emulator.url, accessToken: emulator.accessToken, clock });
  const { audienceId } = await client.addAudience({ accountId, name: `snapshot-test-${Date.now()}` });
  const body = new TextEncoder().encode('13800000000\n');
  const { customAudienceFileId } = await client.uploadAudienceFile({
    accountId,
    audienceId,
    userIdType: 'HASH_MOBILE_PHONE',
    operationType: 'APPEND',
    fileName: 'ids.txt',
    contentType: 'text/plain',
    fileSize: body.length,
    file: () =>
      (async function* () {
        yield body;
      })(),
  });
  for (let poll = 0; poll < 5; poll++) await client.getAudienceFile(accountId, customAudienceFileId);
  emulator.clearFaults();
}
