// fetch with a per-request timeout and retries (429, 5xx, network) using full-jitter backoff and Retry-After.
import { HttpNetworkError, HttpTimeout } from './errors.ts';
import { redactUrl } from './log.ts';

export type Fetch = typeof fetch;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryOptions {
  /** Total attempts including the first; 1 disables retries. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Retry-After values above this are capped (a caller may rather give up and reschedule). */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
}

export interface HttpDeps {
  fetch?: Fetch;
  clock?: Clock;
  random?: () => number;
  onRetry?: (info: RetryInfo) => void;
  /** Secret values to redact from any error message built here. */
  secrets?: readonly string[];
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  reason: string;
  url: string;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 30_000,
  timeoutMs: 15_000,
};

/** Statuses worth another try: throttling and server-side failures. Other 4xx never are. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Full jitter: a uniform delay in [0, min(max, base·2^(attempt-1))). */
export function backoffDelay(attempt: number, options: RetryOptions, random: () => number): number {
  const { baseDelayMs, maxDelayMs } = { ...DEFAULT_RETRY, ...options };
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * One HTTP exchange with retries. Resolves with the final Response (which may still be a 429/5xx once
 * attempts are exhausted, so the caller can map it); rejects with HttpTimeout / HttpNetworkError,
 * whose `cause` is the last underlying error, when no response could be had.
 */
export async function fetchWithRetry(
  url: string | URL,
  init: RequestInit = {},
  options: RetryOptions = {},
  deps: HttpDeps = {},
): Promise<Response> {
  const policy = { ...DEFAULT_RETRY, ...options };
  const doFetch = deps.fetch ?? fetch;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const safeUrl = redactUrl(url, deps.secrets);

  for (let attempt = 1; ; attempt++) {
    let response: Response | undefined;
    let failure: Error | undefined;
    try {
      response = await fetchOnce(doFetch, url, init, policy.timeoutMs, safeUrl);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      failure = error as Error;
    }
    const retryable = failure !== undefined || (response !== undefined && isRetryableStatus(response.status));
    if (!retryable || attempt >= policy.maxAttempts) {
      if (response) return response;
      throw wrapFailure(failure, safeUrl, attempt);
    }
    let delayMs = backoffDelay(attempt, policy, random);
    if (response) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), clock.now());
      if (retryAfter !== undefined) delayMs = Math.min(retryAfter, policy.maxRetryAfterMs);
      await response.body?.cancel().catch(() => {});
    }
    const reason = response ? `HTTP ${response.status}` : (failure?.message ?? 'network error');
    deps.onRetry?.({ attempt, delayMs, reason, url: safeUrl });
    await clock.sleep(delayMs);
  }
}

async function fetchOnce(
  doFetch: Fetch,
  url: string | URL,
  init: RequestInit,
  timeoutMs: number,
  safeUrl: string,
): Promise<Response> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new HttpTimeout(`${init.method ?? 'GET'} ${safeUrl} timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  try {
    // The timeout covers the wait for response headers; body streaming has its own guards.
    return await doFetch(url, { ...init, signal });
  } catch (error) {
    if (timeout.signal.aborted) throw timeout.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function wrapFailure(failure: Error | undefined, safeUrl: string, attempts: number): Error {
  const suffix = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  if (failure instanceof HttpTimeout) return new HttpTimeout(`${failure.message}${suffix}`, { cause: failure });
  const reason = describeNetworkFailure(failure);
  return new HttpNetworkError(`Request to ${safeUrl} failed: ${reason}${suffix}`, { cause: failure });
}

function describeNetworkFailure(failure: Error | undefined): string {
  const cause = failure?.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? failure?.message ?? 'network error';
}
