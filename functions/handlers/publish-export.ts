// publishExport factory (state machine Task "Write Manifest"): every file copied ⇒ manifest.json, written only
// while the execution is still RUNNING (lib/export/finish.ts); the export's metrics once it is written.
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import { publishManifest } from '../../lib/export/finish.ts';
import type { Manifest } from '../../lib/export/manifest.ts';
import { runningCheck } from '../../lib/export/running-check.ts';
import { parseTaskInput, publishExportInput } from '../../lib/export/task-input.ts';
import type { Logger } from '../../lib/log.ts';
import { type MetricsSink, recordExport } from '../../lib/metrics.ts';
import { createS3Client } from '../../lib/s3-client.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { exportLocationOf } from '../middleware/export-bucket.ts';
import { deadline } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';
import { functionMetrics } from '../middleware/metrics.ts';

export interface PublishExportDeps {
  config?: Config;
  s3?: S3Client;
  sfn?: SFNClient;
  logger?: Logger;
  /** Where ExportRows/Bytes/Files/Duration go; default EMF lines when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
}

export function createPublishExport(deps: PublishExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'publishExport');
  const s3 = deps.s3 ?? createS3Client({ endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });
  const metrics = deps.metrics ?? functionMetrics(config);

  const core = async (event: unknown, _context: Context, options?: { signal?: AbortSignal }): Promise<Manifest> => {
    const { request, jobId, files, executionArn } = parseTaskInput(publishExportInput, event, 'publishExport');
    const { exportId, projectUid, segmentationId, parameters, requestedAt } = request;
    const manifest = await publishManifest(
      {
        s3,
        logger: logger.child({ exportId }),
        isRunning: runningCheck(sfn, executionArn, options?.signal),
      },
      {
        ...exportLocationOf(config, request),
        exportId,
        projectUid,
        segmentationId,
        parameters,
        requestedAt,
        jobId,
        files,
      },
    );
    recordExport(metrics, manifest);
    return manifest;
  };

  return middy(core, deadline());
}
