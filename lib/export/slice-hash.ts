// The sha256 of a copy slice: node:crypto when the file is copied in this invocation, hash-wasm (whose state can be
// saved in the checkpoint, at ~6× the CPU) when it may not be; either way on the sha256 thread (hash-thread.ts).
import { startOffThreadSha256 } from './hash-thread.ts';

/** Below this assumed download speed a file is hashed resumably from its first byte (see chooseHasher). */
const ASSUMED_MIN_BYTES_PER_SECOND = 1024 * 1024;

export interface Hasher {
  /** Whether save() gives a state (hash-wasm) or undefined (node:crypto). */
  resumable: boolean;
  /** Resolves once `bytes` are hashed (on the sha256 thread); they must not change until then. */
  update(bytes: Uint8Array): Promise<void>;
  save(): Promise<string | undefined>;
  digest(): Promise<string>;
  /** Remembers the state at a part boundary. */
  mark(): Promise<void>;
  /** Forgets the bytes since the last mark (a part that will not be stored). */
  rewind(): Promise<void>;
  /** Frees the hasher's session; call once the slice is over, however it ended. */
  end(): void;
}

export interface HashChoice {
  /** The file must be copied in this invocation (the server cannot resume it). */
  wholeFile: boolean;
  /** An earlier slice ran out of time on node:crypto: hash-wasm now. */
  forced: boolean;
  /** Bytes the server announced (undefined when unknown or gzip-encoded). */
  contentLength?: number;
  sliceBytes?: number;
  /** Seconds until the slice must end; undefined when no deadline. */
  secondsLeft?: number;
}

/**
 * node:crypto (about 6× cheaper) when the file will be copied in this invocation: it must be (wholeFile), or its
 * length fits the slice and the time left at ASSUMED_MIN_BYTES_PER_SECOND. Otherwise hash-wasm, whose state
 * survives the invocation. `forced`: an earlier slice ran out of time on node:crypto, so it is hash-wasm now.
 */
export async function chooseHasher(facts: HashChoice): Promise<Hasher> {
  if (facts.wholeFile) return await nativeHasher();
  const timeBudget =
    facts.secondsLeft === undefined ? Number.POSITIVE_INFINITY : facts.secondsLeft * ASSUMED_MIN_BYTES_PER_SECOND;
  const budget = Math.min(facts.sliceBytes ?? Number.POSITIVE_INFINITY, timeBudget);
  const length = facts.contentLength;
  if (!facts.forced && length !== undefined && length <= budget) return await nativeHasher();
  return await resumableHasher(undefined);
}

export async function nativeHasher(): Promise<Hasher> {
  return { resumable: false, ...(await startOffThreadSha256('native')) };
}

export async function resumableHasher(state: string | undefined): Promise<Hasher> {
  return { resumable: true, ...(await startOffThreadSha256('resumable', state)) };
}
