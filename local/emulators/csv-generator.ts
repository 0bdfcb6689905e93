// Deterministic, streamed CSV of realistic segment users (a seeded row pool cycled by a PRNG), and serving it over HTTP.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import { prng } from './prng.ts';

export interface CsvFileSpec {
  rows: number;
  seed?: number;
  bom?: boolean;
  crlf?: boolean;
  gzip?: boolean;
}

const POOL_SIZE = 1021;
const CHUNK_BYTES = 256 * 1024;
const USER_ID_BYTES = 16;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '周', '吴', '欧阳', '司马'];
const GIVEN = ['伟', '芳', '娜', '秀英', '敏', '静', '磊', '强', '洋', '艳', '子涵', '浩然', '一诺'];
const CITIES = ['北京', '上海', '广州', '深圳', '杭州', '成都', '西安', '武汉', '重庆', '南京', 'Hong Kong'];
const PROVINCES = ['北京市', '广东省', '浙江省', '四川省', '湖北省', '江苏省', '陕西省'];
const ROLES = ['管理员', '运营, 市场', 'member', '"VIP" 客户', '普通用户', '渠道经理'];
const STREETS = ['建国路88号', '人民南路二段', '南京西路1266号', '科技园南区', '解放大道'];
const REMARKS = ['', '老用户，复购率高', '备注：\n需要回访', '说 "你好"', 'likes, lots of, commas', '无'];
const TAGS = ['高价值', '新客', '流失预警', '活跃', '沉默'];
const CHANNELS = ['微信小程序', 'App Store', '华为应用市场', '百度, 搜索', '直接访问'];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

type ValueMaker = (next: () => number) => string;
const pick = <T>(list: readonly T[], next: () => number): T => list[next() % list.length]!;
const digits = (count: number, next: () => number) => Array.from({ length: count }, () => String(next() % 10)).join('');

const MAKERS: Record<string, ValueMaker> = {
  open_id: (next) => `o${Array.from({ length: 27 }, () => B64[next() % 64]).join('')}`,
  user_name: (next) => pick(SURNAMES, next) + pick(GIVEN, next),
  role: (next) => pick(ROLES, next),
  city: (next) => pick(CITIES, next),
  province: (next) => pick(PROVINCES, next),
  phone: (next) => `1${pick(['3', '5', '7', '8', '9'], next)}${digits(9, next)}`,
  gender: (next) => pick(['男', '女', '未知'], next),
  age: (next) => String(16 + (next() % 60)),
  email: (next) => `user${next() % 100000}@example.com`,
  address: (next) =>
    `${pick(PROVINCES, next)}${pick(CITIES, next)}${pick(STREETS, next)}\n${1 + (next() % 9)}单元, ${100 + (next() % 2900)}室`,
  remark: (next) => pick(REMARKS, next),
  tags: (next) => `${pick(TAGS, next)},${pick(TAGS, next)}`,
  channel: (next) => pick(CHANNELS, next),
  user_level: (next) => `L${next() % 8}`,
  register_time: (next) => new Date(1_500_000_000_000 + (next() % 200_000_000) * 1000).toISOString(),
  project: (next) => pick(['商城', '小程序', 'App'], next),
};

