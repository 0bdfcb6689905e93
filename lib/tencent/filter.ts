// The filter engine: validates `filtering` conditions against the item schema and evaluates them (ANDed).
import { BadRequest, type FieldError } from '../errors.ts';
import { echo, invalidInput } from '../validation.ts';
import {
  type AudienceFile,
  FIELD_TYPES,
  FILE_FIELDS,
  type FieldType,
  type FileField,
  isFileField,
  PROCESS_STATUSES,
} from './types.ts';

export const OPERATORS = [
  'EQUALS',
  'NOT_EQUALS',
  'CONTAINS',
  'IN',
  'NOT_IN',
  'LESS',
  'LESS_EQUALS',
  'GREATER',
  'GREATER_EQUALS',
] as const;
export type Operator = (typeof OPERATORS)[number];

const ORDERED: readonly Operator[] = ['LESS', 'LESS_EQUALS', 'GREATER', 'GREATER_EQUALS'];
/** Which operators make sense per field type: order only where values are ordered, CONTAINS only on text. */
export const OPERATORS_BY_TYPE: Readonly<Record<FieldType, readonly Operator[]>> = {
  integer: ['EQUALS', 'NOT_EQUALS', 'IN', 'NOT_IN', ...ORDERED],
  time: ['EQUALS', 'NOT_EQUALS', ...ORDERED],
  string: ['EQUALS', 'NOT_EQUALS', 'CONTAINS', 'IN', 'NOT_IN'],
  enum: ['EQUALS', 'NOT_EQUALS', 'IN', 'NOT_IN'],
};

/** IN / NOT_IN take 1..100 values (the API's limit); every other operator exactly one. */
export const MAX_IN_VALUES = 100;

/** A validated condition; values are normalised (integers and times as numbers, text as strings). */
export interface Condition {
  field: FileField;
  operator: Operator;
  values: Array<string | number>;
}

/**
 * Validate raw `filtering` (already JSON-parsed). Throws one BadRequest listing the problems (at most 20, then a
 * count), each naming its place (`filtering[1].operator`). A later condition on the same field and operator
 * replaces an earlier one, as the Marketing API documents.
 */
export function parseFiltering(raw: unknown): Condition[] {
  const errors: FieldError[] = [];
  const conditions = collectFiltering(raw, errors);
  if (errors.length > 0) throw invalidInput(BadRequest, 'Invalid query', errors, ': ');
  return conditions;
}

/** As parseFiltering, but every problem is appended to `errors` (for a caller collecting more than one parameter). */
export function collectFiltering(raw: unknown, errors: FieldError[]): Condition[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    errors.push({ field: 'filtering', message: 'must be a JSON array of {field, operator, values}' });
    return [];
  }
  const byKey = new Map<string, Condition>();
  raw.forEach((item, index) => {
    const condition = parseCondition(item, `filtering[${index}]`, errors);
    if (condition) byKey.set(`${condition.field}|${condition.operator}`, condition);
  });
  return [...byKey.values()];
}

function parseCondition(item: unknown, at: string, errors: FieldError[]): Condition | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    errors.push({ field: at, message: 'must be an object {field, operator, values}' });
    return undefined;
  }
  const { field, operator, values } = item as Record<string, unknown>;
  if (!isFileField(field)) {
    errors.push({
      field: `${at}.field`,
      message: `unknown field ${echo(field)}; use one of ${FILE_FIELDS.join(', ')}`,
    });
    return undefined;
  }
  const type = FIELD_TYPES[field];
  if (!(OPERATORS as readonly unknown[]).includes(operator)) {
    errors.push({
      field: `${at}.operator`,
      message: `unknown operator ${echo(operator)}; use one of ${OPERATORS.join(', ')}`,
    });
    return undefined;
  }
  const op = operator as Operator;
  if (!OPERATORS_BY_TYPE[type].includes(op)) {
    const allowed = OPERATORS_BY_TYPE[type].join(', ');
    errors.push({
      field: `${at}.operator`,
      message: `${op} is not allowed on ${type} field ${field}; use one of ${allowed}`,
    });
    return undefined;
  }
  const normalised = parseValues(values, field, op, `${at}.values`, errors);
  return normalised ? { field, operator: op, values: normalised } : undefined;
}

