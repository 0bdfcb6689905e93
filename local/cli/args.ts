// The CLI's command line: the one Flags type, parsing with per-command option lists, and typed flag readers.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

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
  fields: { type: 'string' },
  'snapshot-id': { type: 'string' },
  port: { type: 'string' },
  'growingio-port': { type: 'string' },
  'tencent-port': { type: 'string' },
  'user-id-type': { type: 'string' },
  'id-column': { type: 'string' },
  'audience-id': { type: 'string' },
  'audience-name': { type: 'string' },
  'sync-id': { type: 'string' },
  'open-app-id': { type: 'string' },
  full: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'max-remove-percent': { type: 'string' },
  'allow-empty-export': { type: 'boolean' },
  status: { type: 'string' },
  limit: { type: 'string' },
  next: { type: 'string' },
  'scheduled-time': { type: 'string' },
  jobs: { type: 'string' },
  syncs: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ALLOWED: Record<string, string[]> = {
  export: ['project-uid', 'segmentation-id', 'expire-minutes', 'parameters', 'bucket', 'prefix', 'demo', 'json'],
  'audience-files': ['account-id', 'filtering', 'page', 'page-size', 'fields', 'snapshot-id', 'json'],
  serve: ['port'],
  emulate: ['growingio-port', 'tencent-port'],
  sync: [
    'project-uid',
    'segmentation-id',
    'account-id',
    'user-id-type',
    'id-column',
    'audience-id',
    'audience-name',
    'sync-id',
    'parameters',
    'open-app-id',
    'full',
    'dry-run',
    'max-remove-percent',
    'allow-empty-export',
    'demo',
    'json',
  ],
  'run-jobs': ['jobs', 'scheduled-time', 'json'],
  history: ['project-uid', 'segmentation-id', 'syncs', 'sync-id', 'status', 'scheduled-time', 'limit', 'next', 'json'],
};

type Options = typeof OPTIONS;
export type Flags = { [K in keyof Options]?: Options[K]['type'] extends 'boolean' ? boolean : string };
type StringFlag = { [K in keyof Flags]-?: Options[K]['type'] extends 'string' ? K : never }[keyof Flags];

export function parseCommandLine(argv: string[]): { command: string; flags: Flags } {
  let parsed: ReturnType<typeof parseArgs<{ options: Options; allowPositionals: true }>>;
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

export function integerFlag(flags: Flags, name: StringFlag): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got '${value}'`);
  return Number(value);
}

export function portFlag(flags: Flags, name: StringFlag, fallback: number): number {
  const port = integerFlag(flags, name) ?? fallback;
  if (port < 0 || port > 65_535) throw new UsageError(`--${name} must be a port number (0-65535)`);
  return port;
}
