// listExports factory: GET /exports ⇒ query checked ⇒ listExportRuns (lib) ⇒ 200 {items, next}.
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig, requireSettings } from '../../lib/config.ts';
import { listExportRuns, parseExportHistoryQuery } from '../../lib/export/history.ts';
import type { Logger } from '../../lib/log.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { deadline, type HttpEvent, type HttpResult, httpErrors, jsonResponse, queryOf } from '../middleware/http.ts';
import { asHandler } from '../middleware/lazy.ts';
import { functionLogger } from '../middleware/logger.ts';

export interface ListExportsDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
}

export function createListExports(deps: ListExportsDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'listExports');
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: HttpEvent, _context: Context, options?: { signal?: AbortSignal }) => {
    const query = parseExportHistoryQuery(queryOf(event));
    const { STATE_MACHINE_ARN: stateMachineArn } = requireSettings(config, ['STATE_MACHINE_ARN']);
    const page = await listExportRuns({ sfn, stateMachineArn, signal: options?.signal }, query);
    return jsonResponse(200, page);
  };

  return asHandler(middy<HttpEvent, HttpResult>(core, deadline()).use(httpErrors(logger)));
}
