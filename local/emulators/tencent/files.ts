// The emulator's account store and custom_audience_files/get (v1.3 numbers on numeric accounts, v3.0 names).

import { DEFAULT_STATUS_NUMBERS, ITEM_FIELDS, makeFiles, type RawFile, type StatusName } from './data.ts';
import type { Failure } from './gate.ts';

export type Answer = Failure | { data: unknown };

/** How an uploaded file finishes, chosen when it is uploaded. */
export interface ProcessingMode {
  outcome: 'SUCCESS' | 'ERROR';
  processCode?: number;
  errorMessage?: string;
  /** Polls spent in each of PENDING and PROCESSING before the next state. Default 1. */
  pollsPerStep?: number;
}

interface Processing {
  file: RawFile;
  polls: number;
  mode: Required<ProcessingMode>;
  counts: { lines: number; valid: number; users: number };
}

export interface StoreOptions {
  accounts: Array<{ accountId: number; files: number }>;
  seed: number;
  numericStatusAccounts: number[];
  statusNumbers?: Partial<Record<StatusName, number>>;
  /** Code for an account the token cannot see. Not public: the emulator's choice, settable. */
  unknownAccountCode: number;
}

export class FileStore {
  readonly data = new Map<number, RawFile[]>();
  readonly numeric: Set<number>;
  readonly statusNumbers: Record<StatusName, number>;
  readonly unknownAccountCode: number;
  private readonly processing = new Map<number, Processing[]>();
  private nextFileId = 90_000_000;

  constructor(options: StoreOptions) {
    this.numeric = new Set(options.numericStatusAccounts);
    this.statusNumbers = { ...DEFAULT_STATUS_NUMBERS, ...options.statusNumbers };
    this.unknownAccountCode = options.unknownAccountCode;
    for (const { accountId, files } of options.accounts) {
      this.data.set(accountId, makeFiles(accountId, files, options.seed));
    }
  }

  /** A file as v1.3 serves it: numeric status on numeric accounts. */
  v13(accountId: number, file: RawFile): RawFile {
    if (!this.numeric.has(accountId)) return file;
    return { ...file, process_status: this.statusNumbers[file.process_status as StatusName] ?? file.process_status };
  }

  /** A new uploaded file, newest first; it is processed over the following polls. */
  addUploaded(accountId: number, file: RawFile, mode: Required<ProcessingMode>, counts: Processing['counts']): number {
    this.nextFileId += 1;
    const id = this.nextFileId;
    const stored = { ...file, custom_audience_file_id: id, process_status: 'PENDING' };
    this.data.get(accountId)!.unshift(stored);
    const queue = this.processing.get(accountId) ?? [];
    queue.push({ file: stored, polls: 0, mode, counts });
    this.processing.set(accountId, queue);
    return id;
  }

  /** One poll of an account: every file in processing moves on by one poll. */
  private advance(accountId: number): void {
    const queue = this.processing.get(accountId);
    if (!queue) return;
    for (const item of queue) {
      item.polls += 1;
      const step = Math.min(2, Math.floor(item.polls / item.mode.pollsPerStep));
      if (step === 1) item.file.process_status = 'PROCESSING';
      if (step === 2) finish(item);
    }
    this.processing.set(
      accountId,
      queue.filter((item) => item.file.process_status === 'PENDING' || item.file.process_status === 'PROCESSING'),
    );
  }

  list(params: URLSearchParams, version: 'v1.3' | 'v3.0'): Answer {
    const account = intParam(params, 'account_id', 1, Number.MAX_SAFE_INTEGER);
    if (account === undefined) return { code: 12000, param: 'account_id' };
    const page = intParam(params, 'page', 1, 2_147_483_647) ?? 1;
    const pageSize = intParam(params, 'page_size', 1, 100) ?? 10;
    const audienceId = intParam(params, 'audience_id', 1, Number.MAX_SAFE_INTEGER);
    const fileId = intParam(params, 'custom_audience_file_id', 1, Number.MAX_SAFE_INTEGER);
    for (const value of [account, page, pageSize, audienceId, fileId]) if (typeof value === 'object') return value;
    const fields = fieldsParam(params.get('fields'));
    if (!Array.isArray(fields)) return fields;
    const files = this.data.get(account as number);
    if (!files) return { code: this.unknownAccountCode };
    const matching = files.filter(
      (file) =>
        (audienceId === undefined || Number(file.audience_id) === audienceId) &&
        (fileId === undefined || Number(file.custom_audience_file_id) === fileId),
    );
    const size = pageSize as number;
    const start = ((page as number) - 1) * size;
    const view = (file: RawFile) => (version === 'v1.3' ? this.v13(account as number, file) : file);
    const list = matching.slice(start, start + size).map((file) => pickFields(view(file), fields));
    this.advance(account as number);
    const total = matching.length;
    return {
      data: { list, page_info: { page, page_size: size, total_number: total, total_page: Math.ceil(total / size) } },
    };
  }
}

function finish(item: Processing): void {
  const { file, mode, counts } = item;
  file.process_status = mode.outcome;
  file.line_count = counts.lines;
  if (mode.outcome === 'SUCCESS') {
    file.valid_line_count = counts.valid;
    file.user_count = counts.users;
    return;
  }
  file.process_code = mode.processCode;
  file.error_message = mode.errorMessage;
}

/** An integer parameter: undefined when absent, a 12001 failure when malformed or out of range. */
export function intParam(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
): number | undefined | Failure {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : { code: 12001, param: name };
}

function fieldsParam(raw: string | null): string[] | Failure {
  if (raw === null || raw === '') return ITEM_FIELDS;
  let fields: unknown;
  try {
    fields = JSON.parse(raw);
  } catch {
    return { code: 12001, param: 'fields' };
  }
  if (!Array.isArray(fields) || fields.some((field) => typeof field !== 'string'))
    return { code: 12001, param: 'fields' };
  return fields.every((field) => ITEM_FIELDS.includes(field)) ? fields : { code: 12009, param: 'fields' };
}

function pickFields(file: RawFile, fields: readonly string[]): RawFile {
  return Object.fromEntries(fields.map((field) => [field, file[field]!]));
}
