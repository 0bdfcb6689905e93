import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  identifierNormaliser,
  isUserIdType,
  normaliseId,
  requiresOpenAppId,
  USER_ID_TYPES,
  type UserIdType,
} from '../../lib/audience/identifiers.ts';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ok = (id: string) => ({ ok: true, id });
const INVALID = { ok: false, reason: 'invalid' };
const EMPTY = { ok: false, reason: 'empty' };
const PHONE = '13800138000';
const MD5_HEX = 'c4ca4238a0b923820dcc509a6f75849b';
const SHA_HEX = '6b86b273ff34fce19c936f4cd43ea7d2d4a5d4a4c23f1bbbdb3e9b6f8a0a8b8f';

describe('phone numbers (HASH_MOBILE_PHONE md5, SHA256_MOBILE_PHONE sha256)', () => {
  it.each([
    ['13800138000'],
    ['+86 138-0013-8000'],
    ['+8613800138000'],
    ['008613800138000'],
    ['0086 138 0013 8000'],
    ['8613800138000'],
    ['(138) 0013.8000'],
    [' 138 0013 8000 '],
    ['138\t0013\t8000'],
  ])('%j is the number 13800138000', (raw) => {
    expect(normaliseId('HASH_MOBILE_PHONE', raw)).toEqual(ok(md5(PHONE)));
    expect(normaliseId('SHA256_MOBILE_PHONE', raw)).toEqual(ok(sha256(PHONE)));
  });

  it.each([
    ['too short', '1380013800'],
    ['too long', '138001380001'],
    ['not starting with 1', '23800138000'],
    ['prefix leaving 11 digits that are not a mobile', '8623800138000'],
    ['86 kept when it is part of the 11 digits', '86380013800'],
    ['foreign country code', '+44 7911 123456'],
    ['plus without 86', '+13800138000'],
    ['letters', '1380013800a'],
    ['separators only', '--'],
  ])('%s is invalid', (_why, raw) => {
    expect(normaliseId('HASH_MOBILE_PHONE', raw)).toEqual(INVALID);
    expect(normaliseId('SHA256_MOBILE_PHONE', raw)).toEqual(INVALID);
  });

  it('passes already-hashed values through, lower-cased, each only for its own hash length', () => {
    expect(normaliseId('HASH_MOBILE_PHONE', MD5_HEX.toUpperCase())).toEqual(ok(MD5_HEX));
    expect(normaliseId('SHA256_MOBILE_PHONE', ` ${SHA_HEX.toUpperCase()} `)).toEqual(ok(SHA_HEX));
    expect(normaliseId('HASH_MOBILE_PHONE', SHA_HEX)).toEqual(INVALID);
    expect(normaliseId('SHA256_MOBILE_PHONE', MD5_HEX)).toEqual(INVALID);
  });

  it('property: any formatting of a mobile number hashes like the bare number', () => {
    const separators = fc.constantFrom('', ' ', '-', '.', '(', ')');
    const prefix = fc.constantFrom('', '+86', '0086', '86', '+86 ', '0086-');
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 10, maxLength: 10 }),
        prefix,
        fc.array(separators, { minLength: 11, maxLength: 11 }),
        (digits, pre, seps) => {
          const bare = `1${digits.join('')}`;
          const formatted = pre + [...bare].map((digit, i) => digit + seps[i]).join('');
          expect(normaliseId('HASH_MOBILE_PHONE', formatted)).toEqual(ok(md5(bare)));
        },
      ),
    );
  });
});

describe('IMEI', () => {
  it('lower-cases and hashes 14-16 hex digits for HASH_IMEI, keeps them for IMEI', () => {
    expect(normaliseId('HASH_IMEI', '86123456789012A')).toEqual(ok(md5('86123456789012a')));
    expect(normaliseId('IMEI', ' 86123456789012A ')).toEqual(ok('86123456789012a'));
    expect(normaliseId('IMEI', '86123456789012')).toEqual(ok('86123456789012'));
    expect(normaliseId('IMEI', '8612345678901234')).toEqual(ok('8612345678901234'));
  });

  it.each([['8612345678901'], ['86123456789012345'], ['8612345678901g'], ['86-1234-5678-9012']])(
    '%j is invalid',
    (raw) => {
      expect(normaliseId('IMEI', raw)).toEqual(INVALID);
      expect(normaliseId('HASH_IMEI', raw)).toEqual(INVALID);
    },
  );

  it('passes a 32-hex value through for HASH_IMEI only', () => {
    expect(normaliseId('HASH_IMEI', MD5_HEX.toUpperCase())).toEqual(ok(MD5_HEX));
    expect(normaliseId('IMEI', MD5_HEX)).toEqual(INVALID);
  });
});

