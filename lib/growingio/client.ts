// GrowingIO segment-export client: validates, rate-limits, calls the one GET, and maps answers to AppErrors.
import {
  GrowingIoBadResponse,
  GrowingIoExportFailed,
  GrowingIoThrottled,
  GrowingIoUnauthorized,
  GrowingIoUnavailable,
} from '../errors.ts';
import { type Clock, type Fetch, fetchWithRetry, parseRetryAfter, type RetryOptions, systemClock } from '../http.ts';
import { type Logger, redactText, silentLogger } from '../log.ts';
import { throwIfAborted } from '../retry.ts';
import { type RateLimiter, sharedRateLimiter } from './rate-limit.ts';
import { parseSegmentExportRequest } from './request.ts';
import {
  EXPORT_STATUSES,
  type ExportStatus,
  RETRYABLE_ERROR_MSG,
  type SegmentExportJob,
  type SegmentExportRequest,
} from './types.ts';

export interface GrowingIoClientOptions {
  baseUrl: string;
  token: string;
  fetch?: Fetch;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  retry?: RetryOptions;
  /** Client-side budget per token; GrowingIO documents about 2 requests/s. */
  requestsPerSecond?: number;
  /**
   * A budget shared beyond this container (lib/budget/shared-budget.ts), taken after the in-container limiter
   * for every attempt; none by default.
   */
  limiter?: RateLimiter;
  /** Stops every call, rate-limit wait and retry wait (the Lambda deadline) with OperationAborted. */
  signal?: AbortSignal;
}

export interface GrowingIoClient {
  requestSegmentExport(input: SegmentExportRequest): Promise<SegmentExportJob>;
}

const EXCERPT_CHARS = 200;

/** The request URL; ids are encoded even though validation already restricts them. */
export function segmentExportUrl(baseUrl: string, input: SegmentExportRequest): URL {
  const base = baseUrl.replace(/\/+$/, '');
  const path = `/v3/exporter/projects/${encodeURIComponent(input.projectUid)}/segmentations/${encodeURIComponent(input.segmentationId)}/users`;
  const url = new URL(`${base}${path}`);
  if (input.expireMinutes !== undefined) url.searchParams.set('expire', String(input.expireMinutes));
  if (input.parameters && input.parameters.length > 0) url.searchParams.set('parameters', input.parameters.join(','));
  return url;
}

export interface RawAnswer {
  status: number;
  retryAfter: string | null;
  body: string;
  /** Epoch ms used to interpret an HTTP-date Retry-After. */
  now: number;
}

/** A short, redacted piece of an upstream body, safe for messages and logs. */
export function bodyExcerpt(body: string, secrets: readonly string[]): string {
  const flat = redactText(body.replace(/\s+/g, ' ').trim(), secrets);
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The upstream `message` plus each `errors[].message`, for 4xx bodies `{message, errors:[{code,message}]}`. */
function upstreamMessage(body: string, secrets: readonly string[]): string {
  const json = parseJson(body) as { message?: unknown; errors?: unknown } | undefined;
  if (!json || typeof json !== 'object') return bodyExcerpt(body, secrets);
  const parts = typeof json.message === 'string' && json.message ? [json.message] : [];
  if (Array.isArray(json.errors)) {
    for (const item of json.errors) {
      const text = (item as { message?: unknown } | null)?.message;
      if (typeof text === 'string' && text) parts.push(text);
    }
  }
  return parts.length > 0 ? bodyExcerpt(parts.join('; '), secrets) : bodyExcerpt(body, secrets);
}

/** The job in a 200 body, or a reason why the body is not one. Extra fields are ignored. */
export function parseJobBody(json: unknown): SegmentExportJob | string {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return 'body is not a JSON object';
  const record = json as Record<string, unknown>;
  const status = typeof record.status === 'string' ? record.status.trim().toLowerCase() : undefined;
  if (!EXPORT_STATUSES.includes(status as ExportStatus)) return 'status is not one of done, doing, failed';
  const id = record.id;
  const jobId = typeof id === 'string' ? id : typeof id === 'number' ? String(id) : undefined;
  if (jobId === undefined && status !== 'failed') return 'id is missing';
  const links = record.downloadLinks ?? [];
  if (!Array.isArray(links) || links.some((link) => typeof link !== 'string' || link === '')) {
    return 'downloadLinks is not a list of links';
  }
  if (status === 'done' && links.length === 0) return 'status is done but downloadLinks is empty';
  const errorMsg = record.errorMsg ?? '';
  if (typeof errorMsg !== 'string') return 'errorMsg is not a string';
  return { jobId: jobId ?? '', status: status as ExportStatus, downloadLinks: links as string[], errorMsg };
}

/** Map one final HTTP answer (after retries) to a job or the AppError the state machine routes on. */
export function interpretExportAnswer(answer: RawAnswer, secrets: readonly string[] = []): SegmentExportJob {
  const { status, body } = answer;
  if (status === 401 || status === 403) {
    throw new GrowingIoUnauthorized(
      `GrowingIO rejected the token (HTTP ${status}): check GROWINGIO_TOKEN / GROWINGIO_TOKEN_PARAMETER`,
      { details: { status } },
    );
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(answer.retryAfter, answer.now);
    if (retryAfterMs === undefined) {
      throw new GrowingIoThrottled('GrowingIO is throttling requests (HTTP 429); retry later', { details: { status } });
    }
    const details = { status, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) };
    throw new GrowingIoThrottled('GrowingIO is throttling requests (HTTP 429); retry later', { details, retryAfterMs });
  }
  if (status >= 500) {
    throw new GrowingIoUnavailable(`GrowingIO is unavailable (HTTP ${status}): ${bodyExcerpt(body, secrets)}`, {
      details: { status },
    });
  }
  if (status >= 400) {
    const message = upstreamMessage(body, secrets);
    throw new GrowingIoExportFailed(`GrowingIO refused the export request (HTTP ${status}): ${message}`, {
      details: { status, errorMsg: message },
    });
  }
  if (status !== 200) throw badResponse(`unexpected HTTP ${status}`, body, secrets);
  const job = parseJobBody(parseJson(body));
  if (typeof job === 'string') throw badResponse(job, body, secrets);
  if (job.status === 'failed') throw failedJob(job, secrets);
  return job;
}

