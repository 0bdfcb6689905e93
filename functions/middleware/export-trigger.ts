// startExport's triggers (HTTP POST /exports, EventBridge schedules, direct invokes) reduced to one request shape.

import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { BadRequest } from '../../lib/errors.ts';
import { exportStatusUrl } from '../../lib/export/status-url.ts';
import type { Logger } from '../../lib/log.ts';
import { errorResponse, headerOf, isHttpEvent, jsonBodyOf, jsonResponse } from './http.ts';

/** The request and its idempotency key, from whichever trigger invoked us. */
export function requestFromEvent(event: unknown): unknown {
  if (isHttpEvent(event)) {
    let body: unknown;
    try {
      body = jsonBodyOf(event) ?? {};
    } catch {
      throw new BadRequest('The request body is not valid JSON', {
        errors: [{ field: 'body', message: 'invalid JSON' }],
      });
    }
    const headerKey = headerOf(event, 'idempotency-key');
    if (headerKey === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const bodyKey = (body as { idempotencyKey?: unknown }).idempotencyKey;
    if (bodyKey !== undefined && bodyKey !== headerKey) {
      throw new BadRequest('Idempotency-Key header and body idempotencyKey differ', {
        errors: [{ field: 'idempotencyKey', message: 'must match the Idempotency-Key header' }],
      });
    }
    return { ...body, idempotencyKey: headerKey };
  }
  const record = (event ?? {}) as Record<string, unknown>;
  // EventBridge rule with an input transformer: {scheduledTime: <time>, request: {...}}.
  if (typeof record.scheduledTime === 'string' && typeof record.request === 'object') {
    return withScheduleKey(record.request, record.scheduledTime);
  }
  // A plain EventBridge event (e.g. a rule without input): the request is the detail.
  if (record['detail-type'] !== undefined && typeof record.time === 'string') {
    return withScheduleKey(record.detail, record.time);
  }
  return event;
}

/** A schedule's idempotency key is its event time, so a redelivered event never exports twice. */
function withScheduleKey(request: unknown, time: string): unknown {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return request;
  const r = request as Record<string, unknown>;
  return { idempotencyKey: `schedule:${String(r.projectUid)}:${String(r.segmentationId)}:${time}`, ...r };
}

/** Where the caller can follow the export: absolute behind API Gateway, a path otherwise. */
export function statusUrlFor(
  event: unknown,
  exportId: string,
  baseUrl: string | undefined,
  collection?: string,
): string {
  const domainName = isHttpEvent(event) ? event.requestContext.domainName : '';
  return exportStatusUrl(exportId, { baseUrl, domainName }, collection);
}

/** A started (or replayed) run as its trigger expects it: 202 with Location for HTTP, the result itself otherwise. */
export function startedAnswer<T extends { created: boolean; statusUrl: string }>(event: unknown, started: T) {
  if (!isHttpEvent(event)) return started;
  const { created, ...body } = started;
  const headers: Record<string, string> = { location: started.statusUrl };
  if (!created) headers['idempotent-replayed'] = 'true';
  return jsonResponse(202, body, headers);
}

/** HTTP callers get a clean JSON answer for a refused start; schedules and direct invokes see the error itself. */
export function answerRejection(logger: Logger, what: string): middy.MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    onError: (request) => {
      logger.warn(`${what} rejected`, { error: request.error });
      if (isHttpEvent(request.event)) request.response = errorResponse(request.error, request.context.awsRequestId);
    },
  };
}
