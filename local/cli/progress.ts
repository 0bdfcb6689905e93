// Live progress on stderr: poll status while GrowingIO works, then a bar per file while copying.

import type { CopyProgress } from '../../lib/export/copy-slice.ts';
import type { PolledState } from '../../lib/export/poll.ts';

const MiB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / 1024 / MiB).toFixed(2)} GiB`;
}

export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function createProgressReporter(stream: NodeJS.WriteStream, now: () => number = Date.now) {
  const tty = Boolean(stream.isTTY);
  const started = new Map<number, number>();
  let last: CopyProgress | undefined;
  let lastDraw = 0;

  const render = (progress: CopyProgress) => {
    const seconds = Math.max(0.001, (now() - started.get(progress.fileIndex)!) / 1000);
    const name = progress.key.split('/').pop();
    const fraction = progress.contentLength ? progress.bytes / progress.contentLength : undefined;
    return [
      `file ${progress.fileIndex + 1}/${progress.fileCount} ${name}`,
      ...(fraction === undefined ? [] : [bar(fraction)]),
      formatBytes(progress.bytes),
      `${progress.rows.toLocaleString('en-US')} rows`,
      `${formatBytes(progress.bytes / seconds)}/s`,
    ].join(' ');
  };
  /** Print the last state of the current file as a finished line. */
  const flush = () => {
    if (!last) return;
    stream.write(tty ? `\r\x1b[2K${render(last)}\n` : `${render(last)}\n`);
    last = undefined;
  };

  return {
    poll(result: PolledState & { exportId: string }) {
      flush();
      const job = result.jobId ? `job ${result.jobId}` : 'job';
      const next = result.status === 'doing' ? `, next poll in ${result.nextPollSeconds} s` : '';
      stream.write(`poll ${result.pollCount}: GrowingIO ${job} is ${result.status}${next}\n`);
      started.clear();
    },
    copy(progress: CopyProgress) {
      if (last && last.fileIndex !== progress.fileIndex) flush();
      if (!started.has(progress.fileIndex)) started.set(progress.fileIndex, now());
      last = progress;
      if (tty && now() - lastDraw >= 100) {
        lastDraw = now();
        stream.write(`\r\x1b[2K${render(progress)}`);
      }
    },
    /** Finish the open progress line (before the result or an error message). */
    finish: flush,
  };
}
