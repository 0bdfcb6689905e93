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
};

export const PROCESS_STATUSES = ['PENDING', 'PROCESSING', 'SUCCESS', 'ERROR'] as const;
export type ProcessStatus = (typeof PROCESS_STATUSES)[number];

/**
 * Some accounts answer process_status as a number. The observed convention is 1-based in the documented
 * order (1 PENDING … 4 ERROR); anything else is kept as its text so nothing is silently relabelled.
 */
export const PROCESS_STATUS_BY_NUMBER: Readonly<Record<number, ProcessStatus>> = {
  1: 'PENDING',
  2: 'PROCESSING',
  3: 'SUCCESS',
  4: 'ERROR',
};

/** One file after lenient parsing: numbers are numbers, a missing or "" number is null. */
export interface AudienceFile {
  audience_id: number | null;
  custom_audience_file_id: number | null;
  name: string;
  user_id_type: string;
  operation_type: string;
  open_app_id: string;
  process_status: string;
  process_code: number | null;
  error_message: string;
  line_count: number | null;
  valid_line_count: number | null;
  user_count: number | null;
  size: number | null;
  /** 'yyyy-MM-dd HH:mm:ss' in GMT+8, as Tencent sends it ("" when absent). */
  created_time: string;
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
}

export const MAX_PAGE = 2_147_483_647;
export const MAX_PAGE_SIZE = 100;

export function isFileField(value: unknown): value is FileField {
  return typeof value === 'string' && (FILE_FIELDS as readonly string[]).includes(value);
}
