// The payloads the state machine hands to its Task Lambdas, validated so a bad hand-off fails by name.
import { z } from 'zod';
import { EXECUTION_NAME, EXECUTION_NAME_RULE } from '../aws-names.ts';
import { BadRequest } from '../errors.ts';
import { invalidInput, parseOrFail } from '../validation.ts';
import { copyCheckpointSchema } from './copy-slice.ts';
import { pollStateSchema } from './poll.ts';
import { exportRequestSchema } from './request.ts';

/** The export request as the execution input carries it: the one request schema plus the export's id and time. */
const stateRequest = exportRequestSchema.extend({
  exportId: z.string().regex(EXECUTION_NAME, EXECUTION_NAME_RULE),
  requestedAt: z.iso.datetime(),
});

export const requestExportInput = z.object({ request: stateRequest, poll: pollStateSchema });
const executionArn = z.string().startsWith('arn:', 'must be an execution ARN').max(2048);
const exportFile = z.object({
  key: z.string().min(1),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex sha256'),
  rows: z.number().int().min(0),
});

/** One iteration of the per-file Map: which link, where it stands ({done:false} before the first slice). */
export const copyFileInput = z.object({
  request: stateRequest,
  link: z.string().min(1),
  index: z.number().int().min(0).max(9_999),
  fileCount: z.number().int().min(1).max(10_000),
  executionArn,
  copy: z.object({ done: z.literal(false), checkpoint: copyCheckpointSchema.optional() }),
});

export const publishExportInput = z.object({
  request: stateRequest,
  jobId: z.string().min(1),
  files: z.array(exportFile).min(1),
  executionArn,
});

/** From the Clean Up state ({request, error}) or from the EventBridge rule on stopped/timed-out executions. */
export const cleanUpInput = z.object({
  request: stateRequest,
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).partial().optional(),
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
