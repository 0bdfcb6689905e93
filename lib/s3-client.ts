// The S3 client, honouring a local/compatible endpoint (S3_ENDPOINT) and quiet about checksums.
import { S3Client } from '@aws-sdk/client-s3';
import { type AwsClientOptions, clientConfig } from './aws.ts';

/**
 * An S3 client. With an endpoint, buckets are addressed by path (local servers have no DNS per bucket).
 * Checksums only when an operation requires them: S3-compatible servers often reject or mis-store
 * the newer flexible-checksum trailers (aws-chunked bodies).
 */
export function createS3Client(opts: AwsClientOptions = {}): S3Client {
  return new S3Client({
    ...clientConfig(opts),
    ...(opts.endpoint ? { forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    logger: sdkLogger,
  });
}

/**
 * The SDK's own output. With a logger given, the SDK logs every command (info) and every failed one with its whole
 * input (error): both are dropped, our errors name what failed. Its warnings still reach the console, less one: "An
 * error was encountered in a non-retryable streaming request." on every failed streamed UploadPart, which the copy
 * sends again itself (a fresh stream of the same part) or cancels on purpose (a part a slice will not finish).
 */
const sdkLogger = {
  debug: () => {},
  info: () => {},
  warn: (...args: unknown[]) => {
    if (!String(args[0]).includes('non-retryable streaming request')) console.warn(...args);
  },
  error: () => {},
};
