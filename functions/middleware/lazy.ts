// The one config-failure policy: an entry module builds its handler on first invocation, never at import. A
// ConfigError while building is answered (HTTP: JSON 500 naming the variables) or thrown (tasks: name ConfigError).
import type { MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { ConfigError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/log.ts';
import { errorResponse, isHttpEvent } from './http.ts';

/** What a factory returns and what Lambda (or local/) calls: middy passes its own `{signal}` to the core. */
export type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** A middy handler whose core reads extra context keys (set by middlewares), callable with a plain Lambda context. */
export function asHandler<E, R, C extends Context>(handler: MiddyfiedHandler<E, R, Error, C>): Handler<E, R> {
  return (event, context) => handler(event, context as C);
}

export function lazyHandler<E, R>(factory: () => Handler<E, R>): Handler<E, R> {
  let built: Handler<E, R> | undefined;
  return async (event, context) => {
    try {
      built ??= factory();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      createLogger({ base: { fn: context?.functionName } }).error('invalid configuration', { error });
      if (isHttpEvent(event)) return errorResponse(error, context?.awsRequestId) as R;
      throw error;
    }
    return await built(event, context);
  };
}
