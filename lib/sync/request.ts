// The one audience-sync request schema (POST /syncs, schedules, direct invokes, the CLI): GrowingIO's export request
// plus the Tencent audience it feeds. syncId names the sync's lasting state (its snapshot); runs come and go.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { USER_ID_TYPES } from '../audience/identifiers.ts';
import { BadRequest } from '../errors.ts';
import { startableRequestSchema } from '../export/request.ts';
import { USER_VARIABLE_KEY } from '../growingio/request.ts';
import { invalidInput, mustBe, parseOrFail, percentSchema } from '../validation.ts';

export const SYNC_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const SYNC_ID_RULE = 'must be 1-64 characters of A-Z a-z 0-9 _ -';
/** GrowingIO exports always carry this column; it is no user variable, so it is never sent as a parameter. */
export const ALWAYS_EXPORTED_COLUMN = 'user_id';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const positiveId = z.int(mustBe('a whole number')).min(1, 'must be a positive whole number');

const tencentTarget = z
  .strictObject({
    accountId: positiveId,
    audienceId: positiveId.optional(),
    /** Name of the audience created when no audienceId is given (≤ 32 bytes; default the syncId, cut). */
    audienceName: z
      .string()
      .min(1)
      .refine((name) => bytes(name) <= 32, 'must be at most 32 bytes (UTF-8)')
      .optional(),
    userIdType: z.enum(USER_ID_TYPES),
    idColumn: z.string().regex(USER_VARIABLE_KEY, 'must be a column name: a letter or _, then A-Z a-z 0-9 _'),
    openAppId: z.string().min(1).max(128).optional(),
  })
  .superRefine((target, ctx) => {
    if (target.audienceId !== undefined && target.audienceName !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['audienceName'], message: 'give audienceId or audienceName, not both' });
    }
    if (target.userIdType === 'WECHAT_OPENID' && target.openAppId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['openAppId'], message: 'is required for WECHAT_OPENID' });
    }
  });

/** The request's fields before defaults are derived (task payloads extend it). */
export const syncRequestFields = startableRequestSchema.extend({
  syncId: z.string().regex(SYNC_ID, SYNC_ID_RULE).optional(),
  mode: z.enum(['delta', 'full']).default('delta'),
  dryRun: z.boolean().default(false),
  // Optional without defaults: a request without them keeps its idempotency fingerprint.
  /** Largest share (0-100) of the last snapshot's ids this run may remove; default SYNC_MAX_REMOVE_PERCENT. */
  maxRemovePercent: percentSchema().optional(),
  /** Whether an export without a single valid id may empty the audience (default false). */
  allowEmptyExport: z.boolean().optional(),
  tencent: tencentTarget,
});

/** The derived defaults: syncId, and the id column among the exported parameters. */
export function completeSyncRequest<T extends z.output<typeof syncRequestFields>>(request: T) {
  return {
    ...request,
    syncId: request.syncId ?? defaultSyncId(request),
    parameters: withIdColumn(request.parameters, request.tencent.idColumn),
  };
}

export const syncRequestSchema = syncRequestFields.transform(completeSyncRequest);

export type SyncRequest = z.output<typeof syncRequestSchema>;
export type TencentTarget = SyncRequest['tencent'];

/** `{projectUid}-{segmentationId}-{accountId}-{userIdType}`; when longer than 64, cut and suffixed with a digest. */
export function defaultSyncId(request: {
  projectUid: string;
  segmentationId: string;
  tencent: { accountId: number; userIdType: string };
}): string {
  const full = `${request.projectUid}-${request.segmentationId}-${request.tencent.accountId}-${request.tencent.userIdType}`;
  if (full.length <= 64) return full;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, 16);
  return `${full.slice(0, 47)}-${digest}`;
}

/** The export must carry the id column: added to the user variables unless GrowingIO always exports it. */
export function withIdColumn(parameters: readonly string[], idColumn: string): string[] {
  if (idColumn === ALWAYS_EXPORTED_COLUMN || parameters.includes(idColumn)) return [...parameters];
  return [...parameters, idColumn];
}

/** Validate any input as a sync request; BadRequest lists the bad fields by their dotted paths. */
export function parseSyncRequest(input: unknown): SyncRequest {
  return parseOrFail(syncRequestSchema, input, (errors) => invalidInput(BadRequest, 'Invalid sync request', errors));
}

/** What defines a sync run; two requests with equal fingerprints under one idempotency key are the same run. */
export function syncFingerprint(request: SyncRequest): string {
  const { idempotencyKey: _ignored, ...rest } = request;
  return JSON.stringify(rest, (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );
}
