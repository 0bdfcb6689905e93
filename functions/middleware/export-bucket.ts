// Where an export's objects live: the request's destination or the configured bucket and prefix.
import type { Config } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import { exportKeyPrefix } from '../../lib/export/manifest.ts';
import type { StateRequest } from '../../lib/export/task-input.ts';

export function exportBucketOf(config: Config, request: StateRequest): string {
  const bucket = request.destination?.bucket ?? config.EXPORT_BUCKET;
  if (!bucket) throw new ConfigError('Missing configuration: EXPORT_BUCKET (and the request names no bucket)');
  return bucket;
}

/** `{bucket, keyPrefix}` of one export (DESIGN.md's S3 layout). */
export function exportLocationOf(config: Config, request: StateRequest) {
  return {
    bucket: exportBucketOf(config, request),
    keyPrefix: exportKeyPrefix({ ...request, prefix: request.destination?.prefix ?? config.EXPORT_PREFIX }),
  };
}
