// Part-sized buffers for the copy, over SharedArrayBuffers: the download is copied into one once, the sha256 thread
// reads it in place, the upload sends it, and then it is reused. No per-part allocation, nothing for the GC.

/** Idle buffers kept per part size between copies (a Lambda container copies one file at a time). */
const KEEP_IDLE = 4;
const idle = new Map<number, Buffer[]>();

/** A buffer of exactly `size` bytes (old contents; every byte is written before use). */
export function takePartBuffer(size: number): Buffer {
  const reused = idle.get(size)?.pop();
  return reused ?? Buffer.from(new SharedArrayBuffer(size));
}

/** Gives a buffer back once nothing reads it any more (its upload and its hashing have both settled). */
export function givePartBuffer(buffer: Buffer): void {
  const list = idle.get(buffer.length) ?? [];
  if (list.length >= KEEP_IDLE || list.includes(buffer)) return;
  list.push(buffer);
  idle.set(buffer.length, list);
}