/** RFC 4180 quoting: only when needed, with inner quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function makeValue(column: string, next: () => number): string {
  // About one value in twenty is missing, as in real exports.
  if (next() % 20 === 0) return '';
  const maker = MAKERS[column];
  return maker ? maker(next) : `${column}_值_${next() % 1000}`;
}

interface Plan {
  header: Buffer;
  pool: Buffer[];
  eol: Buffer;
  rowSeed: number;
  idSalt: number;
  maxRowBytes: number;
}

const plans = new Map<string, Plan>();

/** The pool of rows (everything after user_id) and framing for one seed + column list, built once. */
function planFor(spec: CsvFileSpec, columns: readonly string[]): Plan {
  const seed = spec.seed ?? 1;
  const eol = spec.crlf ? '\r\n' : '\n';
  const key = `${seed}|${eol}|${spec.bom ? 1 : 0}|${columns.join(',')}`;
  const cached = plans.get(key);
  if (cached) return cached;
  const next = prng(seed ^ 0x9e3779b9);
  const rest = columns.slice(1);
  const pool = Array.from({ length: POOL_SIZE }, () =>
    Buffer.from(rest.map((column) => `,${csvField(makeValue(column, next))}`).join(''), 'utf8'),
  );
  const headerText = columns.map(csvField).join(',') + eol;
  const header = spec.bom ? Buffer.concat([BOM, Buffer.from(headerText)]) : Buffer.from(headerText);
  const maxRowBytes = USER_ID_BYTES + Math.max(...pool.map((row) => row.length)) + eol.length;
  const plan = { header, pool, eol: Buffer.from(eol), rowSeed: next(), idSalt: next(), maxRowBytes };
  if (plans.size > 64) plans.clear();
  plans.set(key, plan);
  return plan;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** A 16-hex-char user id, unique per row index (the first half is a bijective mix of it). */
function writeUserId(target: Buffer, offset: number, index: number, salt: number): void {
  let a = Math.imul(index ^ 0x5bd1e995, 0x9e3779b1) >>> 0; // odd multiplier after xor: a bijection on 32 bits
  let b = Math.imul((index + salt) ^ (index >>> 13), 0x85ebca6b) >>> 0;
  for (let i = 0; i < 4; i++) {
    const hi = HEX[(a >>> 24) & 0xff]!;
    const lo = HEX[(b >>> 24) & 0xff]!;
    target[offset + i * 2] = hi.charCodeAt(0);
    target[offset + i * 2 + 1] = hi.charCodeAt(1);
    target[offset + 8 + i * 2] = lo.charCodeAt(0);
    target[offset + 8 + i * 2 + 1] = lo.charCodeAt(1);
    a <<= 8;
    b <<= 8;
  }
}

function checkSpec(spec: CsvFileSpec, columns: readonly string[]): void {
  if (!Number.isSafeInteger(spec.rows) || spec.rows < 0) throw new RangeError('rows must be a whole number >= 0');
  if (columns[0] !== 'user_id') throw new RangeError('the first column must be user_id');
}

/** Raw CSV bytes (never gzipped here), generated chunk by chunk as the consumer reads. */
export function csvStream(spec: CsvFileSpec, columns: string[]): Readable {
  checkSpec(spec, columns);
  const plan = planFor(spec, columns);
  const nextRow = prng(plan.rowSeed);
  let index = 0;
  let headerSent = false;
  return new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      if (!headerSent) {
        headerSent = true;
        this.push(plan.header);
        return;
      }
      if (index >= spec.rows) {
        this.push(null);
        return;
      }
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES + plan.maxRowBytes);
      let offset = 0;
      while (offset < CHUNK_BYTES && index < spec.rows) {
        const row = plan.pool[nextRow() % POOL_SIZE]!;
        writeUserId(chunk, offset, index, plan.idSalt);
        offset += USER_ID_BYTES;
        offset += row.copy(chunk, offset);
        offset += plan.eol.copy(chunk, offset);
        index++;
      }
      this.push(chunk.subarray(0, offset));
    },
  });
}

const lengths = new Map<string, number>();

/** Exact byte length of csvStream(spec, columns) without generating it: replays only the PRNG. */
export function csvByteLength(spec: CsvFileSpec, columns: string[]): number {
  checkSpec(spec, columns);
  const key = `${spec.rows}|${spec.seed ?? 1}|${spec.bom}|${spec.crlf}|${columns.join(',')}`;
  const cached = lengths.get(key);
  if (cached !== undefined) return cached;
  const plan = planFor(spec, columns);
  const nextRow = prng(plan.rowSeed);
  let total = plan.header.length + spec.rows * (USER_ID_BYTES + plan.eol.length);
  for (let i = 0; i < spec.rows; i++) total += plan.pool[nextRow() % POOL_SIZE]!.length;
  lengths.set(key, total);
  return total;
}

const descriptions = new Map<string, Promise<{ bytes: number; sha256: string; rows: number }>>();

