// A front for s3rver on 127.0.0.1: answers the multipart operations s3rver lacks from its on-disk layout
// (AbortMultipartUpload, ListParts, ListMultipartUploads; NoSuchUpload for parts and completions of unknown
// uploads) and S3's conditional writes (PutObject with If-None-Match: * or If-Match), and forwards every other
// request unchanged, headers and signature included.
import { type Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import {
  boundedNumber,
  listPartsXml,
  listUploadsXml,
  MAX_LISTED,
  MultipartStore,
  multipartOperation,
  parseTarget,
  type S3Target,
  sendS3Error,
  sendXml,
} from './s3-multipart.ts';

export interface S3Front {
  endpoint: string;
  close(): Promise<void>;
}

// Hop-by-hop headers are the front's own business; `expect` was already answered (100 Continue) by the front.
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'expect', 'proxy-connection', 'upgrade']);

export async function startS3Front(options: { backendPort: number; directory: string; agent: Agent; port?: number }) {
  const store = new MultipartStore(options.directory);
  const server: Server = createServer((req, res) => {
    handle(store, options, req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendS3Error(res, 500, 'InternalError', error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  } satisfies S3Front;
}

type FrontOptions = Parameters<typeof startS3Front>[0];

async function handle(store: MultipartStore, options: FrontOptions, req: IncomingMessage, res: ServerResponse) {
  const target = parseTarget(req);
  const operation = target && multipartOperation(req.method, target);
  if (target && !operation && isConditionalPut(req, target)) return conditionalPut(options, target, req, res);
  if (!target || !operation) return forward(options, req, res);
  if (!(await store.bucketExists(target.bucket))) {
    req.resume();
    return sendS3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
  }
  if (operation === 'listUploads') return listUploads(store, target, res);
  const uploadId = target.query.get('uploadId');
  const dir = await store.findUpload(target.bucket, target.key, uploadId);
  if (!dir) {
    req.resume();
    return sendS3Error(
      res,
      404,
      'NoSuchUpload',
      'The specified upload does not exist. It may have been aborted or completed.',
    );
  }
  if (operation === 'abort') {
    await store.abort(dir);
    res.writeHead(204).end();
  } else if (operation === 'listParts') {
    const marker = boundedNumber(target.query.get('part-number-marker'), 0, 10_000);
    const maxParts = boundedNumber(target.query.get('max-parts'), MAX_LISTED, MAX_LISTED);
    if (marker === undefined || maxParts === undefined) return invalidArgument(res, 'part-number-marker or max-parts');
    sendXml(res, 200, listPartsXml(target, uploadId!, { marker, maxParts }, await store.listParts(dir)));
  } else {
    // A part that lands after an abort makes s3rver re-create the upload directory without its key: drop it.
    res.on('finish', () => void store.dropIfOrphaned(target.bucket, uploadId).catch(() => {}));
    forward(options, req, res);
  }
}

async function listUploads(store: MultipartStore, target: S3Target, res: ServerResponse): Promise<void> {
  const { query } = target;
  if (query.has('delimiter')) {
    return sendS3Error(
      res,
      501,
      'NotImplemented',
      'delimiter is not supported by the embedded S3 for ListMultipartUploads',
    );
  }
  const maxUploads = boundedNumber(query.get('max-uploads'), MAX_LISTED, MAX_LISTED);
  if (maxUploads === undefined) return invalidArgument(res, 'max-uploads');
  const page = {
    prefix: query.get('prefix') ?? '',
    keyMarker: query.get('key-marker') ?? '',
    uploadIdMarker: query.get('upload-id-marker') ?? '',
    maxUploads,
    urlEncoded: query.get('encoding-type') === 'url',
  };
  sendXml(res, 200, listUploadsXml(target.bucket, page, await store.listUploads(target.bucket)));
}

function invalidArgument(res: ServerResponse, what: string): void {
  sendS3Error(res, 400, 'InvalidArgument', `${what} must be a whole number`);
}

/**
 * PutObject with `If-None-Match: *` (create only) or `If-Match: <etag>` (replace only that version): S3 conditional
 * writes, which s3rver ignores; the front answers them.
 */
function isConditionalPut(req: IncomingMessage, target: S3Target): boolean {
  const { headers } = req;
  return req.method === 'PUT' && target.key !== '' && (headers['if-none-match'] === '*' || !!headers['if-match']);
}

// One conditional write per key at a time: the check and the write are one step for other writers.
const keyLocks = new Map<string, Promise<void>>();

async function conditionalPut(options: FrontOptions, target: S3Target, req: IncomingMessage, res: ServerResponse) {
  const lockKey = `${target.bucket}/${target.key}`;
  const previous = keyLocks.get(lockKey) ?? Promise.resolve();
  const mine = previous.then(async () => {
    const etag = await currentEtag(options, new URL(req.url ?? '/', 'http://s3.local').pathname);
    const refusal = conditionRefusal(req.headers['if-match'], etag);
    if (refusal) {
      req.resume();
      return sendS3Error(res, ...refusal);
    }
    await new Promise<void>((resolve) => {
      res.on('close', resolve);
      forward(options, req, res);
    });
  });
  const settled = mine.catch(() => {});
  keyLocks.set(lockKey, settled);
  await mine.finally(() => {
    if (keyLocks.get(lockKey) === settled) keyLocks.delete(lockKey);
  });
}

type Refusal = [status: number, code: string, message: string];

/** Why the write's condition does not hold (S3's answers), or undefined when it does. */
function conditionRefusal(ifMatch: string | undefined, etag: string | undefined): Refusal | undefined {
  const failed: Refusal = [412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'];
  if (!ifMatch) return etag === undefined ? undefined : failed; // If-None-Match: *
  if (etag === undefined) return [404, 'NoSuchKey', 'The specified key does not exist.'];
  const unquote = (value: string) => value.replace(/^"|"$/g, '');
  return unquote(ifMatch) === unquote(etag) ? undefined : failed;
}

/** The object's ETag, undefined when there is none. */
function currentEtag(options: FrontOptions, path: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const head = request(
      { host: '127.0.0.1', port: options.backendPort, method: 'HEAD', path, agent: options.agent },
      (answer) => {
        answer.resume();
        resolve(answer.statusCode === 200 ? String(answer.headers.etag ?? '') : undefined);
      },
    );
    head.on('error', reject);
    head.end();
  });
}

function forward(options: FrontOptions, req: IncomingMessage, res: ServerResponse): void {
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_HEADERS.has(name)));
  const upstream = request(
    { host: '127.0.0.1', port: options.backendPort, method: req.method, path: req.url, headers, agent: options.agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
      pipeline(answer, res, () => {});
    },
  );
  upstream.on('error', (error) => {
    if (res.headersSent) res.destroy();
    else sendS3Error(res, 502, 'BadGateway', `embedded S3 unreachable: ${error.message}`);
  });
  pipeline(req, upstream, () => {});
}
