// Parts stream to S3 while they download: an UploadPart that S3 refuses half-way (503 SlowDown) is sent again from
// its first byte, and the object is still exact.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySlice } from '../../lib/export/copy-slice.ts';
import { createS3Client } from '../../lib/s3-client.ts';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../local/aws/s3.ts';
import { type FileServer, startFileServer } from '../helpers/file-server.ts';

const BUCKET = 'streamed';
const MiB = 1024 * 1024;

let s3: LocalS3;
let files: FileServer;
let proxy: Server;
let proxyUrl: string;
/** UploadPart requests seen by the proxy: part number and the bytes it let through before answering. */
const seen: Array<{ part: string; refusedAfter?: number }> = [];

/** Forwards to the embedded S3, except that the first UploadPart of part 2 is refused with 503 after 1 MiB. */
function startFlakyProxy(target: URL): Promise<Server> {
  let refused = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const part = url.searchParams.get('partNumber');
    if (req.method === 'PUT' && part) seen.push({ part });
    if (req.method === 'PUT' && part === '2' && !refused) {
      refused = true;
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received < MiB || res.headersSent) return;
        seen[seen.length - 1]!.refusedAfter = received;
        res.writeHead(503, { 'content-type': 'application/xml', connection: 'close' });
        res.end(
          '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>',
        );
      });
      return;
    }
    // `expect` was answered here (100 Continue); one connection per request, as the refused one closes its own.
    const { expect: _continue, connection: _connection, ...headers } = req.headers;
    const forwarded = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => server);
}

beforeAll(async () => {
  [s3, files] = await Promise.all([startLocalS3({ buckets: [BUCKET] }), startFileServer()]);
  proxy = await startFlakyProxy(new URL(s3.endpoint));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  proxy?.closeAllConnections();
  proxy?.close();
  await Promise.all([s3?.close(), files?.close()]);
});

describe('parts streamed to S3 while they download', () => {
  it('sends a part again from its first byte when S3 refuses it half-way, and the object is exact', async () => {
    const client = createS3Client({ endpoint: proxyUrl, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
    const lines = ['user_id,city'];
    for (let i = 0; i < 700_000; i++) lines.push(`${i},"city ${i % 97}"`);
    const body = `${lines.join('\n')}\n`;
    files.serve('/flaky/a.csv', { body });
    const key = 'exports/streamed/part-00001.csv';
    const result = await copySlice(
      { s3: client, allowlist: [files.allowEntry], partSizeBytes: 5 * MiB },
      { bucket: BUCKET, key, link: files.link('/flaky/a.csv'), index: 0, fileCount: 1 },
    );
    expect(result).toEqual({
      done: true,
      file: {
        key,
        bytes: Buffer.byteLength(body),
        sha256: createHash('sha256').update(body).digest('hex'),
        rows: 700_000,
      },
    });
    const twos = seen.filter((request) => request.part === '2');
    expect(twos).toHaveLength(2);
    expect(twos[0]!.refusedAfter).toBeGreaterThanOrEqual(MiB);
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await stored.Body!.transformToString()).toBe(body);
    client.destroy();
  });
});
