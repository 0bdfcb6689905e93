// Tencent Marketing API emulator: files listing (v1.3/v3.0), audience writes, OAuth, faults and quotas.
// Written from UPSTREAMS.md and the seed; shares no code with the client it checks.
import { createServer } from 'node:http';
import { listen } from '../../servers.ts';
import type { StatusName } from './data.ts';
import type { ProcessingMode } from './files.ts';
import { Gate, type Quotas, type RemainingHeader, type ReplayCodes, type TencentFaults } from './gate.ts';
import { createContext, handle } from './server.ts';
import type { TokenOptions } from './tokens.ts';
import type { Upload } from './write-api.ts';

export { DEFAULT_ACCOUNTS, DEFAULT_STATUS_NUMBERS } from './data.ts';
export type { ProcessingMode } from './files.ts';
export type { Quotas, TencentFaults } from './gate.ts';
export { EMULATOR_CODES, type Upload } from './write-api.ts';

export interface TencentEmulatorOptions extends TokenOptions {
  accounts?: Array<{ accountId: number; files: number }>;
  latencyMs?: number;
  /** Legacy knob: the per-second quota; when given without `quotas`, minute and day are unlimited. */
  rateLimitPerSecond?: number;
  /** Per endpoint. Default: 100/s, and the FAQ's 1,000/minute and 20,000/day. */
  quotas?: Partial<Quotas>;
  /** The emulator's clock (tokens, timestamps, quota windows). Settable later with setClock. */
  now?: () => number;
  seed?: number;
  /** Accounts whose v1.3 process_status is a number (the emulator's own numbers: `statusNumbers`). */
  numericStatusAccounts?: number[];
  statusNumbers?: Partial<Record<StatusName, number>>;
  /** Answer for an account the token cannot see; the real number is not public. Default 40004. */
  unknownAccountCode?: number;
  replayCodes?: Partial<ReplayCodes>;
  remainingHeader?: RemainingHeader;
  /** Largest accepted upload (Tencent: 100 MB zipped). */
  maxFileBytes?: number;
  port?: number;
}

export interface EmulatorFaults extends TencentFaults {
  /** How files uploaded from now on finish processing. */
  processing?: ProcessingMode;
}

export interface TencentEmulator {
  url: string;
  accessToken: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token currently valid (it rotates on each refresh unless rotateRefreshToken is false). */
  readonly refreshToken: string;
  setLatency(ms: number): void;
  setFaults(faults: EmulatorFaults): void;
  clearFaults(): void;
  setQuotas(quotas: Partial<Quotas>): void;
  resetQuotas(): void;
  quotaUsage(path?: string): { second: number; minute: number; day: number };
  setClock(now: () => number): void;
  setTokenLifetime(seconds: number): void;
  /** Every access token issued so far (the initial one included) answers 11000 from now on. */
  expireAccessTokens(): void;
  setMaxFileBytes(bytes: number): void;
  stats(): { requests: number; refreshCalls: number; byPath: Record<string, number> };
  /** The v1.3 view of an account's files (numbers on numeric accounts), newest first. */
  allFiles(accountId: number): unknown[];
  uploads(): Upload[];
  audiences(accountId: number): unknown[];
  close(): Promise<void>;
}

export async function startTencentEmulator(options: TencentEmulatorOptions = {}): Promise<TencentEmulator> {
  const ctx = createContext(options);
  const { tokens, gate, store, writes, state, counts } = ctx;
  const server = createServer((request, response) => {
    handle(ctx, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end('{"message":"emulator error"}');
    });
  });
  const port = Number(new URL(await listen(server, { name: 'Tencent emulator', port: options.port })).port);

  return {
    url: `http://127.0.0.1:${port}`,
    accessToken: tokens.initial,
    clientId: tokens.clientId,
    clientSecret: tokens.clientSecret,
    get refreshToken() {
      return tokens.refreshToken;
    },
    setLatency: (ms) => {
      state.latencyMs = ms;
    },
    setFaults: ({ processing, ...faults }) => {
      gate.setFaults(faults);
      if (processing) writes.processing = { processCode: 0, errorMessage: '', pollsPerStep: 1, ...processing };
    },
    clearFaults: () => {
      gate.faults = Gate.noFaults();
      writes.processing = { outcome: 'SUCCESS', processCode: 0, errorMessage: '', pollsPerStep: 1 };
    },
    setQuotas: (quotas) => {
      gate.quotas = { ...gate.quotas, ...quotas };
    },
    resetQuotas: () => gate.resetQuotas(),
    quotaUsage: (path = '/v1.3/custom_audience_files/get') => gate.usage(path),
    setClock: (next) => {
      ctx.clock.now = next;
    },
    setTokenLifetime: (seconds) => {
      tokens.lifetimeSeconds = seconds;
    },
    expireAccessTokens: () => tokens.expireAll(),
    setMaxFileBytes: (bytes) => {
      state.maxFileBytes = bytes;
    },
    stats: () => ({ requests: counts.requests, refreshCalls: tokens.refreshCalls, byPath: { ...counts.byPath } }),
    allFiles: (accountId) =>
      (store.data.get(accountId) ?? []).map((file) => structuredClone(store.v13(accountId, file))),
    uploads: () =>
      writes.uploads.map((upload) => ({ ...upload, fields: { ...upload.fields }, transport: { ...upload.transport } })),
    audiences: (accountId) => structuredClone(writes.audiencesOf(accountId)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
