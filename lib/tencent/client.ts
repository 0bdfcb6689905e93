// Client for GET /v1.3/custom_audience_files/get: auth params per attempt, code-aware retries, typed pages.
import {
  HttpTimeout,
  TencentApiError,
  TencentAuthError,
  TencentRateLimited,
  TencentTimeout,
  TencentUnavailable,
  type UpstreamError,
} from '../errors.ts';
import {
  backoffDelay,
  type Clock,
  type Fetch,
  fetchWithRetry,
  isRetryableStatus,
  parseRetryAfter,
  systemClock,
} from '../http.ts';
import { type Logger, redactText, silentLogger } from '../log.ts';
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
  /** The Lambda deadline: aborts requests and retry waits in flight. */
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

type Outcome =
  | { ok: true; page: FilesPage }
  | { ok: false; error: UpstreamError; retry: 'backoff' | 'fresh' | 'never'; retryAfterMs?: number };

export function createTencentClient(options: TencentClientOptions): TencentClient {
  const settings = {
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    nonce: options.nonce ?? createNonce,
    logger: options.logger ?? silentLogger,
    maxAttempts: options.maxAttempts ?? 4,
    retry: { baseDelayMs: options.baseDelayMs ?? 500, maxDelayMs: options.maxDelayMs ?? 8_000 },
  };
  // The token must never appear in a log line, whatever fails later.
  options.logger?.addSecret(options.accessToken);

  return {
    async getAudienceFiles(query, signal) {
      let transientFailures = 0;
      let replayRetried = false;
      for (;;) {
        const outcome = await attempt(options, settings, query, signal);
        if (outcome.ok) return outcome.page;
        const { error, retry } = outcome;
        let delayMs: number;
        if (retry === 'fresh' && !replayRetried) {
          replayRetried = true;
          delayMs = 0;
        } else if (retry === 'backoff' && ++transientFailures < settings.maxAttempts) {
          delayMs = outcome.retryAfterMs ?? backoffDelay(transientFailures, settings.retry, settings.random);
        } else {
          throw error;
        }
        settings.logger.warn('tencent request retried', { reason: error.message, ...error.details, delayMs });
        if (delayMs > 0) await settings.clock.sleep(delayMs);
      }
    },
  };
}

async function attempt(
  options: TencentClientOptions,
  settings: { clock: Clock; nonce: () => string },
  query: FilesQuery,
  signal: AbortSignal | undefined,
): Promise<Outcome> {
  const secrets = [options.accessToken];
  const url = filesUrl(options, query, settings.clock.now(), settings.nonce);
  let response: Response;
  try {
    response = await fetchWithRetry(
      url,
      { method: 'GET', headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) },
      { maxAttempts: 1, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
      { ...(options.fetch ? { fetch: options.fetch } : {}), clock: settings.clock, secrets },
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    const message = redactText((error as Error).message, secrets);
    if (error instanceof HttpTimeout) {
      return {
        ok: false,
        retry: 'backoff',
        error: new TencentTimeout(`Tencent timed out: ${message}`, { cause: error }),
      };
    }
    return {
      ok: false,
      retry: 'backoff',
      error: new TencentUnavailable(`Tencent unreachable: ${message}`, { cause: error }),
    };
  }
  const traceId = response.headers.get('x-tsa-trace-id') ?? undefined;
  if (!response.ok) return httpFailure(response, traceId, settings.clock.now());
  let body: Record<string, unknown>;
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch (error) {
    const details = { httpStatus: response.status, traceId };
    return {
      ok: false,
      retry: 'never',
      error: new TencentApiError('Tencent answered with unreadable JSON', { cause: error, details }),
    };
  }
  const code = lenientNumber(body.code);
  if (code === 0) return { ok: true, page: toPage(body.data, query, traceId) };
  return businessFailure(body, code, traceId, secrets);
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

async function httpFailure(response: Response, traceId: string | undefined, now: number): Promise<Outcome> {
  await response.body?.cancel().catch(() => {});
  const details = { httpStatus: response.status, traceId };
  if (response.status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
    const error = new TencentRateLimited('Tencent throttled the request (HTTP 429); retry later', {
      details: { ...details, retryAfterSeconds: Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000)) },
    });
    return { ok: false, retry: 'backoff', error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (isRetryableStatus(response.status)) {
    const error = new TencentUnavailable(`Tencent answered HTTP ${response.status}`, { details });
    return { ok: false, retry: 'backoff', error };
  }
  return {
    ok: false,
    retry: 'never',
    error: new TencentApiError(`Tencent answered HTTP ${response.status}`, { details }),
  };
}

function businessFailure(
  body: Record<string, unknown>,
  code: number | null,
  traceId: string | undefined,
  secrets: string[],
): Outcome {
  const upstreamMessage = redactText(lenientString(body.message), secrets);
  const details = { code, message_cn: redactText(lenientString(body.message_cn), secrets), traceId };
  const said = upstreamMessage ? `: ${upstreamMessage}` : '';
  if (code !== null && AUTH_CODES.includes(code)) {
    const message = `Tencent rejected the access token or account (code ${code})${said}; renew the token or check the account's authorization`;
    return { ok: false, retry: 'never', error: new TencentAuthError(message, { details }) };
  }
  if (code !== null && RATE_LIMIT_CODES.includes(code)) {
    const message = `Tencent rate limit reached (code ${code})${said}; retry later`;
    return {
      ok: false,
      retry: 'backoff',
      error: new TencentRateLimited(message, { details: { ...details, retryAfterSeconds: 1 } }),
    };
  }
  const retry = code !== null && REPLAY_CODES.includes(code) ? 'fresh' : 'never';
  return {
    ok: false,
    retry,
    error: new TencentApiError(`Tencent API error (code ${code ?? 'missing'})${said}`, { details }),
  };
}
