// What `serve` and `emulate` print: every local endpoint, with the environment variables (and AWS CLI calls) to use it.
import type { GrowingIoEmulator } from '../emulators/growingio.ts';
import type { TencentEmulator } from '../emulators/tencent.ts';
import type { Route } from '../http-api.ts';
import type { LocalRuntime } from '../runtime.ts';

/** Any values work: the local services accept every signature. The SDKs and the AWS CLI only need some. */
export const DUMMY_AWS_ENV = 'AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local';

/** The HTTP API's routes, served by the runtime's real handlers. */
export function apiRoutes(runtime: LocalRuntime): Route[] {
  const { startExport, getExport, listAudienceFiles, listExports, startSync, getSync, listSyncs } = runtime.handlers;
  return [
    { method: 'POST', path: '/exports', functionName: 'startExport', handler: startExport },
    { method: 'GET', path: '/exports', functionName: 'listExports', handler: listExports },
    { method: 'GET', path: '/exports/{exportId}', functionName: 'getExport', handler: getExport },
    { method: 'GET', path: '/audience-files', functionName: 'listAudienceFiles', handler: listAudienceFiles },
    { method: 'POST', path: '/syncs', functionName: 'startSync', handler: startSync },
    { method: 'GET', path: '/syncs', functionName: 'listSyncs', handler: listSyncs },
    { method: 'GET', path: '/syncs/{runId}', functionName: 'getSync', handler: getSync },
  ];
}

export function growingIoLines(emulator: GrowingIoEmulator): string[] {
  return [
    `GrowingIO emulator  ${emulator.url} (Authorization: ${emulator.token}; downloads on ${emulator.downloadHost})`,
    `  export GROWINGIO_BASE_URL=${emulator.url} GROWINGIO_TOKEN=${emulator.token} GROWINGIO_DOWNLOAD_HOSTS=http://${emulator.downloadHost}`,
  ];
}

export function tencentLines(emulator: TencentEmulator): string[] {
  return [
    `Tencent emulator    ${emulator.url} (access_token ${emulator.accessToken})`,
    `  export TENCENT_BASE_URL=${emulator.url} TENCENT_ACCESS_TOKEN=${emulator.accessToken}`,
  ];
}

/** Every endpoint `serve` runs (real services named without their secrets), and how to reach each. */
export function serveLines(runtime: LocalRuntime, apiUrl: string, dirs: { s3: string; sfn: string }): string[] {
  const { config, sfn, s3 } = runtime;
  const region = config.AWS_REGION;
  const aws = `--endpoint-url`;
  return [
    `audience-pipeline API on ${apiUrl}`,
    '  POST /exports   GET /exports   GET /exports/{exportId}   GET /audience-files   POST /syncs   GET /syncs   GET /syncs/{runId}',
    `  export API_BASE_URL=${config.API_BASE_URL ?? apiUrl}`,
    `Step Functions      ${sfn.endpoint} (state machine ${sfn.stateMachineArn}; executions kept in ${dirs.sfn})`,
    `  export SFN_ENDPOINT=${sfn.endpoint} STATE_MACHINE_ARN=${sfn.stateMachineArn} AWS_REGION=${region} ${DUMMY_AWS_ENV}`,
    `  audience sync state machine ${config.SYNC_STATE_MACHINE_ARN} (export SYNC_STATE_MACHINE_ARN=${config.SYNC_STATE_MACHINE_ARN})`,
    `  aws stepfunctions list-executions ${aws} ${sfn.endpoint} --state-machine-arn ${sfn.stateMachineArn}`,
    `  fan-out state machine ${runtime.fanOutArn}: start it with {"scheduledTime","jobs"}`,
    `  aws stepfunctions start-execution ${aws} ${sfn.endpoint} --state-machine-arn ${runtime.fanOutArn} --input file://jobs.json`,
    ...(s3
      ? [
          `S3 (embedded)       ${s3.endpoint} (bucket ${config.EXPORT_BUCKET}; data in ${dirs.s3})`,
          `  export S3_ENDPOINT=${s3.endpoint} EXPORT_BUCKET=${config.EXPORT_BUCKET} ${DUMMY_AWS_ENV}`,
          `  aws s3 ls s3://${config.EXPORT_BUCKET}/ --recursive ${aws} ${s3.endpoint}`,
        ]
      : [`S3                  ${config.S3_ENDPOINT ?? 'AWS'} (bucket ${config.EXPORT_BUCKET})`]),
    ...(runtime.growingio ? growingIoLines(runtime.growingio) : [`GrowingIO           ${config.GROWINGIO_BASE_URL}`]),
    ...(runtime.tencent ? tencentLines(runtime.tencent) : [`Tencent             ${config.TENCENT_BASE_URL}`]),
    'Ctrl-C stops everything.',
  ];
}
