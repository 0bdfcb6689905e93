// What the AWS SDK client factories share (lib/s3-client.ts, lib/sfn-client.ts): endpoint, region and credentials.
// SDK-free, and one module per client, so a bundle loads only the SDK clients its handler uses.

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

export function regionOf(opts: AwsClientOptions): { region?: string } {
  const region = opts.region ?? (opts.endpoint ? LOCAL_REGION : undefined);
  return region ? { region } : {};
}

/** Region, endpoint and credentials as an SDK client's configuration (S3 adds its own path-style addressing). */
export function clientConfig(opts: AwsClientOptions): {
  region?: string;
  endpoint?: string;
  credentials?: AwsClientOptions['credentials'];
} {
  return {
    ...regionOf(opts),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
}
