// getExport: GET /exports/{exportId} ⇒ the execution's status, its manifest when done, its error when failed.
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createSfnClient } from '../lib/aws.ts';
import { type Config, getConfig, requireSettings } from '../lib/config.ts';
import { NotFound, UpstreamError } from '../lib/errors.ts';
import { assertExportId, executionArnFor } from '../lib/export/execution.ts';
import type { Logger } from '../lib/log.ts';
import { type HttpEvent, type HttpResult, httpErrors, jsonResponse } from './middleware/http.ts';
import { functionLogger } from './middleware/logger.ts';

export interface GetExportDeps {
  config?: Config;
  sfn?: SFNClient;
  logger?: Logger;
}

export interface ExportStatus {
  exportId: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  startedAt?: string;
  stoppedAt?: string;
  manifest?: unknown;
  error?: { name: string; cause: string };
}

/** On AWS a Lambda error's cause is a JSON envelope with a stack trace: keep only its message. */
export function readableCause(cause: string | undefined): string {
  if (!cause?.startsWith('{')) return cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}

export function createGetExportHandler(deps: GetExportDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'getExport');
  const sfn = deps.sfn ?? createSfnClient({ endpoint: config.SFN_ENDPOINT, region: config.AWS_REGION });

  async function describe(exportId: string): Promise<ExportStatus> {
    const { STATE_MACHINE_ARN } = requireSettings(config, ['STATE_MACHINE_ARN']);
    const executionArn = executionArnFor(STATE_MACHINE_ARN, exportId);
    let out: DescribeExecutionCommandOutput;
    try {
      out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') throw new NotFound(`No export with id ${exportId}`);
      throw new UpstreamError(`Step Functions could not describe export ${exportId}: ${(error as Error).name}`, {
        cause: error,
      });
    }
    const status: ExportStatus = {
      exportId,
      status: out.status as ExportStatus['status'],
      startedAt: out.startDate?.toISOString(),
      stoppedAt: out.stopDate?.toISOString(),
    };
    if (out.status === 'SUCCEEDED' && out.output) status.manifest = JSON.parse(out.output);
    if (out.status !== 'SUCCEEDED' && out.status !== 'RUNNING') {
      status.error = { name: out.error ?? out.status ?? 'Unknown', cause: readableCause(out.cause) };
    }
    return status;
  }

  const core = async (event: HttpEvent, _context: Context): Promise<HttpResult> => {
    const exportId = assertExportId(event.pathParameters?.exportId);
    return jsonResponse(200, await describe(exportId));
  };

  return middy<HttpEvent, HttpResult>(core).use(httpErrors(logger));
}

export const handler = createGetExportHandler();
