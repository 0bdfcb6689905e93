// The sync snapshot: sorted unique ids, one per line (LF), gzip-compressed; read and written as streams.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { createLineWriter, readLines } from './lines.ts';

/** Ids of a gzip snapshot, in file order (the diff checks that they are sorted and unique). */
export function readSnapshot(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const gunzip = createGunzip();
  // pipeline() propagates a source error into the gunzip stream, which then fails the line reader.
  pipeline(Readable.from(source, { objectMode: false }), gunzip).catch(() => undefined);
  return readLines(gunzip);
}

export interface SnapshotWriter {
  write(id: string): undefined | Promise<void>;
  /** Ends the gzip stream and waits until `target` has finished; returns the id count and uncompressed bytes. */
  end(): Promise<{ ids: number; bytes: number }>;
  /** Destroys the gzip stream and `target` (after a failure elsewhere). */
  abort(error: Error): void;
}

export function createSnapshotWriter(target: Writable): SnapshotWriter {
  const gzip = createGzip();
  const piped = pipeline(gzip, target);
  piped.catch(() => undefined); // awaited in end(); this only keeps an early failure from being unhandled
  const lines = createLineWriter(gzip);
  return {
    write: (id) => lines.write(id),
    async end() {
      await Promise.all([lines.end(), piped]);
      return { ids: lines.lines, bytes: lines.bytes };
    },
    abort(error) {
      gzip.destroy(error);
      target.destroy(error);
    },
  };
}

/** Writes every id (already sorted and unique) as a gzip snapshot into `target`. */
export async function writeSnapshot(
  ids: AsyncIterable<string> | Iterable<string>,
  target: Writable,
): Promise<{ ids: number; bytes: number }> {
  const writer = createSnapshotWriter(target);
  for await (const id of ids) {
    const wait = writer.write(id);
    if (wait) await wait;
  }
  return writer.end();
}
