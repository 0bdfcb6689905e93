// Validation problems as the FieldErrors every 400/config error carries: truthful, each naming its field, bounded.
import { z } from 'zod';
import type { AppError, AppErrorOptions, FieldError } from './errors.ts';

/** At most this many problems are listed in an error (body, message, log line); the rest are counted. */
export const MAX_FIELD_ERRORS = 20;
/** Echoed input (values, unknown key names) is cut to this many characters. */
export const MAX_ECHO_CHARS = 40;
const MAX_SUMMARY_CHARS = 1_000;

/** Text cut to `max` characters, marked with … when cut. */
export function cut(text: string, max = MAX_ECHO_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A value fit to quote in a message: strings quoted and cut, lists and objects by their kind only. */
export function echo(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(cut(value));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : String(typeof value);
}

const TYPE_NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a JSON object',
};

type Issue = z.core.$ZodRawIssue;

/**
 * Parse-time defaults for messages a schema does not set: a missing value "is required", a present value of
 * the wrong kind "must be a string" (etc.), ranges by their bounds. Never echoes the input.
 */
export function issueMessage(issue: Issue): string | undefined {
  if (issue.code === 'invalid_type') {
    return issue.input === undefined ? 'is required' : `must be ${TYPE_NOUNS[issue.expected] ?? issue.expected}`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const [word, bound] = issue.code === 'too_small' ? ['least', issue.minimum] : ['most', issue.maximum];
    const unit = issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : '';
    return `must be at ${word} ${String(bound)}${unit}`;
  }
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(echo).join(', ')}`;
  return undefined;
}

/** A schema-level error for a whole-number (or other) field: names the kind when a present value has the wrong type. */
export function mustBe(noun: string): { error: (issue: Issue) => string | undefined } {
  return {
    error: (issue) => (issue.code === 'invalid_type' && issue.input !== undefined ? `must be ${noun}` : undefined),
  };
}

/** A share in percent, 0-100 (decimals allowed): a request's maxRemovePercent and SYNC_MAX_REMOVE_PERCENT alike. */
export const percentSchema = () =>
  z.number(mustBe('a number')).min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100');

/** A zod superRefine from a rule that says why a value is refused (or undefined when it is fine). */
export function refusedWhen<T>(problem: (value: T) => string | undefined) {
  return (value: T, ctx: z.RefinementCtx<T>): void => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  };
}

/**
 * Each issue named by its dotted path (user-supplied key names cut); an unknown key is one error per key,
 * named by the key ("is not a known field"); a problem with the whole value is named `root`.
 */
export function fieldErrors(error: z.ZodError, root = 'body'): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map((key) => cut(String(key)));
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...path, cut(key)].join('.'), message: 'is not a known field' }));
    }
    return [{ field: path.length > 0 ? path.join('.') : root, message: issue.message }];
  });
}

/** One line for messages: `field<separator>message; …`, at most ~1000 characters, then how many more. */
export function summarizeFieldErrors(errors: readonly FieldError[], separator = ' '): string {
  const parts: string[] = [];
  let length = 0;
  for (const error of errors.slice(0, MAX_FIELD_ERRORS)) {
    const part = error.field ? `${error.field}${separator}${error.message}` : error.message;
    if (parts.length > 0 && length + part.length > MAX_SUMMARY_CHARS) break;
    parts.push(part);
    length += part.length + 2;
  }
  const more = errors.length - parts.length;
  return more > 0 ? `${parts.join('; ')}; and ${more} more` : parts.join('; ');
}

type ErrorClass<E extends AppError> = new (message: string, options?: AppErrorOptions) => E;

/** The error for a list of problems: a one-line message, the first 20 problems and `moreErrors` counting the rest. */
export function invalidInput<E extends AppError>(
  ErrorType: ErrorClass<E>,
  title: string,
  errors: readonly FieldError[],
  separator = ' ',
): E {
  const more = errors.length - MAX_FIELD_ERRORS;
  return new ErrorType(`${title}: ${summarizeFieldErrors(errors, separator)}`, {
    errors: errors.slice(0, MAX_FIELD_ERRORS),
    ...(more > 0 ? { details: { moreErrors: more } } : {}),
  });
}

/** Parse `input` with `schema`; on failure throw `fail(errors)` with truthful, field-named problems. */
export function parseOrFail<T extends z.ZodType>(
  schema: T,
  input: unknown,
  fail: (errors: FieldError[]) => Error,
  root = 'body',
): z.output<T> {
  const result = schema.safeParse(input, { error: issueMessage });
  if (result.success) return result.data;
  throw fail(fieldErrors(result.error, root));
}
