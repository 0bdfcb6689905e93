// The sha256 of a copy slice: node:crypto when the file is copied in this invocation, wasm-sha256 (sha256-wasm.ts,
// whose state can be saved in the checkpoint, at ~4× the CPU) when it may not be; either way on the sha256 thread
// (hash-thread.ts).
import { type HashKind, type OffThreadSha256, type SessionKind, startOffThreadSha256 } from './hash-thread.ts';

/** Below this assumed download speed a file is hashed resumably from its first byte (see chooseHasher). */
const ASSUMED_MIN_BYTES_PER_SECOND = 1024 * 1024;

/** A sha256 session on the thread (update, save, digest, mark, rewind, decide, end), with what it now is. */
export interface Hasher extends OffThreadSha256 {
  /** Whether save() gives a state (wasm-sha256, or a probe) or undefined (node:crypto). */
  resumable: boolean;
  /** Both hashes run until the copy's measured speed shows whether the file fits this invocation (decide()). */
  probing: boolean;
}

export interface HashChoice {
  /** The file must be copied in this invocation (the server cannot resume it). */
  wholeFile: boolean;
  /** An earlier slice ran out of time on node:crypto: wasm-sha256 now. */
  forced: boolean;
  /** Bytes the server announced (undefined when unknown or gzip-encoded). */
  contentLength?: number;
  sliceBytes?: number;
  /** Seconds until the slice must end; undefined when no deadline. */
  secondsLeft?: number;
}

/**
 * node:crypto (about 6× cheaper) when the file will be copied in this invocation: it must be (wholeFile), or its
 * length fits the slice and the time left at ASSUMED_MIN_BYTES_PER_SECOND. wasm-sha256, whose state survives the
 * invocation, when the slice's byte limit cannot hold it, its length is unknown, or `forced` (an earlier slice ran out
 * of time on node:crypto). In between (only time might not suffice) both run until the copy has measured its speed
 * (see probeVerdict).
 */
export async function chooseHasher(facts: HashChoice): Promise<Hasher> {
  if (facts.wholeFile) return await sessionHasher('native');
  const length = facts.contentLength;
  if (facts.forced || length === undefined || length > (facts.sliceBytes ?? Number.POSITIVE_INFINITY)) {
    return await sessionHasher('resumable');
  }
  const timeBudget =
    facts.secondsLeft === undefined ? Number.POSITIVE_INFINITY : facts.secondsLeft * ASSUMED_MIN_BYTES_PER_SECOND;
  return await sessionHasher(length <= timeBudget ? 'native' : 'probe');
}

export function resumableHasher(state: string | undefined): Promise<Hasher> {
  return sessionHasher('resumable', state);
}

async function sessionHasher(kind: SessionKind, state?: string): Promise<Hasher> {
  const session = await startOffThreadSha256(kind, state);
  const hasher: Hasher = {
    ...session,
    resumable: kind !== 'native',
    probing: kind === 'probe',
    decide: async (keep) => {
      await session.decide(keep);
      hasher.probing = false;
      hasher.resumable = keep === 'resumable';
    },
  };
  return hasher;
}

/** A probe decides after this many bytes of the slice or this many seconds, whichever comes first. */
export const PROBE_BYTES = 64 * 1024 * 1024;
export const PROBE_SECONDS = 10;
/** node:crypto only when the rest is projected to take at most this share of the time left. */
const PROBE_SAFETY = 0.6;

export interface ProbeFacts {
  /** Bytes this slice copied so far and the seconds it took. */
  bytes: number;
  seconds: number;
  /** Bytes of the file still to copy, and seconds until the slice must end. */
  remaining: number;
  secondsLeft: number;
}

/**
 * Undefined while the probe should go on; otherwise the hash to keep: node:crypto when the rest of the file, at the
 * speed measured so far, takes at most PROBE_SAFETY of the time left (a slower tail still ends in a restart with
 * wasm-sha256, never in a wrong digest).
 */
export function probeVerdict(facts: ProbeFacts, probeBytes = PROBE_BYTES): HashKind | undefined {
  if (facts.bytes < probeBytes && facts.seconds < PROBE_SECONDS && facts.remaining > 0) return undefined;
  if (facts.remaining <= 0) return 'native';
  const rate = facts.bytes / Math.max(facts.seconds, 0.001);
  return facts.remaining / rate <= facts.secondsLeft * PROBE_SAFETY ? 'native' : 'resumable';
}
