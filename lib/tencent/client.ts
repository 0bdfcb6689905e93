// Client for GET /v1.3/custom_audience_files/get: auth params per attempt, code-aware retries, typed pages.
import {
  HttpTimeout,
  TencentApiError,
  TencentAuthError,
  TencentRateLimited,
  TencentTimeout,
  TencentUnavailable,
} from '../errors.ts';
import { type Fetch, fetchOnce, isRetryableStatus, parseRetryAfter } from '../http.ts';
import { type Logger, redactText, redactUrl, silentLogger } from '../log.ts';
import { anySignal, type Clock, systemClock, withRetry } from '../retry.ts';
import { authParams, createNonce } from './auth.ts';
import { lenientNumber, lenientString, parseAudienceFile, parsePageInfo } from './items.ts';
import type { FilesPage } from './types.ts';

export const FILES_PATH = '/v1.3/custom_audience_files/get';

/** Business codes (HTTP 200, code != 0) by how the client reacts to them. */
export const AUTH_CODES: readonly number[] = [11000, 11002, 11004, 11005];
export const RATE_LIMIT_CODES: readonly number[] = [11008, 11016, 11017, 11018, 11019];
/** Nonce reused / timestamp out of window: a fresh nonce and timestamp usually fixes it, so one retry. */
export const REPLAY_CODES: readonly number[] = [12100, 12101];

export interface TencentClientOptions {
  baseUrl: string;
  accessToken: string;
  fetch?: Fetch;
  clock?: Clock;
  random?: () => number;
  nonce?: () => string;
  logger?: Logger;
  timeoutMs?: number;
  /** Attempts for transient failures (HTTP 429/5xx, network, timeouts, rate-limit codes), first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is not waited out (the error goes back to the caller); default 30 s. */
  maxRetryAfterMs?: number;
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
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  // The token must never appear in a log line, whatever fails later.
  options.logger?.addSecret(options.accessToken);
  const policy = {
    maxAttempts: options.maxAttempts ?? 4,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 8_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
    clock,
    ...(options.random ? { random: options.random } : {}),
  };

  return {
    getAudienceFiles(query, callSignal) {
      const signal = anySignal(options.signal, callSignal);
      let replays = 0;
      return withRetry(
        async () => {
          try {
            return await attempt(options, clock, query, signal);
          } catch (error) {
            // A stale nonce or timestamp is fixed by fresh auth params: one immediate retry, not a backoff.
            if (error instanceof TencentApiError && isReplay(error) && replays++ === 0) {
              error.retryable = true;
              error.retryAfterMs = 0;
            }
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

function isReplay(error: TencentApiError): boolean {
  return REPLAY_CODES.includes(error.details.code as number);
}

/** One call with fresh auth params: the page, or an AppError whose class says whether to try again. */
async function attempt(
  options: TencentClientOptions,
  clock: Clock,
  query: FilesQuery,
  signal: AbortSignal | undefined,
): Promise<FilesPage> {
  const secrets = [options.accessToken];
  const url = filesUrl(options, query, clock.now(), options.nonce ?? createNonce);
  const init: RequestInit = { method: 'GET', headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) };
  let response: Response;
  try {
    const once = { timeoutMs: options.timeoutMs ?? 15_000, safeUrl: redactUrl(url, secrets) };
    response = await fetchOnce(url, init, { ...once, ...(options.fetch ? { fetch: options.fetch } : {}) });
  } catch (error) {
    if (signal?.aborted) throw error;
    const message = redactText((error as Error).message, secrets);
    if (error instanceof HttpTimeout) throw new TencentTimeout(`Tencent timed out: ${message}`, { cause: error });
    throw new TencentUnavailable(`Tencent unreachable: ${message}`, { cause: error });
  }
  const traceId = response.headers.get('x-tsa-trace-id') ?? undefined;
  if (!response.ok) throw await httpFailure(response, traceId, clock.now());
  let body: Record<string, unknown>;
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch (error) {
    const details = { httpStatus: response.status, traceId };
    throw new TencentApiError('Tencent answered with unreadable JSON', { cause: error, details });
  }
  const code = lenientNumber(body.code);
  if (code === 0) return toPage(body.data, query, traceId);
  throw businessFailure(body, code, traceId, secrets);
}

function filesUrl(options: TencentClientOptions, query: FilesQuery, nowMs: number, nonce: () => string): string {
  const params = new URLSearchParams({ ...authParams(options.accessToken, nowMs, nonce) });
  params.set('account_id', String(query.accountId));
  if (query.audienceId !== undefined) params.set('audience_id', String(query.audienceId));
  if (query.customAudienceFileId !== undefined)
    params.set('custom_audience_file_id', String(query.customAudienceFileId));
  if (query.page !== undefined) params.set('page', String(query.page));
  if (query.pageSize !== undefined) params.set('page_size', String(query.pageSize));
  if (query.fields && query.fields.length > 0) params.set('fields', JSON.stringify(query.fields));
  return `${options.baseUrl.replace(/\/+$/, '')}${FILES_PATH}?${params}`;
}

function toPage(data: unknown, query: FilesQuery, traceId: string | undefined): FilesPage {
  const payload = (data !== null && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const list = Array.isArray(payload.list) ? payload.list.map(parseAudienceFile) : [];
  const fallback = { page: query.page ?? 1, page_size: query.pageSize ?? 10 };
  return { list, page_info: parsePageInfo(payload.page_info, fallback), ...(traceId ? { traceId } : {}) };
}

async function httpFailure(response: Response, traceId: string | undefined, now: number): Promise<Error> {
  await response.body?.cancel().catch(() => {});
  const details = { httpStatus: response.status, traceId };
  if (response.status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
    return new TencentRateLimited('Tencent throttled the request (HTTP 429); retry later', {
      details: { ...details, retryAfterSeconds: Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000)) },
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (isRetryableStatus(response.status)) {
    return new TencentUnavailable(`Tencent answered HTTP ${response.status}`, { details });
  }
  return new TencentApiError(`Tencent answered HTTP ${response.status}`, { details });
}

function businessFailure(
  body: Record<string, unknown>,
  code: number | null,
  traceId: string | undefined,
  secrets: string[],
): Error {
  const upstreamMessage = redactText(lenientString(body.message), secrets);
  const details = { code, message_cn: redactText(lenientString(body.message_cn), secrets), traceId };
  const said = upstreamMessage ? `: ${upstreamMessage}` : '';
  if (code !== null && AUTH_CODES.includes(code)) {
    const message = `Tencent rejected the access token or account (code ${code})${said}; renew the token or check the account's authorization`;
    return new TencentAuthError(message, { details });
  }
  if (code !== null && RATE_LIMIT_CODES.includes(code)) {
    const message = `Tencent rate limit reached (code ${code})${said}; retry later`;
    return new TencentRateLimited(message, { details: { ...details, retryAfterSeconds: 1 } });
  }
  return new TencentApiError(`Tencent API error (code ${code ?? 'missing'})${said}`, { details });
}
