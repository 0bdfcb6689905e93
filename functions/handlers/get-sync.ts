// getSync factory: GET /syncs/{runId} ⇒ describeSync (lib) ⇒ 200 with status and the report, or which step failed.
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig, requireSettings } from '../../lib/config.ts';
import type { Logger } from '../../lib/log.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { assertRunId } from '../../lib/sync/run.ts';
import { describeSync } from '../../lib/sync/start.ts';
import { deadline, type HttpEvent, type HttpResult, httpErrors, jsonResponse } from '../middleware/http.ts';
import { asHandler } from '../middleware/lazy.ts';
import { functionLogger } from '../middleware/logger.ts';

export interface GetSyncDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
}

export function createGetSync(deps: GetSyncDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'getSync');
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: HttpEvent, _context: Context, options?: { signal?: AbortSignal }) => {
    const runId = assertRunId(event.pathParameters?.runId);
    const { SYNC_STATE_MACHINE_ARN: stateMachineArn } = requireSettings(config, ['SYNC_STATE_MACHINE_ARN']);
    return jsonResponse(200, await describeSync({ sfn, stateMachineArn, signal: options?.signal }, runId));
  };

  return asHandler(middy<HttpEvent, HttpResult>(core, deadline()).use(httpErrors(logger)));
}
