// The only reader of process.env: parses and validates every setting once, at cold start.
import { z } from 'zod';
import { keyPrefixProblem, S3_BUCKET_NAME } from './aws-names.ts';
import { ConfigError } from './errors.ts';
import { invalidInput, mustBe, parseOrFail, percentSchema, refusedWhen } from './validation.ts';

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
const optionalUrl = optionalString.pipe(z.url({ protocol: /^https?$/ }).optional());
const positiveInt = (fallback: number, max: number) =>
  optionalString
    .transform((value) => (value === undefined ? fallback : Number(value)))
    .pipe(
      z.int(mustBe('a whole number')).min(1, `must be between 1 and ${max}`).max(max, `must be between 1 and ${max}`),
    );
const list = (fallback: string) =>
  optionalString.transform((value) =>
    (value ?? fallback)
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

const schema = z
  .object({
    GROWINGIO_BASE_URL: optionalUrl.transform((value) => value ?? 'https://www.growingio.com'),
    GROWINGIO_TOKEN: optionalString,
    GROWINGIO_TOKEN_PARAMETER: optionalString,
    GROWINGIO_DOWNLOAD_HOSTS: list('*.growingio.com'),
    EXPORT_BUCKET: optionalString.pipe(z.string().regex(S3_BUCKET_NAME, 'must be a valid S3 bucket name').optional()),
    EXPORT_PREFIX: optionalString
      .transform((value) => (value ?? 'exports').replace(/^\/+|\/+$/g, ''))
      .superRefine(refusedWhen(keyPrefixProblem)),
    STATE_MACHINE_ARN: optionalString.pipe(z.string().startsWith('arn:', 'must be a state machine ARN').optional()),
    /** The fan-out's export children (lib/fan-out/kinds.ts); its sync children are SYNC_STATE_MACHINE_ARN's. */
    EXPORT_STATE_MACHINE_ARN: optionalString.pipe(
      z.string().startsWith('arn:', 'must be a state machine ARN').optional(),
    ),
    S3_ENDPOINT: optionalUrl,
    SFN_ENDPOINT: optionalUrl,
    /** The HTTP API's own base URL for Location/statusUrl (`serve` sets its address); never taken from a request. */
    API_BASE_URL: optionalUrl,
    POLL_INITIAL_SECONDS: positiveInt(5, 3600),
    POLL_MAX_SECONDS: positiveInt(60, 86_400),
    POLL_MAX_ATTEMPTS: positiveInt(120, 10_000),
    HTTP_TIMEOUT_MS: positiveInt(15_000, 900_000),
    /** `s3`: GrowingIO's 2 requests/s shared by every container through slot objects in GROWINGIO_BUDGET_BUCKET. */
    GROWINGIO_SHARED_BUDGET: optionalString.pipe(z.enum(['off', 's3'], { error: 'must be off or s3' }).default('off')),
    GROWINGIO_BUDGET_BUCKET: optionalString.pipe(
      z.string().regex(S3_BUCKET_NAME, 'must be a valid S3 bucket name').optional(),
    ),
    /** One GrowingIO request per slot of this many ms, for the whole stack (550: 2/s with 10% to spare). */
    GROWINGIO_BUDGET_SLOT_MS: positiveInt(550, 60_000),
    TENCENT_BASE_URL: optionalUrl.transform((value) => value ?? 'https://api.e.qq.com'),
    TENCENT_ACCESS_TOKEN: optionalString,
    TENCENT_ACCESS_TOKEN_PARAMETER: optionalString,
    /** Files of one export copied at once (the Map's MaxConcurrency, via the execution input). */
    COPY_CONCURRENCY: positiveInt(4, 40),
    /** Test knob: a copy invocation ends its slice after about this many bytes (≥ 5 MiB, the S3 part minimum). */
    COPY_SLICE_BYTES: optionalString
      .transform((value) => (value === undefined ? undefined : Number(value)))
      .pipe(
        z
          .int(mustBe('a whole number of bytes'))
          .min(5 * 1024 * 1024, 'must be at least 5242880 (5 MiB, the S3 part minimum)')
          .optional(),
      ),
    TENCENT_MAX_SCAN_PAGES: positiveInt(200, 10_000),
    // Token refresh (README "Tencent token refresh"): each a plain value or the name of an SSM SecureString.
    TENCENT_CLIENT_ID: optionalString,
    TENCENT_CLIENT_ID_PARAMETER: optionalString,
    TENCENT_CLIENT_SECRET: optionalString,
    TENCENT_CLIENT_SECRET_PARAMETER: optionalString,
    TENCENT_REFRESH_TOKEN: optionalString,
    TENCENT_REFRESH_TOKEN_PARAMETER: optionalString,
    TENCENT_API_VERSION: optionalString.pipe(z.enum(['v1.3', 'v3.0'], mustBe('v1.3 or v3.0')).default('v1.3')),
    /** Seconds to wait after an 11018 (per-day limit); unset ⇒ until the next midnight GMT+8 (an assumption). */
    TENCENT_DAILY_RETRY_AFTER_SECONDS: optionalString
      .transform((value) => (value === undefined ? undefined : Number(value)))
      .pipe(
        z
          .int(mustBe('a whole number'))
          .min(1, 'must be between 1 and 604800')
          .max(604_800, 'must be between 1 and 604800')
          .optional(),
      ),
    TENCENT_SNAPSHOT_SECONDS: positiveInt(300, 86_400),
    TENCENT_SNAPSHOT_PREFIX: optionalString
      .transform((value) => `${(value ?? 'audience-file-snapshots').replace(/^\/+|\/+$/g, '')}/`)
      .superRefine(refusedWhen(keyPrefixProblem)),
    TENCENT_SCAN_CONCURRENCY: positiveInt(4, 32),
    /** Largest zip a sync uploads (Tencent refuses zips over 100 MB); bigger deltas are split. */
    TENCENT_MAX_FILE_BYTES: positiveInt(100_000_000, 100_000_000),
    /** The audience-sync state machine (startSync, getSync). */
    SYNC_STATE_MACHINE_ARN: optionalString.pipe(
      z.string().startsWith('arn:', 'must be a state machine ARN').optional(),
    ),
    /** Where syncs keep snapshots and upload files, in the export bucket: {SYNC_PREFIX}/{syncId}/… */
    SYNC_PREFIX: optionalString
      .transform((value) => (value ?? 'syncs').replace(/^\/+|\/+$/g, ''))
      .superRefine(refusedWhen(keyPrefixProblem)),
    /** Ids sorted in memory before a sorted run is spilled to /tmp (bounds a sync's memory). */
    SYNC_IDS_IN_MEMORY: positiveInt(1_000_000, 50_000_000),
    /** Largest share (%) of the last snapshot one sync run may remove, unless its request says otherwise. */
    SYNC_MAX_REMOVE_PERCENT: optionalString
      .transform((value) => (value === undefined ? 100 : Number(value)))
      .pipe(percentSchema()),
    /** Set by Lambda itself; locally defaults to us-east-1 for the SDK clients. */
    AWS_REGION: optionalString.transform((value) => value ?? 'us-east-1'),
    /** CloudWatch EMF metrics (functions/middleware/metrics.ts): off unless a namespace is set (the stack sets it). */
    METRICS_NAMESPACE: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9._/#:-]{1,255}$/, 'must be 1-255 characters of A-Z a-z 0-9 . _ / # : -')
        .optional(),
    ),
    METRICS_SERVICE: optionalString.transform((value) => value ?? 'audience-pipeline'),
    LOG_LEVEL: optionalString.pipe(z.enum(['debug', 'info', 'warn', 'error']).default('info')),
  })
  .superRefine((env, ctx) => {
    if (env.GROWINGIO_SHARED_BUDGET === 's3' && !env.GROWINGIO_BUDGET_BUCKET) {
      ctx.addIssue({
        code: 'custom',
        path: ['GROWINGIO_BUDGET_BUCKET'],
        message: 'is required when GROWINGIO_SHARED_BUDGET is s3',
      });
    }
    if (env.POLL_MAX_SECONDS < env.POLL_INITIAL_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['POLL_MAX_SECONDS'],
        message: `must be at least POLL_INITIAL_SECONDS (${env.POLL_INITIAL_SECONDS})`,
      });
    }
  });

