// Input checks for the audience write calls: every problem names its field; nothing is sent when one fails.
import { BadRequest, type FieldError, TencentFileTooLarge } from '../errors.ts';
import type { AudienceFileUpload, NewAudience } from './audiences.ts';

const bytes = (text: string) => new TextEncoder().encode(text).byteLength;

function fail(errors: FieldError[]): void {
  if (errors.length === 0) return;
  throw new BadRequest(`Invalid request: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
}

export function checkAudience(input: NewAudience): void {
  const errors: FieldError[] = [];
  if (!Number.isSafeInteger(input.accountId) || input.accountId <= 0)
    errors.push({ field: 'accountId', message: 'must be a positive integer' });
  if (!input.name || bytes(input.name) > 32) errors.push({ field: 'name', message: 'must be 1 to 32 bytes (UTF-8)' });
  if (input.description !== undefined && bytes(input.description) > 100)
    errors.push({ field: 'description', message: 'must be at most 100 bytes (UTF-8)' });
  if (input.externalAudienceId !== undefined && (input.externalAudienceId.length > 128 || !input.externalAudienceId))
    errors.push({ field: 'externalAudienceId', message: 'must be 1 to 128 characters' });
  fail(errors);
}

export function checkUpload(input: AudienceFileUpload, maxFileBytes: number): void {
  const errors: FieldError[] = [];
  for (const field of ['accountId', 'audienceId'] as const) {
    if (!Number.isSafeInteger(input[field]) || input[field] <= 0)
      errors.push({ field, message: 'must be a positive integer' });
  }
  if (!/^[A-Z0-9_]+$/.test(input.userIdType))
    errors.push({ field: 'userIdType', message: 'must be a Tencent user_id_type' });
  if (input.operationType !== 'APPEND' && input.operationType !== 'REDUCE')
    errors.push({ field: 'operationType', message: 'must be APPEND or REDUCE' });
  if (!input.fileName || /[\r\n"]/.test(input.fileName))
    errors.push({ field: 'fileName', message: 'must be a plain file name' });
  fail(errors);
  if (input.fileSize !== undefined && input.fileSize > maxFileBytes) {
    throw new TencentFileTooLarge(`file of ${input.fileSize} bytes exceeds the ${maxFileBytes}-byte limit; split it`);
  }
}
