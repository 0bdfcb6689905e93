// One machine as a whole deployment: emulators and embedded S3 where no real service is configured,
// a local Step Functions endpoint running the real ASL, and the real handlers wired to all of it.
import { mkdir } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type CopyExportDeps, createCopyExport } from '../functions/handlers/copy-export.ts';
import { createGetExport } from '../functions/handlers/get-export.ts';
import { createListAudienceFiles } from '../functions/handlers/list-audience-files.ts';
import { createListExports } from '../functions/handlers/list-exports.ts';
import { createRequestExport, type RequestExportDeps } from '../functions/handlers/request-export.ts';
import { createStartExport } from '../functions/handlers/start-export.ts';
import { createS3Client, createSfnClient } from '../lib/aws.ts';
import { type Config, configSecrets, type Env, parseConfig, realServices } from '../lib/config.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from './aws/s3.ts';
import { type LocalSfn, startLocalSfn } from './aws/sfn-service.ts';
import {
  type GrowingIoEmulator,
  type GrowingIoEmulatorOptions,
  startGrowingIoEmulator,
} from './emulators/growingio.ts';
import { startTencentEmulator, type TencentEmulator, type TencentEmulatorOptions } from './emulators/tencent.ts';
import { type LocalFanOut, startLocalFanOut } from './fan-out.ts';

export const LOCAL_BUCKET = 'audience-exports';
/** Slot objects of the shared GrowingIO budget (GROWINGIO_SHARED_BUDGET=s3), apart from the exports. */
export const LOCAL_BUDGET_BUCKET = 'audience-budget';
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
  /** The fan-out state machine (jobs lists), on its own local endpoint. */
  fanOut: LocalFanOut;
  handlers: {
    startExport: ReturnType<typeof createStartExport>;
    getExport: ReturnType<typeof createGetExport>;
    listAudienceFiles: ReturnType<typeof createListAudienceFiles>;
    listExports: ReturnType<typeof createListExports>;
  };
  close(): Promise<void>;
}

/** The settings that point the handlers at a running GrowingIO emulator. */
export function growingIoEmulatorEnv(emulator: GrowingIoEmulator): Env {
  return {
    GROWINGIO_BASE_URL: emulator.url,
    GROWINGIO_TOKEN: emulator.token,
    GROWINGIO_TOKEN_PARAMETER: '',
    GROWINGIO_DOWNLOAD_HOSTS: `http://${emulator.downloadHost}`,
  };
}

/** The settings that point the handlers at a running Tencent emulator. */
export function tencentEmulatorEnv(emulator: TencentEmulator): Env {
  return {
    TENCENT_BASE_URL: emulator.url,
    TENCENT_ACCESS_TOKEN: emulator.accessToken,
    TENCENT_ACCESS_TOKEN_PARAMETER: '',
  };
}

interface StandIns {
  overrides: Env;
  growingio?: GrowingIoEmulator;
  s3?: LocalS3;
  tencent?: TencentEmulator;
}

/** Emulators and the embedded S3 for every side the environment leaves unconfigured; `closers` learns each. */
async function startStandIns(options: LocalRuntimeOptions, closers: Closers): Promise<StandIns> {
  const real = realServices(options.env);
  const out: StandIns = { overrides: {} };
  if (!real.growingio) {
    const growingio = await startGrowingIoEmulator(options.growingio);
    closers.push(() => growingio.close());
    out.growingio = growingio;
    Object.assign(out.overrides, growingIoEmulatorEnv(growingio));
  }
  if (!real.s3) {
    if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
    const s3 = await startLocalS3({ directory: options.dataDir, buckets: [LOCAL_BUCKET, LOCAL_BUDGET_BUCKET] });
    closers.push(() => s3.close());
    out.s3 = s3;
    Object.assign(out.overrides, {
      S3_ENDPOINT: s3.endpoint,
      EXPORT_BUCKET: LOCAL_BUCKET,
      GROWINGIO_BUDGET_BUCKET: LOCAL_BUDGET_BUCKET,
    });
  }
  if (!real.tencent && options.tencent !== false) {
    const tencent = await startTencentEmulator(options.tencent || undefined);
    closers.push(() => tencent.close());
    out.tencent = tencent;
    Object.assign(out.overrides, tencentEmulatorEnv(tencent));
  }
  return out;
}

type Closers = Array<() => Promise<void>>;

/** The local Step Functions endpoint running the real ASL, its Task states wired to the real task handlers. */
async function startTasks(options: LocalRuntimeOptions, config: Config, s3Client: S3Client, logger: Logger) {
  const fast = options.fastWaitsMs;
  return await startLocalSfn({
    region: config.AWS_REGION,
    directory: options.sfnDir,
    onServiceError: (error) => logger.error('local Step Functions request failed', { error }),
    handlers: {
      requestExport: createRequestExport({ config, logger, onPoll: options.onPoll, s3: s3Client }),
      copyExport: createCopyExport({ config, s3: s3Client, logger, onProgress: options.onCopyProgress }),
    },
    ...(fast === undefined
      ? {}
      : {
          waitTimeOverrides: { 'Wait For Export': fast },
          retryIntervalOverrides: { 'Request Export': fast, 'Copy To S3': fast },
        }),
  });
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const closers: Closers = [];
  try {
    const { overrides, growingio, s3, tencent } = await startStandIns(options, closers);
    const taskConfig = parseConfig({ ...options.env, ...overrides });
    const logger = options.logger ?? createLogger({ level: taskConfig.LOG_LEVEL, secrets: configSecrets(taskConfig) });
    const s3Client = s3?.client ?? createS3Client({ endpoint: taskConfig.S3_ENDPOINT, region: taskConfig.AWS_REGION });
    const sfn = await startTasks(options, taskConfig, s3Client, logger);
    closers.push(() => sfn.close());
    const region = taskConfig.AWS_REGION;
    const sfnClient = createSfnClient({ endpoint: sfn.endpoint, region, credentials: LOCAL_CREDENTIALS });
    closers.push(async () => sfnClient.destroy());
    const children = { export: { stateMachineArn: sfn.stateMachineArn, client: sfnClient } };
    const fanOutEnv = { ...options.env, ...overrides };
    const fanOut = await startLocalFanOut({
      env: fanOutEnv,
      directory: options.sfnDir,
      logger,
      children,
      fastWaitsMs: options.fastWaitsMs,
    });
    closers.push(() => fanOut.close());
    const api = { SFN_ENDPOINT: sfn.endpoint, STATE_MACHINE_ARN: sfn.stateMachineArn };
    const config = parseConfig({ ...options.env, ...overrides, ...api });
    const handlers = {
      startExport: createStartExport({ config, sfn: sfnClient, logger }),
      getExport: createGetExport({ config, sfn: sfnClient, logger }),
      listAudienceFiles: createListAudienceFiles({ config, logger }),
      listExports: createListExports({ config, sfn: sfnClient, logger }),
    };
    return {
      config,
      growingio,
      tencent,
      s3,
      s3Client,
      sfn,
      sfnClient,
      fanOut,
      handlers,
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

async function closeAll(closers: Closers): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => {});
  closers.length = 0;
}

export { LOCAL_S3_CREDENTIALS };
