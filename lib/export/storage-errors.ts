// S3 failures as AppErrors: transient ones (5xx, throttling, network) retryable, final ones (denied, no bucket) not.
import { ExportStorageFailed, ExportStorageUnavailable } from '../errors.ts';
import { reasonOf } from './download.ts';

const FINAL_CODES = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'NoSuchUpload',
  'InvalidBucketName',
  'InvalidArgument',
  'InvalidPart',
  'InvalidPartOrder',
  'EntityTooSmall',
  'EntityTooLarge',
  'KMS.DisabledException',
]);
const THROTTLING = /throttl|slowdown|toomanyrequests|requestlimitexceeded|serviceunavailable|internalerror/i;
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Whether another attempt may succeed: the SDK's own verdict, a 5xx/429, throttling or a network error. */
export function isTransientStorageError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const sdk = error as SdkErrorShape;
  const name = sdk.name ?? '';
  if (FINAL_CODES.has(name) || FINAL_CODES.has(sdk.code ?? '')) return false;
  const status = sdk.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (status !== undefined && status >= 400) return THROTTLING.test(name);
  if (sdk.$retryable || THROTTLING.test(name)) return true;
  if (NETWORK_CODES.has(sdk.code ?? '') || ['TimeoutError', 'AbortError'].includes(name)) return name !== 'AbortError';
  return sdk.$fault === 'server';
}

/** `Writing {what} to S3 failed: …` as ExportStorageUnavailable (transient) or ExportStorageFailed (final). */
export function storageFailed(error: unknown, what: string): ExportStorageFailed {
  if (error instanceof ExportStorageFailed) return error;
  const Class = isTransientStorageError(error) ? ExportStorageUnavailable : ExportStorageFailed;
  return new Class(`Writing ${what} to S3 failed: ${reasonOf(error)}`, { cause: error });
}
