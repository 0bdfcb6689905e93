// Client for GET /{v1.3|v3.0}/custom_audience_files/get: auth params per attempt, one code table for every retry
// decision (error-codes.ts via call-errors.ts), the caller's deadline, token refresh on 11000, X-RateLimit-Remaining.
import { AppError, HttpTimeout, TencentApiError, TencentAuthError, TencentTimeout } from '../errors.ts';
import { type Fetch, fetchOnce, parseRetryAfter } from '../http.ts';
import { type Logger, redactText, redactUrl, silentLogger } from '../log.ts';
import { anySignal, type Clock, systemClock, withRetry } from '../retry.ts';
import { authParams, createNonce } from './auth.ts';
import { businessError, httpError, transportError } from './call-errors.ts';
import { DEFAULT_REPLAY_CODES, EXPIRED_TOKEN_CODE, rateLimitRemaining, serverNowMs } from './error-codes.ts';
import { lenientNumber, parseAudienceFile, parsePageInfo } from './items.ts';
import type { TokenSource } from './oauth.ts';
import type { FilesPage } from './types.ts';

export type ApiVersion = 'v1.3' | 'v3.0';

export function filesPath(version: ApiVersion = 'v1.3'): string {
  return `/${version}/custom_audience_files/get`;
}

/** The seed's endpoint (v1.3), kept for callers that name it. */
export const FILES_PATH = filesPath('v1.3');

export interface TencentClientOptions {
  baseUrl: string;
  /** A fixed token, or a token source that refreshes (one of the two; the source wins). */
  accessToken?: string;
  tokenSource?: TokenSource;
  /** v1.3 (default: integer process_status, passed through) or v3.0 (documented status names). */
  apiVersion?: ApiVersion;
  fetch?: Fetch;
  clock?: Clock;
  random?: () => number;
  nonce?: () => string;
  logger?: Logger;
  timeoutMs?: number;
  /** Attempts for retryable failures (10000, 11016, minute windows, HTTP 429/5xx, network), first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited out (the error goes back to the caller); default 65 s. */
  maxRetryAfterMs?: number;
  /** Epoch ms (on `clock`) by which an answer is due: a wait that does not fit fails at once with Retry-After. */
  deadlineAt?: number;
  /** Seconds to wait after an 11018 instead of the assumed midnight GMT+8 (TENCENT_DAILY_RETRY_AFTER_SECONDS). */
  dailyRetryAfterSeconds?: number;
  replayCodes?: readonly number[];
  /** Stops every call and retry wait of this client (the Lambda deadline); OperationAborted. */
  signal?: AbortSignal;
}

export interface FilesQuery {
  accountId: number;
  audienceId?: number;
  customAudienceFileId?: number;
  page?: number;
  pageSize?: number;
  /** Sent as a JSON array string; omitted ⇒ Tencent's default field set. */
  fields?: readonly string[];
}

export interface TencentClient {
  getAudienceFiles(query: FilesQuery, signal?: AbortSignal): Promise<FilesPage>;
}

export function createTencentClient(options: TencentClientOptions): TencentClient {
  if (!options.accessToken && !options.tokenSource) throw new TypeError('accessToken or tokenSource is required');
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  // The token must never appear in a log line, whatever fails later.
  if (options.accessToken) logger.addSecret(options.accessToken);
  const policy = {
    maxAttempts: options.maxAttempts ?? 4,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 8_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 65_000,
    clock,
    ...(options.random ? { random: options.random } : {}),
  };
  const tokens = tokenProvider(options, logger);

  return {
    getAudienceFiles(query, callSignal) {
      const signal = anySignal(options.signal, callSignal);
      const state = { refreshed: false };
      return withRetry(
        async (attemptNumber) => {
          const token = await tokens.get(signal);
          try {
            return await attempt({ options, clock, query, signal, token, attemptNumber, policy });
          } catch (error) {
            await afterFailure(error, { options, clock, tokens, logger, token, signal, state });
            throw error;
          }
        },
        {
          ...policy,
          ...(signal ? { signal } : {}),
          onRetry: ({ error, delayMs }) =>
            logger.warn('tencent request retried', { reason: error.message, ...error.details, delayMs }),
        },
      );
    },
  };
}

function tokenProvider(options: TencentClientOptions, logger: Logger) {
  const source = options.tokenSource;
  return {
    get: async (signal?: AbortSignal) => {
      if (!source) return options.accessToken!;
      const token = await source.get(signal);
      logger.addSecret(token);
      return token;
    },
    refresh: (stale: string, signal?: AbortSignal) => source!.refresh(stale, signal),
    secrets: (token: string) => [token, ...(source?.secrets() ?? [])],
  };
}

interface Failure {
  options: TencentClientOptions;
  clock: Clock;
  tokens: ReturnType<typeof tokenProvider>;
  logger: Logger;
  token: string;
  signal: AbortSignal | undefined;
  state: { refreshed: boolean };
}

