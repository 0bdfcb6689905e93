// What GrowingIO's segment exporter takes, as one zod schema: POST /exports, the state machine's tasks and the
// client all check a request with it (or with a schema built on it), so an id one accepts the others accept too.
import { z } from 'zod';
import { BadRequest } from '../errors.ts';
import { invalidInput, mustBe, parseOrFail } from '../validation.ts';

/**
 * Project and segmentation ids: 1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit (so never
 * `-x`, `.` or `..`; they are path segments of the exporter URL).
 */
export const GROWINGIO_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** User-variable keys: a letter or `_` first, then letters, digits and `_`; at most 50 characters. */
export const USER_VARIABLE_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;
/** At most this many user variables per request. */
export const MAX_PARAMETERS = 50;
/** Longest link lifetime GrowingIO accepts: 7 days in minutes. */
export const MAX_EXPIRE_MINUTES = 10_080;

export const growingIoId = z
  .string()
  .regex(GROWINGIO_ID, 'must be 1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit');

export const expireMinutes = z
  .int(mustBe('a whole number of minutes'))
  .min(1, `must be between 1 and ${MAX_EXPIRE_MINUTES} minutes (7 days)`)
  .max(MAX_EXPIRE_MINUTES, `must be between 1 and ${MAX_EXPIRE_MINUTES} minutes (7 days)`);

/** User variables for GrowingIO's secondary filter; each duplicate is named by its position. */
export const userVariables = z
  .array(z.string().regex(USER_VARIABLE_KEY, 'must start with a letter or _ and have at most 50 of A-Z a-z 0-9 _'))
  .max(MAX_PARAMETERS, `must list at most ${MAX_PARAMETERS} variables`)
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    names.forEach((name, index) => {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [index], message: 'is listed more than once' });
      seen.add(name);
    });
  });

/** The exporter's request: `GET …/projects/{projectUid}/segmentations/{segmentationId}/users?expire=&parameters=`. */
export const segmentExportRequestSchema = z.strictObject({
  projectUid: growingIoId,
  segmentationId: growingIoId,
  /** Link lifetime in minutes; upstream default 5. Ignored upstream while issued links are valid. */
  expireMinutes: expireMinutes.optional(),
  /** Sent comma-joined (e.g. open_id,role). */
  parameters: userVariables.optional(),
});

export type SegmentExportRequest = z.output<typeof segmentExportRequestSchema>;

/** The request as GrowingIO will take it; BadRequest names every bad field. */
export function parseSegmentExportRequest(input: unknown): SegmentExportRequest {
  return parseOrFail(segmentExportRequestSchema, input, (errors) =>
    invalidInput(BadRequest, 'Invalid GrowingIO export request', errors),
  );
}
