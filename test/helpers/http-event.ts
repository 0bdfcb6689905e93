// Calls an HTTP handler the way API Gateway (v2) and Lambda would: a GET event and a context with a deadline.
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../functions/middleware/http.ts';

export type HttpHandler = (event: HttpEvent, context: Context) => Promise<unknown>;

export interface Answer {
  status: number;
  headers: Record<string, string | number | boolean>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field
  body: any;
}

export async function httpGet(
  handler: HttpHandler,
  path: string,
  query: Record<string, string>,
  remainingMs = 30_000,
): Promise<Answer> {
  const event = {
    version: '2.0',
    routeKey: `GET ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    queryStringParameters: query,
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path } },
  } as unknown as HttpEvent;
  const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
  const result = (await handler(event, context)) as HttpResult;
  return {
    status: Number(result.statusCode),
    headers: result.headers ?? {},
    text: String(result.body),
    body: JSON.parse(String(result.body)),
  };
}
