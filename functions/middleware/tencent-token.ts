// Tencent credentials for the listing handler: a fixed access token, or (with client id, secret and refresh token)
// one token source per container that refreshes through /oauth/token (single flight) and writes new tokens back
// to the SSM SecureStrings they came from.
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { MiddlewareObj } from '@middy/core';
import type { Config } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { Fetch } from '../../lib/http.ts';
import type { Logger } from '../../lib/log.ts';
import { createTokenSource, type TokenSet, type TokenSource } from '../../lib/tencent/oauth.ts';
import { hasSecret, secretsToContext, ssmParameterOf, type TokenKey, type TokenOptions } from './secret.ts';
import { ssmSdk } from './ssm-fetch.ts';

const REFRESH_KEYS: readonly TokenKey[] = ['tencentClientId', 'tencentClientSecret', 'tencentRefreshToken'];

/** What the core reads from the context: a fixed token, or a token source. */
export interface TencentCredentials {
  accessToken?: string;
  tokenSource?: TokenSource;
}

export interface TencentTokenDeps extends TokenOptions {
  fetch?: Fetch | undefined;
  clock?: { now(): number } | undefined;
}

/** Whether refresh is configured; a partial set is a ConfigError naming what is missing. */
export function refreshConfigured(config: Config): boolean {
  const present = REFRESH_KEYS.filter((key) => hasSecret(config, key));
  if (present.length === 0) return false;
  if (present.length === REFRESH_KEYS.length) return true;
  const missing = REFRESH_KEYS.filter((key) => !present.includes(key)).map(settingOf);
  throw new ConfigError(`Missing configuration for Tencent token refresh: ${missing.join(', ')}`, {
    errors: missing.map((field) => ({ field, message: 'is required with the other refresh settings' })),
  });
}

function settingOf(key: TokenKey): string {
  return (
    { tencentClientId: 'TENCENT_CLIENT_ID', tencentClientSecret: 'TENCENT_CLIENT_SECRET' }[key as string] ??
    'TENCENT_REFRESH_TOKEN'
  );
}

/** Middlewares to `.use()`; the core then reads `context.tencent` (TencentCredentials). */
export function tencentCredentials<E, R>(config: Config, logger: Logger, deps: TencentTokenDeps = {}) {
  if (!refreshConfigured(config)) {
    const fixed = secretsToContext<E, R>([{ key: 'tencentAccessToken', required: true }], config, logger, deps);
    const expose: MiddlewareObj<E, R> = {
      before: (request) => {
        const context = request.context as unknown as { tencentAccessToken: string; tencent?: TencentCredentials };
        context.tencent = { accessToken: context.tencentAccessToken };
      },
    };
    return [...fixed, expose];
  }
  const wanted = [
    { key: 'tencentAccessToken' as const, required: false },
    ...REFRESH_KEYS.map((key) => ({ key, required: true })),
  ];
  const holder = containerSource(config, logger, deps);
  const expose: MiddlewareObj<E, R> = {
    before: (request) => {
      const context = request.context as unknown as Record<TokenKey, string | undefined> & {
        tencent?: TencentCredentials;
      };
      context.tencent = { tokenSource: holder(context) };
    },
  };
  return [...secretsToContext<E, R>(wanted, config, logger, deps), expose];
}

/**
 * One token source per container, kept across invocations. It is replaced only when the stored tokens are neither
 * the ones it started from nor the ones it holds now (another container refreshed and wrote back).
 */
function containerSource(config: Config, logger: Logger, deps: TencentTokenDeps) {
  let kept: { seed: string; source: TokenSource } | undefined;
  const writeBack = ssmWriter(config, logger, deps);
  return (stored: Partial<Record<TokenKey, string>>): TokenSource => {
    const seed = `${stored.tencentAccessToken ?? ''}\n${stored.tencentRefreshToken}`;
    const current = kept?.source.current();
    const same = current && `${current.accessToken ?? ''}\n${current.refreshToken}` === seed;
    if (kept && (kept.seed === seed || same)) return kept.source;
    const source = createTokenSource({
      baseUrl: config.TENCENT_BASE_URL,
      clientId: stored.tencentClientId!,
      clientSecret: stored.tencentClientSecret!,
      refreshToken: stored.tencentRefreshToken!,
      ...(stored.tencentAccessToken ? { accessToken: stored.tencentAccessToken } : {}),
      timeoutMs: config.HTTP_TIMEOUT_MS,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      onRefreshed: writeBack,
    });
    kept = { seed, source };
    return source;
  };
}

/** Writes refreshed tokens to the SecureStrings they came from; a failure is logged (this container keeps them). */
function ssmWriter(config: Config, logger: Logger, deps: TencentTokenDeps) {
  const targets = [
    [ssmParameterOf(config, 'tencentAccessToken'), (tokens: TokenSet) => tokens.accessToken],
    [ssmParameterOf(config, 'tencentRefreshToken'), (tokens: TokenSet) => tokens.refreshToken],
  ] as const;
  let client: SSMClient | undefined;
  return async (tokens: TokenSet) => {
    logger.addSecret(tokens.accessToken);
    logger.addSecret(tokens.refreshToken);
    for (const [name, pick] of targets) {
      if (!name) continue;
      try {
        const { PutParameterCommand, SSMClient } = await ssmSdk();
        client ??= new SSMClient({ region: config.AWS_REGION, ...deps.ssmClientOptions });
        await client.send(
          new PutParameterCommand({ Name: name, Value: pick(tokens), Type: 'SecureString', Overwrite: true }),
        );
      } catch (error) {
        const reason = error instanceof Error ? error.name : 'unknown error';
        logger.error('tencent token write-back failed; this container keeps the new tokens', {
          parameter: name,
          reason,
        });
      }
    }
  };
}
