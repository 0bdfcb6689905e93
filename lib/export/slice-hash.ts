// The sha256 of a copy slice: node:crypto when the file is copied in this invocation, hash-wasm (whose state can be
// saved in the checkpoint, at ~6× the CPU) when it may not be.
import { createHash } from 'node:crypto';
import { createResumableSha256 } from './resumable-hash.ts';

/** Below this assumed download speed a file is hashed resumably from its first byte (see chooseHasher). */
const ASSUMED_MIN_BYTES_PER_SECOND = 1024 * 1024;

export interface Hasher {
  /** Whether save() gives a state (hash-wasm) or undefined (node:crypto). */
  resumable: boolean;
  update(bytes: Uint8Array): void;
  save(): string | undefined;
  digest(): string;
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
  if (facts.wholeFile) return nativeHasher();
  const timeBudget =
    facts.secondsLeft === undefined ? Number.POSITIVE_INFINITY : facts.secondsLeft * ASSUMED_MIN_BYTES_PER_SECOND;
  const budget = Math.min(facts.sliceBytes ?? Number.POSITIVE_INFINITY, timeBudget);
  const length = facts.contentLength;
  if (!facts.forced && length !== undefined && length <= budget) return nativeHasher();
  return await resumableHasher(undefined);
}

export function nativeHasher(): Hasher {
  const hash = createHash('sha256');
  return {
    resumable: false,
    update: (bytes) => hash.update(bytes),
    save: () => undefined,
    digest: () => hash.digest('hex'),
  };
}

export async function resumableHasher(state: string | undefined): Promise<Hasher> {
  const hash = await createResumableSha256(state);
  return {
    resumable: true,
    update: (bytes) => hash.update(bytes),
    save: () => hash.save(),
    digest: () => hash.digest(),
  };
}
