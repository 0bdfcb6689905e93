// custom_audiences/add and custom_audience_files/add as the emulator answers them, with uploads kept for inspection.
import { unzipSync } from 'fflate';
import { ID_TYPES, type RawFile, wallClock } from './data.ts';
import type { Answer, FileStore, ProcessingMode } from './files.ts';
import type { Part } from './multipart.ts';

/** Codes for write-side problems. Tencent does not publish these numbers: they are the emulator's own. */
export const EMULATOR_CODES = {
  invalidParam: 12001,
  unknownAudience: 40005,
  nameTaken: 40010,
  fileTooLarge: 40013,
  notMultipart: 40014,
} as const;

export interface Upload {
  /** Every text field of the form, as sent. */
  fields: Record<string, string>;
  file: { name: string; contentType?: string };
  bytes: Uint8Array;
  customAudienceFileId: number;
  /** How the body came: with a Content-Length, or chunked. */
  transport: { contentLength?: string; transferEncoding?: string };
}

interface Audience {
  audience_id: number;
  name: string;
  type: string;
  description: string;
  external_audience_id: string;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const invalid = (param: string): Answer => ({ code: EMULATOR_CODES.invalidParam, param });

export class WriteApi {
  readonly uploads: Upload[] = [];
  processing: Required<ProcessingMode> = { outcome: 'SUCCESS', processCode: 0, errorMessage: '', pollsPerStep: 1 };
  private readonly audiences = new Map<number, Map<number, Audience>>();
  private nextAudienceId = 4_000_000;

  private readonly store: FileStore;
  private readonly now: () => number;

  constructor(store: FileStore, now: () => number) {
    this.store = store;
    this.now = now;
    for (const [account, files] of store.data) {
      const known = new Map<number, Audience>();
      for (const file of files) {
        const id = Number(file.audience_id);
        known.set(id, {
          audience_id: id,
          name: `seeded-${id}`,
          type: 'CUSTOMER_FILE',
          description: '',
          external_audience_id: '',
        });
      }
      this.audiences.set(account, known);
    }
  }

  audiencesOf(accountId: number): Audience[] {
    return [...(this.audiences.get(accountId)?.values() ?? [])].filter(
      (audience) => !audience.name.startsWith('seeded-'),
    );
  }

  addAudience(body: unknown): Answer {
    const input = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const account = Number(input.account_id);
    if (!Number.isSafeInteger(account) || account <= 0) return invalid('account_id');
    const known = this.audiences.get(account);
    if (!known) return { code: this.store.unknownAccountCode };
    const { name, type, description = '', external_audience_id: external = '' } = input;
    if (typeof external !== 'string' || external.length > 128) return invalid('external_audience_id');
    const existing = external ? [...known.values()].find((item) => item.external_audience_id === external) : undefined;
    if (existing) return { data: { audience_id: existing.audience_id } };
    if (typeof name !== 'string' || name === '' || bytes(name) > 32) return invalid('name');
    if (type !== 'CUSTOMER_FILE') return invalid('type');
    if (typeof description !== 'string' || bytes(description) > 100) return invalid('description');
    if ([...known.values()].some((item) => item.name === name))
      return { code: EMULATOR_CODES.nameTaken, param: 'name' };
    const audience = {
      audience_id: this.nextAudienceId + 1,
      name,
      type,
      description,
      external_audience_id: external,
    };
    this.nextAudienceId = audience.audience_id;
    known.set(audience.audience_id, audience);
    return { data: { audience_id: audience.audience_id } };
  }

