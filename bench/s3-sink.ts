// A discarding S3-compatible HTTP server: answers the multipart/put/delete calls with minimal valid XML, keeps no bytes.
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

function answer(req: IncomingMessage, url: URL): { status: number; body?: string; headers?: Record<string, string> } {
  const { bucket, key } = target(url);
  const q = url.searchParams;
  const etag = `"${randomUUID().replaceAll('-', '')}"`;
  if (req.method === 'POST' && q.has('uploads')) {
    const id = randomUUID();
    const body = `<InitiateMultipartUploadResult ${NS}><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`;
    return { status: 200, body };
  }
  if (req.method === 'POST' && q.has('uploadId')) {
    const body = `<CompleteMultipartUploadResult ${NS}><Location>/${bucket}/${key}</Location><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`;
    return { status: 200, body };
  }
  if (req.method === 'POST' && q.has('delete')) return { status: 200, body: `<DeleteResult ${NS}></DeleteResult>` };
  if (req.method === 'PUT') return { status: 200, headers: { etag } };
  if (req.method === 'DELETE') return { status: 204 };
  return {
    status: 405,
    body: '<Error><Code>MethodNotAllowed</Code><Message>not supported by the sink</Message></Error>',
  };
}

export async function startS3Sink(): Promise<S3Sink> {
  let received = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on('end', () => {
      const { status, body, headers } = answer(req, new URL(req.url ?? '/', 'http://sink'));
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
