import { createHash } from 'node:crypto';
import { get } from 'node:http';
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
): Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer; cut: boolean }> {
  return new Promise((resolve, reject) => {
    get(link, (res) => {
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
