// startExport: one entry for HTTP POST /exports, EventBridge schedules and direct invokes ⇒ StartExecution.
import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createSfnClient } from '../lib/aws.ts';
import { type Config, getConfig, requireSettings } from '../lib/config.ts';
import { BadRequest, Conflict, UpstreamError } from '../lib/errors.ts';
import { buildExecutionInput, type ExecutionInput, executionArnFor, exportIdFor } from '../lib/export/execution.ts';
import { type ExportRequest, parseExportRequest, requestFingerprint } from '../lib/export/request.ts';
import { exportStatusUrl } from '../lib/export/status-url.ts';
import type { Logger } from '../lib/log.ts';
import { errorResponse, type HttpEvent, headerOf, jsonBodyOf, jsonResponse } from './middleware/http.ts';
import { functionLogger } from './middleware/logger.ts';

export interface StartExportDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
  now?: () => Date;
}

export interface StartedExport {
  exportId: string;
  executionArn: string;
  statusUrl: string;
  /** false when an earlier request with the same idempotency key already started this export. */
  created: boolean;
}

function isHttpEvent(event: unknown): event is HttpEvent {
  return typeof event === 'object' && event !== null && 'requestContext' in event && 'rawPath' in event;
}

/** The request and its idempotency key, from whichever trigger invoked us. */
function requestFromEvent(event: unknown): unknown {
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

function statusUrlFor(event: unknown, exportId: string, baseUrl: string | undefined): string {
  return exportStatusUrl(exportId, { baseUrl, domainName: isHttpEvent(event) ? event.requestContext.domainName : '' });
}

export function createStartExportHandler(deps: StartExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'startExport');
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });
  const now = deps.now ?? (() => new Date());

  async function start(request: ExportRequest, statusUrl: (id: string) => string): Promise<StartedExport> {
    const { STATE_MACHINE_ARN: stateMachineArn } = requireSettings(config, ['STATE_MACHINE_ARN']);
    const startedAt = now();
    const exportId = exportIdFor(request.idempotencyKey, startedAt);
    const input = buildExecutionInput(request, exportId, startedAt);
    try {
      const out = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: exportId, input: JSON.stringify(input) }),
      );
      logger.info('export started', {
        exportId,
        projectUid: request.projectUid,
        segmentationId: request.segmentationId,
      });
      return { exportId, executionArn: out.executionArn!, statusUrl: statusUrl(exportId), created: true };
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') {
        throw new UpstreamError(`Step Functions refused to start export ${exportId}: ${(error as Error).name}`, {
          cause: error,
        });
      }
    }
    return await existingExport(stateMachineArn, exportId, request, statusUrl(exportId));
  }

  /** A repeat of an idempotent request: the same export when it asks for the same thing, a 409 otherwise. */
  async function existingExport(stateMachineArn: string, exportId: string, request: ExportRequest, statusUrl: string) {
    const executionArn = executionArnFor(stateMachineArn, exportId);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const previous = (JSON.parse(described.input ?? '{}') as ExecutionInput).request;
    const { exportId: _id, requestedAt: _at, ...previousRequest } = previous ?? {};
    if (requestFingerprint(previousRequest as ExportRequest) !== requestFingerprint(request)) {
      throw new Conflict(`Idempotency key already used for a different export request (export ${exportId})`, {
        details: { exportId },
      });
    }
    logger.info('export already started', { exportId });
    return { exportId, executionArn, statusUrl, created: false };
  }

  const core = async (event: unknown, _context: Context) => {
    const request = parseExportRequest(requestFromEvent(event));
    const started = await start(request, (id) => statusUrlFor(event, id, config.API_BASE_URL));
    if (!isHttpEvent(event)) return started;
    const { created, ...body } = started;
    return jsonResponse(202, body, {
      location: started.statusUrl,
      ...(created ? {} : { 'idempotent-replayed': 'true' }),
    });
  };

  return middy(core).use({
    onError: (request) => {
      logger.warn('start export rejected', { error: request.error });
      // HTTP callers get a clean JSON answer; schedules and direct invokes see the error itself.
      if (isHttpEvent(request.event)) request.response = errorResponse(request.error, request.context.awsRequestId);
    },
  });
}

export const handler = createStartExportHandler();
