import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BadRequest,
  GrowingIoBadResponse,
  GrowingIoExportFailed,
  GrowingIoThrottled,
  GrowingIoUnauthorized,
  GrowingIoUnavailable,
  OperationAborted,
} from '../../lib/errors.ts';
import { createGrowingIoClient, type GrowingIoClientOptions } from '../../lib/growingio/client.ts';
import { assertTrustedDownloadLink } from '../../lib/growingio/download-links.ts';
import { createLogger } from '../../lib/log.ts';
import { systemClock } from '../../lib/retry.ts';
import {
  type GrowingIoEmulator,
  type GrowingIoEmulatorOptions,
  startGrowingIoEmulator,
} from '../../local/emulators/growingio.ts';
import { fakeClock as makeFakeClock } from '../helpers/fake-clock.ts';

const TOKEN = 'gio-secret-token-8c1f2e';
const request = { projectUid: 'nxog09md', segmentationId: 'nP2lpkX9' };

/** Time that only moves when someone sleeps; shared by client and emulator so throttling is deterministic. */
const fakeClock = () => makeFakeClock(Date.parse('2026-03-01T00:00:00Z'));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  assertNoSecrets(logLines);
});

function assertNoSecrets(lines: string[]): void {
  for (const line of lines) {
    expect(line).not.toContain(TOKEN);
    expect(line).not.toMatch(/sign=(?!\[REDACTED\])/);
  }
}

async function emulator(options: GrowingIoEmulatorOptions = {}): Promise<GrowingIoEmulator> {
  const emu = await startGrowingIoEmulator({ token: TOKEN, ...options });
  cleanups.push(() => emu.close());
  return emu;
}

