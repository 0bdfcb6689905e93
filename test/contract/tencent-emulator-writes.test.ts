// The emulator's write side over raw HTTP (the platform's own FormData, not the client's multipart builder).
import { randomBytes } from 'node:crypto';
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CODES, startTencentEmulator, type TencentEmulator } from '../../local/emulators/tencent.ts';

const ACCOUNT = 41;
let emulator: TencentEmulator;
beforeAll(async () => {
  emulator = await startTencentEmulator({ accounts: [{ accountId: ACCOUNT, files: 3 }] });
});
afterAll(() => emulator.close());
afterEach(() => emulator.clearFaults());

const auth = () =>
  new URLSearchParams({
    access_token: emulator.accessToken,
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: randomBytes(16).toString('hex'),
  });

async function post(path: string, body: string | FormData, headers: Record<string, string> = {}) {
  const response = await fetch(`${emulator.url}${path}?${auth()}`, { method: 'POST', body, headers });
  return (await response.json()) as { code: number; message: string; data: Record<string, number> };
}

const addAudience = (body: object) =>
  post('/v1.3/custom_audiences/add', JSON.stringify(body), { 'content-type': 'application/json' });

function form(fields: Record<string, string>, file?: { bytes: Uint8Array; name: string }) {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  if (file) data.set('file', new Blob([file.bytes]), file.name);
  return data;
}

async function newAudience(name: string): Promise<number> {
  const answer = await addAudience({ account_id: ACCOUNT, name, type: 'CUSTOMER_FILE' });
  expect(answer.code).toBe(0);
  return answer.data.audience_id!;
}

describe('custom_audiences/add', () => {
  it('creates, enforces name rules, and repeats an external_audience_id idempotently', async () => {
    const first = await addAudience({
      account_id: ACCOUNT,
      name: 'a1',
      type: 'CUSTOMER_FILE',
      external_audience_id: 'x1',
    });
    const again = await addAudience({
      account_id: ACCOUNT,
      name: 'other',
      type: 'CUSTOMER_FILE',
      external_audience_id: 'x1',
    });
    expect(again.data.audience_id).toBe(first.data.audience_id);
    expect((await addAudience({ account_id: ACCOUNT, name: 'a1', type: 'CUSTOMER_FILE' })).code).toBe(
      EMULATOR_CODES.nameTaken,
    );
    expect((await addAudience({ account_id: ACCOUNT, name: '人'.repeat(11), type: 'CUSTOMER_FILE' })).message).toMatch(
      /name/,
    );
    expect((await addAudience({ account_id: ACCOUNT, name: 'b', type: 'LOOKALIKE' })).message).toMatch(/type/);
    const notJson = await post('/v1.3/custom_audiences/add', 'account_id=41', { 'content-type': 'text/plain' });
    expect(notJson.code).toBe(EMULATOR_CODES.invalidParam);
    expect(emulator.audiences(ACCOUNT)).toHaveLength(1);
  });
});

