// Puts a secret on the Lambda context: from a plain setting (local use) or an SSM SecureString, cached by middy.
import type { MiddlewareObj } from '@middy/core';
import ssm from '@middy/ssm';
import { ConfigError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';

export interface SecretSource {
  /** Context property that receives the secret. */
  contextKey: string;
  value?: string;
  parameterName?: string;
  /** The two setting names, for the error when neither is set. */
  settings: [valueSetting: string, parameterSetting: string];
  logger: Logger;
  cacheExpiryMs?: number;
  /** SSM client options (tests point it at a local endpoint). */
  ssmClientOptions?: Record<string, unknown>;
}

/** SSM read cache: a rotated secret is picked up within this long. */
export const SECRET_CACHE_MS = 5 * 60_000;

/** @middy/ssm reading one SecureString (decrypted) onto `context[contextKey]`, cached per container. */
export function ssmSecret(
  contextKey: string,
  parameterName: string,
  options: { cacheExpiryMs?: number; ssmClientOptions?: Record<string, unknown> } = {},
) {
  return ssm({
    fetchData: { [contextKey]: parameterName },
    setToContext: true,
    cacheExpiry: options.cacheExpiryMs ?? SECRET_CACHE_MS,
    // middy's cache is process-wide: key it by parameter so two handlers never share a secret.
    cacheKey: `ssm:${parameterName}`,
    ...(options.ssmClientOptions ? { awsClientOptions: options.ssmClientOptions } : {}),
  });
}

/** Middlewares to `.use()` in order; the secret is then `context[contextKey]` and is redacted from logs. */
export function secretToContext<E, R>(source: SecretSource): MiddlewareObj<E, R>[] {
  const { contextKey, value, parameterName, logger } = source;
  if (value) {
    logger.addSecret(value);
    return [{ before: (request) => void Object.assign(request.context, { [contextKey]: value }) }];
  }
  if (parameterName) {
    const register: MiddlewareObj<E, R> = {
      before: (request) => {
        const secret = (request.context as unknown as Record<string, unknown>)[contextKey];
        if (typeof secret !== 'string' || secret === '') {
          throw new ConfigError(`SSM parameter ${parameterName} is empty or not a string`);
        }
        logger.addSecret(secret);
      },
    };
    const fetcher = ssmSecret(contextKey, parameterName, source) as MiddlewareObj<E, R>;
    return [fetcher, register];
  }
  const [valueSetting, parameterSetting] = source.settings;
  return [
    {
      before: () => {
        throw new ConfigError(`Missing configuration: set ${valueSetting} or ${parameterSetting}`, {
          errors: [{ field: parameterSetting, message: `set ${valueSetting} or ${parameterSetting}` }],
        });
      },
    },
  ];
}
