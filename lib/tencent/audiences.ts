// Write client for custom audiences: custom_audiences/add, custom_audience_files/add (streamed multipart) and
// the processing poll through custom_audience_files/get. One attempt per call (plus one token refresh or one
// fresh nonce when the body can be re-read); the typed errors carry `retryable`/`retryAfterMs` for the caller.

import { TencentFileTooLarge } from '../errors.ts';
import type { Fetch } from '../http.ts';
import { checkAudience, checkUpload } from './audience-input.ts';
import { authParams, createNonce } from './auth.ts';
import { businessError, type HintedError, httpError, transportError } from './call-errors.ts';
import { DEFAULT_REPLAY_CODES, retryDecision, serverNowMs } from './error-codes.ts';
import { lenientNumber, parseAudienceFile } from './items.ts';
import { FileSizeError, multipartBody } from './multipart.ts';
import type { TokenSource } from './oauth.ts';
import type { AudienceFile } from './types.ts';

// "100 MB" upstream: read as decimal megabytes, the stricter reading of the two.
export const MAX_FILE_BYTES = 100_000_000;

export interface AudienceClientOptions {
  baseUrl: string;
  /** A fixed token, or a token source that refreshes (one of the two). */
  accessToken?: string;
  tokenSource?: TokenSource;
  fetch?: Fetch;
  clock?: { now(): number };
  nonce?: () => string;
  signal?: AbortSignal;
  /** Per JSON/GET call. Default 30 s. */
  timeoutMs?: number;
  /** Per upload, body included. Default 15 minutes. */
  uploadTimeoutMs?: number;
  /** Largest upload sent. Default 100 MB (Tencent's zip limit). */
  maxFileBytes?: number;
  dailyRetryAfterSeconds?: number;
  replayCodes?: readonly number[];
  /** Polls read v3.0 (documented string statuses) unless told otherwise; v1.3 statuses may be bare numbers. */
  fileStatusVersion?: 'v3.0' | 'v1.3';
}

export interface NewAudience {
  accountId: number;
  /** ≤ 32 bytes, unique per account. */
  name: string;
  description?: string;
  /** ≤ 128 chars; repeating it returns the existing audience (idempotency). */
  externalAudienceId?: string;
}

export interface AudienceFileUpload {
  accountId: number;
  audienceId: number;
  userIdType: string;
  operationType: 'APPEND' | 'REDUCE';
  openAppId?: string;
  fileName: string;
  /** The file body, streamed. A factory can be re-opened, so a refreshed token or fresh nonce can resend it. */
  file: AsyncIterable<Uint8Array> | (() => AsyncIterable<Uint8Array>);
  /** Exact size when known: sent as Content-Length and checked before anything is sent. */
  fileSize?: number;
  contentType?: string;
}

export interface AudienceClient {
  addAudience(input: NewAudience): Promise<{ audienceId: number; traceId?: string }>;
  uploadAudienceFile(input: AudienceFileUpload): Promise<{ customAudienceFileId: number; traceId?: string }>;
  /** The file as custom_audience_files/get shows it; undefined when the account has no such file. */
  getAudienceFile(accountId: number, customAudienceFileId: number): Promise<AudienceFile | undefined>;
}

interface Request {
  path: string;
  init: (token: string) => RequestInit;
  query?: Record<string, string>;
  /** False for a one-shot stream: no second attempt is possible. */
  replayable: boolean;
  timeoutMs: number;
}

export function createAudienceClient(options: AudienceClientOptions): AudienceClient {
  if (!options.accessToken && !options.tokenSource) throw new TypeError('accessToken or tokenSource is required');
  return {
    addAudience: (input) => addAudience(options, input),
    uploadAudienceFile: (input) => uploadAudienceFile(options, input),
    getAudienceFile: (accountId, fileId) => getAudienceFile(options, accountId, fileId),
  };
}

