// Validation of the GET /audience-files query string into a ListingQuery; every problem names its parameter.
import { BadRequest, type FieldError } from '../errors.ts';
import { cut, echo, invalidInput } from '../validation.ts';
import { type Condition, collectFiltering } from './filter.ts';
import type { ListingQuery } from './listing.ts';
import { SNAPSHOT_ID } from './snapshots.ts';
import { FILE_FIELDS, type FileField, isFileField, MAX_PAGE, MAX_PAGE_SIZE } from './types.ts';

export type QueryParams = Record<string, string | undefined>;

/** Parse and validate; throws one BadRequest (400) listing every bad parameter. */
export function parseListingQuery(params: QueryParams): ListingQuery {
  const errors: FieldError[] = [];
  const accountId = integerParam(params, 'account_id', { min: 1, required: true }, errors);
  const audienceId = integerParam(params, 'audience_id', { min: 1 }, errors);
  const customAudienceFileId = integerParam(params, 'custom_audience_file_id', { min: 1 }, errors);
  const page = integerParam(params, 'page', { min: 1, max: MAX_PAGE }, errors) ?? 1;
  const pageSize = integerParam(params, 'page_size', { min: 1, max: MAX_PAGE_SIZE }, errors) ?? 10;
  const fields = fieldsParam(params.fields, errors);
  const filtering = filteringParam(params.filtering, errors);
  const snapshotId = snapshotParam(params.snapshot_id, errors);
  if (errors.length > 0 || accountId === undefined) throw invalidInput(BadRequest, 'Invalid query', errors, ': ');
  return {
    accountId,
    ...(audienceId !== undefined ? { audienceId } : {}),
    ...(customAudienceFileId !== undefined ? { customAudienceFileId } : {}),
    page,
    pageSize,
    ...(fields ? { fields } : {}),
    filtering,
    ...(snapshotId ? { snapshotId } : {}),
  };
}

/** An id from page_info.snapshot_id: 22 base64url characters; anything else is named back as a bad parameter. */
function snapshotParam(raw: string | undefined, errors: FieldError[]): string | undefined {
  const value = raw?.trim();
  if (value === undefined || value === '') return undefined;
  if (SNAPSHOT_ID.test(value)) return value;
  errors.push({
    field: 'snapshot_id',
    message: `is not a snapshot id (copy page_info.snapshot_id), got ${echo(value)}`,
  });
  return undefined;
}

function integerParam(
  params: QueryParams,
  name: string,
  rule: { min: number; max?: number; required?: boolean },
  errors: FieldError[],
): number | undefined {
  const raw = params[name]?.trim();
  if (raw === undefined || raw === '') {
    if (rule.required) errors.push({ field: name, message: 'is required' });
    return undefined;
  }
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(value)) {
    errors.push({ field: name, message: `must be an integer, got ${echo(raw)}` });
    return undefined;
  }
  if (value < rule.min || value > max) {
    errors.push({ field: name, message: `must be between ${rule.min} and ${max}, got ${value}` });
    return undefined;
  }
  return value;
}

/** `fields` as the API takes it (a JSON array string) or as a friendlier comma-separated list. */
function fieldsParam(raw: string | undefined, errors: FieldError[]): FileField[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let names: unknown;
  try {
    names = raw.trim().startsWith('[') ? JSON.parse(raw) : raw.split(',').map((name) => name.trim());
  } catch {
    errors.push({ field: 'fields', message: 'must be a JSON array of field names or a comma-separated list' });
    return undefined;
  }
  if (!Array.isArray(names) || names.length === 0) {
    errors.push({ field: 'fields', message: 'must list at least one field name' });
    return undefined;
  }
  const unknown = names.filter((name) => !isFileField(name));
  if (unknown.length > 0) {
    const listed =
      unknown.slice(0, 5).map(echo).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
    errors.push({ field: 'fields', message: `unknown field(s) ${listed}; use any of ${FILE_FIELDS.join(', ')}` });
    return undefined;
  }
  return [...new Set(names as FileField[])];
}

function filteringParam(raw: string | undefined, errors: FieldError[]): Condition[] {
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    errors.push({ field: 'filtering', message: `is not valid JSON (${cut((error as Error).message, 100)})` });
    return [];
  }
  return collectFiltering(parsed, errors);
}
