// Test helpers around the local runtime: start an export through the real handlers and wait for its outcome.
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Env } from '../../lib/config.ts';
import type { StartedExport } from '../../lib/export/start.ts';
import { createLogger } from '../../lib/log.ts';
import { localContext } from '../../local/aws/state-machine.ts';
import type { GrowingIoEmulatorOptions } from '../../local/emulators/growingio.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime.ts';

export interface ExportRuntime extends LocalRuntime {
  logs: string[];
  polls: Array<{ pollCount: number; status: string; nextPollSeconds: number }>;
}

export async function startExportRuntime(
  growingio: GrowingIoEmulatorOptions = {},
  env: Env = {},
  extra: Pick<LocalRuntimeOptions, 'onCopyProgress' | 'taskTimeoutOverrides' | 'dataDir' | 'sfnDir' | 'tencent'> = {},
): Promise<ExportRuntime> {
  const logs: string[] = [];
  const polls: ExportRuntime['polls'] = [];
  const runtime = await startLocalRuntime({
    env: { POLL_INITIAL_SECONDS: '1', POLL_MAX_SECONDS: '2', POLL_MAX_ATTEMPTS: '20', ...env },
    growingio,
    tencent: false,
    fastWaitsMs: 10,
    ...extra,
    logger: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    onPoll: (poll) =>
      polls.push({ pollCount: poll.pollCount, status: poll.status, nextPollSeconds: poll.nextPollSeconds }),
  });
  return Object.assign(runtime, { logs, polls });
}

export const context = (): Context => localContext('test');

/** An API Gateway HTTP API (v2) event, as AWS would send it. */
export function httpEvent(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; pathParameters?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...options.headers },
    pathParameters: options.pathParameters,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

export async function startExport(runtime: LocalRuntime, request: Record<string, unknown>): Promise<StartedExport> {
  return (await runtime.handlers.startExport(request, context())) as StartedExport;
}

/** Wait for the export to end, then read its status the way a client would: GET /exports/{id}. */
export async function exportOutcome(runtime: LocalRuntime, started: StartedExport) {
  await runtime.sfn.waitFor(started.executionArn);
  const response = (await runtime.handlers.getExport(
    httpEvent('GET', `/exports/${started.exportId}`, { pathParameters: { exportId: started.exportId } }),
    context(),
  )) as APIGatewayProxyStructuredResultV2;
  return { statusCode: response.statusCode, body: JSON.parse(String(response.body)) };
}

export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((item) => item.Key!).sort();
}

export async function objectDigest(s3: S3Client, bucket: string, key: string) {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from(await out.Body!.transformToByteArray());
  return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