/**
 * Adjusts a failed attempt's retry hint before withRetry sees it: an expired token with refresh credentials is
 * refreshed once (single flight) and retried at once; any wait (e.g. an HTTP Retry-After) longer than the time left
 * before the deadline is not taken: the error goes back with its Retry-After instead.
 */
async function afterFailure(error: unknown, failure: Failure): Promise<void> {
  const { options, tokens, logger, state } = failure;
  if (!state.refreshed && options.tokenSource && isExpired(error)) {
    state.refreshed = true;
    logger.addSecret(await tokens.refresh(failure.token, failure.signal));
    logger.info('tencent access token refreshed after 11000');
    error.retryable = true;
    error.retryAfterMs = 0;
    return;
  }
  const left = options.deadlineAt === undefined ? undefined : options.deadlineAt - failure.clock.now();
  if (error instanceof AppError && error.retryable && left !== undefined && (error.retryAfterMs ?? 0) > left) {
    error.retryable = false;
  }
}

function isExpired(error: unknown): error is TencentAuthError {
  return error instanceof TencentAuthError && error.details.code === EXPIRED_TOKEN_CODE;
}

interface Attempt {
  options: TencentClientOptions;
  clock: Clock;
  query: FilesQuery;
  signal: AbortSignal | undefined;
  token: string;
  attemptNumber: number;
  policy: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; random?: () => number };
}

/** One call with fresh auth params: the page, or an AppError whose `retryable`/`retryAfterMs` say what next. */
async function attempt(call: Attempt): Promise<FilesPage> {
  const { options, clock, query, signal, token } = call;
  const secrets = [token, ...(options.tokenSource?.secrets() ?? [])];
  const url = filesUrl(options, token, query, clock.now());
  const init: RequestInit = { method: 'GET', headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) };
  let response: Response;
  try {
    const once = { timeoutMs: options.timeoutMs ?? 15_000, safeUrl: redactUrl(url, secrets) };
    response = await fetchOnce(url, init, { ...once, ...(options.fetch ? { fetch: options.fetch } : {}) });
  } catch (error) {
    if (signal?.aborted) throw error;
    if (error instanceof HttpTimeout) {
      throw new TencentTimeout(`Tencent timed out: ${redactText(error.message, secrets)}`, { cause: error });
    }
    throw transportError(error, 'custom_audience_files/get', secrets);
  }
  const traceId = response.headers.get('x-tsa-trace-id') ?? undefined;
  const nowMs = serverNowMs(response.headers.get('date'), clock.now());
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), clock.now());
    throw httpError(response.status, retryAfterMs, traceId, 'custom_audience_files/get');
  }
  let body: Record<string, unknown>;
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch (error) {
    const details = { httpStatus: response.status, traceId };
    throw new TencentApiError('Tencent answered with unreadable JSON', { cause: error, details });
  }
  const code = lenientNumber(body.code);
  const remaining = rateLimitRemaining(response.headers.get('x-ratelimit-remaining'));
  if (code === 0) return toPage(body.data, query, traceId, remaining);
  throw businessError(code ?? -1, body, { ...retryContext(call, nowMs), traceId, secrets });
}

function retryContext(call: Attempt, nowMs: number) {
  const { options, clock, attemptNumber, policy } = call;
  return {
    operation: 'custom_audience_files/get',
    nowMs,
    attempt: attemptNumber,
    ...policy,
    replayCodes: options.replayCodes ?? DEFAULT_REPLAY_CODES,
    ...(options.deadlineAt !== undefined ? { remainingMs: Math.max(0, options.deadlineAt - clock.now()) } : {}),
    ...(options.dailyRetryAfterSeconds !== undefined ? { dailyRetryAfterSeconds: options.dailyRetryAfterSeconds } : {}),
  };
}

function filesUrl(options: TencentClientOptions, token: string, query: FilesQuery, nowMs: number): string {
  const params = new URLSearchParams({ ...authParams(token, nowMs, options.nonce ?? createNonce) });
  params.set('account_id', String(query.accountId));
  if (query.audienceId !== undefined) params.set('audience_id', String(query.audienceId));
  if (query.customAudienceFileId !== undefined)
    params.set('custom_audience_file_id', String(query.customAudienceFileId));
  if (query.page !== undefined) params.set('page', String(query.page));
  if (query.pageSize !== undefined) params.set('page_size', String(query.pageSize));
  if (query.fields && query.fields.length > 0) params.set('fields', JSON.stringify(query.fields));
  return `${options.baseUrl.replace(/\/+$/, '')}${filesPath(options.apiVersion)}?${params}`;
}

function toPage(data: unknown, query: FilesQuery, traceId: string | undefined, remaining: number | undefined) {
  const payload = (data !== null && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const list = Array.isArray(payload.list) ? payload.list.map(parseAudienceFile) : [];
  const fallback = { page: query.page ?? 1, page_size: query.pageSize ?? 10 };
  const page: FilesPage = { list, page_info: parsePageInfo(payload.page_info, fallback) };
  if (traceId) page.traceId = traceId;
  if (remaining !== undefined) page.rateLimitRemaining = remaining;
  return page;
}