function parseValues(
  values: unknown,
  field: FileField,
  operator: Operator,
  at: string,
  errors: FieldError[],
): Array<string | number> | undefined {
  const multi = operator === 'IN' || operator === 'NOT_IN';
  const countOk =
    Array.isArray(values) && (multi ? values.length >= 1 && values.length <= MAX_IN_VALUES : values.length === 1);
  if (!countOk) {
    const expected = multi ? `1 to ${MAX_IN_VALUES} values` : 'exactly 1 value';
    errors.push({ field: at, message: `${operator} takes ${expected} in an array` });
    return undefined;
  }
  const out: Array<string | number> = [];
  for (const value of values as unknown[]) {
    const parsed = parseValue(value, field);
    if (typeof parsed === 'object') {
      errors.push({ field: at, message: parsed.error });
      return undefined;
    }
    out.push(parsed);
  }
  return out;
}

function parseValue(value: unknown, field: FileField): string | number | { error: string } {
  switch (FIELD_TYPES[field]) {
    case 'integer': {
      const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
      if (typeof number === 'number' && Number.isSafeInteger(number)) return number;
      return { error: `${field} values must be integers, got ${echo(value)}` };
    }
    case 'time': {
      const time = typeof value === 'string' ? parseTime(value) : null;
      if (time !== null) return time;
      return { error: `${field} values must be 'yyyy-MM-dd HH:mm:ss' or 'yyyy-MM-dd', got ${echo(value)}` };
    }
    case 'enum':
      if (field === 'process_status') return processStatusValue(value);
      if (typeof value === 'string' && value !== '') return value;
      return { error: `${field} values must be non-empty strings` };
    default:
      if (typeof value === 'string') return value;
      return { error: `${field} values must be strings` };
  }
}

/**
 * A process_status filter value: a documented name, or an integer (3 or "3") for accounts that answer numbers.
 * Names match only names and numbers only numbers: no mapping between them is published.
 */
function processStatusValue(value: unknown): string | number | { error: string } {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  if ((PROCESS_STATUSES as readonly unknown[]).includes(value)) return value as string;
  return { error: `process_status values must be one of ${PROCESS_STATUSES.join(', ')} or an integer status number` };
}

/**
 * 'yyyy-MM-dd HH:mm:ss' (or a bare date, meaning midnight) as a sortable number. Tencent's times are
 * GMT+8 wall clock; comparing them as UTC wall clock keeps the order without a timezone shift. Null when invalid.
 */
export function parseTime(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$/.exec(text.trim());
  if (!match) return null;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1).map((part) => Number(part ?? 0));
  const ms = Date.UTC(year!, month! - 1, day!, hour, minute, second);
  const check = new Date(ms);
  // Date.UTC rolls 2024-02-31 over into March; a real date survives the round trip.
  if (check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day! || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  return ms;
}

/** The comparable value of a field: numbers for integers and times, text otherwise; null when missing. */
function comparableValue(file: AudienceFile, field: FileField): string | number | null {
  if (FIELD_TYPES[field] === 'time') return parseTime(file[field] as string);
  return file[field];
}

/**
 * One condition on one file. A missing value (null number, unreadable time) satisfies only the negative
 * operators (NOT_EQUALS, NOT_IN), so `X EQUALS v` and `X NOT_EQUALS v` always split the set in two.
 */
export function matches(file: AudienceFile, condition: Condition): boolean {
  const actual = comparableValue(file, condition.field);
  const [first] = condition.values;
  switch (condition.operator) {
    case 'EQUALS':
      return actual !== null && actual === first;
    case 'NOT_EQUALS':
      return actual === null || actual !== first;
    case 'IN':
      return actual !== null && condition.values.includes(actual);
    case 'NOT_IN':
      return actual === null || !condition.values.includes(actual);
    case 'CONTAINS':
      return typeof actual === 'string' && actual.includes(String(first));
    default:
      return actual !== null && compareOrdered(condition.operator, actual, first!);
  }
}

function compareOrdered(operator: Operator, actual: string | number, expected: string | number): boolean {
  if (operator === 'LESS') return actual < expected;
  if (operator === 'LESS_EQUALS') return actual <= expected;
  if (operator === 'GREATER') return actual > expected;
  return actual >= expected;
}

/** Conditions are ANDed; no condition matches everything. */
export function matchesAll(file: AudienceFile, conditions: readonly Condition[]): boolean {
  return conditions.every((condition) => matches(file, condition));
}

/**
 * The listing order: newest created_time first, then the higher custom_audience_file_id first (ids grow
 * over time, so ties within one second stay newest-first); missing values sort last. Total and stable.
 */
export function compareFiles(a: AudienceFile, b: AudienceFile): number {
  return (
    descending(comparableValue(a, 'created_time'), comparableValue(b, 'created_time')) ||
    descending(a.custom_audience_file_id, b.custom_audience_file_id)
  );
}

function descending(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? 1 : -1;
}
