// The S3 layout of one export: key prefix, part keys, the manifest (written last) and cleanup on failure.
import { DeleteObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BadRequest } from '../errors.ts';

export interface ExportFile {
  key: string;
  bytes: number;
  sha256: string;
  rows: number;
}

export interface Manifest {
  exportId: string;
  projectUid: string;
  segmentationId: string;
  jobId: string;
  parameters: string[];
  files: ExportFile[];
  totalRows: number;
  totalBytes: number;
  requestedAt: string;
  completedAt: string;
}

export interface ExportIdentity {
  exportId: string;
  projectUid: string;
  segmentationId: string;
  jobId: string;
  parameters: string[];
  requestedAt: string;
}

export interface KeyPrefixInput {
  prefix: string;
  projectUid: string;
  segmentationId: string;
  exportId: string;
  requestedAt: string;
}

/** `{prefix}/{projectUid}/{segmentationId}/{YYYY-MM-DD}/{exportId}`; the date is the UTC day of the request. */
export function exportKeyPrefix(input: KeyPrefixInput): string {
  const requested = new Date(input.requestedAt);
  if (Number.isNaN(requested.getTime())) {
    throw new BadRequest('requestedAt must be an ISO 8601 timestamp', {
      errors: [{ field: 'requestedAt', message: 'must be an ISO 8601 timestamp' }],
    });
  }
  const day = requested.toISOString().slice(0, 10);
  const segments = [
    input.prefix.replace(/^\/+|\/+$/g, ''),
    input.projectUid,
    input.segmentationId,
    day,
    input.exportId,
  ];
  return segments.filter((segment) => segment !== '').join('/');
}

/** `part-00001.csv` for index 0: zero-padded so keys sort in file order. */
export function partKey(keyPrefix: string, index: number): string {
  return `${keyPrefix}/part-${String(index + 1).padStart(5, '0')}.csv`;
}

export function manifestKey(keyPrefix: string): string {
  return `${keyPrefix}/manifest.json`;
}

export function buildManifest(identity: ExportIdentity, files: ExportFile[], completedAt: string): Manifest {
  return {
    exportId: identity.exportId,
    projectUid: identity.projectUid,
    segmentationId: identity.segmentationId,
    jobId: identity.jobId,
    parameters: [...identity.parameters],
    files,
    totalRows: files.reduce((sum, file) => sum + file.rows, 0),
    totalBytes: files.reduce((sum, file) => sum + file.bytes, 0),
    requestedAt: identity.requestedAt,
    completedAt,
  };
}

export async function writeManifest(s3: S3Client, bucket: string, keyPrefix: string, manifest: Manifest) {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: manifestKey(keyPrefix),
      Body: `${JSON.stringify(manifest, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
}

/** Deletes the given keys (missing ones are fine); resolves with the keys S3 could not delete. */
export async function deleteObjects(s3: S3Client, bucket: string, keys: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  // DeleteObjects takes at most 1000 keys per call.
  for (let from = 0; from < keys.length; from += 1000) {
    const batch = keys.slice(from, from + 1000);
    const result = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    for (const error of result.Errors ?? []) failed.push(error.Key ?? '?');
  }
  return failed;
}
