// The payloads the state machine hands to its Task Lambdas, validated so a bad hand-off fails by name.
import { z } from 'zod';
import { BadRequest } from '../errors.ts';
import { fieldErrors, summarizeFieldErrors } from '../validation.ts';
import { pollStateSchema } from './poll.ts';
import { exportRequestSchema } from './request.ts';

const stateRequest = exportRequestSchema.extend({
  exportId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
  requestedAt: z.iso.datetime(),
});

export const requestExportInput = z.object({ request: stateRequest, poll: pollStateSchema });
export const copyExportInput = z.object({
  request: stateRequest,
  job: z.object({ jobId: z.string().min(1), downloadLinks: z.array(z.string()).min(1, 'no download links') }),
});

export type StateRequest = z.output<typeof stateRequest>;

/** Parse a Task payload; a malformed one is a BadRequest naming the fields (never retried by the ASL). */
export function parseTaskInput<T extends z.ZodType>(schema: T, input: unknown, task: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error);
  throw new BadRequest(`${task} received an invalid payload: ${summarizeFieldErrors(errors)}`, { errors });
}
