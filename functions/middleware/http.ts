// Shared HTTP adapter pieces: JSON responses and an onError middleware that turns AppErrors into clean answers.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError, ConfigError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** The body every error answer carries: `{message, errors:[{field?, message}], ...details}`. */
export function errorResponse(error: unknown, requestId?: string): HttpResult {
  // Naming the variables (never their values) is what lets an operator fix a configuration, so it is shown.
  if (error instanceof ConfigError) {
    const errors = error.errors.map(({ field, message }) => ({ field, message }));
    return jsonResponse(500, {
      message: error.message,
      errors,
      error: error.name,
      ...(requestId ? { requestId } : {}),
    });
  }
  if (error instanceof AppError && error.expose) {
    const retryAfter = retryAfterSeconds(error);
    const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
    const body = { message: error.message, errors: error.errors, ...error.details, error: error.name };
    return jsonResponse(
      error.statusCode,
      retryAfter === undefined ? body : { ...body, retryAfterSeconds: retryAfter },
      headers,
    );
  }
  return jsonResponse(500, {
    message: 'Internal error; see the function logs for this request id.',
    errors: [],
    ...(requestId ? { requestId } : {}),
  });
}

/**
 * Whole seconds for a Retry-After header on a 429/503: from `retryAfterMs` (when the upstream's window or quota
 * reopens), else a `retryAfterSeconds` detail; at least 1. Undefined for other statuses or without a hint.
 */
export function retryAfterSeconds(error: AppError): number | undefined {
  if (error.statusCode !== 503 && error.statusCode !== 429) return undefined;
  const detail = error.details.retryAfterSeconds;
  const ms = error.retryAfterMs ?? (typeof detail === 'number' ? detail * 1000 : undefined);
  return ms === undefined ? undefined : Math.max(1, Math.ceil(ms / 1000));
}

/** Last middleware of every HTTP handler: logs (redacted) and answers; never lets a stack reach the caller. */
export function httpErrors(logger: Logger): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const error = request.error;
      const exposed = error instanceof AppError && error.expose;
      const status = exposed ? (error as AppError).statusCode : 500;
      const fields = { error, status, requestId: request.context?.awsRequestId };
      if (status >= 500) logger.error('request failed', fields);
      else logger.info('request rejected', fields);
      request.response = errorResponse(error, request.context?.awsRequestId);
      return request.response;
    },
  };
}

/** An API Gateway HTTP API (v2) event, as opposed to a schedule, a state-machine task or a direct invoke. */
export function isHttpEvent(event: unknown): event is HttpEvent {
  return typeof event === 'object' && event !== null && 'requestContext' in event && 'rawPath' in event;
}

/** The Lambda deadline came before the answer: what middy's early timeout answers instead of a bare 500. */
export class DeadlineExceeded extends AppError {
  override name = 'DeadlineExceeded';
  override statusCode = 504;
  override expose = true;
}

/** middy options: abort the handler's signal this many ms before the Lambda deadline and answer 504. */
export function deadline(timeoutEarlyInMillis = 5) {
  return {
    timeoutEarlyInMillis,
    timeoutEarlyResponse: () => {
      throw new DeadlineExceeded('The request ran out of time before the upstream answered; try a narrower query');
    },
  };
}

/** Query string parameters of an HTTP API v2 event, never undefined. */
export function queryOf(event: HttpEvent): Record<string, string | undefined> {
  return event.queryStringParameters ?? {};
}

/** Case-insensitive header lookup (API Gateway v2 lower-cases them, local callers may not). */
export function headerOf(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The JSON body of an HTTP API v2 event (base64-aware); undefined when empty. Throws SyntaxError on bad JSON. */
export function jsonBodyOf(event: HttpEvent): unknown {
  if (!event.body) return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return text.trim() === '' ? undefined : JSON.parse(text);
}
