// Typed errors for Tencent calls, built from a business code or an HTTP status through the one retry decision
// (error-codes.ts): reads (client.ts) and writes (audiences.ts) share it. The classes live in lib/errors.ts.
import {
  type AppErrorOptions,
  TencentApiError,
  TencentAuthError,
  TencentQuotaExhausted,
  TencentRateLimited,
  TencentUnavailable,
  type UpstreamError,
} from '../errors.ts';
import { redactText } from '../log.ts';
import { codeInfo, DEFAULT_REPLAY_CODES, type RetryContext, retryDecision } from './error-codes.ts';
import { lenientString } from './items.ts';

/** An upstream error; `retryable`/`retryAfterMs` (AppError fields) carry the retry hint. */
export type HintedError = UpstreamError;

export interface BusinessContext extends Partial<RetryContext> {
  nowMs: number;
  traceId?: string | undefined;
  secrets: readonly string[];
  replayCodes?: readonly number[];
  /** What was being done, for the message: "custom_audiences/add". */
  operation: string;
}

/** A typed, redacted error for a business code (HTTP 200, code != 0), carrying its retry hint. */
export function businessError(code: number, body: Record<string, unknown>, context: BusinessContext): HintedError {
  const replayCodes = context.replayCodes ?? DEFAULT_REPLAY_CODES;
  const info = codeInfo(code, replayCodes);
  const said = redactText(lenientString(body.message), context.secrets);
  const details = {
    code,
    kind: info.kind,
    message_cn: redactText(lenientString(body.message_cn), context.secrets),
    traceId: context.traceId,
  };
  const options = (hint: Pick<AppErrorOptions, 'retryable' | 'retryAfterMs'>): AppErrorOptions => ({
    details,
    ...hint,
  });
  const what = `Tencent ${context.operation} failed with code ${code} (${info.meaning})${said ? `: ${said}` : ''}`;
  const decision = retryDecision(code, { attempt: 1, ...context }, replayCodes);
  switch (decision.action) {
    case 'auth':
      return new TencentAuthError(
        `${what}; renew the token or check the app's authorization`,
        options({ retryable: false }),
      );
    case 'fresh':
      return new TencentApiError(what, options({ retryable: true, retryAfterMs: 0 }));
    case 'retry': {
      const Class = info.kind === 'busy' ? TencentUnavailable : TencentRateLimited;
      return new Class(`${what}; retry later`, options({ retryable: true, retryAfterMs: decision.delayMs }));
    }
    default: {
      const spent = (context.attempt ?? 1) >= (context.maxAttempts ?? 4) && (context.attempt ?? 1) > 1;
      const tried = spent ? `${what} (gave up after ${context.attempt} attempts)` : what;
      return failed(tried, info.kind, decision.retryAfterMs, options);
    }
  }
}

/** A business error that is not retried here; rate limits still say when to come back. */
function failed(
  what: string,
  kind: string,
  retryAfterMs: number | undefined,
  options: (hint: Pick<AppErrorOptions, 'retryable' | 'retryAfterMs'>) => AppErrorOptions,
): HintedError {
  const after = retryAfterMs !== undefined ? { retryAfterMs } : {};
  if (kind === 'per-day') {
    const hours = ((retryAfterMs ?? 0) / 3_600_000).toFixed(1);
    const message = `${what}: per-day limit: the app's daily request quota for this call is used up; not retried, try again in about ${hours} h (reset time assumed, see TENCENT_DAILY_RETRY_AFTER_SECONDS)`;
    return new TencentQuotaExhausted(message, options({ retryable: false, ...after }));
  }
  if (kind === 'per-minute' || kind === 'app-limit' || kind === 'per-second' || kind === 'busy') {
    const Class = kind === 'busy' ? TencentUnavailable : TencentRateLimited;
    const seconds = Math.ceil((retryAfterMs ?? 1000) / 1000);
    return new Class(`${what}; retry in ${seconds} s`, options({ retryable: false, ...after }));
  }
  return new TencentApiError(what, options({ retryable: false }));
}

/** A typed error for a non-2xx answer: 429 and 5xx are retryable (Retry-After honoured), other statuses not. */
export function httpError(
  status: number,
  retryAfterMs: number | undefined,
  traceId: string | undefined,
  operation: string,
): HintedError {
  const details = { httpStatus: status, traceId };
  if (status === 429) {
    return new TencentRateLimited(`Tencent ${operation} throttled (HTTP 429); retry later`, {
      details,
      retryable: true,
      retryAfterMs: retryAfterMs ?? 1000,
    });
  }
  if (status >= 500) {
    return new TencentUnavailable(`Tencent ${operation} answered HTTP ${status}`, {
      details,
      retryable: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  return new TencentApiError(`Tencent ${operation} answered HTTP ${status}`, { details, retryable: false });
}

/** A transport failure (network, timeout) with every secret removed from its message. */
export function transportError(error: unknown, operation: string, secrets: readonly string[]): HintedError {
  const message = redactText(error instanceof Error ? error.message : String(error), secrets);
  return new TencentUnavailable(`Tencent ${operation} unreachable: ${message}`, { retryable: true });
}
