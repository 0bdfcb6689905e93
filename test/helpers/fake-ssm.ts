// The smallest SSM (AWS JSON 1.1 GetParameters and PutParameter) answering from a map and recording every call,
// on 127.0.0.1. PutParameter changes the map, so a later GetParameters sees the written value.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SsmCall {
  target: string;
  names: string[];
  decrypt: boolean;
  /** PutParameter only. */
  type?: string;
  overwrite?: boolean;
}

interface SsmBody {
  Names?: string[];
  WithDecryption?: boolean;
  Name?: string;
  Value?: string;
  Type?: string;
  Overwrite?: boolean;
}

export async function startFakeSsm(values: Record<string, string>, options: { failPuts?: boolean } = {}) {
  const calls: SsmCall[] = [];
  const answer = (request: IncomingMessage, response: ServerResponse, body: SsmBody) => {
    const target = String(request.headers['x-amz-target']);
    const json = (status: number, value: unknown) =>
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(value));
    if (target === 'AmazonSSM.PutParameter') {
      calls.push({
        target,
        names: [String(body.Name)],
        decrypt: false,
        type: String(body.Type),
        overwrite: body.Overwrite === true,
      });
      if (options.failPuts) return json(400, { __type: 'AccessDeniedException', message: 'not allowed' });
      values[String(body.Name)] = String(body.Value);
      return json(200, { Version: 2, Tier: 'Standard' });
    }
    const names = body.Names ?? [];
    calls.push({ target, names, decrypt: body.WithDecryption === true });
    const known = names.filter((name) => name in values);
    return json(200, {
      Parameters: known.map((name) => ({ Name: name, Type: 'SecureString', Value: values[name], Version: 1 })),
      InvalidParameters: names.filter((name) => !(name in values)),
    });
  };
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => answer(request, response, JSON.parse(text || '{}') as SsmBody));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, values, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
