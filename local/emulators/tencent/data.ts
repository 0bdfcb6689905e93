// The emulator's seeded data set: deterministic audience files per account, plus the field catalogue it serves.
import { prngFloat as prng } from '../prng.ts';

export type RawFile = Record<string, string | number>;

export const DEFAULT_ACCOUNTS = [
  { accountId: 10_001, files: 12 },
  { accountId: 10_002, files: 240 },
  { accountId: 10_003, files: 10_250 },
];

export const ITEM_FIELDS = [
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
];

export const STATUS_NAMES = ['PENDING', 'PROCESSING', 'SUCCESS', 'ERROR'] as const;
export type StatusName = (typeof STATUS_NAMES)[number];

/**
 * The emulator's own numbers for v1.3 numeric accounts. Tencent publishes no mapping; these are deliberately
 * not 1..4 so a client that guesses a mapping fails its tests. Settable per emulator (`statusNumbers`).
 */
export const DEFAULT_STATUS_NUMBERS: Readonly<Record<StatusName, number>> = {
  PENDING: 7,
  PROCESSING: 8,
  SUCCESS: 9,
  ERROR: 15,
};

export const ID_TYPES = [
  'HASH_IMEI',
  'IMEI',
  'IDFA',
  'HASH_IDFA',
  'HASH_MOBILE_PHONE',
  'SHA256_MOBILE_PHONE',
  'OAID',
  'HASH_OAID',
  'WECHAT_OPENID',
  'WX_OPENID',
  'WX_UNIONID',
  'MOBILE_QQ_OPENID',
  'SALTED_HASH_MOBILE_PHONE',
  'CAID',
];
const SEEDED_ID_TYPES = [
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

/** 'yyyy-MM-dd HH:mm:ss' of a wall-clock value kept in UTC fields (seeded times are generated that way). */
export function wallClock(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Some numbers as numeric strings, some unknown counts as "": Tencent is not consistent either. */
function loose(value: number, random: () => number): number | string {
  return random() < 0.15 ? String(value) : value;
}

function randomHex(random: () => number): string {
  return Array.from({ length: 16 }, () => Math.floor(random() * 16).toString(16)).join('');
}

/** Files with process_status as names; the v1.3 view turns them into numbers for numeric accounts. */
export function makeFiles(accountId: number, count: number, seed: number): RawFile[] {
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
    const idType = pick(SEEDED_ID_TYPES);
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
      process_status: status,
      process_code: status === 'ERROR' ? 1000 + Math.floor(random() * 5) : 0,
      error_message: status === 'ERROR' ? pick(ERRORS) : '',
      line_count: loose(lines, random),
      valid_line_count: done || status === 'ERROR' ? loose(valid, random) : '',
      user_count: done ? loose(valid - Math.floor(random() * Math.min(valid, 50)), random) : '',
      size: loose(lines * 33, random),
      created_time: wallClock(time),
      // Its type is not documented beyond the SDKs' field list: mostly empty, sometimes an id.
      salt_id: random() < 0.2 ? 700_000 + Math.floor(random() * 1000) : '',
    });
  }
  // Newest first, like the real listing: later uploads have later times and higher ids.
  return files.reverse();
}
