// cleanUpExport factory: the state machine's "Clean Up" Task ({request, error}) and the EventBridge rule on
// ABORTED/TIMED_OUT executions (detail.input) both remove every upload and object under the export's prefix.
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import { BadRequest } from '../../lib/errors.ts';
import { cleanUpExport } from '../../lib/export/finish.ts';
import { cleanUpInput, parseTaskInput } from '../../lib/export/task-input.ts';
import type { Logger } from '../../lib/log.ts';
import { createS3Client } from '../../lib/s3-client.ts';
import { exportLocationOf } from '../middleware/export-bucket.ts';
import { deadline } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';

export interface CleanUpExportDeps {
  config?: Config;
  s3?: S3Client;
  logger?: Logger;
}

/** An EventBridge "Step Functions Execution Status Change" event carries the execution input as a string. */
function taskPayloadOf(event: unknown): unknown {
  const detail = (event as { 'detail-type'?: unknown; detail?: { input?: unknown; status?: unknown } } | null)?.detail;
  if ((event as { 'detail-type'?: unknown })?.['detail-type'] === undefined || !detail) return event;
  try {
    const input = JSON.parse(String(detail.input)) as { request?: unknown };
    return { request: input.request, error: { Error: `States.${String(detail.status)}` } };
  } catch {
    throw new BadRequest('cleanUpExport received an execution event without a JSON input', {
      errors: [{ field: 'detail.input', message: 'must be the execution input (JSON)' }],
    });
  }
}

export function createCleanUpExport(deps: CleanUpExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'cleanUpExport');
  const s3 = deps.s3 ?? createS3Client({ endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: unknown, _context: Context) => {
    const { request, error } = parseTaskInput(cleanUpInput, taskPayloadOf(event), 'cleanUpExport');
    const log = logger.child({ exportId: request.exportId });
    log.warn('removing what the export wrote', { reason: error?.Error });
    return await cleanUpExport({ s3, logger: log }, exportLocationOf(config, request));
  };

  return middy(core, deadline());
}
