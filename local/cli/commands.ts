// What each CLI command does; local/cli/main.ts only parses the command line and maps outcomes to exit codes.
import { once } from 'node:events';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createListAudienceFiles } from '../../functions/handlers/list-audience-files.ts';
import { type Env, isSet, parseConfig, realServices } from '../../lib/config.ts';
import type { Manifest } from '../../lib/export/manifest.ts';
import type { StartedExport } from '../../lib/export/start.ts';
import { readableCause } from '../../lib/export/status.ts';
import { createLogger, type Logger, silentLogger } from '../../lib/log.ts';
import { localContext } from '../aws/state-machine.ts';
import type { GrowingIoEmulatorOptions } from '../emulators/growingio.ts';
import { startGrowingIoEmulator } from '../emulators/growingio.ts';
import { startTencentEmulator } from '../emulators/tencent.ts';
import { startHttpApi, toHttpApiEvent } from '../http-api.ts';
import { type LocalRuntime, startLocalRuntime, tencentEmulatorEnv } from '../runtime.ts';
import { type Flags, integerFlag, portFlag, UsageError } from './args.ts';
import { onInterrupt } from './interrupt.ts';
import { createProgressReporter, formatBytes } from './progress.ts';

export const DATA_DIR = '.local/s3';

/** The built-in demo segment: 200,000 users over three files, one with BOM + CRLF, one gzip-encoded. */
export const DEMO = {
  projectUid: 'demo-project',
  segmentationId: 'demo-segment',
  parameters: 'open_id,user_name,city',
  growingio: {
    pollsUntilDone: 2,
    files: [
      { rows: 80_000, seed: 1 },
      { rows: 70_000, seed: 2, bom: true, crlf: true },
      { rows: 50_000, seed: 3, gzip: true },
    ],
  } satisfies GrowingIoEmulatorOptions,
};

/** Handler logs go to stderr only when LOG_LEVEL is set: the CLI prints its own progress and errors. */
function cliLogger(env: Env, fallback?: 'info'): Logger {
  if (!isSet(env, 'LOG_LEVEL') && !fallback) return silentLogger;
  const level = isSet(env, 'LOG_LEVEL') ? parseConfig(env).LOG_LEVEL : fallback;
  return createLogger({ level, write: (line) => process.stderr.write(`${line}\n`) });
}

function exportRequestFrom(flags: Flags): Record<string, unknown> {
  const demo = flags.demo === true;
  const projectUid = flags['project-uid'] ?? (demo ? DEMO.projectUid : undefined);
  const segmentationId = flags['segmentation-id'] ?? (demo ? DEMO.segmentationId : undefined);
  if (!projectUid || !segmentationId) {
    throw new UsageError('export needs --project-uid and --segmentation-id (or --demo)');
  }
  const parameters = flags.parameters ?? (demo ? DEMO.parameters : undefined);
  const { bucket, prefix } = flags;
  return {
    projectUid,
    segmentationId,
    ...(flags['expire-minutes'] === undefined ? {} : { expireMinutes: integerFlag(flags, 'expire-minutes') }),
    ...(parameters === undefined
      ? {}
      : {
          parameters: parameters
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean),
        }),
    ...(bucket || prefix ? { destination: { ...(bucket ? { bucket } : {}), ...(prefix ? { prefix } : {}) } } : {}),
  };
}

/** Runs until SIGINT/SIGTERM, then closes everything. */
async function untilInterrupted(close: () => Promise<void>): Promise<number> {
  const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  process.stderr.write(`\nshutting down (${String(signal[0] ?? 'signal')})…\n`);
  await close();
  return 0;
}

