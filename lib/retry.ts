// The one retry loop: retryability is a property of the error, full-jitter backoff, Retry-After, abortable waits.
import { AppError, OperationAborted } from './errors.ts';

export interface Clock {
  now(): number;
  /** Resolves after `ms`; may reject early when `signal` aborts (withRetry also stops waiting by itself). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer = setTimeout(done, ms);
      function done() {
        signal?.removeEventListener('abort', aborted);
        resolve();
      }
      function aborted() {
        clearTimeout(timer);
        reject(abortError(signal!));
      }
      signal?.addEventListener('abort', aborted, { once: true });
    }),
};

export interface RetryInfo {
  /** The attempt that just failed (1 = the first). */
  attempt: number;
  delayMs: number;
  error: AppError;
}

export interface WithRetryOptions {
  /** Total attempts including the first; 1 disables retries. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the error is rethrown for the caller to reschedule. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  clock?: Clock;
  random?: () => number;
  onRetry?: (info: RetryInfo) => void;
}

/** The one retry decision: an AppError marked retryable (by its class or by whoever raised it). */
export function isRetryable(error: unknown): error is AppError {
  return error instanceof AppError && error.retryable;
}

/** Full jitter: a uniform delay in [0, min(max, base·2^(attempt-1))). */
export function backoffDelay(
  attempt: number,
  options: Pick<WithRetryOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Runs `attempt` until it resolves, throws a non-retryable error, runs out of attempts, meets a Retry-After
 * above `maxRetryAfterMs`, or `signal` aborts (then OperationAborted, also in the middle of a wait).
 * The last error is rethrown as is (its message noting the attempts when they ran out).
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: WithRetryOptions,
): Promise<T> {
  const { signal } = options;
  const clock = options.clock ?? systemClock;
  for (let attemptNumber = 1; ; attemptNumber++) {
    throwIfAborted(signal);
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      throwIfAborted(signal);
      const delayMs = retryDelay(error, attemptNumber, options);
      if (delayMs === undefined) throw gaveUp(error, attemptNumber, options.maxAttempts);
      options.onRetry?.({ attempt: attemptNumber, delayMs, error: error as AppError });
      if (delayMs > 0) await sleepUnlessAborted(clock, delayMs, signal);
    }
  }
}

/** How long to wait before the next attempt, or undefined when there must be none. */
function retryDelay(error: unknown, attemptNumber: number, options: WithRetryOptions): number | undefined {
  if (!isRetryable(error) || attemptNumber >= options.maxAttempts) return undefined;
  const { retryAfterMs } = error;
  if (retryAfterMs === undefined) return backoffDelay(attemptNumber, options, options.random ?? Math.random);
  if (options.maxRetryAfterMs !== undefined && retryAfterMs > options.maxRetryAfterMs) return undefined;
  return Math.max(0, retryAfterMs);
}

/** The error that ended the loop; when it ran out of attempts, its message says how many there were. */
function gaveUp(error: unknown, attempts: number, maxAttempts: number): unknown {
  if (isRetryable(error) && attempts > 1 && attempts >= maxAttempts) {
    error.message = `${error.message} (gave up after ${attempts} attempts)`;
  }
  return error;
}

async function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return clock.sleep(ms);
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([clock.sleep(ms, signal), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  throwIfAborted(signal);
}

/** The named error for an aborted signal: its reason when that is already an AppError, else OperationAborted. */
export function abortError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  const why = reason instanceof Error ? reason.message : 'the operation was cancelled';
  return new OperationAborted(`Stopped before finishing: ${why}`, { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** The caller's signal and a per-call one (a timeout, a sibling's failure) as one; undefined when neither. */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  return present.length <= 1 ? present[0] : AbortSignal.any(present);
}
