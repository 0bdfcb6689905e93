import { createHash } from 'node:crypto';
import { get, type OutgoingHttpHeaders } from 'node:http';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type GrowingIoEmulator,
  type GrowingIoEmulatorOptions,
  startGrowingIoEmulator,
} from '../../local/emulators/growingio.ts';

// The emulator checked against the seed document with plain HTTP (no project client involved).
const TOKEN = 'emu-token-5d2c';
const PATH = '/v3/exporter/projects/nxog09md/segmentations/nP2lpkX9/users';

let emu: GrowingIoEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function start(options: GrowingIoEmulatorOptions = {}): Promise<GrowingIoEmulator> {
  emu = await startGrowingIoEmulator({ token: TOKEN, ...options });
  return emu;
}

interface Job {
  id: string;
  status: string;
  downloadLinks: string[];
  errorMsg: string;
}

async function api(query = '', token: string | null = TOKEN): Promise<{ status: number; body: Job; raw: Response }> {
  const raw = await fetch(`${emu!.url}${PATH}${query}`, { headers: token === null ? {} : { Authorization: token } });
  const text = await raw.text();
  return { status: raw.status, body: raw.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text, raw };
}

/** A download over node:http that reports what actually arrived, even when the connection is cut. */
function download(
  link: string,
  headers: OutgoingHttpHeaders = {},
): Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer; cut: boolean }> {
  return new Promise((resolve, reject) => {
    get(link, { headers }, (res) => {
      const chunks: Buffer[] = [];
      let cut = false;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('aborted', () => {
        cut = true;
      });
      res.on('error', () => {
        cut = true;
      });
      res.on('close', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes: Buffer.concat(chunks),
          cut: cut || !res.complete,
        }),
      );
    }).on('error', reject);
  });
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('GrowingIO emulator: API', () => {
  it('answers 401 with the upstream body for a missing or wrong token', async () => {
    await start();
    for (const token of [null, 'nope', `${TOKEN}x`]) {
      const { status, body } = await api('', token);
      expect(status).toBe(401);
      expect(body).toEqual({ message: 'Unauthorized', errors: [] });
    }
  });

  it('creates a job on the first GET, polls it with the same GET, keeps its id and turns done', async () => {
    await start({ pollsUntilDone: 2, files: [{ rows: 10 }, { rows: 5 }, { rows: 1 }] });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await api('?parameters=open_id,role')).body);
    expect(answers.map((a) => a.status)).toEqual(['doing', 'doing', 'done', 'done']);
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers[0]).toMatchObject({ downloadLinks: [], errorMsg: '' });
    expect(answers[2]!.downloadLinks).toHaveLength(3);
    for (const link of answers[2]!.downloadLinks) {
      const url = new URL(link);
      expect(url.host).toBe(emu!.downloadHost);
      expect(url.searchParams.get('sign')).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(Number(url.searchParams.get('expires'))).toBeGreaterThan(Date.now());
    }
    expect((await api('?parameters=open_id')).body.id).not.toBe(answers[0]!.id); // other parameters, other job
    expect(emu!.stats()).toEqual({ apiRequests: 5, downloads: 0, jobsCreated: 2, throttled: 0 });
  });

  it('turns done after secondsUntilDone on its clock', async () => {
    let now = 1_000_000;
    await start({ secondsUntilDone: 30, now: () => now });
    expect((await api()).body.status).toBe('doing');
    now += 29_000;
    expect((await api()).body.status).toBe('doing');
    now += 1_000;
    expect((await api()).body.status).toBe('done');
  });

  it('ignores expire while links are valid, and issues fresh links for the same job after they expire', async () => {
    let now = 1_700_000_000_000;
    await start({ pollsUntilDone: 0, now: () => now });
    const first = (await api('?expire=5')).body;
    expect(new URL(first.downloadLinks[0]!).searchParams.get('expires')).toBe(String(now + 5 * 60_000));
    now += 60_000;
    expect((await api('?expire=60')).body.downloadLinks).toEqual(first.downloadLinks);
    now += 4 * 60_000;
    const expired = await download(first.downloadLinks[0]!);
    expect(expired.status).toBe(403);
    expect(expired.bytes.toString()).toContain('Request has expired');
    const fresh = (await api('?expire=60')).body;
    expect(fresh.id).toBe(first.id);
    expect(new URL(fresh.downloadLinks[0]!).searchParams.get('expires')).toBe(String(now + 60 * 60_000));
    expect((await download(fresh.downloadLinks[0]!)).status).toBe(200);
  });

  it('fails jobs with the seed messages: expire over 7 days, bad expire, unknown parameter, injected failure', async () => {
    await start({ pollsUntilDone: 0 });
    const cases: Array<[string, string]> = [
      ['?expire=10081', '过期时间应小于7天'],
      ['?expire=abc', '请求参数不合法，abc'],
      ['?parameters=open_id,shoe_size', '请求参数不合法，shoe_size'],
    ];
    for (const [query, errorMsg] of cases) {
      const { status, body } = await api(query);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'failed', downloadLinks: [], errorMsg });
    }
    expect((await api('?expire=10080')).body.status).toBe('done');
    emu!.setFaults({ failJob: '下载出错，请您稍后重试' });
    expect((await api('?parameters=city')).body).toMatchObject({
      status: 'failed',
      errorMsg: '下载出错，请您稍后重试',
    });
    emu!.setFaults({});
    expect((await api('?parameters=city')).body.status).toBe('done');
  });

  it('injects 503 bursts and throttles above 2 requests/s with Retry-After', async () => {
    let now = 5_000_000;
    await start({ pollsUntilDone: 0, now: () => now, faults: { serverErrors: 2, rateLimit: true } });
    expect((await api()).status).toBe(503);
    expect((await api()).status).toBe(503);
    expect((await api()).status).toBe(200);
    expect((await api()).status).toBe(200);
    const throttled = await api();
    expect(throttled.status).toBe(429);
    expect(throttled.raw.headers.get('retry-after')).toBe('1');
    now += 500;
    expect((await api()).status).toBe(200);
    expect(emu!.stats().apiRequests).toBe(6);
  });
});

