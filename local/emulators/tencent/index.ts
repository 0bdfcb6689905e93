// Tencent Marketing API emulator: files listing (v1.3/v3.0), audience writes, OAuth, faults and quotas.
// Written from UPSTREAMS.md and the seed; shares no code with the client it checks.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_ACCOUNTS, type StatusName } from './data.ts';
import { type Answer, FileStore, type ProcessingMode } from './files.ts';
import { Gate, type Quotas, type RemainingHeader, type ReplayCodes, type TencentFaults } from './gate.ts';
import { messageFor } from './messages.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';
import { type TokenOptions, TokenStore } from './tokens.ts';
import { EMULATOR_CODES, type Upload, WriteApi } from './write-api.ts';

export { DEFAULT_ACCOUNTS, DEFAULT_STATUS_NUMBERS } from './data.ts';
export type { ProcessingMode } from './files.ts';
export type { Quotas, TencentFaults } from './gate.ts';
export { EMULATOR_CODES, type Upload } from './write-api.ts';

export interface TencentEmulatorOptions extends TokenOptions {
  accounts?: Array<{ accountId: number; files: number }>;
  latencyMs?: number;
  /** Legacy knob: the per-second quota; when given without `quotas`, minute and day are unlimited. */
  rateLimitPerSecond?: number;
  /** Per endpoint. Default: 100/s, and the FAQ's 1,000/minute and 20,000/day. */
  quotas?: Partial<Quotas>;
  /** The emulator's clock (tokens, timestamps, quota windows). Settable later with setClock. */
  now?: () => number;
  seed?: number;
  /** Accounts whose v1.3 process_status is a number (the emulator's own numbers: `statusNumbers`). */
  numericStatusAccounts?: number[];
  statusNumbers?: Partial<Record<StatusName, number>>;
  /** Answer for an account the token cannot see; the real number is not public. Default 40004. */
  unknownAccountCode?: number;
  replayCodes?: Partial<ReplayCodes>;
  remainingHeader?: RemainingHeader;
  /** Largest accepted upload (Tencent: 100 MB zipped). */
  maxFileBytes?: number;
  port?: number;
}

export interface EmulatorFaults extends TencentFaults {
  /** How files uploaded from now on finish processing. */
  processing?: ProcessingMode;
}

export interface TencentEmulator {
  url: string;
  accessToken: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token currently valid (it rotates on each refresh unless rotateRefreshToken is false). */
  readonly refreshToken: string;
  setLatency(ms: number): void;
  setFaults(faults: EmulatorFaults): void;
  clearFaults(): void;
  setQuotas(quotas: Partial<Quotas>): void;
  resetQuotas(): void;
  quotaUsage(path?: string): { second: number; minute: number; day: number };
  setClock(now: () => number): void;
  setTokenLifetime(seconds: number): void;
  /** Every access token issued so far (the initial one included) answers 11000 from now on. */
  expireAccessTokens(): void;
  setMaxFileBytes(bytes: number): void;
  stats(): { requests: number; refreshCalls: number; byPath: Record<string, number> };
  /** The v1.3 view of an account's files (numbers on numeric accounts), newest first. */
  allFiles(accountId: number): unknown[];
  uploads(): Upload[];
  audiences(accountId: number): unknown[];
  close(): Promise<void>;
}

const FILES_GET = /^\/(v1\.3|v3\.0)\/custom_audience_files\/get$/;
const AUDIENCES_ADD = /^\/(v1\.3|v3\.0)\/custom_audiences\/add$/;
const FILES_ADD = /^\/(v1\.3|v3\.0)\/custom_audience_files\/add$/;
const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
const UNLIMITED = Number.MAX_SAFE_INTEGER;

function quotasFrom(options: TencentEmulatorOptions): Quotas {
  if (options.rateLimitPerSecond !== undefined && !options.quotas) {
    return { perSecond: options.rateLimitPerSecond, perMinute: UNLIMITED, perDay: UNLIMITED };
  }
  return { perSecond: 100, perMinute: 1_000, perDay: 20_000, ...options.quotas };
}

