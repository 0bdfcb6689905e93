// A copy's sha256 on a worker thread, so hashing overlaps the download, the record count and the uploads instead of
// adding to them on the one thread that moves the bytes. One thread per process, shared by every copy in it (on
// Lambda that is one copy); each copy is a session on it.
//
// The thread runs hash-worker.ts from its generated bundle (hash-worker-source.ts), the same from source and from a
// Lambda bundle.
import { Worker } from 'node:worker_threads';
import type { HashKind, HashReply, HashRequest, SessionKind } from './hash-worker.ts';
import { HASH_WORKER_SOURCE } from './hash-worker-source.ts';
import { invalidHashState } from './resumable-hash.ts';

export type { HashKind, SessionKind } from './hash-worker.ts';

interface Waiter {
  resolve(value: string | undefined): void;
  reject(error: Error): void;
}

let thread: { worker: Worker; waiters: Map<string, Waiter> } | undefined;
let sessions = 0;
let open = 0;
let exiting = false;

/** The thread keeps the process alive only while a session is open (idle, it must not hold a CLI or a test). */
function hold(worker: Worker, delta: 1 | -1): void {
  if (thread?.worker !== worker) return;
  open += delta;
  if (open === 1 && delta === 1) worker.ref();
  if (open === 0) worker.unref();
}

function hashThread(): NonNullable<typeof thread> {
  if (thread) return thread;
  if (exiting) throw new Error('sha256 thread: the process is exiting');
  const worker = new Worker(HASH_WORKER_SOURCE, { eval: true });
  const current = { worker, waiters: new Map<string, Waiter>() };
  const fail = (error: Error) => {
    if (thread === current) thread = undefined;
    for (const waiter of current.waiters.values()) waiter.reject(error);
    current.waiters.clear();
  };
  worker.on('message', (reply: HashReply) => {
    const key = `${reply.session}:${reply.seq}`;
    const waiter = current.waiters.get(key);
    current.waiters.delete(key);
    if (!waiter) return;
    if (!reply.error) waiter.resolve(reply.value);
    else if (reply.error.badState) waiter.reject(invalidHashState(reply.error.badState));
    else waiter.reject(new Error(`sha256 thread: ${reply.error.message}`));
  });
  worker.on('error', (error) => fail(new Error(`sha256 thread failed: ${error.message}`)));
  worker.on('exit', (code) => fail(new Error(`sha256 thread exited (${code})`)));
  worker.unref();
  open = 0;
  thread = current;
  return current;
}

/**
 * Stops the thread when no copy is using it; `final` (a CLI about to exit) stops it anyway and starts no other.
 * A thread still alive when the process exits is torn down during the exit itself, a window in which a second Ctrl-C
 * kills the process with the signal's default action.
 */
export async function closeHashThread(options: { final?: boolean } = {}): Promise<void> {
  if (options.final) exiting = true;
  const current = thread;
  if (!current || (open > 0 && !options.final)) return;
  thread = undefined;
  await current.worker.terminate();
}

export interface OffThreadSha256 {
  /**
   * Hands `bytes` to the thread; resolves once they are hashed. They must not change until then (a view over a
   * SharedArrayBuffer is read in place; any other buffer is copied on the way).
   */
  update(bytes: Uint8Array): Promise<void>;
  /** The hashState after every byte given (resumable), or undefined (native). */
  save(): Promise<string | undefined>;
  digest(): Promise<string>;
  /** Remembers the state after every byte given so far (a part boundary). */
  mark(): Promise<void>;
  /** Forgets the bytes given since the last mark (a part that will not be stored); node:crypto then has no digest. */
  rewind(): Promise<void>;
  /** A probe session keeps only `kind` from now on. */
  decide(kind: HashKind): Promise<void>;
  /** Ends the session on the thread (idempotent; no other call after it). */
  end(): void;
}

/** A sha256 session on the thread; rejects with a BadRequest naming hashState when `state` is not one. */
export async function startOffThreadSha256(kind: SessionKind, state?: string): Promise<OffThreadSha256> {
  const { worker, waiters } = hashThread();
  const session = ++sessions;
  let seq = 0;
  let ended = false;
  const call = (request: HashRequest) =>
    new Promise<string | undefined>((resolve, reject) => {
      waiters.set(`${session}:${request.op === 'start' ? 0 : request.seq}`, { resolve, reject });
      worker.postMessage(request);
    });
  const ask = (op: 'save' | 'digest' | 'mark' | 'rewind') => call({ op, session, seq: ++seq });
  hold(worker, 1);
  try {
    await call({ op: 'start', session, kind, ...(state === undefined ? {} : { state }) });
  } catch (error) {
    hold(worker, -1);
    throw error;
  }
  return {
    update: async (bytes) => {
      await call({ op: 'update', session, seq: ++seq, bytes });
    },
    save: () => ask('save'),
    digest: async () => (await ask('digest'))!,
    mark: async () => void (await ask('mark')),
    rewind: async () => void (await ask('rewind')),
    decide: async (keep) => void (await call({ op: 'decide', session, seq: ++seq, kind: keep })),
    end: () => {
      if (ended) return;
      ended = true;
      call({ op: 'end', session, seq: ++seq }).catch(() => {});
      hold(worker, -1);
    },
  };
}
