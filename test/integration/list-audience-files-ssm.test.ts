// The handler reads its Tencent token from an SSM SecureString through @middy/ssm, decrypted and cached.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListAudienceFilesHandler } from '../../functions/list-audience-files.ts';
import type { HttpEvent, HttpResult } from '../../functions/middleware/http.ts';
import { parseConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { startTencentEmulator, type TencentEmulator } from '../../local/tencent-emulator.ts';

const PARAMETER = '/audience-pipeline/test/tencent-access-token';

/** The smallest SSM that answers GetParameters (AWS JSON 1.1) from a map, recording every call. */
async function startFakeSsm(values: Record<string, string>) {
  const calls: Array<{ target: string; names: string[]; decrypt: boolean }> = [];
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = JSON.parse(text || '{}') as { Names?: string[]; WithDecryption?: boolean };
      const names = body.Names ?? [];
      calls.push({ target: String(request.headers['x-amz-target']), names, decrypt: body.WithDecryption === true });
      const known = names.filter((name) => name in values);
      const answer = {
        Parameters: known.map((name) => ({ Name: name, Type: 'SecureString', Value: values[name], Version: 1 })),
        InvalidParameters: names.filter((name) => !(name in values)),
      };
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let emulator: TencentEmulator;
let ssm: Awaited<ReturnType<typeof startFakeSsm>>;
beforeAll(async () => {
  emulator = await startTencentEmulator({ accounts: [{ accountId: 5, files: 3 }] });
  ssm = await startFakeSsm({ [PARAMETER]: emulator.accessToken });
});
afterAll(async () => {
  await emulator.close();
  await ssm.close();
});

const event = {
  queryStringParameters: { account_id: '5' },
  headers: {},
  rawPath: '/audience-files',
} as unknown as HttpEvent;
const context = { awsRequestId: 'req-ssm' } as unknown as Context;

describe('token from SSM', () => {
  it('fetches the SecureString with decryption once, caches it, and never logs it', async () => {
    const lines: string[] = [];
    const handler = createListAudienceFilesHandler({
      config: parseConfig({ TENCENT_BASE_URL: emulator.url, TENCENT_ACCESS_TOKEN_PARAMETER: PARAMETER }),
      logger: createLogger({ write: (line) => lines.push(line) }),
      timeoutEarlyInMillis: 0,
      ssmClientOptions: {
        endpoint: ssm.url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      },
    });
    const first = (await handler(event, context)) as HttpResult;
    const second = (await handler(event, context)) as HttpResult;
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(String(first.body)).page_info.total_number).toBe(3);
    expect(ssm.calls).toEqual([{ target: 'AmazonSSM.GetParameters', names: [PARAMETER], decrypt: true }]);
    expect(lines.join('\n')).not.toContain(emulator.accessToken);
  });
});
