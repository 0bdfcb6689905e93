// Shared shapes of the GrowingIO emulator (options, faults, jobs, links, files) and its answer helpers.
import type { ServerResponse } from 'node:http';
import type { CsvFileSpec } from './csv-generator.ts';

export interface GrowingIoFaults {
  /** The job ends failed with this errorMsg. */
  failJob?: string;
  /** The next N API requests answer 503. */
  serverErrors?: number;
  /** 429 (with Retry-After) when a token goes above 2 requests/s. */
  rateLimit?: boolean;
  /** The next N API requests answer 429 with Retry-After: 1 (a throttling burst, whatever the request rate). */
  throttleBurst?: number;
  /** Downloads announce a Content-Length larger than what is sent, then the socket ends. */
  truncate?: boolean;
  slowBodyBytesPerSecond?: number;
  /** A link serves this many bytes, then the socket is destroyed and the link is expired (403); newer links are fine. */
  expireLinksAfterBytes?: number;
  /** The next N downloads answer 503. */
  downloadServerErrors?: number;
  /** Downloads ignore Range (and If-Range) and answer 200 with the whole file, as some servers and proxies do. */
  ignoreRange?: boolean;
  /**
   * Once this many body bytes of a file were served (all downloads of it together), the file changes: every
   * user id differs (same length unless changeFileLength), and its ETag and Last-Modified change. Fires once
   * per file until setFaults is called again; the answer in flight keeps the old bytes.
   */
  changeFileAfterBytes?: number;
  /** With changeFileAfterBytes: the new version also has one more row, so its length differs too. */
  changeFileLength?: boolean;
}

export interface GrowingIoEmulatorOptions {
  token?: string;
  pollsUntilDone?: number;
  secondsUntilDone?: number;
  files?: CsvFileSpec[];
  faults?: GrowingIoFaults;
  now?: () => number;
  knownParameters?: string[];
  port?: number;
  /** Unit of the links' `expires` parameter: GrowingIO's seed shows milliseconds (default); it is undocumented. */
  expiresUnit?: 'milliseconds' | 'seconds';
}

export interface LinkSet {
  urls: string[];
  signs: string[];
  expiresAt: number;
  /** Whether expireLinksAfterBytes applies to these links (only links issued before it fired once). */
  faultable: boolean;
}

export interface Job {
  id: string;
  key: string;
  columns: string[];
  createdAt: number;
  polls: number;
  links?: LinkSet;
  revoked: Set<string>;
  expiryFaultFired?: boolean;
}

export type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** What happened to one file over the emulator's life (changeFileAfterBytes). */
export interface FileState {
  served: number;
  version: number;
  extraRows: number;
  changed: boolean;
  lastModified: Date;
}

export interface State {
  options: GrowingIoEmulatorOptions;
  token: string;
  now: () => number;
  files: CsvFileSpec[];
  known: Set<string>;
  secret: Buffer;
  jobsByKey: Map<string, Job>;
  jobsById: Map<string, Job>;
  buckets: Map<string, { tokens: number; at: number }>;
  counters: { apiRequests: number; downloads: number; jobsCreated: number; throttled: number };
  requestTimes: number[];
  faults: GrowingIoFaults;
  origin: string;
  fileStates: FileState[];
}

export function xmlError(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

export function send(res: ServerResponse, answer: Answer): void {
  const isText = typeof answer.body === 'string';
  const body = isText ? (answer.body as string) : JSON.stringify(answer.body);
  const type = isText ? (body.startsWith('<?xml') ? 'application/xml' : 'text/plain') : 'application/json';
  res.writeHead(answer.status, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    ...answer.headers,
  });
  res.end(body);
}
