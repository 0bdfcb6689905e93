// planFanOut factory (fan-out Task): the schedule's jobs list ⇒ planFanOut (lib) ⇒ one planned child per job.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import { type Plan, planFanOut } from '../../lib/fan-out/plan.ts';
import type { Logger } from '../../lib/log.ts';
import { deadline } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';

/** Job kind ⇒ the setting naming its state machine. A sync job kind adds `sync: config.SYNC_STATE_MACHINE_ARN`. */
export function childStateMachines(config: Config): Record<string, string | undefined> {
  return { export: config.EXPORT_STATE_MACHINE_ARN };
}

export interface PlanFanOutDeps {
  config?: Config;
  logger?: Logger;
}

export function createPlanFanOut(deps: PlanFanOutDeps = {}) {
  const config = deps.config ?? getConfig();
  const logger = deps.logger ?? functionLogger(config, 'planFanOut');

  const core = async (event: unknown, _context: Context): Promise<Plan> => {
    const { input, startTime } = (event ?? {}) as { input?: unknown; startTime?: unknown };
    const plan = planFanOut({ stateMachineArns: childStateMachines(config) }, input, String(startTime ?? ''));
    const rejected = plan.jobs.filter((job) => job.rejected).length;
    logger.info('fan-out planned', { scheduledTime: plan.scheduledTime, jobs: plan.jobs.length, rejected });
    return plan;
  };

  return middy(core, deadline());
}
