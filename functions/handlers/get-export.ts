// getExport factory: GET /exports/{exportId} ⇒ describeExport (lib) ⇒ 200 with status, manifest or error.
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig, requireSettings } from '../../lib/config.ts';
import { assertExportId } from '../../lib/export/execution.ts';
import { describeExport } from '../../lib/export/status.ts';
import type { Logger } from '../../lib/log.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { deadline, type HttpEvent, type HttpResult, httpErrors, jsonResponse } from '../middleware/http.ts';
import { asHandler } from '../middleware/lazy.ts';
import { functionLogger } from '../middleware/logger.ts';

export interface GetExportDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
}

export function createGetExport(deps: GetExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'getExport');
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: HttpEvent, _context: Context, options?: { signal?: AbortSignal }) => {
    const exportId = assertExportId(event.pathParameters?.exportId);
    const { STATE_MACHINE_ARN: stateMachineArn } = requireSettings(config, ['STATE_MACHINE_ARN']);
    return jsonResponse(200, await describeExport({ sfn, stateMachineArn, signal: options?.signal }, exportId));
  };

  return asHandler(middy<HttpEvent, HttpResult>(core, deadline()).use(httpErrors(logger)));
}