describe('custom_audience_files/add', () => {
  const md5s = ['0cc175b9c0f1b6a831c399e269772661', '92eb5ffee6ae2fec3ad71c777531578f', 'not-a-hash'];

  it('stores the upload and processes it over polls: PENDING, PROCESSING, SUCCESS with counts', async () => {
    const audienceId = await newAudience('proc');
    const zip = zipSync({ 'ids.txt': new TextEncoder().encode(`${md5s.join('\n')}\n${md5s[0]}\n`) });
    const fields = {
      account_id: String(ACCOUNT),
      audience_id: String(audienceId),
      user_id_type: 'HASH_MOBILE_PHONE',
      operation_type: 'APPEND',
    };
    const answer = await post('/v1.3/custom_audience_files/add', form(fields, { bytes: zip, name: 'ids.zip' }));
    expect(answer.code).toBe(0);
    const id = answer.data.custom_audience_file_id!;
    const upload = emulator.uploads().at(-1)!;
    expect(upload.fields).toEqual(fields);
    expect(Buffer.from(upload.bytes).equals(Buffer.from(zip))).toBe(true);
    const poll = async () => {
      const query = auth();
      query.set('account_id', String(ACCOUNT));
      query.set('custom_audience_file_id', String(id));
      const response = await fetch(`${emulator.url}/v3.0/custom_audience_files/get?${query}`);
      return ((await response.json()) as { data: { list: Array<Record<string, unknown>> } }).data.list[0]!;
    };
    expect((await poll()).process_status).toBe('PENDING');
    expect((await poll()).process_status).toBe('PROCESSING');
    expect(await poll()).toMatchObject({
      process_status: 'SUCCESS',
      line_count: 4,
      valid_line_count: 3,
      user_count: 2,
      name: 'ids.zip',
    });
  });

  it('ERROR mode fills process_code and error_message', async () => {
    emulator.setFaults({
      processing: { outcome: 'ERROR', processCode: 1003, errorMessage: '号码包类型与内容不匹配', pollsPerStep: 1 },
    });
    const audienceId = await newAudience('err');
    const fields = { account_id: String(ACCOUNT), audience_id: String(audienceId), user_id_type: 'HASH_IMEI' };
    const { data } = await post(
      '/v1.3/custom_audience_files/add',
      form(fields, { bytes: new TextEncoder().encode('abc\n'), name: 'a.txt' }),
    );
    const file = () =>
      emulator
        .allFiles(ACCOUNT)
        .find(
          (item) =>
            (item as { custom_audience_file_id: number }).custom_audience_file_id === data.custom_audience_file_id,
        );
    const query = auth();
    query.set('account_id', String(ACCOUNT));
    for (let poll = 0; poll < 2; poll++) {
      query.set('nonce', randomBytes(16).toString('hex'));
      await fetch(`${emulator.url}/v1.3/custom_audience_files/get?${query}`);
    }
    expect(file()).toMatchObject({
      process_status: 'ERROR',
      process_code: 1003,
      error_message: '号码包类型与内容不匹配',
    });
  });

  it('enforces the multipart form, a known audience, and the size limit', async () => {
    const audienceId = await newAudience('limits');
    const fields = { account_id: String(ACCOUNT), audience_id: String(audienceId), user_id_type: 'HASH_IMEI' };
    const asJson = await post('/v1.3/custom_audience_files/add', JSON.stringify(fields), {
      'content-type': 'application/json',
    });
    expect(asJson.code).toBe(EMULATOR_CODES.notMultipart);
    const unknown = await post(
      '/v1.3/custom_audience_files/add',
      form({ ...fields, audience_id: '999' }, { bytes: new Uint8Array(3), name: 'a.txt' }),
    );
    expect(unknown.code).toBe(EMULATOR_CODES.unknownAudience);
    const noFile = await post('/v1.3/custom_audience_files/add', form(fields));
    expect(noFile.message).toMatch(/file/);
    const badOperation = await post(
      '/v1.3/custom_audience_files/add',
      form({ ...fields, operation_type: 'REPLACE' }, { bytes: new Uint8Array(3), name: 'a.txt' }),
    );
    expect(badOperation.message).toMatch(/operation_type/);
    emulator.setMaxFileBytes(1000);
    try {
      const big = await post(
        '/v1.3/custom_audience_files/add',
        form(fields, { bytes: new Uint8Array(1001), name: 'big.txt' }),
      );
      expect(big.code).toBe(EMULATOR_CODES.fileTooLarge);
      const huge = await post(
        '/v1.3/custom_audience_files/add',
        form(fields, { bytes: new Uint8Array(3_000_000), name: 'huge.txt' }),
      );
      expect(huge.code).toBe(EMULATOR_CODES.fileTooLarge);
    } finally {
      emulator.setMaxFileBytes(100 * 1024 * 1024);
    }
  });
});
