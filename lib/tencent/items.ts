// Lenient parsing of Tencent list items and page info: numeric strings, "" in numbers, status names or numbers.
import type { AudienceFile, FileField, PageInfo, RawProcessStatus } from './types.ts';

/** A number from a number or a numeric string; null for "", null, undefined or anything unreadable. */
export function lenientNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '' || !/^[-+]?\d+(\.\d+)?$/.test(trimmed)) return null;
    return Number(trimmed);
  }
  return null;
}

/** A string from a string or number; "" for anything else. */
export function lenientString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return '';
}

/**
 * process_status as sent: a number (or a numeric string) stays that number, since v1.3 publishes no mapping;
 * a name is upper-cased. Nothing is relabelled.
 */
export function parseProcessStatus(value: unknown): RawProcessStatus {
  if (typeof value === 'number') return value;
  const text = lenientString(value).trim();
  if (/^-?\d+$/.test(text)) return Number(text);
  return text.toUpperCase();
}

/** One list item in the typed shape; unknown extra keys are dropped. */
export function parseAudienceFile(raw: unknown): AudienceFile {
  const item = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    audience_id: lenientNumber(item.audience_id),
    custom_audience_file_id: lenientNumber(item.custom_audience_file_id),
    name: lenientString(item.name),
    user_id_type: lenientString(item.user_id_type),
    operation_type: lenientString(item.operation_type),
    open_app_id: lenientString(item.open_app_id),
    process_status: parseProcessStatus(item.process_status),
    process_code: lenientNumber(item.process_code),
    error_message: lenientString(item.error_message),
    line_count: lenientNumber(item.line_count),
    valid_line_count: lenientNumber(item.valid_line_count),
    user_count: lenientNumber(item.user_count),
    size: lenientNumber(item.size),
    // The seed's schema table says create_time while its example says created_time: accept both.
    created_time: lenientString(item.created_time ?? item.create_time),
    salt_id: lenientString(item.salt_id),
  };
}

/** page_info with every number defaulted sensibly when missing. */
export function parsePageInfo(raw: unknown, fallback: { page: number; page_size: number }): PageInfo {
  const info = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const page = lenientNumber(info.page) ?? fallback.page;
  const pageSize = lenientNumber(info.page_size) ?? fallback.page_size;
  const totalNumber = lenientNumber(info.total_number) ?? 0;
  const totalPage = lenientNumber(info.total_page) ?? Math.ceil(totalNumber / Math.max(1, pageSize));
  return { page, page_size: pageSize, total_number: totalNumber, total_page: totalPage };
}

/** Only the selected fields, in the order asked for; all of them when no selection. */
export function projectFile(file: AudienceFile, fields?: readonly FileField[]): Partial<AudienceFile> {
  if (!fields || fields.length === 0) return file;
  const out: Partial<Record<FileField, unknown>> = {};
  for (const field of fields) out[field] = file[field];
  return out as Partial<AudienceFile>;
}
