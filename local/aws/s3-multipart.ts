// The multipart operations s3rver 3.7.1 lacks (AbortMultipartUpload answers 405; ListParts and
// ListMultipartUploads are missing), served from s3rver's own on-disk layout:
//   {directory}/{bucket}/._S3rver_uploads/{uploadId}/key        the object key
//                                                   /metadata   request headers of CreateMultipartUpload
//                                                   /{N}, {N}.md5  part N and its hex md5 (the part's ETag)
import type { Stats } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

const UPLOAD_ID = /^[0-9a-f]{32}$/; // s3rver's ids: 16 random bytes in hex
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PART_FILE = /^[1-9]\d{0,4}$/;
/** S3 lists at most 1000 parts or uploads per page. */
export const MAX_LISTED = 1000;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export interface S3Target {
  bucket: string;
  key: string;
  query: URLSearchParams;
}

/** Bucket and key of a path-style request, or undefined when it is not one this module may answer. */
export function parseTarget(req: IncomingMessage): S3Target | undefined {
  const url = new URL(req.url ?? '/', 'http://s3.local');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  if (!BUCKET.test(bucket) || bucket.includes('..')) return undefined;
  let key: string;
  try {
    key = decodeURIComponent(rest.join('/'));
  } catch {
    return undefined;
  }
  return { bucket, key, query: url.searchParams };
}

/** What the front answers itself: the operations s3rver lacks, and guards for parts of unknown uploads. */
export type MultipartOperation = 'abort' | 'listParts' | 'listUploads' | 'uploadPart' | 'complete';

export function multipartOperation(method: string | undefined, target: S3Target): MultipartOperation | undefined {
  const { key, query } = target;
  if (key === '') return method === 'GET' && query.has('uploads') ? 'listUploads' : undefined;
  if (!query.has('uploadId')) return undefined;
  if (method === 'DELETE') return 'abort';
  if (method === 'GET') return 'listParts';
  if (method === 'PUT') return 'uploadPart';
  return method === 'POST' ? 'complete' : undefined;
}

export class MultipartStore {
  private readonly directory: string;

  constructor(directory: string) {
    this.directory = directory;
  }

  private uploadsDir(bucket: string): string {
    return join(this.directory, bucket, '._S3rver_uploads');
  }

  /** The upload's directory when it exists for exactly this bucket and key. */
  async findUpload(bucket: string, key: string, uploadId: string | null): Promise<string | undefined> {
    if (!uploadId || !UPLOAD_ID.test(uploadId)) return undefined;
    const dir = join(this.uploadsDir(bucket), uploadId);
    const storedKey = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
    return storedKey === key ? dir : undefined;
  }

  async bucketExists(bucket: string): Promise<boolean> {
    return (await stat(join(this.directory, bucket)).catch(() => undefined))?.isDirectory() === true;
  }

  /** Removes an upload directory that a part written after an abort re-created without its key file. */
  async dropIfOrphaned(bucket: string, uploadId: string | null): Promise<void> {
    if (!uploadId || !UPLOAD_ID.test(uploadId)) return;
    const dir = join(this.uploadsDir(bucket), uploadId);
    const hasKey = await stat(join(dir, 'key')).then(
      () => true,
      () => false,
    );
    if (!hasKey) await rm(dir, { recursive: true, force: true });
  }

  async abort(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  async listParts(dir: string): Promise<Array<{ number: number; size: number; etag: string; modified: Date }>> {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => PART_FILE.test(name));
    // s3rver writes a part's bytes as they arrive and its `.md5` once they all did: a part without one is still
    // arriving or was cut off (a cancelled UploadPart), and S3 does not list such a part.
    const missing = (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error));
    const parts = await Promise.all(
      names.map(async (name) => {
        const [info, md5] = await Promise.all([
          stat(join(dir, name)).catch(missing),
          readFile(join(dir, `${name}.md5`), 'utf8').catch(missing),
        ]);
        if (!info || md5 === undefined) return undefined;
        return { number: Number(name), size: info.size, etag: `"${md5.trim()}"`, modified: info.mtime };
      }),
    );
    return parts.filter((part) => part !== undefined).sort((a, b) => a.number - b.number);
  }

  async listUploads(bucket: string): Promise<Array<{ key: string; uploadId: string; initiated: Date }>> {
    const root = this.uploadsDir(bucket);
    const ids = (await readdir(root).catch(() => [] as string[])).filter((id) => UPLOAD_ID.test(id));
    const uploads = await Promise.all(
      ids.map(async (uploadId) => {
        const keyFile = join(root, uploadId, 'key');
        const [key, info] = await Promise.all([
          readFile(keyFile, 'utf8').catch(() => undefined),
          stat(keyFile).catch(() => undefined as Stats | undefined),
        ]);
        return key === undefined || !info ? undefined : { key, uploadId, initiated: info.mtime };
      }),
    );
    return uploads
      .filter((upload) => upload !== undefined)
      .sort(
        (a, b) =>
          (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
          a.initiated.getTime() - b.initiated.getTime() ||
          (a.uploadId < b.uploadId ? -1 : 1),
      );
  }
}

