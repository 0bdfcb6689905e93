import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpload, uploadPart } from '../../lib/export/multipart.ts';
import { createS3Client } from '../../lib/s3-client.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../local/aws/s3.ts';

const BUCKET = 'multipart';
const MiB = 1024 * 1024;

let s3: LocalS3;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'local-s3-multipart-'));
  s3 = await startLocalS3({ directory, buckets: [BUCKET] });
});

afterAll(async () => {
  await s3?.close();
  await rm(directory, { recursive: true, force: true });
});

const uploadDirs = () => readdir(join(directory, BUCKET, '._S3rver_uploads')).catch(() => [] as string[]);

async function startUpload(key: string, bodies: Buffer[]) {
  const created = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  const uploadId = created.UploadId!;
  const etags: string[] = [];
  for (const [index, body] of bodies.entries()) {
    const part = await s3.client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: index + 1, Body: body }),
    );
    etags.push(part.ETag!);
  }
  return { uploadId, etags };
}

async function failureOf(promise: Promise<unknown>): Promise<{ name: string; status?: number }> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { name: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!error) throw new Error('expected the request to fail');
  return { name: error.name, status: error.$metadata?.httpStatusCode };
}

describe('embedded S3 multipart operations', () => {
  it('lists parts, lists uploads by prefix, aborts (removing the parts on disk) and still completes', async () => {
    const bodies = [randomBytes(5 * MiB), randomBytes(1234)];
    const key = 'exports/p/s/day/e1/part-00001.csv';
    const { uploadId, etags } = await startUpload(key, bodies);
    const other = await startUpload('elsewhere/x.csv', [randomBytes(10)]);

    const parts = await s3.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(parts.Parts?.map((part) => [part.PartNumber, part.Size, part.ETag])).toEqual([
      [1, 5 * MiB, etags[0]],
      [2, 1234, etags[1]],
    ]);
    expect(parts.IsTruncated).toBe(false);
    const firstPage = await s3.client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MaxParts: 1 }),
    );
    expect([firstPage.Parts?.map((part) => part.PartNumber), firstPage.IsTruncated]).toEqual([[1], true]);
    const nextPage = await s3.client.send(
      new ListPartsCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        PartNumberMarker: firstPage.NextPartNumberMarker,
      }),
    );
    expect(nextPage.Parts?.map((part) => part.PartNumber)).toEqual([2]);

    const listed = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'exports/p/' }));
    expect(listed.Uploads?.map((upload) => [upload.Key, upload.UploadId])).toEqual([[key, uploadId]]);
    expect(Date.now() - listed.Uploads![0]!.Initiated!.getTime()).toBeLessThan(60_000);
    const all = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(all.Uploads?.map((upload) => upload.UploadId).sort()).toEqual([uploadId, other.uploadId].sort());
    expect((await uploadDirs()).sort()).toEqual([uploadId, other.uploadId].sort());

    await s3.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(await uploadDirs()).toEqual([other.uploadId]);
    const after = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'exports/' }));
    expect(after.Uploads ?? []).toEqual([]);
    expect(
      await failureOf(s3.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }))),
    ).toEqual({ name: 'NoSuchUpload', status: 404 });
    // A part that arrives after the abort is refused and leaves nothing behind.
    const late = new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 3, Body: 'x' });
    expect(await failureOf(s3.client.send(late))).toEqual({ name: 'NoSuchUpload', status: 404 });
    expect(await uploadDirs()).toEqual([other.uploadId]);

    await s3.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'elsewhere/x.csv',
        UploadId: other.uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: other.etags[0] }] },
      }),
    );
    expect(await uploadDirs()).toEqual([]);
  });

  it('completes a two-part upload into the exact bytes', async () => {
    const bodies = [randomBytes(5 * MiB), randomBytes(777)];
    const { uploadId, etags } = await startUpload('done/a.bin', bodies);
    await s3.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'done/a.bin',
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ PartNumber: index + 1, ETag })) },
      }),
    );
    const object = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'done/a.bin' }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(Buffer.concat(bodies))).toBe(true);
    const listed = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'done/' }));
    expect(listed.Uploads ?? []).toEqual([]);
  });

  it('pages uploads with markers, names unknown uploads and buckets, and refuses bad arguments', async () => {
    const ids = [];
    for (const key of ['page/a', 'page/b', 'page/c']) ids.push((await startUpload(key, [])).uploadId);
    const first = await s3.client.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'page/', MaxUploads: 2 }),
    );
    expect([first.Uploads?.map((upload) => upload.Key), first.IsTruncated]).toEqual([['page/a', 'page/b'], true]);
    const second = await s3.client.send(
      new ListMultipartUploadsCommand({
        Bucket: BUCKET,
        Prefix: 'page/',
        KeyMarker: first.NextKeyMarker,
        UploadIdMarker: first.NextUploadIdMarker,
      }),
    );
    expect([second.Uploads?.map((upload) => upload.Key), second.IsTruncated]).toEqual([['page/c'], false]);
    // The upload id must belong to the key it is used with.
    const wrongKey = new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'page/b', UploadId: ids[0] });
    expect(await failureOf(s3.client.send(wrongKey))).toEqual({ name: 'NoSuchUpload', status: 404 });
    const badId = new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'page/a', UploadId: '../../etc' });
    expect(await failureOf(s3.client.send(badId))).toEqual({ name: 'NoSuchUpload', status: 404 });
    const noBucket = new ListMultipartUploadsCommand({ Bucket: 'no-such-bucket' });
    expect(await failureOf(s3.client.send(noBucket))).toEqual({ name: 'NoSuchBucket', status: 404 });
    const response = await fetch(`${s3.endpoint}/${BUCKET}/page/a?uploadId=${ids[0]}&max-parts=lots`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidArgument</Code>');
    for (const [index, id] of ids.entries()) {
      const key = `page/${'abc'[index]}`;
      await s3.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: id }));
    }
    expect(await uploadDirs()).toEqual([]);
  });

  it('does not list a part whose upload was cut off (bytes on disk, no md5), as S3 would not', async () => {
    const key = 'cut/part-00001.csv';
    const { uploadId, etags } = await startUpload(key, [randomBytes(5 * MiB)]);
    await writeFile(join(directory, BUCKET, '._S3rver_uploads', uploadId, '2'), randomBytes(1000));
    const parts = await s3.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    expect(parts.Parts?.map((part) => [part.PartNumber, part.ETag])).toEqual([[1, etags[0]]]);
  });

  it("uploads an export's parts signed without hashing their bytes, and S3 stores them exactly", async () => {
    const client = createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
    const sent: Array<Record<string, string>> = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return await next(args);
      },
      { step: 'deserialize', name: 'recordSignedHeaders' },
    );
    const target = { s3: client, bucket: BUCKET, key: 'unsigned/part-00001.csv' };
    const body = randomBytes(5 * MiB + 3);
    const uploadId = await createUpload(target);
    await uploadPart(target, uploadId, 1, body);
    const part = sent.find((headers) => headers['content-length'] === String(body.length))!;
    expect(part['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(part.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
    await s3.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: target.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: (await listEtag(target.key, uploadId))! }] },
      }),
    );
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: target.key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(body)).toBe(true);
    client.destroy();
  });
});

async function listEtag(key: string, uploadId: string): Promise<string | undefined> {
  const listed = await s3.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
  return listed.Parts?.[0]?.ETag;
}
