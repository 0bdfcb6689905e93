// Typed errors for Tencent calls, built from a business code or an HTTP status through the one retry decision.
// New classes live here until lib/errors.ts takes them; `retryable`/`retryAfterMs` match the shared AppError fields.
import {
  AppError,
  type AppErrorOptions,
  TencentApiError,
  TencentAuthError,
  TencentRateLimited,
  TencentUnavailable,
  type UpstreamError,
} from '../errors.ts';
import { redactText } from '../log.ts';
import { codeInfo, DEFAULT_REPLAY_CODES, type RetryContext, retryDecision } from './error-codes.ts';
import { lenientString } from './items.ts';

export interface RetryHint {
  retryable: boolean;
  retryAfterMs?: number;
}

export type HintedError = UpstreamError & RetryHint;

/** The per-day limit: never retried by the client; `retryAfterMs` says when the quota is assumed to reset. */
export class TencentQuotaExhausted extends TencentRateLimited {
  override name = 'TencentQuotaExhausted';
}

/** An upload larger than the configured limit (Tencent: 100 MB zipped); refused before or while sending. */
export class TencentFileTooLarge extends TencentApiError {
  override name = 'TencentFileTooLarge';
  override statusCode = 413;
}

/** New tokens were issued but could not be written back (e.g. SSM); they stay in memory for this container. */
export class TencentTokenWriteBackFailed extends AppError {
  override name = 'TencentTokenWriteBackFailed';
  override statusCode = 502;
  override expose = true;
}

export function withHint<E extends UpstreamError>(error: E, hint: RetryHint): E & RetryHint {
  return Object.assign(error, hint);
}

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
  const options: AppErrorOptions = { details };
  const what = `Tencent ${context.operation} failed with code ${code} (${info.meaning})${said ? `: ${said}` : ''}`;
  const decision = retryDecision(code, { attempt: 1, ...context }, replayCodes);
  switch (decision.action) {
    case 'auth':
      return withHint(new TencentAuthError(`${what}; renew the token or check the app's authorization`, options), {
        retryable: false,
      });
    case 'fresh':
      return withHint(new TencentApiError(what, options), { retryable: true, retryAfterMs: 0 });
    case 'retry': {
      const Class = info.kind === 'busy' ? TencentUnavailable : TencentRateLimited;
      return withHint(new Class(`${what}; retry later`, options), { retryable: true, retryAfterMs: decision.delayMs });
    }
    default:
      if (info.kind === 'per-day') {
        const hours = ((decision.retryAfterMs ?? 0) / 3_600_000).toFixed(1);
        const message = `${what}: the app's daily request quota for this call is used up; not retried, try again in about ${hours} h (reset time assumed, see TENCENT_DAILY_RETRY_AFTER_SECONDS)`;
        return withHint(new TencentQuotaExhausted(message, options), {
          retryable: false,
          ...(decision.retryAfterMs !== undefined ? { retryAfterMs: decision.retryAfterMs } : {}),
        });
      }
      return withHint(new TencentApiError(what, options), { retryable: false });
  }
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
    return withHint(new TencentRateLimited(`Tencent ${operation} throttled (HTTP 429); retry later`, { details }), {
      retryable: true,
      retryAfterMs: retryAfterMs ?? 1000,
    });
  }
  if (status >= 500) {
    return withHint(new TencentUnavailable(`Tencent ${operation} answered HTTP ${status}`, { details }), {
      retryable: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  return withHint(new TencentApiError(`Tencent ${operation} answered HTTP ${status}`, { details }), {
    retryable: false,
  });
}

/** A transport failure (network, timeout) with every secret removed from its message. */
export function transportError(error: unknown, operation: string, secrets: readonly string[]): HintedError {
  const message = redactText(error instanceof Error ? error.message : String(error), secrets);
  return withHint(new TencentUnavailable(`Tencent ${operation} unreachable: ${message}`), { retryable: true });
}
