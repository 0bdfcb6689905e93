// fetch with a per-request timeout and retries (429, 5xx, network) through withRetry (lib/retry.ts).
import { AppError, HttpNetworkError, HttpTimeout } from './errors.ts';
import { redactUrl } from './log.ts';
import { anySignal, type Clock, systemClock, withRetry } from './retry.ts';

export { type Clock, systemClock } from './retry.ts';

export type Fetch = typeof fetch;

export interface RetryOptions {
  /** Total attempts including the first; 1 disables retries. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After above this is not waited out: the answer goes back to the caller (who may reschedule). */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
}

export interface HttpDeps {
  fetch?: Fetch;
  clock?: Clock;
  random?: () => number;
  onRetry?: (info: HttpRetryInfo) => void;
  /** Secret values to redact from any error message built here. */
  secrets?: readonly string[];
}

export interface HttpRetryInfo {
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

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** A 429/5xx answer while attempts remain; never leaves this module (the last one is returned as a Response). */
class RetryableStatus extends AppError {
  static override readonly transient = true;
  override name = 'RetryableStatus';
  readonly response: Response;
  constructor(response: Response, retryAfterMs: number | undefined) {
    super(`HTTP ${response.status}`, retryAfterMs === undefined ? {} : { retryAfterMs });
    this.response = response;
  }
}

/**
 * One HTTP exchange with retries. Resolves with the final Response (which may still be a 429/5xx once
 * attempts are exhausted or Retry-After is too long, so the caller can map it); rejects with HttpTimeout /
 * HttpNetworkError, whose `cause` is the last underlying error, when no response could be had, and with
 * OperationAborted when `init.signal` aborts.
 */
export async function fetchWithRetry(
  url: string | URL,
  init: RequestInit = {},
  options: RetryOptions = {},
  deps: HttpDeps = {},
): Promise<Response> {
  const policy = { ...DEFAULT_RETRY, ...options };
  const clock = deps.clock ?? systemClock;
  const safeUrl = redactUrl(url, deps.secrets);
  const signal = init.signal ?? undefined;
  const once = { fetch: deps.fetch ?? fetch, timeoutMs: policy.timeoutMs, safeUrl };
  try {
    return await withRetry(
      async () => {
        const response = await fetchOnce(url, init, once);
        if (!isRetryableStatus(response.status)) return response;
        throw new RetryableStatus(response, parseRetryAfter(response.headers.get('retry-after'), clock.now()));
      },
      {
        ...policy,
        clock,
        ...(signal ? { signal } : {}),
        ...(deps.random ? { random: deps.random } : {}),
        onRetry: ({ attempt, delayMs, error }) => {
          if (error instanceof RetryableStatus) void error.response.body?.cancel().catch(() => {});
          deps.onRetry?.({ attempt, delayMs, reason: error.message, url: safeUrl });
        },
      },
    );
  } catch (error) {
    if (error instanceof RetryableStatus) return error.response;
    throw error;
  }
}

/**
 * One fetch with a timeout on the wait for response headers (body streaming has its own guards). Rejects with
 * HttpTimeout or HttpNetworkError (both retryable); the caller's own abort reason is passed through.
 */
export async function fetchOnce(
  url: string | URL,
  init: RequestInit,
  options: { fetch?: Fetch; timeoutMs: number; safeUrl: string },
): Promise<Response> {
  const timeout = new AbortController();
  const { timeoutMs, safeUrl } = options;
  const timer = setTimeout(
    () => timeout.abort(new HttpTimeout(`${init.method ?? 'GET'} ${safeUrl} timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  try {
    return await (options.fetch ?? fetch)(url, {
      ...init,
      signal: anySignal(init.signal ?? undefined, timeout.signal),
    });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    if (timeout.signal.aborted) throw timeout.signal.reason;
    const reason = describeNetworkFailure(error as Error);
    throw new HttpNetworkError(`Request to ${safeUrl} failed: ${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

function describeNetworkFailure(failure: Error | undefined): string {
  const cause = failure?.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? failure?.message ?? 'network error';
}
