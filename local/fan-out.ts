// The fan-out state machine on the local runtime: its own local Step Functions endpoint, its Lambda tasks wired
// to the real handlers and its `startExecution.sync:2` task to the child machines' local endpoints.
import type { SFNClient } from '@aws-sdk/client-sfn';
import { createPlanFanOut } from '../functions/handlers/plan-fan-out.ts';
import { createSummarizeFanOut, type SummarizeFanOutDeps } from '../functions/handlers/summarize-fan-out.ts';
import { createSfnClient } from '../lib/aws.ts';
import { type Config, type Env, parseConfig } from '../lib/config.ts';
import type { Logger } from '../lib/log.ts';
import { type LocalSfn, startLocalSfn } from './aws/sfn-service.ts';
import { createStartExecutionSync, START_EXECUTION_SYNC } from './aws/start-execution-sync.ts';

export const FAN_OUT_ASL = new URL('../statemachines/fan-out.asl.yml', import.meta.url);
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalFanOut {
  sfn: LocalSfn;
  client: SFNClient;
  close(): Promise<void>;
}

export interface LocalFanOutOptions {
  env: Env;
  directory?: string;
  logger: Logger;
  /** Child state machines by job kind (the export machine today; the sync machine once it runs locally). */
  children: Record<string, { stateMachineArn: string; client: SFNClient }>;
  fastWaitsMs?: number;
  onSummary?: SummarizeFanOutDeps['onSummary'];
}

/** The settings naming each kind's child machine (plan-fan-out.ts reads them). */
function childSettings(children: LocalFanOutOptions['children']): Env {
  return { EXPORT_STATE_MACHINE_ARN: children.export?.stateMachineArn };
}

export async function startLocalFanOut(options: LocalFanOutOptions): Promise<LocalFanOut> {
  const config: Config = parseConfig({ ...options.env, ...childSettings(options.children) });
  const byArn = new Map(Object.values(options.children).map((child) => [child.stateMachineArn, child.client]));
  const { logger } = options;
  const fast = options.fastWaitsMs;
  const sfn = await startLocalSfn({
    region: config.AWS_REGION,
    stateMachineName: 'fan-out',
    aslPath: FAN_OUT_ASL,
    directory: options.directory,
    onServiceError: (error) => logger.error('local Step Functions (fan-out) request failed', { error }),
    handlers: {
      planFanOut: createPlanFanOut({ config, logger }),
      summarizeFanOut: createSummarizeFanOut({ config, logger, onSummary: options.onSummary }),
      [START_EXECUTION_SYNC]: createStartExecutionSync({ clientFor: (arn) => byArn.get(arn) }),
    },
    ...(fast === undefined ? {} : { retryIntervalOverrides: { 'Run Job': fast } }),
  });
  const client = createSfnClient({ endpoint: sfn.endpoint, region: config.AWS_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    sfn,
    client,
    close: async () => {
      client.destroy();
      await sfn.close();
    },
  };
}
