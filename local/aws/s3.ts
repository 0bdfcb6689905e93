// Embedded S3 (s3rver behind a small front that adds the multipart operations it lacks) on 127.0.0.1 for tests,
// `npm start` and benchmarks; no cloud account needed.
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../lib/s3-client.ts';
import { startS3Front } from './s3-front.ts';

export interface LocalS3 {
  /** e.g. http://127.0.0.1:PORT — give it to S3_ENDPOINT or createS3Client. */
  endpoint: string;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface LocalS3Options {
  /** Where objects live on disk; default a fresh temp dir, removed on close (npm start passes .local/s3). */
  directory?: string;
  buckets?: string[];
  port?: number;
}

// s3rver ships no type declarations; this is the slice of its API used here.
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverServer;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

/** s3rver accepts any signature; these static values only keep the SDK from searching for real credentials. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export async function startLocalS3(opts: LocalS3Options = {}): Promise<LocalS3> {
  // A temp directory we created is ours to remove on close; a given one (e.g. .local/s3) is kept.
  const ownDirectory = opts.directory === undefined;
  const directory = opts.directory ?? (await mkdtemp(join(tmpdir(), 'local-s3-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  const address = await server.run();
  const agent = new Agent({ keepAlive: true });
  // Clients talk to the front: AbortMultipartUpload, ListParts and ListMultipartUploads work there.
  const front = await startS3Front({ backendPort: address.port, directory, agent, port: opts.port });
  const endpoint = front.endpoint;
  const client = createS3Client({ endpoint, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
  let closed = false;
  return {
    endpoint,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name })).catch((error: { name?: string }) => {
        // Re-running `npm start` over the same .local directory finds the bucket already there.
        if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      client.destroy();
      await front.close();
      agent.destroy();
      await server.close();
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}
