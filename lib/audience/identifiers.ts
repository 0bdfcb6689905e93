// Normalises, validates and hashes one identifier per Tencent userIdType (DESIGN "Audience sync" table).
import { hash } from 'node:crypto';
import { BadRequest } from '../errors.ts';

export const USER_ID_TYPES = [
  'HASH_MOBILE_PHONE',
  'SHA256_MOBILE_PHONE',
  'HASH_IMEI',
  'IMEI',
  'HASH_IDFA',
  'IDFA',
  'OAID',
  'HASH_OAID',
  'WECHAT_OPENID',
  'WX_UNIONID',
] as const;

export type UserIdType = (typeof USER_ID_TYPES)[number];

/** Never carries the rejected value: identifiers are personal data and must not reach logs or errors. */
export type IdResult = { ok: true; id: string } | { ok: false; reason: 'empty' | 'invalid' };

export type IdNormaliser = (raw: string) => IdResult;

export function isUserIdType(value: unknown): value is UserIdType {
  return typeof value === 'string' && (USER_ID_TYPES as readonly string[]).includes(value);
}

/** WeChat openids are only meaningful together with the app that issued them. */
export function requiresOpenAppId(userIdType: UserIdType): boolean {
  return userIdType === 'WECHAT_OPENID';
}

const EMPTY: IdResult = { ok: false, reason: 'empty' };
const INVALID: IdResult = { ok: false, reason: 'invalid' };
const valid = (id: string): IdResult => ({ ok: true, id });

const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const PHONE_SEPARATORS = /[\s\-().]/g;
const PHONE_PREFIX = /^(?:\+86|0086|86)/;
const MAINLAND_MOBILE = /^1\d{10}$/;
const IMEI = /^[0-9a-f]{14,16}$/;
const IDFA_DASHED = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const IDFA_PLAIN = /^[0-9A-F]{32}$/;
const ALL_ZERO_IDFA = '00000000-0000-0000-0000-000000000000';
const ZEROS_AND_DASHES = /^[0-]+$/;
// Upload files and snapshots hold one id per line: whitespace or control characters inside a value would split
// or corrupt a line, so such values are invalid (a stricter reading of "non-empty" for OAID and WeChat ids).
const UNSAFE_INSIDE = /[\s\p{Cc}]/u;

const md5 = (text: string) => hash('md5', text, 'hex');
const sha256 = (text: string) => hash('sha256', text, 'hex');

/** The 11-digit mainland number, or undefined when the value is not one. */
function phoneDigits(value: string): string | undefined {
  let digits = value.replace(PHONE_SEPARATORS, '');
  const prefix = PHONE_PREFIX.exec(digits)?.[0];
  if (prefix !== undefined && digits.length - prefix.length === 11) digits = digits.slice(prefix.length);
  return MAINLAND_MOBILE.test(digits) ? digits : undefined;
}

function phone(hashed: RegExp, digest: (text: string) => string): IdNormaliser {
  return (raw) => {
    const value = raw.trim();
    if (value === '') return EMPTY;
    if (hashed.test(value)) return valid(value.toLowerCase());
    const digits = phoneDigits(value);
    return digits === undefined ? INVALID : valid(digest(digits));
  };
}

function imei(hashIt: boolean): IdNormaliser {
  return (raw) => {
    const value = raw.trim().toLowerCase();
    if (value === '') return EMPTY;
    if (hashIt && HEX32.test(value)) return valid(value);
    if (!IMEI.test(value)) return INVALID;
    return valid(hashIt ? md5(value) : value);
  };
}

/** Upper-case, dashed 8-4-4-4-12 IDFA, or undefined when not a usable IDFA (wrong shape or all zeros). */
function idfaDashed(upper: string): string | undefined {
  const dashed = IDFA_PLAIN.test(upper)
    ? `${upper.slice(0, 8)}-${upper.slice(8, 12)}-${upper.slice(12, 16)}-${upper.slice(16, 20)}-${upper.slice(20)}`
    : upper;
  return IDFA_DASHED.test(dashed) && dashed !== ALL_ZERO_IDFA ? dashed : undefined;
}

function idfa(hashIt: boolean): IdNormaliser {
  return (raw) => {
    const upper = raw.trim().toUpperCase();
    if (upper === '') return EMPTY;
    // For HASH_IDFA an undashed 32-hex value is taken as an md5 already (the DESIGN rule), unless it is the
    // all-zero IDFA, which is never a real device.
    if (hashIt && IDFA_PLAIN.test(upper)) return idfaDashed(upper) === undefined ? INVALID : valid(upper.toLowerCase());
    const dashed = idfaDashed(upper);
    if (dashed === undefined) return INVALID;
    return valid(hashIt ? md5(dashed) : dashed);
  };
}

function oaid(hashIt: boolean): IdNormaliser {
  return (raw) => {
    const value = raw.trim();
    if (value === '') return EMPTY;
    if (ZEROS_AND_DASHES.test(value) || UNSAFE_INSIDE.test(value)) return INVALID;
    return valid(hashIt ? md5(value) : value);
  };
}

function openId(raw: string): IdResult {
  const value = raw.trim();
  if (value === '') return EMPTY;
  return UNSAFE_INSIDE.test(value) ? INVALID : valid(value);
}

const NORMALISERS: Record<UserIdType, IdNormaliser> = {
  HASH_MOBILE_PHONE: phone(HEX32, md5),
  SHA256_MOBILE_PHONE: phone(HEX64, sha256),
  HASH_IMEI: imei(true),
  IMEI: imei(false),
  HASH_IDFA: idfa(true),
  IDFA: idfa(false),
  OAID: oaid(false),
  HASH_OAID: oaid(true),
  WECHAT_OPENID: openId,
  WX_UNIONID: openId,
};

/** The normaliser for one userIdType (look it up once, call it per value). */
export function identifierNormaliser(userIdType: UserIdType): IdNormaliser {
  if (!isUserIdType(userIdType)) {
    const message = `unsupported userIdType; use one of ${USER_ID_TYPES.join(', ')}`;
    throw new BadRequest(message, { errors: [{ field: 'tencent.userIdType', message }] });
  }
  return NORMALISERS[userIdType];
}

export function normaliseId(userIdType: UserIdType, raw: string): IdResult {
  return identifierNormaliser(userIdType)(raw);
}