describe('GrowingIO emulator: downloads', () => {
  it('serves the expected CSV with an exact Content-Length; default columns without parameters', async () => {
    await start({ pollsUntilDone: 0, files: [{ rows: 250, seed: 8, bom: true, crlf: true }] });
    const [link] = (await api()).body.downloadLinks;
    const [expected] = await emu!.expectedFiles();
    const file = await download(link!);
    expect(file.status).toBe(200);
    expect(Number(file.headers['content-length'])).toBe(expected!.bytes);
    expect(sha256(file.bytes)).toBe(expected!.sha256);
    expect(file.bytes.subarray(3).toString().split('\r\n')[0]).toBe('user_id,open_id,user_name,city,address,remark');
  });

  it('serves gzip Content-Encoding that decodes to the expected CSV', async () => {
    await start({ pollsUntilDone: 0, files: [{ rows: 2000, gzip: true }] });
    const [link] = (await api('?parameters=user_name,phone')).body.downloadLinks;
    const response = await fetch(link!);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    const body = Buffer.from(await response.arrayBuffer());
    const [expected] = await emu!.expectedFiles(['user_name', 'phone']);
    expect(sha256(body)).toBe(expected!.sha256);
  });

  it('refuses tampered signatures and expiries, and unknown files', async () => {
    await start({ pollsUntilDone: 0 });
    const link = new URL((await api()).body.downloadLinks[0]!);
    const tampered = new URL(link);
    tampered.searchParams.set('sign', 'AAAA');
    const extended = new URL(link);
    extended.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 1));
    for (const bad of [tampered, extended]) expect((await download(bad.toString())).status).toBe(403);
    expect((await download(link.toString().replace('/1/', '/2/'))).status).toBe(403);
    expect((await download(`${emu!.url}/downloads/x/1/a.csv`)).status).toBe(403);
  });

  it('truncates bodies: Content-Length promises more than arrives', async () => {
    await start({ pollsUntilDone: 0, files: [{ rows: 500 }, { rows: 500, gzip: true }], faults: { truncate: true } });
    const [plain, gzipped] = (await api()).body.downloadLinks;
    const file = await download(plain!);
    expect(file.cut).toBe(true);
    expect(file.bytes.length).toBeLessThan(Number(file.headers['content-length']));
    await expect(fetch(gzipped!).then((r) => r.arrayBuffer())).rejects.toThrow();
  });

  it('expires a link mid-download after N bytes; the next GET issues links that work', async () => {
    await start({ pollsUntilDone: 0, files: [{ rows: 800 }], faults: { expireLinksAfterBytes: 4096 } });
    const first = (await api()).body;
    const cut = await download(first.downloadLinks[0]!);
    expect(cut.cut).toBe(true);
    expect(cut.bytes.length).toBe(4096);
    expect((await download(first.downloadLinks[0]!)).status).toBe(403);
    const fresh = (await api()).body;
    expect(fresh.id).toBe(first.id);
    expect(fresh.downloadLinks[0]).not.toBe(first.downloadLinks[0]);
    const whole = await download(fresh.downloadLinks[0]!);
    expect(sha256(whole.bytes)).toBe((await emu!.expectedFiles())[0]!.sha256);
  });

  it('answers 503 to the next N downloads, then serves', async () => {
    await start({ pollsUntilDone: 0, faults: { downloadServerErrors: 2 } });
    const [link] = (await api()).body.downloadLinks;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await download(link!)).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(emu!.stats().downloads).toBe(3);
  });

  it('paces a slow body at the configured rate', async () => {
    await start({ pollsUntilDone: 0, files: [{ rows: 100 }], faults: { slowBodyBytesPerSecond: 40_000 } });
    const [link] = (await api()).body.downloadLinks;
    const started = performance.now();
    const file = await download(link!);
    const seconds = (performance.now() - started) / 1000;
    expect(file.cut).toBe(false);
    expect(seconds).toBeGreaterThan((file.bytes.length / 40_000) * 0.8);
  });
});

