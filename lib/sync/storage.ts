// The S3 side of a sync: read export files and snapshots as streams, store files, commit and clean up a run.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describeError } from '../errors.ts';
import { deleteObjects } from '../export/manifest.ts';
import { SyncStorageFailed } from './errors.ts';

export interface S3Deps {
  s3: S3Client;
  signal?: AbortSignal;
}

/** Wraps an S3 failure (after the SDK's own retries) as a named error: which operation, which key, never data. */
export async function s3Call<T>(what: string, key: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const { name } = describeError(error);
    throw new SyncStorageFailed(`S3 ${what} of ${key} failed: ${name}`, { cause: error });
  }
}

/** An object's bytes, streamed; opened only when iterated. */
export function objectStream(deps: S3Deps, bucket: string, key: string): () => AsyncIterable<Uint8Array> {
  return () => ({
    async *[Symbol.asyncIterator]() {
      const out = await s3Call('GetObject', key, () =>
        deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deps.signal }),
      );
      yield* out.Body as AsyncIterable<Uint8Array>;
    },
  });
}

/** S3's answer for a key without an object: NoSuchKey (GetObject, a conditional PutObject), NotFound (HeadObject). */
export function isMissingObject(error: unknown): boolean {
  const { name } = describeError(error);
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** Whether an object exists (the snapshot does not before the first successful run). */
export async function objectExists(deps: S3Deps, bucket: string, key: string): Promise<boolean> {
  try {
    await deps.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deps.signal });
    return true;
  } catch (error) {
    if (isMissingObject(error)) return false;
    throw new SyncStorageFailed(`S3 GetObject of ${key} failed: ${describeError(error).name}`, { cause: error });
  }
}

/** Stores a local file with its exact length (no chunked encoding, so any S3-compatible server takes it). */
export async function putFile(deps: S3Deps, bucket: string, key: string, path: string, contentType: string) {
  const { size } = await stat(path);
  await s3Call('PutObject', key, () =>
    deps.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: createReadStream(path),
        ContentLength: size,
        ContentType: contentType,
      }),
      { abortSignal: deps.signal },
    ),
  );
  return size;
}

export async function putJson(deps: S3Deps, bucket: string, key: string, body: unknown) {
  await s3Call('PutObject', key, () =>
    deps.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(body, null, 2),
        ContentType: 'application/json',
      }),
      { abortSignal: deps.signal },
    ),
  );
}

/** Replaces `to` with `from` and removes `from`: the snapshot commit. */
export async function moveObject(deps: S3Deps, bucket: string, from: string, to: string) {
  const source = `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
  await s3Call('CopyObject', to, () =>
    deps.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: source }), {
      abortSignal: deps.signal,
    }),
  );
  await deleteObject(deps, bucket, from);
}

export async function deleteObject(deps: S3Deps, bucket: string, key: string) {
  await s3Call('DeleteObject', key, () =>
    deps.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deps.signal }),
  );
}

/** Deletes every object under `prefix`; returns how many. A key S3 reports it could not delete is an error. */
export async function deletePrefix(deps: S3Deps, bucket: string, prefix: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3Call('ListObjectsV2', prefix, () =>
      deps.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), {
        abortSignal: deps.signal,
      }),
    );
    const keys = (page.Contents ?? []).map((item) => item.Key!);
    // DeleteObjects answers 200 with per-key Errors: a key it could not delete fails the cleanup, never silently.
    const failed = await s3Call('DeleteObjects', prefix, () => deleteObjects(deps.s3, bucket, keys));
    if (failed.length > 0) {
      throw new SyncStorageFailed(`S3 DeleteObjects under ${prefix} left ${failed.length} of ${keys.length} objects`);
    }
    deleted += keys.length;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}
