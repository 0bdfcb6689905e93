// `audience-pipeline sync`: one audience sync on the local runtime (emulators and embedded S3 unless configured),
// progress on stderr, the report on stdout (`--json`: exactly the report). `--demo` changes its segment every run.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Env } from '../../lib/config.ts';
import type { SyncReport } from '../../lib/sync/report.ts';
import { describeSync, type StartedSync } from '../../lib/sync/start.ts';
import { localContext } from '../aws/state-machine.ts';
import type { CsvFileSpec } from '../emulators/csv-generator.ts';
import { type LocalRuntime, startLocalRuntime } from '../runtime.ts';
import { type Flags, integerFlag, UsageError } from './args.ts';
import { cliLogger, DATA_DIR, SFN_DIR } from './commands.ts';
import { exitCodeFor, interruptedLine, type StopSignal, unlessInterrupted } from './interrupt.ts';
import { createSyncProgress } from './sync-progress.ts';

/** How many demo syncs ran: each one serves a different segment, so the next run shows a real delta. */
const DEMO_COUNTER = '.local/sync-demo.json';

export const SYNC_DEMO = {
  request: {
    projectUid: 'demo-project',
    segmentationId: 'demo-segment',
    parameters: ['user_name', 'city'],
    tencent: { accountId: 10_001, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
  },
  /** Run n: one file stays, one rotates through four seeds, one is new every run. */
  files: (run: number): CsvFileSpec[] => [
    { rows: 30_000, seed: 1 },
    { rows: 20_000, seed: 2 + (run % 4), crlf: true },
    { rows: 10_000, seed: 100 + run, bom: true },
  ],
};

async function nextDemoRun(): Promise<number> {
  const previous = await readFile(DEMO_COUNTER, 'utf8').then(
    (text) => Number((JSON.parse(text) as { runs?: unknown }).runs) || 0,
    () => 0,
  );
  await mkdir(dirname(DEMO_COUNTER), { recursive: true });
  await writeFile(DEMO_COUNTER, JSON.stringify({ runs: previous + 1 }));
  return previous + 1;
}

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** The sync request the flags describe (validated by startSync, which names every bad field). */
export function syncRequestFrom(flags: Flags): Record<string, unknown> {
  const required = ['project-uid', 'segmentation-id', 'account-id', 'user-id-type', 'id-column'] as const;
  const missing = required.filter((flag) => flags[flag] === undefined);
  if (missing.length > 0)
    throw new UsageError(`sync needs ${missing.map((flag) => `--${flag}`).join(', ')} (or --demo)`);
  if (flags['audience-id'] !== undefined && flags['audience-name'] !== undefined) {
    throw new UsageError('give --audience-id or --audience-name, not both');
  }
  const tencent = {
    accountId: integerFlag(flags, 'account-id'),
    userIdType: flags['user-id-type'],
    idColumn: flags['id-column'],
    ...(flags['audience-id'] === undefined ? {} : { audienceId: integerFlag(flags, 'audience-id') }),
    ...(flags['audience-name'] === undefined ? {} : { audienceName: flags['audience-name'] }),
    ...(flags['open-app-id'] === undefined ? {} : { openAppId: flags['open-app-id'] }),
  };
  return {
    projectUid: flags['project-uid'],
    segmentationId: flags['segmentation-id'],
    ...(flags.parameters === undefined ? {} : { parameters: list(flags.parameters) }),
    ...(flags['sync-id'] === undefined ? {} : { syncId: flags['sync-id'] }),
    ...(flags.full ? { mode: 'full' } : {}),
    ...(flags['dry-run'] ? { dryRun: true } : {}),
    ...removalFlags(flags),
    tencent,
  };
}

/** --max-remove-percent and --allow-empty-export (the demo takes them too). */
function removalFlags(flags: Flags): Record<string, unknown> {
  const percent = flags['max-remove-percent'];
  if (percent !== undefined && !/^\d+(\.\d+)?$/.test(percent)) {
    throw new UsageError(`--max-remove-percent must be a number from 0 to 100, got '${percent}'`);
  }
  return {
    ...(percent === undefined ? {} : { maxRemovePercent: Number(percent) }),
    ...(flags['allow-empty-export'] ? { allowEmptyExport: true } : {}),
  };
}

export async function runSync(flags: Flags, env: Env): Promise<number> {
  const demo = flags.demo === true;
  const request = demo
    ? { ...SYNC_DEMO.request, ...(flags['dry-run'] ? { dryRun: true } : {}), ...removalFlags(flags) }
    : syncRequestFrom(flags);
  const demoRun = demo ? await nextDemoRun() : 0;
  const runEnv: Env = demo ? { POLL_INITIAL_SECONDS: '1', POLL_MAX_SECONDS: '2', ...env } : env;
  const progress = createSyncProgress(process.stderr);
  const runtime = await startLocalRuntime({
    env: runEnv,
    dataDir: DATA_DIR,
    sfnDir: SFN_DIR,
    growingio: demo ? { pollsUntilDone: 2, files: SYNC_DEMO.files(demoRun) } : undefined,
    logger: cliLogger(env),
    onPoll: progress.poll,
    onCopyProgress: progress.copy,
    sync: progress.hooks,
  });
  let runId: string | undefined;
  const work = async () => {
    if (demo) process.stderr.write(`demo sync #${demoRun}: the segment differs from the last demo run\n`);
    const started = (await runtime.handlers.startSync(request, localContext('startSync'))) as StartedSync;
    runId = started.runId;
    process.stderr.write(`sync ${started.syncId} run ${started.runId} started\n`);
    await runtime.sfn.waitFor(started.executionArn);
    progress.finish();
    return await reportOutcome(runtime, started, flags.json === true);
  };
  try {
    const outcome = await unlessInterrupted(work());
    if ('value' in outcome) return outcome.value;
    process.stderr.write(`\n${interruptedLine(runId, outcome.signal)}\n`);
    return exitCodeFor(outcome.signal as StopSignal);
  } finally {
    await runtime.close();
  }
}

async function reportOutcome(runtime: LocalRuntime, started: StartedSync, json: boolean): Promise<number> {
  const stateMachineArn = runtime.config.SYNC_STATE_MACHINE_ARN!;
  const status = await describeSync({ sfn: runtime.sfnClient, stateMachineArn }, started.runId);
  if (status.status !== 'SUCCEEDED') {
    // The cause starts with the step that failed: "FAILED: AudienceProcessingFailed in Check Processing: …".
    const why = status.error ? `${status.error.name} in ${status.error.cause}` : 'no reason given';
    process.stderr.write(`sync run ${started.runId} ${status.status}: ${why}\n`);
    return 1;
  }
  const report = status.report as SyncReport;
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${reportLines(report).join('\n')}\n`);
  return 0;
}

function reportLines(report: SyncReport): string[] {
  const n = (value: number) => value.toLocaleString('en-US');
  const committed = report.snapshot.committed ? 'committed' : 'not committed';
  return [
    `sync ${report.syncId} run ${report.runId} SUCCEEDED${report.dryRun ? ' (dry run: nothing sent to Tencent)' : ''}`,
    `  audience ${report.audienceId ?? '-'} (account ${report.accountId}, ${report.userIdType}, mode ${report.mode})`,
    `  rows ${n(report.rows)}: ${n(report.validIds)} valid, ${n(report.invalidIds)} invalid, ${n(report.emptyIds)} empty, ${n(report.duplicateIds)} duplicates`,
    `  added ${n(report.added)}, removed ${n(report.removed)}, unchanged ${n(report.unchanged)}`,
    ...report.files.map(
      (file) =>
        `  ${file.operationType} ${file.key} ${n(file.lines)} ids ${n(file.bytes)} bytes${file.customAudienceFileId ? ` → file ${file.customAudienceFileId} ${file.processStatus}` : ''}`,
    ),
    ...(report.files.length === 0 ? ['  nothing to upload'] : []),
    `  snapshot ${report.snapshot.key}: ${n(report.snapshot.ids)} ids, ${committed}`,
  ];
}
