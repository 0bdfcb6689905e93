// The Step Functions client, honouring a local endpoint (SFN_ENDPOINT).
import { SFNClient } from '@aws-sdk/client-sfn';
import { type AwsClientOptions, clientConfig } from './aws.ts';

/** A Step Functions client, optionally pointed at a local Step Functions endpoint. */
export function createSfnClient(opts: AwsClientOptions = {}): SFNClient {
  return new SFNClient(clientConfig(opts));
}