describe('IDFA', () => {
  const DASHED = 'E2C1A5B3-1F4D-4C7A-9B2E-8D6F0A1B2C3D';
  it.each([[DASHED], [DASHED.toLowerCase()], [` ${DASHED} `]])('%j is upper-cased and dashed', (raw) => {
    expect(normaliseId('IDFA', raw)).toEqual(ok(DASHED));
    expect(normaliseId('HASH_IDFA', raw)).toEqual(ok(md5(DASHED)));
  });

  it('adds the dashes when missing (IDFA)', () => {
    expect(normaliseId('IDFA', DASHED.replaceAll('-', '').toLowerCase())).toEqual(ok(DASHED));
  });

  it('takes an undashed 32-hex value as an md5 already for HASH_IDFA (lower-cased)', () => {
    expect(normaliseId('HASH_IDFA', MD5_HEX.toUpperCase())).toEqual(ok(MD5_HEX));
  });

  it.each([
    ['all-zero IDFA', '00000000-0000-0000-0000-000000000000'],
    ['all-zero IDFA without dashes', '00000000000000000000000000000000'],
    ['wrong grouping', 'E2C1A5B31F4D-4C7A-9B2E-8D6F0A1B2C3D'],
    ['not hex', 'G2C1A5B3-1F4D-4C7A-9B2E-8D6F0A1B2C3D'],
    ['too short', 'E2C1A5B3-1F4D-4C7A-9B2E-8D6F0A1B2C3'],
  ])('%s is invalid', (_why, raw) => {
    expect(normaliseId('IDFA', raw)).toEqual(INVALID);
    expect(normaliseId('HASH_IDFA', raw)).toEqual(INVALID);
  });
});

describe('OAID', () => {
  it('trims; md5 of the raw (case-kept) OAID for HASH_OAID', () => {
    expect(normaliseId('OAID', ' dfb7Ab3c-11 ')).toEqual(ok('dfb7Ab3c-11'));
    expect(normaliseId('HASH_OAID', ' dfb7Ab3c-11 ')).toEqual(ok(md5('dfb7Ab3c-11')));
  });

  it.each([['00000000-0000-0000-0000-000000000000'], ['0000'], ['--'], ['ab cd'], ['ab\ncd']])(
    '%j is invalid',
    (raw) => {
      expect(normaliseId('OAID', raw)).toEqual(INVALID);
      expect(normaliseId('HASH_OAID', raw)).toEqual(INVALID);
    },
  );
});

describe('WeChat ids', () => {
  it('trims openids and unionids and keeps their case', () => {
    expect(normaliseId('WECHAT_OPENID', ' oAbC-12_x ')).toEqual(ok('oAbC-12_x'));
    expect(normaliseId('WX_UNIONID', 'oUnIoN')).toEqual(ok('oUnIoN'));
    expect(normaliseId('WX_UNIONID', 'o\u0000x')).toEqual(INVALID);
    expect(requiresOpenAppId('WECHAT_OPENID')).toBe(true);
    expect(requiresOpenAppId('WX_UNIONID')).toBe(false);
  });
});

describe('every type', () => {
  it.each(USER_ID_TYPES.map((type) => [type]))('%s: empty and blank cells are empty', (type) => {
    for (const raw of ['', ' ', '\t', '\r\n']) expect(normaliseId(type, raw)).toEqual(EMPTY);
  });

  it('property: a valid id never contains whitespace or a line break (files hold one id per line)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...USER_ID_TYPES), fc.string(), (type: UserIdType, raw) => {
        const result = normaliseId(type, raw);
        if (result.ok) expect(result.id).toMatch(/^\S+$/);
      }),
    );
  });

  it('rejects an unknown userIdType with a field error, also for prototype names', () => {
    expect(isUserIdType('HASH_IMEI')).toBe(true);
    for (const name of ['MD5_PHONE', 'toString', '__proto__']) {
      expect(isUserIdType(name)).toBe(false);
      expect(() => identifierNormaliser(name as UserIdType)).toThrow(/unsupported userIdType/);
    }
  });
});
