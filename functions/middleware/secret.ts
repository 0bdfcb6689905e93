// The one way a handler reads an access token: a plain setting (local use) or an SSM SecureString (decrypted, cached;
// ssm-fetch.ts), put on the Lambda context and registered with the logger so it is redacted from then on.
import type { MiddlewareObj } from '@middy/core';
import type { Config } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { ssmToContext } from './ssm-fetch.ts';

/** Context key ⇒ the two settings it comes from: the plain value (wins when set) and the SSM parameter's name. */
const TOKENS = {
  growingIoToken: ['GROWINGIO_TOKEN', 'GROWINGIO_TOKEN_PARAMETER'],
  tencentAccessToken: ['TENCENT_ACCESS_TOKEN', 'TENCENT_ACCESS_TOKEN_PARAMETER'],
  tencentRefreshToken: ['TENCENT_REFRESH_TOKEN', 'TENCENT_REFRESH_TOKEN_PARAMETER'],
  tencentClientId: ['TENCENT_CLIENT_ID', 'TENCENT_CLIENT_ID_PARAMETER'],
  tencentClientSecret: ['TENCENT_CLIENT_SECRET', 'TENCENT_CLIENT_SECRET_PARAMETER'],
} as const satisfies Record<string, readonly [keyof Config, keyof Config]>;

export type TokenKey = keyof typeof TOKENS;

/** Not secret (an app id): read like the others but never registered for redaction. */
const PUBLIC_KEYS: readonly TokenKey[] = ['tencentClientId'];

export interface TokenOptions {
  cacheExpiryMs?: number;
  /** SSM client options (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
}

/** SSM read cache: a rotated secret is picked up within this long. */
export const SECRET_CACHE_MS = 5 * 60_000;

/** Whether a setting pair is configured at all (plain value or parameter name). */
export function hasSecret(config: Config, key: TokenKey): boolean {
  const [valueSetting, parameterSetting] = TOKENS[key];
  return Boolean(config[valueSetting] || config[parameterSetting]);
}

/** Which of the keys come from SSM (no plain value set): their parameter names, for a write-back. */
export function ssmParameterOf(config: Config, key: TokenKey): string | undefined {
  const [valueSetting, parameterSetting] = TOKENS[key];
  return config[valueSetting] ? undefined : (config[parameterSetting] as string | undefined);
}

/** Middlewares to `.use()` in order; the token is then `context[contextKey]`. Every failure is a ConfigError. */
export function tokenToContext<E, R>(
  contextKey: TokenKey,
  config: Config,
  logger: Logger,
  source: TokenOptions = {},
): MiddlewareObj<E, R>[] {
  return secretsToContext<E, R>([{ key: contextKey, required: true }], config, logger, source);
}

/**
 * Several secrets at once: plain values are put on the context, SSM SecureStrings are fetched by one middleware
 * (one GetParameters, decrypted, cached per container). A required key configured neither way is a ConfigError.
 */
export function secretsToContext<E, R>(
  wanted: ReadonlyArray<{ key: TokenKey; required: boolean }>,
  config: Config,
  logger: Logger,
  source: TokenOptions = {},
): MiddlewareObj<E, R>[] {
  const plain: Record<string, string> = {};
  const fetchData: Record<string, string> = {};
  for (const { key, required } of wanted) {
    const [valueSetting, parameterSetting] = TOKENS[key];
    const [value, parameterName] = [
      config[valueSetting] as string | undefined,
      config[parameterSetting] as string | undefined,
    ];
    if (value) {
      plain[key] = value;
      if (!PUBLIC_KEYS.includes(key)) logger.addSecret(value);
    } else if (parameterName) fetchData[key] = parameterName;
    else if (required) {
      const error = configError(`Missing configuration: set ${valueSetting} or ${parameterSetting}`, TOKENS[key]);
      return [{ before: () => Promise.reject(error) }];
    }
  }
  const setPlain: MiddlewareObj<E, R> = { before: (request) => void Object.assign(request.context, plain) };
  if (Object.keys(fetchData).length === 0) return [setPlain];
  const register: MiddlewareObj<E, R> = {
    before: (request) => {
      for (const key of Object.keys(fetchData) as TokenKey[]) {
        const secret = (request.context as unknown as Record<string, unknown>)[key];
        if (typeof secret !== 'string' || secret === '') {
          throw configError(`The SSM parameter named by ${TOKENS[key][1]} is empty or not a string`, [TOKENS[key][1]]);
        }
        if (!PUBLIC_KEYS.includes(key)) logger.addSecret(secret);
      }
    },
  };
  const fetcher = ssmToContext<E, R>(fetchData, {
    cacheExpiryMs: source.cacheExpiryMs ?? SECRET_CACHE_MS,
    ...(source.ssmClientOptions ? { clientOptions: source.ssmClientOptions } : {}),
  });
  return [setPlain, fetcher, register];
}

function configError(message: string, settings: readonly string[]): ConfigError {
  return new ConfigError(message, {
    errors: settings.map((field) => ({ field, message: 'is not configured (set it or its _PARAMETER variant)' })),
  });
}
