// Streaming merge-diff of two sorted, unique id sequences: the current ids against the last snapshot.
import { UnsortedIds } from './errors.ts';

/** A sink may return a promise to apply backpressure; returning nothing keeps the loop synchronous. */
export type IdSink = (id: string) => unknown;

export interface DiffSinks {
  /** In `now`, not in `before`. */
  added?: IdSink;
  /** In `before`, not in `now`. */
  removed?: IdSink;
  /** In both. */
  unchanged?: IdSink;
}

export interface DiffCounts {
  added: number;
  removed: number;
  unchanged: number;
}

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as Promise<unknown> | undefined)?.then === 'function';

/** Pulls one side, checking that it is strictly increasing (names the side and position, never the value). */
function sortedReader(source: AsyncIterable<string>, side: string) {
  const iterator = source[Symbol.asyncIterator]();
  let previous: string | undefined;
  let position = 0;
  return {
    iterator,
    async next(): Promise<string | undefined> {
      const step = await iterator.next();
      if (step.done) return undefined;
      position++;
      const value = step.value;
      if (previous !== undefined && value <= previous) {
        throw new UnsortedIds(`${side} ids are not sorted and unique at position ${position}`);
      }
      previous = value;
      return value;
    },
  };
}

/** Merges both sides once, feeding every id to exactly one sink; both inputs must be sorted and unique. */
export async function diffSorted(
  now: AsyncIterable<string>,
  before: AsyncIterable<string>,
  sinks: DiffSinks,
): Promise<DiffCounts> {
  const counts: DiffCounts = { added: 0, removed: 0, unchanged: 0 };
  const current = sortedReader(now, 'current');
  const previous = sortedReader(before, 'snapshot');
  try {
    let a = await current.next();
    let b = await previous.next();
    while (a !== undefined || b !== undefined) {
      let result: unknown;
      if (b === undefined || (a !== undefined && a < b)) {
        counts.added++;
        result = sinks.added?.(a!);
        a = await current.next();
      } else if (a === undefined || b < a) {
        counts.removed++;
        result = sinks.removed?.(b);
        b = await previous.next();
      } else {
        counts.unchanged++;
        result = sinks.unchanged?.(a);
        a = await current.next();
        b = await previous.next();
      }
      if (isPromise(result)) await result;
    }
  } finally {
    await Promise.all([current.iterator.return?.(), previous.iterator.return?.()]);
  }
  return counts;
}