const logLines: string[] = [];
function client(baseUrl: string, overrides: Partial<GrowingIoClientOptions> = {}) {
  const clock = overrides.clock ?? fakeClock();
  return createGrowingIoClient({
    baseUrl,
    token: TOKEN,
    clock,
    random: () => 0.5,
    logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
    retry: { maxAttempts: 4, timeoutMs: 2_000 },
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error & { details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    expect(String((error as Error).message)).not.toContain(TOKEN);
    return error as Error & { details: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}

describe('GrowingIO client against the emulator', () => {
  it('polls a job from doing to done with a stable id, and the links download the expected files', async () => {
    const emu = await emulator({
      pollsUntilDone: 2,
      files: [
        { rows: 300, seed: 4 },
        { rows: 120, bom: true },
      ],
    });
    const gio = client(emu.url);
    const input = { ...request, expireMinutes: 30, parameters: ['open_id', 'role'] };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await gio.requestSegmentExport(input));
    expect(answers.map((job) => job.status)).toEqual(['doing', 'doing', 'done']);
    expect(new Set(answers.map((job) => job.jobId)).size).toBe(1);
    const done = answers[2]!;
    expect(done.errorMsg).toBe('');
    expect(done.downloadLinks).toHaveLength(2);
    const expected = await emu.expectedFiles(['open_id', 'role']);
    for (const [index, link] of done.downloadLinks.entries()) {
      const url = assertTrustedDownloadLink(link, [`http://${emu.downloadHost}`]);
      const response = await fetch(url);
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.length).toBe(expected[index]!.bytes);
      expect(createHash('sha256').update(body).digest('hex')).toBe(expected[index]!.sha256);
      expect(
        body
          .toString('utf8')
          .replace(/^\uFEFF/, '')
          .split(/\r?\n/)[0],
      ).toBe('user_id,open_id,role');
    }
    expect(emu.stats()).toMatchObject({ apiRequests: 3, jobsCreated: 1 });
  });

  it('maps a wrong token to GrowingIoUnauthorized without retrying', async () => {
    const emu = await emulator();
    const error = await rejection(client(emu.url, { token: 'wrong-token-123' }).requestSegmentExport(request));
    expect(error).toBeInstanceOf(GrowingIoUnauthorized);
    expect(emu.stats().apiRequests).toBe(1);
  });

  it('surfaces failed jobs: unknown parameter and an injected failure carry the upstream errorMsg', async () => {
    const emu = await emulator({ pollsUntilDone: 0 });
    const gio = client(emu.url);
    const unknown = await rejection(gio.requestSegmentExport({ ...request, parameters: ['open_id', 'shoe_size'] }));
    expect(unknown).toBeInstanceOf(GrowingIoExportFailed);
    expect(unknown.details.errorMsg).toBe('请求参数不合法，shoe_size');

    emu.setFaults({ failJob: '分群不存在' });
    const failed = await rejection(gio.requestSegmentExport(request));
    expect(failed).toBeInstanceOf(GrowingIoExportFailed);
    expect(failed.message).toContain('分群不存在');
  });

  it('treats 下载出错，请您稍后重试 as retryable, and a later request starts a fresh job that succeeds', async () => {
    const emu = await emulator({ pollsUntilDone: 0 });
    const gio = client(emu.url);
    emu.setFaults({ failJob: '下载出错，请您稍后重试' });
    const error = await rejection(gio.requestSegmentExport(request));
    expect(error).toBeInstanceOf(GrowingIoUnavailable);
    expect(error.details.errorMsg).toBe('下载出错，请您稍后重试');
    emu.setFaults({});
    const job = await gio.requestSegmentExport(request);
    expect(job.status).toBe('done');
    expect(emu.stats().jobsCreated).toBe(2);
  });

  it('recovers from a burst of 503s within its retries, and gives up as GrowingIoUnavailable on a longer outage', async () => {
    const emu = await emulator({ pollsUntilDone: 0, faults: { serverErrors: 3 } });
    const clock = fakeClock();
    // A generous client-side rate keeps the limiter out of the way: the sleeps are the backoff alone.
    const gio = client(emu.url, { clock, requestsPerSecond: 1000 });
    expect((await gio.requestSegmentExport(request)).status).toBe('done');
    expect(emu.stats().apiRequests).toBe(4);
    expect(clock.sleeps).toEqual([100, 200, 400]);

    emu.setFaults({ serverErrors: 10 });
    const error = await rejection(client(emu.url).requestSegmentExport(request));
    expect(error).toBeInstanceOf(GrowingIoUnavailable);
    expect(error.details.status).toBe(503);
    expect(emu.stats().apiRequests).toBe(8);
  });

  it('honours Retry-After on 429 and reports GrowingIoThrottled once retries run out', async () => {
    const clock = fakeClock();
    const emu = await emulator({ pollsUntilDone: 0, now: clock.now, faults: { rateLimit: true } });
    // A client configured far above the upstream budget meets the emulator's limiter.
    const eager = client(emu.url, { clock, requestsPerSecond: 1000 });
    for (let i = 0; i < 3; i++) await eager.requestSegmentExport(request);
    expect(clock.sleeps).toEqual([1000]);
    expect(emu.stats().apiRequests).toBe(4);

    await clock.sleep(5_000); // an idle spell refills the upstream bucket
    const once = client(emu.url, { clock, requestsPerSecond: 1000, retry: { maxAttempts: 1 } });
    await once.requestSegmentExport(request);
    await once.requestSegmentExport(request);
    const error = await rejection(once.requestSegmentExport(request));
    expect(error).toBeInstanceOf(GrowingIoThrottled);
    expect(error.details.retryAfterSeconds).toBe(1);
  });

  it('stops a poll when its signal aborts, also in the middle of a retry wait', async () => {
    const emu = await emulator({ pollsUntilDone: 0, faults: { serverErrors: 5 } });
    const controller = new AbortController();
    // Real time and a one-minute backoff: only the abort can end this call quickly.
    const gio = client(emu.url, {
      clock: systemClock,
      requestsPerSecond: 1000,
      retry: { maxAttempts: 4, baseDelayMs: 60_000, timeoutMs: 2_000 },
      random: () => 1,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('Lambda deadline')), 100);
    const started = Date.now();
    const error = await rejection(gio.requestSegmentExport(request));
    expect(error).toBeInstanceOf(OperationAborted);
    expect(error.message).toContain('Lambda deadline');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(emu.stats().apiRequests).toBe(1);

    const before = emu.stats().apiRequests;
    const aborted = client(emu.url, { signal: AbortSignal.abort() });
    expect(await rejection(aborted.requestSegmentExport(request))).toBeInstanceOf(OperationAborted);
    expect(emu.stats().apiRequests).toBe(before);
  });

  it('stays under the documented 2 requests/s by itself, so the upstream never throttles it', async () => {
    const clock = fakeClock();
    const emu = await emulator({ pollsUntilDone: 3, now: clock.now, faults: { rateLimit: true } });
    const start = clock.now();
    const gio = client(emu.url, { clock, token: TOKEN });
    for (let i = 0; i < 8; i++) await gio.requestSegmentExport(request);
    expect(emu.stats().apiRequests).toBe(8); // no 429 was ever retried
    expect(clock.now() - start).toBe(3000);
  });

  it('rejects invalid input before any request, naming each bad field', async () => {
    const emu = await emulator();
    const error = await rejection(
      client(emu.url).requestSegmentExport({
        projectUid: '../x',
        segmentationId: '',
        expireMinutes: 10_081,
        parameters: ['ok', 'ok', 'no-dash'],
      }),
    );
    expect(error).toBeInstanceOf(BadRequest);
    const fields = (error as BadRequest).errors.map((e) => e.field);
    expect(fields).toEqual(['projectUid', 'segmentationId', 'expireMinutes', 'parameters.2', 'parameters.1']);
    expect(emu.stats().apiRequests).toBe(0);
  });
});

/** A tiny server answering every request with one canned response (a stand-in for a misbehaving upstream). */
async function cannedServer(status: number, body: string, delayMs = 0): Promise<string> {
  const server: Server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(body), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('GrowingIO client against a misbehaving upstream', () => {
  it('reports non-JSON and wrongly shaped bodies as GrowingIoBadResponse with a short redacted excerpt', async () => {
    const html = await cannedServer(200, `<html>${'maintenance '.repeat(50)} token=${TOKEN}</html>`);
    const error = await rejection(client(html).requestSegmentExport(request));
    expect(error).toBeInstanceOf(GrowingIoBadResponse);
    expect(String(error.details.excerpt).length).toBeLessThanOrEqual(200);

    const noLinks = await cannedServer(200, JSON.stringify({ id: 'j', status: 'done', errorMsg: '' }));
    expect(await rejection(client(noLinks).requestSegmentExport(request))).toBeInstanceOf(GrowingIoBadResponse);
  });

  it('accepts extra fields and upper-case status', async () => {
    const link = 'https://gta.growingio.com/a.csv?sign=abc&expires=1';
    const body = JSON.stringify({ id: 'j1', status: 'DONE', downloadLinks: [link], errorMsg: '', took: 12 });
    const job = await client(await cannedServer(200, body)).requestSegmentExport(request);
    expect(job).toEqual({ jobId: 'j1', status: 'done', downloadLinks: [link], errorMsg: '' });
  });

  it('maps a 400 body to GrowingIoExportFailed with the upstream message', async () => {
    const body = JSON.stringify({ message: 'Bad Request', errors: [{ code: '400', message: '过期时间应小于7天' }] });
    const error = await rejection(client(await cannedServer(400, body)).requestSegmentExport(request));
    expect(error).toBeInstanceOf(GrowingIoExportFailed);
    expect(error.message).toContain('过期时间应小于7天');
  });

  it('maps timeouts and refused connections to GrowingIoUnavailable', async () => {
    const slow = await cannedServer(200, '{}', 1_000);
    const timedOut = await rejection(
      client(slow, { retry: { maxAttempts: 2, timeoutMs: 100 } }).requestSegmentExport(request),
    );
    expect(timedOut).toBeInstanceOf(GrowingIoUnavailable);
    expect(timedOut.message).toContain('timed out');

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await rejection(client(`http://127.0.0.1:${port}`).requestSegmentExport(request));
    expect(refused).toBeInstanceOf(GrowingIoUnavailable);
  });
});

describe('secrets', () => {
  it('keeps the token and signatures out of logs and errors across success and every failure kind', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const emu = await emulator({ pollsUntilDone: 0, faults: { serverErrors: 1 } });
    const gio = client(emu.url, { logger, requestsPerSecond: 1000 });
    expect((await gio.requestSegmentExport(request)).downloadLinks[0]).toContain('sign=');
    const failures = [
      client(emu.url, { logger, token: `${TOKEN}-x` }).requestSegmentExport(request),
      gio.requestSegmentExport({ ...request, parameters: ['nope'] }),
      client(await cannedServer(200, `{"echo":"Authorization: ${TOKEN}"}`), { logger }).requestSegmentExport(request),
      client(await cannedServer(503, `oops ${TOKEN}`), { logger, retry: { maxAttempts: 2 } }).requestSegmentExport(
        request,
      ),
    ];
    for (const failure of failures) await rejection(failure);
    expect(lines.some((line) => line.includes('GrowingIO request retry'))).toBe(true);
    expect(lines.filter((line) => line.includes('GrowingIO export error'))).toHaveLength(4);
    assertNoSecrets(lines);
  });
});
