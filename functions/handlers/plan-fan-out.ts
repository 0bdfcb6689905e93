// planFanOut factory (fan-out Task): the schedule's jobs list ⇒ planFanOut (lib) ⇒ one planned child per job.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type Config, getConfig } from '../../lib/config.ts';
import { type Plan, planFanOut } from '../../lib/fan-out/plan.ts';
import type { Logger } from '../../lib/log.ts';
import { deadline } from '../middleware/http.ts';
import { functionLogger } from '../middleware/logger.ts';

/** Job kind ⇒ the setting naming its state machine (a kind without one is refused). */
export function childStateMachines(config: Config): Record<string, string | undefined> {
  return { export: config.EXPORT_STATE_MACHINE_ARN, sync: config.SYNC_STATE_MACHINE_ARN };
}

/** What the kinds build their children from besides the request: a sync's storage. */
export function childSettings(config: Config): Record<string, unknown> {
  return {
    syncStorage: config.EXPORT_BUCKET ? { bucket: config.EXPORT_BUCKET, prefix: config.SYNC_PREFIX } : undefined,
  };
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
    const deps = { stateMachineArns: childStateMachines(config), settings: childSettings(config) };
    const plan = planFanOut(deps, input, String(startTime ?? ''));
    const rejected = plan.jobs.filter((job) => job.rejected).length;
    logger.info('fan-out planned', { scheduledTime: plan.scheduledTime, jobs: plan.jobs.length, rejected });
    return plan;
  };

  return middy(core, deadline());
}
