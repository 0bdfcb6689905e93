// copyExport factory (state machine Task "Copy File"): one slice of one file (lib/export/copy-slice.ts), ending
// before the Lambda deadline with a checkpoint the state machine hands back until the file is done.
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import { type CopySliceDeps, type CopySliceResult, copySlice } from '../../lib/export/copy-slice.ts';
import { partKey } from '../../lib/export/manifest.ts';
import { runningCheck } from '../../lib/export/running-check.ts';
import { copyFileInput, parseTaskInput } from '../../lib/export/task-input.ts';
import type { Logger } from '../../lib/log.ts';
import { createS3Client } from '../../lib/s3-client.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { exportLocationOf } from '../middleware/export-bucket.ts';
import { deadline } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';

export interface CopyExportDeps {
  config?: Config;
  s3?: S3Client;
  sfn?: SFNClient;
  logger?: Logger;
  onProgress?: CopySliceDeps['onProgress'];
  /** Stops every slice early (the local runtime on Ctrl-C); combined with middy's deadline signal. */
  signal?: AbortSignal;
}

const PART_SIZE = 8 * 1024 * 1024;

/** Time kept back from the Lambda deadline to finish the parts in flight and answer: 10%, 1 s to 60 s. */
export function sliceMarginMs(remainingMs: number): number {
  return Math.min(60_000, Math.max(1_000, remainingMs / 10));
}

export function createCopyExport(deps: CopyExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'copyExport');
  const s3 = deps.s3 ?? createS3Client({ endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: unknown, context: Context, options?: { signal?: AbortSignal }) => {
    const input = parseTaskInput(copyFileInput, event, 'copyExport');
    const { request, index } = input;
    const remaining = context.getRemainingTimeInMillis();
    const signals = [options?.signal, deps.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    const { bucket, keyPrefix } = exportLocationOf(config, request);
    const result: CopySliceResult = await copySlice(
      {
        s3,
        allowlist: config.GROWINGIO_DOWNLOAD_HOSTS,
        logger: logger.child({ exportId: request.exportId, file: index + 1 }),
        timeoutMs: config.HTTP_TIMEOUT_MS,
        sliceBytes: config.COPY_SLICE_BYTES,
        // A slice holds whole parts: never parts above the slice size.
        partSizeBytes: Math.min(PART_SIZE, config.COPY_SLICE_BYTES ?? PART_SIZE),
        deadlineAt: Date.now() + remaining - sliceMarginMs(remaining),
        signal,
        isRunning: runningCheck(sfn, input.executionArn, signal),
        onProgress: deps.onProgress,
      },
      {
        bucket,
        key: partKey(keyPrefix, index),
        link: input.link,
        index,
        fileCount: input.fileCount,
        checkpoint: input.copy.checkpoint,
      },
    );
    return result;
  };

  return middy(core, deadline());
}
