// Serves a generated CSV file over HTTP like an object store would: validators on every answer, byte ranges
// (206 / 416), conditional requests (If-Range, If-Match), gzip, and the faults that shape a body.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import { type CsvFileSpec, csvByteLength, csvStream } from './csv-generator.ts';

export interface ServeCsvOptions {
  /** File name for Content-Disposition. */
  name: string;
  /** This version's validators, sent on every answer (ETag quoted, as S3 sends it). */
  etag: string;
  lastModified: Date;
  /** The request's headers: Range, If-Range and If-Match are honoured (Range only on identity bodies). */
  request?: IncomingHttpHeaders;
  /** Answer every Range request with 200 and the whole file (a server or proxy that ignores Range). */
  ignoreRange?: boolean;
  /** Announce the full length but send only half, then end the socket. */
  truncate?: boolean;
  bytesPerSecond?: number;
  /** Send this many bytes, end the socket and call onCut (used to expire a link mid-download). */
  cutAfterBytes?: number;
  onCut?: () => void;
  /** Called after every piece of body written, with its size (faults that count served bytes). */
  onBytes?: (bytes: number) => void;
}

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * One `bytes=a-b`, `bytes=a-` or `bytes=-n` range of a `length`-byte body (end inclusive, clamped);
 * undefined for anything else (several ranges, other units, bad syntax), which is answered with the whole body.
 */
export function parseByteRange(header: string | undefined, length: number): ByteRange {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1]!, match[2]!];
  if (first === '') {
    const suffix = Number(last);
    return suffix === 0 || length === 0 ? 'unsatisfiable' : { start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(first);
  const end = last === '' ? length - 1 : Math.min(Number(last), length - 1);
  if (last !== '' && Number(last) < start) return undefined; // syntactically invalid: ignored, as HTTP says
  return start >= length ? 'unsatisfiable' : { start, end };
}

/** Whether an If-Range / If-Match value names this version (an ETag, or the exact Last-Modified date). */
function namesVersion(value: string, options: ServeCsvOptions): boolean {
  const tags = value.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(options.etag) || value.trim() === options.lastModified.toUTCString();
}

function sendError(res: ServerResponse, status: number, code: string, headers: Record<string, string | number>) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code></Error>`;
  res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Answer a download with the CSV: exact Content-Length (206 with Content-Range for a satisfiable Range), or
 * gzip Content-Encoding (chunked, always whole); faults shape the body.
 */
export async function serveCsvFile(
  res: ServerResponse,
  spec: CsvFileSpec,
  columns: string[],
  options: ServeCsvOptions,
): Promise<void> {
  const headers: Record<string, string | number> = {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(options.name)}`,
    etag: options.etag,
    'last-modified': options.lastModified.toUTCString(),
    'accept-ranges': spec.gzip ? 'none' : 'bytes',
  };
  const ifMatch = options.request?.['if-match'];
  if (ifMatch !== undefined && !namesVersion(ifMatch, options))
    return sendError(res, 412, 'PreconditionFailed', headers);
  if (spec.gzip) return serveGzip(res, spec, columns, options, headers);
  const length = csvByteLength(spec, columns);
  const range = chosenRange(length, options);
  if (range === 'unsatisfiable') {
    return sendError(res, 416, 'InvalidRange', { ...headers, 'content-range': `bytes */${length}` });
  }
  const start = range?.start ?? 0;
  const size = range ? range.end - range.start + 1 : length;
  headers['content-length'] = size;
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${length}`;
  let source: Readable = csvStream(spec, columns, start);
  if (range && range.end < length - 1) source = Readable.from(takeBytes(source, size));
  let limit = options.cutAfterBytes;
  if (options.truncate) limit = Math.min(limit ?? size, Math.floor(size / 2));
  res.writeHead(range ? 206 : 200, headers);
  await finishBody(res, source, limit, options, false);
}

function chosenRange(length: number, options: ServeCsvOptions): ByteRange {
  const header = options.request?.range;
  if (options.ignoreRange || header === undefined) return undefined;
  const raw = options.request?.['if-range'];
  const ifRange = Array.isArray(raw) ? raw.join(', ') : raw;
  // If-Range naming another version: the whole (new) file, as the client cannot splice it.
  if (ifRange !== undefined && !namesVersion(ifRange, options)) return undefined;
  return parseByteRange(header, length);
}

async function serveGzip(
  res: ServerResponse,
  spec: CsvFileSpec,
  columns: string[],
  options: ServeCsvOptions,
  headers: Record<string, string | number>,
): Promise<void> {
  headers['content-encoding'] = 'gzip';
  let source: Readable = csvStream(spec, columns);
  if (options.truncate) {
    // Chunked: a complete gzip of half the file, then no terminating chunk, so the reader sees a cut stream.
    source = Readable.from(takeBytes(source, Math.floor(csvByteLength(spec, columns) / 2)));
  }
  const gzip = createGzip();
  pipeline(source, gzip, () => {});
  res.writeHead(200, headers);
  await finishBody(res, gzip, options.cutAfterBytes, options, options.truncate === true);
}

async function finishBody(
  res: ServerResponse,
  source: Readable,
  limit: number | undefined,
  options: ServeCsvOptions,
  endEarly: boolean,
): Promise<void> {
  const { sent, cut, closed } = await writeBody(res, source, limit, options);
  if (closed) return;
  if (cut && options.cutAfterBytes !== undefined && sent >= options.cutAfterBytes) options.onCut?.();
  if (cut || endEarly) return endSocket(res);
  res.end();
}

async function* takeBytes(source: Readable, limit: number): AsyncGenerator<Buffer> {
  let left = limit;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (left <= 0) break;
    yield chunk.length <= left ? chunk : chunk.subarray(0, left);
    left -= chunk.length;
  }
  source.destroy();
}

/** Copy source to res, stopping at limit; paced to bytesPerSecond when given. */
async function writeBody(
  res: ServerResponse,
  source: Readable,
  limit: number | undefined,
  options: Pick<ServeCsvOptions, 'bytesPerSecond' | 'onBytes'>,
): Promise<{ sent: number; cut: boolean; closed: boolean }> {
  const { bytesPerSecond, onBytes } = options;
  const piece = bytesPerSecond ? Math.max(1, Math.floor(bytesPerSecond / 20)) : Number.POSITIVE_INFINITY;
  const started = performance.now();
  let sent = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    for (let offset = 0; offset < chunk.length; ) {
      const end = Math.min(chunk.length, offset + piece, limit === undefined ? chunk.length : offset + limit - sent);
      const part = chunk.subarray(offset, end);
      offset = end;
      if (part.length > 0 && !(await write(res, part))) {
        source.destroy();
        return { sent, cut: false, closed: true };
      }
      sent += part.length;
      onBytes?.(part.length);
      if (limit !== undefined && sent >= limit) {
        source.destroy();
        return { sent, cut: true, closed: false };
      }
      const due = bytesPerSecond ? (sent / bytesPerSecond) * 1000 - (performance.now() - started) : 0;
      if (due > 0) await sleep(due);
    }
  }
  return { sent, cut: false, closed: false };
}

/** Resolves true once data is accepted (waiting for drain), false if the client went away. */
function write(res: ServerResponse, data: Buffer): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** Flush what was written, then close the connection without completing the HTTP message. */
function endSocket(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  socket.end();
  setTimeout(() => socket.destroy(), 1000).unref();
}
