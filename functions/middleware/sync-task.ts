// The shape every sync Task Lambda shares: validated payload ⇒ lib call, with the Lambda deadline as abort signal.
// What differs per task comes in as middlewares (the Tencent tasks add the token: functions/middleware/tencent-task.ts),
// so a task's bundle carries only what that task uses.
import type { S3Client } from '@aws-sdk/client-s3';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Config, getConfig } from '../../lib/config.ts';
import { parseTaskInput } from '../../lib/export/task-input.ts';
import type { Fetch } from '../../lib/http.ts';
import type { Logger } from '../../lib/log.ts';
import { createS3Client } from '../../lib/s3-client.ts';
import { deadline } from './http.ts';
import { asHandler, type Handler } from './lazy.ts';
import { functionLogger } from './logger.ts';

export interface SyncTaskDeps {
  config?: Config;
  s3?: S3Client;
  fetch?: Fetch;
  logger?: Logger;
  /** SSM client options for TENCENT_ACCESS_TOKEN_PARAMETER (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
}

export interface SyncTaskTools<C extends Context = Context> {
  config: Config;
  s3: S3Client;
  logger: Logger;
  signal?: AbortSignal;
  /** The Lambda context, with whatever the task's middlewares put on it. */
  context: C;
}

export interface SyncTaskSetup {
  config: Config;
  logger: Logger;
}

export function syncTask<S extends z.ZodType, R, C extends Context = Context>(
  name: string,
  schema: S,
  deps: SyncTaskDeps,
  work: (input: z.output<S>, tools: SyncTaskTools<C>) => Promise<R>,
  middlewares: (setup: SyncTaskSetup) => MiddlewareObj<unknown, R, Error, C>[] = () => [],
): Handler<unknown, R> {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, name);
  const s3 = deps.s3 ?? createS3Client({ endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: unknown, context: C, opts?: { signal?: AbortSignal }) => {
    const input = parseTaskInput(schema, event, name);
    return await work(input, { config, s3, logger, signal: opts?.signal, context });
  };
  const handler = middy<unknown, R, Error, C>(core, deadline());
  handler.use(middlewares({ config, logger }));
  return asHandler(handler);
}
