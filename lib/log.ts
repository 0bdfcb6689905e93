// Structured JSON logging with redaction of tokens, signatures and configured secrets.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const REDACTED = '[REDACTED]';

// Keys whose values are always secret, wherever they appear in a logged object.
const SECRET_KEY =
  /^(authorization|access_?token|token|secret|password|sign|signature|x-amz-signature|x-amz-security-token)$/i;
// Secret-bearing fragments inside free text: query parameters, headers and JSON-ish pairs.
const SECRET_TEXT = [
  /((?:^|[?&\s"'])(?:access_token|sign|token|x-amz-signature|x-amz-security-token|x-amz-credential)=)[^&\s"'#]+/gi,
  /(authorization["']?\s*[:=]\s*["']?)(?:bearer\s+)?[^\s"',}]+/gi,
];

/** Replace every secret in a string: known query/header patterns plus the given literal values. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  for (const pattern of SECRET_TEXT) out = out.replace(pattern, `$1${REDACTED}`);
  return out;
}

/** A URL safe to print: secret query values redacted. Invalid URLs are redacted as text. */
export function redactUrl(url: string | URL, secrets: readonly string[] = []): string {
  return redactText(String(url), secrets);
}

/** Deep copy of a value with secret keys and secret text redacted; errors become plain objects. */
export function redact(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactText(value, secrets);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactText(value.message, secrets) };
    for (const [key, field] of Object.entries(value)) {
      if (key !== 'name' && key !== 'message') out[key] = redactField(key, field, secrets, depth);
    }
    if (value.cause !== undefined) out.cause = redact(value.cause, secrets, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  if (value instanceof URL) return redactUrl(value, secrets);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = redactField(key, field, secrets, depth);
    return out;
  }
  return value;
}

function redactField(key: string, field: unknown, secrets: readonly string[], depth: number): unknown {
  if (SECRET_KEY.test(key) && field !== undefined && field !== null && field !== '') return REDACTED;
  return redact(field, secrets, depth + 1);
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Register more secret values (e.g. a token fetched from SSM) to redact from now on. */
  addSecret(secret: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  secrets?: string[];
  base?: Record<string, unknown>;
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ? [...options.secrets] : [];
  return buildLogger(
    {
      threshold: LEVELS[options.level ?? 'info'],
      write: options.write ?? ((line) => process.stdout.write(`${line}\n`)),
      now: options.now ?? (() => new Date()),
      secrets,
    },
    options.base ?? {},
  );
}

interface LoggerState {
  threshold: number;
  write: (line: string) => void;
  now: () => Date;
  secrets: string[];
}

function buildLogger(state: LoggerState, base: Record<string, unknown>): Logger {
  const emit = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] < state.threshold) return;
    const entry = redact({ ...base, ...fields }, state.secrets) as Record<string, unknown>;
    const line = { level, time: state.now().toISOString(), message: redactText(message, state.secrets), ...entry };
    state.write(JSON.stringify(line));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => buildLogger(state, { ...base, ...fields }),
    addSecret: (secret) => {
      if (secret && !state.secrets.includes(secret)) state.secrets.push(secret);
    },
  };
}

/** A logger that drops everything; the default for library code called without one. */
export const silentLogger: Logger = createLogger({ write: () => {} });
