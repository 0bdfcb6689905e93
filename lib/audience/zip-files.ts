// Writes ids (one per line, LF) into zip files of one `.txt` each, starting a new zip before one would exceed maxBytes.
//
// fflate (0.8) rather than yazl or archiver: an exact split needs to know the compressed size so far, and fflate's
// streaming Deflate has a public sync `flush()` that emits every byte pushed so far. yazl and archiver hide their
// deflate stream, so only a guess or a buffered retry could keep a file under the limit. fflate is also pure JS
// with no dependencies (small Lambda bundle) and unzips too (the tests read the files back with it).
import type { Writable } from 'node:stream';
import { Deflate, Zip, ZipPassThrough } from 'fflate';
import { drained, finishedWriting } from './lines.ts';

/** Opens the destination of zip number `index` (0-based): a file, an S3 upload body… */
export type ZipSinkFactory = (index: number) => Writable | Promise<Writable>;

export interface ZipFilesOptions {
  /** Upper bound for each zip file, container included (Tencent: TENCENT_MAX_FILE_BYTES, 100 MB). */
  maxBytes: number;
  sink: ZipSinkFactory;
  /** Name of the `.txt` inside zip `index` (default `ids-00001.txt`…). */
  entryName?: (index: number) => string;
  /** Deflate level 1-9 (default 6). */
  level?: number;
}

export interface ZipFileInfo {
  index: number;
  lines: number;
  /** Size of the zip file. */
  bytes: number;
}

export interface ZipFilesWriter {
  /** Adds one id; returns a promise only when the caller must wait (await it before the next write). */
  write(id: string): undefined | Promise<void>;
  /** Finishes the last zip and waits for every sink; no ids ⇒ no file at all. */
  end(): Promise<ZipFileInfo[]>;
  /** Destroys the open sink (after a failure elsewhere); the caller deletes what was written. */
  abort(error: Error): void;
}

const defaultEntryName = (index: number) => `ids-${String(index + 1).padStart(5, '0')}.txt`;
/** Raw bytes gathered before they are pushed into the deflater. */
const BATCH_BYTES = 64 * 1024;

/** Largest deflate output still to come for `raw` bytes not yet flushed: fflate never emits a block bigger than
 * the same bytes stored (≤ 6 bytes of header each; blocks ≥ 7,000 bytes but the last of each push), plus the
 * partial byte a flush carries over and the final block. */
const worstDeflate = (raw: number) => raw + 6 * (Math.ceil(raw / 4096) + 4) + 16;

/** A zip entry whose deflater we can flush, so the compressed size so far is known exactly. */
class FlushableDeflate extends ZipPassThrough {
  compressed = 0;
  private readonly deflate: Deflate;

  constructor(filename: string, level: number) {
    super(filename);
    this.compression = 8;
    this.deflate = new Deflate({ level: level as 6 }, (data, final) => {
      this.compressed += data.length;
      this.ondata(null, data, final);
    });
  }

  protected override process(chunk: Uint8Array<ArrayBuffer>, final: boolean): void {
    this.deflate.push(chunk, final);
  }

  /** Emits everything pushed so far but the last partial byte (carried into the next block). A sync flush
   * (`flush(true)`) would byte-align, but fflate 0.8.3 then writes invalid stored-block lengths. */
  flush(): void {
    this.deflate.flush(false);
  }
}

class ZipPart {
  lines = 0;
  bytes = 0;
  /** Raw bytes pushed since the last sync flush: their compressed size is only bounded. */
  unflushed = 0;
  pending: string[] = [];
  pendingBytes = 0;
  waiting: Promise<void> | undefined;
  failure: Error | undefined;
  /** Container bytes besides the compressed data: local header, data descriptor, central directory, end record. */
  readonly overhead: number;
  readonly index: number;
  readonly stream: Writable;
  private readonly zip: Zip;
  private readonly entry: FlushableDeflate;

  constructor(index: number, stream: Writable, name: string, level: number) {
    this.index = index;
    this.stream = stream;
    const nameBytes = Buffer.byteLength(name);
    this.overhead = 30 + nameBytes + 16 + 46 + nameBytes + 22;
    stream.on('error', (error) => {
      this.failure ??= error;
    });
    this.zip = new Zip((error, data, final) => {
      if (error) this.failure ??= error;
      else this.emit(data, final);
    });
    this.entry = new FlushableDeflate(name, level);
    this.zip.add(this.entry);
  }

