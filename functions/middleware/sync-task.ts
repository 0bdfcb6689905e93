// The shape every sync Task Lambda shares: validated payload ⇒ lib call, with the Lambda deadline as abort signal;
// Tencent steps also get the access token (plain setting or SSM) on the context, redacted from the logs.
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { createS3Client } from '../../lib/aws.ts';
import { type Config, getConfig } from '../../lib/config.ts';
import { parseTaskInput } from '../../lib/export/task-input.ts';
import type { Fetch } from '../../lib/http.ts';
import type { Logger } from '../../lib/log.ts';
import { type AudienceClient, createAudienceClient } from '../../lib/tencent/audiences.ts';
import { deadline } from './http.ts';
import { asHandler, type Handler } from './lazy.ts';
import { functionLogger } from './logger.ts';
import { tokenToContext } from './secret.ts';

export interface SyncTaskDeps {
  config?: Config;
  s3?: S3Client;
  fetch?: Fetch;
  logger?: Logger;
  /** SSM client options for TENCENT_ACCESS_TOKEN_PARAMETER (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
}

export interface SyncTaskTools {
  config: Config;
  s3: S3Client;
  logger: Logger;
  signal?: AbortSignal;
  /** Only for tasks built with `tencent: true`. */
  tencent: () => AudienceClient;
}

type TokenContext = Context & { tencentAccessToken?: string };

export function syncTask<S extends z.ZodType, R>(
  name: string,
  schema: S,
  deps: SyncTaskDeps,
  options: { tencent?: boolean },
  work: (input: z.output<S>, tools: SyncTaskTools) => Promise<R>,
): Handler<unknown, R> {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, name);
  const s3 = deps.s3 ?? createS3Client({ endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });

  const core = async (event: unknown, context: TokenContext, opts?: { signal?: AbortSignal }) => {
    const input = parseTaskInput(schema, event, name);
    const tencent = () =>
      createAudienceClient({
        baseUrl: config.TENCENT_BASE_URL,
        accessToken: context.tencentAccessToken!,
        maxFileBytes: config.TENCENT_MAX_FILE_BYTES,
        timeoutMs: config.HTTP_TIMEOUT_MS,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(opts?.signal ? { signal: opts.signal } : {}),
      });
    return await work(input, { config, s3, logger, signal: opts?.signal, tencent });
  };
  const handler = middy<unknown, R, Error, TokenContext>(core, deadline());
  if (options.tencent) handler.use(tokenToContext<unknown, R>('tencentAccessToken', config, logger, deps));
  return asHandler(handler);
}
