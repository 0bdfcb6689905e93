// Polling-cost benchmark: GrowingIO calls and state transitions of the product's poll policy vs fixed 5 s polling.
import type { Context } from 'aws-lambda';
import { createRequestExport } from '../functions/handlers/request-export.ts';
import { parseConfig } from '../lib/config.ts';
import { buildExecutionInput } from '../lib/export/execution.ts';
import { nextPollSeconds, type PollPolicy, totalWaitSeconds } from '../lib/export/poll-policy.ts';
import { parseExportRequest } from '../lib/export/request.ts';
import { silentLogger } from '../lib/log.ts';
import { createLocalStateMachine } from '../local/aws/state-machine.ts';
import { startGrowingIoEmulator } from '../local/emulators/growingio.ts';
import { type BenchResult, fmt, progress, type Row } from './results.ts';

const JOBS = [
  { label: '30 s', seconds: 30 },
  { label: '5 min', seconds: 300 },
  { label: '1 h', seconds: 3600 },
];
const FIXED_SECONDS = 5;

interface Outcome {
  calls: number;
  transitions: number;
  /** Seconds between the job becoming ready and the poll that saw it. */
  lateSeconds: number;
  timedOut: boolean;
}

/**
 * Walks the state machine on a virtual clock. The first Request Export starts the job at t = 0; each poll enters
 * Request Export and Export Ready?; a `doing` answer enters Wait For Export; the `done` one Copy To S3 and Export Complete.
 */
export function simulate(
  readySeconds: number,
  waitAfter: (pollCount: number) => number,
  maxAttempts = Infinity,
): Outcome {
  let t = 0;
  let calls = 0;
  let transitions = 0;
  for (;;) {
    calls += 1;
    transitions += 2;
    if (t >= readySeconds)
      return { calls, transitions: transitions + 2, lateSeconds: t - readySeconds, timedOut: false };
    // requestExport refuses a further wait once the poll budget is spent (ExportTimedOut).
    if (calls >= maxAttempts) return { calls, transitions, lateSeconds: Number.NaN, timedOut: true };
    transitions += 1;
    t += waitAfter(calls);
  }
}

/** The same job on the real ASL and the real requestExport handler against the emulator, on a virtual clock. */
async function runOnAsl(readySeconds: number, policy: PollPolicy): Promise<{ calls: number; transitions: number }> {
  let virtualMs = Date.now();
  const emulator = await startGrowingIoEmulator({ secondsUntilDone: readySeconds, now: () => virtualMs });
  try {
    const config = parseConfig({
      GROWINGIO_BASE_URL: emulator.url,
      GROWINGIO_TOKEN: emulator.token,
      POLL_INITIAL_SECONDS: String(policy.initialSeconds),
      POLL_MAX_SECONDS: String(policy.maxSeconds),
      POLL_MAX_ATTEMPTS: String(policy.maxAttempts),
    });
    const requestExport = createRequestExport({ config, logger: silentLogger });
    let pendingWait = 0;
    const machine = createLocalStateMachine({
      handlers: {
        // Wait For Export takes no real time; the virtual clock jumps by the wait the previous poll asked for.
        requestExport: async (event: unknown, context: Context) => {
          virtualMs += pendingWait * 1000;
          const result = await requestExport(event, context);
          pendingWait = result.nextPollSeconds;
          return result;
        },
        copyExport: async () => ({ files: [], totalRows: 0, totalBytes: 0 }),
      },
      waitTimeOverrides: { 'Wait For Export': 0 },
    });
    const request = parseExportRequest({ projectUid: 'bench', segmentationId: 'polling' });
    const execution = machine.run(buildExecutionInput(request, 'bench-polling', new Date()));
    let transitions = 0;
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') transitions += 1;
    await execution.result;
    return { calls: emulator.stats().apiRequests, transitions };
  } finally {
    await emulator.close();
  }
}

const timesFewer = (fixed: number, product: number) => `${fmt(fixed / product, 1)}× fewer`;
const lateness = (outcome: Outcome, ready: number) =>
  outcome.timedOut ? 'timed out' : `${outcome.lateSeconds} s (${fmt((outcome.lateSeconds / ready) * 100)} %)`;

