// SIGINT/SIGTERM: commands that own running exports stop them in order (stop the export, wait for its cleanup, close
// the embedded S3 last; later signals absorbed); a command that only waits answers at once with one clean line.

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** 128 + signal number, as shells report a process ended by that signal. */
export const exitCodeFor = (signal: StopSignal) => (signal === 'SIGINT' ? 130 : 143);

export interface Interrupt {
  /** Resolves with the signal when the first one arrives. */
  received: Promise<StopSignal>;
  /** The orderly stop, once a signal arrived: resolves with the exit code. */
  stopped(): Promise<number> | undefined;
  dispose(): void;
}

/**
 * After the stop, the process still waits until no signal came for this long: a second Ctrl-C pressed right after the
 * first must meet a handler, not the few milliseconds of the process's own exit, where Node's default would kill it.
 */
const QUIET_MS = 300;

export function onInterrupt(stop: (signal: StopSignal) => Promise<void>): Interrupt {
  let stopping: Promise<number> | undefined;
  let lastSignalAt = 0;
  let announce: (signal: StopSignal) => void = () => {};
  const received = new Promise<StopSignal>((resolve) => {
    announce = resolve;
  });
  const quiet = async () => {
    for (let wait = QUIET_MS; wait > 0; wait = lastSignalAt + QUIET_MS - Date.now()) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  const listener = (signal: StopSignal) => {
    lastSignalAt = Date.now();
    // A second Ctrl-C while cleaning up must not end the process half-way (Node's default would).
    if (stopping) return;
    announce(signal);
    stopping = stop(signal)
      .catch((error: unknown) => {
        process.stderr.write(`stopping after ${signal} failed: ${(error as Error).message}\n`);
      })
      .then(quiet)
      .then(() => exitCodeFor(signal));
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return {
    received,
    stopped: () => stopping,
    // Once interrupted, signals stay absorbed until the process exits (listeners do not keep it alive).
    dispose: () => {
      if (stopping) return;
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    },
  };
}

/** What a command's local runtime must do on a stop: its exports stopped and cleaned up, then it closes. */
interface StoppableRuntime {
  stopExports(cause: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * onInterrupt for a command whose local runtime runs exports (`export`, `run-jobs`): on SIGINT/SIGTERM they are stopped
 * and their cleanup awaited, the runtime closes (the embedded S3 last), then `report` prints the command's one line
 * with how many exports were stopped. `finish()`, from the command's `finally`, waits for such a stop or else closes
 * the runtime itself.
 */
export function onRuntimeInterrupt(
  runtime: StoppableRuntime,
  report: (signal: StopSignal, stopped: number) => void,
): Interrupt & { finish(): Promise<void> } {
  const interrupt = onInterrupt(async (signal) => {
    const stopped = await runtime.stopExports(`interrupted by ${signal}`);
    await runtime.close();
    report(signal, stopped);
  });
  return {
    ...interrupt,
    finish: async () => {
      const stopping = interrupt.stopped();
      if (stopping) await stopping;
      else await runtime.close();
      interrupt.dispose();
    },
  };
}

export type Interruptible<T> = { value: T } | { signal: NodeJS.Signals };

/** Resolves with the work's value, or with the signal as soon as SIGINT/SIGTERM arrives (the work's later failure is ignored). */
export async function unlessInterrupted<T>(work: Promise<T>): Promise<Interruptible<T>> {
  let stop!: (signal: NodeJS.Signals) => void;
  const interrupted = new Promise<{ signal: NodeJS.Signals }>((resolve) => {
    stop = (signal) => resolve({ signal });
  });
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await Promise.race([work.then((value) => ({ value })), interrupted]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    work.catch(() => {});
  }
}

/** The one line an interrupted `sync` prints (the local runtime records its execution as FAILED on close). */
export function interruptedLine(runId: string | undefined, signal: NodeJS.Signals): string {
  if (!runId) return `sync run interrupted by ${signal} before it started`;
  return `sync run ${runId} interrupted by ${signal}: stopped, and recorded as FAILED (LocalRuntimeInterrupted)`;
}
