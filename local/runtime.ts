// One machine as a whole deployment: emulators and embedded S3 where no real service is configured,
// a local Step Functions endpoint running the real ASL, and the real handlers wired to all of it.
import { mkdir } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { createCleanUpExport } from '../functions/handlers/clean-up-export.ts';
import { type CopyExportDeps, createCopyExport } from '../functions/handlers/copy-export.ts';
import { createGetExport } from '../functions/handlers/get-export.ts';
import { createGetSync } from '../functions/handlers/get-sync.ts';
import { createListAudienceFiles } from '../functions/handlers/list-audience-files.ts';
import { createListExports } from '../functions/handlers/list-exports.ts';
import { createListSyncs } from '../functions/handlers/list-syncs.ts';
import { createPublishExport } from '../functions/handlers/publish-export.ts';
import { createRequestExport, type RequestExportDeps } from '../functions/handlers/request-export.ts';
import { createStartExport } from '../functions/handlers/start-export.ts';
import { createStartSync } from '../functions/handlers/start-sync.ts';
import { type Config, configSecrets, type Env, parseConfig, realServices } from '../lib/config.ts';
import { closeHashThread } from '../lib/export/hash-thread.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { createS3Client } from '../lib/s3-client.ts';
import { createSfnClient } from '../lib/sfn-client.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from './aws/s3.ts';
import { type LocalSfn, localStateMachineArn, startLocalSfn } from './aws/sfn-service.ts';
import { FAN_OUT_ASL_PATH, lazy, loadDefinition, SYNC_ASL_PATH } from './aws/state-machine.ts';
import {
  type GrowingIoEmulator,
  type GrowingIoEmulatorOptions,
  startGrowingIoEmulator,
} from './emulators/growingio.ts';
import { startTencentEmulator, type TencentEmulator, type TencentEmulatorOptions } from './emulators/tencent.ts';
import {
  cleanUpOnExecutionEnd,
  createTaskTracker,
  stopRunningExecutions,
  sweepDeadRuns,
  type TaskTracker,
} from './export-guard.ts';
import { fanOutTaskHandlers } from './fan-out.ts';
import { type SyncHooks, syncTaskHandlers } from './sync-tasks.ts';

export const LOCAL_BUCKET = 'audience-exports';
const EXPORT_MACHINE = 'segment-export';
const SYNC_MACHINE = 'audience-sync';
const FAN_OUT_MACHINE = 'fan-out';
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
  /** Progress of audience syncs (building, uploads, processing polls). */
  sync?: SyncHooks;
  /** Shorter task timeouts in ms by state name (States.Timeout tests; see local/aws/state-machine.ts). */
  taskTimeoutOverrides?: Record<string, number>;
  /** Remove what killed earlier runs left in the embedded S3 (the CLI); default false. */
  sweepDeadRuns?: boolean;
}

