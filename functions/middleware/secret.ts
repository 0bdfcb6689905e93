// The one way a handler reads an access token: a plain setting (local use) or an SSM SecureString (decrypted, cached
// by @middy/ssm), put on the Lambda context and registered with the logger so it is redacted from then on.
import type { MiddlewareObj } from '@middy/core';
import ssm from '@middy/ssm';
import type { Config } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';

/** Context key ⇒ the two settings it comes from: the plain value (wins when set) and the SSM parameter's name. */
const TOKENS = {
  growingIoToken: ['GROWINGIO_TOKEN', 'GROWINGIO_TOKEN_PARAMETER'],
  tencentAccessToken: ['TENCENT_ACCESS_TOKEN', 'TENCENT_ACCESS_TOKEN_PARAMETER'],
} as const satisfies Record<string, readonly [keyof Config, keyof Config]>;

export type TokenKey = keyof typeof TOKENS;

export interface TokenOptions {
  cacheExpiryMs?: number;
  /** SSM client options (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
}

/** SSM read cache: a rotated secret is picked up within this long. */
export const SECRET_CACHE_MS = 5 * 60_000;

/** Middlewares to `.use()` in order; the token is then `context[contextKey]`. Every failure is a ConfigError. */
export function tokenToContext<E, R>(
  contextKey: TokenKey,
  config: Config,
  logger: Logger,
  source: TokenOptions = {},
): MiddlewareObj<E, R>[] {
  const settings = TOKENS[contextKey];
  const [valueSetting, parameterSetting] = settings;
  const [value, parameterName] = [config[valueSetting], config[parameterSetting]];
  if (value) {
    logger.addSecret(value);
    return [{ before: (request) => void Object.assign(request.context, { [contextKey]: value }) }];
  }
  if (!parameterName) {
    const error = configError(`Missing configuration: set ${valueSetting} or ${parameterSetting}`, settings);
    return [{ before: () => Promise.reject(error) }];
  }
  const register: MiddlewareObj<E, R> = {
    before: (request) => {
      const secret = (request.context as unknown as Record<string, unknown>)[contextKey];
      if (typeof secret !== 'string' || secret === '') {
        throw configError(`The SSM parameter named by ${parameterSetting} is empty or not a string`, [
          parameterSetting,
        ]);
      }
      logger.addSecret(secret);
    },
  };
  const fetcher = ssm({
    fetchData: { [contextKey]: parameterName },
    setToContext: true,
    cacheExpiry: source.cacheExpiryMs ?? SECRET_CACHE_MS,
    // middy's cache is process-wide: key it by parameter so two handlers never share a secret.
    cacheKey: `ssm:${parameterName}`,
    ...(source.ssmClientOptions ? { awsClientOptions: source.ssmClientOptions } : {}),
  }) as MiddlewareObj<E, R>;
  return [fetcher, register];
}

function configError(message: string, settings: readonly string[]): ConfigError {
  return new ConfigError(message, {
    errors: settings.map((field) => ({ field, message: 'no access token configured' })),
  });
}
