// listAudienceFiles factory: GET /audience-files ⇒ query checked ⇒ token ⇒ listAudienceFiles (lib) ⇒ Tencent's shape.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import type { Clock, Fetch } from '../../lib/http.ts';
import type { Logger } from '../../lib/log.ts';
import { type MetricsSink, recordListing } from '../../lib/metrics.ts';
import { createTencentClient } from '../../lib/tencent/client.ts';
import { type ListingQuery, listAudienceFiles } from '../../lib/tencent/listing.ts';
import { parseListingQuery } from '../../lib/tencent/query.ts';
import { deadline, type HttpEvent, type HttpResult, httpErrors, jsonResponse, queryOf } from '../middleware/http.ts';
import { asHandler } from '../middleware/lazy.ts';
import { functionLogger } from '../middleware/logger.ts';
import { functionMetrics, throttleMetrics } from '../middleware/metrics.ts';
import { tokenToContext } from '../middleware/secret.ts';

export interface ListAudienceFilesDeps {
  config?: Config;
  fetch?: Fetch;
  logger?: Logger;
  clock?: Clock;
  /** middy's early-timeout margin; 0 in tests, where there is no Lambda deadline. */
  timeoutEarlyInMillis?: number;
  /** SSM client options for TENCENT_ACCESS_TOKEN_PARAMETER (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
  /** Where ListingUpstreamCalls / ListingScanPages / UpstreamThrottles go; default EMF when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
}

type ListingContext = Context & { tencentAccessToken: string; listingQuery: ListingQuery };

export function createListAudienceFiles(deps: ListAudienceFilesDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'listAudienceFiles');
  const metrics = deps.metrics ?? functionMetrics(config);
  const limits = { maxScanPages: config.TENCENT_MAX_SCAN_PAGES, concurrency: config.TENCENT_SCAN_CONCURRENCY };

  const core = async (_event: HttpEvent, context: ListingContext, options?: { signal?: AbortSignal }) => {
    const query = context.listingQuery;
    const client = createTencentClient({
      baseUrl: config.TENCENT_BASE_URL,
      accessToken: context.tencentAccessToken,
      timeoutMs: config.HTTP_TIMEOUT_MS,
      logger,
      signal: options?.signal,
      fetch: deps.fetch,
      clock: deps.clock,
    });
    const { listing, stats } = await listAudienceFiles(client, query, limits, options?.signal);
    recordListing(metrics, stats);
    const { accountId, filtering } = query;
    const [returned, totalNumber] = [listing.list.length, listing.page_info.total_number];
    logger.info('audience files listed', { accountId, conditions: filtering.length, returned, totalNumber, ...stats });
    return jsonResponse(200, listing);
  };

  // Validate before touching secrets or Tencent: a bad query is the caller's problem, answered 400.
  const validate = {
    before: (request: { event: HttpEvent; context: ListingContext }) =>
      void Object.assign(request.context, { listingQuery: parseListingQuery(queryOf(request.event)) }),
  };
  const token = tokenToContext<HttpEvent, HttpResult>('tencentAccessToken', config, logger, deps);
  const handler = middy<HttpEvent, HttpResult, Error, ListingContext>(core, deadline(deps.timeoutEarlyInMillis));
  return asHandler(handler.use(validate).use(token).use(httpErrors(logger)).use(throttleMetrics(metrics)));
}
