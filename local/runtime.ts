// One machine as a whole deployment: emulators and embedded S3 where no real service is configured,
// a local Step Functions endpoint running the real ASL, and the real handlers wired to all of it.
import { mkdir } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type CopyExportDeps, createCopyExportHandler } from '../functions/copy-export.ts';
import { createGetExportHandler } from '../functions/get-export.ts';
import { createListAudienceFilesHandler } from '../functions/list-audience-files.ts';
import { createRequestExportHandler, type RequestExportDeps } from '../functions/request-export.ts';
import { createStartExportHandler } from '../functions/start-export.ts';
import { createS3Client, createSfnClient } from '../lib/aws.ts';
import { type Config, configSecrets, type Env, parseConfig } from '../lib/config.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from './aws/s3.ts';
import { type LocalSfn, startLocalSfn } from './aws/sfn-service.ts';
import {
  type GrowingIoEmulator,
  type GrowingIoEmulatorOptions,
  startGrowingIoEmulator,
} from './emulators/growingio.ts';
import { startTencentEmulator, type TencentEmulator, type TencentEmulatorOptions } from './emulators/tencent.ts';

export const LOCAL_BUCKET = 'audience-exports';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalRuntimeOptions {
  /** The environment to honour (real services where set); the CLI passes the process environment. */
  env: Env;
  /** Embedded S3 data directory; default a temp dir (the CLI uses .local/s3). */
  dataDir?: string;
  /** Where Step Functions executions are kept across restarts; default a temp dir (the CLI uses .local/sfn). */
  sfnDir?: string;
  growingio?: GrowingIoEmulatorOptions;
  tencent?: TencentEmulatorOptions | false;
  /** Milliseconds for every Wait state and Retry pause instead of real seconds (tests). */
  fastWaitsMs?: number;
  logger?: Logger;
  onPoll?: RequestExportDeps['onPoll'];
  onCopyProgress?: CopyExportDeps['onProgress'];
}

export interface LocalRuntime {
  config: Config;
  growingio?: GrowingIoEmulator;
  tencent?: TencentEmulator;
  s3?: LocalS3;
  s3Client: S3Client;
  sfn: LocalSfn;
  sfnClient: SFNClient;
  handlers: {
    startExport: ReturnType<typeof createStartExportHandler>;
    getExport: ReturnType<typeof createGetExportHandler>;
    listAudienceFiles: ReturnType<typeof createListAudienceFilesHandler>;
  };
  close(): Promise<void>;
}

/** Which sides the environment points at real services, per DESIGN.md's local runtime rules. */
export function realServices(env: Env) {
  return {
    growingio: Boolean(env.GROWINGIO_BASE_URL?.trim()),
    s3: Boolean(env.S3_ENDPOINT?.trim() || env.EXPORT_BUCKET?.trim()),
    tencent: Boolean(env.TENCENT_BASE_URL?.trim()),
  };
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const real = realServices(options.env);
  const closers: Array<() => Promise<void>> = [];
  try {
    const overrides: Env = {};
    let growingio: GrowingIoEmulator | undefined;
    if (!real.growingio) {
      growingio = await startGrowingIoEmulator(options.growingio);
      closers.push(() => growingio!.close());
      Object.assign(overrides, {
        GROWINGIO_BASE_URL: growingio.url,
        GROWINGIO_TOKEN: growingio.token,
        GROWINGIO_TOKEN_PARAMETER: '',
        GROWINGIO_DOWNLOAD_HOSTS: `http://${growingio.downloadHost}`,
      });
    }
    let s3: LocalS3 | undefined;
    if (!real.s3) {
      if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
      s3 = await startLocalS3({ directory: options.dataDir, buckets: [LOCAL_BUCKET] });
      closers.push(() => s3!.close());
      Object.assign(overrides, { S3_ENDPOINT: s3.endpoint, EXPORT_BUCKET: LOCAL_BUCKET });
    }
    let tencent: TencentEmulator | undefined;
    if (!real.tencent && options.tencent !== false) {
      tencent = await startTencentEmulator(options.tencent || undefined);
      closers.push(() => tencent!.close());
      Object.assign(overrides, {
        TENCENT_BASE_URL: tencent.url,
        TENCENT_ACCESS_TOKEN: tencent.accessToken,
        TENCENT_ACCESS_TOKEN_PARAMETER: '',
      });
    }
    const taskConfig = parseConfig({ ...options.env, ...overrides });
    const logger = options.logger ?? createLogger({ level: taskConfig.LOG_LEVEL, secrets: configSecrets(taskConfig) });
    const s3Client = s3?.client ?? createS3Client({ endpoint: taskConfig.S3_ENDPOINT, region: taskConfig.AWS_REGION });
    const fast = options.fastWaitsMs;
    const sfn = await startLocalSfn({
      region: taskConfig.AWS_REGION,
      directory: options.sfnDir,
      onServiceError: (error) => logger.error('local Step Functions request failed', { error }),
      handlers: {
        requestExport: createRequestExportHandler({ config: taskConfig, logger, onPoll: options.onPoll }),
        copyExport: createCopyExportHandler({
          config: taskConfig,
          s3: s3Client,
          logger,
          onProgress: options.onCopyProgress,
        }),
      },
      ...(fast === undefined
        ? {}
        : {
            waitTimeOverrides: { 'Wait For Export': fast },
            retryIntervalOverrides: { 'Request Export': fast, 'Copy To S3': fast },
          }),
    });
    closers.push(() => sfn.close());
    const sfnClient = createSfnClient({
      endpoint: sfn.endpoint,
      region: taskConfig.AWS_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    closers.push(async () => sfnClient.destroy());
    const apiConfig = parseConfig({
      ...options.env,
      ...overrides,
      SFN_ENDPOINT: sfn.endpoint,
      STATE_MACHINE_ARN: sfn.stateMachineArn,
    });
    return {
      config: apiConfig,
      growingio,
      tencent,
      s3,
      s3Client,
      sfn,
      sfnClient,
      handlers: {
        startExport: createStartExportHandler({ config: apiConfig, sfn: sfnClient, logger }),
        getExport: createGetExportHandler({ config: apiConfig, sfn: sfnClient, logger }),
        listAudienceFiles: createListAudienceFilesHandler({ config: apiConfig, logger }),
      },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => {});
  closers.length = 0;
}

export { LOCAL_S3_CREDENTIALS };
