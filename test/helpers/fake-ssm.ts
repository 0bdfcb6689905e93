// The smallest SSM (AWS JSON 1.1 GetParameters) answering from a map and recording every call, on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The smallest SSM that answers GetParameters (AWS JSON 1.1) from a map, recording every call. */
export async function startFakeSsm(values: Record<string, string>) {
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
