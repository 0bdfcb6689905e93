#!/usr/bin/env node
// The audience-pipeline CLI: export, audience-files, serve and emulate, on one machine or against real services.
import { parseArgs } from 'node:util';
import { environment } from '../../lib/config.ts';
import { AppError } from '../../lib/errors.ts';
import { redactText } from '../../lib/log.ts';
import { runAudienceFiles, runEmulate, runExport, runServe, UsageError } from './commands.ts';

export const USAGE = `Usage:
  audience-pipeline export --project-uid P --segmentation-id S [--expire-minutes N] [--parameters a,b]
                           [--bucket B] [--prefix X] [--json]
  audience-pipeline export --demo [--json]        a whole export on the built-in emulator (npm start)
  audience-pipeline audience-files --account-id N [--filtering '<json>'] [--page N] [--page-size N] [--json]
  audience-pipeline serve [--port 3000]
  audience-pipeline emulate [--growingio-port N] [--tencent-port N]

Real services are used when their settings are present: GROWINGIO_BASE_URL + GROWINGIO_TOKEN,
S3_ENDPOINT / EXPORT_BUCKET, TENCENT_BASE_URL + TENCENT_ACCESS_TOKEN. Otherwise emulators and an
embedded S3 (data under .local/) start on 127.0.0.1.
Exit codes: 0 success, 1 export or request failed, 2 bad usage.`;

const OPTIONS = {
  'project-uid': { type: 'string' },
  'segmentation-id': { type: 'string' },
  'expire-minutes': { type: 'string' },
  parameters: { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  demo: { type: 'boolean' },
  json: { type: 'boolean' },
  'account-id': { type: 'string' },
  filtering: { type: 'string' },
  page: { type: 'string' },
  'page-size': { type: 'string' },
  port: { type: 'string' },
  'growingio-port': { type: 'string' },
  'tencent-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ALLOWED: Record<string, string[]> = {
  export: ['project-uid', 'segmentation-id', 'expire-minutes', 'parameters', 'bucket', 'prefix', 'demo', 'json'],
  'audience-files': ['account-id', 'filtering', 'page', 'page-size', 'json'],
  serve: ['port'],
  emulate: ['growingio-port', 'tencent-port'],
};

export type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

export function parseCommandLine(argv: string[]): { command: string; flags: Flags } {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help) return { command: 'help', flags: {} };
  if (!command || !(command in ALLOWED))
    throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  const wrong = Object.keys(parsed.values).filter((flag) => !ALLOWED[command]!.includes(flag));
  if (wrong.length > 0) throw new UsageError(`--${wrong[0]} is not an option of '${command}'`);
  return { command, flags: parsed.values as Flags };
}

async function main(argv: string[]): Promise<number> {
  const { command, flags } = parseCommandLine(argv);
  const env = environment();
  switch (command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'export':
      return await runExport(flags, env);
    case 'audience-files':
      return await runAudienceFiles(flags, env);
    case 'serve':
      return await runServe(flags, env);
    default:
      return await runEmulate(flags);
  }
}

main(process.argv.slice(2)).then(
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
    process.stderr.write(`audience-pipeline: ${redactText(message)}\n`);
    process.exitCode = error instanceof AppError && error.statusCode === 400 ? 2 : 1;
  },
);
