// A tiny HTTP file server on 127.0.0.1 for download tests: scripted answers per path (status, gzip, truncation).
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface FileAnswer {
  status?: number;
  body?: string | Uint8Array;
  /** Streamed body for large files; give `length` to send a Content-Length. */
  stream?: () => AsyncIterable<Uint8Array>;
  length?: number;
  /** Send the body gzip-compressed with `Content-Encoding: gzip` (Content-Length = compressed size). */
  gzip?: boolean;
  /** Announce the full Content-Length but close the connection after this many body bytes. */
  truncateAfter?: number;
  /** Send the headers (and `truncateAfter` bytes, if given), then go silent until the client gives up. */
  hang?: boolean;
  headers?: Record<string, string>;
  /**
   * Honour `Range: bytes=N-` (206 + Content-Range, If-Range against the ETag) on a `body` answer, sending an ETag
   * and Last-Modified as an object store does; `truncateAfter` then counts from N.
   */
  ranges?: boolean;
}

export interface RecordedRequest {
  path: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface FileServer {
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** The allowlist entry for this server, e.g. `http://127.0.0.1:PORT`. */
  allowEntry: string;
  requests: RecordedRequest[];
  /** Answers for a path, used in order; the last one repeats. */
  serve(path: string, ...answers: FileAnswer[]): void;
  /** A pre-signed-looking link to a path (`expires` in epoch ms, `sign` a fake signature). */
  link(path: string, query?: { expires?: number; sign?: string }): string;
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const routes = new Map<string, FileAnswer[]>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: url.pathname, url: request.url ?? '', headers: request.headers });
    const answers = routes.get(url.pathname);
    const answer = answers && answers.length > 1 ? answers.shift() : answers?.[0];
    void respond(response, answer ?? { status: 404, body: 'not found' }, request.headers);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    allowEntry: baseUrl,
    requests,
    serve: (path, ...answers) => {
      routes.set(path, answers);
    },
    link: (path, query = {}) => {
      const url = new URL(path, baseUrl);
      url.searchParams.set('expires', String(query.expires ?? Date.now() + 3_600_000));
      url.searchParams.set('sign', query.sign ?? 'f4k3s1gn4tur3');
      return url.toString();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const RANGE_ETAG = '"file-server-v1"';

/** The part of a ranged answer's body the request asks for, with its status and headers. */
function ranged(answer: FileAnswer, body: Buffer, request: IncomingHttpHeaders) {
  const headers: Record<string, string> = { etag: RANGE_ETAG, 'last-modified': new Date(0).toUTCString() };
  const match = /^bytes=(\d+)-$/.exec(request.range ?? '');
  const ifRange = request['if-range'];
  if (!answer.ranges || !match || (ifRange !== undefined && ifRange !== RANGE_ETAG)) return { body, headers };
  const start = Number(match[1]);
  headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
  return { status: 206, body: body.subarray(start), headers };
}

async function respond(response: ServerResponse, answer: FileAnswer, request: IncomingHttpHeaders): Promise<void> {
  let status = answer.status ?? 200;
  const headers: Record<string, string> = { 'content-type': 'text/csv', ...answer.headers };
  if (answer.stream) {
    if (answer.length !== undefined) headers['content-length'] = String(answer.length);
    response.writeHead(status, headers);
    for await (const chunk of answer.stream()) {
      if (response.destroyed) return;
      // A client that hangs up never drains: wait for whichever comes first.
      if (!response.write(chunk)) await drainOrClose(response);
    }
    response.end();
    return;
  }
  let body: Buffer =
    typeof answer.body === 'string' ? Buffer.from(answer.body) : Buffer.from(answer.body ?? new Uint8Array());
  if (answer.gzip) {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  if (answer.ranges) {
    const part = ranged(answer, body, request);
    Object.assign(headers, part.headers);
    [status, body] = [part.status ?? status, part.body];
  }
  headers['content-length'] = String(body.length);
  response.writeHead(status, headers);
  if (answer.hang) {
    response.write(body.subarray(0, answer.truncateAfter ?? 0));
    return;
  }
  if (answer.truncateAfter === undefined) {
    response.end(body);
    return;
  }
  if (answer.truncateAfter >= body.length) throw new Error('truncateAfter must be shorter than the body');
  // Close the connection mid-body once the partial body has been handed to the kernel, so the client
  // deterministically receives exactly `truncateAfter` bytes and then a premature end.
  response.write(body.subarray(0, answer.truncateAfter), () => response.socket?.destroy());
}

function drainOrClose(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}