export type Config = Readonly<z.output<typeof schema>>;
export type Env = Record<string, string | undefined>;

/** Parse an environment; throws one ConfigError naming every bad or missing variable. */
export function parseConfig(env: Env): Config {
  const config = parseOrFail(
    schema,
    env,
    (errors) => invalidInput(ConfigError, 'Invalid configuration', errors, ': '),
    'environment',
  );
  return Object.freeze(config);
}

let cached: Config | undefined;

/** The process configuration, parsed from process.env on first use. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Settings a handler cannot run without; named together in one error when missing. */
export function requireSettings<K extends keyof Config>(
  config: Config,
  keys: readonly K[],
): { [P in K]-?: NonNullable<Config[P]> } {
  const missing = keys.filter((key) => config[key] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(`Missing configuration: ${missing.join(', ')}`, {
      errors: missing.map((key) => ({ field: String(key), message: 'is required' })),
    });
  }
  return config as unknown as { [P in K]-?: NonNullable<Config[P]> };
}

/** The secret values present in the configuration, for the logger to redact. */
export function configSecrets(config: Config): string[] {
  return [
    config.GROWINGIO_TOKEN,
    config.TENCENT_ACCESS_TOKEN,
    config.TENCENT_CLIENT_SECRET,
    config.TENCENT_REFRESH_TOKEN,
  ].filter((value): value is string => !!value);
}

/** Whether the environment sets a variable (non-blank): "given" as opposed to left to its default. */
export function isSet(env: Env, name: keyof Config): boolean {
  return Boolean(env[name]?.trim());
}

/** Which sides the environment points at real services (DESIGN.md's local runtime rules); emulators otherwise. */
export function realServices(env: Env) {
  return {
    growingio: isSet(env, 'GROWINGIO_BASE_URL'),
    s3: isSet(env, 'S3_ENDPOINT') || isSet(env, 'EXPORT_BUCKET'),
    tencent: isSet(env, 'TENCENT_BASE_URL'),
  };
}

/** A copy of the process environment, for the local runtime to layer emulator endpoints over it. */
export function environment(): Env {
  return { ...process.env };
}
