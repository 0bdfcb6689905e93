// A local GrowingIO segment-export server (API + signed CSV downloads) that follows the seed, faults included.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../servers.ts';
import { type CsvFileSpec, describeCsv } from './csv-generator.ts';
import { currentFile, handleDownload, initialFileStates, issueLinks } from './growingio-downloads.ts';
import {
  type Answer,
  type GrowingIoEmulatorOptions,
  type GrowingIoFaults,
  type Job,
  type State,
  send,
} from './growingio-state.ts';

export type { GrowingIoEmulatorOptions, GrowingIoFaults } from './growingio-state.ts';

export interface GrowingIoEmulator {
  url: string;
  token: string;
  downloadHost: string;
  setFaults(faults: GrowingIoFaults): void;
  /** The segment changed: exports from now on serve these files (jobs already issued are forgotten). */
  setFiles(files: CsvFileSpec[]): void;
  stats(): { apiRequests: number; downloads: number; jobsCreated: number; throttled: number };
  /** Arrival time (epoch ms, the emulator's clock) of every API request, in order: for rate assertions. */
  apiRequestTimes(): number[];
  expectedFiles(parameters?: string[]): Promise<Array<{ bytes: number; sha256: string; rows: number }>>;
  close(): Promise<void>;
}

// Realistic login/visitor user variables of a project.
export const DEFAULT_KNOWN_PARAMETERS =
  'open_id user_name role city phone province gender age email address remark tags channel user_level register_time project'.split(
    ' ',
  );
/** Columns after user_id when a request names no parameters. */
export const DEFAULT_COLUMNS = ['open_id', 'user_name', 'city', 'address', 'remark'];

const API_PATH = /^\/v3\/exporter\/projects\/([^/]+)\/segmentations\/([^/]+)\/users\/?$/;
const DOWNLOAD_PATH = /^\/downloads\/([^/]+)\/(\d+)\/([^/]+)$/;
const MAX_EXPIRE = 10_080;
const RATE_PER_SECOND = 2;
// Slack for the ordering jitter of requests on separate connections: 25 ms at 2 req/s.
const RATE_SLACK = 0.05;

/** Column list of an export: user_id first, then the requested variables (or the default set), no repeats. */
export function columnsFor(parameters?: string[]): string[] {
  const rest = parameters && parameters.length > 0 ? parameters : DEFAULT_COLUMNS;
  return ['user_id', ...new Set(rest.filter((name) => name !== 'user_id'))];
}

/** Token bucket per Authorization value; undefined when allowed, else seconds to wait. */
function throttle(s: State, key: string): number | undefined {
  const t = s.now();
  const bucket = s.buckets.get(key) ?? { tokens: RATE_PER_SECOND, at: t };
  bucket.tokens = Math.min(RATE_PER_SECOND, bucket.tokens + ((t - bucket.at) / 1000) * RATE_PER_SECOND);
  bucket.at = t;
  s.buckets.set(key, bucket);
  if (bucket.tokens >= 1 - RATE_SLACK) {
    bucket.tokens -= 1;
    return undefined;
  }
  return Math.max(1, Math.ceil((1 - bucket.tokens) / RATE_PER_SECOND));
}

const failed = (errorMsg: string, id: string = randomUUID()): Answer => ({
  status: 200,
  body: { id, status: 'failed', downloadLinks: [], errorMsg },
});

