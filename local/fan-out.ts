// The fan-out state machine's Lambda tasks on the local runtime. The runtime's one local Step Functions service
// hosts the fan-out beside the export and sync machines; its `startExecution.sync:2` task is the same local
// handler as the sync's nested export (aws/nested-execution.ts), so children run on that service too.
import { createPlanFanOut } from '../functions/handlers/plan-fan-out.ts';
import { createSummarizeFanOut, type SummarizeFanOutDeps } from '../functions/handlers/summarize-fan-out.ts';
import type { Config } from '../lib/config.ts';
import type { Logger } from '../lib/log.ts';
import { FAN_OUT_ASL_PATH, type TaskHandler } from './aws/state-machine.ts';

export const FAN_OUT_ASL = FAN_OUT_ASL_PATH;

export interface FanOutTaskOptions {
  config: Config;
  logger: Logger;
  /** The child state machine of each job kind (plan-fan-out.ts reads them from the configuration). */
  children: { export: string; sync: string };
  onSummary?: SummarizeFanOutDeps['onSummary'];
}

export function fanOutTaskHandlers(options: FanOutTaskOptions): Record<string, TaskHandler> {
  const { export: exportArn, sync: syncArn } = options.children;
  const config: Config = { ...options.config, EXPORT_STATE_MACHINE_ARN: exportArn, SYNC_STATE_MACHINE_ARN: syncArn };
  const { logger } = options;
  return {
    planFanOut: createPlanFanOut({ config, logger }),
    summarizeFanOut: createSummarizeFanOut({ config, logger, onSummary: options.onSummary }),
  };
}