export async function runExport(flags: Flags, env: Env): Promise<number> {
  const request = exportRequestFrom(flags);
  const demo = flags.demo === true;
  // The demo polls quickly unless told otherwise; real runs keep the configured (or default) timing.
  const runEnv: Env = demo ? { POLL_INITIAL_SECONDS: '1', POLL_MAX_SECONDS: '5', ...env } : env;
  const reporter = createProgressReporter(process.stderr);
  const runtime = await startLocalRuntime({
    env: runEnv,
    dataDir: DATA_DIR,
    growingio: demo ? DEMO.growingio : undefined,
    tencent: false,
    logger: cliLogger(env),
    onPoll: reporter.poll,
    onCopyProgress: reporter.copy,
    sweepDeadRuns: true,
  });
  let exportId: string | undefined;
  const interrupt = onInterrupt(async (signal) => {
    const stopped = await runtime.stopExports(`interrupted by ${signal}`);
    await runtime.close();
    reporter.finish();
    const what = exportId ? `export ${exportId}` : 'export';
    process.stderr.write(
      `${what} interrupted by ${signal}: ${stopped > 0 ? 'stopped; what it wrote was removed' : 'nothing was running'}\n`,
    );
  });
  try {
    describeSetup(runtime, env);
    const started = (await runtime.handlers.startExport(request, localContext('startExport'))) as StartedExport;
    exportId = started.exportId;
    process.stderr.write(`export ${started.exportId} started\n`);
    await Promise.race([runtime.sfn.waitFor(started.executionArn), interrupt.received]);
    const stopping = interrupt.stopped();
    if (stopping) return await stopping;
    reporter.finish();
    const out = await runtime.sfnClient.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    if (out.status !== 'SUCCEEDED') {
      const cause = readableCause(out.cause);
      process.stderr.write(
        `export ${started.exportId} ${out.status}: ${out.error ?? 'unknown error'}${cause ? `: ${cause}` : ''}\n`,
      );
      return 1;
    }
    const manifest = JSON.parse(out.output ?? '{}');
    printManifest(manifest, runtime, flags.json === true);
    return 0;
  } finally {
    const stopping = interrupt.stopped();
    if (stopping) await stopping;
    else await runtime.close();
    interrupt.dispose();
  }
}

function describeSetup(runtime: LocalRuntime, env: Env) {
  const real = realServices(env);
  const gio = runtime.growingio ? `emulator at ${runtime.growingio.url}` : runtime.config.GROWINGIO_BASE_URL;
  const s3 = runtime.s3 ? `embedded S3 (${DATA_DIR})` : (runtime.config.S3_ENDPOINT ?? 'AWS S3');
  process.stderr.write(`GrowingIO: ${gio}${real.growingio ? ' (real)' : ''}; storage: ${s3}\n`);
}

