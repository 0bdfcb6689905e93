// Tencent Marketing API emulator for custom_audience_files/get, written from the seed (shares no client code).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../servers.ts';
import { prngFloat as prng } from './prng.ts';

export interface TencentEmulatorOptions {
  accessToken?: string;
  accounts?: Array<{ accountId: number; files: number }>;
  latencyMs?: number;
  rateLimitPerSecond?: number;
  now?: () => number;
  seed?: number;
  /** Accounts answering process_status as numbers (1 PENDING, 2 PROCESSING, 3 SUCCESS, 4 ERROR). */
  numericStatusAccounts?: number[];
  port?: number;
}

export interface TencentEmulator {
  url: string;
  accessToken: string;
  setLatency(ms: number): void;
  setFaults(faults: { expireToken?: boolean; codeOnce?: number[] }): void;
  stats(): { requests: number };
  allFiles(accountId: number): unknown[];
  close(): Promise<void>;
}

type RawFile = Record<string, string | number>;
type Failure = { code: number; param?: string };

export const DEFAULT_ACCOUNTS = [
  { accountId: 10_001, files: 12 },
  { accountId: 10_002, files: 240 },
  { accountId: 10_003, files: 10_250 },
];
const PATH = '/v1.3/custom_audience_files/get';
const ITEM_FIELDS = [
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
];
const MESSAGES: Record<number, [string, string]> = {
  11000: ['access token expired', 'access_token 已过期'],
  11002: ['access token invalid', 'access_token 不合法'],
  11004: ['no permission for this account', '无权限访问该账号'],
  11005: ['access token not authorized for this app', 'access_token 未授权'],
  11008: ['request rate limit exceeded', '请求频率超过限制'],
  11016: ['app-level rate limit exceeded', '应用请求频率超过限制'],
  11017: ['account-level rate limit exceeded', '账号请求频率超过限制'],
  11018: ['interface-level rate limit exceeded', '接口请求频率超过限制'],
  11019: ['daily quota exceeded', '当日请求次数超过限制'],
  12000: ['missing required parameter', '缺少必填参数'],
  12001: ['invalid parameter', '参数不合法'],
  12009: ['fields contains unsupported field', 'fields 参数中包含不支持的字段'],
  12100: ['nonce has been used', 'nonce 已被使用'],
  12101: ['timestamp is out of the allowed range', 'timestamp 超出允许的时间范围'],
};
const STATUS_NUMBERS: Record<string, number> = { PENDING: 1, PROCESSING: 2, SUCCESS: 3, ERROR: 4 };
const ID_TYPES = [
  'HASH_IMEI',
  'IMEI',
  'IDFA',
  'HASH_IDFA',
  'HASH_MOBILE_PHONE',
  'OAID',
  'WECHAT_OPENID',
  'MOBILE_QQ_OPENID',
];
const TOPICS = ['高价值用户', '流失召回', '新客拉新', '游戏付费', '电商复购', '设备', '手机号', '会员'];
const KINDS = ['人群包', '号码包', '种子人群', '排除人群'];
const ERRORS = ['文件格式错误', '文件内容为空', '号码包类型与内容不匹配', '文件解析失败，请重新上传'];

