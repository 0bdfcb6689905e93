// The streamed multipart body: exact Content-Length, chunks passed through, size checks, no header injection.
import { describe, expect, it } from 'vitest';
import { FileSizeError, multipartBody } from '../../lib/tencent/multipart.ts';

async function* pieces(...chunks: string[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield new TextEncoder().encode(chunk);
}

async function read(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

const file = (size?: number, ...chunks: string[]) => ({
  field: 'file',
  fileName: 'ids.txt',
  contentType: 'text/plain',
  body: pieces(...chunks),
  ...(size !== undefined ? { size } : {}),
});

describe('multipartBody', () => {
  it('announces the exact length and streams fields, then the file, then the closing boundary', async () => {
    const body = multipartBody({ account_id: '1', operation_type: 'APPEND' }, file(6, 'abc', 'def'), {
      boundary: 'XyZ',
    });
    const text = await read(body.stream);
    expect(body.contentType).toBe('multipart/form-data; boundary=XyZ');
    expect(body.contentLength).toBe(Buffer.byteLength(text));
    expect(text).toBe(
      '--XyZ\r\nContent-Disposition: form-data; name="account_id"\r\n\r\n1\r\n' +
        '--XyZ\r\nContent-Disposition: form-data; name="operation_type"\r\n\r\nAPPEND\r\n' +
        '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="ids.txt"\r\nContent-Type: text/plain\r\n\r\n' +
        'abcdef\r\n--XyZ--\r\n',
    );
  });

  it('has no length when the size is unknown', () => {
    expect(multipartBody({}, file(undefined, 'a')).contentLength).toBeUndefined();
  });

  it.each([
    ['longer than announced', file(2, 'abc'), /longer than its announced 2/],
    ['shorter than announced', file(5, 'abc'), /3 bytes, not the announced 5/],
    ['over the limit', file(undefined, 'abc', 'def'), /larger than the 4-byte limit/],
  ])('fails the stream when the file is %s', async (_label, input, message) => {
    const body = multipartBody({}, input, { maxBytes: 4 });
    const error = await read(body.stream).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FileSizeError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses line breaks in header values', () => {
    expect(() => multipartBody({ a: 'x\r\nContent-Type: evil' }, file(1, 'a'))).toThrow(/line breaks/);
    expect(() => multipartBody({}, { ...file(1, 'a'), fileName: 'a\n.txt' })).toThrow(/line breaks/);
  });
});