export interface LocalRuntime {
  config: Config;
  growingio?: GrowingIoEmulator;
  tencent?: TencentEmulator;
  s3?: LocalS3;
  s3Client: S3Client;
  sfn: LocalSfn;
  sfnClient: SFNClient;
  /** The fan-out state machine (jobs lists), hosted by `sfn` beside the export and sync machines. */
  fanOutArn: string;
  handlers: {
    startExport: ReturnType<typeof createStartExport>;
    getExport: ReturnType<typeof createGetExport>;
    listAudienceFiles: ReturnType<typeof createListAudienceFiles>;
    startSync: ReturnType<typeof createStartSync>;
    getSync: ReturnType<typeof createGetSync>;
    listExports: ReturnType<typeof createListExports>;
    listSyncs: ReturnType<typeof createListSyncs>;
  };
  /** Resolves once no task handler and no cleanup is running (a stopped execution's tasks may outlive it). */
  settle(): Promise<void>;
  /** StopExecution for every running export, then waits for their tasks and cleanups; resolves with how many. */
  stopExports(cause: string): Promise<number>;
  /** Stops running exports and waits for their cleanup, then closes everything (the embedded S3 last). */
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
async function startTasks(
  options: LocalRuntimeOptions,
  config: Config,
  clients: { s3: S3Client; sfn: () => SFNClient },
  tracker: TaskTracker,
  logger: Logger,
) {
  const fast = options.fastWaitsMs;
  const { s3 } = clients;
  const cleanUpExport = tracker.wrap(createCleanUpExport({ config, s3, logger }));
  // Built on first call: they describe executions through the endpoint being started here.
  const sfnDeps = () => ({ config, s3, logger, sfn: clients.sfn() });
  const region = config.AWS_REGION;
  const exportArn = localStateMachineArn(EXPORT_MACHINE, region);
  const syncArn = localStateMachineArn(SYNC_MACHINE, region);
  return await startLocalSfn({
    region,
    directory: options.sfnDir,
    onServiceError: (error) => logger.error('local Step Functions request failed', { error }),
    machines: [
      { name: EXPORT_MACHINE, definition: loadDefinition() },
      { name: SYNC_MACHINE, definition: loadDefinition(SYNC_ASL_PATH, { SegmentExportStateMachine: exportArn }) },
      { name: FAN_OUT_MACHINE, definition: loadDefinition(FAN_OUT_ASL_PATH) },
    ],
    handlers: {
      requestExport: tracker.wrap(createRequestExport({ config, logger, onPoll: options.onPoll, s3 })),
      copyExport: tracker.wrap(
        lazy(() => createCopyExport({ ...sfnDeps(), onProgress: options.onCopyProgress, signal: tracker.signal })),
      ),
      publishExport: tracker.wrap(lazy(() => createPublishExport(sfnDeps()))),
      cleanUpExport,
      ...syncTaskHandlers({ config, s3, logger, hooks: options.sync, sfn: clients.sfn }),
      ...fanOutTaskHandlers({ config, logger, children: { export: exportArn, sync: syncArn } }),
    },
    onExecutionEnd: cleanUpOnExecutionEnd({
      sfnClient: clients.sfn,
      cleanUp: cleanUpExport,
      tracker,
      logger,
      stateMachineArn: exportArn,
    }),
    taskTimeoutOverrides: options.taskTimeoutOverrides,
    ...(fast === undefined
      ? {}
      : {
          waitTimeOverrides: { 'Wait For Export': fast, 'Wait For Processing': fast },
          retryIntervalOverrides: Object.fromEntries(RETRYING_STATES.map((state) => [state, fast])),
        }),
  });
}

const RETRYING_STATES = [
  'Request Export',
  'Copy File',
  'Write Manifest',
  'Clean Up',
  'Clean Up Before Refresh',
  'Ensure Audience',
  'Upload File',
  'Check Processing',
  'Plan Jobs',
  'Run Job',
  'Summarize',
];

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  // Closed last: the copies' sha256 thread, once nothing uses it.
  const closers: Closers = [closeHashThread];
  const tracker = createTaskTracker();
  try {
    const { overrides, growingio, s3, tencent } = await startStandIns(options, closers);
    const taskConfig = parseConfig({ ...options.env, ...overrides });
    const logger = options.logger ?? createLogger({ level: taskConfig.LOG_LEVEL, secrets: configSecrets(taskConfig) });
    const s3Client = s3?.client ?? createS3Client({ endpoint: taskConfig.S3_ENDPOINT, region: taskConfig.AWS_REGION });
    if (s3 && options.sweepDeadRuns) await sweepLocalBucket(s3Client, logger);
    const region = taskConfig.AWS_REGION;
    let sfnClient: SFNClient | undefined;
    const sfn = await startTasks(options, taskConfig, { s3: s3Client, sfn: () => sfnClient! }, tracker, logger);
    sfnClient = createSfnClient({ endpoint: sfn.endpoint, region, credentials: LOCAL_CREDENTIALS });
    closers.push(async () => sfnClient?.destroy());
    closers.push(() => sfn.close());
    const config = parseConfig({ ...options.env, ...overrides, ...api(sfn) });
    const handlers = {
      startExport: createStartExport({ config, sfn: sfnClient, logger }),
      getExport: createGetExport({ config, sfn: sfnClient, logger }),
      listAudienceFiles: createListAudienceFiles({ config, logger, s3: s3Client }),
      startSync: createStartSync({ config, sfn: sfnClient, logger }),
      getSync: createGetSync({ config, sfn: sfnClient, logger }),
      listExports: createListExports({ config, sfn: sfnClient, logger }),
      listSyncs: createListSyncs({ config, sfn: sfnClient, logger }),
    };
    const client = sfnClient;
    const stopExports = async (cause: string) => {
      const stopped = await stopRunningExecutions(client, sfn.stateMachineArn, cause);
      tracker.abortTasks();
      await tracker.settle();
      return stopped;
    };
    closers.push(async () => {
      await stopExports('local runtime closed');
    });
    return {
      config,
      growingio,
      tencent,
      s3,
      s3Client,
      sfn,
      sfnClient,
      fanOutArn: sfn.stateMachineArns[FAN_OUT_MACHINE]!,
      handlers,
      settle: () => tracker.settle(),
      stopExports,
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

const api = (sfn: LocalSfn) => ({
  SFN_ENDPOINT: sfn.endpoint,
  STATE_MACHINE_ARN: sfn.stateMachineArns[EXPORT_MACHINE],
  SYNC_STATE_MACHINE_ARN: sfn.stateMachineArns[SYNC_MACHINE],
});

/** What a killed earlier run left under the local bucket (exports without a manifest, open uploads). */
async function sweepLocalBucket(s3: S3Client, logger: Logger) {
  const removed = await sweepDeadRuns(s3, LOCAL_BUCKET, new Date());
  if (removed.uploads + removed.objects > 0) logger.warn('removed what an interrupted earlier run left', removed);
}

async function closeAll(closers: Closers): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => {});
  closers.length = 0;
}

export { LOCAL_S3_CREDENTIALS };
