import { describe, expect, it } from 'vitest';
import {
  type AppError,
  BadRequest,
  DownloadFailed,
  DownloadRefused,
  GrowingIoThrottled,
  OperationAborted,
  TencentApiError,
} from '../../lib/errors.ts';
import { type Clock, isRetryable, type RetryInfo, withRetry } from '../../lib/retry.ts';
import { fakeClock } from '../helpers/fake-clock.ts';

const POLICY = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

/** An attempt function failing with the given errors in turn, then resolving with 'ok'. */
function scripted(failures: Error[]) {
  const calls: number[] = [];
  const attempt = async (attemptNumber: number) => {
    calls.push(attemptNumber);
    const failure = failures[calls.length - 1];
    if (failure) throw failure;
    return 'ok';
  };
  return { attempt, calls };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason as Error,
  );
  if (!error) throw new Error('expected a rejection');
  return error;
}

describe('isRetryable', () => {
  it('reads the class default, which one error may override', () => {
    expect(isRetryable(new DownloadFailed('x'))).toBe(true);
    expect(isRetryable(new DownloadRefused('x'))).toBe(false);
    expect(isRetryable(new BadRequest('x'))).toBe(false);
    expect(isRetryable(new BadRequest('x', { retryable: true }))).toBe(true);
    expect(isRetryable(new GrowingIoThrottled('x', { retryable: false }))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
    expect(isRetryable({ retryable: true })).toBe(false);
  });
});

describe('withRetry', () => {
  it('retries retryable errors with full-jitter backoff, counting attempts', async () => {
    const clock = fakeClock();
    const retries: RetryInfo[] = [];
    const { attempt, calls } = scripted([new DownloadFailed('a'), new DownloadFailed('b')]);
    const result = await withRetry(attempt, {
      ...POLICY,
      clock,
      random: () => 0.5,
      onRetry: (info) => retries.push(info),
    });
    expect(result).toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([50, 100]);
    expect(retries.map(({ attempt, delayMs, error }) => [attempt, delayMs, error.message])).toEqual([
      [1, 50, 'a'],
      [2, 100, 'b'],
    ]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const clock = fakeClock();
    const { attempt } = scripted(Array.from({ length: 5 }, () => new DownloadFailed('x')));
    await withRetry(attempt, { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 300, clock, random: () => 0.999 });
    expect(clock.sleeps).toEqual([99, 199, 299, 299, 299]);
  });

  it('stops at once on a non-retryable error, rethrowing it unchanged', async () => {
    const clock = fakeClock();
    const refused = new DownloadRefused('HTTP 404');
    const { attempt, calls } = scripted([new DownloadFailed('first'), refused]);
    // random 0.5: full jitter could draw a 0 ms wait, which sleeps not at all.
    const error = await rejection(withRetry(attempt, { ...POLICY, clock, random: () => 0.5 }));
    expect(error).toBe(refused);
    expect(error.message).toBe('HTTP 404');
    expect(calls).toEqual([1, 2]);
    expect(clock.sleeps).toHaveLength(1);
    const plain = scripted([new TypeError('a bug')]);
    await expect(withRetry(plain.attempt, { ...POLICY, clock })).rejects.toThrow(TypeError);
    expect(plain.calls).toEqual([1]);
  });

  it('gives up after maxAttempts with the last error, noting the attempts', async () => {
    const clock = fakeClock();
    const { attempt, calls } = scripted([1, 2, 3].map((n) => new DownloadFailed(`broke ${n}`)));
    const error = await rejection(withRetry(attempt, { ...POLICY, maxAttempts: 3, clock }));
    expect(error).toBeInstanceOf(DownloadFailed);
    expect(error.message).toBe('broke 3 (gave up after 3 attempts)');
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toHaveLength(2);
  });

  it('waits Retry-After instead of the backoff, retries at once on 0, and never sleeps 0 ms', async () => {
    const clock = fakeClock();
    const { attempt, calls } = scripted([
      new GrowingIoThrottled('slow down', { retryAfterMs: 2_500 }),
      new TencentApiError('stale nonce', { retryable: true, retryAfterMs: 0 }),
    ]);
    expect(await withRetry(attempt, { ...POLICY, maxRetryAfterMs: 5_000, clock, random: () => 0 })).toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toEqual([2_500]);
  });

  it('rethrows rather than wait a Retry-After above maxRetryAfterMs', async () => {
    const clock = fakeClock();
    const throttled = new GrowingIoThrottled('slow down', { retryAfterMs: 90_000 });
    const { attempt, calls } = scripted([throttled]);
    const error = await rejection(withRetry(attempt, { ...POLICY, maxRetryAfterMs: 30_000, clock }));
    expect(error).toBe(throttled);
    expect((error as AppError).retryAfterMs).toBe(90_000);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('never starts an attempt once the signal has aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { attempt, calls } = scripted([]);
    const error = await rejection(withRetry(attempt, { ...POLICY, signal: controller.signal, clock: fakeClock() }));
    expect(error).toBeInstanceOf(OperationAborted);
    expect(error.message).toMatch(/^Stopped before finishing/);
    expect(calls).toEqual([]);
  });

  it('stops in the middle of a wait when the signal aborts, with the reason when it is an AppError', async () => {
    // A clock whose sleeps never end by themselves: only the abort can stop the wait.
    const sleeps: number[] = [];
    const stuck: Clock = { now: () => 0, sleep: (ms) => new Promise(() => void sleeps.push(ms)) };
    const controller = new AbortController();
    const { attempt, calls } = scripted([new DownloadFailed('once')]);
    const running = withRetry(attempt, { ...POLICY, baseDelayMs: 60_000, signal: controller.signal, clock: stuck });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sleeps).toHaveLength(1);
    const deadline = new OperationAborted('Lambda deadline reached');
    controller.abort(deadline);
    expect(await rejection(running)).toBe(deadline);
    expect(calls).toEqual([1]);
  });

  it('reports an abort during an attempt as OperationAborted, not as the attempt error', async () => {
    const controller = new AbortController();
    const attempt = async () => {
      controller.abort(new Error('client went away'));
      throw new DownloadFailed('socket closed');
    };
    const error = await rejection(withRetry(attempt, { ...POLICY, signal: controller.signal, clock: fakeClock() }));
    expect(error).toBeInstanceOf(OperationAborted);
    expect(error.message).toContain('client went away');
  });
});
