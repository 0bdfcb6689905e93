// CloudWatch EMF lines written through Powertools by the real handlers: an export (requestExport + publishExport on
// the local runtime), a listing (against the Tencent emulator), throttles by code, a sync and a fan-out.
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createListAudienceFiles } from '../../functions/handlers/list-audience-files.ts';
import { createSummarizeFanOut } from '../../functions/handlers/summarize-fan-out.ts';
import type { HttpEvent, HttpResult } from '../../functions/middleware/http.ts';
import { functionMetrics } from '../../functions/middleware/metrics.ts';
import { parseConfig } from '../../lib/config.ts';
import { silentLogger } from '../../lib/log.ts';
import { recordSync, recordThrottle } from '../../lib/metrics.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';
import { type ExportRuntime, exportOutcome, startExport, startExportRuntime } from '../helpers/export-runtime.ts';
import { runSync, startSyncRuntime } from '../helpers/sync-runtime.ts';

const NAMESPACE = 'AudiencePipelineTest';
const SERVICE = 'audience-pipeline-test';
const METRICS_ENV = { METRICS_NAMESPACE: NAMESPACE, METRICS_SERVICE: SERVICE };

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

let written: string[] = [];
beforeAll(() => {
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
    written.push(String(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  });
});
afterAll(() => vi.restoreAllMocks());
afterEach(() => {
  written = [];
});

/** The EMF records written so far that carry `metric`. */
function emf(metric: string): EmfLine[] {
  return written
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine)
    .filter((line) => line._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === metric));
}

function unitOf(line: EmfLine, metric: string): string | undefined {
  return line._aws.CloudWatchMetrics[0]!.Metrics.find((m) => m.Name === metric)?.Unit;
}

describe('export metrics', () => {
  let runtime: ExportRuntime;
  afterAll(() => runtime?.close());

  it('writes rows, bytes, files, duration and polls, with no id or token in any line', async () => {
    runtime = await startExportRuntime({ pollsUntilDone: 2, files: [{ rows: 1_234, seed: 3 }] }, METRICS_ENV);
    const request = { projectUid: 'proj4711', segmentationId: 'segm4711', parameters: ['open_id'] };
    const { body } = await exportOutcome(runtime, await startExport(runtime, request));
    expect(body.status).toBe('SUCCEEDED');

    const [exported] = emf('ExportRows');
    expect(exported!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: NAMESPACE,
      Dimensions: [['service', 'operation']],
    });
    expect(exported).toMatchObject({
      service: SERVICE,
      operation: 'export',
      ExportRows: 1_234,
      ExportBytes: body.manifest.totalBytes,
      ExportFiles: 1,
    });
    expect(unitOf(exported!, 'ExportBytes')).toBe('Bytes');
    expect(unitOf(exported!, 'ExportDuration')).toBe('Seconds');
    expect(exported!.ExportDuration).toBeGreaterThanOrEqual(0);

    const polls = emf('ExportPolls');
    expect(polls).toHaveLength(3);
    expect(polls.map((line) => line.ExportPolls)).toEqual([1, 1, 1]);
    expect(emf('ExportPollsToDone').map((line) => line.ExportPollsToDone)).toEqual([3]);

    const all = written.join('');
    for (const secret of [runtime.growingio!.token, 'proj4711', 'segm4711', body.manifest.exportId]) {
      expect(all).not.toContain(secret);
    }
  });

  it('counts a GrowingIO throttle by its HTTP code', async () => {
    runtime.growingio!.setFaults({ throttleBurst: 3 });
    const started = await startExport(runtime, { projectUid: 'proj0002', segmentationId: 'segm0002' });
    await runtime.sfn.waitFor(started.executionArn);
    runtime.growingio!.setFaults({});
    const throttles = emf('UpstreamThrottles');
    expect(throttles.length).toBeGreaterThan(0);
    expect(throttles[0]).toMatchObject({
      operation: 'upstream',
      upstream: 'growingio',
      code: '429',
      UpstreamThrottles: 1,
    });
    expect(throttles[0]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'operation', 'upstream', 'code']]);
  });
});

