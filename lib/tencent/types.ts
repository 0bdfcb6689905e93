// The typed shape of a Tencent custom audience file, its field catalogue, and the page envelope.

/** Every field of a list item, in the order the API documents them. */
export const FILE_FIELDS = [
  'audience_id',
  'custom_audience_file_id',
  'name',
  'user_id_type',
  'operation_type',
  'open_app_id',
  'process_status',
  'process_code',
  'error_message',
  'line_count',
  'valid_line_count',
  'user_count',
  'size',
  'created_time',
  'salt_id',
] as const;

export type FileField = (typeof FILE_FIELDS)[number];

/** How a field is compared: decides which filter operators make sense for it. */
export type FieldType = 'integer' | 'string' | 'enum' | 'time';

export const FIELD_TYPES: Readonly<Record<FileField, FieldType>> = {
  audience_id: 'integer',
  custom_audience_file_id: 'integer',
  name: 'string',
  user_id_type: 'enum',
  operation_type: 'enum',
  open_app_id: 'string',
  process_status: 'enum',
  process_code: 'integer',
  error_message: 'string',
  line_count: 'integer',
  valid_line_count: 'integer',
  user_count: 'integer',
  size: 'integer',
  created_time: 'time',
  salt_id: 'string',
};

/** The documented status names (v3.0 `FileProcessStatus`; v1.3 accounts that answer names). */
export const PROCESS_STATUSES = ['PENDING', 'PROCESSING', 'SUCCESS', 'ERROR'] as const;
export type ProcessStatus = (typeof PROCESS_STATUSES)[number];

/**
 * v1.3 types process_status as an integer (both SDKs since 2023-07) with NO published number→name mapping, so
 * a number is passed through unchanged: never guessed into a name. Names stay names (upper-cased).
 */
export type RawProcessStatus = string | number;

/** One file after lenient parsing: numbers are numbers, a missing or "" number is null. */
export interface AudienceFile {
  audience_id: number | null;
  custom_audience_file_id: number | null;
  name: string;
  user_id_type: string;
  operation_type: string;
  open_app_id: string;
  process_status: RawProcessStatus;
  process_code: number | null;
  error_message: string;
  line_count: number | null;
  valid_line_count: number | null;
  user_count: number | null;
  size: number | null;
  /** 'yyyy-MM-dd HH:mm:ss' in GMT+8, as Tencent sends it ("" when absent). */
  created_time: string;
  /** Undocumented type (the SDKs list the field only): kept as text, numbers as their decimal text; "" when absent. */
  salt_id: string;
}

export interface PageInfo {
  page: number;
  page_size: number;
  total_number: number;
  total_page: number;
}

export interface FilesPage {
  list: AudienceFile[];
  page_info: PageInfo;
  /** X-TSA-Trace-Id of the answer, for support requests. */
  traceId?: string;
  /** X-RateLimit-Remaining of the answer (its exact scope, day or minute, is not documented). */
  rateLimitRemaining?: number;
}

export const MAX_PAGE = 2_147_483_647;
export const MAX_PAGE_SIZE = 100;

export function isFileField(value: unknown): value is FileField {
  return typeof value === 'string' && (FILE_FIELDS as readonly string[]).includes(value);
}
