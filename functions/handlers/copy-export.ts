// copyExport factory (state machine Task): the polled job's links ⇒ copyExportToS3 (lib) ⇒ the manifest.
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createS3Client } from '../../lib/aws.ts';
import { type Config, getConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import { type CopyDeps, copyExportToS3, type Manifest } from '../../lib/export/copy-to-s3.ts';
import { copyExportInput, parseTaskInput } from '../../lib/export/task-input.ts';
import type { Logger } from '../../lib/log.ts';
import { type MetricsSink, recordExport } from '../../lib/metrics.ts';
import { deadline } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';
import { functionMetrics } from '../middleware/metrics.ts';

export interface CopyExportDeps {
  config?: Config;
  s3?: S3Client;
  logger?: Logger;
  onProgress?: CopyDeps['onProgress'];
  /** Where ExportRows/Bytes/Files/Duration go; default EMF lines when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
}

export function createCopyExport(deps: CopyExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'copyExport');
  const s3 = deps.s3 ?? createS3Client({ endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });
  const metrics = deps.metrics ?? functionMetrics(config);

  const core = async (event: unknown, _context: Context, options?: { signal?: AbortSignal }): Promise<Manifest> => {
    const { request, job } = parseTaskInput(copyExportInput, event, 'copyExport');
    const bucket = request.destination?.bucket ?? config.EXPORT_BUCKET;
    if (!bucket) throw new ConfigError('Missing configuration: EXPORT_BUCKET (and the request names no bucket)');
    const { exportId, projectUid, segmentationId, parameters, requestedAt } = request;
    const manifest = await copyExportToS3(
      {
        s3,
        allowlist: config.GROWINGIO_DOWNLOAD_HOSTS,
        logger: logger.child({ exportId }),
        timeoutMs: config.HTTP_TIMEOUT_MS,
        onProgress: deps.onProgress,
        signal: options?.signal,
      },
      {
        exportId,
        projectUid,
        segmentationId,
        parameters,
        requestedAt,
        bucket,
        jobId: job.jobId,
        prefix: request.destination?.prefix ?? config.EXPORT_PREFIX,
        links: job.downloadLinks,
      },
    );
    recordExport(metrics, manifest);
    return manifest;
  };

  return middy(core, deadline());
}
