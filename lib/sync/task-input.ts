// The payloads the sync state machine hands its Task Lambdas, validated so a bad hand-off fails by name.
import { z } from 'zod';
import { EXECUTION_NAME, EXECUTION_NAME_RULE } from '../aws-names.ts';
import { completeSyncRequest, syncRequestFields } from './request.ts';

const operationType = z.enum(['APPEND', 'REDUCE']);

export const syncRunSchema = syncRequestFields
  .omit({ idempotencyKey: true })
  .extend({
    runId: z.string().regex(EXECUTION_NAME, EXECUTION_NAME_RULE),
    exportId: z.string().regex(EXECUTION_NAME, EXECUTION_NAME_RULE),
    requestedAt: z.iso.datetime(),
    storage: z.object({ bucket: z.string().min(1), prefix: z.string() }),
  })
  .transform(completeSyncRequest);

/** One zip the build step wrote. */
export const builtFileSchema = z.object({
  operationType,
  index: z.int().min(0),
  key: z.string().min(1),
  lines: z.int().min(0),
  bytes: z.int().min(0),
});

/** A file after upload (and, later, processing). */
export const uploadedFileSchema = builtFileSchema.extend({
  customAudienceFileId: z.int().positive(),
  processStatus: z.string().optional(),
  processCode: z.number().optional(),
  /** Tencent's message for an ERROR file (about the file, never an identifier). */
  errorMessage: z.string().optional(),
  validLineCount: z.number().optional(),
  userCount: z.number().optional(),
});

const manifestSchema = z.object({
  exportId: z.string(),
  files: z.array(z.object({ key: z.string().min(1), rows: z.number().optional() })),
});

export const buildInput = z.object({
  sync: syncRunSchema,
  manifest: manifestSchema,
  /** The run's own execution ($$.Execution.Id), recorded in the sync's lock; absent in executions started before it. */
  executionArn: z.string().startsWith('arn:', 'must be an execution ARN').optional(),
});
export const ensureAudienceInput = z.object({ sync: syncRunSchema });
export const uploadInput = z.object({ sync: syncRunSchema, audienceId: z.int().positive(), file: builtFileSchema });
export const checkInput = z.object({
  sync: syncRunSchema,
  uploaded: z.array(uploadedFileSchema),
  processing: z.object({ pollCount: z.int().min(0), files: z.array(uploadedFileSchema) }),
});

const buildResultSchema = z.object({
  rows: z.int(),
  validIds: z.int(),
  invalidIds: z.int(),
  emptyIds: z.int(),
  duplicateIds: z.int(),
  added: z.int(),
  removed: z.int(),
  unchanged: z.int(),
  files: z.array(builtFileSchema),
  snapshot: z.object({ key: z.string(), stagedKey: z.string(), ids: z.int(), bytes: z.int() }),
});

export const finishInput = z.object({
  sync: syncRunSchema,
  build: buildResultSchema,
  audience: z.object({ audienceId: z.int().positive().nullable() }),
  processing: z.object({ files: z.array(uploadedFileSchema) }),
});

export const cleanUpInput = z.object({
  sync: syncRunSchema,
  failure: z.object({ step: z.string(), error: z.string().optional(), cause: z.string().optional() }),
});

export type SyncRunState = z.output<typeof syncRunSchema>;
export type BuiltFile = z.output<typeof builtFileSchema>;
export type UploadedFile = z.output<typeof uploadedFileSchema>;
export type BuildResult = z.output<typeof buildResultSchema>;