/** Size, sha256 and record count (header excluded) of the raw CSV; computed by streaming once, then cached. */
export function describeCsv(
  spec: CsvFileSpec,
  columns: string[],
): Promise<{ bytes: number; sha256: string; rows: number }> {
  const key = `${spec.rows}|${spec.seed ?? 1}|${spec.bom}|${spec.crlf}|${columns.join(',')}`;
  let description = descriptions.get(key);
  if (!description) {
    description = (async () => {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of csvStream(spec, columns)) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      return { bytes, sha256: hash.digest('hex'), rows: spec.rows };
    })();
    descriptions.set(key, description);
  }
  return description;
}

export interface ServeCsvOptions {
  /** File name for Content-Disposition. */
  name: string;
  /** Announce the full length but send only half, then end the socket. */
  truncate?: boolean;
  bytesPerSecond?: number;
  /** Send this many bytes, end the socket and call onCut (used to expire a link mid-download). */
  cutAfterBytes?: number;
  onCut?: () => void;
}

/** Answer a download with the CSV: exact Content-Length, or gzip Content-Encoding (chunked); faults shape the body. */
export async function serveCsvFile(
  res: ServerResponse,
  spec: CsvFileSpec,
  columns: string[],
  options: ServeCsvOptions,
): Promise<void> {
  const headers: Record<string, string | number> = {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(options.name)}`,
  };
  let source: Readable = csvStream(spec, columns);
  let limit = options.cutAfterBytes;
  let endEarly = false;
  if (spec.gzip) {
    headers['content-encoding'] = 'gzip';
    if (options.truncate) {
      // Chunked: a complete gzip of half the file, then no terminating chunk, so the reader sees a cut stream.
      source = Readable.from(takeBytes(source, Math.floor(csvByteLength(spec, columns) / 2)));
      endEarly = true;
    }
    const gzip = createGzip();
    pipeline(source, gzip, () => {});
    source = gzip;
  } else {
    const length = csvByteLength(spec, columns);
    headers['content-length'] = length;
    if (options.truncate) limit = Math.min(limit ?? length, Math.floor(length / 2));
  }
  res.writeHead(200, headers);
  const { sent, cut, closed } = await writeBody(res, source, limit, options.bytesPerSecond);
  if (closed) return;
  if (cut && options.cutAfterBytes !== undefined && sent >= options.cutAfterBytes) options.onCut?.();
  if (cut || endEarly) return endSocket(res);
  res.end();
}

async function* takeBytes(source: Readable, limit: number): AsyncGenerator<Buffer> {
  let left = limit;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (left <= 0) break;
    yield chunk.length <= left ? chunk : chunk.subarray(0, left);
    left -= chunk.length;
  }
  source.destroy();
}

/** Copy source to res, stopping at limit; paced to bytesPerSecond when given. */
async function writeBody(
  res: ServerResponse,
  source: Readable,
  limit: number | undefined,
  bytesPerSecond: number | undefined,
): Promise<{ sent: number; cut: boolean; closed: boolean }> {
  const piece = bytesPerSecond ? Math.max(1, Math.floor(bytesPerSecond / 20)) : Number.POSITIVE_INFINITY;
  const started = performance.now();
  let sent = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    for (let offset = 0; offset < chunk.length; ) {
      const end = Math.min(chunk.length, offset + piece, limit === undefined ? chunk.length : offset + limit - sent);
      const part = chunk.subarray(offset, end);
      offset = end;
      if (part.length > 0 && !(await write(res, part))) {
        source.destroy();
        return { sent, cut: false, closed: true };
      }
      sent += part.length;
      if (limit !== undefined && sent >= limit) {
        source.destroy();
        return { sent, cut: true, closed: false };
      }
      const due = bytesPerSecond ? (sent / bytesPerSecond) * 1000 - (performance.now() - started) : 0;
      if (due > 0) await sleep(due);
    }
  }
  return { sent, cut: false, closed: false };
}

/** Resolves true once data is accepted (waiting for drain), false if the client went away. */
function write(res: ServerResponse, data: Buffer): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** Flush what was written, then close the connection without completing the HTTP message. */
function endSocket(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  socket.end();
  setTimeout(() => socket.destroy(), 1000).unref();
}
