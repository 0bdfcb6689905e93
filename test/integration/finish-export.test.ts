// The ends of an export against the embedded S3: the manifest only while RUNNING (also when a stop races the
// write), the cleanup from the Clean Up state or the EventBridge rule, and bad task payloads named by field.
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCleanUpExport } from '../../functions/handlers/clean-up-export.ts';
import { createCopyExport } from '../../functions/handlers/copy-export.ts';
import { parseConfig } from '../../lib/config.ts';
import { BadRequest, ExportStopped } from '../../lib/errors.ts';
import { publishManifest } from '../../lib/export/finish.ts';
import { exportKeyPrefix } from '../../lib/export/manifest.ts';
import { silentLogger } from '../../lib/log.ts';
import { type LocalS3, startLocalS3 } from '../../local/aws/s3.ts';
import { context, listKeys } from '../helpers/export-runtime.ts';

const BUCKET = 'finish-bucket';
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3({ buckets: [BUCKET] });
});
afterAll(async () => {
  await s3.close();
});

let counter = 0;
function anExport() {
  counter++;
  const request = {
    projectUid: 'p',
    segmentationId: 's',
    expireMinutes: 60,
    parameters: [],
    exportId: `x${counter}`,
    requestedAt: '2026-12-01T10:00:00.000Z',
  };
  const keyPrefix = exportKeyPrefix({ ...request, prefix: 'exports' });
  return { request, keyPrefix };
}

const file = (keyPrefix: string) => ({ key: `${keyPrefix}/part-00001.csv`, bytes: 3, sha256: 'a'.repeat(64), rows: 1 });
const config = () => parseConfig({ EXPORT_BUCKET: BUCKET, S3_ENDPOINT: s3.endpoint });

async function writePart(keyPrefix: string) {
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${keyPrefix}/part-00001.csv`, Body: 'a\nb\n' }));
  await s3.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${keyPrefix}/part-00002.csv` }));
}

async function uploadsUnder(keyPrefix: string) {
  const out = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: keyPrefix }));
  return (out.Uploads ?? []).map((upload) => upload.Key);
}

const keysUnder = async (keyPrefix: string) =>
  (await listKeys(s3.client, BUCKET)).filter((key) => key.startsWith(`${keyPrefix}/`));

function publish(keyPrefix: string, request: ReturnType<typeof anExport>['request'], running: boolean[]) {
  const answers = [...running];
  return publishManifest(
    { s3: s3.client, logger: silentLogger, isRunning: async () => answers.shift() ?? false },
    { ...request, bucket: BUCKET, keyPrefix, jobId: 'j1', files: [file(keyPrefix)] },
  );
}

describe('publishing the manifest', () => {
  it('writes it while the execution runs, after aborting superseded uploads', async () => {
    const { request, keyPrefix } = anExport();
    await writePart(keyPrefix);
    const manifest = await publish(keyPrefix, request, [true, true]);
    expect(manifest.totalRows).toBe(1);
    expect(await keysUnder(keyPrefix)).toEqual([`${keyPrefix}/manifest.json`, `${keyPrefix}/part-00001.csv`]);
    expect(await uploadsUnder(keyPrefix)).toEqual([]);
  });

  it('never writes it for a stopped execution', async () => {
    const { request, keyPrefix } = anExport();
    await expect(publish(keyPrefix, request, [false])).rejects.toBeInstanceOf(ExportStopped);
    expect(await keysUnder(keyPrefix)).toEqual([]);
  });

  it('deletes it again when the execution stopped while it was being written', async () => {
    const { request, keyPrefix } = anExport();
    await expect(publish(keyPrefix, request, [true, false])).rejects.toBeInstanceOf(ExportStopped);
    expect(await keysUnder(keyPrefix)).toEqual([]);
  });
});

describe('cleaning up', () => {
  it('removes objects and open uploads from the Clean Up state and from an EventBridge status event', async () => {
    const handler = createCleanUpExport({ config: config(), s3: s3.client, logger: silentLogger });
    const first = anExport();
    await writePart(first.keyPrefix);
    const other = anExport();
    await writePart(other.keyPrefix);
    await handler({ request: first.request, error: { Error: 'DownloadFailed', Cause: 'x' } }, context());
    expect(await keysUnder(first.keyPrefix)).toEqual([]);
    expect(await uploadsUnder(first.keyPrefix)).toEqual([]);
    expect(await keysUnder(other.keyPrefix)).toHaveLength(1);
    const event = {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { status: 'ABORTED', input: JSON.stringify({ request: other.request, poll: {} }) },
    };
    await handler(event, context());
    expect(await keysUnder(other.keyPrefix)).toEqual([]);
    expect(await uploadsUnder(other.keyPrefix)).toEqual([]);
  });

  it('names the bad field of an execution event or a task payload', async () => {
    const handler = createCleanUpExport({ config: config(), s3: s3.client, logger: silentLogger });
    const event = {
      'detail-type': 'Step Functions Execution Status Change',
      detail: { status: 'ABORTED', input: '{' },
    };
    await expect(handler(event, context())).rejects.toMatchObject({
      name: 'BadRequest',
      errors: [{ field: 'detail.input' }],
    });
    await expect(handler({ request: { projectUid: 'p' } }, context())).rejects.toBeInstanceOf(BadRequest);
  });
});

describe('copy slice payloads', () => {
  it('refuses a malformed checkpoint by field before fetching anything', async () => {
    const handler = createCopyExport({ config: config(), s3: s3.client, logger: silentLogger });
    const { request } = anExport();
    const event = {
      request,
      link: 'https://a.growingio.com/x.csv',
      index: 0,
      fileCount: 1,
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:x',
      copy: {
        done: false,
        checkpoint: { key: 'k', nextPartNumber: 0, offset: -1, source: {}, slices: 1, restarts: 0 },
      },
    };
    const error = await handler(event, context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequest);
    const fields = (error as BadRequest).errors.map((entry) => entry.field);
    expect(fields).toEqual(expect.arrayContaining(['copy.checkpoint.nextPartNumber', 'copy.checkpoint.offset']));
  });
});