function parseQuery(s: State, url: URL): { expire: number; parameters: string[] } | Answer {
  const rawExpire = url.searchParams.get('expire');
  let expire = 5;
  if (rawExpire !== null && rawExpire !== '') {
    if (!/^\d+$/.test(rawExpire) || Number(rawExpire) < 1) return failed(`请求参数不合法，${rawExpire}`);
    expire = Number(rawExpire);
    if (expire > MAX_EXPIRE) return failed('过期时间应小于7天');
  }
  const parameters = (url.searchParams.get('parameters') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = parameters.find((name) => !s.known.has(name));
  return unknown === undefined ? { expire, parameters } : failed(`请求参数不合法，${unknown}`);
}

function jobIsDone(s: State, job: Job): boolean {
  const { secondsUntilDone, pollsUntilDone } = s.options;
  if (secondsUntilDone !== undefined) return s.now() - job.createdAt >= secondsUntilDone * 1000;
  return job.polls >= (pollsUntilDone ?? 2);
}

function createJob(s: State, key: string, parameters: string[]): Job {
  const id = randomUUID();
  const job: Job = { id, key, columns: columnsFor(parameters), createdAt: s.now(), polls: 0, revoked: new Set() };
  s.jobsByKey.set(key, job);
  s.jobsById.set(id, job);
  s.counters.jobsCreated++;
  return job;
}

function exportAnswer(s: State, project: string, segment: string, url: URL): Answer {
  const query = parseQuery(s, url);
  if ('status' in query) return query;
  const key = `${project}\n${segment}\n${query.parameters.join(',')}`;
  let job = s.jobsByKey.get(key);
  if (job) job.polls++;
  else job = createJob(s, key, query.parameters);
  if (!job.links && !jobIsDone(s, job)) {
    return { status: 200, body: { id: job.id, status: 'doing', downloadLinks: [], errorMsg: '' } };
  }
  if (!job.links && s.faults.failJob !== undefined) {
    s.jobsByKey.delete(key); // a failed job is reported once; asking again starts a new one
    return failed(s.faults.failJob, job.id);
  }
  const { links, revoked } = job;
  const stale = !links || links.expiresAt <= s.now() || links.signs.some((signature) => revoked.has(signature));
  // The seed: `expire` is ignored while issued links are valid; once they expire, a GET brings fresh ones.
  if (stale) job.links = issueLinks(s, job, query.expire);
  return { status: 200, body: { id: job.id, status: 'done', downloadLinks: job.links!.urls, errorMsg: '' } };
}

function handleApi(s: State, req: IncomingMessage, url: URL, match: RegExpExecArray): Answer {
  s.counters.apiRequests++;
  s.requestTimes.push(s.now());
  if ((s.faults.serverErrors ?? 0) > 0) {
    s.faults.serverErrors = (s.faults.serverErrors ?? 0) - 1;
    const html = '<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>';
    return { status: 503, body: html, headers: { 'content-type': 'text/html' } };
  }
  const auth = req.headers.authorization;
  if (auth !== s.token) return { status: 401, body: { message: 'Unauthorized', errors: [] } };
  let wait = s.faults.rateLimit ? throttle(s, auth) : undefined;
  if ((s.faults.throttleBurst ?? 0) > 0) {
    s.faults.throttleBurst = (s.faults.throttleBurst ?? 0) - 1;
    wait = 1;
  }
  if (wait !== undefined) {
    s.counters.throttled++;
    const body = { message: 'Too Many Requests', errors: [{ code: '429', message: '请求过于频繁，请稍后再试' }] };
    return { status: 429, body, headers: { 'retry-after': String(wait) } };
  }
  // Ids stay percent-encoded: they only key the job, and malformed escapes must not crash the server.
  return exportAnswer(s, match[1]!, match[2]!, url);
}

function route(s: State, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const api = API_PATH.exec(url.pathname);
  const download = DOWNLOAD_PATH.exec(url.pathname);
  if (req.method !== 'GET' || (!api && !download)) {
    send(res, { status: req.method === 'GET' ? 404 : 405, body: { message: 'Not Found', errors: [] } });
  } else if (api) {
    send(res, handleApi(s, req, url, api));
  } else {
    handleDownload(s, req, res, url, download!).catch(() => res.destroy());
  }
}

export async function startGrowingIoEmulator(options: GrowingIoEmulatorOptions = {}): Promise<GrowingIoEmulator> {
  const s: State = {
    options,
    token: options.token ?? 'emulator-token',
    now: options.now ?? Date.now,
    files: options.files ?? [{ rows: 1000 }],
    known: new Set(options.knownParameters ?? DEFAULT_KNOWN_PARAMETERS),
    secret: randomBytes(32),
    jobsByKey: new Map(),
    jobsById: new Map(),
    buckets: new Map(),
    counters: { apiRequests: 0, downloads: 0, jobsCreated: 0, throttled: 0 },
    requestTimes: [],
    faults: { ...options.faults },
    origin: '',
    fileStates: [],
  };
  s.fileStates = initialFileStates(s);
  const server = createServer((req, res) => route(s, req, res));
  const port = Number(new URL(await listen(server, { name: 'GrowingIO emulator', port: options.port })).port);
  s.origin = `http://127.0.0.1:${port}`;
  return {
    url: s.origin,
    token: s.token,
    downloadHost: `127.0.0.1:${port}`,
    setFaults: (next) => {
      s.faults = { ...next };
      // Versions stay; what was served is counted afresh, so a re-armed changeFileAfterBytes fires again.
      for (const state of s.fileStates) Object.assign(state, { served: 0, changed: false });
    },
    setFiles: (files) => {
      s.files = files;
      s.fileStates = initialFileStates(s);
      s.jobsByKey.clear();
    },
    stats: () => ({ ...s.counters }),
    apiRequestTimes: () => [...s.requestTimes],
    expectedFiles: (parameters) =>
      Promise.all(
        s.files.map((_, index) =>
          describeCsv(currentFile(s, index, columnsFor(parameters)).spec, columnsFor(parameters)),
        ),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