describe('GrowingIO emulator: ranges, validators, dialect and changing files', () => {
  async function oneLink(options: GrowingIoEmulatorOptions): Promise<string> {
    await start({ pollsUntilDone: 0, ...options });
    return (await api()).body.downloadLinks[0]!;
  }

  it('answers byte ranges with 206 and Content-Range, and 416 past the end; validators on every answer', async () => {
    const link = await oneLink({ files: [{ rows: 3000, seed: 4 }] });
    const whole = await download(link);
    const length = whole.bytes.length;
    expect(whole.status).toBe(200);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    const etag = whole.headers.etag;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(Date.parse(String(whole.headers['last-modified']))).toBeGreaterThan(0);
    const cases: Array<[string, number, number]> = [
      ['bytes=100-199', 100, 199],
      ['bytes=1000-', 1000, length - 1],
      ['bytes=-50', length - 50, length - 1],
      [`bytes=5-${length + 100}`, 5, length - 1],
    ];
    for (const [range, first, last] of cases) {
      const part = await download(link, { range });
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes ${first}-${last}/${length}`);
      expect(Number(part.headers['content-length'])).toBe(last - first + 1);
      expect(part.bytes.equals(whole.bytes.subarray(first, last + 1))).toBe(true);
      expect([part.headers.etag, part.headers['last-modified']]).toEqual([etag, whole.headers['last-modified']]);
    }
    // Slices at arbitrary offsets (inside rows, inside the header) put together give the file back.
    const slices: Buffer[] = [];
    for (let offset = 0; offset < length; offset += 7_777) {
      slices.push((await download(link, { range: `bytes=${offset}-${offset + 7_776}` })).bytes);
    }
    expect(sha256(Buffer.concat(slices))).toBe(sha256(whole.bytes));
    for (const range of [`bytes=${length}-`, 'bytes=-0']) {
      const refused = await download(link, { range });
      expect([refused.status, refused.headers['content-range'], refused.headers.etag]).toEqual([
        416,
        `bytes */${length}`,
        etag,
      ]);
    }
    // Several ranges or bad syntax: the whole file, as HTTP allows.
    for (const range of ['bytes=0-1,5-6', 'rows=1-2', 'bytes=9-3']) {
      expect((await download(link, { range })).status).toBe(200);
    }
  });

  it('honours If-Range and If-Match, and ignores Range when told to (200 with the whole file)', async () => {
    const link = await oneLink({ files: [{ rows: 500 }] });
    const whole = await download(link);
    const etag = String(whole.headers.etag);
    expect((await download(link, { range: 'bytes=10-', 'if-range': etag })).status).toBe(206);
    const other = await download(link, { range: 'bytes=10-', 'if-range': '"0123"' });
    expect([other.status, other.bytes.length]).toEqual([200, whole.bytes.length]);
    expect((await download(link, { range: 'bytes=10-', 'if-match': '"0123"' })).status).toBe(412);
    expect((await download(link, { range: 'bytes=10-', 'if-match': etag })).status).toBe(206);
    emu!.setFaults({ ignoreRange: true });
    const ignored = await download(link, { range: 'bytes=10-19' });
    expect([ignored.status, ignored.headers['content-range']]).toEqual([200, undefined]);
    expect(ignored.bytes.equals(whole.bytes)).toBe(true);
  });

  it('serves gzip files whole (Accept-Ranges: none), whatever Range asks', async () => {
    const link = await oneLink({ files: [{ rows: 500, gzip: true }] });
    const answer = await download(link, { range: 'bytes=10-19', 'accept-encoding': 'gzip' });
    expect([answer.status, answer.headers['accept-ranges'], answer.headers['content-encoding']]).toEqual([
      200,
      'none',
      'gzip',
    ]);
    expect(answer.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('serves backslash-escaped CSV that a backslash-aware parser reads row for row', async () => {
    const link = await oneLink({ files: [{ rows: 2000, escape: 'backslash' }] });
    const file = await download(link);
    const text = file.bytes.toString();
    expect(text).toContain('\\"\n'); // an escaped quote right before a line break inside a quoted field
    expect(text).toContain('\\\\"'); // an escaped backslash right before a closing quote
    const records = parse(file.bytes, { escape: '\\', relax_column_count: false }) as string[][];
    expect(records).toHaveLength(2001);
    expect(records.some((record) => record.some((field) => field.includes('"第一行"\n')))).toBe(true);
    const [expected] = await emu!.expectedFiles();
    expect([expected!.rows, expected!.sha256]).toEqual([2000, sha256(file.bytes)]);
  });

  it('changes a file after N bytes served: same length, new bytes, ETag and Last-Modified', async () => {
    const link = await oneLink({ files: [{ rows: 20_000 }] });
    const before = await download(link);
    emu!.setFaults({ changeFileAfterBytes: 100_000 });
    const first = await download(link, { range: 'bytes=0-199999' });
    expect(first.bytes.equals(before.bytes.subarray(0, 200_000))).toBe(true); // the answer in flight keeps its bytes
    const rest = await download(link, { range: 'bytes=200000-' });
    expect(rest.status).toBe(206);
    expect(rest.headers['content-range']).toBe(`bytes 200000-${before.bytes.length - 1}/${before.bytes.length}`);
    expect(rest.headers.etag).not.toBe(before.headers.etag);
    expect(Date.parse(String(rest.headers['last-modified']))).toBeGreaterThan(
      Date.parse(String(before.headers['last-modified'])),
    );
    expect(rest.bytes.equals(before.bytes.subarray(200_000))).toBe(false);
    const after = await download(link, { range: 'bytes=0-', 'if-range': String(before.headers.etag) });
    expect(after.status).toBe(200);
    expect(after.bytes.subarray(200_000).equals(rest.bytes)).toBe(true);
    expect((await emu!.expectedFiles())[0]!.sha256).toBe(sha256(after.bytes));
    // Fired once: the new version stays put.
    expect((await download(link)).headers.etag).toBe(after.headers.etag);
  });

  it('can change the length too when a file changes', async () => {
    const link = await oneLink({
      files: [{ rows: 5_000 }],
      faults: { changeFileAfterBytes: 1, changeFileLength: true },
    });
    const before = await download(link);
    const after = await download(link);
    expect(after.bytes.length).toBeGreaterThan(before.bytes.length);
    expect((await emu!.expectedFiles())[0]).toMatchObject({ rows: 5_001, sha256: sha256(after.bytes) });
  });

  it('can issue links whose expires is in epoch seconds, honoured as such', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    await start({ pollsUntilDone: 0, expiresUnit: 'seconds', now: () => now });
    const link = (await api('?expire=10')).body.downloadLinks[0]!;
    expect(new URL(link).searchParams.get('expires')).toBe(String(now / 1000 + 600));
    expect((await download(link)).status).toBe(200);
    now += 601_000;
    expect((await download(link)).status).toBe(403);
  });
});
