// What the pipeline measures, as numbers and a few fixed dimensions: never an identifier, a token or a segment id.
// The sink (functions/middleware/metrics.ts) writes CloudWatch EMF lines with Powertools.

import type { Manifest } from './export/manifest.ts';
import type { FanOutSummary } from './fan-out/summary.ts';
import type { ListingStats } from './tencent/listing.ts';

export type MetricUnit = 'Count' | 'Bytes' | 'Seconds' | 'Percent';

export interface MetricDatum {
  name: string;
  unit: MetricUnit;
  value: number;
}

/** One EMF record: these metrics under these dimensions (besides the service). */
export interface MetricsSink {
  emit(dimensions: Record<string, string>, data: MetricDatum[]): void;
}

export const silentMetrics: MetricsSink = { emit: () => {} };

/** Dimension values come from fixed vocabularies; anything else (e.g. a code carrying text) is `other`. */
const SAFE_DIMENSION = /^[A-Za-z0-9_-]{1,32}$/;
const THROTTLE_CODE = /^\d{1,6}$/;

function emit(sink: MetricsSink, dimensions: Record<string, string>, data: MetricDatum[]): void {
  const safe = Object.fromEntries(
    Object.entries(dimensions).map(([key, value]) => [key, SAFE_DIMENSION.test(value) ? value : 'other']),
  );
  sink.emit(
    safe,
    data.filter((datum) => Number.isFinite(datum.value)),
  );
}

/** A finished export (copy/manifest step): rows, bytes, files and the time from request to manifest. */
export function recordExport(sink: MetricsSink, manifest: Manifest): void {
  const seconds = (Date.parse(manifest.completedAt) - Date.parse(manifest.requestedAt)) / 1000;
  emit(sink, { operation: 'export' }, [
    { name: 'ExportRows', unit: 'Count', value: manifest.totalRows },
    { name: 'ExportBytes', unit: 'Bytes', value: manifest.totalBytes },
    { name: 'ExportFiles', unit: 'Count', value: manifest.files.length },
    { name: 'ExportDuration', unit: 'Seconds', value: Math.max(0, seconds) },
  ]);
}

/** One requestExport poll; when the job is done, also how many polls it took. */
export function recordPoll(sink: MetricsSink, poll: { status: string; pollCount: number }): void {
  const data: MetricDatum[] = [{ name: 'ExportPolls', unit: 'Count', value: 1 }];
  if (poll.status === 'done') data.push({ name: 'ExportPollsToDone', unit: 'Count', value: poll.pollCount });
  emit(sink, { operation: 'export' }, data);
}

/** One listing request: the upstream calls it made and the pages a scan read. */
export function recordListing(sink: MetricsSink, stats: Pick<ListingStats, 'mode' | 'upstreamPages'>): void {
  emit(sink, { operation: 'listing', mode: stats.mode }, [
    { name: 'ListingUpstreamCalls', unit: 'Count', value: stats.upstreamPages },
    { name: 'ListingScanPages', unit: 'Count', value: stats.mode === 'scan' ? stats.upstreamPages : 0 },
  ]);
}

const THROTTLES: Record<string, string> = {
  GrowingIoThrottled: 'growingio',
  TencentRateLimited: 'tencent',
  TencentQuotaExhausted: 'tencent',
};

/** An upstream throttle, by upstream and code (HTTP status or Tencent business code); other errors are ignored. */
export function recordThrottle(sink: MetricsSink, error: unknown): void {
  const upstream = THROTTLES[(error as Error | undefined)?.name ?? ''];
  if (!upstream) return;
  const details = ((error as { details?: Record<string, unknown> }).details ?? {}) as Record<string, unknown>;
  const raw = String(details.code ?? details.httpStatus ?? details.status ?? 'unknown');
  const code = THROTTLE_CODE.test(raw) ? raw : 'other';
  emit(sink, { operation: 'upstream', upstream, code }, [{ name: 'UpstreamThrottles', unit: 'Count', value: 1 }]);
}

export interface SyncCounts {
  added: number;
  removed: number;
  invalid: number;
  /** Tencent's `user_count` of the audience and the `valid_line_count` of what was uploaded. */
  userCount?: number;
  validLineCount?: number;
}

/** An audience sync's outcome; the match rate is user_count / valid_line_count in percent, when both are known. */
export function recordSync(sink: MetricsSink, counts: SyncCounts): void {
  const data: MetricDatum[] = [
    { name: 'SyncIdsAdded', unit: 'Count', value: counts.added },
    { name: 'SyncIdsRemoved', unit: 'Count', value: counts.removed },
    { name: 'SyncIdsInvalid', unit: 'Count', value: counts.invalid },
  ];
  if (counts.userCount !== undefined && counts.validLineCount) {
    data.push({ name: 'SyncMatchRate', unit: 'Percent', value: (100 * counts.userCount) / counts.validLineCount });
  }
  emit(sink, { operation: 'sync' }, data);
}

/** A fan-out run: jobs in all, succeeded and failed (the alarm watches FanOutJobsFailed). */
export function recordFanOut(sink: MetricsSink, summary: Pick<FanOutSummary, 'total' | 'succeeded' | 'failed'>): void {
  sink.emit({}, [
    { name: 'FanOutJobs', unit: 'Count', value: summary.total },
    { name: 'FanOutJobsSucceeded', unit: 'Count', value: summary.succeeded },
    { name: 'FanOutJobsFailed', unit: 'Count', value: summary.failed },
  ]);
}
