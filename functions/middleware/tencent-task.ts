// A sync Task that calls Tencent: the access token (plain setting or SSM, redacted from the logs) is read onto the
// context before the core runs, and the core gets an audience client bound to it and to the Lambda deadline.
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type AudienceClient, createAudienceClient } from '../../lib/tencent/audiences.ts';
import type { Handler } from './lazy.ts';
import { tokenToContext } from './secret.ts';
import { type SyncTaskDeps, type SyncTaskTools, syncTask } from './sync-task.ts';

type TokenContext = Context & { tencentAccessToken?: string };

export interface TencentTaskTools extends SyncTaskTools<TokenContext> {
  tencent: () => AudienceClient;
}

export function tencentTask<S extends z.ZodType, R>(
  name: string,
  schema: S,
  deps: SyncTaskDeps,
  work: (input: z.output<S>, tools: TencentTaskTools) => Promise<R>,
): Handler<unknown, R> {
  const withClient = (input: z.output<S>, tools: SyncTaskTools<TokenContext>) => {
    const { config, signal, context } = tools;
    const tencent = () =>
      createAudienceClient({
        baseUrl: config.TENCENT_BASE_URL,
        accessToken: context.tencentAccessToken!,
        maxFileBytes: config.TENCENT_MAX_FILE_BYTES,
        timeoutMs: config.HTTP_TIMEOUT_MS,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(signal ? { signal } : {}),
      });
    return work(input, { ...tools, tencent });
  };
  return syncTask(name, schema, deps, withClient, ({ config, logger }) =>
    tokenToContext<unknown, R>('tencentAccessToken', config, logger, deps),
  );
}
