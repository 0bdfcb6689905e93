// S3 failures: transient ones become the retryable ExportStorageUnavailable (the ASL retries it by name), final ones
// stay ExportStorageFailed (never retried).
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ExportStorageFailed, ExportStorageUnavailable } from '../../lib/errors.ts';
import { isTransientStorageError, storageFailed } from '../../lib/export/storage-errors.ts';
import { isRetryable } from '../../lib/retry.ts';

function sdkError(name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') {
  return new S3ServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
    message: `${name} happened`,
  });
}

describe('S3 failures', () => {
  it.each([
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['SlowDown', 503],
    ['RequestTimeout', 500],
    ['ThrottlingException', 400],
    ['TooManyRequests', 429],
  ])('%s (%i) is transient: ExportStorageUnavailable, retryable', (name, status) => {
    const error = storageFailed(sdkError(name, status), 'part-00001.csv');
    expect(error).toBeInstanceOf(ExportStorageUnavailable);
    expect(error.name).toBe('ExportStorageUnavailable');
    expect(isRetryable(error)).toBe(true);
    expect(error.message).toBe(`Writing part-00001.csv to S3 failed: ${name}: ${name} happened`);
  });

  it.each([
    ['AccessDenied', 403],
    ['NoSuchBucket', 404],
    ['NoSuchUpload', 404],
    ['InvalidAccessKeyId', 403],
  ])('%s (%i) is final: ExportStorageFailed, not retryable', (name, status) => {
    const error = storageFailed(sdkError(name, status), 'part-00001.csv');
    expect(error.name).toBe('ExportStorageFailed');
    expect(error).not.toBeInstanceOf(ExportStorageUnavailable);
    expect(isRetryable(error)).toBe(false);
  });

  it('treats network errors as transient and unknown errors as final', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(isTransientStorageError(reset)).toBe(true);
    expect(isTransientStorageError(new Error('bad'))).toBe(false);
    expect(isTransientStorageError('text')).toBe(false);
  });

  it('keeps an error that is already a storage failure as it is', () => {
    const original = new ExportStorageFailed('S3 holds 2 parts');
    expect(storageFailed(original, 'x')).toBe(original);
  });
});
