// Tencent business codes (HTTP 200, code != 0) by documented meaning, and the retry decision each kind calls for.
// Source: developers.e.qq.com/v3.0/docs/errors, summarised in shared/UPSTREAMS.md. Pure: no I/O, no env.

export type CodeKind =
  | 'busy'
  | 'per-second'
  | 'per-minute'
  | 'per-day'
  | 'app-limit'
  | 'auth'
  | 'scope'
  | 'replay'
  | 'param'
  | 'other';

export interface CodeInfo {
  meaning: string;
  kind: CodeKind;
}

/** Documented codes only. Codes not listed here are `other`: passed through with their message, never retried. */
export const TENCENT_CODES: Readonly<Record<number, CodeInfo>> = {
  10000: { meaning: 'system busy, retry', kind: 'busy' },
  10001: { meaning: 'system under maintenance', kind: 'other' },
  11000: { meaning: 'access token expired', kind: 'auth' },
  11002: { meaning: 'access token invalid', kind: 'auth' },
  11004: { meaning: 'access token malformed', kind: 'auth' },
  11005: { meaning: 'access token empty', kind: 'auth' },
  11007: { meaning: 'client_id invalid', kind: 'auth' },
  11008: { meaning: 'application request limit reached', kind: 'app-limit' },
  11009: { meaning: 'authorization code expired', kind: 'auth' },
  11010: { meaning: 'refresh token malformed', kind: 'auth' },
  11011: { meaning: 'authorization code malformed', kind: 'auth' },
  11012: { meaning: 'refresh token expired', kind: 'auth' },
  11013: { meaning: 'authorization code already used', kind: 'auth' },
  11014: { meaning: "API outside the token's scope", kind: 'scope' },
  11016: { meaning: 'per-second request limit reached', kind: 'per-second' },
  11017: { meaning: 'per-minute request limit reached', kind: 'per-minute' },
  11018: { meaning: 'per-day request limit reached (retry in a day)', kind: 'per-day' },
  11019: { meaning: 'requests too frequent, or the account holder / developer limit reached', kind: 'app-limit' },
  12000: { meaning: 'missing access_token, timestamp or nonce', kind: 'param' },
};

/**
 * The numbers for "nonce used before" and "stale timestamp" are NOT public. These defaults are the design's
 * assumption; a deployment that learns the real numbers overrides them (`replayCodes`).
 */
export const DEFAULT_REPLAY_CODES: readonly number[] = [12100, 12101];

export const EXPIRED_TOKEN_CODE = 11000;

export function codeInfo(code: number, replayCodes: readonly number[] = DEFAULT_REPLAY_CODES): CodeInfo {
  const known = TENCENT_CODES[code];
  if (known) return known;
  if (replayCodes.includes(code)) return { meaning: 'nonce reused or timestamp out of range', kind: 'replay' };
  return { meaning: 'undocumented code', kind: 'other' };
}

export type RetryDecision =
  /** Wait `delayMs`, then try again with fresh auth params. */
  | { action: 'retry'; delayMs: number }
  /** Try again at once with a fresh nonce and timestamp (at most once). */
  | { action: 'fresh' }
  /** An auth problem; `expired` says a refreshed token may fix it (refresh, then retry once). */
  | { action: 'auth'; expired: boolean }
  /** Give up now; `retryAfterMs` says when trying again may succeed (absent: not by waiting). */
  | { action: 'fail'; retryAfterMs?: number };

export interface RetryContext {
  /** Attempts made so far, the failed one included (1 after the first failure). */
  attempt: number;
  /** The server's clock (Date header) when known, else the local clock: windows are the server's. */
  nowMs: number;
  /** Attempts allowed for retryable kinds, the first included. Default 4. */
  maxAttempts?: number;
  /** Time left before the caller's deadline; a wait that does not fit becomes `fail` with its retryAfterMs. */
  remainingMs?: number;
  /** Override of the per-day reset (TENCENT_DAILY_RETRY_AFTER_SECONDS): seconds to wait after an 11018. */
  dailyRetryAfterSeconds?: number;
  random?: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export const MINUTE_MS = 60_000;
/** GMT+8, the Marketing API's documented time zone. */
const GMT8_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** Milliseconds until the next minute boundary of `nowMs` (a full minute when exactly on one). */
export function msUntilNextMinute(nowMs: number): number {
  return MINUTE_MS - (((nowMs % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
}

/**
 * When a per-day limit is assumed to reset. UNKNOWN upstream: the FAQ only says "retry in a day" (and that
 * calls recover ~5 minutes after a limit). Default: the next midnight GMT+8; `overrideSeconds` replaces it.
 */
export function msUntilDailyReset(nowMs: number, overrideSeconds?: number): number {
  if (overrideSeconds !== undefined) return Math.max(0, overrideSeconds * 1000);
  const local = nowMs + GMT8_MS;
  return DAY_MS - (((local % DAY_MS) + DAY_MS) % DAY_MS);
}

/** Full jitter in [0, min(max, base·2^(attempt-1))). */
function jitter(context: RetryContext): number {
  const ceiling = Math.min(context.maxDelayMs ?? 8_000, (context.baseDelayMs ?? 500) * 2 ** (context.attempt - 1));
  return Math.floor((context.random ?? Math.random)() * ceiling);
}

/** Retry, unless attempts are spent or the wait does not fit the deadline: then fail saying when to come back. */
function waitOrFail(delayMs: number, context: RetryContext): RetryDecision {
  const spent = context.attempt >= (context.maxAttempts ?? 4);
  const tooLate = context.remainingMs !== undefined && delayMs > context.remainingMs;
  return spent || tooLate ? { action: 'fail', retryAfterMs: Math.max(delayMs, 1000) } : { action: 'retry', delayMs };
}

/** The one retry decision for a business code. */
export function retryDecision(
  code: number,
  context: RetryContext,
  replayCodes: readonly number[] = DEFAULT_REPLAY_CODES,
): RetryDecision {
  const { kind } = codeInfo(code, replayCodes);
  switch (kind) {
    case 'busy':
      return waitOrFail(jitter(context), context);
    case 'per-second':
      // The next second's window: wait until it starts, plus jitter so concurrent callers do not collide.
      return waitOrFail(1000 - (context.nowMs % 1000) + Math.floor((context.random ?? Math.random)() * 250), context);
    case 'per-minute':
    case 'app-limit':
      return waitOrFail(msUntilNextMinute(context.nowMs), context);
    case 'per-day':
      return { action: 'fail', retryAfterMs: msUntilDailyReset(context.nowMs, context.dailyRetryAfterSeconds) };
    case 'auth':
    case 'scope':
      return { action: 'auth', expired: code === EXPIRED_TOKEN_CODE };
    case 'replay':
      return context.attempt <= 1 ? { action: 'fresh' } : { action: 'fail' };
    default:
      return { action: 'fail' };
  }
}

/** The server clock from an HTTP Date header (second precision), falling back to the local clock. */
export function serverNowMs(dateHeader: string | null | undefined, localNowMs: number): number {
  const parsed = dateHeader ? Date.parse(dateHeader) : Number.NaN;
  return Number.isNaN(parsed) ? localNowMs : parsed;
}

/** `X-RateLimit-Remaining` as a number; undefined when absent or unreadable (its exact scope is unknown). */
export function rateLimitRemaining(header: string | null | undefined): number | undefined {
  if (header === null || header === undefined || !/^\s*\d+\s*$/.test(header)) return undefined;
  return Number(header);
}
