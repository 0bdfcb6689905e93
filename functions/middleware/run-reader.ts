// The read-only run handlers (GET /exports/{id}, GET /exports, GET /syncs/{runId}, GET /syncs): parse the request,
// then one Step Functions read on the configured state machine, answered 200 as JSON.
import type { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig, requireSettings } from '../../lib/config.ts';
import type { Logger } from '../../lib/log.ts';
import { createSfnClient } from '../../lib/sfn-client.ts';
import { deadline, type HttpEvent, type HttpResult, httpErrors, jsonResponse } from './http.ts';
import { asHandler } from './lazy.ts';
import { functionLogger } from './logger.ts';

export interface RunReaderDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
}

export interface RunReads {
  sfn: SFNClient;
  stateMachineArn: string;
  signal?: AbortSignal;
}

/** `parse` runs first, so a bad request is answered 400 whatever the configuration; then `read` gets the machine. */
export function runReader<Input>(
  name: string,
  machine: 'STATE_MACHINE_ARN' | 'SYNC_STATE_MACHINE_ARN',
  deps: RunReaderDeps,
  parse: (event: HttpEvent) => Input,
  read: (reads: RunReads, input: Input) => Promise<unknown>,
) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, name);
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: HttpEvent, _context: Context, options?: { signal?: AbortSignal }) => {
    const input = parse(event);
    const stateMachineArn = requireSettings(config, [machine])[machine];
    return jsonResponse(200, await read({ sfn, stateMachineArn, signal: options?.signal }, input));
  };

  return asHandler(middy<HttpEvent, HttpResult>(core, deadline()).use(httpErrors(logger)));
}
