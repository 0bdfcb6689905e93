// GET /audience-files: validates the query, lists Tencent audience files with filtering, answers like Tencent.

import type { SSMClientConfig } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../lib/config.ts';
import { ConfigError } from '../lib/errors.ts';
import type { Clock, Fetch } from '../lib/http.ts';
import type { Logger } from '../lib/log.ts';
import { createTencentClient } from '../lib/tencent/client.ts';
import { listAudienceFiles } from '../lib/tencent/listing.ts';
import { parseListingQuery } from '../lib/tencent/query.ts';
import { type HttpEvent, type HttpResult, httpErrors, jsonResponse, queryOf } from './middleware/http.ts';
import { functionLogger } from './middleware/logger.ts';
import { ssmSecret } from './middleware/secret.ts';

export interface ListAudienceFilesDeps {
  config?: Config;
  fetch?: Fetch;
  logger?: Logger;
  /** Overrides where the token comes from (tests, the local server); otherwise env, then SSM. */
  accessToken?: () => Promise<string>;
  clock?: Clock;
  /** middy's early-timeout margin; 0 in tests, where there is no Lambda deadline. */
  timeoutEarlyInMillis?: number;
  /** SSM client settings (region, a local endpoint in tests); the SDK defaults otherwise. */
  ssmClientOptions?: SSMClientConfig;
}

/** Key under which @middy/ssm puts the decrypted token on the Lambda context. */
const TOKEN_KEY = 'tencentAccessToken';

export function createListAudienceFilesHandler(deps: ListAudienceFilesDeps = {}) {
  const { config, configError } = loadConfig(deps);
  const logger = deps.logger ?? functionLogger(config, 'listAudienceFiles');

  const core = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    if (!config) throw configError;
    // Validate before touching secrets or Tencent: a bad query is the caller's problem, answered 400.
    const query = parseListingQuery(queryOf(event));
    const accessToken = await resolveToken(deps, config, context);
    logger.addSecret(accessToken);
    const client = createTencentClient({
      baseUrl: config.TENCENT_BASE_URL,
      accessToken,
      logger,
      timeoutMs: config.HTTP_TIMEOUT_MS,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    const limits = { maxScanPages: config.TENCENT_MAX_SCAN_PAGES, concurrency: config.TENCENT_SCAN_CONCURRENCY };
    const { listing, stats } = await listAudienceFiles(client, query, limits);
    logger.info('audience files listed', {
      accountId: query.accountId,
      conditions: query.filtering.length,
      returned: listing.list.length,
      totalNumber: listing.page_info.total_number,
      ...stats,
    });
    return jsonResponse(200, listing);
  };

  const handler = middy<HttpEvent, HttpResult>(core, { timeoutEarlyInMillis: deps.timeoutEarlyInMillis ?? 5 });
  const tokenFromSsm = tokenMiddleware(deps, config);
  if (tokenFromSsm) handler.use(tokenFromSsm);
  return handler.use(httpErrors(logger));
}

/** @middy/ssm, only when the token must come from SSM: decrypted, cached per container, on the context. */
function tokenMiddleware(deps: ListAudienceFilesDeps, config: Config | undefined) {
  const parameter = config?.TENCENT_ACCESS_TOKEN_PARAMETER;
  if (deps.accessToken || config?.TENCENT_ACCESS_TOKEN || !parameter) return undefined;
  return ssmSecret(TOKEN_KEY, parameter, { ssmClientOptions: deps.ssmClientOptions as Record<string, unknown> });
}

/** The Lambda entry (serverless.yml: functions/list-audience-files.handler). */
export const handler = createListAudienceFilesHandler();

/** Config errors surface per request as a clean 500 instead of crashing the module at import. */
function loadConfig(deps: ListAudienceFilesDeps): { config?: Config; configError?: unknown } {
  try {
    return { config: deps.config ?? getConfig() };
  } catch (error) {
    return { configError: error };
  }
}

async function resolveToken(deps: ListAudienceFilesDeps, config: Config, context: Context): Promise<string> {
  if (deps.accessToken) return deps.accessToken();
  if (config.TENCENT_ACCESS_TOKEN) return config.TENCENT_ACCESS_TOKEN;
  const fromSsm = (context as unknown as Record<string, unknown>)[TOKEN_KEY];
  if (config.TENCENT_ACCESS_TOKEN_PARAMETER && fromSsm !== undefined && fromSsm !== null && fromSsm !== '') {
    return String(fromSsm);
  }
  const error = new ConfigError(
    config.TENCENT_ACCESS_TOKEN_PARAMETER
      ? `The SSM parameter named by TENCENT_ACCESS_TOKEN_PARAMETER (${config.TENCENT_ACCESS_TOKEN_PARAMETER}) is empty`
      : 'Missing configuration: set TENCENT_ACCESS_TOKEN or TENCENT_ACCESS_TOKEN_PARAMETER (an SSM SecureString name)',
    { errors: [{ field: 'TENCENT_ACCESS_TOKEN', message: 'no Tencent access token configured' }] },
  );
  // Naming the variables (never their values) is what lets an operator fix this, so it is shown.
  error.expose = true;
  throw error;
}
