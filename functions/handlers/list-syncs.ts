// listSyncs factory: GET /syncs ⇒ query checked ⇒ listSyncRuns (lib) ⇒ 200 {items, next}.
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig, requireSettings } from '../../lib/config.ts';
import type { Logger } from '../../lib/log.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { listSyncRuns, parseSyncHistoryQuery } from '../../lib/sync/history.ts';
import { deadline, type HttpEvent, type HttpResult, httpErrors, jsonResponse, queryOf } from '../middleware/http.ts';
import { asHandler } from '../middleware/lazy.ts';
import { functionLogger } from '../middleware/logger.ts';

export interface ListSyncsDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
}

export function createListSyncs(deps: ListSyncsDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'listSyncs');
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: HttpEvent, _context: Context, options?: { signal?: AbortSignal }) => {
    const query = parseSyncHistoryQuery(queryOf(event));
    const { SYNC_STATE_MACHINE_ARN: stateMachineArn } = requireSettings(config, ['SYNC_STATE_MACHINE_ARN']);
    const page = await listSyncRuns({ sfn, stateMachineArn, signal: options?.signal }, query);
    return jsonResponse(200, page);
  };

  return asHandler(middy<HttpEvent, HttpResult>(core, deadline()).use(httpErrors(logger)));
}
