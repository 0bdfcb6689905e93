// Ctrl-C during a command: answer at once with one clean line, and silence whatever the torn-down work throws next.

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

/** The one line an interrupted export prints. */
export function interruptedLine(exportId: string | undefined, signal: NodeJS.Signals): string {
  if (!exportId) return `export interrupted by ${signal} before it started`;
  return `export ${exportId} interrupted by ${signal}: stopped, and recorded as FAILED (LocalRuntimeInterrupted)`;
}
