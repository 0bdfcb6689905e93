// Run history of one state machine, generic over the job kind: ListExecutions pages (status filtered by Step
// Functions), a cheap filter on the execution name, DescribeExecution for the rest, and an opaque cursor.
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { BadRequest, UpstreamError } from '../errors.ts';
import { readableCause } from '../export/cause.ts';
import { childNamePrefix } from '../fan-out/plan.ts';
import { invalidInput, parseOrFail } from '../validation.ts';

export const RUN_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The query fields every run history takes (GET /exports, GET /syncs) besides its own filters. */
export const historyQueryFields = {
  status: z.enum(RUN_STATUSES, { error: `must be one of ${RUN_STATUSES.join(', ')}` }).optional(),
  /** Only the children of the fan-out scheduled at this time (their names start with its stamp). */
  scheduledTime: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number between 1 and 100')
    .transform(Number)
    .pipe(z.int().min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100'))
    .default(20),
  next: z.string().min(1).max(4096).optional(),
};

/** The error of a run that neither succeeded nor is running, for its history row. */
/** A history query (GET /exports, GET /syncs): absent parameters dropped, problems answered 400 naming the field. */
export function parseHistoryQuery<T extends z.ZodType>(
  schema: T,
  query: Record<string, string | undefined>,
): z.output<T> {
  const given = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
  return parseOrFail(schema, given, (errors) => invalidInput(BadRequest, 'Invalid query', errors), 'query');
}

/** The execution's input as the kind started it, or nothing for a foreign or malformed input (listed all the same). */
export function runInput<T>(out: DescribeExecutionCommandOutput): Partial<T> {
  try {
    return JSON.parse(out.input ?? '{}') as Partial<T>;
  } catch {
    return {};
  }
}

/** What every history row says of its execution: status and dates. */
export function runTimes(out: DescribeExecutionCommandOutput) {
  return {
    status: out.status ?? 'UNKNOWN',
    startedAt: out.startDate?.toISOString(),
    stoppedAt: out.stopDate?.toISOString(),
  };
}

export function runError(out: DescribeExecutionCommandOutput): { name: string; cause: string } | undefined {
  if (out.status === 'SUCCEEDED' || out.status === 'RUNNING') return undefined;
  return { name: out.error ?? out.status ?? 'Unknown', cause: readableCause(out.cause).slice(0, 300) };
}

/** The name filter of a scheduledTime query: the fan-out's children of that time only. */
export function scheduledNames(scheduledTime: string | undefined): { name?: (name: string) => boolean } {
  if (!scheduledTime) return {};
  const prefix = childNamePrefix(new Date(scheduledTime));
  return { name: (name) => name.startsWith(prefix) };
}

export interface RunsDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  signal?: AbortSignal;
  /** ListExecutions pages one request may read before answering with what it has (and a cursor). */
  maxPages?: number;
}

export interface RunsQuery {
  status?: RunStatus;
  limit: number;
  /** The cursor a previous answer gave, for the same query. */
  next?: string;
  /** Every other filter, as given: a cursor only continues the query it was made for. */
  filters: Record<string, string | undefined>;
}

export interface RunFilter<Row> {
  /** From the name alone: false skips the execution without describing it (the execution-name scheme). */
  name?(name: string): boolean;
  /** The run's row from its description, or undefined when it does not match the query. */
  row(described: DescribeExecutionCommandOutput): Row | undefined;
}

export interface RunsPage<Row> {
  items: Row[];
  next?: string;
}

interface Cursor {
  /** ListExecutions token of the page to read (absent: the first page). */
  t?: string;
  /** Executions of that page already seen. */
  s: number;
  /** Fingerprint of the query the cursor belongs to. */
  q: string;
}

const PAGE_SIZE = 100;
const DESCRIBE_CONCURRENCY = 8;

function fingerprint(query: RunsQuery): string {
  return JSON.stringify([query.status ?? null, Object.entries(query.filters).sort()]);
}

function readCursor(next: string, query: RunsQuery): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) as Cursor;
    if (cursor.q === fingerprint(query) && Number.isInteger(cursor.s) && cursor.s >= 0) return cursor;
  } catch {
    // fall through: not a cursor we made
  }
  throw new BadRequest('Invalid next: not a cursor of this query (repeat the query without next)', {
    errors: [{ field: 'next', message: 'must be the next value of an earlier answer to the same query' }],
  });
}

function writeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new UpstreamError(`Step Functions could not ${what}: ${(error as Error).name}`, { cause: error });
  }
}

/** Describes the items in small parallel batches, in order. */
async function describeAll(deps: RunsDeps, items: ExecutionListItem[]): Promise<DescribeExecutionCommandOutput[]> {
  const out: DescribeExecutionCommandOutput[] = [];
  for (let i = 0; i < items.length; i += DESCRIBE_CONCURRENCY) {
    const batch = items.slice(i, i + DESCRIBE_CONCURRENCY);
    out.push(
      ...(await Promise.all(
        batch.map((item) =>
          call('describe a run', () =>
            deps.sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }), {
              abortSignal: deps.signal,
            }),
          ),
        ),
      )),
    );
  }
  return out;
}

/** Newest first, `limit` rows at most; `next` when more may follow. */
export async function listRuns<Row>(deps: RunsDeps, query: RunsQuery, filter: RunFilter<Row>): Promise<RunsPage<Row>> {
  const q = fingerprint(query);
  let cursor: Cursor = query.next ? readCursor(query.next, query) : { s: 0, q };
  const items: Row[] = [];
  for (let pages = 0; pages < (deps.maxPages ?? 5); pages++) {
    const page = await call('list runs', () =>
      deps.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: deps.stateMachineArn,
          maxResults: PAGE_SIZE,
          ...(query.status ? { statusFilter: query.status } : {}),
          ...(cursor.t ? { nextToken: cursor.t } : {}),
        }),
        { abortSignal: deps.signal },
      ),
    );
    const executions = (page.executions ?? []).slice(cursor.s);
    const named = executions.filter((item) => filter.name?.(item.name ?? '') ?? true);
    const described = await describeAll(
      deps,
      named.slice(0, Math.max(0, query.limit - items.length) + DESCRIBE_CONCURRENCY),
    );
    let seen = cursor.s;
    for (const item of executions) {
      seen++;
      if (!named.includes(item)) continue;
      const description = described.find((d) => d.executionArn === item.executionArn);
      if (!description) {
        // more matches than this request described: continue from this execution next time
        return { items, next: writeCursor({ ...cursor, s: seen - 1 }) };
      }
      const row = filter.row(description);
      if (row !== undefined) items.push(row);
      if (items.length === query.limit) {
        const more = seen < cursor.s + executions.length || page.nextToken !== undefined;
        return { items, ...(more ? { next: writeCursor({ ...cursor, s: seen }) } : {}) };
      }
    }
    if (!page.nextToken) return { items };
    cursor = { t: page.nextToken, s: 0, q };
  }
  return { items, next: writeCursor(cursor) };
}
