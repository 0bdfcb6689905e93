// The payloads the state machine hands to its Task Lambdas, validated so a bad hand-off fails by name.
import { z } from 'zod';
import { EXECUTION_NAME, EXECUTION_NAME_RULE } from '../aws-names.ts';
import { BadRequest } from '../errors.ts';
import { invalidInput, parseOrFail } from '../validation.ts';
import { pollStateSchema } from './poll.ts';
import { exportRequestSchema } from './request.ts';

/** The export request as the execution input carries it: the one request schema plus the export's id and time. */
const stateRequest = exportRequestSchema.extend({
  exportId: z.string().regex(EXECUTION_NAME, EXECUTION_NAME_RULE),
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
  return parseOrFail(
    schema,
    input,
    (errors) => invalidInput(BadRequest, `${task} received an invalid payload`, errors),
    'input',
  );
}
