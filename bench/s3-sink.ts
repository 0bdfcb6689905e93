// A discarding S3-compatible HTTP server: answers the multipart/put/delete/ListParts calls with minimal valid XML,
// keeps no bytes (only each part's size and ETag).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Sink {
  endpoint: string;
  /** Body bytes received (and dropped) since start. */
  bytesReceived(): number;
  close(): Promise<void>;
}

const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

/** Path-style `/bucket/key…` split into bucket and key. */
function target(url: URL): { bucket: string; key: string } {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(rest.join('/')) };
}

/** Part sizes and ETags per upload id (no bytes): enough to answer ListParts. */
type Parts = Map<string, Map<number, { size: number; etag: string }>>;

function listPartsXml(bucket: string, key: string, id: string, parts: Parts): string {
  const listed = [...(parts.get(id) ?? new Map()).entries()].sort(([a], [b]) => a - b);
  const items = listed
    .map(([n, part]) => `<Part><PartNumber>${n}</PartNumber><ETag>${part.etag}</ETag><Size>${part.size}</Size></Part>`)
    .join('');
  return `<ListPartsResult ${NS}><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId><IsTruncated>false</IsTruncated>${items}</ListPartsResult>`;
}

function answer(
  req: IncomingMessage,
  url: URL,
  parts: Parts,
  size: number,
): { status: number; body?: string; headers?: Record<string, string> } {
  const { bucket, key } = target(url);
  const q = url.searchParams;
  const etag = `"${randomUUID().replaceAll('-', '')}"`;
  const uploadId = q.get('uploadId');
  if (req.method === 'GET' && uploadId) return { status: 200, body: listPartsXml(bucket, key, uploadId, parts) };
  if (req.method === 'PUT' && uploadId) {
    const known = parts.get(uploadId) ?? new Map();
    parts.set(uploadId, known.set(Number(q.get('partNumber')), { size, etag }));
    return { status: 200, headers: { etag } };
  }
  if (req.method === 'POST' && q.has('uploads')) {
    const id = randomUUID();
    const body = `<InitiateMultipartUploadResult ${NS}><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`;
    return { status: 200, body };
  }
  if (req.method === 'POST' && uploadId) {
    parts.delete(uploadId);
    const body = `<CompleteMultipartUploadResult ${NS}><Location>/${bucket}/${key}</Location><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`;
    return { status: 200, body };
  }
  if (req.method === 'POST' && q.has('delete')) return { status: 200, body: `<DeleteResult ${NS}></DeleteResult>` };
  if (req.method === 'PUT') return { status: 200, headers: { etag } };
  if (req.method === 'DELETE') {
    if (uploadId) parts.delete(uploadId);
    return { status: 204 };
  }
  return {
    status: 405,
    body: '<Error><Code>MethodNotAllowed</Code><Message>not supported by the sink</Message></Error>',
  };
}

export async function startS3Sink(): Promise<S3Sink> {
  let received = 0;
  const parts: Parts = new Map();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      size += chunk.length;
    });
    req.on('end', () => {
      const { status, body, headers } = answer(req, new URL(req.url ?? '/', 'http://sink'), parts, size);
      const text = body === undefined ? '' : XML + body;
      res.writeHead(status, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bytesReceived: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
