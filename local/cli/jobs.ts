// `audience-pipeline run-jobs --jobs FILE`: a jobs list through the fan-out on the local runtime, as the stage's
// schedule would run it, printing the run summary.
import { readFile } from 'node:fs/promises';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Env } from '../../lib/config.ts';
import { BadRequest } from '../../lib/errors.ts';
import { readableCause } from '../../lib/export/cause.ts';
import type { FanOutSummary } from '../../lib/fan-out/summary.ts';
import { silentLogger } from '../../lib/log.ts';
import { startLocalRuntime } from '../runtime.ts';
import { type Flags, UsageError } from './args.ts';
import { onRuntimeInterrupt } from './interrupt.ts';

async function readJobs(path: string): Promise<unknown[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--jobs ${path}: ${(error as Error).message}`);
  }
  const jobs = Array.isArray(parsed) ? parsed : (parsed as { jobs?: unknown })?.jobs;
  if (!Array.isArray(jobs)) {
    throw new BadRequest('The jobs file must hold a JSON list of jobs (or {"jobs": [...]})', {
      errors: [{ field: 'jobs', message: 'must be a JSON list' }],
    });
  }
  return jobs;
}

function printSummary(summary: FanOutSummary): void {
  const lines = summary.jobs.map((job) => {
    const counts = job.counts
      ? Object.entries(job.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
      : '';
    const error = job.error ? `${job.error}${job.cause ? `: ${job.cause}` : ''}` : '';
    return `  ${String(job.index).padStart(2)} ${job.kind} ${job.id} ${job.status} ${job.executionName}  ${counts || error}`;
  });
  const head = `fan-out ${summary.scheduledTime}: ${summary.succeeded}/${summary.total} succeeded, ${summary.failed} failed`;
  process.stdout.write(`${[head, ...lines].join('\n')}\n`);
}

export async function runJobs(flags: Flags, env: Env, dirs: { dataDir: string; sfnDir: string }): Promise<number> {
  if (!flags.jobs) throw new UsageError('run-jobs needs --jobs FILE (a JSON list of jobs)');
  const jobs = await readJobs(flags.jobs);
  const scheduledTime = flags['scheduled-time'] ?? new Date().toISOString();
  // The Tencent emulator too (unless TENCENT_BASE_URL is set): sync jobs need it.
  const runtime = await startLocalRuntime({ env, ...dirs, logger: silentLogger });
  const name = `local-${scheduledTime.replace(/[^0-9A-Za-z]/g, '')}-${Date.now()}`;
  // Ctrl-C / SIGTERM: the running exports stop and clean up (as `export` does), then the embedded S3 closes.
  const interrupt = onRuntimeInterrupt(runtime, (signal, stopped) => {
    const exports = stopped === 1 ? '1 export' : `${stopped} exports`;
    const what = stopped > 0 ? `${exports} stopped; what they wrote was removed` : 'no export was running';
    process.stderr.write(`fan-out ${name} interrupted by ${signal}: ${what}\n`);
  });
  try {
    const { sfn, sfnClient, fanOutArn } = runtime;
    const input = JSON.stringify({ scheduledTime, jobs });
    const { executionArn } = await sfnClient.send(
      new StartExecutionCommand({ stateMachineArn: fanOutArn, name, input }),
    );
    process.stderr.write(`fan-out ${name} started with ${jobs.length} jobs\n`);
    await Promise.race([sfn.waitFor(executionArn!), interrupt.received]);
    const stopping = interrupt.stopped();
    if (stopping) return await stopping;
    const out = await sfnClient.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'SUCCEEDED') {
      process.stderr.write(`fan-out ${out.status}: ${out.error ?? 'unknown'}: ${readableCause(out.cause)}\n`);
      return out.error === 'BadRequest' ? 2 : 1;
    }
    const summary = JSON.parse(out.output ?? '{}') as FanOutSummary;
    if (flags.json === true) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else printSummary(summary);
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await interrupt.finish();
  }
}