/** A bounded whole number query value, or the default; undefined when malformed. */
export function boundedNumber(raw: string | null, fallback: number, max: number): number | undefined {
  if (raw === null || raw === '') return fallback;
  return /^\d{1,9}$/.test(raw) ? Math.min(Number(raw), max) : undefined;
}

export const xmlEscape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);

const tag = (name: string, value: string | number | boolean) => `<${name}>${xmlEscape(String(value))}</${name}>`;

export function listPartsXml(
  target: S3Target,
  uploadId: string,
  page: { marker: number; maxParts: number },
  parts: Awaited<ReturnType<MultipartStore['listParts']>>,
): string {
  const after = parts.filter((part) => part.number > page.marker);
  const shown = after.slice(0, page.maxParts);
  const truncated = after.length > shown.length;
  const items = shown.map(
    (part) =>
      `<Part>${tag('PartNumber', part.number)}${tag('LastModified', part.modified.toISOString())}` +
      `${tag('ETag', part.etag)}${tag('Size', part.size)}</Part>`,
  );
  return xmlDocument(
    'ListPartsResult',
    tag('Bucket', target.bucket) +
      tag('Key', target.key) +
      tag('UploadId', uploadId) +
      tag('StorageClass', 'STANDARD') +
      tag('PartNumberMarker', page.marker) +
      tag('NextPartNumberMarker', shown.at(-1)?.number ?? page.marker) +
      tag('MaxParts', page.maxParts) +
      tag('IsTruncated', truncated) +
      items.join(''),
  );
}

export interface UploadsPage {
  prefix: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
  urlEncoded: boolean;
}

export function listUploadsXml(
  bucket: string,
  page: UploadsPage,
  uploads: Awaited<ReturnType<MultipartStore['listUploads']>>,
): string {
  const encode = (text: string) => (page.urlEncoded ? encodeURIComponent(text).replaceAll('%2F', '/') : text);
  const matching = uploads.filter((upload) => upload.key.startsWith(page.prefix));
  let start = 0;
  if (page.keyMarker !== '') {
    // After the marker: later keys, or (with an upload-id marker) later uploads of the marker's key.
    const markerAt = page.uploadIdMarker
      ? matching.findIndex((u) => u.key === page.keyMarker && u.uploadId === page.uploadIdMarker)
      : -1;
    start = markerAt >= 0 ? markerAt + 1 : matching.findIndex((u) => u.key > page.keyMarker);
    if (start < 0) start = matching.length;
  }
  const shown = matching.slice(start, start + page.maxUploads);
  const truncated = start + shown.length < matching.length;
  const last = shown.at(-1);
  const items = shown.map(
    (upload) =>
      `<Upload>${tag('Key', encode(upload.key))}${tag('UploadId', upload.uploadId)}` +
      `${tag('Initiated', upload.initiated.toISOString())}${tag('StorageClass', 'STANDARD')}</Upload>`,
  );
  return xmlDocument(
    'ListMultipartUploadsResult',
    tag('Bucket', bucket) +
      tag('KeyMarker', encode(page.keyMarker)) +
      tag('UploadIdMarker', page.uploadIdMarker) +
      (truncated && last ? tag('NextKeyMarker', encode(last.key)) + tag('NextUploadIdMarker', last.uploadId) : '') +
      tag('Prefix', encode(page.prefix)) +
      tag('MaxUploads', page.maxUploads) +
      tag('IsTruncated', truncated) +
      (page.urlEncoded ? tag('EncodingType', 'url') : '') +
      items.join(''),
  );
}

function xmlDocument(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${XMLNS}">${inner}</${root}>`;
}

export function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendS3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${tag('Code', code)}${tag('Message', message)}</Error>`;
  sendXml(res, status, body);
}
