// checkProcessing: which files are polled, when the run is done, fails or times out (a scripted Tencent stands in).
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.ts';
import { parseSyncRequest } from '../../lib/sync/request.ts';
import { buildSyncInput } from '../../lib/sync/run.ts';
import type { UploadedFile } from '../../lib/sync/task-input.ts';
import { checkProcessing } from '../../lib/sync/tencent.ts';
import type { AudienceClient } from '../../lib/tencent/audiences.ts';
import type { AudienceFile } from '../../lib/tencent/types.ts';

const sync = buildSyncInput(
  parseSyncRequest({
    projectUid: 'p',
    segmentationId: 's',
    tencent: { accountId: 1, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
  }),
  'run-1',
  new Date(),
  { bucket: 'b', prefix: 'syncs' },
).sync as never;

const file = (id: number, operationType: 'APPEND' | 'REDUCE' = 'APPEND'): UploadedFile => ({
  operationType,
  index: 0,
  key: `k${id}`,
  lines: 10,
  bytes: 100,
  customAudienceFileId: id,
});

/** Tencent answering a scripted status per file id; records which ids were polled. */
function tencent(statuses: Record<number, AudienceFile['process_status']>, extra: Partial<AudienceFile> = {}) {
  const polled: number[] = [];
  const client = {
    getAudienceFile: async (_account: number, id: number) => {
      polled.push(id);
      if (!(id in statuses)) return undefined;
      return {
        custom_audience_file_id: id,
        process_status: statuses[id],
        process_code: 0,
        valid_line_count: 10,
        user_count: 9,
        error_message: '',
        ...extra,
      } as AudienceFile;
    },
  } as unknown as AudienceClient;
  return { client, polled };
}

const policy = { initialSeconds: 2, maxSeconds: 10, maxAttempts: 3 };
const deps = (client: AudienceClient) => ({ client, logger: silentLogger });

describe('checkProcessing', () => {
  it('waits with backoff while a file is pending and does not poll files already final', async () => {
    const { client, polled } = tencent({ 1: 'SUCCESS', 2: 'PROCESSING' });
    const previous = { pollCount: 1, files: [{ ...file(1), processStatus: 'SUCCESS' }] };
    const state = await checkProcessing(deps(client), sync, [file(1), file(2, 'REDUCE')], previous, policy);
    expect(polled).toEqual([2]);
    expect(state).toMatchObject({ status: 'pending', pollCount: 2, nextPollSeconds: 3 });
    expect(state.files.map((f) => f.processStatus)).toEqual(['SUCCESS', 'PROCESSING']);
  });

  it('is done when every file is SUCCESS, with Tencent counts in the files', async () => {
    const { client } = tencent({ 1: 'SUCCESS' });
    const state = await checkProcessing(deps(client), sync, [file(1)], { pollCount: 0, files: [] }, policy);
    expect(state).toMatchObject({
      status: 'done',
      files: [{ processStatus: 'SUCCESS', validLineCount: 10, userCount: 9 }],
    });
  });

  it('treats a file Tencent does not list yet as pending', async () => {
    const { client } = tencent({});
    const state = await checkProcessing(deps(client), sync, [file(7)], { pollCount: 0, files: [] }, policy);
    expect(state.files[0]!.processStatus).toBe('PENDING');
  });

  it('fails on ERROR naming the file and the code', async () => {
    const { client } = tencent({ 1: 'SUCCESS', 2: 'ERROR' }, { process_code: 42, error_message: 'bad 13800138000' });
    await expect(
      checkProcessing(deps(client), sync, [file(1), file(2, 'REDUCE')], { pollCount: 0, files: [] }, policy),
    ).rejects.toMatchObject({
      name: 'AudienceProcessingFailed',
      message: expect.stringMatching(/REDUCE file 1 \(custom_audience_file_id 2\).*process_code 42: bad \[id\]/),
    });
  });

  it('times out after the last poll; a bare number (v1.3) is never read as SUCCESS', async () => {
    const { client } = tencent({ 1: 3 });
    const state = await checkProcessing(deps(client), sync, [file(1)], { pollCount: 1, files: [] }, policy);
    expect(state).toMatchObject({ status: 'pending', files: [{ processStatus: '3' }] });
    await expect(
      checkProcessing(deps(client), sync, [file(1)], { pollCount: 2, files: [] }, policy),
    ).rejects.toMatchObject({ name: 'AudienceProcessingTimedOut', message: expect.stringMatching(/after 3 polls/) });
  });
});
