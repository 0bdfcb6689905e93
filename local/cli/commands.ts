// What each CLI command does; local/cli/main.ts only parses the command line and maps outcomes to exit codes.
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createListAudienceFiles } from '../../functions/handlers/list-audience-files.ts';
import { type Env, isSet, parseConfig, realServices } from '../../lib/config.ts';
import { readableCause } from '../../lib/export/cause.ts';
import type { Manifest } from '../../lib/export/manifest.ts';
import type { StartedExport } from '../../lib/export/start.ts';
import { createLogger, type Logger, silentLogger } from '../../lib/log.ts';
import { startLocalS3 } from '../aws/s3.ts';
import { localContext } from '../aws/state-machine.ts';
import type { GrowingIoEmulatorOptions } from '../emulators/growingio.ts';
import { startGrowingIoEmulator } from '../emulators/growingio.ts';
import { startTencentEmulator } from '../emulators/tencent.ts';
import { startHttpApi, toHttpApiEvent } from '../http-api.ts';
import { LOCAL_BUCKET, type LocalRuntime, startLocalRuntime, tencentEmulatorEnv } from '../runtime.ts';
import { type Flags, integerFlag, portFlag, UsageError } from './args.ts';
import { apiRoutes, growingIoLines, serveLines, tencentLines } from './endpoints.ts';
import { onInterrupt, onRuntimeInterrupt } from './interrupt.ts';
import { createProgressReporter, formatBytes } from './progress.ts';

export const DATA_DIR = '.local/s3';
export const SFN_DIR = '.local/sfn';

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
export function cliLogger(env: Env, fallback?: 'info'): Logger {
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
    sfnDir: SFN_DIR,
    growingio: demo ? DEMO.growingio : undefined,
    tencent: false,
    logger: cliLogger(env),
    onPoll: reporter.poll,
    onCopyProgress: reporter.copy,
    sweepDeadRuns: true,
  });
  let exportId: string | undefined;
  const interrupt = onRuntimeInterrupt(runtime, (signal, stopped) => {
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
    await interrupt.finish();
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

/** The listing's query string from the command's flags (the same parameters the HTTP API takes). */
function listingQuery(flags: Flags): URLSearchParams {
  const accountId = flags['account-id'];
  if (!accountId) throw new UsageError('audience-files needs --account-id');
  const query = new URLSearchParams({ account_id: accountId });
  for (const [flag, param] of [
    ['filtering', 'filtering'],
    ['page', 'page'],
    ['page-size', 'page_size'],
    ['fields', 'fields'],
    ['snapshot-id', 'snapshot_id'],
  ] as const) {
    const value = flags[flag];
    if (value !== undefined) query.set(param, value);
  }
  return query;
}

export async function runAudienceFiles(flags: Flags, env: Env): Promise<number> {
  const query = listingQuery(flags);
  const real = realServices(env);
  const emulator = real.tencent ? undefined : await startTencentEmulator();
  // Paging snapshots outlive this process: with no S3 settings they go to the embedded S3 (as `export` does).
  const s3 = real.s3
    ? undefined
    : await startSnapshotS3().catch(async (error) => {
        await emulator?.close();
        throw error;
      });
  try {
    const config = parseConfig({
      ...env,
      ...(emulator ? tencentEmulatorEnv(emulator) : {}),
      ...(s3 ? { S3_ENDPOINT: s3.endpoint, EXPORT_BUCKET: LOCAL_BUCKET } : {}),
    });
    const handler = createListAudienceFiles({
      config,
      logger: cliLogger(env),
      timeoutEarlyInMillis: 0,
      ...(s3 ? { s3: s3.client } : {}),
    });
    const event = toHttpApiEvent(
      { method: 'GET', url: `/audience-files?${query}` },
      { method: 'GET', path: '/audience-files' },
    );
    const context = localContext('listAudienceFiles', 30_000);
    const result = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
    const body = JSON.parse(String(result.body));
    if (result.statusCode !== 200) return printFailure(result.statusCode ?? 500, body);
    if (flags.json === true) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    else printListing(body, flags.fields !== undefined);
    return 0;
  } finally {
    await emulator?.close();
    await s3?.close();
  }
}

/** One stderr line for a refused listing; exit 2 for the caller's mistakes (400), 1 otherwise. */
function printFailure(
  status: number,
  body: { message?: string; errors?: Array<{ field?: string; message: string }>; code?: number; traceId?: string },
): number {
  // Field errors the message already lists (bounded validation messages do) are not repeated.
  const details = (body.errors ?? [])
    .map((e) => `${e.field ? `${e.field}: ` : ''}${e.message}`)
    .filter((detail) => !body.message?.includes(detail));
  const extra = [body.code && `code ${body.code}`, body.traceId && `trace ${body.traceId}`].filter(Boolean);
  process.stderr.write(
    `audience-files: HTTP ${status} ${body.message}${details.length ? ` (${details.join('; ')})` : ''}${extra.length ? ` [${extra.join(', ')}]` : ''}\n`,
  );
  return status === 400 ? 2 : 1;
}

async function startSnapshotS3() {
  await mkdir(DATA_DIR, { recursive: true });
  return await startLocalS3({ directory: DATA_DIR, buckets: [LOCAL_BUCKET] });
}

type ListingBody = { list: Array<Record<string, unknown>>; page_info: Record<string, number | string> };

/** A table of the default columns, or of the `--fields` selection in its order. */
function printListing(body: ListingBody, selected: boolean) {
  const fallback = ['custom_audience_file_id', 'audience_id', 'process_status', 'user_count', 'created_time', 'name'];
  const columns = selected && body.list[0] ? Object.keys(body.list[0]) : fallback;
  const rows = body.list.map((item) => columns.map((column) => String(item[column] ?? '')));
  const widths = columns.map((column, i) => Math.max(column.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const info = body.page_info;
  process.stdout.write(
    `${[format(columns), ...rows.map(format)].join('\n')}\npage ${info.page}/${info.total_page}, ${info.total_number} files in all${info.snapshot_id ? `; next pages: --snapshot-id ${info.snapshot_id}` : ''}\n`,
  );
}

export async function runServe(flags: Flags, env: Env): Promise<number> {
  const port = portFlag(flags, 'port', 3000);
  const logger = cliLogger(env, 'info');
  const api = await startHttpApi({ port, onError: (error) => logger.error('request failed', { error }) });
  let runtime: LocalRuntime;
  try {
    // Location and statusUrl name this server, whatever Host header a client sends.
    const apiEnv = { ...env, API_BASE_URL: env.API_BASE_URL?.trim() || api.url };
    runtime = await startLocalRuntime({ env: apiEnv, dataDir: DATA_DIR, sfnDir: SFN_DIR, logger, sweepDeadRuns: true });
  } catch (error) {
    await api.close();
    throw error;
  }
  api.setRoutes(apiRoutes(runtime));
  process.stderr.write(`${serveLines(runtime, api.url, { s3: DATA_DIR, sfn: SFN_DIR }).join('\n')}\n`);
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
    `${[...growingIoLines(growingio), ...tencentLines(tencent), 'Ctrl-C stops them.'].join('\n')}\n`,
  );
  return await untilInterrupted(async () => {
    await growingio.close();
    await tencent.close();
  });
}
