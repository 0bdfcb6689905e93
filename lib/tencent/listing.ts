// Listing with filtering: push id conditions upstream, pass pages through when nothing else filters, else scan.
import { BadRequest, QueryTooBroad, TencentQuotaInsufficient } from '../errors.ts';
import type { Logger } from '../log.ts';
import { throwIfAborted } from '../retry.ts';
import type { FilesQuery, TencentClient } from './client.ts';
import { type Condition, compareFiles, matchesAll } from './filter.ts';
import { projectFile } from './items.ts';
import type { SnapshotKeeper } from './snapshots.ts';
import type { AudienceFile, FileField, PageInfo } from './types.ts';

/** Upstream page size while scanning: the API's maximum, so a scan needs as few calls as possible. */
export const SCAN_PAGE_SIZE = 100;

export interface ListingQuery {
  accountId: number;
  audienceId?: number;
  customAudienceFileId?: number;
  page: number;
  pageSize: number;
  fields?: readonly FileField[];
  filtering: readonly Condition[];
  /** Answer from this paging snapshot (page_info.snapshot_id of an earlier scan), with no upstream call. */
  snapshotId?: string;
}

export interface ScanLimits {
  /** A scan needing more upstream pages than this is refused with QueryTooBroad (422). */
  maxScanPages: number;
  /** Upstream requests in flight at once while scanning. */
  concurrency: number;
}

export interface Listing {
  list: Array<Partial<AudienceFile>>;
  page_info: PageInfo & { snapshot_id?: string };
}

export interface ListingDeps {
  /** Where scans keep their result for later pages; absent ⇒ no snapshot_id in answers. */
  snapshots?: SnapshotKeeper | undefined;
  logger?: Logger | undefined;
}

export interface ListingStats {
  mode: 'pass-through' | 'scan' | 'snapshot';
  upstreamPages: number;
  traceIds: string[];
}

type Upstream = Pick<FilesQuery, 'accountId' | 'audienceId' | 'customAudienceFileId'>;
const PUSHABLE = [
  ['audience_id', 'audienceId'],
  ['custom_audience_file_id', 'customAudienceFileId'],
] as const;

/**
 * Split a query into what Tencent can filter (account and the two ids) and what we must evaluate here.
 * An EQUALS condition on an id is pushed only when the query parameter for that id is absent; otherwise it
 * stays local, so contradicting values give an empty answer instead of silently picking one.
 */
export function planQuery(query: ListingQuery): { upstream: Upstream; local: Condition[] } {
  const upstream: Upstream = { accountId: query.accountId };
  if (query.audienceId !== undefined) upstream.audienceId = query.audienceId;
  if (query.customAudienceFileId !== undefined) upstream.customAudienceFileId = query.customAudienceFileId;
  const local: Condition[] = [];
  for (const condition of query.filtering) {
    const push = PUSHABLE.find(([field]) => field === condition.field);
    const value = condition.values[0];
    const pushable =
      push &&
      condition.operator === 'EQUALS' &&
      upstream[push[1]] === undefined &&
      typeof value === 'number' &&
      value > 0;
    if (push && pushable) upstream[push[1]] = value as number;
    else local.push(condition);
  }
  return { upstream, local };
}

export async function listAudienceFiles(
  client: TencentClient,
  query: ListingQuery,
  limits: ScanLimits,
  signal?: AbortSignal,
  deps: ListingDeps = {},
): Promise<{ listing: Listing; stats: ListingStats }> {
  if (query.snapshotId !== undefined) return fromSnapshot(query, query.snapshotId, deps.snapshots);
  const { upstream, local } = planQuery(query);
  throwIfAborted(signal);
  if (local.length === 0) return passThrough(client, query, upstream, signal);
  const { files, stats } = await scanAll(client, upstream, limits, signal);
  const matched = files.filter((file) => matchesAll(file, local)).sort(compareFiles);
  const snapshotId = await keep(deps, query.accountId, matched);
  return { listing: pageOf(matched, query, snapshotId), stats };
}

function pageOf(files: readonly AudienceFile[], query: ListingQuery, snapshotId?: string): Listing {
  const { items, page_info } = paginate(files, query.page, query.pageSize);
  const info = snapshotId === undefined ? page_info : { ...page_info, snapshot_id: snapshotId };
  return { list: items.map((file) => projectFile(file, query.fields)), page_info: info };
}

/** Stores a scan's result; a store failure costs only the snapshot (logged), never the answer. */
async function keep(deps: ListingDeps, accountId: number, files: readonly AudienceFile[]) {
  if (!deps.snapshots) return undefined;
  try {
    return await deps.snapshots.save(accountId, files);
  } catch (error) {
    deps.logger?.warn('paging snapshot not stored', { error: error instanceof Error ? error.name : 'unknown' });
    return undefined;
  }
}