  private emit(data: Uint8Array, final: boolean): void {
    this.bytes += data.length;
    if (!this.stream.write(data) && this.waiting === undefined) {
      // Never rejects (a failure is recorded and thrown by the next write or close), so it cannot go unhandled.
      this.waiting = drained(this.stream).then(
        () => {
          this.waiting = undefined;
        },
        (error: Error) => {
          this.failure ??= error;
          this.waiting = undefined;
        },
      );
    }
    if (final) this.stream.end();
  }

  /** Worst-case size of this zip if `extra` more raw bytes were added and the file then closed. */
  projected(extra: number): number {
    return this.overhead + this.entry.compressed + worstDeflate(this.unflushed + this.pendingBytes + extra);
  }

  add(line: string, bytes: number): void {
    this.pending.push(line);
    this.pendingBytes += bytes;
    this.lines++;
    if (this.pendingBytes >= BATCH_BYTES) this.push();
  }

  push(): void {
    if (this.pending.length === 0) return;
    this.entry.push(Buffer.from(`${this.pending.join('\n')}\n`));
    this.unflushed += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** After this the compressed size is exact to a byte: only a partial byte is left inside the deflater. */
  flush(): void {
    this.push();
    this.entry.flush();
    this.unflushed = 0;
  }

  async close(maxBytes: number): Promise<ZipFileInfo> {
    if (this.failure) throw this.failure;
    this.push();
    const done = finishedWriting(this.stream);
    this.entry.push(new Uint8Array(0), true);
    this.zip.end();
    await done;
    if (this.failure) throw this.failure;
    if (this.bytes > maxBytes) throw new Error(`zip ${this.index} is ${this.bytes} bytes, over the ${maxBytes} limit`);
    return { index: this.index, lines: this.lines, bytes: this.bytes };
  }
}

export function createZipFilesWriter(options: ZipFilesOptions): ZipFilesWriter {
  const { maxBytes, sink } = options;
  const entryName = options.entryName ?? defaultEntryName;
  const level = options.level ?? 6;
  const files: ZipFileInfo[] = [];
  let part: ZipPart | undefined;
  let opening: Promise<void> | undefined;

  const open = async (index: number) => {
    part = new ZipPart(index, await sink(index), entryName(index), level);
  };

  /** Adds the line to the current zip, or closes it and opens the next when even the worst case does not fit. */
  const place = async (line: string, bytes: number): Promise<void> => {
    if (part === undefined) await open(files.length);
    let current = part!;
    if (current.projected(bytes) > maxBytes) current.flush();
    if (current.projected(bytes) > maxBytes) {
      if (current.lines === 0) throw new RangeError(`maxBytes ${maxBytes} cannot hold even one id in a zip`);
      files.push(await current.close(maxBytes));
      await open(files.length);
      current = part!;
      if (current.projected(bytes) > maxBytes) throw new RangeError(`maxBytes ${maxBytes} cannot hold one id`);
    }
    current.add(line, bytes);
    await current.waiting;
    if (current.failure) throw current.failure;
  };

  return {
    write(id) {
      const bytes = Buffer.byteLength(id) + 1;
      const current = part;
      // Fast path: a zip is open, nothing to wait for, and the line fits even in the worst case.
      if (opening === undefined && current !== undefined && current.projected(bytes) <= maxBytes) {
        if (current.failure) throw current.failure;
        current.add(id, bytes);
        return current.waiting;
      }
      opening = place(id, bytes).finally(() => {
        opening = undefined;
      });
      return opening;
    },
    async end() {
      await opening;
      if (part !== undefined) files.push(await part.close(maxBytes));
      part = undefined;
      return files;
    },
    abort(error) {
      part?.stream.destroy(error);
      part = undefined;
    },
  };
}

/** Writes every id into as many zips as needed; returns one entry per zip written. */
export async function writeZipFiles(
  ids: AsyncIterable<string> | Iterable<string>,
  options: ZipFilesOptions,
): Promise<ZipFileInfo[]> {
  const writer = createZipFilesWriter(options);
  try {
    for await (const id of ids) {
      const wait = writer.write(id);
      if (wait) await wait;
    }
    return await writer.end();
  } catch (error) {
    writer.abort(error as Error);
    throw error;
  }
}
