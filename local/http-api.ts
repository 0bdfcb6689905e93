// `serve`: the real HTTP handlers behind a 127.0.0.1 server, each request mapped to an API Gateway HTTP API v2 event.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { localContext } from './aws/state-machine.ts';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export interface Route {
  method: string;
  /** API Gateway route path, e.g. /exports/{exportId}. */
  path: string;
  functionName: string;
  handler: Handler;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit
const TEXTUAL = /^(text\/|application\/(json|x-www-form-urlencoded|xml)|[^;]*\+json)/i;

function matchRoute(routes: Route[], method: string, path: string) {
  for (const route of routes) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const pattern = route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (!match) continue;
    const pathParameters = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
    return { route, pathParameters: names.length > 0 ? pathParameters : undefined };
  }
  return undefined;
}

export interface HttpRequestDescriptor {
  method: string;
  /** Path with query string, as on the request line. */
  url: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer;
  sourceIp?: string;
  httpVersion?: string;
}

/** The event API Gateway (payload format 2.0) would deliver for this request and route. */
export function toHttpApiEvent(
  request: HttpRequestDescriptor,
  route: Pick<Route, 'method' | 'path'>,
  pathParameters?: Record<string, string>,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url, 'http://localhost');
  const body = request.body ?? Buffer.alloc(0);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['x-forwarded-proto'] ??= 'http';
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const textual = body.length === 0 || TEXTUAL.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: headers.cookie?.split(/;\s*/),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters,
    body: body.length === 0 ? undefined : body.toString(textual ? 'utf8' : 'base64'),
    isBase64Encoded: !textual,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0]!,
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion ?? '1.1'}`,
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** API Gateway's handling of a handler result: structured results as given, anything else as 200 JSON. */
function sendResult(res: ServerResponse, result: unknown) {
  const structured = result as APIGatewayProxyStructuredResultV2 | undefined;
  if (!structured || typeof structured !== 'object' || typeof structured.statusCode !== 'number') {
    sendJson(res, 200, result);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.headers ?? {})) headers[name] = String(value);
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  res.writeHead(structured.statusCode, headers);
  res.end(structured.body ? Buffer.from(structured.body, structured.isBase64Encoded ? 'base64' : 'utf8') : undefined);
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface HttpApi {
  url: string;
  close(): Promise<void>;
}

export async function startHttpApi(routes: Route[], options: { port?: number } = {}): Promise<HttpApi> {
  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const matched = matchRoute(routes, req.method ?? 'GET', path);
      if (!matched) return sendJson(res, 404, { message: 'Not Found' });
      const body = await readBody(req);
      if (body === undefined) return sendJson(res, 413, { message: 'Request Entity Too Large' });
      const descriptor = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body,
        sourceIp: req.socket.remoteAddress,
        httpVersion: req.httpVersion,
      };
      const event = toHttpApiEvent(descriptor, matched.route, matched.pathParameters);
      sendResult(res, await matched.route.handler(event, localContext(matched.route.functionName, 30_000)));
    } catch {
      // What API Gateway answers when the integration itself fails.
      sendJson(res, 500, { message: 'Internal Server Error' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