function printManifest(manifest: Manifest, runtime: LocalRuntime, json: boolean) {
  if (json) {
    process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    return;
  }
  const bucket = runtime.config.EXPORT_BUCKET;
  const lines = [
    `export ${manifest.exportId} SUCCEEDED: ${manifest.files.length} files, ${manifest.totalRows.toLocaleString('en-US')} rows, ${formatBytes(manifest.totalBytes)}`,
    ...manifest.files.map(
      (file) =>
        `  s3://${bucket}/${file.key}  ${file.rows.toLocaleString('en-US')} rows  ${formatBytes(file.bytes)}  sha256 ${file.sha256}`,
    ),
  ];
  const keyPrefix = manifest.files[0]?.key.replace(/\/[^/]+$/, '');
  lines.push(`  s3://${bucket}/${keyPrefix}/manifest.json`);
  if (runtime.s3) lines.push(`stored by the embedded S3 under ${DATA_DIR}/${bucket}/ (one file per object)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function runAudienceFiles(flags: Flags, env: Env): Promise<number> {
  const accountId = flags['account-id'];
  if (!accountId) throw new UsageError('audience-files needs --account-id');
  const query = new URLSearchParams({ account_id: accountId });
  for (const [flag, param] of [
    ['filtering', 'filtering'],
    ['page', 'page'],
    ['page-size', 'page_size'],
  ] as const) {
    const value = flags[flag];
    if (value !== undefined) query.set(param, value);
  }
  const emulator = realServices(env).tencent ? undefined : await startTencentEmulator();
  try {
    const config = parseConfig({ ...env, ...(emulator ? tencentEmulatorEnv(emulator) : {}) });
    const handler = createListAudienceFiles({ config, logger: cliLogger(env), timeoutEarlyInMillis: 0 });
    const event = toHttpApiEvent(
      { method: 'GET', url: `/audience-files?${query}` },
      { method: 'GET', path: '/audience-files' },
    );
    const result = (await handler(
      event,
      localContext('listAudienceFiles', 30_000),
    )) as APIGatewayProxyStructuredResultV2;
    const body = JSON.parse(String(result.body));
    if (result.statusCode !== 200) {
      const details = (body.errors ?? []).map(
        (e: { field?: string; message: string }) => `${e.field ? `${e.field}: ` : ''}${e.message}`,
      );
      const extra = [body.code && `code ${body.code}`, body.traceId && `trace ${body.traceId}`].filter(Boolean);
      process.stderr.write(
        `audience-files: HTTP ${result.statusCode} ${body.message}${details.length ? ` (${details.join('; ')})` : ''}${extra.length ? ` [${extra.join(', ')}]` : ''}\n`,
      );
      return result.statusCode === 400 ? 2 : 1;
    }
    if (flags.json === true) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    else printListing(body);
    return 0;
  } finally {
    await emulator?.close();
  }
}

function printListing(body: { list: Array<Record<string, unknown>>; page_info: Record<string, number> }) {
  const columns = ['custom_audience_file_id', 'audience_id', 'process_status', 'user_count', 'created_time', 'name'];
  const rows = body.list.map((item) => columns.map((column) => String(item[column] ?? '')));
  const widths = columns.map((column, i) => Math.max(column.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const info = body.page_info;
  process.stdout.write(
    `${[format(columns), ...rows.map(format)].join('\n')}\npage ${info.page}/${info.total_page}, ${info.total_number} files in all\n`,
  );
}

export async function runServe(flags: Flags, env: Env): Promise<number> {
  const port = portFlag(flags, 'port', 3000);
  const runtime = await startLocalRuntime({
    env,
    dataDir: DATA_DIR,
    logger: cliLogger(env, 'info'),
    sweepDeadRuns: true,
  });
  let api: Awaited<ReturnType<typeof startHttpApi>>;
  try {
    api = await startHttpApi(
      [
        { method: 'POST', path: '/exports', functionName: 'startExport', handler: runtime.handlers.startExport },
        { method: 'GET', path: '/exports/{exportId}', functionName: 'getExport', handler: runtime.handlers.getExport },
        {
          method: 'GET',
          path: '/audience-files',
          functionName: 'listAudienceFiles',
          handler: runtime.handlers.listAudienceFiles,
        },
      ],
      { port },
    );
  } catch (error) {
    await runtime.close();
    throw error;
  }
  process.stderr.write(
    `${[
      `audience-pipeline API on ${api.url}`,
      '  POST /exports   GET /exports/{exportId}   GET /audience-files',
      runtime.growingio
        ? `  GrowingIO emulator ${runtime.growingio.url}`
        : `  GrowingIO ${runtime.config.GROWINGIO_BASE_URL}`,
      runtime.tencent ? `  Tencent emulator ${runtime.tencent.url}` : `  Tencent ${runtime.config.TENCENT_BASE_URL}`,
      runtime.s3
        ? `  embedded S3 ${runtime.s3.endpoint} (bucket ${runtime.config.EXPORT_BUCKET}, data in ${DATA_DIR})`
        : '',
      'Ctrl-C stops everything.',
    ]
      .filter(Boolean)
      .join('\n')}\n`,
  );
  const interrupt = onInterrupt(async (signal) => {
    await api.close();
    const stopped = await runtime.stopExports(`interrupted by ${signal}`);
    await runtime.close();
    process.stderr.write(`shutting down (${signal}): ${stopped} running export(s) stopped and cleaned up\n`);
  });
  try {
    await interrupt.received;
    return await interrupt.stopped()!;
  } finally {
    interrupt.dispose();
  }
}

export async function runEmulate(flags: Flags): Promise<number> {
  const growingio = await startGrowingIoEmulator({ port: portFlag(flags, 'growingio-port', 0) });
  const tencent = await startTencentEmulator({ port: portFlag(flags, 'tencent-port', 0) }).catch(async (error) => {
    await growingio.close();
    throw error;
  });
  process.stderr.write(
    `${[
      `GrowingIO emulator: ${growingio.url} (Authorization: ${growingio.token}; downloads on ${growingio.downloadHost})`,
      `  export GROWINGIO_BASE_URL=${growingio.url} GROWINGIO_DOWNLOAD_HOSTS=http://${growingio.downloadHost}`,
      `Tencent emulator:   ${tencent.url} (access_token ${tencent.accessToken})`,
      `  export TENCENT_BASE_URL=${tencent.url}`,
      'Ctrl-C stops them.',
    ].join('\n')}\n`,
  );
  return await untilInterrupted(async () => {
    await growingio.close();
    await tencent.close();
  });
}
