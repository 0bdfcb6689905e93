// The two ends of an export: publish the manifest (only while the execution still runs), or remove everything
// the export wrote (open multipart uploads and objects under its key prefix).
import type { S3Client } from '@aws-sdk/client-s3';
import { ExportStopped } from '../errors.ts';
import type { Logger } from '../log.ts';
import {
  buildManifest,
  deleteObjects,
  type ExportFile,
  type ExportIdentity,
  type Manifest,
  manifestKey,
  writeManifest,
} from './manifest.ts';
import { abortUpload, openUploads, removeUnderPrefix } from './multipart.ts';
import { storageFailed } from './storage-errors.ts';

export interface PublishDeps {
  s3: S3Client;
  logger: Logger;
  /** DescribeExecution of this export's execution: true while RUNNING. */
  isRunning: () => Promise<boolean>;
  now?: () => Date;
}

export interface PublishInput extends ExportIdentity {
  bucket: string;
  keyPrefix: string;
  files: ExportFile[];
}

/**
 * Writes manifest.json once every file is copied, only while the execution is RUNNING; checked again after the
 * write, so a stop that raced it still leaves no manifest. Open uploads left by superseded attempts are aborted first.
 */
export async function publishManifest(deps: PublishDeps, input: PublishInput): Promise<Manifest> {
  const target = { s3: deps.s3, bucket: input.bucket };
  for await (const upload of openUploads(deps.s3, input.bucket, `${input.keyPrefix}/`)) {
    await abortUpload({ ...target, key: upload.Key! }, upload.UploadId!);
  }
  const manifest = buildManifest(input, input.files, (deps.now?.() ?? new Date()).toISOString());
  const stopped = () => new ExportStopped('The export is no longer running; its manifest was not published');
  if (!(await deps.isRunning())) throw stopped();
  const key = manifestKey(input.keyPrefix);
  await writeManifest(deps.s3, input.bucket, input.keyPrefix, manifest).catch((error: unknown) => {
    throw storageFailed(error, key);
  });
  if (!(await deps.isRunning())) {
    await deleteObjects(deps.s3, input.bucket, [key]);
    throw stopped();
  }
  deps.logger.info('export published', { key, files: manifest.files.length, rows: manifest.totalRows });
  return manifest;
}

/** Aborts open uploads and deletes every object under the export's prefix; idempotent. */
export async function cleanUpExport(
  deps: { s3: S3Client; logger: Logger },
  input: { bucket: string; keyPrefix: string },
) {
  const result = await removeUnderPrefix(deps.s3, input.bucket, input.keyPrefix);
  deps.logger.info('export cleaned up', { keyPrefix: input.keyPrefix, ...result });
  return result;
}
