// zod issues as the FieldErrors every 400/config error carries: one dotted field path and one message each.
import type { z } from 'zod';
import type { FieldError } from './errors.ts';

/** Each issue named by its dotted path; an unknown key is named itself ("extra unknown field"). */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...issue.path, ...(keys.length === 1 ? keys : [])].join('.');
    const message = keys.length > 0 ? `unknown field${keys.length > 1 ? `s ${keys.join(', ')}` : ''}` : issue.message;
    return { field: path || undefined, message };
  });
}

/** One line for messages: `field<separator>message; …`. */
export function summarizeFieldErrors(errors: readonly FieldError[], separator = ' '): string {
  return errors.map((error) => (error.field ? `${error.field}${separator}${error.message}` : error.message)).join('; ');
}
