// Per-request auth parameters for the Marketing API: access_token, timestamp (seconds) and a fresh nonce.
import { randomBytes } from 'node:crypto';

export interface AuthParams {
  access_token: string;
  timestamp: string;
  nonce: string;
}

/** 32 hex characters (128 random bits): the API allows ≤ 32 chars and rejects any nonce seen before. */
export function createNonce(): string {
  return randomBytes(16).toString('hex');
}

/** Whole seconds since the epoch; Tencent accepts ±300 s of skew. */
export function timestampSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}

/** Fresh auth parameters for one attempt: never reuse them for a retry (the nonce would be rejected). */
export function authParams(accessToken: string, nowMs: number, nonce: () => string = createNonce): AuthParams {
  return { access_token: accessToken, timestamp: String(timestampSeconds(nowMs)), nonce: nonce() };
}