describe('listing metrics', () => {
  let emulator: TencentEmulator;
  beforeAll(async () => {
    emulator = await startTencentEmulator({ rateLimitPerSecond: 10_000 });
  });
  afterAll(() => emulator?.close());

  const listing = () => {
    const config = parseConfig({
      TENCENT_BASE_URL: emulator.url,
      TENCENT_ACCESS_TOKEN: emulator.accessToken,
      ...METRICS_ENV,
    });
    return createListAudienceFiles({
      config,
      clock: { now: Date.now, sleep: async () => {} },
      logger: silentLogger,
      timeoutEarlyInMillis: 0,
    });
  };
  const get = async (query: Record<string, string>) => {
    const event = { rawPath: '/audience-files', queryStringParameters: query, headers: {}, requestContext: {} };
    const context = { awsRequestId: 'r1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
    return (await listing()(event as unknown as HttpEvent, context)) as HttpResult;
  };

  it('writes upstream calls and scan pages of a filtered scan', async () => {
    const filtering = JSON.stringify([{ field: 'name', operator: 'CONTAINS', values: ['人群'] }]);
    const result = await get({ account_id: '10003', filtering });
    expect(result.statusCode).toBe(200);
    const [line] = emf('ListingUpstreamCalls');
    expect(line!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: NAMESPACE,
      Dimensions: [['service', 'operation', 'mode']],
    });
    expect(line).toMatchObject({ operation: 'listing', mode: 'scan' });
    expect(line!.ListingUpstreamCalls).toBeGreaterThan(1);
    expect(line!.ListingScanPages).toBe(line!.ListingUpstreamCalls);
    expect(written.join('')).not.toContain(emulator.accessToken);
  });

  it('counts a Tencent per-second limit by its code, and a page in pass-through', async () => {
    emulator.setFaults({ perSecond: 10 });
    const result = await get({ account_id: '10001' });
    emulator.clearFaults();
    expect(result.statusCode).toBe(503);
    expect(emf('UpstreamThrottles')[0]).toMatchObject({ upstream: 'tencent', code: '11016', UpstreamThrottles: 1 });
    expect((await get({ account_id: '10001' })).statusCode).toBe(200);
    expect(emf('ListingUpstreamCalls').at(-1)).toMatchObject({
      mode: 'pass-through',
      ListingUpstreamCalls: 1,
      ListingScanPages: 0,
    });
  });
});

describe('sync and redaction', () => {
  const sink = () => functionMetrics(parseConfig(METRICS_ENV));

  it("finishSync writes the run's added, removed and invalid ids and its match rate, with no id in any line", async () => {
    const runtime = await startSyncRuntime([{ rows: 80, seed: 5 }], METRICS_ENV);
    try {
      const request = {
        projectUid: 'proj4712',
        segmentationId: 'segm4712',
        tencent: { accountId: 10001, userIdType: 'HASH_MOBILE_PHONE', idColumn: 'phone' },
      };
      const { body } = await runSync(runtime, request);
      expect(body.status).toBe('SUCCEEDED');
      const report = body.report;
      const lines = emf('SyncIdsAdded');
      expect(lines).toHaveLength(1);
      expect(lines[0]!._aws.CloudWatchMetrics[0]).toMatchObject({
        Namespace: NAMESPACE,
        Dimensions: [['service', 'operation']],
      });
      expect(lines[0]).toMatchObject({
        operation: 'sync',
        SyncIdsAdded: report.added,
        SyncIdsRemoved: report.removed,
        SyncIdsInvalid: report.invalidIds,
      });
      expect(report.added).toBeGreaterThan(0);
      const [file] = report.files as Array<{ userCount: number; validLineCount: number }>;
      expect(lines[0]!.SyncMatchRate).toBeCloseTo((100 * file!.userCount) / file!.validLineCount);
      const all = written.join('');
      for (const secret of ['proj4712', 'segm4712', report.runId, runtime.tencent!.accessToken]) {
        expect(all).not.toContain(secret);
      }
    } finally {
      await runtime.close();
    }
  });

  it('writes added, removed, invalid ids and the match rate of a sync', () => {
    recordSync(sink(), { added: 900, removed: 50, invalid: 7, userCount: 720, validLineCount: 900 });
    const [line] = emf('SyncMatchRate');
    expect(line).toMatchObject({
      operation: 'sync',
      SyncIdsAdded: 900,
      SyncIdsRemoved: 50,
      SyncIdsInvalid: 7,
      SyncMatchRate: 80,
    });
    expect(unitOf(line!, 'SyncMatchRate')).toBe('Percent');
  });

  it('never writes a code carrying text as a dimension (a token or an id becomes "other")', () => {
    const error = Object.assign(new Error('throttled'), {
      name: 'TencentRateLimited',
      details: { code: 'access_token=tok-secret-123 phone 13800138000' },
    });
    recordThrottle(sink(), error);
    const [line] = emf('UpstreamThrottles');
    expect(line).toMatchObject({ upstream: 'tencent', code: 'other' });
    expect(written.join('')).not.toMatch(/tok-secret-123|13800138000/);
  });

  it('writes FanOutJobsFailed with exactly the dimensions the alarm watches (service only)', async () => {
    const summarize = createSummarizeFanOut({ config: parseConfig(METRICS_ENV), logger: silentLogger });
    const results = [
      { index: 0, kind: 'export', id: 'a', name: 'f-a', result: { status: 'SUCCEEDED', counts: { rows: 1 } } },
      {
        index: 1,
        kind: 'export',
        id: 'b',
        name: 'f-b',
        error: { Error: 'States.TaskFailed', Cause: '{"Status":"FAILED"}' },
      },
    ];
    await summarize({ scheduledTime: '2026-12-06T14:00:00Z', results }, {} as Context);
    const [line] = emf('FanOutJobsFailed');
    expect(line!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
    expect(line).toMatchObject({ service: SERVICE, FanOutJobs: 2, FanOutJobsSucceeded: 1, FanOutJobsFailed: 1 });
  });

  it('writes nothing without a namespace (local runs and the CLI keep stdout clean)', () => {
    recordSync(functionMetrics(parseConfig({})), { added: 1, removed: 0, invalid: 0 });
    expect(emf('SyncIdsAdded')).toEqual([]);
  });
});
