// Deterministic, streamed CSV of realistic segment users (a seeded row pool cycled by a PRNG), from any byte offset.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { prng } from './prng.ts';

export interface CsvFileSpec {
  rows: number;
  seed?: number;
  bom?: boolean;
  crlf?: boolean;
  gzip?: boolean;
  /**
   * How quotes inside quoted fields are escaped: `double` (RFC 4180 `""`, the default) or `backslash`
   * (GrowingIO's advice: `\"` and `\\`; its remarks then also hold a `\"` before a line break and a trailing `\`).
   */
  escape?: 'double' | 'backslash';
  /** Another version of the same file: every user id differs, the byte length stays the same. Default 0. */
  version?: number;
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
// Only in backslash-escaped files: a quote right before a quoted line break, and a value ending in a backslash.
const BACKSLASH_REMARKS = ['引用 "第一行"\n第二行', 'C:\\导出\\', '转义 \\" 不是结尾'];
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

type Escape = NonNullable<CsvFileSpec['escape']>;

/** Quoting only when needed; inner quotes doubled (RFC 4180) or backslash-escaped along with backslashes. */
function csvField(value: string, quoting: Escape): string {
  if (quoting === 'double') return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  return /[",\r\n\\]/.test(value) ? `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"` : value;
}

function makeValue(column: string, next: () => number, quoting: Escape): string {
  // About one value in twenty is missing, as in real exports.
  if (next() % 20 === 0) return '';
  if (column === 'remark' && quoting === 'backslash' && next() % 4 === 0) return pick(BACKSLASH_REMARKS, next);
  const maker = MAKERS[column];
  return maker ? maker(next) : `${column}_值_${next() % 1000}`;
}

/** Cache key of everything that shapes a file's bytes. */
function specKey(spec: CsvFileSpec, columns: readonly string[]): string {
  const { rows, seed = 1, bom = false, crlf = false, escape: quoting = 'double', version = 0 } = spec;
  return `${rows}|${seed}|${bom}|${crlf}|${quoting}|${version}|${columns.join(',')}`;
}

interface Plan {
  header: Buffer;
  pool: Buffer[];
  eol: Buffer;
  rowSeed: number;
  idSalt: number;
  maxRowBytes: number;
  /** Byte offset (after the header) of row k × SEEK_STRIDE, filled as far as a seek needed. */
  marks: number[];
}

/** Rows between two seek marks: a Range request replays at most this many PRNG steps, not the whole file's. */
const SEEK_STRIDE = 65_536;

const plans = new Map<string, Plan>();

/** The pool of rows (everything after user_id) and framing for one seed + column list, built once. */
function planFor(spec: CsvFileSpec, columns: readonly string[]): Plan {
  const seed = spec.seed ?? 1;
  const eol = spec.crlf ? '\r\n' : '\n';
  const quoting = spec.escape ?? 'double';
  const key = specKey({ ...spec, rows: 0, version: 0 }, columns);
  const cached = plans.get(key);
  if (cached) return cached;
  const next = prng(seed ^ 0x9e3779b9);
  const rest = columns.slice(1);
  const pool = Array.from({ length: POOL_SIZE }, () =>
    Buffer.from(rest.map((column) => `,${csvField(makeValue(column, next, quoting), quoting)}`).join(''), 'utf8'),
  );
  const headerText = columns.map((column) => csvField(column, quoting)).join(',') + eol;
  const header = spec.bom ? Buffer.concat([BOM, Buffer.from(headerText)]) : Buffer.from(headerText);
  const maxRowBytes = USER_ID_BYTES + Math.max(...pool.map((row) => row.length)) + eol.length;
  const plan = { header, pool, eol: Buffer.from(eol), rowSeed: next(), idSalt: next(), maxRowBytes, marks: [0] };
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
  if (spec.version !== undefined && !Number.isSafeInteger(spec.version)) throw new RangeError('version must be whole');
  if (columns[0] !== 'user_id') throw new RangeError('the first column must be user_id');
}

/** The last seek mark at or before body byte `target` (after the header) and below `rows`, extending the marks as needed. */
function nearestMark(plan: Plan, target: number, rows: number): { index: number; offset: number } {
  const { marks } = plan;
  const rowLength = (row: Buffer) => USER_ID_BYTES + row.length + plan.eol.length;
  while (marks[marks.length - 1]! <= target && marks.length * SEEK_STRIDE <= rows) {
    const from = (marks.length - 1) * SEEK_STRIDE;
    const next = prng(plan.rowSeed, from);
    let offset = marks[marks.length - 1]!;
    for (let i = 0; i < SEEK_STRIDE; i++) offset += rowLength(plan.pool[next() % POOL_SIZE]!);
    marks.push(offset);
  }
  let k = marks.length - 1;
  while (k > 0 && (marks[k]! > target || k * SEEK_STRIDE > rows)) k--;
  return { index: k * SEEK_STRIDE, offset: marks[k]! };
}

/** Raw CSV bytes (never gzipped here) from byte `start` on, generated chunk by chunk as the consumer reads. */
export function csvStream(spec: CsvFileSpec, columns: string[], start = 0): Readable {
  checkSpec(spec, columns);
  const plan = planFor(spec, columns);
  const salt = (plan.idSalt + Math.imul(spec.version ?? 0, 0x9e3779b1)) >>> 0;
  // Jump to the last seek mark before `start`, then skip whole rows by replaying only the PRNG; `pending` is the
  // row that holds `start`.
  let { index, offset } = nearestMark(plan, Math.max(0, start - plan.header.length), spec.rows);
  offset += plan.header.length;
  const nextRow = prng(plan.rowSeed, index);
  let pending: Buffer | undefined;
  while (start > offset && index < spec.rows) {
    const row = plan.pool[nextRow() % POOL_SIZE]!;
    const length = USER_ID_BYTES + row.length + plan.eol.length;
    if (offset + length > start) {
      pending = row;
      break;
    }
    offset += length;
    index++;
  }
  let skip = Math.max(0, start - offset); // bytes of the first generated chunk that lie before `start`
  let headerSent = start >= plan.header.length;
  return new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      if (!headerSent) {
        headerSent = true;
        this.push(plan.header.subarray(start));
        return;
      }
      if (index >= spec.rows) {
        this.push(null);
        return;
      }
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES + plan.maxRowBytes);
      let end = 0;
      while (end < CHUNK_BYTES && index < spec.rows) {
        const row = pending ?? plan.pool[nextRow() % POOL_SIZE]!;
        pending = undefined;
        writeUserId(chunk, end, index, salt);
        end += USER_ID_BYTES;
        end += row.copy(chunk, end);
        end += plan.eol.copy(chunk, end);
        index++;
      }
      const from = Math.min(skip, end);
      skip -= from;
      this.push(chunk.subarray(from, end));
    },
  });
}

const lengths = new Map<string, number>();

/** Exact byte length of csvStream(spec, columns) without generating it: replays only the PRNG. */
export function csvByteLength(spec: CsvFileSpec, columns: string[]): number {
  checkSpec(spec, columns);
  const key = specKey({ ...spec, version: 0 }, columns);
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
  const key = specKey(spec, columns);
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
