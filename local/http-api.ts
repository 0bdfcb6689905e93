// `serve`: the real HTTP handlers behind a 127.0.0.1 server, each request mapped to an API Gateway HTTP API v2 event.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { localContext } from './aws/state-machine.ts';
import { closeServer, LOCAL_HOST, listen, safeDecode } from './servers.ts';

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

type RouteMatch = { route: Route; pathParameters?: Record<string, string> } | { badParameter: string };

function matchRoute(routes: Route[], method: string, path: string): RouteMatch | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const pattern = route.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (!match) continue;
    const pathParameters: Record<string, string> = {};
    for (const [i, name] of names.entries()) {
      const value = safeDecode(match[i + 1]!);
      if (value === undefined) return { badParameter: name };
      pathParameters[name] = value;
    }
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
  /** The server's own host:port (API Gateway's domainName is its own, never the client's Host header). */
  domainName?: string;
}

/** Path and query of a request line; `//host/path` stays a path, unlike new URL(…, base). */
function splitUrl(url: string): { path: string; query: string } {
  const at = url.indexOf('?');
  return at < 0 ? { path: url, query: '' } : { path: url.slice(0, at), query: url.slice(at + 1) };
}

/** The event API Gateway (payload format 2.0) would deliver for this request and route. */
export function toHttpApiEvent(
  request: HttpRequestDescriptor,
  route: Pick<Route, 'method' | 'path'>,
  pathParameters?: Record<string, string>,
): APIGatewayProxyEventV2 {
  const url = splitUrl(request.url);
  const body = request.body ?? Buffer.alloc(0);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // API Gateway sets X-Forwarded-Proto itself; a client's value never gets through.
  headers['x-forwarded-proto'] = 'http';
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(url.query))
    query[name] = name in query ? `${query[name]},${value}` : value;
  const textual = body.length === 0 || TEXTUAL.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.path,
    rawQueryString: url.query,
    cookies: headers.cookie?.split(/;\s*/),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters,
    body: body.length === 0 ? undefined : body.toString(textual ? 'utf8' : 'base64'),
    isBase64Encoded: !textual,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: request.domainName ?? LOCAL_HOST,
      domainPrefix: (request.domainName ?? LOCAL_HOST).split('.')[0]!,
      http: {
        method: route.method,
        path: url.path,
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
  /** The routes to serve; until set (serve starts the runtime once it knows its own URL) requests get 503. */
  setRoutes(routes: Route[]): void;
  close(): Promise<void>;
}

export interface HttpApiOptions {
  port?: number;
  routes?: Route[];
  /** Told about every request that failed inside a handler (API Gateway answers 500 then). */
  onError?: (error: unknown) => void;
}

async function answer(req: IncomingMessage, res: ServerResponse, routes: Route[], domainName: string) {
  const { path } = splitUrl(req.url ?? '/');
  const matched = matchRoute(routes, req.method ?? 'GET', path);
  if (!matched) return sendJson(res, 404, { message: 'Not Found' });
  if ('badParameter' in matched) {
    return sendJson(res, 400, {
      message: 'The request path is not a valid percent-encoded URL',
      errors: [{ field: matched.badParameter, message: 'contains a malformed %-escape' }],
    });
  }
  const body = await readBody(req);
  if (body === undefined) return sendJson(res, 413, { message: 'Request Entity Too Large' });
  const descriptor = {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    body,
    sourceIp: req.socket.remoteAddress,
    httpVersion: req.httpVersion,
    domainName,
  };
  const event = toHttpApiEvent(descriptor, matched.route, matched.pathParameters);
  sendResult(res, await matched.route.handler(event, localContext(matched.route.functionName, 30_000)));
}

export async function startHttpApi(options: HttpApiOptions = {}): Promise<HttpApi> {
  let routes = options.routes;
  let domainName = LOCAL_HOST;
  const server = createServer(async (req, res) => {
    if (!routes) return sendJson(res, 503, { message: 'Service Unavailable: starting' });
    try {
      await answer(req, res, routes, domainName);
    } catch (error) {
      options.onError?.(error);
      // What API Gateway answers when the integration itself fails.
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
    }
  });
  const url = await listen(server, { name: 'HTTP API', port: options.port, hint: '--port' });
  domainName = new URL(url).host;
  return {
    url,
    setRoutes: (next) => {
      routes = next;
    },
    close: () => closeServer(server),
  };
}
