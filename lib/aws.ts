// AWS SDK clients that honour local/compatible endpoints (S3_ENDPOINT, SFN_ENDPOINT) and stay quiet about checksums.
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';

export interface AwsClientOptions {
  /** A local or S3-compatible endpoint; absent means the real AWS endpoint for the region. */
  endpoint?: string;
  region?: string;
  /** Explicit credentials (local emulators); absent means the SDK's default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

// Local endpoints ignore the region but the SDK still wants one; for real AWS the SDK resolves it
// itself (AWS_REGION on Lambda, profile/env elsewhere), so nothing is invented there.
const LOCAL_REGION = 'us-east-1';

function regionOf(opts: AwsClientOptions): { region?: string } {
  const region = opts.region ?? (opts.endpoint ? LOCAL_REGION : undefined);
  return region ? { region } : {};
}

/**
 * An S3 client. With an endpoint, buckets are addressed by path (local servers have no DNS per bucket).
 * Checksums only when an operation requires them: S3-compatible servers often reject or mis-store
 * the newer flexible-checksum trailers (aws-chunked bodies).
 */
export function createS3Client(opts: AwsClientOptions = {}): S3Client {
  return new S3Client({
    ...regionOf(opts),
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A Step Functions client, optionally pointed at a local Step Functions endpoint. */
export function createSfnClient(opts: AwsClientOptions = {}): SFNClient {
  return new SFNClient({
    ...regionOf(opts),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
}