function badResponse(reason: string, body: string, secrets: readonly string[]): GrowingIoBadResponse {
  const excerpt = bodyExcerpt(body, secrets);
  return new GrowingIoBadResponse(`GrowingIO answered with an unexpected body (${reason}): ${excerpt}`, {
    details: { reason, excerpt },
  });
}

function failedJob(job: SegmentExportJob, secrets: readonly string[]): Error {
  const errorMsg = bodyExcerpt(job.errorMsg || 'no error message', secrets);
  const details = { jobId: job.jobId, errorMsg };
  // GrowingIO says this one is transient; the state machine retries GrowingIoUnavailable.
  if (job.errorMsg.includes(RETRYABLE_ERROR_MSG)) {
    return new GrowingIoUnavailable(`GrowingIO export job ${job.jobId || '(no id)'} failed transiently: ${errorMsg}`, {
      details,
    });
  }
  return new GrowingIoExportFailed(`GrowingIO export job ${job.jobId || '(no id)'} failed: ${errorMsg}`, { details });
}

export function createGrowingIoClient(options: GrowingIoClientOptions): GrowingIoClient {
  const { token } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  if (options.logger) logger.addSecret(token);
  const secrets = [token];
  const limiter = sharedRateLimiter(options.baseUrl, token, {
    requestsPerSecond: options.requestsPerSecond ?? 2,
    clock,
  });
  const baseFetch = options.fetch ?? fetch;
  // Every attempt, retries included, takes a slot: a retry burst must not break the upstream rate limit.
  const limitedFetch = (async (url: string | URL | Request, init?: RequestInit) => {
    await limiter.acquire(init?.signal ?? undefined);
    await options.limiter?.acquire(init?.signal ?? undefined);
    return baseFetch(url, init);
  }) as Fetch;
  const { signal } = options;

  async function send(url: URL): Promise<RawAnswer> {
    try {
      const response = await fetchWithRetry(
        url,
        { method: 'GET', headers: { Authorization: token, Accept: 'application/json' }, ...(signal ? { signal } : {}) },
        options.retry,
        {
          fetch: limitedFetch,
          clock,
          random: options.random,
          secrets,
          onRetry: (info) => logger.warn('GrowingIO request retry', { ...info }),
        },
      );
      const body = await response.text();
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body, now: clock.now() };
    } catch (error) {
      throwIfAborted(signal);
      const reason = redactText(error instanceof Error ? error.message : String(error), secrets);
      throw new GrowingIoUnavailable(`GrowingIO could not be reached: ${reason}`, { cause: error });
    }
  }

  return {
    async requestSegmentExport(input) {
      const request = parseSegmentExportRequest(input);
      const { projectUid, segmentationId } = request;
      logger.debug('GrowingIO export request', { projectUid, segmentationId, parameters: request.parameters });
      const answer = await send(segmentExportUrl(options.baseUrl, request));
      try {
        const job = interpretExportAnswer(answer, secrets);
        logger.info('GrowingIO export status', {
          jobId: job.jobId,
          status: job.status,
          links: job.downloadLinks.length,
        });
        return job;
      } catch (error) {
        logger.warn('GrowingIO export error', { projectUid, segmentationId, error });
        throw error;
      }
    },
  };
}
