// The emulator's HTTP side: shared state, routing, headers on every answer, body reading.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_ACCOUNTS } from './data.ts';
import { type Answer, FileStore } from './files.ts';
import { Gate, type Quotas } from './gate.ts';
import type { TencentEmulatorOptions } from './index.ts';
import { messageFor } from './messages.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';
import { TokenStore } from './tokens.ts';
import { EMULATOR_CODES, WriteApi } from './write-api.ts';

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

export type Context = ReturnType<typeof createContext>;

export function createContext(options: TencentEmulatorOptions) {
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
  return {
    clock,
    now,
    tokens,
    replay,
    gate,
    store,
    writes: new WriteApi(store, now),
    state: { latencyMs: options.latencyMs ?? 0, maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES },
    counts: { requests: 0, byPath: {} as Record<string, number> },
  };
}

async function route(ctx: Context, request: IncomingMessage, url: URL): Promise<Answer | undefined> {
  const { gate, tokens, store, writes, state } = ctx;
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
    return writes.addFile(parts, state.maxFileBytes, {
      ...(request.headers['content-length'] ? { contentLength: request.headers['content-length'] } : {}),
      ...(request.headers['transfer-encoding'] ? { transferEncoding: request.headers['transfer-encoding'] } : {}),
    });
  }
  await readBody(request, 0);
  return undefined;
}

export async function handle(ctx: Context, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { counts, gate, state } = ctx;
  counts.requests += 1;
  const url = new URL(request.url ?? '/', 'http://emulator');
  counts.byPath[url.pathname] = (counts.byPath[url.pathname] ?? 0) + 1;
  response.setHeader('X-TSA-Trace-Id', randomBytes(16).toString('hex'));
  response.setHeader('Date', new Date(ctx.now()).toUTCString());
  if (state.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, state.latencyMs));
  const fault = gate.takeHttpFault();
  if (fault) {
    await readBody(request, 0);
    if (fault.retryAfter) response.setHeader('Retry-After', fault.retryAfter);
    response.writeHead(fault.status, { 'content-type': 'application/json' }).end('{"message":"emulated fault"}');
    return;
  }
  const answer = await route(ctx, request, url);
  response.setHeader('X-RateLimit-Remaining', String(gate.remaining(url.pathname)));
  if (!answer) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
    return;
  }
  // Business errors are HTTP 200 with code != 0, exactly like the real API.
  const body =
    'data' in answer ? { code: 0, message: '', message_cn: '', data: answer.data } : failureBody(ctx, answer);
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function failureBody(ctx: Context, failure: { code: number; param?: string }) {
  const [message, messageCn] = messageFor(failure.code, ctx.replay, ctx.store.unknownAccountCode);
  const suffix = failure.param ? `: ${failure.param}` : '';
  return { code: failure.code, message: `${message}${suffix}`, message_cn: `${messageCn}${suffix}` };
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
