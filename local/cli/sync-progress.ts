// A sync's progress on stderr: the export's polls and copies, then rows read, ids valid/invalid, added/removed,
// each upload and each processing poll. Counts and states only, never an identifier.
import type { DeltaProgress } from '../../lib/audience/delta.ts';
import type { ProcessingState } from '../../lib/sync/tencent.ts';
import type { SyncHooks } from '../sync-tasks.ts';
import { createProgressReporter, formatBytes } from './progress.ts';

const n = (value: number) => value.toLocaleString('en-US');

interface FileEvent {
  file?: { operationType: string; index: number; lines: number; bytes: number };
}

export function createSyncProgress(stream: NodeJS.WriteStream) {
  const exportProgress = createProgressReporter(stream);
  const write = (line: string) => stream.write(`${line}\n`);
  const build = (progress: DeltaProgress & { runId: string }) => {
    exportProgress.finish();
    const ids = `${n(progress.validIds)} valid, ${n(progress.invalidIds)} invalid, ${n(progress.emptyIds)} empty`;
    if (progress.phase === 'reading' && progress.rows > 0) write(`reading ids: ${n(progress.rows)} rows (${ids})`);
    if (progress.phase === 'diffing') write(`read ${n(progress.rows)} rows (${ids}); diffing against the snapshot`);
  };
  const task: SyncHooks['onTask'] = (name, phase, input, output) => {
    if (name === 'buildAudienceFiles' && phase === 'end') {
      const built = output as { added: number; removed: number; unchanged: number; files: unknown[] };
      write(
        `added ${n(built.added)}, removed ${n(built.removed)}, unchanged ${n(built.unchanged)}: ${built.files.length} files`,
      );
    }
    if (name === 'ensureAudience' && phase === 'end')
      write(`audience ${(output as { audienceId: number }).audienceId}`);
    if (name === 'uploadAudienceFile') {
      const { file } = input as FileEvent;
      const what = `${file?.operationType} file ${(file?.index ?? 0) + 1} (${n(file?.lines ?? 0)} ids, ${formatBytes(file?.bytes ?? 0)})`;
      if (phase === 'start') write(`uploading ${what}`);
      else
        write(
          `uploaded ${what} as custom_audience_file_id ${(output as { customAudienceFileId: number }).customAudienceFileId}`,
        );
    }
  };
  const processing = (state: ProcessingState) => {
    const statuses = state.files.map((file) => `${file.operationType} ${file.processStatus}`).join(', ');
    write(
      `processing poll ${state.pollCount}: ${statuses}${state.status === 'pending' ? `; next in ${state.nextPollSeconds} s` : ''}`,
    );
  };
  return {
    poll: exportProgress.poll,
    copy: exportProgress.copy,
    hooks: { onBuildProgress: build, onTask: task, onProcessing: processing } satisfies SyncHooks,
    finish: exportProgress.finish,
  };
}
