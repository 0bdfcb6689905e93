// The AppError tree: each class name is also the ASL ErrorEquals name; statusCode/expose drive HTTP answers,
// `retryable` drives lib/retry.ts (a class default, `static transient`, that one instance may override).

export interface FieldError {
  field?: string;
  message: string;
}

export interface AppErrorOptions {
  cause?: unknown;
  errors?: FieldError[];
  /** Extra, already-redacted facts safe to show a caller (upstream code, trace id…). */
  details?: Record<string, unknown>;
  /** Overrides the class default (`transient`) for this one error. */
  retryable?: boolean;
  /** How long the upstream asked us to wait before trying again (Retry-After). */
  retryAfterMs?: number;
}

export class AppError extends Error {
  /** Whether errors of this class are worth another try by default (throttling, outages, timeouts). */
  static readonly transient: boolean = false;
  override name = 'AppError';
  statusCode = 500;
  /** When true the message is safe to show to an HTTP caller. */
  expose = false;
  errors: FieldError[];
  details: Record<string, unknown>;
  /** Another attempt may succeed; read by isRetryable (lib/retry.ts). */
  retryable: boolean;
  retryAfterMs?: number;

  constructor(message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors ?? [];
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? (new.target as typeof AppError).transient;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

export class ConfigError extends AppError {
  override name = 'ConfigError';
}

export class BadRequest extends AppError {
  override name = 'BadRequest';
  override statusCode = 400;
  override expose = true;
}

export class NotFound extends AppError {
  override name = 'NotFound';
  override statusCode = 404;
  override expose = true;
}

export class Conflict extends AppError {
  override name = 'Conflict';
  override statusCode = 409;
  override expose = true;
}

/** The query is valid but too broad to answer within limits; the caller should narrow it. */
export class QueryTooBroad extends AppError {
  override name = 'QueryTooBroad';
  override statusCode = 422;
  override expose = true;
}

/** Generic transport failures raised by lib/http.ts. */
export class HttpTimeout extends AppError {
  static override readonly transient = true;
  override name = 'HttpTimeout';
  override statusCode = 504;
  override expose = true;
}

export class HttpNetworkError extends AppError {
  static override readonly transient = true;
  override name = 'HttpNetworkError';
  override statusCode = 503;
  override expose = true;
}

/** Something we depend on misbehaved; safe to tell the caller which upstream and why. */
export class UpstreamError extends AppError {
  override name = 'UpstreamError';
  override statusCode = 502;
  override expose = true;
}

export class GrowingIoUnauthorized extends UpstreamError {
  override name = 'GrowingIoUnauthorized';
}

export class GrowingIoExportFailed extends UpstreamError {
  override name = 'GrowingIoExportFailed';
}

export class GrowingIoThrottled extends UpstreamError {
  static override readonly transient = true;
  override name = 'GrowingIoThrottled';
  override statusCode = 503;
}

export class GrowingIoUnavailable extends UpstreamError {
  static override readonly transient = true;
  override name = 'GrowingIoUnavailable';
  override statusCode = 503;
}

export class GrowingIoBadResponse extends UpstreamError {
  override name = 'GrowingIoBadResponse';
}

export class UntrustedDownloadLink extends UpstreamError {
  override name = 'UntrustedDownloadLink';
}

export class DownloadLinkExpired extends UpstreamError {
  override name = 'DownloadLinkExpired';
}

/** A download broke (5xx, 429, network, truncated body): fetching the file again may work. */
export class DownloadFailed extends UpstreamError {
  static override readonly transient = true;
  override name = 'DownloadFailed';
}

/** A download that will fail the same way every time (404, an unsupported encoding): never retried. */
export class DownloadRefused extends UpstreamError {
  override name = 'DownloadRefused';
}

export class ExportTimedOut extends UpstreamError {
  override name = 'ExportTimedOut';
  override statusCode = 504;
}

export class TencentAuthError extends UpstreamError {
  override name = 'TencentAuthError';
}

export class TencentRateLimited extends UpstreamError {
  static override readonly transient: boolean = true;
  override name = 'TencentRateLimited';
  override statusCode = 503;
}

export class TencentApiError extends UpstreamError {
  override name = 'TencentApiError';
}

export class TencentUnavailable extends UpstreamError {
  static override readonly transient = true;
  override name = 'TencentUnavailable';
  override statusCode = 503;
}

/** The per-day limit (11018): never retried; `retryAfterMs` says when the quota is assumed to reset. */
export class TencentQuotaExhausted extends TencentRateLimited {
  static override readonly transient: boolean = false;
  override name = 'TencentQuotaExhausted';
}

/** A filtered scan needs more upstream calls than X-RateLimit-Remaining allows: refused before it half-runs. */
export class TencentQuotaInsufficient extends TencentRateLimited {
  static override readonly transient: boolean = false;
  override name = 'TencentQuotaInsufficient';
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

/** A paging snapshot that does not exist (any more) or belongs to another account. */
export class SnapshotGone extends AppError {
  override name = 'SnapshotGone';
  override statusCode = 410;
  override expose = true;
}

/** Writing or cleaning up export objects in S3 failed (after the SDK's own retries). */
export class ExportStorageFailed extends AppError {
  override name = 'ExportStorageFailed';
  override statusCode = 502;
  override expose = true;
}

/** A transient S3 failure (5xx, throttling, network) that outlasted the SDK's own retries: worth another try. */
export class ExportStorageUnavailable extends ExportStorageFailed {
  static override readonly transient = true;
  override name = 'ExportStorageUnavailable';
  override statusCode = 503;
}

/** The export's execution is no longer RUNNING (stopped, timed out, failed): nothing more may be published. */
export class ExportStopped extends AppError {
  override name = 'ExportStopped';
  override statusCode = 409;
  override expose = true;
}

/** The caller's abort signal fired (a Lambda deadline, a cancelled request): the work stopped where it was. */
export class OperationAborted extends AppError {
  override name = 'OperationAborted';
  override statusCode = 503;
  override expose = true;
}

/** A short, serialisable view of an error for logs, manifests and HTTP bodies. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Tencent did not answer within the request timeout, even after retries. */
export class TencentTimeout extends UpstreamError {
  static override readonly transient = true;
  override name = 'TencentTimeout';
  override statusCode = 504;
}
