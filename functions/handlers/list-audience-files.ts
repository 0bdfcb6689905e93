// listAudienceFiles factory: GET /audience-files ⇒ query checked ⇒ credentials ⇒ listAudienceFiles (lib) ⇒ Tencent's shape.
import type { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import type { Clock, Fetch } from '../../lib/http.ts';
import type { Logger } from '../../lib/log.ts';
import { type MetricsSink, recordListing } from '../../lib/metrics.ts';
import { createS3Client } from '../../lib/s3-client.ts';
import { s3ObjectStore } from '../../lib/s3-objects.ts';
import { createTencentClient } from '../../lib/tencent/client.ts';
import { type ListingQuery, listAudienceFiles } from '../../lib/tencent/listing.ts';
import { parseListingQuery } from '../../lib/tencent/query.ts';
import { createSnapshotKeeper, type SnapshotKeeper } from '../../lib/tencent/snapshots.ts';
import { deadline, type HttpEvent, type HttpResult, httpErrors, jsonResponse, queryOf } from '../middleware/http.ts';
import { asHandler } from '../middleware/lazy.ts';
import { functionLogger } from '../middleware/logger.ts';
import { functionMetrics, throttleMetrics } from '../middleware/metrics.ts';
import { type TencentCredentials, tencentCredentials } from '../middleware/tencent-token.ts';

export interface ListAudienceFilesDeps {
  config?: Config;
  fetch?: Fetch;
  logger?: Logger;
  clock?: Clock;
  /** The retry jitter's draw in [0, 1) (default Math.random); tests pin it, as a 0 ms draw takes no wait. */
  random?: () => number;
  /** middy's early-timeout margin; 0 in tests, where there is no Lambda deadline. */
  timeoutEarlyInMillis?: number;
  /** SSM client options for the *_PARAMETER settings (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
  /** S3 client for paging snapshots (default: one for S3_ENDPOINT / the region) when EXPORT_BUCKET is set. */
  s3?: S3Client;
  /** Where ListingUpstreamCalls / ListingScanPages / UpstreamThrottles go; default EMF when METRICS_NAMESPACE is set. */
  metrics?: MetricsSink;
}

type ListingContext = Context & { tencent: TencentCredentials; listingQuery: ListingQuery };

/** Time kept back from the Lambda deadline for answering after the last upstream call. */
const ANSWER_MARGIN_MS = 1_000;

export function createListAudienceFiles(deps: ListAudienceFilesDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'listAudienceFiles');
  const metrics = deps.metrics ?? functionMetrics(config);
  const limits = { maxScanPages: config.TENCENT_MAX_SCAN_PAGES, concurrency: config.TENCENT_SCAN_CONCURRENCY };
  const snapshots = snapshotKeeper(config, deps);

  const core = async (_event: HttpEvent, context: ListingContext, options?: { signal?: AbortSignal }) => {
    const query = context.listingQuery;
    const remaining = context.getRemainingTimeInMillis?.();
    const now = (deps.clock ?? Date).now();
    const client = createTencentClient({
      baseUrl: config.TENCENT_BASE_URL,
      ...context.tencent,
      apiVersion: config.TENCENT_API_VERSION,
      timeoutMs: config.HTTP_TIMEOUT_MS,
      logger,
      signal: options?.signal,
      fetch: deps.fetch,
      clock: deps.clock,
      ...(deps.random ? { random: deps.random } : {}),
      ...(remaining === undefined ? {} : { deadlineAt: now + remaining - ANSWER_MARGIN_MS }),
      ...(config.TENCENT_DAILY_RETRY_AFTER_SECONDS === undefined
        ? {}
        : { dailyRetryAfterSeconds: config.TENCENT_DAILY_RETRY_AFTER_SECONDS }),
    });
    const { listing, stats } = await listAudienceFiles(client, query, limits, options?.signal, { snapshots, logger });
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
  const credentials = tencentCredentials<HttpEvent, HttpResult>(config, logger, deps);
  const handler = middy<HttpEvent, HttpResult, Error, ListingContext>(core, deadline(deps.timeoutEarlyInMillis));
  return asHandler(handler.use(validate).use(credentials).use(httpErrors(logger)).use(throttleMetrics(metrics)));
}

/** Snapshots in the export bucket under TENCENT_SNAPSHOT_PREFIX; none without EXPORT_BUCKET. */
function snapshotKeeper(config: Config, deps: ListAudienceFilesDeps): SnapshotKeeper | undefined {
  if (!config.EXPORT_BUCKET) return undefined;
  const s3 = deps.s3 ?? createS3Client({ endpoint: config.S3_ENDPOINT, region: config.AWS_REGION });
  return createSnapshotKeeper({
    store: s3ObjectStore(s3, config.EXPORT_BUCKET),
    prefix: config.TENCENT_SNAPSHOT_PREFIX,
    ttlSeconds: config.TENCENT_SNAPSHOT_SECONDS,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
}
