// startExport factory: any trigger ⇒ one export request ⇒ startExport (lib) ⇒ 202 for HTTP, the result otherwise.
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig, requireSettings } from '../../lib/config.ts';
import { parseExportRequest } from '../../lib/export/request.ts';
import { startExport } from '../../lib/export/start.ts';
import type { Logger } from '../../lib/log.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { answerRejection, requestFromEvent, startedAnswer, statusUrlFor } from '../middleware/export-trigger.ts';
import { deadline } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';

export interface StartExportDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
  now?: () => Date;
}

export function createStartExport(deps: StartExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'startExport');
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: unknown, _context: Context, options?: { signal?: AbortSignal }) => {
    const request = parseExportRequest(requestFromEvent(event));
    const { STATE_MACHINE_ARN: stateMachineArn } = requireSettings(config, ['STATE_MACHINE_ARN']);
    const settings = { copyConcurrency: config.COPY_CONCURRENCY };
    const lib = { sfn, stateMachineArn, logger, now: deps.now, signal: options?.signal, settings };
    const started = await startExport(lib, request, (id) => statusUrlFor(event, id, config.API_BASE_URL));
    return startedAnswer(event, started);
  };

  return middy(core, deadline()).use(answerRejection(logger, 'start export'));
}
