#!/usr/bin/env node
// The audience-pipeline CLI: export, audience-files, serve and emulate, on one machine or against real services.
import { environment, parseConfig } from '../../lib/config.ts';
import { AppError, ConfigError } from '../../lib/errors.ts';
import { closeHashThread } from '../../lib/export/hash-thread.ts';
import { redactText } from '../../lib/log.ts';
import { parseCommandLine, UsageError } from './args.ts';
import { DATA_DIR, runAudienceFiles, runEmulate, runExport, runServe, SFN_DIR } from './commands.ts';
import { runHistory } from './history.ts';
import { runJobs } from './jobs.ts';
import { runSync } from './sync.ts';

export const USAGE = `Usage:
  audience-pipeline export --project-uid P --segmentation-id S [--expire-minutes N] [--parameters a,b]
                           [--bucket B] [--prefix X] [--json]
  audience-pipeline export --demo [--json]        a whole export on the built-in emulator (npm start)
  audience-pipeline audience-files --account-id N [--filtering '<json>'] [--page N] [--page-size N]
                           [--fields a,b | --fields '["a","b"]'] [--snapshot-id ID] [--json]
  audience-pipeline sync --project-uid P --segmentation-id S --account-id N --user-id-type T --id-column C
                         [--audience-id N | --audience-name NAME] [--sync-id ID] [--parameters a,b]
                         [--open-app-id X] [--full] [--dry-run] [--max-remove-percent P] [--allow-empty-export]
                         [--json]
  audience-pipeline sync --demo [--dry-run] [--max-remove-percent P] [--json]  a whole sync on the emulators;
                         each demo run changes the segment
  audience-pipeline serve [--port 3000]
  audience-pipeline emulate [--growingio-port N] [--tencent-port N]
  audience-pipeline run-jobs --jobs FILE [--scheduled-time T] [--json]  a jobs list through the fan-out
  audience-pipeline history [--project-uid P] [--segmentation-id S] [--status S] [--scheduled-time T]
                            [--limit N] [--next C] [--json]      export runs, newest first (GET /exports)
  audience-pipeline history --syncs [--sync-id ID] [--status S] [--scheduled-time T] [--limit N] [--next C] [--json]
                                                                 sync runs, newest first (GET /syncs)

Real services are used when their settings are present: GROWINGIO_BASE_URL + GROWINGIO_TOKEN,
S3_ENDPOINT / EXPORT_BUCKET, TENCENT_BASE_URL + TENCENT_ACCESS_TOKEN. Otherwise emulators and an
embedded S3 (data under .local/) start on 127.0.0.1.
Exit codes: 0 success, 1 export, sync or request failed, 2 bad usage, a bad request or a bad environment
variable (one line naming it).`;

async function main(argv: string[]): Promise<number> {
  const { command, flags } = parseCommandLine(argv);
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const env = environment();
  parseConfig(env); // a bad variable stops here, before any emulator or server starts
  switch (command) {
    case 'export':
      return await runExport(flags, env);
    case 'audience-files':
      return await runAudienceFiles(flags, env);
    case 'serve':
      return await runServe(flags, env);
    case 'sync':
      return await runSync(flags, env);
    case 'run-jobs':
      return await runJobs(flags, env, { dataDir: DATA_DIR, sfnDir: SFN_DIR });
    case 'history':
      return await runHistory(flags, env, { dataDir: DATA_DIR, sfnDir: SFN_DIR });
    default:
      return await runEmulate(flags);
  }
}

main(process.argv.slice(2))
  .finally(() => closeHashThread({ final: true }))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`audience-pipeline: ${error.message}\n\n${USAGE}\n`);
        process.exitCode = 2;
        return;
      }
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      process.stderr.write(`audience-pipeline: ${redactText(message).replaceAll('\n', ' ')}\n`);
      const caller = error instanceof ConfigError || (error instanceof AppError && error.statusCode === 400);
      process.exitCode = caller ? 2 : 1;
    },
  );
