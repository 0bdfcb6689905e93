// A streamed multipart/form-data body: text fields, then one file read chunk by chunk, never buffered whole.
import { randomBytes } from 'node:crypto';

export interface MultipartFile {
  field: string;
  fileName: string;
  contentType: string;
  body: AsyncIterable<Uint8Array>;
  /** Exact byte length when known: the body then gets a Content-Length and is checked against it. */
  size?: number;
}

export interface MultipartBody {
  contentType: string;
  /** Present when the file size is known; otherwise the body goes out chunked. */
  contentLength?: number;
  stream: ReadableStream<Uint8Array>;
}

/** Raised from inside the stream when the file is longer than `maxBytes` or differs from its announced size. */
export class FileSizeError extends Error {
  override name = 'FileSizeError';
  readonly bytes: number;
  constructor(message: string, bytes: number) {
    super(message);
    this.bytes = bytes;
  }
}

const encoder = new TextEncoder();

/** Header values must not carry CR/LF (header injection) nor unescaped quotes. */
function safe(value: string, what: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`multipart ${what} must not contain line breaks`);
  return value.replaceAll('"', '%22');
}

export function multipartBody(
  fields: Record<string, string>,
  file: MultipartFile,
  options: { boundary?: string; maxBytes?: number } = {},
): MultipartBody {
  const boundary = options.boundary ?? `----audience-pipeline-${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${safe(name, 'field name')}"\r\n\r\n${safe(value, `field ${name}`)}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${safe(file.field, 'field name')}"; filename="${safe(file.fileName, 'file name')}"\r\nContent-Type: ${safe(file.contentType, 'content type')}\r\n\r\n`;
  const headBytes = encoder.encode(head);
  const tailBytes = encoder.encode(`\r\n--${boundary}--\r\n`);
  const limit = options.maxBytes ?? Number.POSITIVE_INFINITY;

  async function* parts(): AsyncGenerator<Uint8Array> {
    yield headBytes;
    let sent = 0;
    for await (const chunk of file.body) {
      sent += chunk.byteLength;
      if (sent > limit) throw new FileSizeError(`file is larger than the ${limit}-byte limit`, sent);
      if (file.size !== undefined && sent > file.size) {
        throw new FileSizeError(`file is longer than its announced ${file.size} bytes`, sent);
      }
      yield chunk;
    }
    if (file.size !== undefined && sent !== file.size) {
      throw new FileSizeError(`file has ${sent} bytes, not the announced ${file.size}`, sent);
    }
    yield tailBytes;
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    ...(file.size !== undefined ? { contentLength: headBytes.byteLength + file.size + tailBytes.byteLength } : {}),
    stream: ReadableStream.from(parts()),
  };
}