  addFile(parts: Part[], maxFileBytes: number, transport: Upload['transport'] = {}): Answer {
    const fields: Record<string, string> = {};
    for (const part of parts) if (part.filename === undefined) fields[part.name] = part.data.toString('utf8');
    const file = parts.find((part) => part.name === 'file' && part.filename !== undefined);
    const checked = this.checkFileForm(fields, file, maxFileBytes);
    if ('code' in checked) return checked;
    const { account, operation } = checked;
    const content = readContent(file!.data);
    const counts =
      typeof content === 'string' ? countLines(content, fields.user_id_type!) : { lines: 0, valid: 0, users: 0 };
    const mode =
      typeof content === 'string'
        ? this.processing
        : {
            ...this.processing,
            outcome: 'ERROR' as const,
            processCode: 1004,
            errorMessage: '文件解析失败，请重新上传',
          };
    const raw: RawFile = {
      audience_id: Number(fields.audience_id),
      name: file!.filename!,
      user_id_type: fields.user_id_type!,
      operation_type: operation,
      open_app_id: fields.open_app_id ?? '',
      process_code: 0,
      error_message: '',
      line_count: '',
      valid_line_count: '',
      user_count: '',
      size: file!.data.length,
      created_time: wallClock(this.now() + 8 * 3_600_000),
      salt_id: '',
    };
    const id = this.store.addUploaded(account, raw, mode, counts);
    this.uploads.push({
      fields,
      file: { name: file!.filename!, ...(file!.contentType ? { contentType: file!.contentType } : {}) },
      bytes: new Uint8Array(file!.data),
      customAudienceFileId: id,
      transport,
    });
    return { data: { custom_audience_file_id: id } };
  }

  private checkFileForm(
    fields: Record<string, string>,
    file: Part | undefined,
    maxFileBytes: number,
  ): { account: number; operation: string } | { code: number; param?: string } {
    const account = Number(fields.account_id);
    if (!/^\d+$/.test(fields.account_id ?? '') || account <= 0)
      return { code: EMULATOR_CODES.invalidParam, param: 'account_id' };
    const known = this.audiences.get(account);
    if (!known) return { code: this.store.unknownAccountCode };
    if (!/^\d+$/.test(fields.audience_id ?? '')) return { code: EMULATOR_CODES.invalidParam, param: 'audience_id' };
    if (!known.has(Number(fields.audience_id))) return { code: EMULATOR_CODES.unknownAudience, param: 'audience_id' };
    const type = fields.user_id_type ?? '';
    if (!ID_TYPES.includes(type) && !/^(MD5_SHA256|SALTED_HASH)_[A-Z_]+$/.test(type)) {
      return { code: EMULATOR_CODES.invalidParam, param: 'user_id_type' };
    }
    const operation = fields.operation_type || 'APPEND';
    if (operation !== 'APPEND' && operation !== 'REDUCE')
      return { code: EMULATOR_CODES.invalidParam, param: 'operation_type' };
    if ((type === 'WECHAT_OPENID' || type === 'WX_OPENID') && !fields.open_app_id) {
      return { code: EMULATOR_CODES.invalidParam, param: 'open_app_id' };
    }
    if (!file) return { code: EMULATOR_CODES.invalidParam, param: 'file' };
    if (file.data.length > maxFileBytes) return { code: EMULATOR_CODES.fileTooLarge, param: 'file' };
    return { account, operation };
  }
}

/** The text of an upload: a zip's txt/csv entries joined, or the body itself; null when a zip cannot be read. */
function readContent(data: Buffer): string | null {
  if (data.subarray(0, 4).toString('latin1') !== 'PK\u0003\u0004') return data.toString('utf8');
  try {
    const entries = unzipSync(new Uint8Array(data));
    return Object.values(entries)
      .map((entry) => Buffer.from(entry).toString('utf8'))
      .join('\n');
  } catch {
    return null;
  }
}

const HEX = /^[0-9a-f]+$/i;
function validId(line: string, type: string): boolean {
  if (type.startsWith('HASH_')) return line.length === 32 && HEX.test(line);
  if (type.startsWith('SHA256_') || type.startsWith('MD5_SHA256_')) return line.length === 64 && HEX.test(line);
  return line.length > 0;
}

function countLines(text: string, type: string): { lines: number; valid: number; users: number } {
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  const valid = lines.filter((line) => validId(line.trim(), type));
  return {
    lines: lines.length,
    valid: valid.length,
    users: new Set(valid.map((line) => line.trim().toLowerCase())).size,
  };
}