export async function startTencentEmulator(options: TencentEmulatorOptions = {}): Promise<TencentEmulator> {
  const clock = { now: options.now ?? Date.now };
  const now = () => clock.now();
  const tokens = new TokenStore(options, now);
  const replay = { nonceReused: 12100, staleTimestamp: 12101, ...options.replayCodes };
  const gate = new Gate(tokens, now, quotasFrom(options), replay, options.remainingHeader ?? 'min');
  const store = new FileStore({
    accounts: options.accounts ?? DEFAULT_ACCOUNTS,
    seed: options.seed ?? 20_250_101,
    numericStatusAccounts: options.numericStatusAccounts ?? [10_002],
    ...(options.statusNumbers ? { statusNumbers: options.statusNumbers } : {}),
    unknownAccountCode: options.unknownAccountCode ?? 40004,
  });
  const writes = new WriteApi(store, now);
  const state = { latencyMs: options.latencyMs ?? 0, maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES };
  const counts = { requests: 0, byPath: {} as Record<string, number> };

  const route = async (request: IncomingMessage, url: URL): Promise<Answer | undefined> => {
    const path = url.pathname;
    const method = request.method ?? 'GET';
    if (path === '/oauth/token' && method === 'GET') return tokens.grant(url.searchParams);
    const version = FILES_GET.exec(path)?.[1] as 'v1.3' | 'v3.0' | undefined;
    if (version && method === 'GET') return gate.admit(path, url.searchParams) ?? store.list(url.searchParams, version);
    if (AUDIENCES_ADD.test(path) && method === 'POST') {
      const body = await readBody(request, 1024 * 1024);
      const json = /^application\/json\b/i.test(request.headers['content-type'] ?? '');
      const denied = gate.admit(path, url.searchParams);
      if (denied) return denied;
      if (!json || body.tooLarge) return { code: EMULATOR_CODES.invalidParam, param: 'Content-Type' };
      return writes.addAudience(parseJson(body.data));
    }
    if (FILES_ADD.test(path) && method === 'POST') {
      const body = await readBody(request, state.maxFileBytes + 1024 * 1024);
      const denied = gate.admit(path, url.searchParams);
      if (denied) return denied;
      const boundary = boundaryOf(request.headers['content-type']);
      if (!boundary) return { code: EMULATOR_CODES.notMultipart, param: 'Content-Type' };
      if (body.tooLarge) return { code: EMULATOR_CODES.fileTooLarge, param: 'file' };
      const parts = parseMultipart(body.data, boundary);
      if (typeof parts === 'string') return { code: EMULATOR_CODES.notMultipart, param: parts };
      return writes.addFile(parts, state.maxFileBytes);
    }
    await readBody(request, 0);
    return undefined;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    counts.requests += 1;
    const url = new URL(request.url ?? '/', 'http://emulator');
    counts.byPath[url.pathname] = (counts.byPath[url.pathname] ?? 0) + 1;
    response.setHeader('X-TSA-Trace-Id', randomBytes(16).toString('hex'));
    response.setHeader('Date', new Date(now()).toUTCString());
    if (state.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, state.latencyMs));
    const fault = gate.takeHttpFault();
    if (fault) {
      await readBody(request, 0);
      if (fault.retryAfter) response.setHeader('Retry-After', fault.retryAfter);
      response.writeHead(fault.status, { 'content-type': 'application/json' }).end('{"message":"emulated fault"}');
      return;
    }
    const answer = await route(request, url);
    response.setHeader('X-RateLimit-Remaining', String(gate.remaining(url.pathname)));
    if (!answer) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      return;
    }
    // Business errors are HTTP 200 with code != 0, exactly like the real API.
    const body = 'data' in answer ? { code: 0, message: '', message_cn: '', data: answer.data } : failureBody(answer);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const failureBody = (failure: { code: number; param?: string }) => {
    const [message, messageCn] = messageFor(failure.code, replay, store.unknownAccountCode);
    const suffix = failure.param ? `: ${failure.param}` : '';
    return { code: failure.code, message: `${message}${suffix}`, message_cn: `${messageCn}${suffix}` };
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end('{"message":"emulator error"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accessToken: tokens.initial,
    clientId: tokens.clientId,
    clientSecret: tokens.clientSecret,
    get refreshToken() {
      return tokens.refreshToken;
    },
    setLatency: (ms) => {
      state.latencyMs = ms;
    },
    setFaults: ({ processing, ...faults }) => {
      gate.setFaults(faults);
      if (processing) writes.processing = { processCode: 0, errorMessage: '', pollsPerStep: 1, ...processing };
    },
    clearFaults: () => {
      gate.faults = Gate.noFaults();
      writes.processing = { outcome: 'SUCCESS', processCode: 0, errorMessage: '', pollsPerStep: 1 };
    },
    setQuotas: (quotas) => {
      gate.quotas = { ...gate.quotas, ...quotas };
    },
    resetQuotas: () => gate.resetQuotas(),
    quotaUsage: (path = '/v1.3/custom_audience_files/get') => gate.usage(path),
    setClock: (next) => {
      clock.now = next;
    },
    setTokenLifetime: (seconds) => {
      tokens.lifetimeSeconds = seconds;
    },
    expireAccessTokens: () => tokens.expireAll(),
    setMaxFileBytes: (bytes) => {
      state.maxFileBytes = bytes;
    },
    stats: () => ({ requests: counts.requests, refreshCalls: tokens.refreshCalls, byPath: { ...counts.byPath } }),
    allFiles: (accountId) =>
      (store.data.get(accountId) ?? []).map((file) => structuredClone(store.v13(accountId, file))),
    uploads: () => writes.uploads.map((upload) => ({ ...upload, fields: { ...upload.fields } })),
    audiences: (accountId) => structuredClone(writes.audiencesOf(accountId)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The whole body up to `limit` bytes; beyond that the rest is drained (so the client can read the answer). */
async function readBody(request: IncomingMessage, limit: number): Promise<{ data: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return { data: Buffer.concat(chunks), tooLarge: size > limit };
}

function parseJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}
