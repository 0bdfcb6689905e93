// The one export-request schema shared by HTTP, EventBridge schedules and direct invokes: GrowingIO's request
// schema plus where the export goes and its idempotency key.
import { z } from 'zod';
import { keyPrefixProblem, S3_BUCKET_NAME } from '../aws-names.ts';
import { BadRequest } from '../errors.ts';
import { expireMinutes, segmentExportRequestSchema, userVariables } from '../growingio/request.ts';
import { invalidInput, parseOrFail, refusedWhen } from '../validation.ts';

/** An S3 key prefix: `/`-separated segments, none empty, `.` or `..`; trailing `/` dropped. */
export const keyPrefix = z
  .string()
  .superRefine(refusedWhen(keyPrefixProblem))
  .transform((value) => value.replace(/\/+$/, ''));

/** What every started run (export or sync) takes: GrowingIO's request with its defaults, and an idempotency key. */
export const startableRequestSchema = segmentExportRequestSchema.extend({
  expireMinutes: expireMinutes.default(60),
  parameters: userVariables.default([]),
  idempotencyKey: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces')
    .optional(),
});

export const exportRequestSchema = startableRequestSchema.extend({
  destination: z
    .strictObject({
      bucket: z.string().regex(S3_BUCKET_NAME, 'must be a valid S3 bucket name').optional(),
      prefix: keyPrefix.optional(),
    })
    .optional(),
});

export type ExportRequest = z.output<typeof exportRequestSchema>;

/** Validate any input as an export request; BadRequest lists the bad fields by their dotted paths. */
export function parseExportRequest(input: unknown): ExportRequest {
  return parseOrFail(exportRequestSchema, input, (errors) =>
    invalidInput(BadRequest, 'Invalid export request', errors),
  );
}

/** The part of a request that defines *what* is exported; two requests with equal fingerprints are the same export. */
export function requestFingerprint(request: ExportRequest): string {
  const { idempotencyKey: _ignored, ...rest } = request;
  return JSON.stringify(rest, Object.keys(rest).sort());
}