async function addAudience(options: AudienceClientOptions, input: NewAudience) {
  checkAudience(input);
  const body = JSON.stringify({
    account_id: input.accountId,
    name: input.name,
    type: 'CUSTOMER_FILE',
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.externalAudienceId !== undefined ? { external_audience_id: input.externalAudienceId } : {}),
  });
  const { data, traceId } = await exchange(options, 'custom_audiences/add', {
    path: '/v1.3/custom_audiences/add',
    init: () => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    replayable: true,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  return { audienceId: requiredId(data, 'audience_id', traceId), ...(traceId ? { traceId } : {}) };
}

async function uploadAudienceFile(options: AudienceClientOptions, input: AudienceFileUpload) {
  const maxBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  checkUpload(input, maxBytes);
  const open = typeof input.file === 'function' ? input.file : once(input.file);
  const init = (): RequestInit => {
    const file = {
      field: 'file',
      fileName: input.fileName,
      contentType: input.contentType ?? 'application/zip',
      body: open(),
      ...(input.fileSize !== undefined ? { size: input.fileSize } : {}),
    };
    const body = multipartBody(uploadFields(input), file, { maxBytes });
    const headers: Record<string, string> = { 'content-type': body.contentType };
    if (body.contentLength !== undefined) headers['content-length'] = String(body.contentLength);
    return { method: 'POST', headers, body: body.stream, duplex: 'half' } as RequestInit;
  };
  const { data, traceId } = await exchange(options, 'custom_audience_files/add', {
    path: '/v1.3/custom_audience_files/add',
    init,
    replayable: typeof input.file === 'function',
    timeoutMs: options.uploadTimeoutMs ?? 15 * 60_000,
  });
  return {
    customAudienceFileId: requiredId(data, 'custom_audience_file_id', traceId),
    ...(traceId ? { traceId } : {}),
  };
}

async function getAudienceFile(options: AudienceClientOptions, accountId: number, customAudienceFileId: number) {
  const version = options.fileStatusVersion ?? 'v3.0';
  const { data } = await exchange(options, 'custom_audience_files/get', {
    path: `/${version}/custom_audience_files/get`,
    query: { account_id: String(accountId), custom_audience_file_id: String(customAudienceFileId) },
    init: () => ({ method: 'GET', headers: { accept: 'application/json' } }),
    replayable: true,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  const list = Array.isArray(data.list) ? data.list : [];
  return list.map(parseAudienceFile).find((file) => file.custom_audience_file_id === customAudienceFileId);
}

/** Where a processed file stands, by the documented names; a bare number (v1.3) cannot be read: 'unknown'. */
export function processOutcome(file: AudienceFile): 'pending' | 'success' | 'error' | 'unknown' {
  if (file.process_status === 'SUCCESS') return 'success';
  if (file.process_status === 'ERROR') return 'error';
  if (file.process_status === 'PENDING' || file.process_status === 'PROCESSING') return 'pending';
  return 'unknown';
}

/** One attempt, plus one after a token refresh (11000) or a fresh nonce (replay code) when the body allows. */
async function exchange(options: AudienceClientOptions, operation: string, request: Request) {
  let token = options.tokenSource ? await options.tokenSource.get(options.signal) : options.accessToken!;
  let second = false;
  for (;;) {
    const secrets = [token, ...(options.tokenSource?.secrets() ?? [])];
    const answer = await attempt(options, operation, request, token, secrets);
    const code = lenientNumber(answer.body.code);
    if (code === 0) return { data: (answer.body.data ?? {}) as Record<string, unknown>, traceId: answer.traceId };
    const context = {
      nowMs: answer.serverNow,
      traceId: answer.traceId,
      secrets,
      operation,
      replayCodes: options.replayCodes ?? DEFAULT_REPLAY_CODES,
      ...(options.dailyRetryAfterSeconds !== undefined
        ? { dailyRetryAfterSeconds: options.dailyRetryAfterSeconds }
        : {}),
    };
    const error = businessError(code ?? -1, answer.body, context);
    const decision = retryDecision(code ?? -1, { attempt: 1, ...context }, context.replayCodes);
    const expired = decision.action === 'auth' && decision.expired && options.tokenSource !== undefined;
    if (second || !(expired || decision.action === 'fresh')) throw error;
    if (expired) token = await options.tokenSource!.refresh(token, options.signal);
    // A one-shot body cannot be sent again: the caller retries with a new stream (the token is fresh now).
    if (!request.replayable) {
      error.retryable = true;
      error.retryAfterMs = 0;
      throw error;
    }
    second = true;
  }
}

async function attempt(
  options: AudienceClientOptions,
  operation: string,
  request: Request,
  token: string,
  secrets: readonly string[],
): Promise<{ body: Record<string, unknown>; traceId: string | undefined; serverNow: number }> {
  const now = () => (options.clock ?? Date).now();
  const params = new URLSearchParams({ ...authParams(token, now(), options.nonce ?? createNonce), ...request.query });
  const url = `${options.baseUrl.replace(/\/+$/, '')}${request.path}?${params}`;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  try {
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    response = await (options.fetch ?? fetch)(url, { ...request.init(token), signal });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw sizeError(error) ?? transportError(error, operation, secrets);
  }
  const traceId = response.headers.get('x-tsa-trace-id') ?? undefined;
  const serverNow = serverNowMs(response.headers.get('date'), now());
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const retryAfter = lenientNumber(response.headers.get('retry-after'));
    throw httpError(response.status, retryAfter === null ? undefined : retryAfter * 1000, traceId, operation);
  }
  const body = await response.json().catch(() => undefined);
  if (body === null || typeof body !== 'object') {
    throw httpError(502, undefined, traceId, `${operation} (unreadable JSON)`);
  }
  return { body: body as Record<string, unknown>, traceId, serverNow };
}

function sizeError(error: unknown): HintedError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof FileSizeError) {
      return new TencentFileTooLarge(`Tencent custom_audience_files/add refused locally: ${cause.message}`);
    }
  }
  return undefined;
}

function once(body: AsyncIterable<Uint8Array>): () => AsyncIterable<Uint8Array> {
  let used = false;
  return () => {
    if (used) throw new TypeError('the upload body is a one-shot stream; pass a factory to allow a resend');
    used = true;
    return body;
  };
}

function uploadFields(input: AudienceFileUpload): Record<string, string> {
  return {
    account_id: String(input.accountId),
    audience_id: String(input.audienceId),
    user_id_type: input.userIdType,
    operation_type: input.operationType,
    ...(input.openAppId ? { open_app_id: input.openAppId } : {}),
  };
}

function requiredId(data: Record<string, unknown>, field: string, traceId: string | undefined): number {
  const id = lenientNumber(data[field]);
  if (id !== null && Number.isSafeInteger(id) && id > 0) return id;
  throw httpError(502, undefined, traceId, `answer without ${field}`);
}
