// startSync factory: any trigger (POST /syncs, schedule, direct invoke) ⇒ one sync request ⇒ startSync (lib) ⇒ 202.
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig, requireSettings } from '../../lib/config.ts';
import type { Logger } from '../../lib/log.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { parseSyncRequest, type SyncRequest } from '../../lib/sync/request.ts';
import { startSync } from '../../lib/sync/start.ts';
import { answerRejection, requestFromEvent, startedAnswer, statusUrlFor } from '../middleware/export-trigger.ts';
import { deadline, isHttpEvent } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';

export interface StartSyncDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
  now?: () => Date;
}

/** A schedule's key is its event time plus the sync it runs, so two syncs of one segment never share a run. */
function scheduledKey(event: unknown, request: SyncRequest): SyncRequest {
  const key = request.idempotencyKey;
  const exportKey = `schedule:${request.projectUid}:${request.segmentationId}:`;
  if (isHttpEvent(event) || !key?.startsWith(exportKey)) return request;
  const time = key.slice(exportKey.length);
  return { ...request, idempotencyKey: `schedule:${request.syncId}:${time}`.slice(0, 128) };
}

export function createStartSync(deps: StartSyncDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'startSync');
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: unknown, _context: Context, options?: { signal?: AbortSignal }) => {
    const request = scheduledKey(event, parseSyncRequest(requestFromEvent(event)));
    const settings = requireSettings(config, ['SYNC_STATE_MACHINE_ARN', 'EXPORT_BUCKET']);
    const lib = {
      sfn,
      stateMachineArn: settings.SYNC_STATE_MACHINE_ARN,
      storage: { bucket: settings.EXPORT_BUCKET, prefix: config.SYNC_PREFIX },
      logger,
      now: deps.now,
      signal: options?.signal,
    };
    const started = await startSync(lib, request, (id) => statusUrlFor(event, id, config.API_BASE_URL, 'syncs'));
    return startedAnswer(event, started);
  };

  return middy(core, deadline()).use(answerRejection(logger, 'start sync'));
}
