// One part of a copy while the download fills it: its bytes land in a part buffer once, and readers (the part's
// UploadPart body, again on a retry) stream them as they arrive, so the upload of a part ends right after its last
// byte is downloaded instead of starting then.
import { Readable } from 'node:stream';

/** Readers are woken (and the upload socket written) every this many new bytes, not on every network chunk. */
const WAKE_BYTES = 512 * 1024;

export class PartFill {
  filled = 0;
  private aborted: Error | undefined;
  private readonly stopped = new AbortController();
  private woken = 0;
  private wakers: Array<() => void> = [];

  readonly buffer: Buffer;
  /** The part's exact length, known before its first byte (the announced length's remainder), or the buffer's. */
  readonly size: number;

  constructor(buffer: Buffer, size: number) {
    this.buffer = buffer;
    this.size = size;
  }

  get full(): boolean {
    return this.filled === this.size;
  }

  /** Copies what fits of `chunk[from..]`; returns how many bytes were taken. */
  write(chunk: Uint8Array, from: number): number {
    const count = Math.min(chunk.length - from, this.size - this.filled);
    this.buffer.set(chunk.subarray(from, from + count), this.filled);
    this.filled += count;
    if (this.full || this.filled - this.woken >= WAKE_BYTES) this.wake();
    return count;
  }

  /** Aborted when the part will not be completed: its upload stops (no retry) and every reader fails. */
  get signal(): AbortSignal {
    return this.stopped.signal;
  }

  abort(error: Error): void {
    this.aborted ??= error;
    this.stopped.abort(error);
    this.wake();
  }

  /** A fresh stream of the part from its first byte (each attempt of the upload opens its own). */
  open(): Readable {
    const stream = Readable.from(this.bytes(), { objectMode: false, highWaterMark: 0 });
    // An aborted part ends its upload through the upload's own abort signal; the stream's error is expected then.
    stream.on('error', () => {});
    return stream;
  }

  private async *bytes(): AsyncGenerator<Uint8Array> {
    let sent = 0;
    while (sent < this.size) {
      if (this.aborted) throw this.aborted;
      if (sent < this.woken) {
        const end = this.woken;
        yield this.buffer.subarray(sent, end);
        sent = end;
      } else await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }

  private wake(): void {
    this.woken = this.filled;
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}
