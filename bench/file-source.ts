// The copy bench's download source: the GrowingIO emulator's CSV rendered to disk once, then served like an object
// store serves it (Content-Length, ETag, Last-Modified, Range / If-Range → 206). Generating CSV on the fly costs the
// emulator ~2 CPU-seconds per GiB on the same two cores the copy is measured on; a real upstream costs none.

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { type CsvFileSpec, csvByteLength, csvStream } from '../local/emulators/csv-generator.ts';
import { parseByteRange } from '../local/emulators/csv-serve.ts';

export interface FileSource {
  /** http://127.0.0.1:PORT, the allowlist entry. */
  origin: string;
  link(name: string): string;
  close(): Promise<void>;
}

/** Writes the emulator's CSV for `spec` to `path`, unless a file of exactly its length is already there. */
export async function renderCsv(path: string, spec: CsvFileSpec, columns: string[]): Promise<number> {
  const bytes = csvByteLength(spec, columns);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.size !== bytes) await pipeline(csvStream(spec, columns), createWriteStream(path));
  return bytes;
}

/** Serves `files` (name → path on disk) on 127.0.0.1 with ranges and validators. */
export async function startFileSource(files: Record<string, string>): Promise<FileSource> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const path = files[name];
    if (!path) return void res.writeHead(404).end();
    void stat(path).then((info) => {
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const headers = { etag, 'last-modified': info.mtime.toUTCString(), 'accept-ranges': 'bytes' };
      const ifRange = req.headers['if-range'];
      const range =
        ifRange === undefined || ifRange === etag ? parseByteRange(req.headers.range, info.size) : undefined;
      if (range === 'unsatisfiable') return void res.writeHead(416, headers).end();
      const { start, end } = range ?? { start: 0, end: info.size - 1 };
      res.writeHead(range ? 206 : 200, {
        ...headers,
        'content-type': 'text/csv',
        'content-length': end - start + 1,
        ...(range ? { 'content-range': `bytes ${start}-${end}/${info.size}` } : {}),
      });
      if (end < start) return void res.end();
      // pipeline, not pipe: when the client goes away (a slice ends) the file stops being read. pipe() would read
      // it to the end into a response nobody receives, on the cores the copy is measured on.
      pipeline(createReadStream(path, { start, end, highWaterMark: 256 * 1024 }), res).catch(() => {});
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    link: (name) => `${origin}/${encodeURIComponent(name)}?expires=${Date.now() + 86_400_000}&sign=bench`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
