// `audience-pipeline history`: the export runs (GET /exports) from the persisted local executions, or from AWS
// when STATE_MACHINE_ARN names a deployed export state machine.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createListExports } from '../../functions/handlers/list-exports.ts';
import { type Env, isSet, parseConfig } from '../../lib/config.ts';
import type { ExportRun } from '../../lib/export/history.ts';
import { silentLogger } from '../../lib/log.ts';
import { localContext } from '../aws/state-machine.ts';
import { toHttpApiEvent } from '../http-api.ts';
import { startLocalRuntime } from '../runtime.ts';
import type { Flags } from './args.ts';
import { formatBytes } from './progress.ts';

const QUERY_FLAGS = [
  ['project-uid', 'projectUid'],
  ['segmentation-id', 'segmentationId'],
  ['status', 'status'],
  ['scheduled-time', 'scheduledTime'],
  ['limit', 'limit'],
  ['next', 'next'],
] as const;

type Answer = APIGatewayProxyStructuredResultV2;

async function ask(env: Env, dirs: { dataDir: string; sfnDir: string }, query: URLSearchParams): Promise<Answer> {
  const event = toHttpApiEvent({ method: 'GET', url: `/exports?${query}` }, { method: 'GET', path: '/exports' });
  const context = localContext('listExports', 30_000);
  if (isSet(env, 'STATE_MACHINE_ARN')) {
    return (await createListExports({ config: parseConfig(env), logger: silentLogger })(event, context)) as Answer;
  }
  const runtime = await startLocalRuntime({ env, ...dirs, tencent: false, logger: silentLogger });
  try {
    return (await runtime.handlers.listExports(event, context)) as Answer;
  } finally {
    await runtime.close();
  }
}

function printRuns(items: ExportRun[], next: string | undefined): void {
  const columns = ['exportId', 'status', 'startedAt', 'segment', 'rows', 'bytes', 'error'];
  const rows = items.map((run) => [
    run.exportId,
    run.status,
    run.startedAt ?? '',
    `${run.projectUid ?? '?'}/${run.segmentationId ?? '?'}`,
    run.counts ? run.counts.rows.toLocaleString('en-US') : '',
    run.counts ? formatBytes(run.counts.bytes) : '',
    run.error?.name ?? '',
  ]);
  const widths = columns.map((column, i) => Math.max(column.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const lines = [
    format(columns),
    ...rows.map(format),
    `${items.length} runs${next ? `; more with --next ${next}` : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function runHistory(flags: Flags, env: Env, dirs: { dataDir: string; sfnDir: string }): Promise<number> {
  const query = new URLSearchParams();
  for (const [flag, param] of QUERY_FLAGS) {
    const value = flags[flag];
    if (value !== undefined) query.set(param, value);
  }
  const result = await ask(env, dirs, query);
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
  else printRuns(body.items, body.next);
  return 0;
}
