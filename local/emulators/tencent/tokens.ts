// The emulator's OAuth side: access tokens with lifetimes on the emulator's clock, and GET /oauth/token.
import { randomBytes } from 'node:crypto';

export interface TokenOptions {
  accessToken?: string;
  /** Lifetime of the initial access token; absent ⇒ it never expires (only faults expire it). */
  initialTokenLifetimeSeconds?: number;
  clientId?: number | string;
  clientSecret?: string;
  refreshToken?: string;
  /** Lifetime of tokens issued by /oauth/token (Tencent: about 24 h). */
  accessTokenLifetimeSeconds?: number;
  refreshTokenLifetimeSeconds?: number;
  /** Whether a refresh issues a new refresh_token (and retires the old one). Unknown upstream; default true. */
  rotateRefreshToken?: boolean;
}

export type Outcome = { code: number; param?: string } | { data: Record<string, unknown> };

/** Tokens the emulator issues have this shape; anything else is "malformed" (11004). */
const TOKEN_SHAPE = /^[A-Za-z0-9._-]{1,128}$/;

export class TokenStore {
  readonly initial: string;
  readonly clientId: string;
  readonly clientSecret: string;
  refreshToken: string;
  lifetimeSeconds: number;
  refreshCalls = 0;
  private readonly access = new Map<string, number>();
  private refreshExpiresAt: number;
  private readonly refreshLifetimeSeconds: number;
  private readonly rotate: boolean;

  private readonly now: () => number;

  constructor(options: TokenOptions, now: () => number) {
    this.now = now;
    this.initial = options.accessToken ?? 'tencent-emulator-token';
    this.clientId = String(options.clientId ?? 1_110_000_001);
    this.clientSecret = options.clientSecret ?? 'tencent-emulator-secret';
    this.refreshToken = options.refreshToken ?? 'tencent-emulator-refresh-token';
    this.lifetimeSeconds = options.accessTokenLifetimeSeconds ?? 86_400;
    this.refreshLifetimeSeconds = options.refreshTokenLifetimeSeconds ?? 30 * 86_400;
    this.refreshExpiresAt = now() + this.refreshLifetimeSeconds * 1000;
    this.rotate = options.rotateRefreshToken ?? true;
    const initialLife = options.initialTokenLifetimeSeconds;
    this.access.set(this.initial, initialLife === undefined ? Infinity : now() + initialLife * 1000);
  }

  /** A business code for a token that cannot be used, undefined when it is good. */
  check(token: string | null): number | undefined {
    if (token === null || token === '') return 11005;
    if (!TOKEN_SHAPE.test(token)) return 11004;
    const expiresAt = this.access.get(token);
    if (expiresAt === undefined) return 11002;
    return expiresAt <= this.now() ? 11000 : undefined;
  }

  /** Every access token issued so far is expired now; tokens issued later work. */
  expireAll(): void {
    for (const token of this.access.keys()) this.access.set(token, this.now());
  }

  /** GET /oauth/token with grant_type=refresh_token. Code numbers for client errors follow the errors page. */
  grant(params: URLSearchParams): Outcome {
    this.refreshCalls += 1;
    for (const name of ['client_id', 'client_secret', 'grant_type']) {
      if (!params.get(name)) return { code: 12000, param: name };
    }
    if (params.get('client_id') !== this.clientId || params.get('client_secret') !== this.clientSecret) {
      return { code: 11007 };
    }
    if (params.get('grant_type') !== 'refresh_token') return { code: 12001, param: 'grant_type' };
    const presented = params.get('refresh_token') ?? '';
    if (presented !== this.refreshToken) return { code: 11010, param: 'refresh_token' };
    if (this.refreshExpiresAt <= this.now()) return { code: 11012 };
    const accessToken = `at-${randomBytes(12).toString('hex')}`;
    this.access.set(accessToken, this.now() + this.lifetimeSeconds * 1000);
    if (this.rotate) {
      this.refreshToken = `rt-${randomBytes(12).toString('hex')}`;
      this.refreshExpiresAt = this.now() + this.refreshLifetimeSeconds * 1000;
    }
    return {
      data: {
        access_token: accessToken,
        refresh_token: this.refreshToken,
        access_token_expires_in: this.lifetimeSeconds,
        refresh_token_expires_in: Math.round((this.refreshExpiresAt - this.now()) / 1000),
      },
    };
  }
}