/** A later page of an earlier scan: no upstream call. Filters given again narrow the snapshot further. */
async function fromSnapshot(
  query: ListingQuery,
  snapshotId: string,
  snapshots: SnapshotKeeper | undefined,
): Promise<{ listing: Listing; stats: ListingStats }> {
  if (!snapshots) {
    throw new BadRequest('Invalid query: snapshot_id: paging snapshots are not kept by this deployment', {
      errors: [{ field: 'snapshot_id', message: 'is not available: EXPORT_BUCKET is not configured' }],
    });
  }
  const files = await snapshots.load(query.accountId, snapshotId);
  const ids = [
    ['audience_id', query.audienceId],
    ['custom_audience_file_id', query.customAudienceFileId],
  ] as const;
  const conditions: Condition[] = [
    ...ids.flatMap(([field, value]) =>
      value === undefined ? [] : [{ field, operator: 'EQUALS' as const, values: [value] }],
    ),
    ...query.filtering,
  ];
  const matched = conditions.length === 0 ? files : files.filter((file) => matchesAll(file, conditions));
  return { listing: pageOf(matched, query, snapshotId), stats: { mode: 'snapshot', upstreamPages: 0, traceIds: [] } };
}

/** Nothing to filter locally: one upstream call for exactly the requested page, in Tencent's order. */
async function passThrough(
  client: TencentClient,
  query: ListingQuery,
  upstream: Upstream,
  signal?: AbortSignal,
): Promise<{ listing: Listing; stats: ListingStats }> {
  const page = await client.getAudienceFiles(
    { ...upstream, page: query.page, pageSize: query.pageSize, ...(query.fields ? { fields: query.fields } : {}) },
    signal,
  );
  const list = page.list.map((file) => projectFile(file, query.fields));
  const stats: ListingStats = { mode: 'pass-through', upstreamPages: 1, traceIds: page.traceId ? [page.traceId] : [] };
  return { listing: { list, page_info: page.page_info }, stats };
}

/** Every upstream page of the pushed-down query, de-duplicated by file id (pages can shift mid-scan). */
async function scanAll(
  client: TencentClient,
  upstream: Upstream,
  limits: ScanLimits,
  signal?: AbortSignal,
): Promise<{ files: AudienceFile[]; stats: ListingStats }> {
  const fetchPage = (page: number, pageSignal?: AbortSignal) =>
    client.getAudienceFiles({ ...upstream, page, pageSize: SCAN_PAGE_SIZE }, pageSignal);
  const first = await fetchPage(1, signal);
  const totalPages = Math.max(first.page_info.total_page, Math.ceil(first.page_info.total_number / SCAN_PAGE_SIZE));
  if (totalPages > limits.maxScanPages) {
    throw new QueryTooBroad(
      `This query needs ${totalPages} upstream pages (${first.page_info.total_number} files) but at most ` +
        `${limits.maxScanPages} are scanned; narrow it with audience_id or custom_audience_file_id (or an EQUALS ` +
        'condition on them), or raise TENCENT_MAX_SCAN_PAGES',
      { details: { upstreamPages: totalPages, maxScanPages: limits.maxScanPages } },
    );
  }
  refuseBeyondQuota(first.rateLimitRemaining, totalPages - 1);
  const pageNumbers = Array.from({ length: Math.max(0, totalPages - 1) }, (_, index) => index + 2);
  const rest = await mapWithConcurrency(pageNumbers, limits.concurrency, fetchPage, signal);
  const pages = [first, ...rest];
  const seen = new Set<number>();
  const files: AudienceFile[] = [];
  for (const file of pages.flatMap((page) => page.list)) {
    const id = file.custom_audience_file_id;
    if (id !== null && seen.has(id)) continue;
    if (id !== null) seen.add(id);
    files.push(file);
  }
  const traceIds = pages.flatMap((page) => (page.traceId ? [page.traceId] : []));
  return { files, stats: { mode: 'scan', upstreamPages: pages.length, traceIds } };
}

/**
 * X-RateLimit-Remaining of the first answer against the calls still needed: a scan that cannot finish is refused
 * before its second call (503, both numbers in the message), never half-run. Absent header ⇒ no check.
 */
export function refuseBeyondQuota(remaining: number | undefined, needed: number): void {
  if (remaining === undefined || needed <= remaining) return;
  throw new TencentQuotaInsufficient(
    `This query needs ${needed} more upstream calls but Tencent reports only ${remaining} remaining ` +
      '(X-RateLimit-Remaining); nothing more was called. Narrow it with audience_id or custom_audience_file_id, ' +
      'or retry when the quota has recovered',
    { details: { upstreamCallsNeeded: needed, rateLimitRemaining: remaining } },
  );
}

/** One page of an already ordered list, with page_info computed the way Tencent does. */
export function paginate<T>(items: readonly T[], page: number, pageSize: number): { items: T[]; page_info: PageInfo } {
  const start = (page - 1) * pageSize;
  return {
    items: items.slice(start, start + pageSize),
    page_info: {
      page,
      page_size: pageSize,
      total_number: items.length,
      total_page: Math.ceil(items.length / pageSize),
    },
  };
}

/**
 * Map with at most `limit` calls in flight, results in input order. The first failure aborts the calls
 * still running (through their signal) and rejects.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const controller = new AbortController();
  const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !combined.aborted) {
      const index = next++;
      results[index] = await fn(items[index]!, combined);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  } catch (error) {
    controller.abort(error);
    throw error;
  }
  // Workers stop quietly when the caller aborts; never hand back a partial result as if complete.
  throwIfAborted(signal);
  return results;
}
