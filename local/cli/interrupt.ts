// SIGINT/SIGTERM for commands that own running exports: the first signal starts an orderly stop (stop the
// export, wait for its cleanup, close the embedded S3 last); later signals are absorbed instead of killing it.

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

export function onInterrupt(stop: (signal: StopSignal) => Promise<void>): Interrupt {
  let stopping: Promise<number> | undefined;
  let announce: (signal: StopSignal) => void = () => {};
  const received = new Promise<StopSignal>((resolve) => {
    announce = resolve;
  });
  const listener = (signal: StopSignal) => {
    // A second Ctrl-C while cleaning up must not end the process half-way (Node's default would).
    if (stopping) return;
    announce(signal);
    stopping = stop(signal).then(
      () => exitCodeFor(signal),
      (error: unknown) => {
        process.stderr.write(`stopping after ${signal} failed: ${(error as Error).message}\n`);
        return exitCodeFor(signal);
      },
    );
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