function jobRows(job: (typeof JOBS)[number], product: Outcome, fixed: Outcome, isTarget: boolean): Row[] {
  return [
    {
      figure: `GrowingIO calls, job ready after ${job.label}`,
      value: String(product.calls),
      baseline: `fixed ${FIXED_SECONDS} s: ${fixed.calls}`,
      ratio: timesFewer(fixed.calls, product.calls),
      target: isTarget ? '≥ 5× fewer' : '–',
      ...(isTarget ? { met: fixed.calls / product.calls >= 5 } : {}),
    },
    {
      figure: `state transitions, job ready after ${job.label}`,
      value: String(product.transitions),
      baseline: `fixed ${FIXED_SECONDS} s: ${fixed.transitions}`,
      ratio: timesFewer(fixed.transitions, product.transitions),
      target: '–',
    },
    {
      figure: `finished after ready, job ready after ${job.label}`,
      value: lateness(product, job.seconds),
      baseline: `fixed ${FIXED_SECONDS} s: ${lateness(fixed, job.seconds)}`,
      ratio: '–',
      target: isTarget ? '≤ 10 % of ready time' : '–',
      ...(isTarget ? { met: !product.timedOut && product.lateSeconds <= job.seconds * 0.1 } : {}),
    },
  ];
}

export async function runPollingBench(): Promise<BenchResult> {
  const defaults = parseConfig({});
  const policy: PollPolicy = {
    initialSeconds: defaults.POLL_INITIAL_SECONDS,
    maxSeconds: defaults.POLL_MAX_SECONDS,
    maxAttempts: defaults.POLL_MAX_ATTEMPTS,
  };
  const rows: Row[] = [];
  const checks: Row[] = [];
  const late: string[] = [];
  for (const job of JOBS) {
    const product = simulate(job.seconds, (n) => nextPollSeconds(n, policy), policy.maxAttempts);
    const fixed = simulate(job.seconds, () => FIXED_SECONDS);
    progress(`polling ${job.label}: ${product.calls} calls vs ${fixed.calls} at a fixed ${FIXED_SECONDS} s`);
    rows.push(...jobRows(job, product, fixed, job.seconds === 3600));
    late.push(`${job.label}: ${product.lateSeconds} s`);
    const asl = await runOnAsl(job.seconds, policy);
    progress(`polling ${job.label} on the real ASL: ${asl.calls} calls, ${asl.transitions} transitions`);
    checks.push({
      figure: `real ASL + requestExport, job ready after ${job.label}`,
      value: `${asl.calls} calls, ${asl.transitions} transitions`,
      baseline: `simulated ${product.calls} calls, ${product.transitions} transitions`,
      ratio: '–',
      target: 'equal',
      met: asl.calls === product.calls && asl.transitions === product.transitions,
    });
  }
  rows.push(...checks);
  const waits = Array.from({ length: 8 }, (_, i) => nextPollSeconds(i + 1, policy)).join(', ');
  return {
    name: 'polling',
    title: 'Polling cost: export jobs that finish after 30 s, 5 min and 1 h',
    rows,
    notes: [
      `Product policy = the defaults POLL_INITIAL_SECONDS ${policy.initialSeconds}, POLL_MAX_SECONDS ${policy.maxSeconds}, ` +
        `POLL_MAX_ATTEMPTS ${policy.maxAttempts} through nextPollSeconds (waits ${waits}, … s); ` +
        `baseline = a fixed ${FIXED_SECONDS} s wait with no attempt limit.`,
      'Computed on a virtual clock: the first Request Export starts the job; every poll enters Request Export + ' +
        'Export Ready?, each `doing` answer also Wait For Export, and the `done` one Copy To S3 + Export Complete.',
      `Every case also ran on the real ASL (aws-local-stepfunctions) with the real requestExport handler against ` +
        'the GrowingIO emulator (secondsUntilDone, virtual clock advanced by each nextPollSeconds, Wait states ' +
        'overridden to 0 ms); transitions = StateEntered events.',
      `Backoff trades detection delay for calls (${late.join(', ')} after ready); the 10 % target is for the 1 h job.`,
      `With these defaults the longest job the machine waits for is ~${fmt(totalWaitSeconds(policy.maxAttempts - 1, policy) / 3600, 2)} h ` +
        `(${policy.maxAttempts} polls) before ExportTimedOut; fixed 5 s polling would need ${Math.ceil(3600 / FIXED_SECONDS) + 1} ` +
        'polls for the 1 h job alone, far beyond that attempt limit.',
    ],
  };
}
