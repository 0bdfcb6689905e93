// Budget slots as empty S3 objects created with If-None-Match: * (S3 conditional writes): exactly one creator wins.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { conditionalWriteLost } from '../s3-objects.ts';
import type { SlotStore } from './shared-budget.ts';

const EMPTY = new Uint8Array(0);

export function s3SlotStore(s3: S3Client, bucket: string, prefix: string): SlotStore {
  const base = prefix.replace(/\/+$/, '');
  return {
    async claim(key, signal) {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `${base}/${key}`,
            Body: EMPTY,
            ContentLength: 0,
            IfNoneMatch: '*',
          }),
          {
            abortSignal: signal,
          },
        );
        return true;
      } catch (error) {
        // The slot exists, or a concurrent creator is winning it.
        if (conditionalWriteLost(error)) return false;
        throw error;
      }
    },
  };
}
