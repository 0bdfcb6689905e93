// The one export-request schema shared by HTTP, EventBridge schedules and direct invokes.
import { z } from 'zod';
import { BadRequest } from '../errors.ts';
import { fieldErrors, summarizeFieldErrors } from '../validation.ts';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const PARAMETER = /^[A-Za-z0-9_]{1,64}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^(?!\/)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9!_.*'()/-]{0,256}$/;

export const exportRequestSchema = z.strictObject({
  projectUid: z.string('is required').regex(ID, 'must be 1-64 characters of A-Z a-z 0-9 _ -'),
  segmentationId: z.string('is required').regex(ID, 'must be 1-64 characters of A-Z a-z 0-9 _ -'),
  expireMinutes: z
    .number('must be a whole number of minutes')
    .int('must be a whole number of minutes')
    .min(1, 'must be at least 1')
    .max(10_080, 'must be at most 10080 (7 days)')
    .default(60),
  parameters: z
    .array(z.string().regex(PARAMETER, 'must match [A-Za-z0-9_]+'), 'must be an array of variable names')
    .max(50, 'at most 50 parameters')
    .refine((items) => new Set(items).size === items.length, 'must not contain duplicates')
    .default([]),
  idempotencyKey: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces')
    .optional(),
  destination: z
    .strictObject({
      bucket: z.string().regex(BUCKET, 'must be a valid S3 bucket name').optional(),
      prefix: z
        .string()
        .regex(PREFIX, 'must be a relative S3 key prefix without "..", "//" or a leading "/"')
        .transform((value) => value.replace(/\/+$/, ''))
        .optional(),
    })
    .optional(),
});

export type ExportRequest = z.output<typeof exportRequestSchema>;

/** Validate any input as an export request; BadRequest lists every bad field by its dotted path. */
export function parseExportRequest(input: unknown): ExportRequest {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BadRequest('The export request must be a JSON object', {
      errors: [{ message: 'expected an object with projectUid and segmentationId' }],
    });
  }
  const result = exportRequestSchema.safeParse(input);
  if (result.success) return result.data;
  const errors = fieldErrors(result.error);
  throw new BadRequest(`Invalid export request: ${summarizeFieldErrors(errors)}`, { errors });
}

/** The part of a request that defines *what* is exported; two requests with equal fingerprints are the same export. */
export function requestFingerprint(request: ExportRequest): string {
  const { idempotencyKey: _ignored, ...rest } = request;
  return JSON.stringify(rest, Object.keys(rest).sort());
}