/** GMT+8 wall clock as 'yyyy-MM-dd HH:mm:ss' (times are generated as wall-clock UTC values). */
function wallClock(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Some numbers as numeric strings, some unknown counts as "": Tencent is not consistent either. */
function loose(value: number, random: () => number): number | string {
  return random() < 0.15 ? String(value) : value;
}

function makeFiles(accountId: number, count: number, seed: number, numericStatus: boolean): RawFile[] {
  const random = prng(seed ^ accountId);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const audiences = Math.max(1, Math.ceil(count / 25));
  const files: RawFile[] = [];
  let time = Date.UTC(2025, 0, 1, 9, 0, 0);
  let id = 5_000_000 + (accountId % 1000) * 50_000;
  for (let index = 0; index < count; index++) {
    time += pick([0, 1000, 37_000, 3_600_000, 86_400_000]); // 0: several uploads within one second
    id += 1 + Math.floor(random() * 3);
    const status = pick(['SUCCESS', 'SUCCESS', 'SUCCESS', 'PENDING', 'PROCESSING', 'ERROR']);
    const idType = pick(ID_TYPES);
    const lines = 100 + Math.floor(random() * 500_000);
    const valid = lines - Math.floor(random() * Math.min(lines, 500));
    const done = status === 'SUCCESS';
    files.push({
      audience_id: 3_000_000 + (accountId % 1000) * 1000 + Math.floor(random() * audiences),
      custom_audience_file_id: random() < 0.1 ? String(id) : id,
      name: `${pick(TOPICS)}${pick(KINDS)}_${wallClock(time).slice(0, 10).replaceAll('-', '')}_${index + 1}.txt`,
      user_id_type: idType,
      operation_type: random() < 0.85 ? 'APPEND' : 'REDUCE',
      open_app_id:
        idType === 'WECHAT_OPENID' ? `wx${randomHex(random)}` : idType === 'MOBILE_QQ_OPENID' ? '1105123456' : '',
      process_status: numericStatus ? STATUS_NUMBERS[status]! : status,
      process_code: status === 'ERROR' ? 1000 + Math.floor(random() * 5) : 0,
      error_message: status === 'ERROR' ? pick(ERRORS) : '',
      line_count: loose(lines, random),
      valid_line_count: done || status === 'ERROR' ? loose(valid, random) : '',
      user_count: done ? loose(valid - Math.floor(random() * Math.min(valid, 50)), random) : '',
      size: loose(lines * 33, random),
      created_time: wallClock(time),
    });
  }
  // Newest first, like the real listing: later uploads have later times and higher ids.
  return files.reverse();
}

function randomHex(random: () => number): string {
  return Array.from({ length: 16 }, () => Math.floor(random() * 16).toString(16)).join('');
}

/** The seed's rules plus the emulator's mutable state: faults, seen nonces, the rate window. */
class FilesApi {
  readonly token: string;
  readonly data = new Map<number, RawFile[]>();
  latencyMs: number;
  expireToken = false;
  codeOnce: number[] = [];
  requests = 0;
  private readonly now: () => number;
  private readonly rateLimit: number;
  private window = { second: -1, count: 0 };
  private readonly nonces = new Map<string, number>();

  constructor(options: TencentEmulatorOptions) {
    this.token = options.accessToken ?? 'tencent-emulator-token';
    this.now = options.now ?? Date.now;
    this.latencyMs = options.latencyMs ?? 0;
    this.rateLimit = options.rateLimitPerSecond ?? 100;
    const seed = options.seed ?? 20_250_101;
    const numeric = new Set(options.numericStatusAccounts ?? [10_002]);
    for (const { accountId, files } of options.accounts ?? DEFAULT_ACCOUNTS) {
      this.data.set(accountId, makeFiles(accountId, files, seed, numeric.has(accountId)));
    }
  }

  /** Checks in the order a gateway would apply them: who you are, replay protection, quota, then the query. */
  answer(params: URLSearchParams): Failure | { data: unknown } {
    const failure = this.checkAuth(params) ?? this.checkReplay(params) ?? this.forcedCode() ?? this.checkRate();
    return failure ?? this.listFiles(params);
  }

  private checkAuth(params: URLSearchParams): Failure | undefined {
    if (params.get('access_token') !== this.token) return { code: 11002 };
    return this.expireToken ? { code: 11000 } : undefined;
  }

  private checkReplay(params: URLSearchParams): Failure | undefined {
    const timestamp = params.get('timestamp');
    const nonce = params.get('nonce');
    if (!timestamp) return { code: 12000, param: 'timestamp' };
    if (!/^\d+$/.test(timestamp)) return { code: 12001, param: 'timestamp' };
    if (Math.abs(Number(timestamp) - this.now() / 1000) > 300) return { code: 12101 };
    if (!nonce) return { code: 12000, param: 'nonce' };
    if (nonce.length > 32) return { code: 12001, param: 'nonce' };
    if (this.nonces.has(nonce)) return { code: 12100 };
    this.nonces.set(nonce, this.now());
    // A nonce older than the timestamp window can never be replayed successfully, so it may be forgotten.
    if (this.nonces.size > 50_000) {
      for (const [seen, at] of this.nonces) if (this.now() - at > 600_000) this.nonces.delete(seen);
    }
    return undefined;
  }

  private forcedCode(): Failure | undefined {
    const code = this.codeOnce.shift();
    return code === undefined ? undefined : { code };
  }

  private checkRate(): Failure | undefined {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.window.second) this.window = { second, count: 0 };
    this.window.count += 1;
    return this.window.count > this.rateLimit ? { code: 11008 } : undefined;
  }

  private listFiles(params: URLSearchParams): Failure | { data: unknown } {
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
    if (!files) return { code: 11004 };
    const matching = files.filter(
      (file) =>
        (audienceId === undefined || Number(file.audience_id) === audienceId) &&
        (fileId === undefined || Number(file.custom_audience_file_id) === fileId),
    );
    const size = pageSize as number;
    const start = ((page as number) - 1) * size;
    const list = matching.slice(start, start + size).map((file) => pickFields(file, fields));
    const total = matching.length;
    return {
      data: { list, page_info: { page, page_size: size, total_number: total, total_page: Math.ceil(total / size) } },
    };
  }
}

export async function startTencentEmulator(options: TencentEmulatorOptions = {}): Promise<TencentEmulator> {
  const api = new FilesApi(options);
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    api.requests += 1;
    response.setHeader('X-TSA-Trace-Id', randomBytes(16).toString('hex'));
    if (api.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, api.latencyMs));
    const url = new URL(request.url ?? '/', 'http://emulator');
    if (url.pathname !== PATH || request.method !== 'GET') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
      return;
    }
    const result = api.answer(url.searchParams);
    // Business errors are HTTP 200 with code != 0, exactly like the real API.
    const body = 'data' in result ? { code: 0, message: '', message_cn: '', data: result.data } : failureBody(result);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  const port = Number(new URL(await listen(server, { name: 'Tencent emulator', port: options.port })).port);

  return {
    url: `http://127.0.0.1:${port}`,
    accessToken: api.token,
    setLatency: (ms) => {
      api.latencyMs = ms;
    },
    setFaults: (faults) => {
      if (faults.expireToken !== undefined) api.expireToken = faults.expireToken;
      if (faults.codeOnce) api.codeOnce.push(...faults.codeOnce);
    },
    stats: () => ({ requests: api.requests }),
    allFiles: (accountId) => structuredClone(api.data.get(accountId) ?? []),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** An integer query parameter: undefined when absent, a 12001 failure when malformed or out of range. */
function intParam(params: URLSearchParams, name: string, min: number, max: number): number | undefined | Failure {
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

function failureBody(failure: Failure): { code: number; message: string; message_cn: string } {
  const [message, messageCn] = MESSAGES[failure.code] ?? [`emulated error ${failure.code}`, `模拟错误 ${failure.code}`];
  const suffix = failure.param ? `: ${failure.param}` : '';
  return { code: failure.code, message: `${message}${suffix}`, message_cn: `${messageCn}${suffix}` };
}
