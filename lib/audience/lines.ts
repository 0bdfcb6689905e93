// Newline-delimited text in and out of byte streams, in large chunks (no per-line syscall or promise).
import type { Writable } from 'node:stream';

const CHUNK_CHARS = 64 * 1024;

/** The lines of each chunk as one array (no per-line promise); the semantics of `readLines`. */
export async function* readLineBatches(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let carry = '';
  for await (const chunk of source) {
    const text = carry + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    const lines = text.split('\n');
    carry = lines.pop()!;
    if (lines.length > 0) yield lines;
  }
  carry += decoder.decode();
  if (carry !== '') yield [carry];
}

/** Lines of a UTF-8 byte stream, LF-separated; a final line without LF still counts, a trailing LF adds none. */
export async function* readLines(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  for await (const lines of readLineBatches(source)) yield* lines;
}

export interface LineWriter {
  /** Queues one line (LF added); returns a promise only when the caller must wait for the stream to drain. */
  write(line: string): undefined | Promise<void>;
  /** Flushes, ends the stream and waits until it has finished. */
  end(): Promise<void>;
  /** UTF-8 bytes written so far (including queued lines). */
  readonly bytes: number;
  readonly lines: number;
}

/** Waits for 'drain', failing if the stream errors or closes first. */
export function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('stream closed before it drained'));
    };
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** Waits until a stream has finished writing (or rejects with its error). */
export function finishedWriting(stream: Writable): Promise<void> {
  if (stream.writableFinished) return Promise.resolve();
  if (stream.errored) return Promise.reject(stream.errored);
  if (stream.destroyed) return Promise.reject(new Error('stream destroyed before it finished'));
  return new Promise((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
}

export function createLineWriter(stream: Writable): LineWriter {
  let pending: string[] = [];
  let pendingChars = 0;
  let bytes = 0;
  let lines = 0;
  const flush = (): undefined | Promise<void> => {
    if (pending.length === 0) return undefined;
    const text = `${pending.join('\n')}\n`;
    pending = [];
    pendingChars = 0;
    return stream.write(text) ? undefined : drained(stream);
  };
  return {
    write(line) {
      pending.push(line);
      pendingChars += line.length + 1;
      bytes += Buffer.byteLength(line) + 1;
      lines++;
      return pendingChars >= CHUNK_CHARS ? flush() : undefined;
    },
    async end() {
      await flush();
      const done = finishedWriting(stream);
      stream.end();
      await done;
    },
    get bytes() {
      return bytes;
    },
    get lines() {
      return lines;
    },
  };
}
