// sha256 whose state survives between invocations: sha256-wasm.ts's hasher saved as a compact base64 string
// (`hashState`), in hash-wasm 4's format so that checkpoints of either code resume in the other.
import { BadRequest } from '../errors.ts';
import { Sha256 } from './sha256-wasm.ts';

/** A saved SHA-256 state (116 bytes, hash-wasm's format) is 156 base64 characters; anything far off is not one. */
const MAX_STATE_CHARS = 512;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface ResumableSha256 {
  update(chunk: Uint8Array): void;
  /** The state after every byte given so far, as base64 (`hashState`); the hasher keeps going. */
  save(): string;
  /** Lower-case hex digest of every byte given, including those hashed before the state was saved. */
  digest(): string;
  /** Remembers the state after every byte given so far (in memory), for rewind(). */
  mark(): void;
  /** Forgets every byte given since the last mark() (or since the start). */
  rewind(): void;
}

/**
 * A fresh SHA-256 hasher, or one that continues from `hashState` (from `save()`, possibly by another process).
 * A malformed or foreign state is a BadRequest naming `hashState`.
 */
export async function createResumableSha256(hashState?: string): Promise<ResumableSha256> {
  const hasher = new Sha256();
  if (hashState !== undefined) loadState(hasher, hashState);
  let done = false;
  let marked = hasher.save();
  const open = (what: string) => {
    if (done) throw new Error(`ResumableSha256.${what} after digest`);
  };
  return {
    update: (chunk) => {
      open('update');
      hasher.update(chunk);
    },
    save: () => {
      open('save');
      return Buffer.from(hasher.save()).toString('base64');
    },
    digest: () => {
      open('digest');
      done = true;
      return hasher.digest();
    },
    mark: () => {
      open('mark');
      marked = hasher.save();
    },
    rewind: () => {
      open('rewind');
      hasher.load(marked);
    },
  };
}

/** The BadRequest for a hashState that is not one, naming the field and why (also rebuilt across the sha256 thread). */
export function invalidHashState(why: string, cause?: unknown): BadRequest {
  return new BadRequest(`Invalid hashState: ${why}`, { errors: [{ field: 'hashState', message: why }], cause });
}

function loadState(hasher: Sha256, hashState: string): void {
  if (typeof hashState !== 'string' || hashState.length > MAX_STATE_CHARS || !BASE64.test(hashState)) {
    throw invalidHashState('not a saved SHA-256 state (base64)');
  }
  try {
    hasher.load(Buffer.from(hashState, 'base64'));
  } catch (error) {
    throw invalidHashState('not a saved SHA-256 state', error);
  }
}
