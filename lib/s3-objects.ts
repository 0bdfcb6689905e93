// An ObjectStore (whole small objects by key) on one S3 bucket: what the paging snapshots use; and how a conditional
// write that lost reads, for the writers that use them (the shared GrowingIO budget, a sync's lock).
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface S3ObjectStore {
  put(key: string, body: string): Promise<void>;
  get(key: string): Promise<string | undefined>;
}

export function s3ObjectStore(s3: S3Client, bucket: string): S3ObjectStore {
  return {
    async put(key, body) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json; charset=utf-8' }),
      );
    },
    async get(key) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return await out.Body?.transformToString('utf8');
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
  };
}

/**
 * Whether a conditional PutObject (`If-None-Match: *` or `If-Match`) lost rather than failed: 412, its condition does
 * not hold; 409 ConditionalRequestConflict, a concurrent conditional write to the key is winning.
 */
export function conditionalWriteLost(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 412 || status === 409;
}
