// The Tencent steps of a sync: ensure the audience, upload one file (streamed from S3), poll processing.
import { nextPollSeconds, type PollPolicy, totalWaitSeconds } from '../export/poll-policy.ts';
import type { Logger } from '../log.ts';
import { type AudienceClient, processOutcome } from '../tencent/audiences.ts';
import { AudienceProcessingFailed, AudienceProcessingTimedOut } from './errors.ts';
import { objectStream, type S3Deps } from './storage.ts';
import type { BuiltFile, SyncRunState, UploadedFile } from './task-input.ts';

export interface TencentStepDeps {
  client: AudienceClient;
  logger: Logger;
}

const AUDIENCE_NAME_BYTES = 32;

/** The name of an audience created for a sync: the request's, else the syncId cut to 32 bytes (it is ASCII). */
function audienceName(sync: SyncRunState): string {
  return sync.tencent.audienceName ?? sync.syncId.slice(0, AUDIENCE_NAME_BYTES);
}

/** The given audience, or the one whose external_audience_id is the syncId (created on first use, found after). */
export async function ensureAudience(deps: TencentStepDeps, sync: SyncRunState) {
  const given = sync.tencent.audienceId;
  if (given !== undefined) return { audienceId: given, created: false };
  const { audienceId } = await deps.client.addAudience({
    accountId: sync.tencent.accountId,
    name: audienceName(sync),
    description: `audience-pipeline sync ${sync.syncId}`.slice(0, 100),
    externalAudienceId: sync.syncId,
  });
  deps.logger.info('audience ready', { syncId: sync.syncId, audienceId });
  return { audienceId, created: true };
}

export async function uploadFile(
  deps: TencentStepDeps & S3Deps,
  sync: SyncRunState,
  audienceId: number,
  file: BuiltFile,
): Promise<UploadedFile> {
  const fileName = file.key.slice(file.key.lastIndexOf('/') + 1);
  const { customAudienceFileId } = await deps.client.uploadAudienceFile({
    accountId: sync.tencent.accountId,
    audienceId,
    userIdType: sync.tencent.userIdType,
    operationType: file.operationType,
    ...(sync.tencent.openAppId ? { openAppId: sync.tencent.openAppId } : {}),
    fileName,
    file: objectStream(deps, sync.storage.bucket, file.key),
    fileSize: file.bytes,
  });
  deps.logger.info('audience file uploaded', {
    runId: sync.runId,
    operationType: file.operationType,
    lines: file.lines,
    bytes: file.bytes,
    customAudienceFileId,
  });
  return { ...file, customAudienceFileId };
}

export interface ProcessingState {
  status: 'done' | 'pending';
  pollCount: number;
  nextPollSeconds: number;
  files: UploadedFile[];
}

const FINAL = new Set(['SUCCESS', 'ERROR']);

/** One poll of every file not yet final; ERROR fails the run, exhausting the poll budget times it out. */
export async function checkProcessing(
  deps: TencentStepDeps,
  sync: SyncRunState,
  uploaded: readonly UploadedFile[],
  previous: { pollCount: number; files: readonly UploadedFile[] },
  policy: PollPolicy,
): Promise<ProcessingState> {
  const pollCount = previous.pollCount + 1;
  const known = new Map(previous.files.map((file) => [file.customAudienceFileId, file]));
  const files: UploadedFile[] = [];
  for (const file of uploaded) {
    const seen = known.get(file.customAudienceFileId);
    if (seen && FINAL.has(seen.processStatus ?? '')) files.push(seen);
    else files.push(await pollFile(deps, sync, file));
  }
  const failed = files.findIndex((file) => file.processStatus === 'ERROR');
  if (failed >= 0) throw processingFailed(sync, files, failed);
  const pending = files.filter((file) => file.processStatus !== 'SUCCESS').length;
  deps.logger.info('audience files processing', { runId: sync.runId, pollCount, pending, files: files.length });
  if (pending === 0) return { status: 'done', pollCount, nextPollSeconds: 0, files };
  if (pollCount >= policy.maxAttempts) {
    throw new AudienceProcessingTimedOut(
      `${pending} of ${files.length} files of sync run ${sync.runId} were still processing after ${pollCount} polls (~${totalWaitSeconds(pollCount - 1, policy)} s); raise POLL_MAX_ATTEMPTS or POLL_MAX_SECONDS`,
    );
  }
  return { status: 'pending', pollCount, nextPollSeconds: nextPollSeconds(pollCount, policy), files };
}

async function pollFile(deps: TencentStepDeps, sync: SyncRunState, file: UploadedFile): Promise<UploadedFile> {
  const found = await deps.client.getAudienceFile(sync.tencent.accountId, file.customAudienceFileId);
  if (!found) return { ...file, processStatus: 'PENDING' };
  const outcome = processOutcome(found);
  return {
    ...file,
    processStatus: String(found.process_status),
    ...(found.process_code !== null ? { processCode: found.process_code } : {}),
    ...(found.valid_line_count !== null ? { validLineCount: found.valid_line_count } : {}),
    ...(found.user_count !== null ? { userCount: found.user_count } : {}),
    ...(outcome === 'error' ? { errorMessage: found.error_message } : {}),
  };
}

/** Names the file by operation and number and quotes Tencent's code and message (about the file, never an id). */
function processingFailed(sync: SyncRunState, files: readonly UploadedFile[], index: number) {
  const file = files[index]!;
  const message = withoutIdentifiers(file.errorMessage ?? '').slice(0, 200);
  return new AudienceProcessingFailed(
    `Tencent could not process ${file.operationType} file ${file.index + 1} (custom_audience_file_id ${file.customAudienceFileId}) of sync run ${sync.runId}: process_code ${file.processCode ?? 'unknown'}${message ? `: ${message}` : ''}; the snapshot was kept, the next run uploads the same delta`,
    { details: { customAudienceFileId: file.customAudienceFileId, processCode: file.processCode } },
  );
}

/**
 * Tencent's error_message is free text whose content is not documented: it might quote a line of the file. Anything
 * shaped like an identifier (long digit runs, hex, UUIDs, openid-like tokens) is masked before it reaches an error.
 */
export function withoutIdentifiers(text: string): string {
  return text
    .replace(/[0-9A-Fa-f]{8}(-?[0-9A-Fa-f]{4}){3}-?[0-9A-Fa-f]{12}/g, '[id]')
    .replace(/[A-Za-z0-9_+/=-]{20,}/g, '[id]')
    .replace(/[0-9A-Fa-f]{14,}/g, '[id]')
    .replace(/\+?\d[\d\s().-]{5,}\d/g, '[id]');
}
