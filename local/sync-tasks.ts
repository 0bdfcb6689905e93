// The sync state machine's task handlers for the local runtime, keyed as its Task resources name them, plus the
// nested export (startExecution.sync:2) run on the local Step Functions service.
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type BuildAudienceFilesDeps, createBuildAudienceFiles } from '../functions/handlers/build-audience-files.ts';
import { type CheckAudienceFilesDeps, createCheckAudienceFiles } from '../functions/handlers/check-audience-files.ts';
import { createCleanUpSync } from '../functions/handlers/clean-up-sync.ts';
import { createEnsureAudience } from '../functions/handlers/ensure-audience.ts';
import { createFinishSync } from '../functions/handlers/finish-sync.ts';
import { createUploadAudienceFile } from '../functions/handlers/upload-audience-file.ts';
import type { Config } from '../lib/config.ts';
import type { Logger } from '../lib/log.ts';
import { createNestedExecutionHandler, START_EXECUTION_SYNC } from './aws/nested-execution.ts';
import { lazy, type TaskHandler } from './aws/state-machine.ts';

export interface SyncHooks {
  onBuildProgress?: BuildAudienceFilesDeps['onProgress'];
  onProcessing?: CheckAudienceFilesDeps['onProcessing'];
  /** Told before each file is uploaded and after each Task of the sync ends (progress lines). */
  onTask?: (task: string, phase: 'start' | 'end', input: unknown, output?: unknown) => void;
}

interface SyncTaskOptions {
  config: Config;
  s3: S3Client;
  logger: Logger;
  hooks?: SyncHooks;
  sfn: () => SFNClient;
}

/** Wraps a handler so the hooks see each call begin and end (the CLI prints upload and processing states). */
function observed(name: string, handler: TaskHandler, hooks?: SyncHooks): TaskHandler {
  if (!hooks?.onTask) return handler;
  return async (event, context) => {
    hooks.onTask?.(name, 'start', event);
    const output = await handler(event, context);
    hooks.onTask?.(name, 'end', event, output);
    return output;
  };
}

export function syncTaskHandlers(options: SyncTaskOptions): Record<string, TaskHandler> {
  const { config, s3, logger, hooks } = options;
  const deps = { config, s3, logger };
  const tasks: Record<string, TaskHandler> = {
    // Built on first call: it describes executions through the local Step Functions endpoint started after it.
    buildAudienceFiles: lazy(() =>
      createBuildAudienceFiles({ ...deps, sfn: options.sfn(), onProgress: hooks?.onBuildProgress }),
    ),
    ensureAudience: createEnsureAudience(deps),
    uploadAudienceFile: createUploadAudienceFile(deps),
    checkAudienceFiles: createCheckAudienceFiles({ ...deps, onProcessing: hooks?.onProcessing }),
    finishSync: createFinishSync(deps),
    cleanUpSync: createCleanUpSync(deps),
  };
  const out = Object.fromEntries(
    Object.entries(tasks).map(([name, handler]) => [name, observed(name, handler, hooks)]),
  );
  const nested = createNestedExecutionHandler(options.sfn);
  return { ...out, [START_EXECUTION_SYNC]: (event) => nested(event) };
}
