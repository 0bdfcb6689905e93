// `audience-pipeline history [--syncs]`: the export runs (GET /exports) or sync runs (GET /syncs) from the persisted
// local executions, or from AWS when STATE_MACHINE_ARN / SYNC_STATE_MACHINE_ARN names a deployed state machine.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createListExports } from '../../functions/handlers/list-exports.ts';
import { createListSyncs } from '../../functions/handlers/list-syncs.ts';
import { type Env, isSet, parseConfig } from '../../lib/config.ts';
import type { ExportRun } from '../../lib/export/history.ts';
import { silentLogger } from '../../lib/log.ts';
import type { SyncRunRow } from '../../lib/sync/history.ts';
import { localContext } from '../aws/state-machine.ts';
import { toHttpApiEvent } from '../http-api.ts';
import { type LocalRuntime, startLocalRuntime } from '../runtime.ts';
import { type Flags, UsageError } from './args.ts';
import { formatBytes } from './progress.ts';

const COMMON_FLAGS = [
  ['status', 'status'],
  ['scheduled-time', 'scheduledTime'],
  ['limit', 'limit'],
  ['next', 'next'],
] as const;

type Answer = APIGatewayProxyStructuredResultV2;
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** What differs between the two histories: route, query flags, handlers and table. */
const KINDS = {
  exports: {
    path: '/exports',
    flags: [['project-uid', 'projectUid'], ['segmentation-id', 'segmentationId'], ...COMMON_FLAGS],
    setting: 'STATE_MACHINE_ARN',
    deployed: (env: Env) => createListExports({ config: parseConfig(env), logger: silentLogger }) as Handler,
    local: (runtime: LocalRuntime) => runtime.handlers.listExports as Handler,
    columns: ['exportId', 'status', 'startedAt', 'segment', 'rows', 'bytes', 'error'],
    row: (run: ExportRun) => [
      run.exportId,
      run.status,
      run.startedAt ?? '',
      `${run.projectUid ?? '?'}/${run.segmentationId ?? '?'}`,
      run.counts ? run.counts.rows.toLocaleString('en-US') : '',
      run.counts ? formatBytes(run.counts.bytes) : '',
      run.error?.name ?? '',
    ],
  },
  syncs: {
    path: '/syncs',
    flags: [['sync-id', 'syncId'], ...COMMON_FLAGS],
    setting: 'SYNC_STATE_MACHINE_ARN',
    deployed: (env: Env) => createListSyncs({ config: parseConfig(env), logger: silentLogger }) as Handler,
    local: (runtime: LocalRuntime) => runtime.handlers.listSyncs as Handler,
    columns: ['runId', 'status', 'startedAt', 'syncId', 'rows', 'added', 'removed', 'error'],
    row: (run: SyncRunRow) => [
      run.runId,
      run.status,
      run.startedAt ?? '',
      run.syncId ?? '?',
      run.counts ? run.counts.rows.toLocaleString('en-US') : '',
      run.counts ? String(run.counts.added) : '',
      run.counts ? String(run.counts.removed) : '',
      run.error?.name ?? '',
    ],
  },
} as const;

type Kind = (typeof KINDS)[keyof typeof KINDS];

async function ask(kind: Kind, env: Env, dirs: { dataDir: string; sfnDir: string }, query: URLSearchParams) {
  const event = toHttpApiEvent({ method: 'GET', url: `${kind.path}?${query}` }, { method: 'GET', path: kind.path });
  const context = localContext('history', 30_000);
  if (isSet(env, kind.setting)) return (await kind.deployed(env)(event, context)) as Answer;
  const runtime = await startLocalRuntime({ env, ...dirs, tencent: false, logger: silentLogger });
  try {
    return (await kind.local(runtime)(event, context)) as Answer;
  } finally {
    await runtime.close();
  }
}

function printRuns(kind: Kind, items: unknown[], next: string | undefined): void {
  const rows = items.map((item) => (kind.row as (run: unknown) => string[])(item));
  const widths = kind.columns.map((column, i) => Math.max(column.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [
    format(kind.columns),
    ...rows.map(format),
    `${items.length} runs${next ? `; more with --next ${next}` : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function runHistory(flags: Flags, env: Env, dirs: { dataDir: string; sfnDir: string }): Promise<number> {
  const kind: Kind = flags.syncs === true ? KINDS.syncs : KINDS.exports;
  const foreign = (['project-uid', 'segmentation-id', 'sync-id'] as const).filter(
    (flag) => flags[flag] !== undefined && !kind.flags.some(([own]) => own === flag),
  );
  if (foreign.length > 0) throw new UsageError(`history${flags.syncs ? ' --syncs' : ''} does not take --${foreign[0]}`);
  const query = new URLSearchParams();
  for (const [flag, param] of kind.flags) {
    const value = flags[flag];
    if (value !== undefined) query.set(param, value);
  }
  const result = await ask(kind, env, dirs, query);
  const body = JSON.parse(String(result.body));
  if (result.statusCode !== 200) {
    const details = (body.errors ?? []).map((e: { field?: string; message: string }) =>
      e.field ? `${e.field}: ${e.message}` : e.message,
    );
    process.stderr.write(
      `history: HTTP ${result.statusCode} ${body.message}${details.length ? ` (${details.join('; ')})` : ''}\n`,
    );
    return result.statusCode === 400 ? 2 : 1;
  }
  if (flags.json === true) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  else printRuns(kind, body.items, body.next);
  return 0;
}
