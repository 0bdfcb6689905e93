// A copy's sha256 on a worker thread, so hashing overlaps the download, the record count and the uploads instead of
// adding to them on the one thread that moves the bytes. One thread per process, shared by every copy in it (on
// Lambda that is one copy); each copy is a session on it.
//
// The thread runs this very module: from source it is this file, from a bundle (Lambda, the bench) it is the bundle,
// whose top-level code therefore must not do work when it is not on the main thread.
import { createHash } from 'node:crypto';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { BadRequest } from '../errors.ts';
import { createResumableSha256, invalidHashState } from './resumable-hash.ts';

/** workerData.role that makes a module load (this file, or a bundle holding it) serve as the sha256 thread. */
export const HASH_THREAD_ROLE = 'audience-pipeline:sha256';

/** node:crypto (fast, its state cannot leave the process) or sha256-wasm.ts (its state is the checkpoint's hashState). */
export type HashKind = 'native' | 'resumable';
/** `probe` feeds both until decide() keeps one: while it is unknown whether the file fits this invocation. */
export type SessionKind = HashKind | 'probe';

type Request =
  | { op: 'start'; session: number; kind: SessionKind; state?: string }
  | { op: 'decide'; session: number; seq: number; kind: HashKind }
  | { op: 'update'; session: number; seq: number; bytes: Uint8Array }
  | { op: 'save' | 'digest' | 'mark' | 'rewind' | 'end'; session: number; seq: number };

/** `badState`: why a hashState was refused (the thread's BadRequest, rebuilt on the copy's side). */
type Reply = { session: number; seq: number; value?: string; error?: { message: string; badState?: string } };

interface ThreadHash {
  update(bytes: Uint8Array): void;
  save(): string | undefined;
  digest(): string;
  mark(): void;
  rewind(): void;
  /** The one to keep (probe sessions only). */
  decide?(kind: HashKind): ThreadHash;
}

// ---- the thread's side ----

async function startHash(kind: SessionKind, state: string | undefined): Promise<ThreadHash> {
  if (kind === 'probe') return probeHash(await startHash('native', undefined), await startHash('resumable', undefined));
  if (kind === 'resumable') return await createResumableSha256(state);
  // node:crypto cannot go back: after a rewind its digest would be wrong, so it refuses to give one.
  const hash = createHash('sha256');
  let rewound = false;
  return {
    update: (bytes) => hash.update(bytes),
    save: () => undefined,
    digest: () => {
      if (rewound) throw new Error('node:crypto sha256 was rewound; its digest is unknown');
      return hash.digest('hex');
    },
    mark: () => {},
    rewind: () => {
      rewound = true;
    },
  };
}

/** Both hashes on every byte; saves are the resumable one's, the digest node:crypto's (they agree). */
function probeHash(native: ThreadHash, resumable: ThreadHash): ThreadHash {
  return {
    update: (bytes) => {
      native.update(bytes);
      resumable.update(bytes);
    },
    save: () => resumable.save(),
    digest: () => native.digest(),
    mark: () => {
      native.mark();
      resumable.mark();
    },
    rewind: () => {
      native.rewind();
      resumable.rewind();
    },
    decide: (kind) => (kind === 'native' ? native : resumable),
  };
}

function serve(port: NonNullable<typeof parentPort>): void {
  const hashes = new Map<number, Promise<ThreadHash>>();
  const answer = (request: Request, run: (hash: ThreadHash) => string | undefined) => {
    const seq = request.op === 'start' ? 0 : request.seq;
    const hash = hashes.get(request.session);
    const reply = (body: Partial<Reply>) => port.postMessage({ session: request.session, seq, ...body });
    if (!hash) return reply({ error: { message: 'no such sha256 session' } });
    hash.then(
      (ready) => {
        try {
          reply({ value: run(ready) });
        } catch (error) {
          reply({ error: { message: (error as Error).message } });
        }
      },
      (error: unknown) => {
        const badState = error instanceof BadRequest ? error.errors[0]?.message : undefined;
        reply({ error: { message: (error as Error).message, ...(badState ? { badState } : {}) } });
      },
    );
  };
  port.on('message', (request: Request) => {
    if (request.op === 'start') {
      const started = startHash(request.kind, request.state);
      started.catch(() => {});
      hashes.set(request.session, started);
      answer(request, () => undefined);
    } else if (request.op === 'update') answer(request, (hash) => void hash.update(request.bytes));
    else if (request.op === 'save') answer(request, (hash) => hash.save());
    else if (request.op === 'digest') answer(request, (hash) => hash.digest());
    else if (request.op === 'mark') answer(request, (hash) => void hash.mark());
    else if (request.op === 'rewind') answer(request, (hash) => void hash.rewind());
    else if (request.op === 'decide') {
      answer(request, (hash) => {
        if (!hash.decide) throw new Error('only a probe session decides');
        hashes.set(request.session, Promise.resolve(hash.decide(request.kind)));
        return undefined;
      });
    } else {
      answer(request, () => undefined);
      hashes.delete(request.session);
    }
  });
}

if (!isMainThread && (workerData as { role?: unknown } | null)?.role === HASH_THREAD_ROLE && parentPort)
  serve(parentPort);

// ---- the copy's side ----

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
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: HASH_THREAD_ROLE } });
  const current = { worker, waiters: new Map<string, Waiter>() };
  const fail = (error: Error) => {
    if (thread === current) thread = undefined;
    for (const waiter of current.waiters.values()) waiter.reject(error);
    current.waiters.clear();
  };
  worker.on('message', (reply: Reply) => {
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
  const call = (request: Request) =>
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
