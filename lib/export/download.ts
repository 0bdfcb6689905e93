// Fetches one pre-signed download link as a stream: raw bytes checked against Content-Length, gzip decoded.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type AppError, DownloadFailed, DownloadLinkExpired, DownloadRefused } from '../errors.ts';
import { redactText } from '../log.ts';
import { abortError } from '../retry.ts';

/** What to fetch and how to name it in messages (never with the query string, where the signature lives). */
export interface DownloadTarget {
  url: URL;
  label: string;
}

/** DownloadFailed (retryable: 5xx, 429, network, broken bodies) or DownloadRefused (the same every time). */
function downloadError(message: string, transient: boolean, cause?: unknown): DownloadFailed | DownloadRefused {
  const Class = transient ? DownloadFailed : DownloadRefused;
  return new Class(redactText(message), { cause });
}

/** GET with raw bytes (no automatic decoding, so Content-Length can be checked), no auth header. */
function requestFile(
  job: DownloadTarget,
  timeoutMs: number,
  signal?: AbortSignal,
  extraHeaders: Record<string, string> = {},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = job.url.protocol === 'https:' ? https : http;
    const headers = { 'accept-encoding': 'gzip', 'user-agent': 'audience-pipeline', ...extraHeaders };
    const options = { agent: false, headers, ...(signal ? { signal } : {}) };
    let answer: IncomingMessage | undefined;
    const request = client.get(job.url, options, (response) => {
      answer = response;
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) return resolve(response);
      response.resume();
      reject(statusError(status, job));
    });
    request.setTimeout(timeoutMs, () => {
      const error = Object.assign(new Error(`no data for ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
      // Fail the body with the real reason; otherwise the reader only sees a generic "aborted".
      answer?.destroy(error);
      request.destroy(error);
    });
    request.on('error', (error) =>
      reject(
        signal?.aborted
          ? abortError(signal)
          : downloadError(`Download of ${job.label} failed: ${reasonOf(error)}`, true, error),
      ),
    );
  });
}

function statusError(status: number, job: DownloadTarget): AppError {
  if (status === 403 || status === 410) {
    return new DownloadLinkExpired(`Download link for ${job.label} was refused (HTTP ${status}); request fresh links`, {
      details: { status },
    });
  }
  const transient = status === 429 || status >= 500;
  return downloadError(`Download of ${job.label} failed: HTTP ${status}`, transient);
}

export interface Download {
  /** HTTP status (200, or 206 for a byte range). */
  status: number;
  /** The answer's headers (validators, Content-Range, Content-Encoding). */
  headers: IncomingMessage['headers'];
  /** Whether the body is gzip-decoded on its way (the raw bytes differ from the body). */
  encoded: boolean;
  /** Bytes announced by the server (the encoded size when gzip). */
  contentLength?: number;
  /** Decoded bytes; errors (recorded as `failure()`) when the connection or the decoder breaks. */
  body: Readable;
  /** After the body ended: a DownloadFailed when fewer or more raw bytes than Content-Length arrived. */
  incomplete(): DownloadFailed | undefined;
  /** The download-side error that broke the body, if any. */
  failure(): DownloadFailed | undefined;
  /** Drops the connection; safe to call at any time, also after the body ended. */
  close(): void;
}

/**
 * Starts one download. Resolves once a 2xx answer arrived; 403/410 reject with DownloadLinkExpired, 429, 5xx
 * and network errors with DownloadFailed, other statuses with DownloadRefused; an abort with OperationAborted
 * (an abort after the answer breaks the body).
 */
export async function openDownload(
  target: DownloadTarget,
  timeoutMs: number,
  signal?: AbortSignal,
  headers?: Record<string, string>,
): Promise<Download> {
  const response = await requestFile(target, timeoutMs, signal, headers);
  try {
    return openBody(response, target);
  } catch (error) {
    response.destroy();
    throw error;
  }
}

function openBody(response: IncomingMessage, job: DownloadTarget): Download {
  const header = response.headers['content-length'];
  const contentLength = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
  const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!['identity', 'gzip', 'x-gzip'].includes(encoding)) {
    throw downloadError(`Download of ${job.label} failed: unsupported Content-Encoding ${encoding}`, false);
  }
  let failure: DownloadFailed | undefined;
  const fail = (message: string, cause?: unknown) => {
    failure ??= new DownloadFailed(redactText(`Download of ${job.label} ${message}`), { cause });
    return failure;
  };
  let rawBytes = 0;
  // Listeners attached in this tick, before any data flows: they see every raw chunk and record a
  // broken connection before the error travels down to whoever reads the body.
  response.on('data', (chunk: Buffer) => {
    rawBytes += chunk.length;
  });
  const broke = (error: Error) => fail(`broke off after ${rawBytes} bytes: ${reasonOf(error)}`, error);
  response.on('error', broke);
  // Identity bodies are read straight from the socket; gzip ones through the decoder.
  let body: Readable = response;
  if (encoding !== 'identity') {
    const gunzip = createGunzip();
    gunzip.on('error', broke);
    body = gunzip;
    pipeline(response, gunzip, () => {});
  }
  return {
    status: response.statusCode ?? 200,
    headers: response.headers,
    encoded: encoding !== 'identity',
    contentLength,
    body,
    failure: () => failure,
    incomplete: () =>
      contentLength !== undefined && rawBytes !== contentLength
        ? fail(`ended after ${rawBytes} of ${contentLength} bytes (Content-Length)`)
        : undefined,
    close: () => response.destroy(),
  };
}

export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return redactText(String(error));
  const code = (error as { code?: unknown }).code;
  const name = error.name !== 'Error' ? `${error.name}: ` : '';
  return redactText(
    `${name}${error.message}${typeof code === 'string' && !error.message.includes(code) ? ` (${code})` : ''}`,
  );
}
